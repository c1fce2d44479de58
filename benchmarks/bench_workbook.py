"""Reading a filled 10,000-row template: python-calamine (the default) vs openpyxl (the fallback)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from benchmarks.timing import fmt_seconds, interleaved_medians

ROWS = 10_000


def _filled(path: Path) -> Path:
    from retention_xl.workbook import build_template
    from retention_xl.workbook.template import FIRST_ROW

    rng = np.random.default_rng(1)
    workbook = build_template(rows=ROWS)
    ws = workbook["Data"]
    start = rng.integers(100, 5000, ROWS)
    new = rng.integers(0, 500, ROWS)
    end = np.floor(start * rng.uniform(0.8, 1.0, ROWS)) + new
    for i in range(ROWS):
        r = FIRST_ROW + i
        ws[f"A{r}"], ws[f"B{r}"], ws[f"C{r}"], ws[f"D{r}"] = f"P{i + 1}", int(start[i]), int(end[i]), int(new[i])
    workbook.save(path)
    return path


def main() -> None:
    from retention_xl.workbook import read_periods

    with tempfile.TemporaryDirectory() as folder:
        path = _filled(Path(folder) / "filled.xlsx")
        frames = {engine: read_periods(path, engine=engine) for engine in ("calamine", "openpyxl")}
        assert frames["calamine"].equals(frames["openpyxl"]) and len(frames["calamine"]) == ROWS
        medians = interleaved_medians({
            "calamine": lambda: read_periods(path, engine="calamine"),
            "openpyxl": lambda: read_periods(path, engine="openpyxl"),
        }, repeat=5)
    print(f"read_periods, filled template with {ROWS:,} rows (checks included):")
    for name, seconds in medians.items():
        print(f"  {name:<9} median {fmt_seconds(seconds)}")
    print(f"  openpyxl / calamine = {medians['openpyxl'] / medians['calamine']:.1f}x")


if __name__ == "__main__":
    main()
