"""The ``retention-xl log`` command: a purchase log to a workbook, never over an existing file."""

from __future__ import annotations

import pandas as pd
import pytest

import retention_xl as rx

from retention_xl.cli import main

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("matplotlib")


@pytest.fixture
def log_csv(tmp_path, hand_log):
    path = tmp_path / "purchases.csv"
    hand_log.assign(amount=12.5).to_csv(path, index=False)
    return path


def test_log_to_workbook(log_csv, tmp_path, capsys):
    output = tmp_path / "retention.xlsx"
    assert main(["log", str(log_csv), str(output), "--amount", "amount"]) == 0
    printed = capsys.readouterr().out
    assert "14 purchases read" in printed
    assert "Periods: 5 months, 2024-01 to 2024-05" in printed
    assert "Retention, last month with customers at start (2024-05): 50.0% (1 of 2 kept)" in printed
    # kept 1 + 1 + 1 + 1 of 3 + 2 + 3 + 2 at start
    assert "Retention, all months together: 40.0%" in printed
    assert "Reactivated customers: 2 came back" in printed
    assert "Average spend per purchase day: $12.50" in printed
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Summary", "Periods", "Cohorts", "Revenue", "Charts", "Forecast"]
    periods = book["Periods"]
    assert [c.value for c in periods[1]][:6] == ["Month", "Customers at start", "Retained", "New",
                                                 "Reactivated", "Customers at end"]
    assert [[c.value for c in row][:6] for row in periods.iter_rows(min_row=2)] == [
        ["2024-01", 0, 0, 3, 0, 3], ["2024-02", 3, 1, 1, 0, 2], ["2024-03", 2, 1, 1, 1, 3],
        ["2024-04", 3, 1, 1, 0, 2], ["2024-05", 2, 1, 0, 1, 2]]
    cohorts = book["Cohorts"]
    assert [c.value for c in cohorts[2]][:7] == ["2024-01", 3, 1.0, pytest.approx(1 / 3),
                                                 pytest.approx(2 / 3), 0.0, pytest.approx(1 / 3)]
    assert len(cohorts.conditional_formatting) == 1
    assert len(book["Charts"]._images) == 2
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"


def test_never_writes_over_a_file(log_csv, tmp_path, capsys):
    output = tmp_path / "retention.xlsx"
    output.write_bytes(b"keep me")
    assert main(["log", str(log_csv), str(output)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert output.read_bytes() == b"keep me"
    assert main(["log", str(log_csv), str(output), "--force"]) == 0
    assert output.read_bytes()[:2] == b"PK"
    assert main(["log", str(log_csv), str(log_csv) + ".txt"]) == 2
    assert "must end in .xlsx" in capsys.readouterr().err
    assert not list(tmp_path.glob(".retention-*"))  # no temporary file left behind


def test_dirty_log_is_refused_then_excluded(tmp_path, capsys):
    path = tmp_path / "dirty.csv"
    pd.DataFrame({"customer_id": ["a", "", "b"], "date": ["2024-01-02", "2024-01-03", "never"]}).to_csv(
        path, index=False)
    output = tmp_path / "out.xlsx"
    assert main(["log", str(path), str(output)]) == 2
    err = capsys.readouterr().err
    assert "1 row of 3 without a customer id (column 'customer_id': line 3)" in err
    assert "--exclude-invalid" in err
    assert not output.exists()
    assert main(["log", str(path), str(output), "--exclude-invalid"]) == 0
    assert "3 purchases read; 2 left out" in capsys.readouterr().out


def test_benchmark_and_quarters(log_csv, tmp_path, capsys):
    output = tmp_path / "q.xlsx"
    assert main(["log", str(log_csv), str(output), "--period", "quarter", "--industry", "retail"]) == 0
    printed = capsys.readouterr().out
    assert "Benchmark: 63.0% a year (retail) compared with the measured yearly retention; no alert" in printed
    header = [c.value for c in openpyxl.load_workbook(output)["Periods"][1]]
    assert header[0] == "Quarter" and "Alert (two quarters)" in header
    assert main(["log", str(log_csv), str(tmp_path / "d.xlsx"), "--period", "day", "--benchmark", "0.8"]) == 2
    assert "daily retention cannot be compared" in capsys.readouterr().err


def test_python_users_get_the_same_workbook_and_summary(log_csv, tmp_path, cli):
    from retention_xl.workbook import write_log_report

    printed = cli("log", str(log_csv), str(tmp_path / "cli.xlsx"), "--amount", "amount").stdout
    frame = pd.read_csv(log_csv)
    written = write_log_report(frame, tmp_path / "api.xlsx", amount="amount")
    assert written.sheets == ("Summary", "Periods", "Cohorts", "Revenue", "Charts", "Forecast")
    assert [f"{label}: {value}" for label, value in written.summary] == printed.splitlines()[:-1]
    api, by_cli = (openpyxl.load_workbook(tmp_path / name) for name in ("api.xlsx", "cli.xlsx"))
    for name in ("Periods", "Cohorts", "Revenue"):
        assert [[c.value for c in row] for row in api[name].iter_rows()] == \
            [[c.value for c in row] for row in by_cli[name].iter_rows()], name
    assert api["Summary"]["A2"].value.startswith("Source: a DataFrame (customer column customer_id")
    with pytest.raises(rx.RetentionInputError, match=r"already exists: .*\(overwrite=True\)"):
        write_log_report(frame, tmp_path / "api.xlsx")  # in Python's words; --force is tested above


def test_more_come_back_than_the_three_counts_can_hold(tmp_path, cli):
    """Reactivated customers can make end - new larger than start: the summary says so in words
    (the three-count formula is refused by the core there) instead of stopping the command."""
    rows = [("a", "2024-01-03"), ("b", "2024-01-04"), ("c", "2024-01-05"),  # January: a b c
            ("a", "2024-02-03"),                                            # February: a
            ("a", "2024-03-03"), ("b", "2024-03-04"), ("c", "2024-03-05")]  # March: b, c back
    path = tmp_path / "gaps.csv"
    pd.DataFrame(rows, columns=["customer_id", "date"]).to_csv(path, index=False)
    done = cli("log", str(path), str(tmp_path / "gaps.xlsx"))
    assert done.returncode == 0, done.stderr
    assert ("Reactivated customers: 2 came back after a gap; the (end - new) / start formula would count "
            "them as kept, in some months more customers than there were at the start") in done.stdout
