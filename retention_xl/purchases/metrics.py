"""Repeat customers, purchase frequency, order value and revenue retention (GRR, NRR) from a log.

Repeat and frequency figures count purchase occasions (customer-days, or
orders), the convention of the buy-till-you-die literature; revenue retention
follows the subscription-analytics definitions (docs/purchase_logs.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, RetentionInputError
from ..validation import choice
from .calendar import PERIODS, Calendar, log_calendar
from .counting import sorted_unique
from .reading import PurchaseLog, purchase_batches, read_log

__all__ = ["purchase_metrics", "revenue_retention", "REVENUE_COLUMNS"]


def _occasion_keys(log: PurchaseLog, cal: Calendar | None):
    """Per row: (occasion key, occasion width, period index or None, amounts or None).

    An occasion is one customer-day (key = customer * days + day) or, with an
    order column, one order of a customer (key = customer * orders + order).
    """
    keys = np.empty(log.rows, np.int64)
    periods = np.empty(log.rows, np.int64) if cal is not None else None
    amounts = np.empty(log.rows) if log.has_amount else None
    bounds = None
    if not log.has_order:
        low, high = log.day_range()
        width = high - low + 1
        bounds = low
    else:
        width = max(log.orders, 1)
        order_column = log.table.column("order")
    done = 0
    for codes, days, amount in purchase_batches(log):
        n = len(codes)
        part = keys[done:done + n]
        np.multiply(codes, width, out=part, casting="unsafe")
        if bounds is not None:
            part += days - bounds
        else:
            part += order_column.slice(done, n).to_numpy()
        if periods is not None:
            periods[done:done + n] = cal.lookup[days - cal.day0]
        if amounts is not None:
            amounts[done:done + n] = amount
        done += n
    return keys, width, periods, amounts


def purchase_metrics(log: Any, customer: str = "customer_id", date: str = "date",
                     amount: str | None = "amount", period: str | None = None,
                     exclude_invalid: bool = False, *, order: str | None = None,
                     date_format: str | None = None, face: str = "python"):
    """Repeat customer rate, purchase frequency and average order value, by purchase occasion.

    A purchase occasion is one customer-day: three items bought by one customer
    on one day, on one row each or not, are one occasion (the convention of
    Fader and Hardie's CDNOW summaries and the ``lifetimes`` package, see
    docs/purchase_logs.md). With ``order=``, an occasion is one order id of a
    customer instead. Exact duplicate rows are counted once (see :func:`read_log`).

    Parameters
    ----------
    log, customer, date, exclude_invalid
        As for :func:`counts_from_log`.
    amount : str or None, optional
        Name of the amount column (default ``"amount"``); None to leave out
        revenue and average order value.
    period : str, optional
        None (default) for the whole log as one Series; or a period name for a
        DataFrame with one row per period, each metric computed within the period.
    order : str, optional
        Name of an order id column: occasions are then orders, not days.
    date_format, face
        As for :func:`read_log`.

    Returns
    -------
    Series or DataFrame
        ``customers`` (distinct), ``rows`` (purchase rows, exact duplicates
        counted once), ``occasions`` (distinct customer-days, or orders),
        ``repeat_customers`` (customers with 2 or more occasions),
        ``repeat_customer_rate`` (repeat_customers / customers),
        ``purchase_frequency`` (occasions / customers) and, with amounts,
        ``revenue`` and ``average_order_value`` (revenue / occasions). The
        result's ``attrs["occasion"]`` says what was counted.

    Examples
    --------
    Customer 3 buys twice on 6 January (two rows, one occasion):

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-02-01", "2024-01-05",
    ...                                             "2024-01-06", "2024-01-06", "2024-03-01"]),
    ...                     "amount": [10.0, 20.0, 30.0, 5.0, 15.0, 40.0]})
    >>> rx.purchase_metrics(log).round(4)
    customers                3.0000
    rows                     6.0000
    occasions                5.0000
    repeat_customers         2.0000
    repeat_customer_rate     0.6667
    purchase_frequency       1.6667
    revenue                120.0000
    average_order_value     24.0000
    Name: metrics, dtype: float64
    """
    log = read_log(log, customer, date, amount, exclude_invalid, order=order, date_format=date_format,
                   face=face)
    with_amount = amount is not None
    occasion = "order" if log.has_order else "customer-day"
    cal = None
    if period is not None:
        period = choice(period, "period", tuple(PERIODS))
        cal = log_calendar(log, period)
    if log.rows == 0:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases"))
    keys, width, periods, amounts = _occasion_keys(log, cal)
    if cal is None:
        unique = sorted_unique(keys.copy())
        per_customer = np.bincount(unique // width)
        customers = int(np.count_nonzero(per_customer))
        occasions = int(unique.size)
        repeat = int(np.count_nonzero(per_customer >= 2))
        values = {"customers": customers, "rows": int(log.rows), "occasions": occasions,
                  "repeat_customers": repeat,
                  "repeat_customer_rate": repeat / customers if customers else np.nan,
                  "purchase_frequency": occasions / customers if customers else np.nan}
        if with_amount:
            revenue = float(np.sum(amounts))
            values["revenue"] = revenue
            values["average_order_value"] = revenue / occasions if occasions else np.nan
        out = pd.Series(values, name="metrics", dtype=float)
        out.attrs["occasion"] = occasion
        return out
    # occasions within each period: number the occasions, then count distinct (period, occasion)
    unique, occasion_id = np.unique(keys, return_inverse=True)
    pair = sorted_unique(periods * unique.size + occasion_id)
    pair_period = pair // unique.size
    pair_customer = unique[pair % unique.size] // width  # sorted within each period
    occasions = np.bincount(pair_period, minlength=cal.count)
    starts = np.flatnonzero(np.concatenate(([True], (pair_period[1:] != pair_period[:-1])
                                            | (pair_customer[1:] != pair_customer[:-1]))))
    per_customer = np.diff(np.append(starts, pair.size))
    customers = np.bincount(pair_period[starts], minlength=cal.count)
    repeat = np.bincount(pair_period[starts][per_customer >= 2], minlength=cal.count)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame({
            "customers": customers, "rows": np.bincount(periods, minlength=cal.count),
            "occasions": occasions, "repeat_customers": repeat,
            "repeat_customer_rate": np.where(customers > 0, repeat / np.maximum(customers, 1), np.nan),
            "purchase_frequency": np.where(customers > 0, occasions / np.maximum(customers, 1), np.nan),
        }, index=cal.index())
        if with_amount:
            revenue = np.bincount(periods, weights=amounts, minlength=cal.count)
            table["revenue"] = revenue
            table["average_order_value"] = np.where(occasions > 0, revenue / np.maximum(occasions, 1), np.nan)
    table.attrs["occasion"] = occasion
    return table


#: Columns of :func:`revenue_retention`, in order.
REVENUE_COLUMNS = ("revenue", "previous_revenue", "revenue_from_previous_customers",
                   "kept_revenue", "gross_revenue_retention", "net_revenue_retention")


def revenue_retention(log: Any, customer: str = "customer_id", date: str = "date", amount: str = "amount",
                      period: str = "month", exclude_invalid: bool = False, *,
                      date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Gross and net revenue retention per period (GRR and NRR), from a purchase log with amounts.

    Parameters
    ----------
    log, customer, date, period, exclude_invalid
        As for :func:`counts_from_log`.
    amount : str, optional
        Name of the amount column (default ``"amount"``).
    date_format, face
        As for :func:`read_log`.

    Returns
    -------
    DataFrame
        Indexed by period like :func:`counts_from_log`, with ``revenue`` (of
        the period), ``previous_revenue`` (of the period before),
        ``revenue_from_previous_customers`` (this period's revenue from the
        customers who bought in the period before), ``kept_revenue`` (the same,
        each customer capped at what it spent in the period before),
        ``gross_revenue_retention`` (kept_revenue / previous_revenue) and
        ``net_revenue_retention`` (revenue_from_previous_customers /
        previous_revenue). NaN where the period before had no revenue.

    Notes
    -----
    With :math:`R_{c,p}` the revenue of customer :math:`c` in period :math:`p`
    and :math:`C_{p-1}` the customers who bought in :math:`p - 1`:

    .. math::

        GRR_p = \\frac{\\sum_{c \\in C_{p-1}} \\max(0, \\min(R_{c,p}, R_{c,p-1}))}{\\sum_{c \\in C_{p-1}} R_{c,p-1}}
        \\qquad
        NRR_p = \\frac{\\sum_{c \\in C_{p-1}} R_{c,p}}{\\sum_{c \\in C_{p-1}} R_{c,p-1}}

    the subscription-analytics definitions (docs/purchase_logs.md): GRR counts
    what was kept, at most 100%; NRR adds what the kept customers spent more.
    New customers count in neither. Amounts are summed as given (a refund
    lowers its customer's revenue); exact duplicate rows count once.

    Examples
    --------
    Ann spends 100 then 60, Bob 50 then 80, Cy joins with 30 in February:

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "bob", "cy"],
    ...                     "date": ["2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20", "2024-02-21"],
    ...                     "amount": [100.0, 50.0, 60.0, 80.0, 30.0]})
    >>> rx.revenue_retention(log)[["revenue", "gross_revenue_retention", "net_revenue_retention"]].round(4)
             revenue  gross_revenue_retention  net_revenue_retention
    period
    2024-01    150.0                      NaN                    NaN
    2024-02    170.0                      0.7333                 0.9333

    February kept 60 of Ann's 100 and 50 of Bob's 50 (capped): 110 / 150; net
    of Bob's extra 30: 140 / 150.
    """
    period = choice(period, "period", tuple(PERIODS))
    log = read_log(log, customer, date, amount, exclude_invalid, date_format=date_format, face=face)
    cal = log_calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases"))
    keys = np.empty(log.rows, np.int64)
    amounts = np.empty(log.rows)
    done = 0
    for codes, days, amount_part in purchase_batches(log):
        n = len(codes)
        np.multiply(cal.lookup[days - cal.day0], log.customers, out=keys[done:done + n], casting="unsafe")
        keys[done:done + n] += codes
        amounts[done:done + n] = amount_part
        done += n
    order = np.argsort(keys, kind="stable")
    keys, amounts = keys[order], amounts[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else np.zeros(0, int)
    pair_revenue = np.add.reduceat(amounts, starts) if keys.size else np.zeros(0)
    pairs = keys[starts]
    pair_period = pairs // log.customers
    revenue = np.bincount(pair_period, weights=pair_revenue, minlength=cal.count)
    previous_key = pairs - log.customers
    where = np.minimum(np.searchsorted(pairs, previous_key), max(pairs.size - 1, 0))
    found = pairs[where] == previous_key
    before = pair_revenue[where[found]]
    now = pair_revenue[found]
    from_previous = np.bincount(pair_period[found], weights=now, minlength=cal.count)
    # what a customer kept: its revenue now, capped at what it spent before, and never below 0
    # (a customer cannot lose more than all it spent: a net refund counts as fully lost)
    kept = np.bincount(pair_period[found], weights=np.maximum(np.minimum(now, before), 0.0),
                       minlength=cal.count)
    previous = np.concatenate(([np.nan], revenue[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        has_base = previous > 0
        table = pd.DataFrame({
            "revenue": revenue, "previous_revenue": previous,
            "revenue_from_previous_customers": from_previous, "kept_revenue": kept,
            "gross_revenue_retention": np.where(has_base, kept / np.where(has_base, previous, 1), np.nan),
            "net_revenue_retention": np.where(has_base, from_previous / np.where(has_base, previous, 1), np.nan),
        }, index=cal.index())
    return table
