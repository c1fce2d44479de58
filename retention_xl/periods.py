"""Multi-period tables: retention period by period, its changes, averages and benchmark.

From a table of periods with customers at start, at end and new customers (one
row per month, quarter or year), :func:`period_table` gives in one call every
per-period number of docs/methodology.md sections 1, 3 and 6, and :func:`churn_averages`
the three average-churn methods. Everything is computed by the calculation core
(:mod:`retention_xl.rates`), so a bad count is reported with its period label.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .industry import (DEFAULT_TOLERANCE, TOLERANCE, check_periods_per_year, benchmark_comparison,
                         benchmark_for)
from .errors import Problem, RetentionInputError
from .rates import AVERAGE_METHODS, average_churn, churn_rate, lost_customers, retention_rate
from .validation import FRACTION, prepare

__all__ = ["period_table", "churn_averages", "retention_trend", "PERIOD_TABLE_COLUMNS", "PERIODS_PER_YEAR"]

#: Columns of :func:`period_table` without a benchmark; with one, BENCHMARK_TABLE_COLUMNS follow.
PERIOD_TABLE_COLUMNS = ("start", "end", "new", "lost", "retention", "churn", "change_vs_previous",
                        "change_vs_year_ago", "annualised_retention")
BENCHMARK_TABLE_COLUMNS = ("benchmark", "compared_retention", "gap_to_benchmark",
                           "below_benchmark", "alert")

#: Period frequencies whose number of periods per year is unambiguous.
#: Periods in a year for the calendars a yearly benchmark compares with: the one table
#: every face reads (the log command, the app's dropdown, the labels of a file).
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}
_PPY_BY_FREQ = {"Y": PERIODS_PER_YEAR["year"], "A": PERIODS_PER_YEAR["year"],
                "Q": PERIODS_PER_YEAR["quarter"], "M": PERIODS_PER_YEAR["month"]}


def _read_frame(frame: Any) -> pd.DataFrame:
    if isinstance(frame, (str, os.PathLike)):
        return pd.read_csv(frame)
    if isinstance(frame, pd.DataFrame):
        return frame
    raise RetentionInputError(Problem(
        "frame", f"the periods must be a DataFrame or the path of a CSV file, got {type(frame).__name__}",
        "give one row per period with columns start, end and new"))


def _columns(frame: pd.DataFrame, names: dict[str, str]) -> None:
    missing = [f"{name!r} ({role})" for role, name in names.items() if name not in frame.columns]
    if missing:
        raise RetentionInputError(Problem(
            "frame", f"the table has no column {', '.join(missing)}; its columns are: "
                     f"{', '.join(map(str, frame.columns))}",
            "name the columns with start=, end=, new= (and period=)"))


def _counts(frame: Any, start: str, end: str, new: str, period: str | None):
    frame = _read_frame(frame)
    names = {"customers at start": start, "customers at end": end, "new customers": new}
    if period is not None:
        names["period"] = period
    _columns(frame, names)
    index = pd.Index(frame[period], name=period) if period is not None else frame.index
    counts = {field: pd.Series(frame[column].to_numpy(), index=index)
              for field, column in (("start", start), ("end", end), ("new", new))}
    return index, counts


def _as_periods(index: pd.Index) -> pd.PeriodIndex | None:
    """The index as calendar periods when it is (or plainly converts to) one; else None.

    Dates convert when they are regularly spaced months, quarters or years (at
    least three of them, so that pandas can infer the spacing).
    """
    if isinstance(index, pd.PeriodIndex):
        return index
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3 or index.hasnans:
        return None
    freq = index.freqstr
    if freq is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(index.sort_values())
        freq = getattr(freq, "freqstr", freq)
    if not freq or freq[0] not in "MQYA":
        return None
    return index.to_period("Y" if freq[0] == "A" else freq[0])


def _ppy_of(periods: pd.PeriodIndex | None) -> int | None:
    """1, 4 or 12 for yearly, quarterly or monthly periods; None otherwise (weeks and days
    have no whole, unambiguous number of periods per year)."""
    if periods is None or periods.freq.n != 1:
        return None
    return _PPY_BY_FREQ.get(periods.freqstr[:1].upper())


def _aligned(values: pd.Series, periods: pd.PeriodIndex | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Values laid on consecutive periods (NaN in gaps), and where each row sits in that run."""
    if periods is None:
        return values.to_numpy(dtype=float), None
    if periods.has_duplicates:
        twice = periods[periods.duplicated()][0]
        raise RetentionInputError(Problem("period", f"the period {twice} appears more than once",
                                          "give one row per period"))
    full = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    where = full.get_indexer(periods)
    laid = np.full(len(full), np.nan)
    laid[where] = values.to_numpy(dtype=float)
    return laid, where


def _shifted_change(laid: np.ndarray, where: np.ndarray | None, lag: int) -> np.ndarray:
    """value - value ``lag`` periods earlier, NaN where there is no such period."""
    change = np.full(laid.shape, np.nan)
    if 0 < lag < laid.size:
        change[lag:] = laid[lag:] - laid[:-lag]
    return change if where is None else change[where]


def period_table(frame: Any, start: str = "start", end: str = "end", new: str = "new",
                 period: str | None = None, periods_per_year: float | None = None,
                 benchmark: float | None = None, industry: str | None = None,
                 tolerance: float = DEFAULT_TOLERANCE, table: Any = None) -> pd.DataFrame:
    """Retention period by period, with its changes, annualised rate and benchmark alert.

    Parameters
    ----------
    frame : DataFrame, str or path
        One row per period, oldest first, with the customers at start, at end
        (new ones included) and new customers; or the path of such a CSV file.
    start, end, new : str, optional
        Names of those columns (default ``"start"``, ``"end"``, ``"new"``).
    period : str, optional
        Column naming each period (``"2024-Q1"``, a date, a ``pd.Period``): it
        becomes the index of the result. Default: the frame's own index.
    periods_per_year : float, optional
        4 for quarters, 12 for months, 1 for years, 52 for weeks. Needed for the
        change against a year earlier, the annualised retention and the
        benchmark. When the periods are ``pd.Period`` values or dates of a
        regular monthly, quarterly or yearly calendar it is read from them.
    benchmark : float, optional
        A yearly retention to compare with (0.78 for 78%).
    industry : str, optional
        Or the industry whose shipped benchmark to use (see
        :func:`retention_xl.industry_benchmarks`).
    tolerance : float, optional
        How far below the benchmark is too far (default 0.05, five points).
    table : DataFrame, str or path, optional
        Your own benchmark table, for ``industry``.

    Returns
    -------
    DataFrame
        One row per period, indexed by period, with columns:

        ``start, end, new``: the counts as given;
        ``lost``: start - (end - new);
        ``retention``: (end - new) / start; ``churn``: 1 - retention;
        ``change_vs_previous``: retention minus the previous period's, in
        fractions (0.01 = one point; NaN for the first period);
        ``change_vs_year_ago``: retention minus that of the same period a year
        earlier (NaN where there is none, or ``periods_per_year`` is unknown);
        ``annualised_retention``: retention ** periods_per_year.

        With a benchmark or industry, also:

        ``benchmark``: the yearly benchmark;
        ``compared_retention``: the yearly-equivalent retention compared with it,
        the quarter ending with this period annualised (for quarters the
        annualised retention itself; for months the three months to this one
        compounded, then ** 4; for years the yearly retention; see
        :func:`retention_xl.benchmark_alert`);
        ``gap_to_benchmark``: compared_retention - benchmark (negative when below);
        ``below_benchmark``: more than ``tolerance`` below;
        ``alert``: below for two straight quarters.

    Raises
    ------
    RetentionInputError
        If a column is missing, a count is invalid (the message names the
        period), a period appears twice, or a benchmark is asked for without
        ``periods_per_year``.

    Notes
    -----
    With a period column of ``pd.Period`` values or regular dates, "previous"
    and "a year earlier" are found by calendar, so a missing period leaves a
    NaN instead of comparing with the wrong one. Otherwise the rows are taken as
    consecutive periods, oldest first.

    Examples
    --------
    Five quarters of a small telecom:

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> quarters = pd.DataFrame({"quarter": ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"],
    ...                          "start": [100, 110, 112, 115, 117],
    ...                          "end":   [110, 112, 115, 117, 125],
    ...                          "new":   [15, 11, 12, 12, 15]})
    >>> t = rx.period_table(quarters, period="quarter", periods_per_year=4, industry="Telecommunications")
    >>> t[["lost", "retention", "change_vs_previous", "change_vs_year_ago"]].round(4)
             lost  retention  change_vs_previous  change_vs_year_ago
    quarter
    2023Q4      5     0.9500                 NaN                 NaN
    2024Q1      9     0.9182             -0.0318                 NaN
    2024Q2      9     0.9196              0.0015                 NaN
    2024Q3     10     0.9130             -0.0066                 NaN
    2024Q4      7     0.9402              0.0271             -0.0098
    >>> t[["annualised_retention", "gap_to_benchmark", "below_benchmark", "alert"]].round(4)
             annualised_retention  gap_to_benchmark  below_benchmark  alert
    quarter
    2023Q4                 0.8145            0.0345            False  False
    2024Q1                 0.7107           -0.0693             True  False
    2024Q2                 0.7153           -0.0647             True   True
    2024Q3                 0.6950           -0.0850             True   True
    2024Q4                 0.7813            0.0013            False  False
    """
    index, counts = _counts(frame, start, end, new, period)
    retention = retention_rate(counts["start"], counts["end"], counts["new"])
    if not isinstance(retention, pd.Series):  # pragma: no cover - Series in, Series out
        retention = pd.Series(retention, index=index)
    start_v, end_v, new_v = (counts[f].to_numpy() for f in ("start", "end", "new"))
    out = pd.DataFrame({"start": start_v, "end": end_v, "new": new_v}, index=index)
    # each number from its one core function (the counts were validated just above)
    lost = lost_customers(start_v, end_v, new_v)
    counts_dtype = np.result_type(start_v, end_v, new_v)
    # whole counts in, whole counts out (the difference of whole numbers is exact)
    out["lost"] = lost.astype(counts_dtype) if counts_dtype.kind in "iu" else lost
    out["retention"] = retention.to_numpy()
    out["churn"] = churn_rate(start_v, end_v, new_v)

    trend = retention_trend(out["retention"], periods_per_year, benchmark, industry=industry,
                            tolerance=tolerance, table=table)
    return pd.concat([out, trend], axis=1)


def retention_trend(retention: pd.Series, periods_per_year: float | None = None,
                    benchmark: float | None = None, industry: str | None = None,
                    tolerance: float = DEFAULT_TOLERANCE, table: Any = None,
                    yearly: pd.Series | None = None) -> pd.DataFrame:
    """The columns of :func:`period_table` that follow from the retention series alone.

    For a retention series from anywhere (:func:`period_table`, or the exact
    retention of :func:`retention_xl.counts_from_log`, which may hold NaN for
    periods without customers at start): ``change_vs_previous``,
    ``change_vs_year_ago``, ``annualised_retention`` and, with a benchmark or
    industry, ``benchmark, compared_retention, gap_to_benchmark,
    below_benchmark, alert``. Arguments as for :func:`period_table`; the index
    of ``retention`` plays the part of the period column.

    ``yearly``, when given, is a measured yearly retention per period (a
    purchase log's :func:`retention_xl.counts_from_log` ``yearly_retention``):
    the benchmark is then compared with it as it is, without chaining the
    period retentions (which assumes nobody comes back after a gap); the
    chained ``annualised_retention`` column is still given.
    """
    index = retention.index
    out = pd.DataFrame(index=index)
    periods = _as_periods(index)
    if periods_per_year is None:
        periods_per_year = _ppy_of(periods)
    else:
        periods_per_year = check_periods_per_year(periods_per_year)
    values = retention.to_numpy(dtype=float)
    laid, where = _aligned(pd.Series(values, index=index), periods)
    out["change_vs_previous"] = _shifted_change(laid, where, 1)
    year_lag = periods_per_year if periods_per_year and float(periods_per_year).is_integer() else 0
    out["change_vs_year_ago"] = _shifted_change(laid, where, int(year_lag))
    # r ** periods_per_year as convert_retention computes it, but NaN-tolerant: log tables
    # have NaN retention for periods with no customers at start, which it would refuse
    out["annualised_retention"] = np.power(values, periods_per_year) if periods_per_year else np.nan

    if benchmark is not None or industry is not None:
        if benchmark is not None and industry is not None:
            raise RetentionInputError(Problem("benchmark", "give either a benchmark or an industry, not both"))
        if industry is not None:
            benchmark = benchmark_for(industry, table)
        checked = prepare({"benchmark": (benchmark, FRACTION), "tolerance": (tolerance, TOLERANCE)})
        if np.ndim(checked["benchmark"]) or np.ndim(checked["tolerance"]):
            raise RetentionInputError(Problem("benchmark", "benchmark and tolerance must be single numbers"))
        if not periods_per_year:
            raise RetentionInputError(Problem(
                "periods_per_year", "periods_per_year is needed to compare with a yearly benchmark",
                "give periods_per_year=4 for quarters, 12 for months, 1 for years"))
        bench = float(checked["benchmark"])
        if yearly is not None:
            laid, where = _aligned(pd.Series(yearly.to_numpy(dtype=float), index=index), periods)
        compared = benchmark_comparison(laid, bench, periods_per_year, float(checked["tolerance"]),
                                        yearly=yearly is not None)
        pick = (lambda a: a) if where is None else (lambda a: a[where])
        out["benchmark"] = bench
        out["compared_retention"] = pick(compared["compared"])
        out["gap_to_benchmark"] = pick(compared["gap"])
        out["below_benchmark"] = pick(compared["below"])
        out["alert"] = pick(compared["alert"])
    return out


def churn_averages(frame: Any, start: str = "start", end: str = "end", new: str = "new",
                   period: str | None = None) -> pd.Series:
    """Average churn per period over all the periods, by the three methods.

    Parameters
    ----------
    frame : DataFrame, str or path
        One row per period with customers at start, at end and new (as for
        :func:`period_table`; its result works too).
    start, end, new, period : str, optional
        Column names, as for :func:`period_table` (``period`` only labels errors).

    Returns
    -------
    Series
        Indexed ``mean``, ``pooled``, ``geometric`` (see
        :func:`retention_xl.average_churn`): the mean of the period rates, all
        lost over all starting customers, and the constant rate with the same
        overall survival.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> months = pd.DataFrame({"start": [100, 1000], "end": [90, 700], "new": [0, 0]})
    >>> rx.churn_averages(months).round(4)
    mean         0.2000
    pooled       0.2818
    geometric    0.2063
    Name: average_churn, dtype: float64
    """
    _, counts = _counts(frame, start, end, new, period)
    values = [average_churn(counts["start"], counts["end"], counts["new"], method=m)
              for m in AVERAGE_METHODS]
    return pd.Series(values, index=pd.Index(AVERAGE_METHODS), name="average_churn")
