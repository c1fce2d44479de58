"""Every data-error rule of docs/methodology.md section 2, each checked for the exact kind of message."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl import RetentionInputError

# (call, field, excel_error, words the message must contain)
CASES = [
    # the three counts, one at a time
    (lambda: rx.retention_rate(0, 10, 2), "start", "#DIV/0!", ["no customers at start", "is 0"]),
    (lambda: rx.retention_rate(None, 10, 2), "start", "#DIV/0!", ["no customers at start", "blank"]),
    (lambda: rx.retention_rate("", 10, 2), "start", "#DIV/0!", ["no customers at start", "blank"]),
    (lambda: rx.retention_rate(100, None, 2), "end", "#VALUE!", ["customers at end is blank", "never read as 0"]),
    (lambda: rx.retention_rate(100, 90, math.nan), "new", "#VALUE!", ["new customers is blank"]),
    (lambda: rx.retention_rate(100, 90, pd.NA), "new", "#VALUE!", ["new customers is blank"]),
    (lambda: rx.retention_rate(-5, 10, 2), "start", "#NUM!", ["customers at start", "-5"]),
    (lambda: rx.retention_rate(100, -1, 0), "end", "#NUM!", ["customers at end cannot be negative, got -1"]),
    (lambda: rx.retention_rate(100, 90, -3), "new", "#NUM!", ["new customers cannot be negative, got -3"]),
    (lambda: rx.retention_rate(math.inf, 90, 3), "start", "#NUM!", ["customers at start must be a finite number, got inf"]),
    (lambda: rx.retention_rate(100, -math.inf, 3), "end", "#NUM!", ["customers at end must be a finite number, got -inf"]),
    (lambda: rx.retention_rate("abc", 90, 3), "start", "#VALUE!", ["customers at start must be a number", "'abc'"]),
    (lambda: rx.retention_rate(100, "1,200", 3), "end", "#VALUE!", ["customers at end must be a number", "'1,200'"]),
    (lambda: rx.retention_rate(100, 90, "5%"), "new", "#VALUE!", ["new customers must be a number", "'5%'"]),
    (lambda: rx.retention_rate(True, 90, 3), "start", "#VALUE!", ["customers at start", "true/false"]),
    (lambda: rx.retention_rate(100, 90, [3]), None, None, None),  # valid: broadcasting, checked below
    (lambda: rx.retention_rate(100, object(), 3), "end", "#VALUE!", ["customers at end must be a number", "object"]),
    # consistency between counts
    (lambda: rx.retention_rate(100, 20, 25), "new", "#NUM!", ["new customers (25) cannot exceed customers at end (20)", "at most 20"]),
    (lambda: rx.retention_rate(107, 140, 3), "end", "#NUM!", ["(140 - 3 = 137) is more than customers at start (107)", "reactivated"]),
    # vectors name the row
    (lambda: rx.retention_rate([10, 20, 30, 40], [10, 20, 30, 20], [0, 0, 0, 25]), "new", "#NUM!",
     ["new customers (25) cannot exceed customers at end (20) at row 3"]),
    (lambda: rx.churn_rate(pd.Series([10, 0], index=["Jan", "Feb"]), 5, 0), "start", "#DIV/0!",
     ["no customers at start", "at row 'Feb'"]),
    (lambda: rx.lost_customers(np.array([10.0, np.nan]), 5, 0), "start", "#VALUE!", ["blank (NaN)", "at row 1"]),
    (lambda: rx.retention_rate([10, None, 30], 5, 0), "start", "#DIV/0!", ["blank", "at row 1"]),
    (lambda: rx.retention_rate([10, 20], [5, 6, 7], 0), "input", "#VALUE!", ["shapes that do not fit together"]),
    (lambda: rx.retention_rate(pd.Series([10, 20]), pd.Series([5, 6], index=[5, 6]), 0), "end", "#VALUE!",
     ["different indexes"]),
    # rates and conversions
    (lambda: rx.customer_lifetime(1.0), "retention", "#NUM!", ["retention must be a fraction from 0 up to but not including 1, got 1"]),
    (lambda: rx.customer_lifetime(92.5), "retention", "#NUM!", ["retention must be a fraction from 0 up to but not including 1, got 92.5", "write 0.925 for 92.5%"]),
    (lambda: rx.customer_lifetime(-0.1), "retention", "#NUM!", ["retention cannot be negative, got -0.1", "enter a fraction from 0"]),
    (lambda: rx.convert_retention(1.2, 4), "retention", "#NUM!", ["retention must be a fraction from 0 to 1, got 1.2"]),
    (lambda: rx.convert_retention(0.9, 0), "periods", "#NUM!", ["periods must be a number above 0, got 0"]),
    (lambda: rx.convert_churn(0.3, -12), "periods", "#NUM!", ["periods must be a number above 0, got -12"]),
    (lambda: rx.average_churn([10], [5], [0], method="median"), "method", "#VALUE!",
     ["method must be one of 'mean', 'pooled', 'geometric', got 'median'"]),
    (lambda: rx.average_churn([], [], []), "start", "#VALUE!", ["no periods given"]),
    # value and projection
    (lambda: rx.customer_value(100, 0.9, discount_rate=-0.1), "discount_rate", "#NUM!", ["discount rate cannot be negative, got -0.1", "0.1 for 10%"]),
    (lambda: rx.customer_value(100, 0.9, acquisition_cost=-5), "acquisition_cost", "#NUM!", ["acquisition cost cannot be negative, got -5"]),
    (lambda: rx.customer_value("100", 0.9), "margin", "#VALUE!", ["margin per customer must be a number", "'100'"]),
    (lambda: rx.profit_uplift(100, 0.97, 0.05), "uplift", "#NUM!", ["improved by 5 points gives 1.02", "infinite value"]),
    (lambda: rx.profit_uplift(100, 0.5, 1.0, mode="relative"), "uplift", "#NUM!", ["100% relative gives 1"]),
    (lambda: rx.profit_uplift(10, 0.5, 0.05, acquisition_cost=50), "margin", "#NUM!",
     ["value of a customer today is -30", "absolute=True"]),
    (lambda: rx.profit_uplift(100, 0.9, mode="percent"), "mode", "#VALUE!", ["mode must be one of 'points', 'relative'"]),
    (lambda: rx.project_profit(1000, 0.8, 200, 100, periods=0), "periods", "#NUM!", ["whole number of periods from 1 to 1200, got 0"]),
    (lambda: rx.project_profit(1000, 0.8, 200, 100, periods=2.5), "periods", "#NUM!", ["periods must be a whole number, got 2.5"]),
    (lambda: rx.project_profit(1000, 0.8, 200, 100, fixed_cost=None), "fixed_cost", "#VALUE!", ["fixed cost per period is blank"]),
    (lambda: rx.project_profit(-1, 0.8, 200, 100), "customers", "#NUM!", ["customers now cannot be negative, got -1"]),
    (lambda: rx.project_profit([1000, 2000], 0.8, 200, 100), "input", "#VALUE!", ["takes single numbers"]),
    # issue 14: odd Python and numpy values get the core's sentence, never a traceback
    (lambda: rx.retention_rate(10**400, 5, 1), "start", "#NUM!",
     ["customers at start must be a finite number, got 1e+400", "below 1.8e308"]),
    (lambda: rx.retention_rate([100, 10**400], 5, 1), "start", "#NUM!", ["got 1e+400 at row 1"]),
    (lambda: rx.retention_rate(np.timedelta64(5, "D"), 5, 1), "start", "#VALUE!",
     ["customers at start must be a number, got the time span 5 days"]),
    (lambda: rx.retention_rate(10, np.array([5, 6], dtype="m8[D]"), 1), "end", "#VALUE!",
     ["customers at end must be a number, got the time span 5 days at row 0"]),
    (lambda: rx.retention_rate(10, 5, Decimal("sNaN")), "new", "#VALUE!", ["new customers is blank"]),
    (lambda: rx.retention_rate(10, np.ma.masked_array([5.0, 7.0], mask=[False, True]), 1), "end", "#VALUE!",
     ["customers at end is blank at row 1", "never read as 0"]),
    (lambda: rx.retention_rate(np.ma.masked_array([10.0, 99.0], mask=[True, False]), 5, 1), "start", "#DIV/0!",
     ["no customers at start", "blank", "at row 0"]),
    # non-finite results are refused, naming the inputs
    (lambda: rx.customer_value(1e308, 0.99), "input", "#NUM!",
     ["the value of a customer is too large to compute (inf) from margin per customer 1e+308, retention 0.99"]),
    (lambda: rx.profit_uplift(1e306, 0.9, 0.0999999, absolute=True), "input", "#NUM!",
     ["value of a customer with the improved retention is too large to compute"]),
    (lambda: rx.project_profit(1e308, 0.9, 1e308, 1e308), "input", "#NUM!",
     ["the profit over the horizon is too large to compute", "customers now 1e+308"]),
    # a yes/no option takes True or False only: the text "no" is not true
    (lambda: rx.profit_uplift(100, 0.9, absolute="no"), "absolute", "#VALUE!",
     ["absolute must be True or False, got 'no'"]),
]

ERROR_CASES = [case for case in CASES if case[1] is not None]


@pytest.mark.parametrize("call, field, excel_error, words", ERROR_CASES,
                         ids=[f"{i:02d}-{c[1]}" for i, c in enumerate(ERROR_CASES)])
def test_bad_input_is_refused_with_a_message_naming_it(call, field, excel_error, words):
    with pytest.raises(RetentionInputError) as caught:
        call()
    error = caught.value
    assert isinstance(error, ValueError)
    first = error.problems[0]
    assert first.field == field
    assert first.excel_error == excel_error
    for word in words:
        assert word in str(error), f"{word!r} not in {str(error)!r}"


def test_at_least_25_bad_inputs_are_covered():
    assert len(ERROR_CASES) >= 25


def test_every_bad_row_is_reported_not_just_the_first():
    start = [100, 0, 100, 100, 100]
    end = [90, 90, 20, 90, None]
    new = [10, 10, 25, -1, 0]
    with pytest.raises(RetentionInputError) as caught:
        rx.retention_rate(start, end, new)
    by_row = {p.position: p for p in caught.value.problems}
    assert sorted(by_row) == [(1,), (2,), (3,), (4,)]
    assert by_row[(1,)].excel_error == "#DIV/0!"
    assert "new customers (25) cannot exceed customers at end (20)" in by_row[(2,)].clause
    assert by_row[(3,)].field == "new" and "negative" in by_row[(3,)].clause
    assert by_row[(4,)].field == "end" and "blank" in by_row[(4,)].clause
    assert str(caught.value).startswith("4 bad inputs:")


def test_a_scalar_problem_has_no_row_and_the_sentence_can_take_a_cell_address():
    with pytest.raises(RetentionInputError) as caught:
        rx.retention_rate(100, 20, 25)
    problem = caught.value.problems[0]
    assert problem.position is None and problem.location == ""
    assert problem.sentence(" in Data!D7").startswith(
        "new customers (25) cannot exceed customers at end (20) in Data!D7: ")


def test_fractional_counts_are_allowed():
    assert rx.retention_rate(10.5, 10.0, 0.5) == pytest.approx(9.5 / 10.5)


def test_decimal_and_numpy_scalars_are_numbers():
    assert rx.retention_rate(Decimal("107"), np.int64(120), np.float32(21)) == pytest.approx(99 / 107)


def test_broadcasting_a_scalar_against_a_column_is_valid():
    assert rx.retention_rate(100, 90, [3]).tolist() == [0.87]


def test_a_bad_row_deep_in_a_long_column_is_found():
    rows = 300_000  # several validation blocks
    start = np.full(rows, 100.0)
    end = np.full(rows, 90.0)
    new = np.full(rows, 5.0)
    new[rows - 3] = 95.0
    with pytest.raises(RetentionInputError) as caught:
        rx.retention_rate(start, end, new)
    assert [p.position for p in caught.value.problems] == [(rows - 3,)]
    assert f"at row {rows - 3}" in str(caught.value)
    new[rows - 3] = 5.0
    np.testing.assert_array_equal(rx.retention_rate(start, end, new), np.full(rows, 0.85))


def test_a_masked_element_is_blank_and_the_rest_is_computed():
    start = np.ma.masked_array([100.0, 200.0], mask=[False, False])
    assert rx.retention_rate(start, [110.0, 190.0], [20.0, 10.0]).tolist() == [0.9, 0.9]
    with pytest.raises(RetentionInputError, match=r"^customers at end is blank: enter a number"):
        rx.retention_rate(100, np.ma.masked, 1)   # a single masked value: no row to name


def test_cli_refuses_a_non_finite_value_with_the_sentence(cli):
    out = cli("value", "1e308", "0.99", "--uplift", "0.001")
    assert out.returncode == 2 and "n/a" not in out.stdout and "Traceback" not in out.stderr
    assert "the value of a customer is too large to compute (inf) from margin per customer 1e+308" in out.stderr
