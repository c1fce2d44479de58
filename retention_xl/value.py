"""What one customer is worth, and what better retention does to that (docs/methodology.md section 4, Model A)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import Problem, RetentionInputError
from .validation import (ANY_NUMBER, MONEY, RATE, RETENTION_BELOW_ONE, all_problems, choice, collect,
                         finite_problems, finite_results, flag, problem_rows, raise_if, show,
                         within_15_digits)

__all__ = ["customer_value", "profit_uplift", "improved_retention", "value_change", "ValueChange"]

UPLIFT_MODES = ("points", "relative")


def customer_value(margin: Any, retention: Any, discount_rate: Any = 0.0,
                   acquisition_cost: Any = 0.0):
    """Present value of one new customer: the margins it brings, less what it cost to win.

    Parameters
    ----------
    margin : scalar or array_like
        Margin earned from the customer at the end of each period it stays
        (may be negative).
    retention : scalar or array_like
        Retention per period, a fraction from 0 up to but not including 1.
    discount_rate : scalar or array_like, optional
        Discount rate per period, 0 or more (0.1 for 10%). Default 0.
    acquisition_cost : scalar or array_like, optional
        Cost of winning the customer, 0 or more. Default 0.

    Returns
    -------
    float, ndarray or Series
        Value of one customer, in the currency of ``margin``.

    Notes
    -----
    The first period is certain and the customer survives to period :math:`t`
    with probability :math:`r^{t-1}`; the margin :math:`m` of period :math:`t`
    is discounted by :math:`(1 + d)^t`. The sum is a geometric series:

    .. math:: \\text{value} = \\sum_{t \\ge 1} \\frac{m\\, r^{t-1}}{(1 + d)^t} - \\text{CAC}
              = \\frac{m}{1 + d - r} - \\text{CAC}

    With :math:`d = 0` this is margin times lifetime, :math:`m / (1 - r)`, less CAC.
    Where the margins' worth equals CAC to 15 significant digits the value is
    exactly 0, as a spreadsheet subtracts. A value too large for a float is
    refused with a sentence naming the inputs, never returned as inf.

    Examples
    --------
    A customer brings $100 of margin a year, 90% of customers stay each year,
    money costs 10% a year and winning a customer costs $150: what is a new
    customer worth?

    >>> import retention_xl as rx
    >>> round(rx.customer_value(100, 0.90, discount_rate=0.10, acquisition_cost=150), 2)
    350.0
    """
    inputs, problems = _value_inputs(margin, retention, discount_rate, acquisition_cost)
    value = _value(inputs["margin"], inputs["retention"], inputs["discount_rate"],
                   inputs["acquisition_cost"])
    problems += finite_problems(value, inputs, "the value of a customer",
                                skip=problem_rows(problems, inputs.shape))
    raise_if(problems)
    return inputs.wrap(value, "value")


def _value_inputs(margin, retention, discount_rate, acquisition_cost, extra=None):
    """The converted inputs and their problems, not raised yet: the later checks of the
    same call add theirs (one pass: every bad row of a call is in one error)."""
    checks = {
        "margin": (margin, ANY_NUMBER),
        "retention": (retention, RETENTION_BELOW_ONE),
        "discount_rate": (discount_rate, RATE),
        "acquisition_cost": (acquisition_cost, MONEY),
    }
    if extra:
        checks.update(extra)
    inputs = collect(checks)
    return inputs, all_problems(inputs, checks)


def _value(margin, retention, discount_rate, acquisition_cost):
    """m / (1 + d - r) - CAC, exactly 0 where the two terms agree to 15 significant digits."""
    with np.errstate(all="ignore"):
        worth = margin / (1.0 + discount_rate - retention)
        value = worth - acquisition_cost
        return np.where(within_15_digits(value, np.maximum(np.abs(worth), acquisition_cost)),
                        0.0, value)


def improved_retention(retention: Any, uplift: Any = 0.05, mode: str = "points"):
    """Retention after an improvement, in points (r + uplift) or relative (r x (1 + uplift)).

    Parameters
    ----------
    retention : scalar or array_like
        Retention now, a fraction from 0 up to but not including 1.
    uplift : scalar or array_like, optional
        The improvement: 0.05 is 5 points with ``mode='points'`` (90% to 95%)
        or 5% more with ``mode='relative'`` (90% to 94.5%). Negative values
        model a drop.
    mode : {'points', 'relative'}, optional
        How ``uplift`` applies. Default ``'points'``, the meaning of the Bain
        "+5% retention" claim (defection 10% to 5%).

    Returns
    -------
    float, ndarray or Series
        Improved retention, checked to lie in [0, 1).

    Examples
    --------
    We keep 90% of customers a year. What is retention after +5 points, and
    after +5% relative?

    >>> import retention_xl as rx
    >>> round(rx.improved_retention(0.90, 0.05), 4)
    0.95
    >>> round(rx.improved_retention(0.90, 0.05, mode="relative"), 4)
    0.945
    """
    mode = choice(mode, "mode", UPLIFT_MODES)
    checks = {"retention": (retention, RETENTION_BELOW_ONE), "uplift": (uplift, ANY_NUMBER)}
    inputs = collect(checks)
    problems = all_problems(inputs, checks)
    improved, more = _improved_and_problems(inputs, mode, problem_rows(problems, inputs.shape))
    raise_if(problems + more)
    return inputs.wrap(improved, "retention")


def improved_rates(inputs, mode: str) -> np.ndarray:
    """Improved retention for validated inputs; raises where it leaves [0, 1)."""
    improved, problems = _improved_and_problems(inputs, mode)
    raise_if(problems)
    return improved


def _improved_and_problems(inputs, mode: str, skip=None) -> tuple[np.ndarray, list[Problem]]:
    """Improved retention and the rows where it leaves [0, 1) (rows in ``skip`` left out)."""
    base, uplift = inputs["retention"], inputs["uplift"]
    with np.errstate(all="ignore"):
        if mode == "points":
            improved = base + uplift
            scale = np.maximum(np.abs(base), np.abs(uplift))
            at_zero = within_15_digits(improved, scale)
        else:
            improved = base * (1.0 + uplift)
            scale = np.abs(improved)
            at_zero = within_15_digits(1.0 + uplift, np.maximum(1.0, np.abs(uplift)))
        # 1 and 0 to 15 significant digits are 1 and 0 (0.43 + 0.57 is not 0.9999999999999999)
        at_one = within_15_digits(improved - 1.0, np.maximum(scale, 1.0))
        improved = np.where(at_one, 1.0, np.where(at_zero, 0.0, improved))
    improved = np.broadcast_to(improved, inputs.shape)
    bad = ~((improved >= 0) & (improved < 1))
    if skip is not None:
        bad = bad & ~skip
    problems = []
    if bad.any():
        base_b = np.broadcast_to(base, inputs.shape)
        uplift_b = np.broadcast_to(uplift, inputs.shape)
        for position in (zip(*np.nonzero(bad)) if bad.ndim else [()]):
            position = tuple(int(p) for p in position)
            how = (f"{show(round(uplift_b[position] * 100, 10))} points" if mode == "points"
                   else f"{show(round(uplift_b[position] * 100, 10))}% relative")
            reached = improved[position]
            clause = (f"retention {show(base_b[position])} improved by {how} gives "
                      f"{show(reached)}, outside 0 to below 1")
            hint = ("a customer who never leaves has infinite value; choose a smaller uplift"
                    if reached >= 1 else "choose a smaller drop")
            loc = None if inputs.scalar else position
            problems.append(Problem("uplift", clause, hint, "#NUM!", loc,
                                    None if loc is None else inputs.label(position)))
    return improved, problems


def profit_uplift(margin: Any, retention: Any, uplift: Any = 0.05, discount_rate: Any = 0.0,
                  acquisition_cost: Any = 0.0, mode: str = "points", absolute: bool = False):
    """How much more one customer is worth when retention improves.

    Parameters
    ----------
    margin, retention, discount_rate, acquisition_cost : scalar or array_like
        As for :func:`customer_value`.
    uplift : scalar or array_like, optional
        The improvement in retention (default 0.05: 5 points).
    mode : {'points', 'relative'}, optional
        ``'points'`` (default) adds ``uplift`` to retention; ``'relative'``
        multiplies retention by ``1 + uplift``.
    absolute : bool, optional
        Return the change in value (currency) instead of the fractional rise.
        Needed when the value today is 0 or negative, where a percentage means
        nothing. Default False.

    Returns
    -------
    float, ndarray or Series
        ``value(improved) / value(now) - 1`` (a fraction: 0.476 is +47.6%), or
        ``value(improved) - value(now)`` with ``absolute=True``.

    Raises
    ------
    RetentionInputError
        If the inputs are bad, if the improved retention leaves [0, 1), or if the
        value today is not positive and ``absolute`` is False.

    Notes
    -----
    With :math:`v(r) = m / (1 + d - r) - \\text{CAC}` and :math:`r'` the improved
    retention (:math:`r + \\Delta` or :math:`r (1 + \\Delta)`):

    .. math:: \\text{uplift} = \\frac{v(r')}{v(r)} - 1

    The Bain & Company claim that +5% retention raises profits 25% to 95% came
    from this arithmetic on illustrative industries, not from a measured study:
    compute it from your own margin, retention and costs.

    Examples
    --------
    $100 margin a year, 10% discount rate, $150 to win a customer, 90% kept a
    year: what do +5 points of retention do to the value of a customer?

    >>> import retention_xl as rx
    >>> round(rx.profit_uplift(100, 0.90, 0.05, discount_rate=0.10, acquisition_cost=150), 3)
    0.476

    And in dollars:

    >>> round(rx.profit_uplift(100, 0.90, 0.05, discount_rate=0.10, acquisition_cost=150,
    ...                        absolute=True), 2)
    166.67
    """
    mode = choice(mode, "mode", UPLIFT_MODES)
    absolute = flag(absolute, "absolute")
    # one pass: each check skips the rows an earlier one refused, and all are raised together
    inputs, problems = _value_inputs(margin, retention, discount_rate, acquisition_cost,
                                     extra={"uplift": (uplift, ANY_NUMBER)})
    bad = problem_rows(problems, inputs.shape)

    def add(more: list[Problem]) -> None:
        problems.extend(more)
        bad[...] |= problem_rows(more, inputs.shape)

    improved, more = _improved_and_problems(inputs, mode, bad)
    add(more)
    margin_v, rate, cost = inputs["margin"], inputs["discount_rate"], inputs["acquisition_cost"]
    before = _value(margin_v, inputs["retention"], rate, cost)
    add(finite_problems(before, inputs, "the value of a customer today", skip=bad))
    after = _value(margin_v, improved, rate, cost)
    add(finite_problems(after, inputs, "the value of a customer with the improved retention", skip=bad))
    if absolute:
        change = after - before
        add(finite_problems(change, inputs, "the change in value", skip=bad))
        raise_if(problems)
        return inputs.wrap(change, "uplift")
    before_b = np.broadcast_to(before, inputs.shape)
    not_positive = ~(before_b > 0) & ~bad
    if not_positive.any():
        for position in (zip(*np.nonzero(not_positive)) if not_positive.ndim else [()]):
            position = tuple(int(p) for p in position)
            loc = None if inputs.scalar else position
            problems.append(Problem(
                "margin",
                f"the value of a customer today is {show(round(float(before_b[position]), 2))}, "
                "not above 0, so a percentage uplift means nothing",
                "ask for the change in value instead (absolute=True), or check margin and "
                "acquisition cost", "#NUM!", loc, None if loc is None else inputs.label(position)))
        bad |= not_positive
    with np.errstate(all="ignore"):
        uplift_share = after / before - 1.0
    add(finite_problems(uplift_share, inputs, "the uplift", skip=bad))
    raise_if(problems)
    return inputs.wrap(uplift_share, "uplift")


@dataclass(frozen=True)
class ValueChange:
    """The outcome of :func:`value_change`: one customer now and at the improved retention.

    Attributes
    ----------
    retention_now, retention_improved : float
        The two retention rates.
    value_now, value_improved : float
        :func:`customer_value` at each.
    uplift : float or None
        ``value_improved / value_now - 1`` (as :func:`profit_uplift`); None when
        the value now is not above 0, where a percentage means nothing.
    difference : float
        ``value_improved - value_now``: what the better retention adds (currency).
    """

    retention_now: float
    retention_improved: float
    uplift: float | None
    value_now: float
    value_improved: float
    difference: float


def value_change(margin: Any, retention: Any, retention_improved: Any, discount_rate: Any = 0.0,
                 acquisition_cost: Any = 0.0) -> ValueChange:
    """One customer's value now and at an improved retention, with the rise, in one call.

    Takes single numbers only (like :func:`retention_xl.project_profit`): it is
    the one sequence the what-if page and the command line show. The improved
    retention is given, not an uplift, so a face that already applied the
    uplift (:func:`improved_retention`, or ``ProjectionResult.retention_improved``)
    does not apply it a second time.

    Parameters
    ----------
    margin, retention, discount_rate, acquisition_cost : float
        As for :func:`customer_value`.
    retention_improved : float
        Retention after the improvement, from 0 up to but not including 1.

    Returns
    -------
    ValueChange

    Notes
    -----
    .. math:: \\text{uplift} = \\frac{v(r')}{v(r)} - 1, \\qquad
              v(r) = \\frac{m}{1 + d - r} - \\text{CAC}

    Examples
    --------
    $100 margin a year, 10% discount rate, $150 to win a customer: what does
    going from 90% to 95% retention do to one customer's value?

    >>> import retention_xl as rx
    >>> change = rx.value_change(100, 0.90, 0.95, discount_rate=0.10, acquisition_cost=150)
    >>> round(change.value_now, 2), round(change.value_improved, 2), round(change.uplift, 3)
    (350.0, 516.67, 0.476)
    """
    checks = {"retention_improved": (retention_improved, RETENTION_BELOW_ONE)}
    inputs, problems = _value_inputs(margin, retention, discount_rate, acquisition_cost, extra=checks)
    raise_if(problems)
    if not inputs.scalar:
        raise RetentionInputError(Problem("retention", "value_change takes single numbers",
                                          "call customer_value or profit_uplift for arrays"))
    margin_v, rate, cost = inputs["margin"], inputs["discount_rate"], inputs["acquisition_cost"]
    now = float(finite_results(_value(margin_v, inputs["retention"], rate, cost), inputs,
                               "the value of a customer"))
    better = float(finite_results(_value(margin_v, inputs["retention_improved"], rate, cost), inputs,
                                  "the value of a customer with the improved retention"))
    with np.errstate(all="ignore"):
        uplift = float(better / now - 1.0) if now > 0 else None
    return ValueChange(float(inputs["retention"]), float(inputs["retention_improved"]), uplift,
                       now, better, better - now)
