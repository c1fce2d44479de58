"""The retention curve of a group of customers: the shifted-beta-geometric model.

Customers differ: some are likely to leave, others hardly ever leave. The
likely leavers go first, so the retention of a group rises with tenure, and a
projection at one constant rate understates how many stay and what a customer
is worth. Fader and Hardie's shifted-beta-geometric (sBG) model captures this
with two numbers, ``alpha`` and ``beta``, fitted to a group's history by
maximum likelihood. The maths, with citations, is in ``docs/curve.md``.

scipy is imported inside the functions that need it, so that
``import retention_xl`` loads only numpy and pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem, RetentionInputError
from .validation import (ANY_NUMBER, COUNT, MONEY, RATE, Bounds, collect, all_problems, convert,
                         raise_if, show)

__all__ = ["RetentionCurve", "fit_retention_curve"]

LABEL = "active customers"

#: The search keeps alpha + beta between twice these (and |ln(alpha / beta)| <= 25). A group
#: with no visible differences between customers pushes alpha + beta towards infinity (the
#: constant-rate limit); 2e7 is far enough that retention is constant to 6 digits over
#: thousands of periods.
PARAMETER_BOUNDS = (1e-4, 1e7)

PERIOD_OF_TENURE = Bounds(low=1.0, valid="a period of 1 or more",
                         note="retention is defined for periods 1, 2, 3, ...")
#: Up to this alpha + beta scipy's hyp2f1 agrees with the series to 1e-12 (tests/test_curve.py).
_HYP2F1_UP_TO = 1e4

HORIZON = Bounds(low=1.0, valid="a whole number of periods, 1 or more",
                note="leave it out (None) for the whole life of the customer")


# --------------------------------------------------------------------------- the curve
@dataclass(frozen=True)
class RetentionCurve:
    """A fitted shifted-beta-geometric retention curve (see ``docs/curve.md``).

    Attributes
    ----------
    alpha, beta : float
        The two parameters of the beta distribution of the customers' chance of
        leaving in a period. Their mean ``alpha / (alpha + beta)`` is the churn
        of the first period; the smaller ``alpha + beta``, the more customers
        differ and the faster retention rises with tenure.
    log_likelihood : float
        Log-likelihood of the counts at the fitted parameters (NaN when the
        curve was built from parameters rather than fitted).
    periods_fitted : int
        The longest history in the data: periods after the start (0 when built
        from parameters).
    start : float
        Customers at the start, all groups together (the size the forecast
        scales to; 1 when built from parameters).
    observed : tuple of float
        Observed active customers at the start and after each period, all
        groups together: the start times the product of the pooled retention
        of each period (for one group, its counts).
    constant_retention : float
        The one retention rate that best fits the same counts if every customer
        were alike (the constant-rate model's maximum likelihood: customers kept
        over customers at risk, summed over all periods and groups). What a
        constant-rate valuation of a new customer would use. NaN when built from
        parameters.
    """

    alpha: float
    beta: float
    log_likelihood: float = math.nan
    periods_fitted: int = 0
    start: float = 1.0
    observed: tuple = field(default=(), repr=False)
    constant_retention: float = math.nan

    # ---- the model
    def survival(self, periods: Any):
        """Share of the group still active after ``periods`` periods.

        Parameters
        ----------
        periods : scalar or array_like
            Periods since the start, 0 or more (1 at 0).

        Returns
        -------
        float, ndarray or Series
            The share still active, from 0 to 1, in the shape of ``periods``.

        Notes
        -----
        .. math:: S(t) = \\frac{B(\\alpha, \\beta + t)}{B(\\alpha, \\beta)}

        Examples
        --------
        A curve with alpha 0.7 and beta 2.5: how many of 1000 customers are
        still there after 1 and 12 periods?

        >>> import retention_xl as rx
        >>> curve = rx.RetentionCurve(alpha=0.7, beta=2.5)
        >>> (1000 * curve.survival([1, 12])).round(1)
        array([781.2, 282.5])
        """
        inputs = collect({"periods": (periods, COUNT)})
        raise_if(all_problems(inputs, {"periods": (periods, COUNT)}))
        result = np.exp(self._log_survival(np.asarray(inputs["periods"], dtype=float)))
        return inputs.wrap(np.asarray(result, dtype=float), "survival")

    def retention(self, periods: Any):
        """Retention in period ``t``: the share of those active at its start who stay through it.

        Parameters
        ----------
        periods : scalar or array_like
            The period of tenure, 1 or more (1 is the first period after the start).

        Returns
        -------
        float, ndarray or Series
            Retention as a fraction, rising with tenure.

        Notes
        -----
        .. math:: r(t) = \\frac{S(t)}{S(t - 1)} = \\frac{\\beta + t - 1}{\\alpha + \\beta + t - 1}

        Examples
        --------
        How does retention change between the first and the twelfth period?

        >>> import retention_xl as rx
        >>> curve = rx.RetentionCurve(alpha=0.7, beta=2.5)
        >>> curve.retention([1, 12]).round(4)
        array([0.7812, 0.9507])
        """
        checks = {"periods": (periods, PERIOD_OF_TENURE)}
        inputs = collect(checks)
        raise_if(all_problems(inputs, checks))
        t = inputs["periods"]
        return inputs.wrap(np.asarray((self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0),
                                      dtype=float), "retention")

    def customer_value(self, margin: Any, discount_rate: Any = 0.0, acquisition_cost: Any = 0.0,
                       horizon: Any = None):
        """Present value of one new customer of this group, under the curve.

        The convention of :func:`retention_xl.customer_value`: the margin of a
        period is received at its end, for each period the customer started.

        Parameters
        ----------
        margin : scalar or array_like
            Margin from the customer in each period it stays (may be negative).
        discount_rate : scalar or array_like, optional
            Discount rate per period, 0 or more (0.1 for 10%). Default 0.
        acquisition_cost : scalar or array_like, optional
            Cost of winning the customer, 0 or more. Default 0.
        horizon : scalar or array_like, optional
            Count margins for this many periods only (whole number, 1 or more).
            Default None: the whole life of the customer.

        Returns
        -------
        float, ndarray or Series
            Value of one new customer, in the currency of ``margin``.

        Raises
        ------
        RetentionInputError
            For bad inputs, and when the value is infinite: with no discount
            and no horizon, a curve with ``alpha <= 1`` keeps so many customers
            for so long that the margins add up without end.

        Notes
        -----
        With :math:`x = 1 / (1 + d)`:

        .. math:: \\text{value} = m \\sum_{t \\ge 1} S(t - 1)\\, x^t - \\text{CAC}
                  = m\\, x\\; {}_2F_1(1, \\beta; \\alpha + \\beta; x) - \\text{CAC}

        and with :math:`d = 0` and :math:`\\alpha > 1` the sum is the expected
        lifetime :math:`(\\alpha + \\beta - 1) / (\\alpha - 1)`. For a constant
        retention :math:`r` this is :math:`m / (1 + d - r)`, the value of
        :func:`retention_xl.customer_value`. Derivation in ``docs/curve.md``.

        Examples
        --------
        $100 of margin a period, 10% discount per period, $150 to win a
        customer: what is a new customer worth under the curve?

        >>> import retention_xl as rx
        >>> curve = rx.RetentionCurve(alpha=0.7, beta=2.5)
        >>> round(curve.customer_value(100, discount_rate=0.10, acquisition_cost=150), 2)
        304.08

        The same customer at a constant 78.1%, the first period's retention, is
        worth about half as much:

        >>> round(rx.customer_value(100, curve.retention(1), 0.10, 150), 2)
        163.73
        """
        checks = {"margin": (margin, ANY_NUMBER), "discount_rate": (discount_rate, RATE),
                  "acquisition_cost": (acquisition_cost, MONEY)}
        if horizon is not None:
            checks["horizon"] = (horizon, HORIZON)
        inputs = collect(checks)
        problems = all_problems(inputs, checks)
        if horizon is not None and not problems:
            problems = _whole_problems(inputs, "horizon")
        raise_if(problems)
        m, d, cost = inputs["margin"], inputs["discount_rate"], inputs["acquisition_cost"]
        if horizon is None:
            raise_if(self._infinite_problems(inputs))
            per_margin = self._lifetime_factor(np.broadcast_to(d, inputs.shape))
        else:
            d_b, h_b = np.broadcast_arrays(d, inputs["horizon"])
            per_margin = self._horizon_factor(d_b, h_b)
        per_margin = np.broadcast_to(per_margin, inputs.shape)
        return inputs.wrap(np.asarray(m * per_margin - cost, dtype=float), "value")

    def _infinite_problems(self, inputs) -> list[Problem]:
        if self.alpha > 1:
            return []
        d = np.broadcast_to(inputs["discount_rate"], inputs.shape)
        problems = []
        for position in (zip(*np.nonzero(d == 0)) if d.ndim else ([()] if d == 0 else [])):
            position = tuple(int(p) for p in position)
            loc = None if inputs.scalar else position
            problems.append(Problem(
                "discount_rate",
                f"with no discount rate and no horizon a customer is worth an infinite amount: "
                f"the curve (alpha {show(round(self.alpha, 4))}, at most 1) keeps enough "
                "customers for so long that their margins add up without end",
                "give a discount rate (0.1 for 10% per period) or a horizon in periods",
                "#NUM!", loc, None if loc is None else inputs.label(position)))
        return problems

    def _lifetime_factor(self, d: np.ndarray) -> np.ndarray:
        """sum over t >= 1 of S(t - 1) / (1 + d)^t, by the closed forms (docs/curve.md)."""
        from scipy.special import hyp2f1

        a, b = self.alpha, self.beta
        d = np.asarray(d, dtype=float)
        x = 1.0 / (1.0 + d)
        with np.errstate(all="ignore"):
            lifetime = (a + b - 1.0) / (a - 1.0) if a > 1 else math.inf  # d = 0 (docs/curve.md)
            factor = np.where(d > 0, x * hyp2f1(1.0, b, a + b, x), lifetime)
        # hyp2f1 loses digits for large alpha + beta (checked against the series in the tests)
        # and converges slowly as x nears 1: there the series is summed term by term
        doubtful = (d > 0) & (~np.isfinite(factor) | (d < 1e-3) | (a + b > _HYP2F1_UP_TO))
        if np.any(doubtful):
            factor = np.array(factor, dtype=float, copy=True)
            factor[doubtful] = [self._series(float(v)) for v in d[doubtful]]
        return factor

    def _series(self, d: float) -> float:
        """The discounted sum term by term until the terms no longer count (d > 0)."""
        log_x = -math.log1p(d)
        total, block, first, log_s = 0.0, 1024, 1, 0.0
        while True:
            i = np.arange(first - 1, first - 1 + block, dtype=float)  # t - 1
            steps = np.log1p(-self.alpha / (self.alpha + self.beta + i))  # ln r(t), t = i + 1
            log_s_before = log_s + np.concatenate([[0.0], np.cumsum(steps[:-1])])  # ln S(t - 1)
            terms = np.exp(log_s_before + (i + 1.0) * log_x)
            total += math.fsum(terms)
            if terms[-1] <= 1e-17 * total or first > 100_000_000:
                return total
            log_s = log_s_before[-1] + steps[-1]
            first += block
            block *= 2

    def _log_survival(self, t: np.ndarray) -> np.ndarray:
        """ln S(t): summed retention by retention for whole t (exact also for huge alpha and beta),
        by beta functions otherwise."""
        t = np.asarray(t, dtype=float)
        if t.size and np.all(t == np.floor(t)) and np.max(t) <= 1_000_000:
            i = np.arange(int(np.max(t)), dtype=float)
            table = np.concatenate([[0.0], np.cumsum(np.log1p(-self.alpha / (self.alpha + self.beta + i)))])
            return table[t.astype(np.int64)]
        from scipy.special import betaln

        return betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta)

    def _horizon_factor(self, d: np.ndarray, horizon: np.ndarray) -> np.ndarray:
        """sum over t = 1..horizon of S(t - 1) / (1 + d)^t, summed term by term."""
        longest = int(np.max(horizon)) if horizon.size else 0
        t = np.arange(1, longest + 1, dtype=float)
        survival = np.exp(self._log_survival(t - 1.0))
        out = np.empty(d.shape)
        flat_d, flat_h, flat_out = d.ravel(), horizon.ravel(), out.reshape(-1)
        for rate in np.unique(flat_d):
            cumulative = np.cumsum(survival / (1.0 + rate) ** t)
            where = flat_d == rate
            flat_out[where] = cumulative[flat_h[where].astype(np.int64) - 1]
        return out

    @property
    def last_retention(self) -> float:
        """The observed retention of the last observed period: what a constant-rate projection uses.

        NaN for a curve built from its parameters, or when nobody was active at
        the start of that period.
        """
        if len(self.observed) < 2 or not self.observed[-2] > 0:
            return math.nan
        return self.observed[-1] / self.observed[-2]

    # ---- the forecast
    def forecast(self, periods_ahead: Any = 12) -> pd.DataFrame:
        """The group period by period: observed, fitted and projected, beside a constant rate.

        Parameters
        ----------
        periods_ahead : int, optional
            Periods to project beyond the last observed one (whole number, 0 or
            more). Default 12.

        Returns
        -------
        DataFrame
            One row per period from 0 to the last observed period plus
            ``periods_ahead``, columns ``period``, ``observed_active``,
            ``fitted_active`` (the curve over the observed periods),
            ``projected_active`` (the curve after them), ``survival``,
            ``retention`` (the curve's, NaN at period 0), ``observed_retention``
            (observed active over those of the period before) and
            ``constant_retention_active`` (from the last observed period on, at
            that period's observed retention :attr:`last_retention`, as a
            constant-rate projection would assume).

        Examples
        --------
        1000 customers at the start, 700, 550, 470 and 415 still active after
        one to four periods: where are they heading?

        >>> import retention_xl as rx
        >>> curve = rx.fit_retention_curve([1000, 700, 550, 470, 415])
        >>> table = curve.forecast(periods_ahead=8)
        >>> table.loc[12, ["projected_active", "constant_retention_active"]].round(0)
        projected_active             235.0
        constant_retention_active    153.0
        Name: 12, dtype: float64
        """
        if not self.observed:
            raise RetentionInputError(Problem(
                "curve", "this curve was built from its parameters, not fitted to counts, "
                "so there is nothing observed to forecast from",
                "fit it with fit_retention_curve(active), or use survival() and retention()"))
        ahead = _whole_count(periods_ahead, "periods_ahead")
        last = len(self.observed) - 1
        period = np.arange(last + ahead + 1)
        survival = np.asarray(self.survival(period.astype(float)), dtype=float)
        fitted = self.start * survival
        observed = np.full(period.shape, np.nan)
        observed[:last + 1] = self.observed
        retention = np.full(period.shape, np.nan)
        retention[1:] = self.retention(period[1:].astype(float))
        observed_retention = np.full(period.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            observed_retention[1:last + 1] = np.divide(observed[1:last + 1], observed[:last])
        constant = np.full(period.shape, np.nan)
        constant[last:] = self.observed[last] * self.last_retention ** (period[last:] - last)
        return pd.DataFrame({
            "period": period,
            "observed_active": observed,
            "fitted_active": np.where(period <= last, fitted, np.nan),
            "projected_active": np.where(period > last, fitted, np.nan),
            "survival": survival,
            "retention": retention,
            "observed_retention": observed_retention,
            "constant_retention_active": constant,
        }, index=pd.RangeIndex(len(period), name="period")).rename_axis(None)


def _whole_count(value: Any, name: str) -> int:
    checks = {name: (value, COUNT)}
    inputs = collect(checks)
    problems = all_problems(inputs, checks) or _whole_problems(inputs, name)
    if not problems and not inputs.scalar:
        problems = [Problem(name, f"{name.replace('_', ' ')} must be one number", "give a single whole number")]
    raise_if(problems)
    return int(inputs[name])


def _whole_problems(inputs, name: str) -> list[Problem]:
    values = np.broadcast_to(inputs[name], inputs.args[name].values.shape)
    bad = values != np.floor(values)
    problems = []
    for position in (zip(*np.nonzero(bad)) if bad.ndim else ([()] if bad else [])):
        position = tuple(int(p) for p in position)
        loc = None if inputs.args[name].scalar else position
        problems.append(Problem(name, f"{name.replace('_', ' ')} must be a whole number of periods, "
                                      f"got {show(float(values[position]))}",
                                "give 1, 2, 3, ...", "#NUM!", loc,
                                None if loc is None else inputs.label(position)))
    return problems


# --------------------------------------------------------------------------- reading the counts
@dataclass
class _Counts:
    values: np.ndarray       # groups x periods, NaN after each group's last count
    ages: np.ndarray         # last observed period of each group (-1: no count)
    rows: list               # group labels
    columns: list            # period labels
    table: bool              # True for a cohort table, False for one group


def _read_counts(active: Any) -> _Counts:
    """Convert and check the counts: one group (1-D) or a cohort table (2-D)."""
    if isinstance(active, pd.DataFrame):
        rows, columns = list(active.index), list(active.columns)
        numeric = all(kind in "iuf" for kind in active.dtypes.map(lambda t: t.kind))
        raw = active.to_numpy(dtype=float if numeric else object)
        table = True
    else:
        if isinstance(active, pd.Series):
            raw = active.to_numpy(dtype=float if active.dtype.kind in "iuf" else object)
        elif isinstance(active, (list, tuple, np.ndarray)):
            rows_given = [r for r in active if isinstance(r, (list, tuple, np.ndarray))]
            if rows_given and len(rows_given) == len(active) and len(set(map(len, rows_given))) > 1:
                width = max(map(len, rows_given))  # ragged rows: a young group has fewer counts
                raw = np.array([list(r) + [None] * (width - len(r)) for r in rows_given], dtype=object)
            else:  # lists as objects: a True or a "12" among numbers stays what it was typed as
                raw = np.asarray(active, dtype=None if isinstance(active, np.ndarray) else object)
        else:
            raise RetentionInputError(Problem(
                "active", f"{LABEL} must be a list of counts, got a single value {active!r}",
                "give the customers at the start and after each period, e.g. [1000, 700, 550, 470]"))
        table = raw.ndim == 2
        if raw.ndim not in (1, 2):
            raise RetentionInputError(Problem("active", f"{LABEL} must be a list or a table of counts",
                                              "give one group's counts or a table, one row per group"))
        rows = list(range(raw.shape[0])) if table else [0]
        columns = list(range(raw.shape[-1]))
        if isinstance(active, pd.Series):
            columns = list(active.index)
    if raw.size == 0:
        raise RetentionInputError(Problem("active", f"{LABEL} is empty",
                                          "give the customers at the start and after each period"))
    values_2d = raw if table else raw.reshape(1, -1)
    converted = convert(values_2d, "active")
    values = converted.values
    problems: list[Problem] = []

    def place(i: int, j: int, clause: str, hint: str, excel: str) -> Problem:
        where = f"{clause} in period {_name(columns[j])}"
        if table:
            return Problem("active", where, hint, excel, (i, j), rows[i])
        return Problem("active", where, hint, excel, (j,), columns[j])

    blank = np.isnan(values)
    # a blank is "too young" only after a group's last count, and only in a table
    has_later = np.flip(np.cumsum(np.flip(~blank, axis=1), axis=1), axis=1) > 0
    counted = (~blank).sum(axis=1)
    ages = np.where(counted > 0, np.where(~blank, np.arange(values.shape[1]), -1).max(axis=1), -1)
    for p in converted.problems:
        i, j = p.position
        if p.clause.endswith("is blank") and table and not has_later[i, j]:
            continue
        clause = p.clause
        if p.clause.endswith("is blank"):
            clause = f"{LABEL} is blank" + (" before later counts" if table else "")
        problems.append(place(i, j, clause, _blank_hint(table) if "blank" in clause else p.hint,
                              p.excel_error))
    bad = np.zeros(values.shape, dtype=bool)
    for p in converted.problems:
        bad[p.position] = True
    for i, j in zip(*np.nonzero(blank & has_later & ~bad)):
        problems.append(place(i, j, f"{LABEL} is blank" + (" before later counts" if table else ""),
                              _blank_hint(table), "#VALUE!"))
        bad[i, j] = True
    if not table and blank.any() and not problems:  # pragma: no cover - every 1-D blank is caught
        raise AssertionError
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values) & ~bad
        negative = (values < 0) & ~bad & ~infinite
    for i, j in zip(*np.nonzero(infinite)):
        problems.append(place(i, j, f"{LABEL} must be a finite count, got {show(values[i, j])}",
                              "enter a count of 0 or more", "#NUM!"))
    for i, j in zip(*np.nonzero(negative)):
        problems.append(place(i, j, f"{LABEL} cannot be negative, got {show(values[i, j])}",
                              "enter a count of 0 or more", "#NUM!"))
    bad |= infinite | negative
    for i in range(values.shape[0]):
        if bad[i].any():
            continue
        row = values[i, :ages[i] + 1]
        if ages[i] < 0:
            problems.append(Problem("active", "a group has no counts" if table else f"{LABEL} is empty",
                                    "give the customers at the start and after each period",
                                    "#VALUE!", (i, 0) if table else None, rows[i] if table else None))
            continue
        if row[0] == 0:
            problems.append(place(i, 0, f"the first count of {LABEL} (the customers at the start) is 0",
                                  "a group needs customers at the start; leave out empty groups",
                                  "#DIV/0!"))
            continue
        if not table and len(row) < 2:
            problems.append(Problem(
                "active", f"{LABEL} has fewer than two counts (got {len(row)})",
                "give the customers at the start and at the end of at least two periods, "
                "e.g. [1000, 700, 550]", "#VALUE!"))
            continue
        rises = np.nonzero(_rises(row))[0]
        for j in rises + 1:
            problems.append(place(i, j, f"{LABEL} rise from {show(row[j - 1])} in period "
                                        f"{_name(columns[j - 1])} to {show(row[j])}",
                                  "a group's count can only stay or fall: count the customers of the "
                                  "starting group still active, without new or returning customers",
                                  "#NUM!"))
    raise_if(problems)
    return _Counts(values, ages, rows, columns, table)


def _name(label: Any) -> str:
    return show(label) if isinstance(label, (int, float, np.integer, np.floating)) else str(label)


def _blank_hint(table: bool) -> str:
    if table:
        return ("enter a number (a blank is never read as 0); blanks may only follow a group's "
                "last count, where the group is too young")
    return "enter a number (a blank is never read as 0)"


def _rises(row: np.ndarray) -> np.ndarray:
    """Where a count is above the one before, by more than a spreadsheet's 15 digits."""
    before, after = row[:-1], row[1:]
    return (after > before) & ~np.isclose(after, before, rtol=1e-15, atol=0.0)


# --------------------------------------------------------------------------- the fit
def _summaries(counts: _Counts) -> tuple[np.ndarray, np.ndarray]:
    """Losses in each period and survivors censored at each period, all groups together."""
    values, ages = counts.values, counts.ages
    longest = int(ages.max())
    filled = np.nan_to_num(values[:, :longest + 1])
    observed = np.arange(1, longest + 1)[None, :] <= ages[:, None]
    lost = np.where(observed, filled[:, :-1] - filled[:, 1:], 0.0).sum(axis=0)
    censored = np.zeros(longest)
    aged = ages >= 1
    np.add.at(censored, ages[aged] - 1, filled[aged, ages[aged]])
    return lost, censored


def _pooled_observed(counts: _Counts) -> tuple[float, np.ndarray]:
    """Start and observed active of all groups: start times the product of pooled retentions."""
    values, ages = counts.values, counts.ages
    longest = int(ages.max())
    filled = np.nan_to_num(values[:, :longest + 1])
    start = float(filled[ages >= 0, 0].sum())
    active = np.empty(longest + 1)
    active[0] = start
    for t in range(1, longest + 1):
        seen = ages >= t
        before = filled[seen, t - 1].sum()
        active[t] = active[t - 1] * (filled[seen, t].sum() / before) if before > 0 else 0.0
    return start, active


def _identify(counts: _Counts, lost: np.ndarray, censored: np.ndarray) -> None:
    """Refuse data from which no curve can be told apart (docs/curve.md, "What the data must show")."""
    where = ("no group has counts for two periods" if counts.table
             else f"{LABEL} cover one period only (two counts)")
    if len(lost) < 2:
        raise RetentionInputError(Problem(
            "active", f"{where}, so retention cannot be projected from it: one period shows "
            "one retention rate, not how retention changes with tenure",
            "give the customers at the start and at the end of at least two periods, e.g. [1000, 700, 550]",
            "#NUM!"))
    if lost.sum() <= 0:
        raise RetentionInputError(Problem(
            "active", "no customer left in any period, so retention cannot be projected from it "
            "(the counts never fall)", "a curve needs at least one customer lost", "#NUM!"))
    if lost[1:].sum() + censored.sum() <= 0:
        raise RetentionInputError(Problem(
            "active", "every customer left in the first period, so retention cannot be projected "
            "from it (nobody was active after period 1)",
            "a curve needs customers who stayed past the first period", "#NUM!"))


def _log_likelihood(log_alpha, log_beta, lost, censored):
    """Log-likelihood at (ln alpha, ln beta); works on grids by broadcasting.

    With a = alpha, b = beta: ln S(t) = sum over i < t of ln((b + i) / (a + b + i))
    and ln P(t) = ln a - ln(a + b + t - 1) + ln S(t - 1).
    """
    a = np.exp(np.asarray(log_alpha, dtype=float))[..., None]
    b = np.exp(np.asarray(log_beta, dtype=float))[..., None]
    i = np.arange(len(lost), dtype=float)
    ab = a + b + i
    log_s = np.cumsum(np.log(b + i) - np.log(ab), axis=-1)
    return ((np.log(a) - np.log(ab) + _shift(log_s)) * lost).sum(axis=-1) \
        + (log_s * censored).sum(axis=-1)


def _with_derivatives(log_alpha: float, log_beta: float, lost: np.ndarray, censored: np.ndarray):
    """One point: value, gradient and Hessian in (ln alpha, ln beta), by weighted sums.

    A loss in period t weighs on ln S(t - 1) and a survivor censored at t on
    ln S(t), so the weights of ln S's terms are cumulated once from the end.
    """
    a, b = math.exp(log_alpha), math.exp(log_beta)
    i = np.arange(len(lost), dtype=float)
    ab = a + b + i
    inv, inv_b = 1.0 / ab, 1.0 / (b + i)
    # weight of term i of ln S: censored at t >= i + 1 plus lost at t >= i + 2
    after = np.cumsum((censored + np.concatenate((lost[1:], [0.0])))[::-1])[::-1]
    n_lost = float(lost.sum())
    value = n_lost * math.log(a) - float(lost @ np.log(ab)) + float(after @ (np.log(b + i) - np.log(ab)))
    g_a = n_lost / a - float(lost @ inv) - float(after @ inv)
    g_b = -float(lost @ inv) + float(after @ (inv_b - inv))
    inv2 = inv * inv
    both = float((lost + after) @ inv2)
    h_aa = -n_lost / (a * a) + both
    h_bb = both - float(after @ (inv_b * inv_b))
    # in ln a, ln b: gradient (a g_a, b g_b), Hessian entries (aa, ab, bb)
    return (value, (a * g_a, b * g_b),
            (a * a * h_aa + a * g_a, a * b * both, b * b * h_bb + b * g_b))


def _shift(values: np.ndarray) -> np.ndarray:
    """values[t - 1] for t = 1..T, with 0 for t = 1 (ln S(0) = 0 and its derivatives)."""
    return np.concatenate([np.zeros(values.shape[:-1] + (1,)), values[..., :-1]], axis=-1)


# The search runs in m = ln(alpha / beta), the log-odds of the first period's churn, which the
# data pin down sharply, and s = ln(alpha + beta), how much customers differ, which they may
# hardly pin down at all: the likelihood's long ridge (towards the constant-rate limit) then
# lies along s instead of across both axes, where a coarse grid and a Newton step miss it.
_S_LOW, _S_HIGH = math.log(2 * PARAMETER_BOUNDS[0]), math.log(2 * PARAMETER_BOUNDS[1])
_M_LIMIT = 25.0
_S_GRID = np.linspace(_S_LOW, _S_HIGH, 24)
_M_OFFSETS = np.array([-3.0, -1.5, -0.6, -0.2, 0.0, 0.2, 0.6, 1.5, 3.0])


def _alpha_beta(m: float, s: float) -> tuple[float, float]:
    """ln alpha and ln beta from m = ln(alpha / beta) and s = ln(alpha + beta)."""
    log_p = -math.log1p(math.exp(-m)) if m > -30 else m  # ln sigmoid(m), without overflow
    log_q = log_p - m                                     # ln sigmoid(-m)
    return s + log_p, s + log_q


def _in_m_s(m: float, s: float, lost, censored):
    """Value, gradient and Hessian of the log-likelihood in (m, s), by the chain rule."""
    u, v = _alpha_beta(m, s)
    value, (g_u, g_v), (h_uu, h_uv, h_vv) = _with_derivatives(u, v, lost, censored)
    p, q = math.exp(u - s), math.exp(v - s)  # alpha / (alpha + beta), beta / (alpha + beta)
    gradient = (q * g_u - p * g_v, g_u + g_v)
    h_mm = q * q * h_uu - 2 * p * q * h_uv + p * p * h_vv - p * q * (g_u + g_v)
    h_ms = q * (h_uu + h_uv) - p * (h_uv + h_vv)
    h_ss = h_uu + 2 * h_uv + h_vv
    return value, gradient, (h_mm, h_ms, h_ss)


def _climb(start: tuple[float, float], lost: np.ndarray, censored: np.ndarray):
    """Newton ascent in (m, s), damped (Levenberg-Marquardt) where the surface is not concave
    or a full step would not climb, and kept inside the bounds (plain floats: 2 x 2)."""
    x = start
    value, gradient, hessian = _in_m_s(x[0], x[1], lost, censored)
    damping = 0.0
    tolerance = 1e-13 * max(abs(value), 1.0)
    for _ in range(300):
        h00, h01, h11 = -hessian[0], -hessian[1], -hessian[2]  # positive definite near a top
        if damping == 0.0 and not (h00 > 0 and h00 * h11 - h01 * h01 > 0):
            damping = 1e-3
        m00, m11 = h00 + damping * max(abs(h00), 1e-12), h11 + damping * max(abs(h11), 1e-12)
        det = m00 * m11 - h01 * h01
        if not det > 0:
            damping = max(damping * 10.0, 1e-3)
            if damping > 1e12:
                break
            continue
        g0, g1 = gradient
        trial = (min(max(x[0] + (m11 * g0 - h01 * g1) / det, -_M_LIMIT), _M_LIMIT),
                 min(max(x[1] + (m00 * g1 - h01 * g0) / det, _S_LOW), _S_HIGH))
        trial_value, trial_gradient, trial_hessian = _in_m_s(trial[0], trial[1], lost, censored)
        if math.isfinite(trial_value) and trial_value >= value:
            # a full Newton step that promised almost nothing: the top (a damped step's
            # small promise says nothing, it is short on purpose)
            converged = damping == 0.0 and g0 * (trial[0] - x[0]) + g1 * (trial[1] - x[1]) <= tolerance
            moved = max(abs(trial[0] - x[0]), abs(trial[1] - x[1]))
            x, value, gradient, hessian = trial, trial_value, trial_gradient, trial_hessian
            damping = 0.0 if damping < 1e-2 else damping / 10.0
            if converged or moved < 1e-13:
                break
        else:
            damping = max(damping * 10.0, 1e-3)
            if damping > 1e12:
                break
    return x, value


def _maximise(lost: np.ndarray, censored: np.ndarray) -> tuple[float, float, float]:
    # centre the grid's m on the observed first-period churn (its estimate when s is large)
    at_risk = float((lost + censored).sum())
    churn = min(max(float(lost[0]) / at_risk, 1e-10), 1 - 1e-10)
    m_grid = np.clip(math.log(churn / (1 - churn)) + _M_OFFSETS, -_M_LIMIT, _M_LIMIT)
    grid_m, grid_s = np.meshgrid(m_grid, _S_GRID, indexing="ij")
    log_p = -np.log1p(np.exp(-grid_m))
    values = _log_likelihood(grid_s + log_p, grid_s + log_p - grid_m, lost, censored)
    # the best grid points, a few cells apart, each climbed: the likelihood can have a long
    # flat ridge on which one start could stall
    starts: list[np.ndarray] = []
    for flat in np.argsort(values, axis=None)[::-1]:
        point = np.array(np.unravel_index(flat, values.shape))
        if all(np.abs(point - s).max() > 2 for s in starts):
            starts.append(point)
        if len(starts) == 3:
            break
    best, best_value = None, -math.inf
    for point in starts:
        x, value = _climb((float(grid_m[tuple(point)]), float(grid_s[tuple(point)])), lost, censored)
        if value > best_value:
            best, best_value = x, value
    u, v = _alpha_beta(*best)
    return math.exp(u), math.exp(v), best_value


def fit_retention_curve(active: Any) -> RetentionCurve:
    """Fit the shifted-beta-geometric retention curve to a group's counts, or to a cohort table.

    Parameters
    ----------
    active : array_like, Series or DataFrame
        One group: the customers at the start, then those of them still
        active at the end of each following period (e.g. the customers of one
        sign-up month still active 0, 1, 2, ... months later); counts that only
        stay or fall. Or a cohort table as :func:`retention_xl.cohort_counts`
        gives: one row per group, columns the periods since the start, blank
        (NaN) after a group's last count where it is too young. All groups are
        fitted together, each up to its own age.

    Returns
    -------
    RetentionCurve
        ``alpha``, ``beta``, ``log_likelihood``, ``periods_fitted``, and the
        methods ``survival``, ``retention``, ``customer_value`` and ``forecast``.

    Raises
    ------
    RetentionInputError
        Naming the value and the row: fewer than two counts, a count that rises
        within a group, a negative, blank or text count, a first count of 0, or
        counts that cannot tell a curve (nobody lost, everybody lost in the first
        period, or no group followed for two periods).

    Notes
    -----
    Each customer has a chance :math:`\\theta` of leaving in each period,
    spread among customers as a beta distribution. A customer leaves in period
    :math:`t` with probability :math:`P(t) = B(\\alpha + 1, \\beta + t - 1) / B(\\alpha, \\beta)`
    and is still active after :math:`t` periods with probability
    :math:`S(t) = B(\\alpha, \\beta + t) / B(\\alpha, \\beta)`. With :math:`n_t`
    the active customers after :math:`t` periods and :math:`T` a group's last
    period, the log-likelihood is

    .. math:: \\ell(\\alpha, \\beta) = \\sum_{t=1}^{T} (n_{t-1} - n_t) \\ln P(t) + n_T \\ln S(T)

    summed over the groups, maximised by Newton's method in
    :math:`\\ln(\\alpha / \\beta), \\ln(\\alpha + \\beta)` from the best points of a coarse grid. Fader & Hardie (2007), "How to Project
    Customer Retention", Journal of Interactive Marketing 21(1); details in
    ``docs/curve.md``.

    Examples
    --------
    Of 1000 customers who signed up, 631, 468, 382, 326, 289, 262 and 241 were
    still active after one to seven years (the "regular" customers of Fader &
    Hardie 2007, whose estimates 0.704 and 1.182 this reproduces). How will
    retention change, and how many will be left after twelve years?

    >>> import retention_xl as rx
    >>> curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(curve.alpha, 3), round(curve.beta, 3)
    (0.704, 1.182)
    >>> curve.retention([1, 5, 10]).round(3)
    array([0.627, 0.88 , 0.935])
    >>> round(1000 * curve.survival(12))
    170
    """
    counts = _read_counts(active)
    lost, censored = _summaries(counts)
    _identify(counts, lost, censored)
    alpha, beta, value = _maximise(lost, censored)
    start, observed = _pooled_observed(counts)
    # at risk in period t: everyone active at its start, i.e. the lost in t or later and the censored
    at_risk = float(np.cumsum((lost + censored)[::-1]).sum())
    return RetentionCurve(alpha=alpha, beta=beta, log_likelihood=value,
                          periods_fitted=len(lost), start=start,
                          observed=tuple(float(v) for v in observed),
                          constant_retention=1.0 - float(lost.sum()) / at_risk)
