"""Benchmarks (docs/methodology.md section 6): the shipped tables, user tables, and the alert rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl.industry import benchmark_comparison, quarter_window

DOMAIN_TABLE = {
    "Media": 0.84, "Professional services": 0.84, "Automotive & transportation": 0.83,
    "Insurance": 0.83, "IT services": 0.81, "Construction & engineering": 0.80,
    "Financial services": 0.78, "Telecommunications": 0.78, "Healthcare": 0.77,
    "IT & software": 0.77, "Banking": 0.75, "Consumer services": 0.67, "Manufacturing": 0.67,
    "Retail": 0.63, "Hospitality/travel/restaurants": 0.55,
}


# --------------------------------------------------------------------------- tables
def test_shipped_table_is_domain_section_6_with_source_year_caveat():
    table = rx.industry_benchmarks()
    assert list(table.columns) == ["industry", "yearly_retention", "source", "year", "caveat"]
    assert dict(zip(table["industry"], table["yearly_retention"])) == DOMAIN_TABLE
    assert (table["year"] == 2023).all()
    assert table["source"].str.contains("Exploding Topics").all()
    assert table["caveat"].str.contains("indicative").all()


def test_shipped_table_is_a_copy():
    table = rx.industry_benchmarks()
    table.loc[0, "yearly_retention"] = 0.1
    assert rx.industry_benchmarks().loc[0, "yearly_retention"] == 0.84


@pytest.mark.parametrize("name, expected", [("retail", 0.63), ("RETAIL", 0.63), ("  IT   & software ", 0.77),
                                            ("hospitality/travel/restaurants", 0.55)])
def test_benchmark_for_is_case_insensitive(name, expected):
    assert rx.benchmark_for(name) == expected


def test_unknown_industry_lists_the_valid_names():
    with pytest.raises(rx.RetentionInputError) as info:
        rx.benchmark_for("Bakeries")
    message = str(info.value)
    assert "unknown industry 'Bakeries'" in message
    for name in DOMAIN_TABLE:
        assert name in message


def test_user_table_replaces_the_shipped_one(tmp_path):
    mine = pd.DataFrame({"industry": ["Bakeries", "Florists"], "yearly_retention": [0.7, 0.6]})
    table = rx.industry_benchmarks(mine)
    assert list(table.columns) == ["industry", "yearly_retention", "source", "year", "caveat"]
    assert rx.benchmark_for("bakeries", mine) == 0.7
    path = tmp_path / "mine.csv"
    mine.assign(source="our survey", year=2024, caveat="").to_csv(path, index=False)
    assert rx.benchmark_for("Florists", path) == 0.6
    assert rx.benchmark_for("Florists", str(path)) == 0.6
    assert rx.industry_benchmarks(path)["source"].tolist() == ["our survey"] * 2
    with pytest.raises(rx.RetentionInputError, match="unknown industry 'Retail'"):
        rx.benchmark_for("Retail", mine)


def test_user_table_is_validated():
    with pytest.raises(rx.RetentionInputError, match="no column 'yearly_retention'"):
        rx.industry_benchmarks(pd.DataFrame({"industry": ["A"], "retention": [0.5]}))
    with pytest.raises(rx.RetentionInputError) as info:
        rx.industry_benchmarks(pd.DataFrame({"industry": ["A", "B"], "yearly_retention": [0.5, 84]}))
    assert "at row 'B'" in str(info.value) and "fraction from 0 to 1" in str(info.value)
    with pytest.raises(rx.RetentionInputError, match="blank"):
        rx.industry_benchmarks(pd.DataFrame({"industry": ["A"], "yearly_retention": [None]}))
    with pytest.raises(rx.RetentionInputError, match="appears more than once"):
        rx.industry_benchmarks(pd.DataFrame({"industry": ["A", "a"], "yearly_retention": [0.5, 0.6]}))
    with pytest.raises(rx.RetentionInputError, match="DataFrame or the path"):
        rx.industry_benchmarks([("A", 0.5)])


def test_subscription_churn_is_recurly():
    table = rx.subscription_churn_benchmarks()
    assert list(table.columns) == ["segment", "monthly_churn", "source", "year", "caveat"]
    assert dict(zip(table["segment"], table["monthly_churn"])) == {"B2B": 0.0491, "B2C": 0.0677}
    assert table["source"].str.contains("Recurly").all()


# --------------------------------------------------------------------------- the alert
def test_quarter_window():
    assert [quarter_window(p) for p in (1, 2, 4, 12, 52)] == [1, 1, 1, 3, 13]


def test_quarterly_alert_worked_series():
    # Telecommunications, 78%. Annualised: .95^4 = 81.45%, .92^4 = 71.64%, .91^4 = 68.57%,
    # .94^4 = 78.07%. More than 5 points below 78% means below 73%: quarters 2, 3, 4.
    # Two straight quarters below: at quarter 3 (2 and 3) and quarter 4 (3 and 4).
    retention = [0.95, 0.92, 0.92, 0.91, 0.94]
    detail = benchmark_comparison(np.array(retention), 0.78, 4)
    np.testing.assert_allclose(detail["compared"], [0.81450625, 0.71639296, 0.71639296, 0.68574961,
                                                    0.78074896])
    np.testing.assert_allclose(detail["gap"], np.array(detail["compared"]) - 0.78)
    assert detail["below"].tolist() == [False, True, True, True, False]
    expected = [False, False, True, True, False]
    assert rx.benchmark_alert(retention, 0.78).tolist() == expected
    assert rx.benchmark_alert(retention, industry="telecommunications").tolist() == expected
    # a looser tolerance (10 points: below 68%) finds nothing
    assert not rx.benchmark_alert(retention, 0.78, tolerance=0.10).any()


def test_one_quarter_below_is_not_an_alert():
    assert not rx.benchmark_alert([0.95, 0.90, 0.95, 0.90, 0.95], 0.78).any()


def test_exactly_tolerance_below_is_not_an_alert():
    at_73 = 0.73 ** 0.25  # annualised: 73%, exactly 5 points below 78%
    assert not rx.benchmark_alert([at_73] * 3, 0.78).any()
    just_below = 0.7299 ** 0.25
    assert rx.benchmark_alert([just_below] * 3, 0.78).tolist() == [False, True, True]


def test_monthly_alert_compounds_months_into_quarters():
    # Three months at 99% then six at 97%, benchmark 90%, tolerance 5 points (below 85%).
    # Quarter ending month i (i from 0): months i-2..i compounded, annualised (** 4):
    #   i=2: .99^12           = 88.64%  not below
    #   i=3: .99^8 * .97^4    = 81.69%  below
    #   i=4: .99^4 * .97^8    = 75.28%  below
    #   i>=5: .97^12          = 69.38%  below
    # Alert at month i when the quarter ending i and the one ending i-3 are both below:
    #   i=6 (quarters ending 3 and 6), 7 and 8.
    retention = [0.99] * 3 + [0.97] * 6
    detail = benchmark_comparison(np.array(retention), 0.90, 12)
    assert np.isnan(detail["compared"][:2]).all()
    np.testing.assert_allclose(detail["compared"][2:], [0.99 ** 12, 0.99 ** 8 * 0.97 ** 4,
                                                        0.99 ** 4 * 0.97 ** 8] + [0.97 ** 12] * 4)
    assert detail["below"].tolist() == [False] * 3 + [True] * 6
    assert rx.benchmark_alert(retention, 0.90, periods_per_year=12).tolist() == [False] * 6 + [True] * 3


def test_monthly_single_bad_month_is_no_alert():
    # one month at 80% would be 6.9% a year on its own; compounded into its quarters it
    # still pulls two quarters below, but only the quarters containing it
    retention = [0.99] * 4 + [0.80] + [0.99] * 7
    alert = rx.benchmark_alert(retention, 0.80, periods_per_year=12)
    # quarters ending 4, 5, 6 contain the bad month; quarters ending 7.. do not.
    # Two straight (non-overlapping) quarters both containing month 4 are impossible.
    assert not alert.any()


def test_yearly_alert_needs_two_straight_years():
    assert rx.benchmark_alert([0.70, 0.70, 0.80], 0.80, periods_per_year=1).tolist() == [False, True, False]


def test_series_in_series_out():
    retention = pd.Series([0.95, 0.92, 0.92], index=pd.period_range("2024Q1", periods=3, freq="Q"))
    alert = rx.benchmark_alert(retention, 0.78)
    assert isinstance(alert, pd.Series)
    assert alert.index.equals(retention.index)
    assert alert.tolist() == [False, False, True]


def test_alert_argument_errors():
    with pytest.raises(rx.RetentionInputError, match="either a benchmark or an industry"):
        rx.benchmark_alert([0.9])
    with pytest.raises(rx.RetentionInputError, match="not both"):
        rx.benchmark_alert([0.9], 0.8, industry="Retail")
    with pytest.raises(rx.RetentionInputError, match="retention must be a fraction"):
        rx.benchmark_alert([0.9, 92], 0.8)
    with pytest.raises(rx.RetentionInputError, match="periods per year"):
        rx.benchmark_alert([0.9], 0.8, periods_per_year=0)
    with pytest.raises(rx.RetentionInputError, match="tolerance"):
        rx.benchmark_alert([0.9], 0.8, tolerance=-0.05)
    assert rx.benchmark_alert(0.5, 0.8) is False
    assert math.isclose(rx.convert_retention(0.95, 4), 0.81450625)
