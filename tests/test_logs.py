"""Counts and cohorts from purchase logs (docs/methodology.md sections 5 and 7).

Hand-checked logs with their tables written out, random logs against a plain-Python
reference (both counting methods, every period), dirty logs, file formats, and the SQL
query on DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl.purchases import PERIODS

NAN = np.nan
COUNTS = ["start", "retained", "new", "reactivated", "end"]
# hand_log and random_rows are fixtures of tests/conftest.py (the hand log's table is in its docstring)


def test_hand_checked_monthly_counts(hand_log):
    #            start retained new reactivated end   active
    expected = [(0, 0, 3, 0, 3),  # Jan: ann bob eve
                (3, 1, 1, 0, 2),  # Feb: ann cy            (ann kept; bob, eve lost)
                (2, 1, 1, 1, 3),  # Mar: ann bob dee       (ann kept, bob back, dee new)
                (3, 1, 1, 0, 2),  # Apr: dee fay
                (2, 1, 0, 1, 2)]  # May: bob fay           (fay kept, bob back)
    counts = rx.counts_from_log(hand_log)
    assert list(counts.columns) == ["start", "retained", "new", "reactivated", "end", "retention",
                                    "lost", "churn", "formula_retention", "returning_within_year",
                                    "yearly_retention"]
    assert counts.index.equals(pd.period_range("2024-01", "2024-05", freq="M", name="period"))
    assert [tuple(r) for r in counts[COUNTS].itertuples(index=False)] == expected
    np.testing.assert_allclose(counts["retention"], [NAN, 1 / 3, 1 / 2, 1 / 3, 1 / 2])
    np.testing.assert_allclose(counts["churn"], [NAN, 2 / 3, 1 / 2, 2 / 3, 1 / 2])
    assert counts["lost"].tolist() == [0, 2, 1, 2, 1]
    # (end - new) / start counts bob's returns as kept: March 2/2, May 2/2
    np.testing.assert_allclose(counts["formula_retention"], [NAN, 1 / 3, 1.0, 1 / 3, 1.0])


def test_hand_checked_cohort_matrix(hand_log):
    matrix = rx.cohort_matrix(hand_log)
    assert matrix.index.equals(pd.PeriodIndex(["2024-01", "2024-02", "2024-03", "2024-04"], freq="M",
                                              name="cohort"))
    assert matrix.columns.tolist() == [0, 1, 2, 3, 4]
    expected = [[1.0, 1 / 3, 2 / 3, 0.0, 1 / 3],   # ann bob eve: Feb ann; Mar ann bob; Apr -; May bob
                [1.0, 0.0, 0.0, 0.0, NAN],         # cy
                [1.0, 1.0, 0.0, NAN, NAN],         # dee
                [1.0, 1.0, NAN, NAN, NAN]]         # fay
    np.testing.assert_allclose(matrix.to_numpy(), expected)
    sizes = rx.cohort_counts(hand_log)
    assert sizes[0].tolist() == [3, 1, 1, 1]
    np.testing.assert_allclose(sizes.to_numpy(), [[3, 1, 2, 0, 1], [1, 0, 0, 0, NAN], [1, 1, 0, NAN, NAN],
                                                  [1, 1, NAN, NAN, NAN]])


def test_hand_checked_quarterly(hand_log):
    # Q1: ann bob cy dee eve (all new); Q2: bob dee fay -> bob, dee kept, fay new
    counts = rx.counts_from_log(hand_log, period="quarter")
    assert counts.index.astype(str).tolist() == ["2024Q1", "2024Q2"]
    assert [tuple(r) for r in counts[COUNTS].itertuples(index=False)] == [(0, 0, 5, 0, 5), (5, 2, 1, 0, 3)]
    assert counts["retention"].iloc[1] == pytest.approx(0.4)
    np.testing.assert_allclose(rx.cohort_matrix(hand_log, period="quarter").to_numpy(),
                               [[1.0, 2 / 5], [1.0, NAN]])


def test_empty_periods_are_rows_of_zeros():
    log = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-10", "2024-04-02", "2024-04-03"])})
    counts = rx.counts_from_log(log)
    assert counts.index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert [tuple(r) for r in counts[COUNTS].itertuples(index=False)] == [
        (0, 0, 1, 0, 1), (1, 0, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 1, 1, 2)]
    assert np.isnan(counts["retention"].iloc[[0, 2, 3]]).all() and counts["retention"].iloc[1] == 0.0
    matrix = rx.cohort_matrix(log)
    np.testing.assert_allclose(matrix.to_numpy(), [[1.0, 0.0, 0.0, 1.0], [1.0, NAN, NAN, NAN]])


# --------------------------------------------------------------------------- reference
def reference(rows, period: str):
    """Plain Python: sets of active customers per period, straight from docs/methodology.md section 5."""
    def number(day: dt.date) -> int:
        if period == "day":
            return day.toordinal()
        if period == "week":
            return (day.toordinal() - 1) // 7  # ordinal 1 (0001-01-01) was a Monday
        if period == "month":
            return day.year * 12 + day.month - 1
        if period == "quarter":
            return day.year * 4 + (day.month - 1) // 3
        return day.year

    active = defaultdict(set)
    for customer, day in rows:
        active[number(day)].add(customer)
    periods = range(min(active), max(active) + 1)
    first = {}
    for p in periods:
        for c in active[p]:
            first.setdefault(c, p)
    counts = []
    for p in periods:
        now, before = active[p], active[p - 1] if p - 1 in active else set()
        if p == periods[0]:
            before = set()
        new = {c for c in now if first[c] == p}
        retained = now & before
        counts.append((len(before), len(retained), len(new), len(now - before - new), len(now)))
    cohorts = {}
    for f in periods:
        members = {c for c, p in first.items() if p == f}
        if members:
            cohorts[f] = [len(members & active[f + k]) if f + k <= periods[-1] else None
                          for k in range(len(periods))]
    return counts, cohorts


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize("method", ["dense", "sparse"])
@pytest.mark.parametrize("ids", ["int", "str", "sparse"])
def test_random_logs_match_the_reference(period, method, ids, random_rows):
    for seed in range(12):
        rows = random_rows(seed * 31 + len(period), ids)
        frame = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(
            date=lambda d: pd.to_datetime(d["date"]))
        analysis = rx.analyse_log(frame, period=period, method=method)
        expected_counts, expected_cohorts = reference(rows, period)
        assert [tuple(r) for r in analysis.counts[COUNTS].itertuples(index=False)] == expected_counts, seed
        cohorts = analysis.cohort_counts
        assert len(cohorts) == len(expected_cohorts)
        for (label, row), values in zip(cohorts.iterrows(), expected_cohorts.values()):
            got = [None if np.isnan(v) else int(v) for v in row]
            assert got == values, (seed, label)
        start = analysis.counts["start"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_allclose(analysis.counts["retention"],
                                       np.where(start > 0, analysis.counts["retained"] / start, np.nan))


def test_period_labels_match_pandas_periods(random_rows):
    rows = random_rows(5)
    frame = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(date=lambda d: pd.to_datetime(d["date"]))
    for period, freq in PERIODS.items():
        counts = rx.counts_from_log(frame, period=period)
        labels = frame["date"].dt.to_period(freq)
        assert counts.index[0] == labels.min() and counts.index[-1] == labels.max()
        per_label = frame.assign(p=labels).groupby("p")["customer_id"].nunique()
        assert (counts.loc[per_label.index, "end"].to_numpy() == per_label.to_numpy()).all()


# --------------------------------------------------------------------------- formats
def test_csv_parquet_and_dataframe_agree(tmp_path, hand_log):
    frame = hand_log.assign(amount=10.0)
    frame.to_csv(tmp_path / "log.csv", index=False)
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    expected = rx.analyse_log(frame)
    for path in (tmp_path / "log.csv", str(tmp_path / "log.parquet")):
        got = rx.analyse_log(path)
        pd.testing.assert_frame_equal(got.counts, expected.counts)
        pd.testing.assert_frame_equal(got.cohort_counts, expected.cohort_counts)


def test_dates_as_text_dates_and_time_zones(hand_log):
    frame = hand_log
    expected = rx.counts_from_log(frame)
    as_text = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(rx.counts_from_log(as_text), expected)
    us_style = frame.assign(date=frame["date"].dt.strftime("%m/%d/%Y"))
    pd.testing.assert_frame_equal(rx.counts_from_log(us_style), expected)
    as_dates = frame.assign(date=frame["date"].dt.date)
    pd.testing.assert_frame_equal(rx.counts_from_log(as_dates), expected)
    # 23:30 in New York on the 31st is the next day in UTC: the local date counts
    zoned = pd.DataFrame({"customer_id": [1, 1], "date": pd.to_datetime(
        ["2024-01-31 23:30", "2024-02-01 10:00"]).tz_localize("America/New_York")})
    assert rx.counts_from_log(zoned)["end"].tolist() == [1, 1]


def test_other_column_names_and_purchase_log_reuse(tmp_path, hand_log):
    frame = hand_log.rename(columns={"customer_id": "client", "date": "sold_on"})
    log = rx.read_log(frame, customer="client", date="sold_on")
    assert log.report.rows == 14 and log.report.clean
    pd.testing.assert_frame_equal(rx.counts_from_log(log), rx.counts_from_log(hand_log))
    with pytest.raises(rx.RetentionInputError, match="no column 'customer_id'"):
        rx.counts_from_log(frame)
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(rx.RetentionInputError, match="no column 'date'.*client, sold_on"):
        rx.counts_from_log(path, customer="client")
    with pytest.raises(FileNotFoundError):
        rx.counts_from_log(tmp_path / "missing.csv")
    with pytest.raises(rx.RetentionInputError, match="period must be one of"):
        rx.counts_from_log(frame, "client", "sold_on", period="fortnight")


def test_numeric_dates_are_refused():
    with pytest.raises(rx.RetentionInputError, match="holds numbers"):
        rx.counts_from_log(pd.DataFrame({"customer_id": [1], "date": [45000]}))


# --------------------------------------------------------------------------- dirty logs
@pytest.fixture
def dirty_log(hand_log) -> pd.DataFrame:
    frame = hand_log.assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d")).astype({"date": object})
    extra = pd.DataFrame({"customer_id": [None, "", "gus", "hal", "ivy"],
                          "date": ["2024-02-03", "2024-02-04", "31/02/2024", None, "soon"]},
                         index=[100, 101, 102, 103, 104])
    return pd.concat([frame, extra])


def test_dirty_log_is_refused_with_counts_and_examples(dirty_log):
    with pytest.raises(rx.RetentionInputError) as info:
        rx.counts_from_log(dirty_log)
    message = str(info.value)
    assert "2 rows of 19 without a customer id (column 'customer_id': row 100, row 101)" in message
    assert "1 row of 19 without a date (column 'date': row 103)" in message
    assert "2 rows of 19 whose date could not be read (column 'date': row 102 '31/02/2024', row 104 'soon')" \
        in message
    assert "exclude_invalid=True" in message
    assert [p.field for p in info.value.problems] == ["customer_id", "date", "date"]


def test_dirty_log_excluded_on_request(hand_log, dirty_log):
    log = rx.read_log(dirty_log, exclude_invalid=True)
    assert (log.report.rows, log.report.excluded) == (19, 5)
    assert (log.report.missing_customer, log.report.missing_date, log.report.bad_date) == (2, 1, 2)
    assert log.report.summary() == ("19 purchases read; 5 left out (2 without a customer id, "
                                    "1 without a date, 2 with an unreadable date)")
    pd.testing.assert_frame_equal(rx.counts_from_log(dirty_log, exclude_invalid=True),
                                  rx.counts_from_log(hand_log))


def test_dirty_files_name_lines_and_rows(tmp_path, hand_log, dirty_log):
    frame = dirty_log.reset_index(drop=True)
    frame.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(rx.RetentionInputError) as info:
        rx.counts_from_log(tmp_path / "log.csv")
    assert "line 16, line 17" in str(info.value)  # rows 14 and 15 after the header line
    assert "line 18 '31/02/2024'" in str(info.value)
    frame.to_parquet(tmp_path / "log.parquet")
    with pytest.raises(rx.RetentionInputError, match="row 15, row 16"):
        rx.counts_from_log(tmp_path / "log.parquet")
    pd.testing.assert_frame_equal(rx.counts_from_log(tmp_path / "log.csv", exclude_invalid=True),
                                  rx.counts_from_log(hand_log))


def test_late_bad_value_in_a_big_csv(tmp_path):
    # types are guessed from the first block of the file; a bad date far down is still reported
    from retention_xl.purchases.sources import CSV_BLOCK_BYTES

    n = 200_000
    frame = pd.DataFrame({"customer_id": np.arange(n) % 1000,
                          "date": np.repeat(["2024-01-05"], n).astype(object)})
    frame.loc[n - 1, "date"] = "n/a yet"
    frame.loc[n - 2, "customer_id"] = -1
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    # the bad rows are in a later block than the first, the one the types are guessed from
    assert path.stat().st_size - 100 > CSV_BLOCK_BYTES * 1.25
    with pytest.raises(rx.RetentionInputError, match=f"line {n + 1} 'n/a yet'"):
        rx.counts_from_log(path)
    counts = rx.counts_from_log(path, exclude_invalid=True)
    assert counts["end"].tolist() == [1001]  # 1000 ids and the id -1 (read as text "-1")


def test_empty_log():
    with pytest.raises(rx.RetentionInputError, match="no purchases"):
        rx.counts_from_log(pd.DataFrame({"customer_id": [], "date": pd.to_datetime([])}))


# --------------------------------------------------------------------------- section 7
def test_purchase_metrics_overall_and_per_period():
    log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3],
                        "date": pd.to_datetime(["2024-01-03", "2024-02-01", "2024-01-05",
                                                "2024-01-06", "2024-01-07", "2024-03-01"]),
                        "amount": [10.0, 20.0, 30.0, 5.0, 15.0, 40.0]})
    overall = rx.purchase_metrics(log)
    # six rows on six different days: six occasions
    assert overall.to_dict() == {"customers": 3, "rows": 6, "occasions": 6, "repeat_customers": 2,
                                 "repeat_customer_rate": 2 / 3, "purchase_frequency": 2.0,
                                 "revenue": 120.0, "average_order_value": 20.0}
    monthly = rx.purchase_metrics(log, period="month")
    # Jan: customers 1, 2, 3 (3 twice), 4 orders, 60.0; Feb: 1 once, 20.0; Mar: 3 once, 40.0
    assert monthly["customers"].tolist() == [3, 1, 1]
    assert monthly["occasions"].tolist() == [4, 1, 1]
    assert monthly["repeat_customers"].tolist() == [1, 0, 0]
    np.testing.assert_allclose(monthly["repeat_customer_rate"], [1 / 3, 0, 0])
    np.testing.assert_allclose(monthly["purchase_frequency"], [4 / 3, 1, 1])
    np.testing.assert_allclose(monthly["revenue"], [60.0, 20.0, 40.0])
    np.testing.assert_allclose(monthly["average_order_value"], [15.0, 20.0, 40.0])
    without = rx.purchase_metrics(log, amount=None)
    assert "average_order_value" not in without.index
    bad = log.assign(amount=[10.0, None, 30.0, 5.0, 15.0, 40.0])
    with pytest.raises(rx.RetentionInputError, match="1 row of 6 whose amount is blank"):
        rx.purchase_metrics(bad)
    assert rx.purchase_metrics(bad, exclude_invalid=True)["occasions"] == 5


# --------------------------------------------------------------------------- SQL
# the query is run on DuckDB and PostgreSQL in tests/test_logs_sql.py


def test_readme_shows_the_query_the_code_writes():
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "```sql\n" + rx.log_counts_sql() + "\n```" in readme
