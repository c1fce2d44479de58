"""Excel functions: a 100,000-row range through the function module vs the core on numpy arrays.

The classic add-in passes a column as a list of one-float lists; RETENTION reads
those lists, calls the core once and returns the column. Reported: medians and
their ratios (target: at most 3x the core on numpy arrays), plus the floor that
no Python function can beat: only turning the three lists into arrays.
"""

from __future__ import annotations

import numpy as np

import retention_xl as rx
from benchmarks.timing import fmt_seconds, interleaved_medians

ROWS = 100_000


def main() -> None:
    from retention_xl.excel import functions as xl

    rng = np.random.default_rng(1)
    start = rng.integers(1, 5000, ROWS).astype(float)
    new = rng.integers(0, 2000, ROWS).astype(float)
    end = np.floor(start * rng.uniform(0, 1, ROWS)) + new
    start_cells, end_cells, new_cells = ([[x] for x in a.tolist()] for a in (start, end, new))

    medians = interleaved_medians({
        "core on numpy arrays": lambda: rx.retention_rate(start, end, new),
        "RETENTION on lists of lists": lambda: xl.RETENTION(start_cells, end_cells, new_cells),
        "floor: np.array of the 3 lists": lambda: [np.array(c, dtype=float) for c in
                                                   (start_cells, end_cells, new_cells)],
        "core on the lists of lists": lambda: rx.retention_rate(start_cells, end_cells, new_cells),
    }, repeat=9)
    base = medians["core on numpy arrays"]
    print(f"{ROWS:,} rows, medians of 9 interleaved runs")
    for name, seconds in medians.items():
        print(f"  {name:34s} {fmt_seconds(seconds):>10s}   {seconds / base:6.1f}x core on arrays")
    ratio = medians["RETENTION on lists of lists"] / base
    print(f"RETENTION / core on numpy arrays: {ratio:.1f}x (target at most 3x)")
