"""The whole business over a horizon, at today's retention and at a better one (docs/methodology.md section 4, Model B)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem, RetentionInputError
from .validation import (ANY_NUMBER, COUNT, MONEY, RATE, RETENTION_BELOW_ONE, Bounds, choice,
                         finite_results, prepare, show)
from .value import UPLIFT_MODES, improved_rates

__all__ = ["project_profit", "ProjectionResult", "MAX_PERIODS"]

#: Longest horizon accepted: 100 years of months.
MAX_PERIODS = 1200
_PERIODS = Bounds(low=1.0, high=float(MAX_PERIODS), high_inclusive=True,
                 valid=f"a whole number of periods from 1 to {MAX_PERIODS}")


@dataclass(frozen=True)
class ProjectionResult:
    """The outcome of :func:`project_profit`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period (index ``period``, 1 to the horizon) with columns
        ``customers_baseline``, ``customers_improved``, ``customers_difference``,
        ``profit_baseline``, ``profit_improved``, ``profit_difference``: customers
        at the end of the period and its profit, at today's retention and at the
        improved one.
    retention_baseline, retention_improved : float
        The two retention rates projected.
    mode : str
        ``'points'`` or ``'relative'``: how the uplift was applied.
    uplift_input : float
        The uplift as given (0.05 is 5 points or 5% relative).
    total_baseline, total_improved : float
        Profit summed over the horizon.
    pv_baseline, pv_improved : float
        Present value of the profits at the discount rate (equal to the totals
        when the rate is 0).
    uplift : float or None
        ``pv_improved / pv_baseline - 1``; None when the baseline present value is
        not positive (a percentage would mean nothing: use the difference).
    """

    table: pd.DataFrame
    retention_baseline: float
    retention_improved: float
    mode: str
    uplift_input: float
    total_baseline: float
    total_improved: float
    pv_baseline: float
    pv_improved: float
    uplift: float | None

    @property
    def total_difference(self) -> float:
        """Extra profit over the horizon from the better retention."""
        return self.total_improved - self.total_baseline

    @property
    def pv_difference(self) -> float:
        """Extra present value from the better retention."""
        return self.pv_improved - self.pv_baseline

    @property
    def uplift_label(self) -> str:
        """How the improvement reads: ``'+5 points'`` or ``'+5% relative'``."""
        amount = show(round(self.uplift_input * 100, 6))
        sign = "+" if self.uplift_input >= 0 else ""
        return f"{sign}{amount} points" if self.mode == "points" else f"{sign}{amount}% relative"


def project_profit(customers: Any, retention: Any, new_customers: Any, margin: Any,
                   periods: Any = 12, uplift: Any = 0.05, mode: str = "points",
                   acquisition_cost: Any = 0.0, fixed_cost: Any = 0.0,
                   discount_rate: Any = 0.0) -> ProjectionResult:
    """Project customers and profit period by period, now and with better retention.

    Takes single numbers only (one business, one horizon), unlike the rate and
    value functions, which broadcast: call it once per scenario.

    Parameters
    ----------
    customers : float
        Customers now, 0 or more.
    retention : float
        Retention per period, a fraction from 0 up to but not including 1.
    new_customers : float
        New customers won each period, 0 or more.
    margin : float
        Margin per customer per period (may be negative).
    periods : int, optional
        Horizon in periods, 1 to 1200. Default 12.
    uplift : float, optional
        Improvement in retention (default 0.05).
    mode : {'points', 'relative'}, optional
        ``'points'`` (default) adds ``uplift``; ``'relative'`` multiplies
        retention by ``1 + uplift``.
    acquisition_cost : float, optional
        Cost of winning each new customer, 0 or more. Default 0.
    fixed_cost : float, optional
        Fixed cost per period, 0 or more. Default 0.
    discount_rate : float, optional
        Discount rate per period, 0 or more. Default 0.

    Returns
    -------
    ProjectionResult
        The per-period table, totals, present values and the uplift.

    Notes
    -----
    With customers now :math:`C_0`, retention :math:`r`, new customers :math:`n`,
    margin :math:`m`, acquisition cost CAC, fixed cost :math:`F` and discount
    rate :math:`d`, for :math:`t = 1 \\dots H`:

    .. math::
        B_0 = C_0, \\quad B_t = r\\,B_{t-1} + n, \\quad
        \\text{profit}_t = m\\,B_t - n\\,\\text{CAC} - F, \\quad
        \\text{PV} = \\sum_{t=1}^{H} \\frac{\\text{profit}_t}{(1 + d)^t}

    The same for the improved retention. Customers tend to the steady state
    :math:`n / (1 - r)`.

    Examples
    --------
    1,000 customers, 80% kept each year, 200 new a year at $150 each, $100
    margin a customer a year, $20,000 fixed costs: what do +5 points of
    retention add over 5 years?

    >>> import retention_xl as rx
    >>> result = rx.project_profit(1000, 0.80, 200, 100, periods=5,
    ...                            acquisition_cost=150, fixed_cost=20000)
    >>> round(result.total_baseline), round(result.total_improved)
    (250000, 311589)
    >>> round(result.uplift, 3)
    0.246
    >>> result.table.loc[1, ["customers_baseline", "customers_improved"]].tolist()
    [1000.0, 1050.0]
    """
    mode = choice(mode, "mode", UPLIFT_MODES)
    checks = {
        "customers": (customers, COUNT),
        "retention": (retention, RETENTION_BELOW_ONE),
        "new_customers": (new_customers, COUNT),
        "margin": (margin, ANY_NUMBER),
        "periods": (periods, _PERIODS),
        "uplift": (uplift, ANY_NUMBER),
        "acquisition_cost": (acquisition_cost, MONEY),
        "fixed_cost": (fixed_cost, MONEY),
        "discount_rate": (discount_rate, RATE),
    }
    inputs = prepare(checks)
    if not inputs.scalar:
        raise RetentionInputError(Problem(
            "input", "project_profit takes single numbers, not columns",
            "call it once per scenario"))
    horizon = float(inputs["periods"])
    if not horizon.is_integer():
        raise RetentionInputError(Problem(
            "periods", f"periods must be a whole number, got {show(horizon)}",
            f"enter a whole number of periods from 1 to {MAX_PERIODS}", "#NUM!"))
    horizon = int(horizon)
    base = float(inputs["retention"])
    better = float(improved_rates(inputs, mode))
    c0, n, m = float(inputs["customers"]), float(inputs["new_customers"]), float(inputs["margin"])
    cac, fixed, d = (float(inputs[f]) for f in ("acquisition_cost", "fixed_cost", "discount_rate"))

    with np.errstate(all="ignore"):  # overflow is refused below, with the inputs named
        customers_base = _customers(c0, base, n, horizon)
        customers_better = _customers(c0, better, n, horizon)
        profit_base = m * customers_base - n * cac - fixed
        profit_better = m * customers_better - n * cac - fixed
        discount = (1.0 + d) ** -np.arange(1, horizon + 1, dtype=float)

        table = pd.DataFrame(
            {
                "customers_baseline": customers_base,
                "customers_improved": customers_better,
                "customers_difference": customers_better - customers_base,
                "profit_baseline": profit_base,
                "profit_improved": profit_better,
                "profit_difference": profit_better - profit_base,
            },
            index=pd.RangeIndex(1, horizon + 1, name="period"),
        )
        pv_base = float(np.dot(profit_base, discount))
        pv_better = float(np.dot(profit_better, discount))
        sums = [profit_base.sum(), profit_better.sum(), pv_base, pv_better]
        every_number_finite = np.isfinite(table.to_numpy()).all() and np.isfinite(sums).all()
    # never inf or NaN in a table: refused with the inputs named
    finite_results(0.0 if every_number_finite else np.nan, inputs, "the profit over the horizon")
    return ProjectionResult(
        table=table,
        retention_baseline=base,
        retention_improved=better,
        mode=mode,
        uplift_input=float(inputs["uplift"]),
        total_baseline=float(profit_base.sum()),
        total_improved=float(profit_better.sum()),
        pv_baseline=pv_base,
        pv_improved=pv_better,
        uplift=pv_better / pv_base - 1.0 if pv_base > 0 else None,
    )


def _customers(start: float, retention: float, new: float, horizon: int) -> np.ndarray:
    """B_t = r B_(t-1) + n for t = 1..horizon.

    A recurrence over time, not over cells: it follows the template's
    formula step for step, so both round the same way.
    """
    out = np.empty(horizon)
    current = start
    for t in range(horizon):
        current = retention * current + new
        out[t] = current
    return out
