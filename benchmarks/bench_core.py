"""retention_rate with full validation on 10 million rows, against the bare numpy expression.

Target (issue 2): at most 2x the bare ``(end - new) / start`` on the same arrays.
The pure-Python loop is timed once on the same data, for scale.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import retention_xl as rx

from .timing import fmt_seconds, interleaved_medians

ROWS = 10_000_000


def make_counts(rows: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    start = rng.integers(1, 100_000, rows).astype(float)
    kept = np.floor(start * rng.uniform(0.5, 1.0, rows))
    new = rng.integers(0, 20_000, rows).astype(float)
    return start, kept + new, new


def main() -> None:
    start, end, new = make_counts(ROWS)
    frame = pd.DataFrame({"start": start, "end": end, "new": new})
    medians = interleaved_medians(
        {
            "bare numpy (end - new) / start": lambda: (end - new) / start,
            "rx.retention_rate, arrays": lambda: rx.retention_rate(start, end, new),
            "rx.retention_rate, Series": lambda: rx.retention_rate(frame["start"], frame["end"], frame["new"]),
        },
        repeat=9,
    )
    np.testing.assert_array_equal(rx.retention_rate(start, end, new), (end - new) / start)

    start_list, end_list, new_list = start.tolist(), end.tolist(), new.tolist()
    begin = time.perf_counter()
    loop = [(e - n) / s for s, e, n in zip(start_list, end_list, new_list)]
    python_loop = time.perf_counter() - begin
    assert len(loop) == ROWS

    bare = medians["bare numpy (end - new) / start"]
    print(f"{ROWS:,} rows, median of 9 interleaved runs")
    for name, seconds in medians.items():
        print(f"  {name:<34} {fmt_seconds(seconds):>10}   {seconds / bare:5.2f}x bare")
    print(f"  {'pure-Python loop (1 run)':<34} {fmt_seconds(python_loop):>10}   {python_loop / bare:5.1f}x bare")
    ratio = medians["rx.retention_rate, arrays"] / bare
    print(f"target: validated call <= 2x bare -> {ratio:.2f}x: {'met' if ratio <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
