"""Excel functions keep the good rows of a table, refuse shapes nobody asked for, and read digits
as the template does (only 0-9: Arabic-Indic and full-width digits are text on both)."""

from __future__ import annotations

import pandas as pd
import pytest

import retention_xl as rx
import retention_xl.excel.functions as xl


def column(*values):
    return [[v] for v in values]


def test_one_bad_row_keeps_the_good_rows_of_period_table():
    table = xl.PERIOD_TABLE(column(100, 100, "abc", 100, 100), column(95, 90, 90, 92, 80),
                            column(5, 5, 5, 5, 5), 4, "Telecommunications")
    assert len(table) == 6
    assert table[3][0] == "#VALUE! customers at start must be a number, got the text 'abc' in row 3"
    assert set(table[3][1:]) == {""}
    good = rx.period_table(pd.DataFrame({"start": [100, 100], "end": [95, 90], "new": [5, 5]}),
                           periods_per_year=4, industry="Telecommunications")
    header = table[0]
    assert table[2][header.index("Retention")] == pytest.approx(good["retention"].iloc[1])
    assert table[2][header.index("Alert (two quarters)")] == bool(good["alert"].iloc[1])
    # row 4 follows the bad row: its own numbers stay, its comparisons with row 3 are left empty
    assert table[4][header.index("Retention")] == pytest.approx(0.87)
    assert table[4][header.index("Change vs previous period")] == ""
    assert table[5][header.index("Change vs previous period")] == pytest.approx(0.75 - 0.87)


def test_a_row_the_core_refuses_gets_its_own_message():
    table = xl.PERIOD_TABLE(column(100, 100, 100), column(95, 20, 92), column(5, 25, 5))
    assert table[2][0].startswith("#NUM! new customers (25) cannot exceed customers at end (20)")
    assert table[1][4] == pytest.approx(0.9) and table[3][4] == pytest.approx(0.87)


def test_blank_rows_at_the_bottom_of_the_selection_are_ignored():
    filled = xl.PERIOD_TABLE(column(100, 100), column(95, 90), column(5, 5), 4)
    selected = xl.PERIOD_TABLE(column(100, 100, None, ""), column(95, 90, None, None),
                               column(5, 5, None, " "), 4)
    assert selected == filled


def test_a_column_and_a_row_do_not_spill_a_table():
    result = xl.RETENTION([[100], [100]], [[95, 90]], 5)
    assert result == "#VALUE! the ranges do not fit together (customers at start 2 rows, customers at end 1 x 2 cells)"
    # a single cell still goes with any range
    assert xl.RETENTION([[100], [100]], [[95], [90]], 5).ravel().tolist() == pytest.approx([0.9, 0.85])


@pytest.mark.parametrize("digits", ["١٠٠", "１００", "۱۰۰"])
def test_non_ascii_digits_are_text_as_in_the_template(digits):
    assert xl.RETENTION(digits, 95, 5).startswith("#VALUE! customers at start must be a number, got the text")
