"""period_table and churn_averages on worked series (docs/methodology.md sections 1, 3 and 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx

NAN = np.nan


def quarters() -> pd.DataFrame:
    return pd.DataFrame({"quarter": ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"],
                         "start": [100, 110, 112, 115, 117],
                         "end": [110, 112, 115, 117, 125],
                         "new": [15, 11, 12, 12, 15]})


def test_quarterly_table_worked_by_hand():
    table = rx.period_table(quarters(), period="quarter", periods_per_year=4)
    assert list(table.columns) == ["start", "end", "new", "lost", "retention", "churn",
                                   "change_vs_previous", "change_vs_year_ago", "annualised_retention"]
    assert table.index.tolist() == ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert table.index.name == "quarter"
    # kept = end - new: 95, 101, 103, 105, 110; lost = start - kept
    assert table["lost"].tolist() == [5, 9, 9, 10, 7]
    retention = [95 / 100, 101 / 110, 103 / 112, 105 / 115, 110 / 117]
    np.testing.assert_allclose(table["retention"], retention)
    np.testing.assert_allclose(table["churn"], [5 / 100, 9 / 110, 9 / 112, 10 / 115, 7 / 117])
    np.testing.assert_allclose(table["change_vs_previous"],
                               [NAN] + [retention[i] - retention[i - 1] for i in range(1, 5)])
    # only 2024Q4 has a quarter a year earlier (2023Q4): 110/117 - 0.95 = -0.0098
    np.testing.assert_allclose(table["change_vs_year_ago"], [NAN] * 4 + [110 / 117 - 0.95])
    np.testing.assert_allclose(table["annualised_retention"], np.power(retention, 4))


def test_quarterly_table_with_industry_benchmark():
    table = rx.period_table(quarters(), period="quarter", periods_per_year=4, industry="Telecommunications")
    assert list(table.columns)[-5:] == ["benchmark", "compared_retention", "gap_to_benchmark",
                                        "below_benchmark", "alert"]
    assert (table["benchmark"] == 0.78).all()
    # annualised 81.45%, 71.07%, 71.53%, 69.50%, 78.13%; below 73% in 2024Q1-Q3
    np.testing.assert_allclose(table["compared_retention"], table["annualised_retention"])
    np.testing.assert_allclose(table["gap_to_benchmark"], table["annualised_retention"] - 0.78)
    assert table["below_benchmark"].tolist() == [False, True, True, True, False]
    assert table["alert"].tolist() == [False, False, True, True, False]
    same = rx.period_table(quarters(), period="quarter", periods_per_year=4, benchmark=0.78)
    pd.testing.assert_frame_equal(table, same)
    loose = rx.period_table(quarters(), period="quarter", periods_per_year=4, benchmark=0.78, tolerance=0.1)
    assert not loose["alert"].any()


def test_without_periods_per_year_no_annualised_figures():
    table = rx.period_table(quarters().set_index("quarter"))
    assert table["change_vs_year_ago"].isna().all()
    assert table["annualised_retention"].isna().all()
    with pytest.raises(rx.RetentionInputError, match="periods_per_year is needed"):
        rx.period_table(quarters(), benchmark=0.78)


def test_monthly_periods_are_read_from_the_calendar():
    # 14 months of Period values with March 2024 missing: ppy = 12 is inferred,
    # "previous" of April is March (missing -> NaN), a year ago is found by calendar.
    months = pd.period_range("2023-01", periods=16, freq="M")
    months = months.delete(months.get_loc(pd.Period("2024-03", "M")))
    start = np.full(len(months), 100.0)
    retention = np.linspace(0.99, 0.90, len(months))
    frame = pd.DataFrame({"month": months, "start": start, "end": start * retention + 5, "new": 5.0})
    table = rx.period_table(frame, period="month")
    assert isinstance(table.index, pd.PeriodIndex)
    r = pd.Series(table["retention"].to_numpy(), index=months)
    np.testing.assert_allclose(r, retention)
    np.testing.assert_allclose(table["annualised_retention"], retention ** 12)
    change = pd.Series(table["change_vs_previous"].to_numpy(), index=months)
    assert np.isnan(change[pd.Period("2023-01", "M")])
    assert np.isnan(change[pd.Period("2024-04", "M")])  # March 2024 is missing
    assert change[pd.Period("2024-02", "M")] == pytest.approx(r["2024-02"] - r["2024-01"])
    year = pd.Series(table["change_vs_year_ago"].to_numpy(), index=months)
    assert year[:"2023-12"].isna().all()
    assert year[pd.Period("2024-01", "M")] == pytest.approx(r["2024-01"] - r["2023-01"])
    assert year[pd.Period("2024-02", "M")] == pytest.approx(r["2024-02"] - r["2023-02"])


def test_quarter_dates_give_four_periods_per_year():
    frame = quarters().assign(quarter=pd.date_range("2023-10-01", periods=5, freq="QS"))
    table = rx.period_table(frame, period="quarter")
    assert isinstance(table.index, pd.DatetimeIndex)
    np.testing.assert_allclose(table["annualised_retention"], table["retention"] ** 4)
    assert table["change_vs_year_ago"].iloc[-1] == pytest.approx(110 / 117 - 0.95)


def test_monthly_benchmark_compares_compounded_quarters():
    # months at 99%, 99%, 99%, then 97% x 6; benchmark 90% (hand-checked in test_industry)
    retention = np.array([0.99] * 3 + [0.97] * 6)
    frame = pd.DataFrame({"start": 100.0, "end": 100 * retention, "new": 0.0},
                         index=pd.period_range("2024-01", periods=9, freq="M"))
    table = rx.period_table(frame, benchmark=0.90)
    expected = [NAN, NAN, 0.99 ** 12, 0.99 ** 8 * 0.97 ** 4, 0.99 ** 4 * 0.97 ** 8] + [0.97 ** 12] * 4
    np.testing.assert_allclose(table["compared_retention"], expected)
    assert table["below_benchmark"].tolist() == [False] * 3 + [True] * 6
    assert table["alert"].tolist() == [False] * 6 + [True] * 3


def test_bad_count_names_the_period():
    frame = quarters()
    frame.loc[2, "new"] = 120  # 2024Q2: more new than customers at end
    with pytest.raises(rx.RetentionInputError) as info:
        rx.period_table(frame, period="quarter")
    assert "new customers (120) cannot exceed customers at end (115) at row '2024Q2'" in str(info.value)
    assert info.value.problems[0].label == "2024Q2"


def test_errors_in_the_table_shape():
    with pytest.raises(rx.RetentionInputError, match="no column 'begin'"):
        rx.period_table(quarters(), start="begin")
    frame = quarters().assign(quarter=pd.PeriodIndex(["2024Q1", "2024Q1", "2024Q2", "2024Q3", "2024Q4"],
                                                     freq="Q"))
    with pytest.raises(rx.RetentionInputError, match="appears more than once"):
        rx.period_table(frame, period="quarter")
    with pytest.raises(rx.RetentionInputError, match="not both"):
        rx.period_table(quarters(), periods_per_year=4, benchmark=0.8, industry="Retail")


def test_csv_path(tmp_path):
    path = tmp_path / "quarters.csv"
    quarters().to_csv(path, index=False)
    pd.testing.assert_frame_equal(rx.period_table(path, period="quarter", periods_per_year=4),
                                  rx.period_table(quarters(), period="quarter", periods_per_year=4))


# --------------------------------------------------------------------------- averages
def test_churn_averages_two_months():
    # 100 customers lose 10 (10%), then 1,000 lose 300 (30%)
    averages = rx.churn_averages(pd.DataFrame({"start": [100, 1000], "end": [90, 700], "new": [0, 0]}))
    assert averages.index.tolist() == ["mean", "pooled", "geometric"]
    assert averages["mean"] == pytest.approx(0.20)
    assert averages["pooled"] == pytest.approx(310 / 1100)
    assert averages["geometric"] == pytest.approx(1 - (0.9 * 0.7) ** 0.5)


def test_churn_averages_three_quarters_with_new_customers():
    # kept = end - new: 180, 140, 130 of 200, 180, 150 -> retention 0.9, 7/9, 13/15
    # churn 0.1, 2/9, 2/15; lost 20 + 40 + 20 = 80 of 530 starting customers
    frame = pd.DataFrame({"s": [200, 180, 150], "e": [190, 160, 170], "n": [10, 20, 40]})
    averages = rx.churn_averages(frame, start="s", end="e", new="n")
    assert averages["mean"] == pytest.approx((0.1 + 2 / 9 + 2 / 15) / 3)  # 0.151852
    assert averages["pooled"] == pytest.approx(80 / 530)                   # 0.150943
    assert averages["geometric"] == pytest.approx(1 - (0.9 * 7 / 9 * 13 / 15) ** (1 / 3))  # 0.153535
    # the period table's own columns work as input too
    table = rx.period_table(frame, start="s", end="e", new="n")
    pd.testing.assert_series_equal(rx.churn_averages(table), averages)


def test_churn_averages_error_names_the_period():
    frame = quarters()
    frame.loc[4, "start"] = 0
    with pytest.raises(rx.RetentionInputError, match="no customers at start.*'2024Q4'"):
        rx.churn_averages(frame, period="quarter")
