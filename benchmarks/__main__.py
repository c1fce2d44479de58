"""Run every benchmark (each `benchmarks/bench_*.py` with a `main()`), or those named.

    python -m benchmarks            # all
    python -m benchmarks core excel # bench_core.py and bench_excel.py
"""

from __future__ import annotations

import importlib
import pathlib
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    names = argv or sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name} ==", flush=True)
        module.main()
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
