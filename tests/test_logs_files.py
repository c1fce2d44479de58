"""Purchase logs as people's files write them: date forms, a named format, ambiguous dates refused,
offsets kept local, encodings, empty and ragged files, long spans bounded (issues 12 and 14)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl.cli import main

DAYS = ["2024-03-04", "2024-03-13", "2024-04-25", "2024-05-01"]


def expected_counts():
    frame = pd.DataFrame({"customer_id": ["a", "b", "a", "c"], "date": pd.to_datetime(DAYS)})
    return rx.counts_from_log(frame)


@pytest.mark.parametrize("form", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y",
                                  "%b %d, %Y", "%d-%m-%Y"])
def test_usual_date_forms_are_read(form, tmp_path):
    # 13 March and 25 April tell day-first from month-first
    text = [pd.Timestamp(d).strftime(form) for d in DAYS]
    frame = pd.DataFrame({"customer_id": ["a", "b", "a", "c"], "date": text})
    pd.testing.assert_frame_equal(rx.counts_from_log(frame), expected_counts())
    frame.to_csv(tmp_path / "log.csv", index=False)
    log = rx.read_log(tmp_path / "log.csv")
    assert log.report.date_format == form
    pd.testing.assert_frame_equal(rx.counts_from_log(log), expected_counts())


def test_ambiguous_dates_are_refused_then_read_by_a_named_format(tmp_path, capsys):
    path = tmp_path / "shop.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "date": ["3/4/2024", "5/6/2024"]}).to_csv(path, index=False)
    with pytest.raises(rx.RetentionInputError) as info:
        rx.read_log(path)
    assert str(info.value) == (
        "shop.csv: the dates can be read two ways: line 2 '3/4/2024' would be 03 April 2024 (day first) "
        "or 04 March 2024 (month first): name the format with date_format='%d/%m/%Y' or "
        "name the format with date_format='%m/%d/%Y'")
    assert rx.counts_from_log(path, date_format="%d/%m/%Y").index.astype(str).tolist() == ["2024-04", "2024-05", "2024-06"]
    assert rx.counts_from_log(path, date_format="%m/%d/%Y").index.astype(str).tolist() == ["2024-03", "2024-04", "2024-05"]
    out = tmp_path / "out.xlsx"
    assert main(["log", str(path), str(out)]) == 2
    err = capsys.readouterr().err
    assert "--date-format %d/%m/%Y" in err and "date_format=" not in err
    assert main(["log", str(path), str(out), "--date-format", "%d/%m/%Y"]) == 0
    assert "Periods: 3 months, 2024-04 to 2024-06" in capsys.readouterr().out


def test_a_named_format_reports_rows_it_cannot_read(tmp_path, capsys):
    path = tmp_path / "shop.csv"
    pd.DataFrame({"customer_id": ["a", "b", "c"], "date": ["13/04/2024", "2024-04-14", "31/02/2024"]}).to_csv(
        path, index=False)
    with pytest.raises(rx.RetentionInputError) as info:
        rx.read_log(path, date_format="%d/%m/%Y")
    assert ("shop.csv: 2 rows of 3 whose date could not be read (column 'date': line 3 '2024-04-14', "
            "line 4 '31/02/2024'): fix them in the log, or pass exclude_invalid=True") in str(info.value)
    assert main(["log", str(path), str(tmp_path / "o.xlsx"), "--date-format", "%d/%m/%Y"]) == 2
    err = capsys.readouterr().err
    assert "add --exclude-invalid to leave those rows out" in err and "exclude_invalid=True" not in err


def test_offsets_keep_the_local_date():
    frame = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-31T23:30:00-05:00", "2024-02-01T00:30:00+01:00"]})
    # 23:30 in New York on the 31st is in February in UTC; 00:30 in Paris on the 1st is January in UTC
    assert rx.counts_from_log(frame)["end"].tolist() == [1, 1]
    assert rx.counts_from_log(frame).index.astype(str).tolist() == ["2024-01", "2024-02"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_encodings(encoding, tmp_path):
    path = tmp_path / "log.csv"
    pd.DataFrame({"Kunde": ["Müller", "Jürgen", "Müller"], "Datum": ["2024-03-01", "2024-03-02", "2024-04-05"]}).to_csv(
        path, index=False, encoding=encoding)
    counts = rx.counts_from_log(path, customer="Kunde", date="Datum")
    assert counts["end"].tolist() == [2, 1] and counts["retained"].tolist() == [0, 1]


def test_empty_and_ragged_files_get_a_sentence(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(rx.RetentionInputError, match="empty.csv is empty"):
        rx.read_log(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("customer_id,date\n")
    with pytest.raises(rx.RetentionInputError, match="no purchases"):
        rx.counts_from_log(header_only)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("customer_id,date\na,2024-01-01\nb,2024-01-02,12.50\n")
    with pytest.raises(rx.RetentionInputError) as info:
        rx.read_log(ragged)
    assert "ragged.csv could not be read as a table: line 3 has 3 fields, the header line 2" in str(info.value)
    for path in (empty, header_only, ragged):
        assert main(["log", str(path), str(tmp_path / "o.xlsx")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("retention-xl: ") and "Traceback" not in err


def test_a_long_span_is_bounded_in_memory(tmp_path):
    """Two purchases 30 years apart by day: cohorts sized from the data (two rows), in a process
    limited to 1.5 GB of address space; beyond the stated limits, a sentence."""
    path = tmp_path / "two.csv"
    path.write_text("customer_id,date\n1,1994-01-01\n2,2024-01-01\n")
    code = textwrap.dedent(f"""
        import faulthandler, resource
        faulthandler.dump_traceback_later(200, exit=True)
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
        from retention_xl.cli import main
        import sys
        sys.exit(main(["log", {str(path)!r}, {str(tmp_path / 'out.xlsx')!r}, "--period", "day"]))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Periods: 10,958 days" in done.stdout or "Periods: 10958 days" in done.stdout
    analysis = rx.analyse_log(path, period="day")
    assert analysis.cohort_counts.shape == (2, 10958)
    # a log with a first purchase on every one of 10,958 days: 120 million cohort cells, refused
    days = pd.date_range("1994-01-01", "2024-01-01", freq="D")
    many = pd.DataFrame({"customer_id": np.arange(len(days)), "date": days})
    with pytest.raises(rx.RetentionInputError) as info:
        rx.analyse_log(many, period="day")
    assert str(info.value).startswith(
        "the log spans 1994-01-01 to 2024-01-01: counted by day that is a cohort table of 10,958 cohorts x "
        "10,958 days (120,077,764 cells); the limit is 25,000,000: count by week or month")
    assert rx.analyse_log(many, period="month").counts["new"].sum() == len(days)


def test_the_command_line_names_its_own_options(tmp_path, capsys):
    path = tmp_path / "shop.csv"
    pd.DataFrame({"client": ["a"], "date": ["2024-01-02"]}).to_csv(path, index=False)
    assert main(["log", str(path), str(tmp_path / "o.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "shop.csv has no column 'customer_id'; its columns are: client, date" in err
    assert "--customer" in err and "customer=" not in err
    with pytest.raises(rx.RetentionInputError, match="name the columns with customer="):
        rx.read_log(path)
