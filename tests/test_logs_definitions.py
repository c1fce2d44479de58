"""Purchase logs by the field's definitions (issue 13): purchase occasions, duplicates, zero and
negative amounts, measured yearly retention, gross and net revenue retention.

A small log with every figure derived by hand, then random logs against plain Python written
from the definitions in docs/purchase_logs.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl.purchases import REVENUE_COLUMNS

NAN = np.nan


def occasions_log() -> pd.DataFrame:
    """Seven customers over 2023-2025, by quarter (t = 0 is 2023Q1, t = 8 is 2025Q1).

    ann  2023-01-10 twice (100 and 50: one day, one occasion), 2023-04-05, 2024-02-01
    bob  2023-01-20 200 on two identical rows (an export copy), 2023-07-01
    cy   2023-02-15 with amount 0 (a free item), 2024-04-02
    dee  2023-05-05 60, 2023-05-06 -10 (a refund, the next day: a second occasion)
    eve  2024-01-15, 2025-01-10
    fay  2023-03-03 twice (10 and 20): one occasion, so not a repeat customer
    gus  2023-08-08 once
    """
    rows = [("ann", "2023-01-10", 100.0), ("ann", "2023-01-10", 50.0), ("ann", "2023-04-05", 100.0),
            ("ann", "2024-02-01", 80.0), ("bob", "2023-01-20", 200.0), ("bob", "2023-01-20", 200.0),
            ("bob", "2023-07-01", 300.0), ("cy", "2023-02-15", 0.0), ("cy", "2024-04-02", 40.0),
            ("dee", "2023-05-05", 60.0), ("dee", "2023-05-06", -10.0), ("eve", "2024-01-15", 70.0),
            ("eve", "2025-01-10", 90.0), ("fay", "2023-03-03", 10.0), ("fay", "2023-03-03", 20.0),
            ("gus", "2023-08-08", 25.0)]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_repeat_customers_count_purchase_days_not_rows():
    metrics = rx.purchase_metrics(occasions_log())
    # 16 rows, bob's copy counted once: 15; days: ann 3, bob 2, cy 2, dee 2, eve 2, fay 1, gus 1
    assert metrics["rows"] == 15 and metrics["occasions"] == 13 and metrics["customers"] == 7
    assert metrics["repeat_customers"] == 5          # by rows fay would be a sixth
    assert metrics["repeat_customer_rate"] == pytest.approx(5 / 7)
    assert metrics["purchase_frequency"] == pytest.approx(13 / 7)
    # revenue: 150+100+80 + 200+300 + 0+40 + 60-10 + 70+90 + 30 + 25 = 1135 (the copy once)
    assert metrics["revenue"] == pytest.approx(1135.0)
    assert metrics["average_order_value"] == pytest.approx(1135.0 / 13)
    assert metrics.attrs["occasion"] == "customer-day"


def test_an_order_column_makes_orders_the_occasions():
    log = occasions_log().assign(order_id=[f"o{i}" for i in range(16)])
    log.loc[5, "order_id"] = "o4"       # bob's copy is the same order: still an exact duplicate
    log.loc[14, "order_id"] = "o13"     # fay's two items: one order
    log.loc[10, "order_id"] = "o9"      # dee's refund belongs to her first order
    metrics = rx.purchase_metrics(log, order="order_id")
    # orders: ann 4 (two on one day), bob 2, cy 2, dee 1, eve 2, fay 1, gus 1 = 13
    assert (metrics["occasions"], metrics["repeat_customers"]) == (13, 4)
    assert metrics.attrs["occasion"] == "order"


def test_duplicates_and_zero_or_negative_amounts_are_reported():
    log = rx.read_log(occasions_log(), amount="amount")
    report = log.report
    assert (report.rows, report.duplicates, report.nonpositive_amount) == (16, 1, 2)
    assert report.examples["duplicates"] == [(5, None)]
    assert report.examples["nonpositive_amount"] == [(7, 0.0), (10, -10.0)]
    assert report.summary() == ("16 purchases read; 1 exact duplicate counted once; "
                                "2 with an amount of zero or less (kept)")
    assert report.notes() == [
        "1 row of 16 is an exact copy of an earlier row (row 5): each counted once",
        "2 rows of 16 have an amount of zero or less (row 7 0.0, row 10 -10.0): kept as purchases, "
        "amounts summed as given"]
    assert log.rows == 15
    # customers and periods are not changed by a copy: the same counts with or without amounts
    pd.testing.assert_frame_equal(rx.counts_from_log(log, period="quarter"),
                                  rx.counts_from_log(occasions_log(), period="quarter"))


def test_measured_yearly_retention_by_hand():
    analysis = rx.analyse_log(occasions_log(), period="quarter")
    counts = analysis.counts
    assert counts.index.astype(str).tolist() == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1",
                                                 "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    # 2023Q1 ann bob cy fay: ann (Q2) and bob (Q3) back within four quarters; cy only in 2024Q2
    # 2023Q2 ann dee: ann (2024Q1); 2023Q3 bob gus: neither; 2024Q1 ann eve: eve (2025Q1)
    assert counts["returning_within_year"].tolist() == [2, 1, 0, 0, 1, 0, 0, 0, 0]
    np.testing.assert_allclose(counts["yearly_retention"], [2 / 4, 1 / 2, 0.0, NAN, 1 / 2] + [NAN] * 4)
    # the last two year-long windows: 2023Q2-2024Q1 (ann dee bob gus eve), 2024Q2-2025Q1 (cy eve)
    yearly = analysis.year_over_year
    assert [str(p) for p in yearly["first_window"] + yearly["second_window"]] == [
        "2023Q2", "2024Q1", "2024Q2", "2025Q1"]
    assert (yearly["customers"], yearly["retained"], yearly["retention"]) == (5, 1, 0.2)
    # by month the windows are 2023-02..2024-01 (all seven) and 2024-02..2025-01 (ann cy eve)
    monthly = rx.analyse_log(occasions_log(), period="month")
    assert (monthly.year_over_year["customers"], monthly.year_over_year["retained"]) == (7, 3)
    # chained quarter to quarter the same log says nobody stays a year: 2023Q4 had no one
    assert np.nanprod(counts["retention"].iloc[1:5]) == 0.0


def test_gross_and_net_revenue_retention_by_hand():
    log = pd.DataFrame({
        "customer_id": ["ann", "bob", "cy", "ann", "ann", "bob", "bob", "dan", "cy"],
        "date": ["2024-01-05", "2024-01-09", "2024-01-20", "2024-02-03", "2024-02-03", "2024-02-20",
                 "2024-02-21", "2024-02-22", "2024-03-01"],
        "amount": [100.0, 50.0, 40.0, 30.0, 30.0, 50.0, 30.0, 500.0, 10.0]})
    # ann's two rows on 3 February are identical: one purchase of 30
    table = rx.revenue_retention(log)
    assert list(table.columns) == list(REVENUE_COLUMNS)
    # Feb: ann 30 (of 100), bob 80 (of 50, capped at 50), cy 0 (of 40), dan is new
    np.testing.assert_allclose(table["revenue"], [190.0, 610.0, 10.0])
    np.testing.assert_allclose(table["revenue_from_previous_customers"], [0.0, 110.0, 0.0])
    np.testing.assert_allclose(table["kept_revenue"], [0.0, 80.0, 0.0])
    np.testing.assert_allclose(table["gross_revenue_retention"], [NAN, 80 / 190, 0.0])
    np.testing.assert_allclose(table["net_revenue_retention"], [NAN, 110 / 190, 0.0])


# --------------------------------------------------------------------------- reference
def reference(rows, period: str):
    """Plain Python from the definitions: yearly retention per period, occasions, GRR, NRR."""
    def number(day: dt.date) -> int:
        return {"month": day.year * 12 + day.month - 1, "quarter": day.year * 4 + (day.month - 1) // 3,
                "year": day.year, "week": (day.toordinal() - 1) // 7, "day": day.toordinal()}[period]

    def start_of(p: int) -> dt.date:
        if period == "month":
            return dt.date(p // 12, p % 12 + 1, 1)
        if period == "quarter":
            return dt.date(p // 4, (p % 4) * 3 + 1, 1)
        if period == "year":
            return dt.date(p, 1, 1)
        if period == "week":
            return dt.date.fromordinal(p * 7 + 1)
        return dt.date.fromordinal(p)

    def year_later(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year + 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year + 1, day=28)

    seen = set()
    unique = []
    for row in rows:
        if row not in seen:
            seen.add(row)
            unique.append(row)
    active = defaultdict(set)
    revenue = defaultdict(float)
    days = defaultdict(set)
    for customer, day, amount in unique:
        p = number(day)
        active[p].add(customer)
        revenue[p, customer] += amount
        days[customer].add(day)
    first, last = min(active), max(active)
    periods = range(first, last + 1)
    yearly, again = [], []
    for p in periods:
        limit = number(year_later(start_of(p)))
        back = {c for c in active[p] if any(c in active[q] for q in range(p + 1, limit + 1))}
        again.append(len(back))
        yearly.append(len(back) / len(active[p]) if limit <= last and active[p] else None)
    grr, nrr = [], []
    for p in periods:
        before = sum(revenue[p - 1, c] for c in active[p - 1]) if p > first else 0.0
        if before <= 0:
            grr.append(None)
            nrr.append(None)
            continue
        grr.append(sum(max(0.0, min(revenue[p, c], revenue[p - 1, c])) for c in active[p - 1] if c in active[p])
                   / before)
        nrr.append(sum(revenue[p, c] for c in active[p - 1] if c in active[p]) / before)
    customers = len(days)
    repeat = sum(1 for d in days.values() if len(d) >= 2)
    occasions = sum(len(d) for d in days.values())
    return {"again": again, "yearly": yearly, "grr": grr, "nrr": nrr, "repeat": repeat,
            "occasions": occasions, "customers": customers, "rows": len(unique),
            "revenue": sum(a for _, _, a in unique)}


#: The shape of the random logs (see the ``random_rows`` fixture): up to 30 customers and 250
#: rows over 60, 400 or 1,200 days, amounts that may be zero or negative, up to 5 exact copies.
AMOUNT_LOGS = dict(customers=30, spans=(60, 400, 1200), first_day=dt.date(2023, 12, 20), later_by=80,
                   purchases=250, amounts=(0, 5, 10, 25, -5), copies=5)


def as_frame(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"]))


@pytest.mark.parametrize("period", ["month", "quarter", "year", "week", "day"])
@pytest.mark.parametrize("ids", ["int", "str", "sparse"])
def test_random_logs_match_the_reference(period, ids, random_rows):
    for seed in range(10):
        rows = random_rows(seed * 17 + len(period), ids, **AMOUNT_LOGS)
        frame = as_frame(rows)
        expected = reference(rows, period)
        for method in ("dense", "sparse"):
            counts = rx.analyse_log(frame, period=period, method=method).counts
            assert counts["returning_within_year"].tolist() == expected["again"], (seed, method)
            got = [None if np.isnan(v) else v for v in counts["yearly_retention"]]
            assert got == pytest.approx(expected["yearly"]), (seed, method)
        revenue = rx.revenue_retention(frame, period=period)
        assert [None if np.isnan(v) else v for v in revenue["gross_revenue_retention"]] == \
            pytest.approx(expected["grr"]), seed
        assert [None if np.isnan(v) else v for v in revenue["net_revenue_retention"]] == \
            pytest.approx(expected["nrr"]), seed
        metrics = rx.purchase_metrics(frame)
        assert (metrics["customers"], metrics["occasions"], metrics["repeat_customers"], metrics["rows"]) == \
            (expected["customers"], expected["occasions"], expected["repeat"], expected["rows"]), seed
        assert metrics["revenue"] == pytest.approx(expected["revenue"])


def test_per_period_occasions_match_plain_python(random_rows):
    for seed in range(10):
        rows = random_rows(seed, "str", **AMOUNT_LOGS)
        monthly = rx.purchase_metrics(as_frame(rows), period="month")
        per = defaultdict(lambda: defaultdict(set))
        for customer, day, _ in set(rows):
            per[day.year * 12 + day.month - 1][customer].add(day)
        for label, row in monthly.iterrows():
            month = per[label.year * 12 + label.month - 1]
            assert row["customers"] == len(month)
            assert row["occasions"] == sum(len(d) for d in month.values())
            assert row["repeat_customers"] == sum(1 for d in month.values() if len(d) >= 2)


def test_the_cli_says_what_was_counted(tmp_path, capsys):
    pytest.importorskip("openpyxl")
    pytest.importorskip("matplotlib")
    from retention_xl.cli import main

    path = tmp_path / "purchases.csv"
    occasions_log().to_csv(path, index=False)
    assert main(["log", str(path), str(tmp_path / "out.xlsx"), "--amount", "amount", "--period", "quarter"]) == 0
    printed = capsys.readouterr().out
    assert "Repeat customers: 71.4% bought on more than one day (5 of 7)" in printed
    assert "Yearly retention (measured): 20.0%: 1 of the 5 customers who bought from 2023Q2 to 2024Q1 " \
           "bought again from 2024Q2 to 2025Q1" in printed
    assert "Back within a year, customers of 2024Q1: 50.0% (1 of 2;" in printed
    assert "Note: 1 row of 16 is an exact copy of an earlier row (line 7): each counted once" in printed
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    header = [c.value for c in book["Periods"][1]]
    assert "Retention per year (measured)" in header
    assert "Chained per year (assumes nobody comes back)" in header
    assert [c.value for c in book["Revenue"][1]][5:] == ["Gross revenue retention (GRR)",
                                                         "Net revenue retention (NRR)"]


def test_the_benchmark_is_compared_with_measured_yearly_retention():
    from retention_xl.periods import retention_trend

    counts = rx.counts_from_log(occasions_log(), period="quarter")
    trend = retention_trend(counts["retention"], 4, benchmark=0.63, yearly=counts["yearly_retention"])
    # compared as measured (50%, 50%, 0%, none, 50%), not as quarterly retention ** 4
    np.testing.assert_allclose(trend["compared_retention"], [0.5, 0.5, 0.0, NAN, 0.5] + [NAN] * 4)
    # more than 5 points below 63% in two quarters in a row: 2023Q2 and 2023Q3
    assert trend.index[trend["alert"]].astype(str).tolist() == ["2023Q2", "2023Q3"]
    chained = retention_trend(counts["retention"], 4, benchmark=0.63)
    assert chained["annualised_retention"].equals(trend["annualised_retention"])  # still shown
    assert not np.allclose(chained["compared_retention"], trend["compared_retention"], equal_nan=True)
