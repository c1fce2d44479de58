"""PERIOD_TABLE and COHORT_MATRIX: the Excel faces of period_table and cohort_matrix."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from excel_udfs import classic_addin_view, excel_functions
from retention_xl.excel import functions as xl

START = [[100.0], [110.0], [112.0], [115.0], [117.0]]
END = [[110.0], [112.0], [115.0], [117.0], [125.0]]
NEW = [[15.0], [11.0], [12.0], [12.0], [15.0]]


def frame():
    return pd.DataFrame({"start": [r[0] for r in START], "end": [r[0] for r in END],
                         "new": [r[0] for r in NEW]})


def as_cells(table):
    return [["" if isinstance(v, float) and np.isnan(v) else (bool(v) if isinstance(v, (bool, np.bool_))
             else float(v)) for v in row] for row in table.itertuples(index=False)]


def test_both_are_exported_with_ranges():
    with classic_addin_view() as (module, _):
        functions = excel_functions(module)
        assert {"PERIOD_TABLE", "COHORT_MATRIX"} <= set(functions)
        args = {a["name"]: a["options"] for a in functions["PERIOD_TABLE"].__xlfunc__["args"]}
        assert args["start_customers"]["ndim"] == 2 and "ndim" not in args["benchmark"]
        args = {a["name"]: a["options"] for a in functions["COHORT_MATRIX"].__xlfunc__["args"]}
        assert args["purchase_dates"]["ndim"] == 2 and "ndim" not in args["period"]


def test_period_table_spills_the_core_table():
    out = xl.PERIOD_TABLE(START, END, NEW, 4.0, "Telecommunications")
    expected = rx.period_table(frame(), periods_per_year=4, industry="Telecommunications")
    assert out[0] == [xl.PERIOD_TABLE_HEADER[c] for c in expected.columns]
    assert out[1:] == as_cells(expected)
    assert [row[-1] for row in out[1:]] == [False, False, True, True, False]   # the alert
    # Lite sends whole numbers as int, and the benchmark as a number or "78%"
    lite = xl.PERIOD_TABLE([[int(r[0])] for r in START], [[int(r[0])] for r in END],
                           [[int(r[0])] for r in NEW], 4, "78%")
    assert lite == out
    assert xl.PERIOD_TABLE(START, END, NEW, 4, 0.78) == out


def test_period_table_optional_arguments():
    plain = xl.PERIOD_TABLE(START, END, NEW)
    assert plain[0][-1] == "Retention per year" and all(row[-1] == "" for row in plain[1:])
    assert xl.PERIOD_TABLE(START, END, NEW, None, None, None) == plain
    loose = xl.PERIOD_TABLE(START, END, NEW, 4, "telecommunications", 0.10)
    assert not any(row[-1] for row in loose[1:])


def test_period_table_bad_cells_say_which_row():
    new = [row[:] for row in NEW]
    new[2] = [120.0]
    # the bad row holds its message; the good rows keep their numbers (tests/test_excel_rows.py)
    assert xl.PERIOD_TABLE(START, END, new)[3][0] == \
        "#NUM! new customers (120) cannot exceed customers at end (115) in row 3"
    assert xl.PERIOD_TABLE(START, END, [[15.0], ["#N/A"], [12.0], [12.0], [15.0]])[2][0].startswith(
        "#N/A new customers comes from a cell showing #N/A in row 2")
    assert xl.PERIOD_TABLE(START, END, NEW[:4]).startswith("#VALUE! the three columns must have")
    assert xl.PERIOD_TABLE(START, END, NEW, None, "Bakeries").startswith("#VALUE! unknown industry 'Bakeries'")
    assert xl.PERIOD_TABLE(START, END, NEW, None, 0.8).startswith(
        "#VALUE! periods_per_year is needed to compare with a yearly benchmark")


def test_period_table_under_lite_gives_error_values(monkeypatch):
    monkeypatch.setattr("sys.platform", "emscripten")
    new = [row[:] for row in NEW]
    new[2] = [120.0]
    assert xl.PERIOD_TABLE(START, END, new)[3][0] == "#NUM!"


PURCHASES = [("ann", "2024-01-04"), ("bob", "2024-01-15"), ("eve", "2024-01-20"), ("eve", "2024-01-31"),
             ("ann", "2024-02-02"), ("cy", "2024-02-29"), ("ann", "2024-03-01"), ("ann", "2024-03-30"),
             ("bob", "2024-03-10"), ("dee", "2024-03-31"), ("dee", "2024-04-01"), ("fay", "2024-04-15"),
             ("bob", "2024-05-05"), ("fay", "2024-05-31")]


def excel_serial(day: str) -> float:
    return float((dt.date.fromisoformat(day) - dt.date(1899, 12, 30)).days)


def test_cohort_matrix_spills_the_core_matrix():
    ids = [[c] for c, _ in PURCHASES] + [[None], [""]]                 # blank rows at the bottom
    dates = [[dt.datetime.fromisoformat(d)] for _, d in PURCHASES] + [[None], [None]]
    out = xl.COHORT_MATRIX(ids, dates)
    log = pd.DataFrame(PURCHASES, columns=["customer_id", "date"])
    matrix, sizes = rx.cohort_matrix(log), rx.cohort_counts(log)[0]
    assert out[0] == ["Cohort", "Customers", 0.0, 1.0, 2.0, 3.0, 4.0]
    assert [row[:2] for row in out[1:]] == [[str(p), float(n)] for p, n in sizes.items()]
    assert [row[2:] for row in out[1:]] == as_cells(matrix)
    assert out[1][2:] == [1.0, 1 / 3, 2 / 3, 0.0, 1 / 3]
    # dates as Excel serial numbers (xlwings Lite) or as text give the same table
    assert xl.COHORT_MATRIX(ids, [[excel_serial(d)] for _, d in PURCHASES] + [[None], [None]]) == out
    assert xl.COHORT_MATRIX(ids[:-2], [[d] for _, d in PURCHASES]) == out
    quarterly = xl.COHORT_MATRIX(ids, dates, "quarter")
    assert quarterly[1] == ["2024Q1", 5.0, 1.0, 0.4]


def test_cohort_matrix_dirty_rows():
    ids = [[c] for c, _ in PURCHASES] + [[None], ["gus"]]
    dates = [[d] for _, d in PURCHASES] + [["2024-02-01"], ["someday"]]
    out = xl.COHORT_MATRIX(ids, dates)
    assert out.startswith("#VALUE! 1 row of 16 without a customer id")
    assert "row 15" in out
    clean = xl.COHORT_MATRIX([[c] for c, _ in PURCHASES], [[d] for _, d in PURCHASES])
    assert xl.COHORT_MATRIX(ids, dates, None, True) == clean
    assert xl.COHORT_MATRIX([["a"]], [["#N/A"]]) == "#N/A purchase date comes from a cell showing #N/A in row 1"
    assert xl.COHORT_MATRIX([["a"], ["b"]], [["2024-01-01"]]).startswith("#VALUE! the two columns")
    assert xl.COHORT_MATRIX([["a"]], [["2024-01-01"]], "fortnight").startswith("#VALUE! period must be one of")
    assert xl.COHORT_MATRIX([[None]], [[None]]) == "#VALUE! the ranges hold no purchases"


def test_period_table_in_the_lite_main_py(lite_main):
    import json

    probe = ("import json, sys; sys.path.insert(0, sys.argv[1]); import main; print(json.dumps(["
             "main.PERIOD_TABLE([[100], [110]], [[110], [112]], [[15], [11]], 4, 0.78),"
             "main.PERIOD_TABLE([[100], [110]], [[110], [112]], [[15], [11]], 4, 'Retail')]))")
    table, industry = json.loads(lite_main(probe))
    assert table == xl.PERIOD_TABLE([[100.0], [110.0]], [[110.0], [112.0]], [[15.0], [11.0]], 4, 0.78)
    # the package's data files are embedded in main.py (tests/test_lite_main.py)
    assert industry == xl.PERIOD_TABLE([[100.0], [110.0]], [[110.0], [112.0]], [[15.0], [11.0]], 4, "Retail")


@pytest.mark.parametrize("serial", [1e12, -1e6, float("nan"), float("inf"), 0.0])
def test_cohort_matrix_refuses_date_serials_that_are_not_dates(serial):
    ids = [["a"], ["b"], ["c"]]
    dates = [[45300.0], [serial], [45301.0]]
    out = xl.COHORT_MATRIX(ids, dates)
    assert out == (f"#NUM! purchase date {serial!r} is not an Excel date (1 for 1 January 1900 to 2,958,465 "
                   "for 31 December 9999) in row 2")


def test_cohort_matrix_refuses_ambiguous_text_dates_in_excel_words():
    out = xl.COHORT_MATRIX([["a"], ["b"]], [["3/4/2024"], ["5/6/2024"]])
    assert out.startswith("#VALUE! the dates can be read two ways: row 1 '3/4/2024'")
    assert "date_format" not in out  # a cell shows the sentence without a Python hint
    dirty = xl.COHORT_MATRIX([["a"], [None]], [["2024-01-02"], ["2024-01-03"]])
    assert dirty.startswith("#VALUE! 1 row of 2 without a customer id") and "exclude_invalid=True" not in dirty


def test_revenue_retention_spills_the_core_table():
    ids = [["ann"], ["bob"], ["ann"], ["bob"], ["cy"], [None]]
    dates = [[excel_serial(d)] for d in ("2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20", "2024-02-21")]
    amounts = [[100.0], [50.0], [60.0], [80.0], [30.0], [None]]
    out = xl.REVENUE_RETENTION(ids, dates + [[None]], amounts)
    assert out[0] == xl.REVENUE_RETENTION_HEADER
    assert out[1] == ["2024-01", 150.0, "", 0.0, 0.0, "", ""]
    assert out[2][:5] == ["2024-02", 170.0, 150.0, 140.0, 110.0]
    assert out[2][5:] == [pytest.approx(110 / 150), pytest.approx(140 / 150)]
    log = pd.DataFrame({"customer_id": [r[0] for r in ids[:5]],
                        "date": ["2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20", "2024-02-21"],
                        "amount": [r[0] for r in amounts[:5]]})
    core = rx.revenue_retention(log)
    assert [row[1:] for row in out[1:]] == as_cells(core)
    assert xl.REVENUE_RETENTION(ids, dates + [[None]], amounts[:5]).startswith("#VALUE! the three columns")
    assert xl.REVENUE_RETENTION([["a"]], [[45300.0]], [["ten"]]).startswith(
        "#VALUE! 1 row of 1 whose amount is blank or not a number")


def test_revenue_retention_is_exported():
    with classic_addin_view() as (module, _):
        functions = excel_functions(module)
        assert "REVENUE_RETENTION" in functions
        args = {a["name"]: a["options"] for a in functions["REVENUE_RETENTION"].__xlfunc__["args"]}
        assert args["amounts"]["ndim"] == 2


def test_cohort_matrix_of_a_long_daily_log_is_bounded():
    days = pd.date_range("1994-01-01", "2024-01-01", freq="D")
    ids = [[f"c{i}"] for i in range(len(days))]
    dates = [[float((d - pd.Timestamp("1899-12-30")).days)] for d in days]
    out = xl.COHORT_MATRIX(ids, dates, "day")
    assert out.startswith("#VALUE! the log spans 1994-01-01 to 2024-01-01: counted by day that is a cohort "
                          "table of 10,958 cohorts x 10,958 days")
    two = xl.COHORT_MATRIX([["a"], ["b"]], [[dates[0][0]], [dates[-1][0]]], "day")
    assert len(two) == 3 and len(two[0]) == 2 + 10_958
