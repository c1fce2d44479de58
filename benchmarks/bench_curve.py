"""The retention curve fit (retention_xl/curve.py), against the fit a strong engineer would write.

Targets (issue 11): a joint fit of 36 monthly cohorts at most 20 ms and a fit of one
group of 12 periods at most 5 ms (medians); the RETENTION_FORECAST range call at most
2x the Python API call it wraps (fit + forecast).

Baseline: the textbook sBG fit, scipy.optimize.minimize (L-BFGS-B, numerical
gradient) from one start on the log-likelihood written with scipy.special.betaln,
as in Fader & Hardie's spreadsheet note. The machine is shared and noisy: every
figure is a median of interleaved runs, with the spread of the middle 80%.
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd

import retention_xl as rx

from .timing import fmt_seconds, interleaved_times

REPEAT = 41


def simulate(rng, customers: int, alpha: float, beta: float, periods: int) -> np.ndarray:
    chance = rng.beta(alpha, beta, customers)
    lifetime = rng.geometric(chance)
    return np.array([(lifetime > t).sum() for t in range(periods + 1)], dtype=float)


def cohort_table(rng, cohorts: int = 36) -> pd.DataFrame:
    """36 monthly cohorts of 300 to 3000 customers, the oldest seen for 35 months."""
    rows = []
    for k in range(cohorts):
        age = cohorts - 1 - k
        row = np.full(cohorts, np.nan)
        row[:age + 1] = simulate(rng, int(rng.integers(300, 3000)), 0.8, 2.6, age)
        rows.append(row)
    return pd.DataFrame(rows, index=pd.period_range("2023-01", periods=cohorts, freq="M"))


def textbook_fit(groups: list[np.ndarray]):
    """What one would write by hand: betaln likelihood, L-BFGS-B from (1, 1)."""
    from scipy.optimize import minimize
    from scipy.special import betaln

    def minus_log_likelihood(u):
        a, b = np.exp(u)
        total = 0.0
        for counts in groups:
            t = np.arange(1, len(counts))
            lost = counts[:-1] - counts[1:]
            total += np.sum(lost * (betaln(a + 1, b + t - 1) - betaln(a, b)))
            total += counts[-1] * (betaln(a, b + len(counts) - 1) - betaln(a, b))
        return -total

    result = minimize(minus_log_likelihood, np.zeros(2), method="L-BFGS-B")
    return np.exp(result.x)


def spread(values: list[float]) -> str:
    low, high = np.percentile(values, [10, 90])
    return f"{fmt_seconds(low)} to {fmt_seconds(high)}"


def main() -> None:
    from retention_xl.excel import functions as xl

    rng = np.random.default_rng(11)
    table = cohort_table(rng)
    group = simulate(rng, 2000, 0.8, 2.6, 12)
    groups = [row[~np.isnan(row)] for row in table.to_numpy()]
    cells = [[float(v)] for v in group]

    times = interleaved_times(repeat=REPEAT, actions={
        "rx.fit_retention_curve, 36 cohorts": lambda: rx.fit_retention_curve(table),
        "textbook scipy fit, 36 cohorts": lambda: textbook_fit(groups),
        "rx.fit_retention_curve, 1 group x 12": lambda: rx.fit_retention_curve(group),
        "textbook scipy fit, 1 group x 12": lambda: textbook_fit([group]),
        "API fit + forecast(12), 1 group": lambda: rx.fit_retention_curve(group).forecast(12),
        "=RETENTION_FORECAST(range, 12)": lambda: xl.RETENTION_FORECAST(cells, 12.0),
    })
    medians = {name: statistics.median(values) for name, values in times.items()}

    ours, textbook = rx.fit_retention_curve(table), textbook_fit(groups)
    print(f"joint fit: alpha {ours.alpha:.4f} beta {ours.beta:.4f} (textbook: {textbook[0]:.4f} "
          f"{textbook[1]:.4f}); simulated with 0.8, 2.6")
    print(f"median of {REPEAT} interleaved runs (middle 80% of runs in brackets)")
    for name, seconds in medians.items():
        print(f"  {name:<40} {fmt_seconds(seconds):>9}   ({spread(times[name])})")
    joint = medians["rx.fit_retention_curve, 36 cohorts"]
    one = medians["rx.fit_retention_curve, 1 group x 12"]
    excel = medians["=RETENTION_FORECAST(range, 12)"] / medians["API fit + forecast(12), 1 group"]
    print(f"  vs textbook: joint {medians['textbook scipy fit, 36 cohorts'] / joint:.1f}x faster, "
          f"one group {medians['textbook scipy fit, 1 group x 12'] / one:.1f}x faster")
    print(f"target: joint fit of 36 cohorts <= 20 ms -> {fmt_seconds(joint)}: {'met' if joint <= 0.020 else 'NOT met'}")
    print(f"target: one group of 12 periods <= 5 ms -> {fmt_seconds(one)}: {'met' if one <= 0.005 else 'NOT met'}")
    print(f"target: RETENTION_FORECAST <= 2x the API call -> {excel:.2f}x: {'met' if excel <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
