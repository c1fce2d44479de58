"""The retention curve of a purchase log's customers (docs/curve.md, "From a purchase log").

The cohort table of a log counts the customers who *bought* in each period, a
count that can rise again when customers come back after a gap, so it is not a
group's survival. For the curve a customer of a cohort is still a customer at
age k when they buy at age k or later within the log; they have left after
their last purchase. Those counts only stay or fall, and the curve is fitted to
all cohorts together, each up to its own age.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .curve import RetentionCurve, fit_retention_curve
from .errors import RetentionInputError
from .purchases.reading import purchase_batches

__all__ = ["still_customer_counts", "log_curve"]


def still_customer_counts(log, cal) -> pd.DataFrame:
    """Customers of each first-purchase cohort still buying at age k or later (NaN: not yet observed).

    ``log`` is a :class:`retention_xl.purchases.PurchaseLog`, ``cal`` its
    :class:`retention_xl.purchases.calendar.Calendar` (one pass over the rows:
    first and last period of each customer).
    """
    customers, periods = log.customers, cal.count
    first = np.full(customers, periods, dtype=np.int64)
    last = np.full(customers, -1, dtype=np.int64)
    for codes, days, _ in purchase_batches(log):
        period_of = cal.lookup[days - cal.day0].astype(np.int64)
        np.minimum.at(first, codes, period_of)
        np.maximum.at(last, codes, period_of)
    seen = last >= 0
    cohort, age = first[seen], last[seen] - first[seen]
    # one row per cohort that exists (a long, sparse log must not cost periods x periods)
    cohorts, row = np.unique(cohort, return_inverse=True)
    # customers of each cohort whose last purchase is at each age, then "at that age or later"
    by_last = np.bincount(row * periods + age, minlength=len(cohorts) * periods).reshape(-1, periods)
    still = np.cumsum(by_last[:, ::-1], axis=1)[:, ::-1].astype(float)
    beyond = cohorts[:, None] + np.arange(periods)[None, :] >= periods
    still[beyond] = np.nan
    return pd.DataFrame(still, index=pd.PeriodIndex(cal.index()[cohorts], name="cohort"),
                        columns=pd.RangeIndex(periods, name="periods_since_first"))


def log_curve(log, cal) -> tuple[pd.DataFrame, RetentionCurve | None, str]:
    """(still-customer counts, the fitted curve or None, why there is none or '')."""
    counts = still_customer_counts(log, cal)
    try:
        return counts, fit_retention_curve(counts), ""
    except RetentionInputError as error:
        return counts, None, str(error)
