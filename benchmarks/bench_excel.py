"""Excel functions: a 100,000-row range through the function module vs the core on numpy arrays.

The classic add-in passes a column as a list of one-float lists; RETENTION reads
those lists, calls the core once and returns the column. Reported: medians and
their ratios (target: at most 3x the core on numpy arrays), plus the floor that
no Python function can beat: only turning the three lists into arrays.
"""

from __future__ import annotations

from itertools import chain

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
        "np.array of the 3 lists": lambda: [np.array(c, dtype=float) for c in
                                            (start_cells, end_cells, new_cells)],
        # the fastest way we know to get 300,000 floats out of Python lists
        "floor: np.fromiter of the 3 lists": lambda: [
            np.fromiter(chain.from_iterable(c), float, count=ROWS)
            for c in (start_cells, end_cells, new_cells)],
        "core on the lists of lists": lambda: rx.retention_rate(start_cells, end_cells, new_cells),
    }, repeat=9)
    base = medians["core on numpy arrays"]
    print(f"{ROWS:,} rows, medians of 9 interleaved runs")
    for name, seconds in medians.items():
        print(f"  {name:34s} {fmt_seconds(seconds):>10s}   {seconds / base:6.1f}x core on arrays")
    ratio = medians["RETENTION on lists of lists"] / base
    floor = medians["floor: np.fromiter of the 3 lists"]
    print(f"RETENTION / core on numpy arrays: {ratio:.1f}x (target at most 3x; reading the lists "
          f"alone costs {floor / base:.0f}x, so no function taking lists can meet it)")
    print(f"RETENTION / floor of reading the lists: {medians['RETENTION on lists of lists'] / floor:.2f}x")

    # What the range call saves a user: the same column filled down one cell at a time,
    # as =RETENTION(A2,B2,C2) copied to 100,000 rows would call it (Python time only,
    # before any Excel-to-Python round trip). Timed on 2,000 cells and scaled.
    sample = 2_000
    triples = list(zip(start.tolist()[:sample], end.tolist()[:sample], new.tolist()[:sample]))
    per_cell = interleaved_medians(
        {"cells": lambda: [xl.RETENTION(s, e, n) for s, e, n in triples]}, repeat=5)["cells"]
    fill_down = per_cell * ROWS / sample
    range_call = medians["RETENTION on lists of lists"]
    print(f"  {'one call per cell, filled down':34s} {fmt_seconds(fill_down):>10s}   "
          f"{fill_down / range_call:6.1f}x the range call (scaled from {sample:,} cells)")
