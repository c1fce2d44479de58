"""Widgets: time from a slider change to a finished chart frame, in the kernel.

Persistent chart: the widget's own path (core call, ``set_data`` on the kept
artists, PNG into the ``widgets.Image``). Recreated: the same numbers drawn on a
brand-new figure each time, what ``interact`` does. Median over 40 changes,
the two taking turns so that noise on the shared machine hits both alike.
Target: persistent median <= 50 ms and >= 2x faster than recreating.
"""

from __future__ import annotations

import itertools

import retention_xl as rx
from retention_xl import plots
from retention_xl.widgets import RetentionCalculator, WhatIf

from .timing import fmt_seconds, interleaved_medians

CHANGES = 40


def _stepper(values):
    cycle = itertools.cycle(values)
    return lambda: next(cycle)


def main() -> None:
    what_if = WhatIf()
    next_uplift = _stepper([x / 2 for x in range(1, 21)])  # 0.5 to 10 points

    def what_if_slider():
        what_if.uplift.slider.value = next_uplift()
        assert what_if.image.value  # the frame is there

    next_recreated = _stepper([x / 2 for x in range(1, 21)])

    def what_if_recreated():
        args = what_if.inputs() | {"uplift": next_recreated() / 100}
        plots.figure_png(plots.projection_figure(rx.project_profit(**args), "Year"))

    calculator = RetentionCalculator()
    next_end = _stepper(range(110, 128))

    def calculator_slider():
        calculator.end.slider.value = next_end()

    next_end_recreated = _stepper(range(110, 128))

    def calculator_recreated():
        counts = (107, next_end_recreated(), 21)
        rx.retention_rate(*counts), rx.churn_rate(*counts), rx.lost_customers(*counts)
        plots.figure_png(plots.customer_split_figure(*counts))

    for name, kept, recreated in (("what-if uplift slider", what_if_slider, what_if_recreated),
                                  ("calculator end slider", calculator_slider,
                                   calculator_recreated)):
        medians = interleaved_medians({"persistent": kept, "recreated": recreated},
                                      repeat=CHANGES, warmup=2)
        ratio = medians["recreated"] / medians["persistent"]
        verdict = "meets" if medians["persistent"] <= 0.050 and ratio >= 2 else "MISSES"
        print(f"{name}: persistent chart {fmt_seconds(medians['persistent'])}, "
              f"recreated {fmt_seconds(medians['recreated'])}, {ratio:.1f}x faster "
              f"({verdict} target <= 50 ms and >= 2x; median of {CHANGES} changes)")


if __name__ == "__main__":
    main()
