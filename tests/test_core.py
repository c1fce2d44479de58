"""The calculation core: worked examples of docs/methodology.md, properties, shapes, light import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import retention_xl as rx

# ----------------------------------------------------------------- worked examples (docs/methodology.md)


def test_worked_examples_of_the_core_formula():
    assert rx.retention_rate(107, 120, 21) == pytest.approx(99 / 107)
    assert round(rx.retention_rate(107, 120, 21), 4) == 0.9252
    assert rx.lost_customers(107, 120, 21) == 8
    assert rx.retention_rate(100, 110, 20) == pytest.approx(0.90)
    assert rx.retention_rate(1000, 2000, 1500) == pytest.approx(0.50)


def test_gross_versus_net_new_customers_caveat():
    # 100 at start, 10 old lost, 20 new of whom 5 lost: 105 at end
    assert rx.retention_rate(100, 105, 20) == pytest.approx(0.85)
    assert rx.retention_rate(100, 105, 15) == pytest.approx(0.90)


def test_period_conversion_and_lifetime():
    assert rx.convert_retention(0.95, 4) == pytest.approx(0.81450625)
    annual_churn = 0.30
    monthly = rx.convert_churn(annual_churn, 1 / 12)
    assert rx.convert_churn(monthly, 12) == pytest.approx(annual_churn)
    assert monthly < annual_churn / 12 + 0.005 and monthly != pytest.approx(annual_churn / 12)
    assert rx.customer_lifetime(0.95) == pytest.approx(20)
    assert rx.customer_lifetime(0.0) == 1.0


def test_average_churn_methods_on_a_worked_series():
    start, end, new = [100, 1000, 200], [95, 800, 230], [5, 0, 50]
    churn = [0.10, 0.20, 0.10]
    assert rx.average_churn(start, end, new, "mean") == pytest.approx(np.mean(churn))
    assert rx.average_churn(start, end, new, "pooled") == pytest.approx((10 + 200 + 20) / 1300)
    assert rx.average_churn(start, end, new, "geometric") == pytest.approx(
        1 - (0.9 * 0.8 * 0.9) ** (1 / 3))
    assert rx.average_churn(start, end, new, "Pooled") == rx.average_churn(start, end, new, "pooled")


def test_geometric_average_with_total_loss_is_total_churn():
    assert rx.average_churn([10, 10], [0, 5], [0, 0], "geometric") == 1.0


def test_model_a_worked_examples():
    assert rx.customer_value(100, 0.90, 0.10, 150) == pytest.approx(350.0)
    assert rx.customer_value(100, 0.95, 0.10, 150) == pytest.approx(516.6666667)
    assert rx.profit_uplift(100, 0.90, 0.05, 0.10, 150) == pytest.approx(516.6666667 / 350 - 1)
    assert round(rx.profit_uplift(100, 0.80, 0.05, 0.10, 0), 3) == 0.2
    assert rx.customer_value(100, 0.80, 0.10) == pytest.approx(333.3333333)
    # d = 0: margin times lifetime
    assert rx.customer_value(100, 0.9) == pytest.approx(100 * rx.customer_lifetime(0.9))


def test_model_a_value_is_the_discounted_sum_it_claims():
    margin, retention, rate = 80.0, 0.85, 0.07
    t = np.arange(1, 2000)
    series = np.sum(margin * retention ** (t - 1) / (1 + rate) ** t)
    assert rx.customer_value(margin, retention, rate) == pytest.approx(series, rel=1e-12)


def test_relative_uplift_multiplies():
    assert rx.improved_retention(0.9, 0.05, "relative") == pytest.approx(0.945)
    assert rx.profit_uplift(100, 0.9, 0.05, mode="relative") == pytest.approx(
        rx.customer_value(100, 0.945) / rx.customer_value(100, 0.9) - 1)


def test_absolute_uplift_when_baseline_not_positive():
    change = rx.profit_uplift(10, 0.5, 0.05, acquisition_cost=50, absolute=True)
    assert change == pytest.approx(rx.customer_value(10, 0.55, 0, 50) - rx.customer_value(10, 0.5, 0, 50))


def test_model_b_follows_the_recurrence():
    result = rx.project_profit(1000, 0.8, 200, 100, periods=5, uplift=0.05,
                               acquisition_cost=150, fixed_cost=20000, discount_rate=0.1)
    table = result.table
    expected_improved = []
    current = 1000.0
    for _ in range(5):
        current = 0.85 * current + 200
        expected_improved.append(current)
    np.testing.assert_allclose(table["customers_improved"], expected_improved, rtol=1e-12)
    np.testing.assert_allclose(table["customers_baseline"], [1000.0] * 5)
    np.testing.assert_allclose(table["profit_improved"], 100 * np.array(expected_improved) - 200 * 150 - 20000)
    np.testing.assert_allclose(table["profit_difference"], table["profit_improved"] - table["profit_baseline"])
    discount = 1.1 ** -np.arange(1, 6)
    assert result.pv_baseline == pytest.approx(float(np.sum(table["profit_baseline"] * discount)))
    assert result.pv_improved == pytest.approx(float(np.sum(table["profit_improved"] * discount)))
    assert result.total_baseline == pytest.approx(250000)
    assert result.uplift == pytest.approx(result.pv_improved / result.pv_baseline - 1)
    assert list(table.index) == [1, 2, 3, 4, 5] and table.index.name == "period"
    assert result.uplift_label == "+5 points"


def test_model_b_steady_state():
    result = rx.project_profit(0, 0.9, 100, 1, periods=400)
    assert result.table["customers_baseline"].iloc[-1] == pytest.approx(100 / (1 - 0.9))


def test_model_b_uplift_is_none_when_baseline_not_positive():
    result = rx.project_profit(100, 0.5, 10, 1, periods=3, fixed_cost=1000)
    assert result.pv_baseline < 0 and result.uplift is None
    assert result.pv_difference > 0


# ----------------------------------------------------------------- properties (hypothesis)

counts = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def consistent_counts(draw):
    """start > 0, 0 <= kept <= start, new >= 0, end = kept + new."""
    start = draw(st.floats(min_value=1e-3, max_value=1e9))
    kept = draw(st.floats(min_value=0, max_value=1)) * start
    new = draw(counts)
    return start, kept + new, new


@given(consistent_counts())
@example((1 / 3, 128.33333333333334, 128.0))  # CI failure once: end - new = start + 9.5e-15
@example((0.3, 0.4, 0.1))
def test_retention_plus_churn_is_one(row):
    start, end, new = row
    assert rx.retention_rate(start, end, new) + rx.churn_rate(start, end, new) == pytest.approx(1.0)


@given(consistent_counts())
@example((1 / 3, 128.33333333333334, 128.0))
def test_consistent_inputs_give_retention_between_0_and_1(row):
    # end = kept + new in floats: end - new equals start or less to 15 significant digits,
    # so the core accepts every such row and retention never leaves [0, 1]
    start, end, new = row
    retention = rx.retention_rate(start, end, new)
    assert 0.0 <= retention <= 1.0


@settings(max_examples=50)
@given(st.lists(consistent_counts(), min_size=1, max_size=30))
def test_a_vector_call_equals_element_wise_scalar_calls(rows):
    start, end, new = (np.array(column) for column in zip(*rows))
    for function in (rx.retention_rate, rx.churn_rate, rx.lost_customers):
        vector = function(start, end, new)
        scalars = [function(s, e, n) for s, e, n in rows]
        assert vector.tolist() == scalars


@given(st.floats(0, 0.98), st.floats(0.001, 0.019), st.floats(1, 1e4),
       st.floats(0, 0.5), st.floats(0, 1e3))
def test_value_and_uplift_grow_with_retention(retention, step, margin, rate, cost):
    lower = rx.customer_value(margin, retention, rate, cost)
    higher = rx.customer_value(margin, retention + step, rate, cost)
    assert higher > lower
    if lower > 0 and retention + step + 0.01 < 1:
        assert rx.profit_uplift(margin, retention + step, 0.01, rate, cost) > 0
        small = rx.profit_uplift(margin, retention, 0.01, rate, cost)
        big = rx.profit_uplift(margin, retention, 0.01 + step, rate, cost)
        assert big > small


@settings(max_examples=40)
@given(st.floats(0, 0.9), st.floats(0.001, 0.09), st.floats(0, 1e4), st.floats(0, 1e3),
       st.floats(1, 500))
def test_projected_customers_and_profit_grow_with_retention(retention, uplift, customers, new, margin):
    result = rx.project_profit(customers, retention, new, margin, periods=24, uplift=uplift)
    assert (result.table["customers_improved"] >= result.table["customers_baseline"]).all()
    assert result.total_improved >= result.total_baseline


# ----------------------------------------------------------------- shapes


def test_series_in_series_out_with_its_index():
    index = pd.period_range("2024-01", periods=3, freq="M")
    frame = pd.DataFrame({"start": [100, 110, 120], "end": [110, 120, 118], "new": [20, 15, 5]}, index=index)
    result = rx.retention_rate(frame["start"], frame["end"], frame["new"])
    assert isinstance(result, pd.Series) and result.index.equals(index)
    assert result.name == "retention"
    np.testing.assert_allclose(result, [0.9, 105 / 110, 113 / 120])


def test_scalars_give_floats_and_arrays_give_arrays_of_the_broadcast_shape():
    assert type(rx.retention_rate(107, 120, 21)) is float
    grid = rx.retention_rate(np.array([[100], [200]]), np.array([90, 100]), 0)
    assert grid.shape == (2, 2)
    np.testing.assert_allclose(grid, [[0.9, 1.0], [0.45, 0.5]])


def test_nullable_integer_series_are_numbers():
    series = pd.Series([100, 200], dtype="Int64")
    np.testing.assert_allclose(rx.retention_rate(series, series, 0), [1.0, 1.0])


def test_inputs_are_not_modified():
    start, end, new = np.array([100.0, 200.0]), np.array([90.0, 150.0]), np.array([5.0, 10.0])
    copies = start.copy(), end.copy(), new.copy()
    rx.retention_rate(start, end, new)
    rx.churn_rate(start, end, new)
    for original, copy in zip((start, end, new), copies):
        np.testing.assert_array_equal(original, copy)


def test_empty_columns_give_empty_results():
    assert rx.retention_rate([], [], []).shape == (0,)


# ----------------------------------------------------------------- light import and CLI


#: Libraries that only the faces load (Excel, widgets, charts, workbooks, the curve fit).
HEAVY = ("matplotlib", "ipywidgets", "xlwings", "openpyxl", "python_calamine", "defusedxml", "scipy")


def test_import_stays_light():
    # one subprocess for every "import stays light" rule: a bare import loads not even pandas
    # (the public names load on first use), and using every public name loads no face library
    code = ("import sys, retention_xl as rx\n"
            "bare = [m for m in ('numpy', 'pandas') if m in sys.modules]\n"
            "names = [n for n in rx.__all__ if getattr(rx, n, None) is None]\n"
            "from retention_xl import period_table, ValueChange\n"
            f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
            "print(bare, names, sorted(set(rx.__all__) - set(dir(rx))), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] [] [] []"


def test_cli_prints_retention(cli):
    out = cli("retention", "107", "120", "21")
    assert out.returncode == 0
    assert "Retention        92.5%" in out.stdout and "Lost customers   8" in out.stdout


def test_cli_bad_input_is_one_line_and_exit_code_2(cli):
    out = cli("retention", "100", "20", "25")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "new customers (25) cannot exceed customers at end (20)" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_text_number_is_refused_with_exit_code_2(cli):
    # the one reader of typed text: "1,200" is 1200 on every face; "1,2" is not a number anywhere
    out = cli("retention", "1,2", "20", "5")
    assert out.returncode == 2 and "'1,2' is not a number" in out.stderr and "Traceback" not in out.stderr
    assert cli("retention", "1,200", "1,150", "100").returncode == 0


def test_cli_value_reports_absolute_change_when_baseline_not_positive(cli):
    out = cli("value", "10", "0.5", "--acquisition-cost", "50")
    assert out.returncode == 0 and "Change: +$2.22" in out.stdout and "mean nothing" in out.stdout


def test_cli_project_summary(cli):
    out = cli("project", "1000", "0.8", "200", "100", "--periods", "5",
              "--acquisition-cost", "150", "--fixed-cost", "20000")
    assert out.returncode == 0
    assert "+5 points of retention (80.0% to 85.0%) adds $61,589 of profit over 5 periods" in out.stdout


def test_every_public_name_is_listed_once_and_resolves_to_its_modules_own_object():
    import importlib

    assert len(rx.__all__) == len(set(rx.__all__))
    assert rx.__all__[:2] == ["RetentionInputError", "Problem"]
    for name, module_name in rx._PUBLIC.items():
        module = importlib.import_module(f"retention_xl.{module_name}")
        assert name in module.__all__, (name, module_name)
        assert getattr(rx, name) is getattr(module, name), name
