"""Big files read batch by batch (issue 13): a clean log streams straight into customer codes and
day numbers, several CSV blocks and Parquet row groups give the plain-Python reference's counts,
and a log that needs the careful checks is read again whole, with the same numbers and messages."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import retention_xl as rx
from retention_xl.purchases import sources
from tests.test_logs import COUNTS, reference


def many_rows(ids: str, n: int = 30_000, seed: int = 7):
    """n purchases of 3,000 customers over 2023-2024."""
    rng = random.Random(seed)
    day0 = dt.date(2023, 1, 1)
    make = {"int": lambda c: 10_000 + c, "str": lambda c: f"C{c:07d}", "wide": lambda c: c * 7_919_000_003 + 1}[ids]
    return [(make(rng.randrange(3000)), day0 + dt.timedelta(days=rng.randrange(730))) for _ in range(n)]


def check(analysis, rows):
    expected_counts, expected_cohorts = reference(rows, "month")
    assert [tuple(r) for r in analysis.counts[COUNTS].itertuples(index=False)] == expected_counts
    got = [[None if np.isnan(v) else int(v) for v in row] for row in analysis.cohort_counts.to_numpy()]
    assert got == list(expected_cohorts.values())


@pytest.fixture
def small_blocks(monkeypatch):
    """CSV blocks of 64 KiB: a small file then streams in many blocks, as a big one does."""
    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 1 << 16)


@pytest.mark.parametrize("ids", ["int", "str", "wide"])
def test_csv_blocks_and_parquet_row_groups_match_the_reference(ids, tmp_path, small_blocks):
    rows = many_rows(ids)
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    csv = tmp_path / "log.csv"
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    assert csv.stat().st_size > 2 * sources.CSV_BLOCK_BYTES  # several blocks
    parquet = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet, row_group_size=10_000)
    for source in (csv, parquet, frame):
        with pytest.MonkeyPatch.context() as patch:
            if source is not frame:  # a clean file never goes the careful way (read whole)
                patch.setattr(sources, "read_csv_table", None)
                patch.setattr(pq, "read_table", None)
            log = rx.read_log(source)
        # codes and day numbers only: 8 bytes a purchase, whatever the ids were
        assert log.table.schema.types == [pa.int32(), pa.int32()]
        assert log.customers == (3000 if ids != "int" else max(r[0] for r in rows) - min(r[0] for r in rows) + 1)
        check(rx.analyse_log(log), rows)


def test_batches_smaller_than_a_row_group(monkeypatch, tmp_path):
    # a row group much bigger than a batch is read in batches (iter_batches), with the same counts
    rows = many_rows("str", n=20_000)
    frame = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(date=lambda d: pd.to_datetime(d["date"]))
    path = tmp_path / "one_group.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=len(frame))
    monkeypatch.setattr(sources, "BATCH_ROWS", 1000)
    log = rx.read_log(path)
    assert log.table.column("day").num_chunks == 20
    check(rx.analyse_log(log), rows)


def test_a_late_text_id_after_numbers_reads_every_id_as_text(tmp_path, small_blocks):
    # the types come from the first block; a later block that does not fit them sends the file
    # to the careful reading, which reads the ids as text: 5 and "5" are one customer
    n = 20_000
    ids = (np.arange(n) % 1000).astype(object)
    ids[-1] = "5"
    ids[-2] = "x9"
    frame = pd.DataFrame({"customer_id": ids, "date": ["2024-01-05"] * (n - 1) + ["2024-02-07"]})
    path = tmp_path / "late.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > sources.CSV_BLOCK_BYTES
    counts = rx.counts_from_log(path)
    assert counts[COUNTS].to_numpy().tolist() == [[0, 0, 1001, 0, 1001], [1001, 1, 0, 0, 1]]


def test_times_with_an_offset_in_a_csv_file_keep_their_local_date(tmp_path):
    path = tmp_path / "offsets.csv"
    # 23:30 in New York on 31 January is 1 February in UTC: a January purchase where it was made
    path.write_text("customer_id,date\n1,2024-01-31T23:30:00-05:00\n2,2024-01-15T10:00:00+01:00\n")
    counts = rx.counts_from_log(path)
    assert counts.index.astype(str).tolist() == ["2024-01"] and counts["end"].tolist() == [2]


def test_a_time_zone_in_parquet_gives_the_local_date(tmp_path):
    stamps = pd.to_datetime(["2024-01-31 23:30", "2024-02-01 08:00"]).tz_localize("America/New_York")
    path = tmp_path / "zoned.parquet"
    pd.DataFrame({"customer_id": ["a", "b"], "date": stamps}).to_parquet(path, index=False)
    counts = rx.counts_from_log(path)
    assert counts.index.astype(str).tolist() == ["2024-01", "2024-02"] and counts["end"].tolist() == [1, 1]
