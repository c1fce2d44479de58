"""Per-period customer counts, cohorts and measured yearly retention from one pass over a log.

Each (period, customer) pair of the log is marked once: in a periods x
customers byte table (dense), or as sorted, deduplicated int64 keys when that
table would be large compared with the log (sparse, e.g. daily periods over
years). Both give the same numbers; docs/purchase_logs.md gives the definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import Problem, RetentionInputError
from ..rates import churn_rate, retention_rate
from ..validation import choice
from .calendar import MAX_COHORT_CELLS, PERIODS, PERIODS_IN_YEAR, Calendar, log_calendar, too_long
from .reading import LogReport, PurchaseLog, purchase_batches, read_log

__all__ = ["LogAnalysis", "analyse_log", "counts_from_log", "cohort_counts", "cohort_matrix",
           "COUNT_COLUMNS", "DENSE_BYTES_PER_ROW", "DENSE_MIN_BYTES", "sorted_unique"]

#: Columns of :func:`counts_from_log`, in order.
COUNT_COLUMNS = ("start", "retained", "new", "reactivated", "end", "retention", "lost", "churn",
                 "formula_retention", "returning_within_year", "yearly_retention")
#: The periods x customers byte table is used when it is at most this many bytes per log
#: row (or 64 MiB, whichever is larger); otherwise the pairs are sorted.
DENSE_BYTES_PER_ROW = 8
DENSE_MIN_BYTES = 1 << 26


@dataclass
class LogAnalysis:
    """Everything counted from one pass over a log.

    Attributes
    ----------
    counts : DataFrame
        As :func:`counts_from_log`.
    cohort_counts : DataFrame
        As :func:`cohort_counts` (customers, not shares).
    report : LogReport
        What reading the log found.
    period : str
        The period used.
    year_over_year : dict or None
        Measured yearly retention over the last two year-long windows of the
        log (by the chosen period: 12 months, 4 quarters, 52 weeks, 365 days):
        ``first_window`` and ``second_window`` (pairs of period labels),
        ``customers`` (active in the first window), ``retained`` (of those,
        active in the second) and ``retention`` (retained / customers). None
        when the log spans less than two years.
    curve : RetentionCurve or None
        The retention curve fitted to all cohorts (:func:`retention_xl.fit_retention_curve`),
        a customer counting as still a customer until their last purchase
        (:mod:`retention_xl.log_curve`); None when the log cannot tell one.
        Computed on first use (one more pass over the log), then kept.
    curve_counts : DataFrame
        The counts it is fitted to: customers of each cohort buying at age k or later.
    curve_problem : str
        Why there is no curve ('' when there is one).
    """

    counts: pd.DataFrame
    cohort_counts: pd.DataFrame
    report: LogReport
    period: str
    year_over_year: dict | None = None
    _source: Any = field(default=None, repr=False, compare=False)  # (log, calendar) for the curve
    _curve: Any = field(default=None, repr=False, compare=False)

    def _fitted(self):
        if self._curve is None:
            from ..log_curve import log_curve  # the retention curve over all cohorts (docs/curve.md)

            self._curve = log_curve(*self._source)
        return self._curve

    @property
    def curve(self):
        return self._fitted()[1]

    @property
    def curve_counts(self) -> pd.DataFrame:
        return self._fitted()[0]

    @property
    def curve_problem(self) -> str:
        return self._fitted()[2]

    @property
    def cohort_matrix(self) -> pd.DataFrame:
        """Shares of each cohort active k periods after its first (column 0 is 1.0)."""
        return _shares(self.cohort_counts)


def _shares(counts: pd.DataFrame) -> pd.DataFrame:
    sizes = counts[0].to_numpy(dtype=float)
    values = counts.to_numpy(dtype=float) / sizes[:, None]
    return pd.DataFrame(values, index=counts.index, columns=counts.columns)


def _cohort_rows(new: np.ndarray, cal: Calendar, customers: int):
    """The periods that are cohorts (someone's first purchase), and each period's row (or -1)."""
    cohorts = np.flatnonzero(new)
    cells = len(cohorts) * cal.count
    if cells > MAX_COHORT_CELLS:
        raise too_long(cal.period, cal.day0, cal.day0 + len(cal.lookup) - 1,
                        f"a cohort table of {len(cohorts):,} cohorts x {cal.count:,} {cal.period}s "
                        f"({cells:,} cells); the limit is {MAX_COHORT_CELLS:,}")
    row_of = np.full(cal.count, -1, np.int64)
    row_of[cohorts] = np.arange(len(cohorts))
    return cohorts, row_of


def _dense_activity(log: PurchaseLog, cal: Calendar, progress=None):
    """Counts and cohort counts through a periods x customers byte table."""
    customers, periods = log.customers, cal.count
    active = np.zeros(periods * customers, dtype=np.bool_)
    lookup = cal.lookup
    for codes, days, _ in purchase_batches(log):
        keys = lookup[days - cal.day0].astype(np.int64)
        keys *= customers
        keys += codes
        active[keys] = True
        if progress:
            progress(len(codes))
    active = active.reshape(periods, customers)
    end = np.empty(periods, np.int64)
    retained = np.zeros(periods, np.int64)
    new = np.empty(periods, np.int64)
    first = np.full(customers, -1, dtype=np.int64)
    seen = np.zeros(customers, dtype=np.bool_)
    scratch = np.empty(customers, dtype=np.bool_)
    for p in range(periods):
        row = active[p]
        end[p] = np.count_nonzero(row)
        if p:
            np.logical_and(row, active[p - 1], out=scratch)
            retained[p] = np.count_nonzero(scratch)
        np.logical_and(row, ~seen, out=scratch)
        new[p] = np.count_nonzero(scratch)
        first[scratch] = p
        seen |= row
    cohorts, row_of = _cohort_rows(new, cal, customers)
    calendar_cohorts = np.zeros((len(cohorts), periods), np.int64)  # [cohort row, period]
    # customers of period p active again by the period holding the day a year later
    again = np.zeros(periods, np.int64)
    later = cal.year_later()
    next_seen = np.full(customers, np.iinfo(np.int64).max, np.int64)
    row_first = row_of[np.maximum(first, 0)]
    for p in range(periods - 1, -1, -1):
        row = active[p]
        calendar_cohorts[:, p] = np.bincount(row_first[row], minlength=len(cohorts))
        again[p] = np.count_nonzero(next_seen[row] <= later[p])
        next_seen[row] = p
    windows = [active[a:b + 1].any(axis=0) for a, b in _year_windows(cal)]
    return end, retained, new, again, _by_age(calendar_cohorts, cohorts), cohorts, windows


def _year_windows(cal: Calendar) -> list[tuple[int, int]]:
    """The last two year-long windows of periods, or none when the log is shorter."""
    span = PERIODS_IN_YEAR[cal.period]
    last = cal.count - 1
    if last - 2 * span + 1 < 0:
        return []
    return [(last - 2 * span + 1, last - span), (last - span + 1, last)]


def _by_age(calendar_cohorts: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """[cohort, period] counts to [cohort, periods since first], NaN beyond the last period."""
    rows, periods = calendar_cohorts.shape
    column = cohorts[:, None] + np.arange(periods)[None, :]
    inside = column < periods
    out = np.full((rows, periods), np.nan)
    out[inside] = calendar_cohorts[np.broadcast_to(np.arange(rows)[:, None], column.shape)[inside],
                                   column[inside]]
    return out


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: one in-place sort (numpy's hash-based np.unique is
    several times slower on ten million int64 keys)."""
    keys.sort()
    if keys.size < 2:
        return keys
    keep = np.empty(keys.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _sparse_activity(log: PurchaseLog, cal: Calendar, progress=None):
    """The same counts through sorted, deduplicated (period, customer) keys."""
    customers, periods = log.customers, cal.count
    keys = np.empty(log.rows, dtype=np.int64)
    lookup = cal.lookup
    done = 0
    for codes, days, _ in purchase_batches(log):
        part = keys[done:done + len(codes)]
        np.multiply(lookup[days - cal.day0], customers, out=part, casting="unsafe")
        part += codes
        done += len(codes)
        if progress:
            progress(len(codes))
    keys = sorted_unique(keys)
    period_of = keys // customers
    code_of = keys - period_of * customers
    end = np.bincount(period_of, minlength=periods)
    previous = keys - customers
    where = np.searchsorted(keys, previous)
    np.minimum(where, max(len(keys) - 1, 0), out=where)
    was_active = keys[where] == previous if len(keys) else np.zeros(0, bool)
    retained = np.bincount(period_of[was_active], minlength=periods)
    first = np.full(customers, periods, dtype=np.int64)
    np.minimum.at(first, code_of, period_of)
    new = np.bincount(first[first < periods], minlength=periods)
    cohorts, row_of = _cohort_rows(new, cal, customers)
    cohort = first[code_of]
    cells = np.bincount(row_of[cohort] * periods + (period_of - cohort), minlength=len(cohorts) * periods)
    by_age = cells.reshape(len(cohorts), periods).astype(float)
    by_age[cohorts[:, None] + np.arange(periods)[None, :] >= periods] = np.nan
    # customers of period p active again by the period holding the day a year later
    bounds = np.searchsorted(period_of, np.arange(periods + 1))
    later = cal.year_later()
    again = np.zeros(periods, np.int64)
    next_seen = np.full(customers, np.iinfo(np.int64).max, np.int64)
    for p in range(periods - 1, -1, -1):
        members = code_of[bounds[p]:bounds[p + 1]]
        again[p] = np.count_nonzero(next_seen[members] <= later[p])
        next_seen[members] = p
    windows = []
    for a, b in _year_windows(cal):
        inside = np.zeros(customers, bool)
        inside[code_of[bounds[a]:bounds[b + 1]]] = True
        windows.append(inside)
    return end, retained, new, again, by_age, cohorts, windows


def analyse_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                exclude_invalid: bool = False, progress: Callable[[int], Any] | None = None,
                method: str | None = None, *, date_format: str | None = None,
                face: str = "python") -> LogAnalysis:
    """Counts, cohorts and yearly retention from one pass over a purchase log.

    Parameters as for :func:`counts_from_log`; ``progress``, if given, is
    called with the number of rows done after each batch (a progress bar's
    ``update``). ``method`` forces ``"dense"`` or ``"sparse"`` counting (both
    give the same numbers; the default picks by size). ``date_format`` and
    ``face`` as for :func:`read_log`.

    Work and memory grow with the rows, the customers and the span: a log may
    span at most :data:`MAX_PERIODS` periods and give at most
    :data:`MAX_COHORT_CELLS` cohort cells (cohorts x periods); beyond, it is
    refused with the span, and a longer period is suggested.
    """
    period = choice(period, "period", tuple(PERIODS))
    log = read_log(log, customer, date, exclude_invalid=exclude_invalid, date_format=date_format, face=face)
    cal = log_calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases",
                                          "give at least one row with a customer id and a date"))
    if method is None:
        size = cal.count * log.customers
        method = "dense" if size <= max(DENSE_BYTES_PER_ROW * log.rows, DENSE_MIN_BYTES) else "sparse"
    method = choice(method, "method", ("dense", "sparse"))
    work = _dense_activity if method == "dense" else _sparse_activity
    end, retained, new, again, by_age, cohorts, windows = work(log, cal, progress)
    index = cal.index()
    start = np.concatenate([[0], end[:-1]]).astype(np.int64)
    reactivated = end - retained - new
    # exact retention is the core formula with the retained as "end" and no new customers;
    # a period with nobody at start (the first, or one after a gap) has none: NaN
    seen = start > 0
    retention = np.full(start.shape, np.nan)
    churn = np.full(start.shape, np.nan)
    retention[seen] = retention_rate(start[seen], retained[seen], 0)
    churn[seen] = churn_rate(start[seen], retained[seen], 0)
    # measured yearly retention: the same core formula, the period's customers at start and
    # those of them back within a year as "end"; known once the whole year is in the log
    observed = (cal.year_later() <= cal.count - 1) & (end > 0)
    yearly = np.full(start.shape, np.nan)
    yearly[observed] = retention_rate(end[observed], again[observed], 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # (end - new) / start written out on purpose: with reactivations end - new can exceed
        # start, which retention_rate rightly refuses; this column shows that over-count
        formula = np.where(seen, (end - new) / np.maximum(start, 1), np.nan)
    counts = pd.DataFrame({
        "start": start, "retained": retained.astype(np.int64), "new": new.astype(np.int64),
        "reactivated": reactivated.astype(np.int64), "end": end.astype(np.int64),
        "retention": retention, "lost": start - retained, "churn": churn,
        "formula_retention": formula, "returning_within_year": again.astype(np.int64),
        "yearly_retention": yearly,
    }, index=index)
    cohort_table = pd.DataFrame(by_age, index=pd.PeriodIndex(index[cohorts], name="cohort"),
                                columns=pd.RangeIndex(cal.count, name="periods_since_first"))
    year_over_year = None
    if windows:
        (a, b), (c, d) = _year_windows(cal)
        base = int(np.count_nonzero(windows[0]))
        kept = int(np.count_nonzero(windows[0] & windows[1]))
        year_over_year = {"first_window": (index[a], index[b]), "second_window": (index[c], index[d]),
                          "customers": base, "retained": kept,
                          "retention": float(retention_rate(base, kept, 0)) if base else np.nan}
    return LogAnalysis(counts, cohort_table.astype("float64"), log.report, period, year_over_year,
                       _source=(log, cal))


def counts_from_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                    exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Exact per-period customer counts and retention from a purchase log.

    Parameters
    ----------
    log : DataFrame, str, path or PurchaseLog
        One row per purchase: a DataFrame, a CSV file or a Parquet file (see
        :func:`read_log`).
    customer, date : str, optional
        Names of the customer id and date columns (default ``customer_id``, ``date``).
    period : {'month', 'day', 'week', 'quarter', 'year'}, optional
        The period to count by (weeks run Monday to Sunday).
    exclude_invalid : bool, optional
        Leave out rows without a customer id or a readable date instead of
        refusing the log (see :func:`read_log`).
    date_format, face : str, optional
        The form of text dates (``"%d/%m/%Y"``) and whose words messages use,
        as for :func:`read_log`.

    Returns
    -------
    DataFrame
        Indexed by period (a ``PeriodIndex`` named ``period``, every period from
        the first purchase to the last, empty ones included), with columns
        ``start, retained, new, reactivated, end`` (customers), ``retention``
        (retained / start, NaN when start is 0), ``lost`` (start - retained),
        ``churn`` (1 - retention) and ``formula_retention`` ((end - new) /
        start, what the three-count formula would say: higher than the exact
        retention by reactivated / start).

    Examples
    --------
    Ann buys in January and February, Bob in January and March (a gap), Cy in
    February only, twice:

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "cy", "cy", "bob"],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-11",
    ...                                             "2024-02-12", "2024-02-28", "2024-03-05"])})
    >>> rx.counts_from_log(log)[["start", "retained", "new", "reactivated", "end", "retention"]]
             start  retained  new  reactivated  end  retention
    period
    2024-01      0         0    2            0    2        NaN
    2024-02      2         1    1            0    2        0.5
    2024-03      2         0    0            1    1        0.0
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).counts


def cohort_counts(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Customers of each first-purchase cohort active k periods later (counts).

    As :func:`cohort_matrix`, in customers rather than shares: column 0 is the
    size of each cohort.
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).cohort_counts


def cohort_matrix(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Share of each first-purchase cohort active 0, 1, 2, ... periods later.

    Parameters as for :func:`counts_from_log`.

    Returns
    -------
    DataFrame
        One row per cohort (the period of the customers' first purchase; a
        ``PeriodIndex`` named ``cohort``; periods in which nobody bought for the
        first time have no row), columns ``0, 1, 2, ...`` periods since the
        first purchase, values the share of the cohort's customers who bought
        in that period (column 0 is 1.0). Cells after the last period of the
        log are NaN: not yet observed, unlike 0.0, which means nobody came back.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "cy", "cy", "bob"],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-11",
    ...                                             "2024-02-12", "2024-02-28", "2024-03-05"])})
    >>> rx.cohort_matrix(log)
    periods_since_first    0    1    2
    cohort
    2024-01              1.0  0.5  0.5
    2024-02              1.0  0.0  NaN
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).cohort_matrix
