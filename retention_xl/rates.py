"""Retention, churn and lost customers from the three counts of a period.

Every function takes scalars, sequences, numpy arrays or pandas Series and
broadcasts like numpy: a whole column is one call. A Series in gives a Series
out with the same index; all-scalar input gives a float. Rates are fractions
(0.925, shown as 92.5% by the Excel functions and the widgets).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import (FRACTION, POSITIVE, RETENTION_BELOW_ONE, checked_counts,
                         choice, kept_customers, prepare)

__all__ = [
    "retention_rate",
    "churn_rate",
    "lost_customers",
    "customer_lifetime",
    "convert_retention",
    "convert_churn",
    "average_churn",
]

AVERAGE_METHODS = ("mean", "pooled", "geometric")


def retention_rate(start: Any, end: Any, new: Any):
    """Share of the customers at the start of a period who are still customers at its end.

    Parameters
    ----------
    start : scalar or array_like
        Customers at the start of the period. Must be above 0.
    end : scalar or array_like
        Customers at the end of the period, new customers included.
    new : scalar or array_like
        New customers won during the period and still customers at its end.

    Returns
    -------
    float, ndarray or Series
        Retention as a fraction from 0 to 1, in the broadcast shape of the inputs.

    Raises
    ------
    RetentionInputError
        If a count is blank, not a number, negative or infinite; if there are
        no customers at start; if new customers exceed customers at end; or if
        more customers were kept than there were at the start. The message
        names the field, the value and the row.

    Notes
    -----
    .. math:: \\text{retention} = \\frac{\\text{end} - \\text{new}}{\\text{start}}

    The formula is exact when ``new`` counts only the new customers still there
    at the end. If ``new`` is gross sign-ups and some of them left within the
    period, those losses are charged to the starting customers: 100 at start, 10
    of them lost, 20 new of whom 5 left, 105 at end gives 85% with ``new=20``
    but the true 90% with ``new=15``. Counts computed from a transaction log are
    always exact.

    Examples
    --------
    107 customers at the start of the month, 120 at the end, 21 of them new:
    what is the retention?

    >>> import retention_xl as rx
    >>> round(rx.retention_rate(107, 120, 21), 4)
    0.9252

    Three months in one call, one rate per month:

    >>> rx.retention_rate([100, 1000, 107], [110, 2000, 120], [20, 1500, 21]).round(4)
    array([0.9   , 0.5   , 0.9252])
    """
    inputs, retention = checked_counts(start, end, new)
    return inputs.wrap(retention, "retention")


def churn_rate(start: Any, end: Any, new: Any):
    """Share of the customers at the start of a period who left during it.

    Parameters
    ----------
    start, end, new : scalar or array_like
        Customers at the start, at the end (new included), and new customers,
        as for :func:`retention_rate`.

    Returns
    -------
    float, ndarray or Series
        Churn as a fraction from 0 to 1.

    Notes
    -----
    .. math:: \\text{churn} = 1 - \\text{retention} = \\frac{\\text{start} - (\\text{end} - \\text{new})}{\\text{start}}

    Examples
    --------
    We started the quarter with 100 customers, won 20 and ended with 110:
    how many of the original customers did we lose, as a share?

    >>> import retention_xl as rx
    >>> round(rx.churn_rate(100, 110, 20), 4)
    0.1
    """
    inputs, retention = checked_counts(start, end, new)
    return inputs.wrap(np.subtract(1.0, retention, out=retention if retention.ndim else None), "churn")


def lost_customers(start: Any, end: Any, new: Any):
    """Number of the customers at the start of a period who left during it.

    Parameters
    ----------
    start, end, new : scalar or array_like
        Customers at the start, at the end (new included), and new customers,
        as for :func:`retention_rate`.

    Returns
    -------
    float, ndarray or Series
        Customers lost, 0 or more.

    Notes
    -----
    .. math:: \\text{lost} = \\text{start} - (\\text{end} - \\text{new})

    Where ``end - new`` equals ``start`` to 15 significant digits, as a
    spreadsheet compares, lost is exactly 0 (0.3 at start, 0.4 at end, 0.1 new:
    0, not -5.6e-17).

    Examples
    --------
    107 customers at the start of the month, 120 at the end, 21 of them new:
    how many customers did we lose?

    >>> import retention_xl as rx
    >>> rx.lost_customers(107, 120, 21)
    8.0
    """
    inputs, _ = checked_counts(start, end, new)
    start_v, end_v, new_v = (inputs[f] for f in ("start", "end", "new"))
    return inputs.wrap(start_v - kept_customers(start_v, end_v, new_v), "lost")


def customer_lifetime(retention: Any):
    """Expected number of periods a customer stays, from the retention per period.

    Parameters
    ----------
    retention : scalar or array_like
        Retention per period, a fraction from 0 up to but not including 1.

    Returns
    -------
    float, ndarray or Series
        Expected lifetime in periods (the unit of the retention: months for a
        monthly rate).

    Notes
    -----
    Survival follows a geometric distribution, so the expected lifetime is

    .. math:: \\text{lifetime} = \\frac{1}{1 - \\text{retention}} = \\frac{1}{\\text{churn}}

    Examples
    --------
    We keep 95% of our customers each month: how many months does a customer
    stay on average?

    >>> import retention_xl as rx
    >>> round(rx.customer_lifetime(0.95), 6)
    20.0
    """
    inputs = prepare({"retention": (retention, RETENTION_BELOW_ONE)})
    return inputs.wrap(1.0 / (1.0 - inputs["retention"]), "lifetime")


def convert_retention(retention: Any, periods: Any):
    """Retention over a different length of time, e.g. quarterly to annual.

    Parameters
    ----------
    retention : scalar or array_like
        Retention per period, a fraction from 0 to 1.
    periods : scalar or array_like
        How many of the given periods make the new one: 4 turns a quarterly
        rate into an annual one, 1/12 turns an annual rate into a monthly one.

    Returns
    -------
    float, ndarray or Series
        Retention over the new period.

    Notes
    -----
    A customer must survive each period in turn, so

    .. math:: r_{\\text{new}} = r^{\\text{periods}}

    Never multiply churn by the number of periods.

    Examples
    --------
    We keep 95% of customers each quarter: what is that per year?

    >>> import retention_xl as rx
    >>> round(rx.convert_retention(0.95, 4), 4)
    0.8145
    """
    inputs = prepare({"retention": (retention, FRACTION), "periods": (periods, POSITIVE)})
    return inputs.wrap(np.power(inputs["retention"], inputs["periods"]), "retention")


def convert_churn(churn: Any, periods: Any):
    """Churn over a different length of time, e.g. annual to monthly.

    Parameters
    ----------
    churn : scalar or array_like
        Churn per period, a fraction from 0 to 1.
    periods : scalar or array_like
        How many of the given periods make the new one (1/12: annual to monthly).

    Returns
    -------
    float, ndarray or Series
        Churn over the new period.

    Notes
    -----
    .. math:: c_{\\text{new}} = 1 - (1 - c)^{\\text{periods}}

    Examples
    --------
    We lose 30% of our customers a year: what is the monthly churn? (Not 2.5%.)

    >>> import retention_xl as rx
    >>> round(rx.convert_churn(0.30, 1 / 12), 5)
    0.02928
    """
    inputs = prepare({"churn": (churn, FRACTION), "periods": (periods, POSITIVE)})
    return inputs.wrap(1.0 - np.power(1.0 - inputs["churn"], inputs["periods"]), "churn")


def average_churn(start: Any, end: Any, new: Any, method: str = "mean") -> float:
    """Average churn over several periods, by one of three named methods.

    Parameters
    ----------
    start, end, new : array_like
        Customers at the start, at the end (new included), and new customers,
        one entry per period.
    method : {'mean', 'pooled', 'geometric'}, optional
        ``'mean'`` (default): arithmetic mean of the period churn rates.
        ``'pooled'``: all customers lost over all customers at start, so big
        periods weigh more. ``'geometric'``: the constant churn per period that
        gives the same overall survival.

    Returns
    -------
    float
        Average churn per period, a fraction from 0 to 1.

    Notes
    -----
    With churn :math:`c_i`, lost :math:`L_i` and start :math:`S_i` in each of
    :math:`k` periods:

    .. math::
        \\text{mean} = \\frac{1}{k}\\sum c_i \\qquad
        \\text{pooled} = \\frac{\\sum L_i}{\\sum S_i} \\qquad
        \\text{geometric} = 1 - \\Big(\\prod (1 - c_i)\\Big)^{1/k}

    Examples
    --------
    A small shop and its big month: 100 customers lose 10, then 1,000 lose 300.
    What was the average monthly churn?

    >>> import retention_xl as rx
    >>> start, end, new = [100, 1000], [90, 700], [0, 0]
    >>> round(rx.average_churn(start, end, new, "mean"), 4)
    0.2
    >>> round(rx.average_churn(start, end, new, "pooled"), 4)
    0.2818
    >>> round(rx.average_churn(start, end, new, "geometric"), 4)
    0.2063
    """
    method = choice(method, "method", AVERAGE_METHODS)
    inputs, retention = checked_counts(start, end, new)
    retention = np.ravel(retention)
    if retention.size == 0:
        from .errors import RetentionInputError
        raise RetentionInputError("no periods given: average churn needs at least one period",
                                  field="start")
    if method == "mean":
        return float(np.mean(1.0 - retention))
    if method == "pooled":
        start_v, end_v, new_v = (np.broadcast_to(inputs[f], inputs.shape) for f in ("start", "end", "new"))
        return float(np.sum(start_v - kept_customers(start_v, end_v, new_v)) / np.sum(start_v))
    # geometric: the logs keep a long product from underflowing
    with np.errstate(divide="ignore"):
        mean_log = np.mean(np.log(retention))
    return float(1.0 - np.exp(mean_log))
