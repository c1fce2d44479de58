"""Equal is equal (issue 9): numbers a spreadsheet calls equal give one verdict and one number.

Counts that agree to 15 significant digits are equal in every rule of the validation
layer. The same rows go through the core, the Excel functions (classic add-in and
xlwings Lite shapes), the template recalculated by LibreOffice and the
``retention-xl report`` command: each gives retention exactly 1 and lost exactly 0
at the boundary, and refuses the same rows with the same sentence.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from conftest import require_program
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import retention_xl as rx
from retention_xl.excel import functions as xl
from retention_xl.validation import EQUAL_TOLERANCE, kept_customers, show, within_15_digits

#: (start, end, new) where end - new equals start to 15 significant digits, but not in floats.
AT_ONE = [
    (0.3, 0.4, 0.1),
    (10.1, 12.3, 2.2),
    (3649.16, 4232.93, 583.77),
    (5, 5.000000000000001, 0),
    (1 / 3, 128.33333333333334, 128),   # hypothesis' CI failure
    (0.3, 0.7, 0.4),                     # 0.7 - 0.4 is 0.29999999999999993: not 0.9999999999999998
    (0.01, 123456789012.35, 123456789012.34),  # end - new is 0.010009765625 in floats
]
#: new equals end to 15 significant digits: nobody kept, retention exactly 0.
AT_ZERO = [
    (1, 0.3, 0.1 + 0.2),                 # new 0.30000000000000004 "exceeds" end 0.3 in floats
    (1, 0.1 + 0.2, 0.3),                 # kept 5.6e-17 in floats
    (7, 5.000000000000001, 5),
]
#: Beyond 15 significant digits: refused, with the numbers shown to 15 digits.
REFUSED = [
    ((0.3, 0.5, 0.1), "customers at end minus new customers (0.5 - 0.1 = 0.4) is more than "
                      "customers at start (0.3)"),
    ((5, 5.00000000000005, 0), "customers at end minus new customers (5.00000000000005 - 0 = "
                               "5.00000000000005) is more than customers at start (5)"),
    ((1, 2.5, 2.50000000000005), "new customers (2.50000000000005) cannot exceed customers at "
                                 "end (2.5)"),
    ((10, 10.000001, 0), "customers at end minus new customers (10.000001 - 0 = 10.000001) is more "
                         "than customers at start (10)"),
]


# ----------------------------------------------------------------- the core
@pytest.mark.parametrize("row", AT_ONE)
def test_the_core_gives_exactly_1_and_0_lost_at_the_boundary(row):
    assert rx.retention_rate(*row) == 1.0
    assert rx.churn_rate(*row) == 0.0
    assert rx.lost_customers(*row) == 0.0
    assert rx.average_churn(*([v] for v in row), method="pooled") == 0.0


@pytest.mark.parametrize("row", AT_ZERO)
def test_the_core_gives_exactly_0_when_new_equals_end(row):
    start = row[0]
    assert rx.retention_rate(*row) == 0.0
    assert rx.churn_rate(*row) == 1.0
    assert rx.lost_customers(*row) == start


@pytest.mark.parametrize("row, sentence", REFUSED)
def test_beyond_15_digits_is_refused_with_15_digit_numbers(row, sentence):
    with pytest.raises(rx.RetentionInputError) as error:
        rx.retention_rate(*row)
    assert str(error.value).startswith(sentence)


def test_columns_mix_exact_boundary_rows_and_ordinary_ones():
    rows = AT_ONE + AT_ZERO + [(107, 120, 21)]
    start, end, new = (np.array(c, dtype=float) for c in zip(*rows))
    retention = rx.retention_rate(start, end, new)
    assert retention.tolist() == [1.0] * len(AT_ONE) + [0.0] * len(AT_ZERO) + [99 / 107]
    assert rx.lost_customers(start, end, new).tolist() == \
        [0.0] * len(AT_ONE) + [float(r[0]) for r in AT_ZERO] + [8.0]
    # a million rows take the block path: one boundary row deep inside is made exact too
    big = np.full(1_000_000, 100.0)
    end_big, new_big = big * 1.1, big * 0.2
    end_big[765_432], new_big[765_432] = 0.4, 0.1
    big[765_432] = 0.3
    assert rx.retention_rate(big, end_big, new_big)[765_432] == 1.0


def test_the_tolerance_is_half_a_unit_in_the_15th_digit():
    assert EQUAL_TOLERANCE == 5e-15
    assert within_15_digits(5e-15, 1.0) and not within_15_digits(5.1e-15, 1.0)
    assert not within_15_digits(float("inf"), float("inf"))
    assert kept_customers(0.3, 0.4, 0.1) == 0.3


def test_messages_show_15_significant_digits_trimmed():
    assert [show(v) for v in (0.1 + 0.2, 1 / 3, 3649.16 + 583.77 - 583.77, 2.5e-05, 7.0)] == \
        ["0.3", "0.333333333333333", "3649.16", "0.000025", "7"]


def test_improved_retention_and_value_are_exact_at_their_boundaries():
    with pytest.raises(rx.RetentionInputError, match="gives 1, outside 0 to below 1"):
        rx.improved_retention(0.43, 0.57)        # 0.9999999999999999 in floats
    assert rx.improved_retention(0.3, -0.1 - 0.2) == 0.0   # 0.3 - 0.30000000000000004
    assert rx.customer_value(15, 0.9, 0, 150) == 0.0       # 150.00000000000003 - 150
    with pytest.raises(rx.RetentionInputError, match="value of a customer today is 0, not above 0"):
        rx.profit_uplift(15, 0.9, 0.05, 0, 150)


# ----------------------------------------------------------------- properties
two_decimals = st.integers(min_value=1, max_value=10**11).map(lambda cents: Decimal(cents) / 100)
fractional = st.builds(lambda whole, part: Decimal(whole) + Decimal(part) / 10**6,
                       st.integers(0, 10**8), st.integers(0, 10**6 - 1))


def _everyone_stayed(start: Decimal, new: Decimal) -> tuple[float, float, float]:
    return float(start), float(start + new), float(new)   # end - new == start in decimal


@given(two_decimals, two_decimals | st.just(Decimal(0)))
@example(Decimal("0.3"), Decimal("0.1"))
@example(Decimal("3649.16"), Decimal("583.77"))
@example(Decimal("0.01"), Decimal("123456789012.34"))
def test_two_decimal_counts_where_everyone_stayed_give_exactly_1(start, new):
    row = _everyone_stayed(start, new)
    assert rx.retention_rate(*row) == 1.0 and rx.lost_customers(*row) == 0.0


@given(fractional.filter(lambda d: d > 0), fractional)
@example(Decimal("0.333333"), Decimal("128"))
def test_fractional_counts_where_everyone_stayed_give_exactly_1(start, new):
    row = _everyone_stayed(start, new)
    assert rx.retention_rate(*row) == 1.0 and rx.lost_customers(*row) == 0.0


@given(two_decimals.filter(lambda d: d > Decimal("0.01")),
       st.integers(0, 10**9).map(lambda cents: Decimal(cents) / 100))
def test_one_cent_fewer_kept_is_not_made_equal(start, new):
    # 13 significant digits at most: a cent is far above the 15th digit, never rounded away
    row = (float(start), float(start - Decimal("0.01") + new), float(new))
    assert rx.retention_rate(*row) < 1.0
    assert rx.lost_customers(*row) == pytest.approx(0.01, rel=1e-3)


def test_ci_profile_is_derandomized_without_deadline():
    code = ("import sys; sys.path.insert(0, 'tests'); import conftest; from hypothesis import settings; "
            "s = settings(); print(s.derandomize, s.deadline)")
    env = {**os.environ, "CI": "true", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).parent.parent, check=True).stdout
    assert out.split() == ["True", "None"]


# ----------------------------------------------------------------- the Excel functions
@pytest.mark.parametrize("row", AT_ONE)
def test_excel_functions_classic_and_lite_give_the_core_number(row, monkeypatch):
    classic = [float(v) for v in row]
    assert xl.RETENTION(*classic) == 1.0 and xl.LOST_CUSTOMERS(*classic) == 0.0
    assert np.asarray(xl.CHURN(*[[[v]] * 2 for v in classic])).tolist() == [[0.0], [0.0]]
    assert xl.CUSTOMER_VALUE(15.0, 0.9, 0.0, 150.0) == 0.0
    monkeypatch.setattr(sys, "platform", "emscripten")   # Lite: ints stay ints, real errors
    assert xl.RETENTION(*row) == 1.0 and xl.LOST_CUSTOMERS(*row) == 0.0
    assert xl.CUSTOMER_VALUE(15, 0.9, 0, 150) == 0.0


@pytest.mark.parametrize("row, sentence", REFUSED)
def test_excel_functions_refuse_the_same_rows(row, sentence, monkeypatch):
    assert xl.RETENTION(*map(float, row)) == "#NUM! " + sentence   # the cell shows the clause
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert xl.RETENTION(*row) == "#NUM!"


# ----------------------------------------------------------------- the template and the report
@pytest.mark.libreoffice
def test_template_in_libreoffice_and_report_give_the_core_verdict(tmp_path):
    require_program("soffice", "libreoffice")
    from retention_xl.workbook import build_template
    from retention_xl.workbook.libreoffice import recalculate
    from retention_xl.workbook.template import FIRST_ROW

    rng = np.random.default_rng(9)
    cents_start = rng.integers(1, 10**9, 40)
    cents_new = rng.integers(0, 10**9, 40)
    drawn = [_everyone_stayed(Decimal(int(s)) / 100, Decimal(int(n)) / 100)
             for s, n in zip(cents_start, cents_new)]
    valid = AT_ONE + AT_ZERO + drawn + [(107, 120, 21)]
    refused = [row for row, _ in REFUSED]
    rows = valid + refused
    workbook = build_template(rows=len(rows))
    ws = workbook["Data"]
    for offset, row in enumerate(rows):
        ws.cell(FIRST_ROW + offset, 1).value = f"P{offset + 1}"
        for column, value in enumerate(row, start=2):
            ws.cell(FIRST_ROW + offset, column).value = float(value)
    for offset in range(len(AT_ONE)):
        # LibreOffice saves 15 digits and its "-" snaps near-equal numbers: RAWSUBTRACT shows
        # whether the template's retention is exactly 1, not 1.0000000000000002
        r = FIRST_ROW + offset
        ws[f"AB{r}"].value = f"=_xlfn.ORG.LIBREOFFICE.RAWSUBTRACT(F{r},1)*1E+20"
        ws[f"AC{r}"].value = f"=E{r}*1E+20"
    whatif = workbook["What-if"]
    whatif["B6"].value, whatif["B7"].value = 0.9, 0.05      # retention now, improvement
    whatif["B10"].value, whatif["B11"].value, whatif["B13"].value = 15, 150, 0  # margin, CAC, rate
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    improved = build_template(rows=1)
    improved["What-if"]["B6"].value, improved["What-if"]["B7"].value = 0.43, 0.57  # 0.9999999999999999
    at_one = tmp_path / "at_one.xlsx"
    improved.save(at_one)
    computed, computed_at_one = (openpyxl.load_workbook(path, data_only=True)
                                 for path in recalculate([filled, at_one], tmp_path / "out"))
    data = computed["Data"]
    assert computed_at_one["What-if"]["B18"].value == \
        "the improved retention is outside 0% to below 100%: choose a smaller improvement"
    with pytest.raises(rx.RetentionInputError, match="gives 1, outside 0 to below 1"):
        rx.profit_uplift(100, 0.43, 0.57)

    for offset in range(len(AT_ONE)):
        assert (data[f"AB{FIRST_ROW + offset}"].value, data[f"AC{FIRST_ROW + offset}"].value) == (0, 0)
    core_retention = [rx.retention_rate(*row) for row in valid]
    for offset, row in enumerate(valid):
        r = FIRST_ROW + offset
        assert data[f"H{r}"].value in (None, ""), (row, data[f"H{r}"].value)
        # LibreOffice saves 15 significant digits: exact 1 and 0 stay exact
        assert data[f"F{r}"].value == pytest.approx(core_retention[offset], rel=1e-14, abs=0), row
        assert data[f"E{r}"].value == pytest.approx(rx.lost_customers(*row), rel=1e-14, abs=1e-300), row
        if core_retention[offset] in (0.0, 1.0):
            assert data[f"F{r}"].value == core_retention[offset]
    for offset, (row, sentence) in enumerate(REFUSED, start=len(valid)):
        assert data[f"H{FIRST_ROW + offset}"].value == sentence, row
    assert computed["What-if"]["B27"].value == 0 == rx.customer_value(15, 0.9, 0, 150)
    assert computed["What-if"]["B30"].value == "not shown: value now is not above 0"

    # the report command reads the same rows (refused ones removed) and gives the same numbers
    for offset in range(len(refused)):
        for column in (1, 2, 3, 4):
            ws.cell(FIRST_ROW + len(valid) + offset, column).value = None
    workbook.save(filled)
    report = tmp_path / "report.xlsx"
    done = subprocess.run([sys.executable, "-m", "retention_xl.cli", "report", str(filled), str(report)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(report)["Report"]
    shown = [sheet.cell(5 + i, 6).value for i in range(len(valid))]
    assert shown == core_retention
    assert [sheet.cell(5 + i, 5).value for i in range(len(valid))] == \
        [rx.lost_customers(*row) for row in valid]


def test_report_refuses_a_row_beyond_15_digits_with_the_core_sentence(tmp_path):
    from retention_xl.workbook import build_template
    from retention_xl.workbook.template import FIRST_ROW

    workbook = build_template(rows=3)
    row, sentence = REFUSED[0]
    for column, value in enumerate(row, start=2):
        workbook["Data"].cell(FIRST_ROW, column).value = value
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    done = subprocess.run([sys.executable, "-m", "retention_xl.cli", "report", str(filled),
                           str(tmp_path / "report.xlsx")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2 and sentence in done.stderr


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(1e-3, 1e9), st.floats(0, 1e9), st.floats(-3e-14, 3e-14),
                          st.sampled_from([0.0, 1.0])), min_size=1, max_size=40))
def test_the_fast_path_never_misses_a_row_to_make_exact(rows):
    # kept = start (or 0) nudged by a few units in the 15th digit, around the tolerance's edge
    start = np.array([r[0] for r in rows])
    new = np.array([r[1] for r in rows])
    kept = np.array([r[0] * r[3] + r[2] * max(r[0], r[1]) for r in rows])
    end = kept + new
    expected = kept_customers(start, end, new) / start
    valid = (expected >= 0) & (expected <= 1) & (end >= 0)
    assume(valid.any())  # (a filter hypothesis counts, not a silent pass)
    start, end, new, expected = start[valid], end[valid], new[valid], expected[valid]
    assert rx.retention_rate(start, end, new).tolist() == expected.tolist()
    # in a long column the block path decides; the same rows give the same numbers
    reps = 70_000 // len(start) + 1
    long = rx.retention_rate(np.tile(start, reps), np.tile(end, reps), np.tile(new, reps))
    assert long[:len(start)].tolist() == expected.tolist()
