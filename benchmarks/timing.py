"""Helpers for the benchmarks: medians of repeated timings, ratios against a baseline.

The machine is shared and noisy, so every figure is a median over repeats and is
reported as a ratio against a baseline measured in the same run.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Callable


def interleaved_medians(actions: dict[str, Callable[[], object]], repeat: int = 7,
                        warmup: int = 1) -> dict[str, float]:
    """Median time of each action, the actions taking turns so that noise hits all alike."""
    times = interleaved_times(actions, repeat, warmup)
    return {name: statistics.median(values) for name, values in times.items()}


def interleaved_times(actions: dict[str, Callable[[], object]], repeat: int = 7,
                      warmup: int = 1) -> dict[str, list[float]]:
    """Every time of each action (for medians and spreads), the actions taking turns."""
    for action in actions.values():
        for _ in range(warmup):
            action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            gc.collect()
            begin = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - begin)
    return times


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"
