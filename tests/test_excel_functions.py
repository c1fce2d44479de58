"""The Excel functions called as each runtime calls them, bad cells, and parity with the core."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import retention_xl as rx
from excel_udfs import classic_addin_view, excel_functions
from retention_xl.excel import functions as xl

with classic_addin_view() as (_module, _udfs):
    ALL_FUNCTIONS = sorted(excel_functions(_module))

# One valid call per function, as plain numbers, and the core's answer.
VALID = {
    "RETENTION": ((107, 120, 21), lambda: rx.retention_rate(107, 120, 21)),
    "CHURN": ((107, 120, 21), lambda: rx.churn_rate(107, 120, 21)),
    "LOST_CUSTOMERS": ((107, 120, 21), lambda: rx.lost_customers(107, 120, 21)),
    "CUSTOMER_LIFETIME": ((0.95,), lambda: rx.customer_lifetime(0.95)),
    "CONVERT_RETENTION": ((0.95, 4), lambda: rx.convert_retention(0.95, 4)),
    "CONVERT_CHURN": ((0.3, 2), lambda: rx.convert_churn(0.3, 2)),
    "CUSTOMER_VALUE": ((100, 0.9, 0.1, 150), lambda: rx.customer_value(100, 0.9, 0.1, 150)),
    "PROFIT_UPLIFT": ((100, 0.9, 0.05, 0.1, 150, "points"),
                      lambda: rx.profit_uplift(100, 0.9, 0.05, 0.1, 150)),
}


def classic(value):
    """What the classic add-in sends for a single cell: numbers as float."""
    return float(value) if isinstance(value, (int, float)) else value


def test_every_decorated_function_has_a_test_case():
    # table functions have their own tests (PERIOD_TABLE, COHORT_MATRIX, REVENUE_RETENTION:
    # tests/test_excel_logs.py); RETENTION_FORECAST, FORECAST_CUSTOMER_VALUE take a group's
    # counts: tests/test_curve.py
    assert set(ALL_FUNCTIONS) - {"PROFIT_PROJECTION", "PERIOD_TABLE", "COHORT_MATRIX",
                                 "REVENUE_RETENTION", "RETENTION_FORECAST",
                                 "FORECAST_CUSTOMER_VALUE"} <= set(VALID), \
        "add the new Excel function to VALID (and its ranges to the tests below)"


@pytest.mark.parametrize("name", sorted(VALID))
def test_single_cells_from_both_runtimes_give_the_core_number(name):
    args, expected = VALID[name]
    function = getattr(xl, name)
    assert function(*map(classic, args)) == expected()           # classic: floats
    assert function(*args) == expected()                         # Lite: ints stay ints
    assert function(*([[classic(a)]] if not isinstance(a, str) else a for a in args)) == expected()


@pytest.mark.parametrize("name", sorted(VALID))
def test_ranges_spill_one_result_per_row(name):
    args, expected = VALID[name]
    function = getattr(xl, name)
    columns = [[[classic(a)]] * 3 if not isinstance(a, str) else a for a in args]
    out = function(*columns)
    assert np.shape(out) == (3, 1)
    assert [row[0] for row in np.asarray(out).tolist()] == [expected()] * 3


def test_retention_worked_example():
    assert round(xl.RETENTION(107.0, 120.0, 21.0), 4) == 0.9252
    assert xl.LOST_CUSTOMERS(107, 120, 21) == 8.0


COLUMN_CASES = [  # cell in customers at start, what the classic add-in shows
    (0.0, "#DIV/0! no customers at start of the period (customers at start is 0) in row 2"),
    (None, "#DIV/0! no customers at start of the period (customers at start is blank) in row 2"),
    ("", "#DIV/0! no customers at start of the period (customers at start is blank) in row 2"),
    ("abc", "#VALUE! customers at start must be a number, got the text 'abc' in row 2"),
    (True, "#VALUE! customers at start must be a number, got the true/false value True in row 2"),
    ("#N/A", "#N/A customers at start comes from a cell showing #N/A in row 2"),
    (-5.0, "#NUM! customers at start must be a count above 0, got -5 in row 2"),
]


@pytest.mark.parametrize("cell, shown", COLUMN_CASES)
def test_one_bad_row_keeps_every_good_row(cell, shown):
    out = xl.RETENTION([[107.0], [cell], [100.0]], [[120.0], [100.0], [110.0]],
                       [[21.0], [0.0], [20.0]])
    assert out[0][0] == rx.retention_rate(107, 120, 21)
    assert out[1][0] == shown
    assert out[2][0] == rx.retention_rate(100, 110, 20)


def test_inconsistent_counts_name_the_row_and_the_rule():
    out = xl.RETENTION([[100.0], [100.0], [100.0]], [[110.0], [20.0], [150.0]], [[20.0], [25.0], [10.0]])
    assert out[0][0] == 0.9
    assert out[1][0].startswith("#NUM! new customers (25) cannot exceed customers at end (20) in row 2")
    assert out[2][0].startswith("#NUM! customers at end minus new customers (150 - 10 = 140) is more")


def test_several_bad_rows_and_a_row_range():
    out = xl.CHURN([[0.0, 107.0, "x"]], [[1.0, 120.0, 1.0]], [[0.0, 21.0, 0.0]])
    assert out[0][0].startswith("#DIV/0!") and out[0][0].endswith("in column 1")
    assert out[0][1] == rx.churn_rate(107, 120, 21)
    assert out[0][2].startswith("#VALUE!") and out[0][2].endswith("in column 3")


def test_text_numbers_are_read_as_excel_reads_them():
    assert xl.RETENTION("1,070", "1,200", "210") == rx.retention_rate(1070, 1200, 210)
    assert xl.CUSTOMER_LIFETIME("95%") == rx.customer_lifetime(0.95)
    assert xl.CUSTOMER_LIFETIME("1,5").startswith("#VALUE! retention must be a number, got the text '1,5'")


def test_single_bad_cell_shows_one_line_without_a_row():
    assert xl.RETENTION(0.0, 10.0, 0.0) == \
        "#DIV/0! no customers at start of the period (customers at start is 0)"
    assert xl.RETENTION([[107.0]], [[None]], [[21.0]]) == "#VALUE! customers at end is blank"


def test_blank_optional_arguments_take_their_default():
    assert xl.CUSTOMER_VALUE(100.0, 0.9, None, "") == rx.customer_value(100, 0.9)
    assert xl.PROFIT_UPLIFT(100.0, 0.9, None, None, None, None) == rx.profit_uplift(100, 0.9)
    assert xl.CUSTOMER_VALUE([[100.0], [100.0]], [[0.9], [0.8]], [[None], [0.1]]) .tolist() == \
        [[rx.customer_value(100, 0.9)], [rx.customer_value(100, 0.8, 0.1)]]


def test_lite_blank_sent_as_zero_is_still_no_customers_at_start():
    assert xl.RETENTION(0, 120, 21).startswith("#DIV/0! no customers at start")


def test_whole_call_problems_give_one_message():
    assert xl.PROFIT_UPLIFT(100.0, 0.9, 0.05, 0.0, 0.0, "bogus") == \
        "#VALUE! mode must be one of 'points', 'relative', got 'bogus'"
    assert xl.RETENTION([[1.0], [2.0]], [[1.0], [2.0], [3.0]], 0.0).startswith(
        "#VALUE! the ranges do not fit together (customers at start 2 rows, customers at end 3 rows")


def test_lite_returns_real_error_values(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    out = xl.RETENTION([[107], [0], [""], ["abc"], ["#REF!"], ["#N/A"], [-1]], [[120]] * 7, [[21]] * 7)
    assert out[0][0] == rx.retention_rate(107, 120, 21)
    assert [row[0] for row in out[1:]] == ["#DIV/0!", "#DIV/0!", "#VALUE!", "#VALUE!", "#N/A", "#NUM!"]
    assert xl.CUSTOMER_LIFETIME(1) == "#NUM!"


def test_profit_projection_spills_a_table_with_header_row():
    out = xl.PROFIT_PROJECTION(1000.0, 0.8, 200.0, 100.0, 5.0, 0.05, "points", 150.0, 20000.0, 0.0)
    expected = rx.project_profit(1000, 0.8, 200, 100, periods=5, acquisition_cost=150, fixed_cost=20000)
    assert out[0] == list(xl.PROJECTION_HEADER) and len(out) == 6
    assert [row[0] for row in out[1:]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.array(out[1:])[:, 1:].tolist() == expected.table.to_numpy().tolist()
    # blanks take the defaults (12 periods), bad input one line
    assert len(xl.PROFIT_PROJECTION(1000, 0.8, 200, 100, None, None, None, None, None, None)) == 13
    assert xl.PROFIT_PROJECTION(1000, 0.8, 200, 100, 2.5).startswith("#NUM! periods must be a whole number")


def test_parity_with_the_core_on_1000_random_rows():
    rng = np.random.default_rng(7)
    n = 1000
    start = rng.integers(1, 5000, n).astype(float)
    kept = np.floor(start * rng.uniform(0, 1, n))
    new = rng.integers(0, 2000, n).astype(float)
    end = kept + new
    column = lambda a: [[float(x)] for x in a]
    for name, core in (("RETENTION", rx.retention_rate), ("CHURN", rx.churn_rate),
                       ("LOST_CUSTOMERS", rx.lost_customers)):
        out = getattr(xl, name)(column(start), column(end), column(new))
        assert np.array_equal(np.asarray(out, dtype=float).ravel(), core(start, end, new)), name
    retention = rng.uniform(0, 0.99, n)
    margin, rate, cost = rng.uniform(-50, 500, n), rng.uniform(0, 0.3, n), rng.uniform(0, 100, n)
    periods = rng.uniform(0.1, 12, n)
    pairs = [
        (xl.CUSTOMER_LIFETIME(column(retention)), rx.customer_lifetime(retention)),
        (xl.CONVERT_RETENTION(column(retention), column(periods)), rx.convert_retention(retention, periods)),
        (xl.CONVERT_CHURN(column(1 - retention), column(periods)), rx.convert_churn(1 - retention, periods)),
        (xl.CUSTOMER_VALUE(column(margin), column(retention), column(rate), column(cost)),
         rx.customer_value(margin, retention, rate, cost)),
    ]
    for out, expected in pairs:
        assert np.array_equal(np.asarray(out, dtype=float).ravel(), expected)
    margin = rng.uniform(200, 500, n)  # value today above 0, so the uplift is a percentage
    better = np.minimum(retention, 0.9)
    out = xl.PROFIT_UPLIFT(column(margin), column(better), column(np.full(n, 0.05)), column(rate),
                           column(cost))
    assert np.array_equal(np.asarray(out, dtype=float).ravel(),
                          rx.profit_uplift(margin, better, 0.05, rate, cost))
