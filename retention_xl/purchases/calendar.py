"""Periods of a purchase log: each day's period number, and the log's calendar.

A period (day, week, month, quarter or year) is numbered so that consecutive
periods have consecutive numbers; a log's :class:`Calendar` maps each day from
its first purchase to its last to the index of its period, so that a batch of
day numbers becomes period indexes with one lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem, RetentionInputError
from ..periods import PERIODS_PER_YEAR
from .reading import PurchaseLog

__all__ = ["PERIODS", "PERIODS_IN_YEAR", "MAX_PERIODS", "MAX_COHORT_CELLS", "Calendar",
           "log_calendar", "period_of_days", "too_long"]

#: Period names accepted by ``period=``, and the pandas frequency of each.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


def period_of_days(days: np.ndarray, period: str) -> np.ndarray:
    """Period number of each day number: consecutive integers for consecutive periods."""
    if period == "day":
        return days
    if period == "week":  # weeks run Monday to Sunday; 1970-01-01 was a Thursday
        return np.floor_divide(days + 3, 7)
    dates = days.astype("datetime64[D]")
    if period == "month":
        return dates.astype("datetime64[M]").astype(np.int64)
    if period == "quarter":
        return np.floor_divide(dates.astype("datetime64[M]").astype(np.int64), 3)
    return dates.astype("datetime64[Y]").astype(np.int64)


@dataclass
class Calendar:
    """The periods of one log, from the period of its first purchase to that of its last."""

    period: str
    first: int      # period number of the first period
    count: int      # number of periods from the first to the last
    day0: int       # day number of the first day in the log
    lookup: np.ndarray  # period index (0-based) of each day from day0

    def index(self) -> pd.PeriodIndex:
        """Every period, empty ones included (the index of the counts table)."""
        start = pd.Period(np.datetime64(int(self.day0), "D"), freq=PERIODS[self.period])
        return pd.period_range(start=start, periods=self.count, freq=PERIODS[self.period], name="period")

    def year_later(self) -> np.ndarray:
        """For each period, the index of the period holding the day one calendar year after its
        first day (29 February + 1 year is 28 February, as in SQL): month t -> t + 12,
        week t -> t + 52, day t -> t + 365 or 366."""
        index = self.index()
        later = (index.start_time + pd.DateOffset(years=1)).to_period(PERIODS[self.period])
        return (later.asi8 - index.asi8[0]).astype(np.int64)


#: Periods in a year, for the year-long windows of ``LogAnalysis.year_over_year``.
PERIODS_IN_YEAR = {"day": 365, **PERIODS_PER_YEAR}
#: Limits that keep the work bounded whatever the span of a log: periods from the first
#: purchase to the last, and cells of the cohort table (cohorts x periods; 8 bytes each).
MAX_PERIODS = 100_000
MAX_COHORT_CELLS = 25_000_000


def log_calendar(log: PurchaseLog, period: str) -> Calendar | None:
    """The log's calendar by ``period`` (None for a log without rows); a span of more than
    :data:`MAX_PERIODS` periods is refused."""
    if log.rows == 0:
        return None
    low, high = log.day_range()
    ends = period_of_days(np.array([low, high], dtype=np.int64), period)
    count = int(ends[1] - ends[0]) + 1
    if count > MAX_PERIODS:
        raise too_long(period, low, high, f"{count:,} {period}s; the limit is {MAX_PERIODS:,}")
    numbers = period_of_days(np.arange(low, high + 1, dtype=np.int64), period)
    first = int(numbers[0])
    lookup = (numbers - first).astype(np.int32)
    return Calendar(period, first, int(lookup[-1]) + 1, int(low), lookup)


def too_long(period: str, low: int, high: int, what: str) -> RetentionInputError:
    """The error for a log too long to count by ``period`` (days ``low`` to ``high``): says
    ``what`` is too much and suggests a longer period."""
    first, last = np.datetime64(int(low), "D"), np.datetime64(int(high), "D")
    longer = {"day": "week or month", "week": "month", "month": "quarter", "quarter": "year"}.get(period, "year")
    return RetentionInputError(Problem(
        "period", f"the log spans {first} to {last}: counted by {period} that is {what}",
        f"count by {longer} (period='{longer.split()[-1]}'), or give a shorter log"))
