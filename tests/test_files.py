"""Files as users and strangers make them: settings carried, spreadsheet CSV formats, hostile
workbooks refused in bounded memory, one safe writer, and a sentence (never a traceback) for each.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import MONTHS

import retention_xl as rx
from retention_xl.cli import main
from retention_xl.widgets.from_data import MAX_UPLOAD_BYTES
from retention_xl.workbook import read_period_file, read_periods
from retention_xl.workbook.report import report_readout

ROOT = Path(__file__).resolve().parents[1]
HEADER = "Period,Customers at start,Customers at end,New customers\n"


# --------------------------------------------------------------------------- settings carried
def test_a_template_carries_its_settings_and_the_report_uses_them(tmp_path, capsys, filled_template):
    path = filled_template(tmp_path, MONTHS, ppy=12, industry="Retail", points=2)
    file = read_period_file(path)
    assert (file.periods_per_year, file.industry, file.tolerance) == (12, "Retail", 0.02)
    assert file.benchmark == pytest.approx(0.63)
    assert file.sources["periods_per_year"] == "the file's Settings (Data!K5)"
    assert file.sources["benchmark"].startswith("the file's Benchmarks sheet (Benchmarks!B")
    assert read_periods(path).equals(file.periods)  # the public frame API is unchanged

    assert main(["report", str(path), str(tmp_path / "r.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "Periods per year: 12, from the file's Settings (Data!K5)" in out
    assert "Industry: Retail, from the file's Settings (Data!K6)" in out
    assert "Benchmark retention: 63% a year, from the file's Benchmarks sheet (Benchmarks!B" in out
    assert "Alert when below the benchmark by more than: 2 points, from the file's Settings (Data!K7)" in out
    table = rx.period_table(file.periods, periods_per_year=12, benchmark=0.63, tolerance=0.02)
    assert f"Latest retention, per year: {rx.formatting.percent(table['annualised_retention'].iloc[-1])}" in out
    report = openpyxl.load_workbook(tmp_path / "r.xlsx")["Report"]
    texts = [c.value for row in report.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Benchmark alert (two straight quarters)" in texts  # the benchmark is not dropped


def test_a_users_own_benchmark_on_the_benchmarks_sheet_is_used(tmp_path, filled_template):
    path = filled_template(tmp_path, MONTHS, ppy=12, industry="Retail")
    workbook = openpyxl.load_workbook(path)
    bench = workbook["Benchmarks"]
    row = next(r for r in range(5, 60) if bench.cell(r, 1).value == "Retail")
    bench.cell(row, 2).value = 0.5
    workbook.save(path)
    file = read_period_file(path)
    assert file.benchmark == 0.5 and file.sources["benchmark"].endswith(f"(Benchmarks!B{row})")


@pytest.mark.parametrize("cell, value, words", [
    ("K5", "twelve", "Data!K5: periods per year is 'twelve'"),
    ("K5", 0, "Data!K5"),
    ("K6", "Bakeries", "Data!K6: the industry 'Bakeries' is not on the Benchmarks sheet"),
    ("K7", 150, "Data!K7: the alert tolerance is 150"),
    ("K7", None, "Data!K7: the alert tolerance is blank"),
    ("K5", None, "Data!K5: periods per year is blank"),
])
def test_a_bad_setting_is_named_by_its_cell(tmp_path, cell, value, words, filled_template):
    path = filled_template(tmp_path, MONTHS)
    workbook = openpyxl.load_workbook(path)
    workbook["Data"][cell].value = value
    workbook.save(path)
    with pytest.raises(rx.RetentionInputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_period_file(path)


@pytest.mark.parametrize("labels, ppy", [
    (["2024-01", "2024-02", "2024-03"], 12), (["Jan 2024", "Feb 2024"], 12), (["Januar", "Februar", "März"], 12),
    (["2024-Q1", "2024-Q2"], 4), (["Q1 2024", "Q2 2024"], 4), (["2022", "2023"], 1),
    (["2024-01-31", "2024-02-29", "2024-03-31"], 12), (["2024-03-31", "2024-06-30", "2024-09-30"], 4),
    (["P1", "P2"], None), (["2024-01", "2024-Q2"], None), (["2024-01-31", "2024-02-07"], None),
])
def test_a_csv_gets_its_period_length_from_its_labels_or_none(tmp_path, labels, ppy):
    csv = tmp_path / "p.csv"
    csv.write_text(HEADER + "".join(f"{label},100,100,10\n" for label in labels), encoding="utf-8")
    file = read_period_file(csv)
    assert file.periods_per_year == ppy
    assert file.sources["periods_per_year"] == ("not in the file" if ppy is None else
                                                f"the period labels: {labels[0]}, {labels[1]}" +
                                                (", ..." if len(labels) > 2 else ""))


def test_report_of_a_file_without_filled_rows_says_so(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text(HEADER)
    assert main(["report", str(csv), str(tmp_path / "a.xlsx")]) == 2
    assert "p.csv has no filled rows yet" in capsys.readouterr().err
    assert not (tmp_path / "a.xlsx").exists()


def test_report_without_a_period_length_says_so_and_takes_one_from_the_command(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    csv.write_text(HEADER + "P1,100,95,5\nP2,100,92,5\n")
    assert main(["report", str(csv), str(tmp_path / "a.xlsx")]) == 0
    assert "not compared: give --periods-per-year" in capsys.readouterr().out
    assert main(["report", str(csv), str(tmp_path / "b.xlsx"), "--periods-per-year", "12",
                 "--industry", "Retail", "--tolerance", "2"]) == 0
    out = capsys.readouterr().out
    assert "Periods per year: 12, from the command line" in out and "Benchmark alert:" in out
    assert "Industry: Retail, from the command line" in out
    assert "Benchmark retention: 63% a year, from retention_xl's industry table" in out
    assert "Alert when below the benchmark by more than: 2 points, from the command line" in out


# --------------------------------------------------------------------------- spreadsheet CSVs
ROWS_TEXT = [("Jan 2024", "1,200", "1,150", "100"), ("Feb 2024", "1,150", "1,180.5", "90")]
EXPECTED = [[1200.0, 1150.0, 100.0], [1150.0, 1180.5, 90.0]]


def _comma_csv(label="Jan 2024"):
    return (HEADER + f'{label},"1,200","1,150",100\n' + 'Feb 2024,"1,150",1180.5,90\n')


def _semicolon_csv(label="Jan 2024"):
    return (HEADER.replace(",", ";") + f"{label};1.200;1.150;100\n" + "Feb 2024;1.150;1.180,5;90\n")


@pytest.mark.parametrize("text, encoding", [
    (_comma_csv(), "utf-8"), (_comma_csv(), "utf-8-sig"), (_comma_csv("Jän 2024"), "cp1252"),
    (_semicolon_csv("Jän 2024"), "cp1252"), (_semicolon_csv(), "utf-8-sig"), (_comma_csv(), "utf-16"),
    (_semicolon_csv("Jän 2024"), "latin-1"), (_comma_csv().replace("\n", "\r\n"), "utf-8"),
])
def test_csvs_as_spreadsheets_save_them_read_alike(tmp_path, text, encoding):
    csv = tmp_path / "periods.csv"
    csv.write_bytes(text.encode(encoding))
    frame = read_periods(csv)
    assert frame[["start", "end", "new"]].to_numpy().tolist() == EXPECTED
    assert frame["period"].iloc[0] in ("Jan 2024", "Jän 2024")
    assert read_period_file(csv).periods_per_year == 12


def test_windows_excel_csv_with_maerz_goes_through_report_without_a_traceback(tmp_path, capsys):
    csv = tmp_path / "excel.csv"
    csv.write_bytes((HEADER.replace(",", ";") + "Januar;200;190;5\nFebruar;190;185;10\nMärz;185;180;12\n")
                    .encode("cp1252"))
    completed = subprocess.run([sys.executable, "-m", "retention_xl.cli", "report", str(csv),
                                str(tmp_path / "r.xlsx")], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr and "Periods per year: 12" in completed.stdout


@pytest.mark.parametrize("content, words", [
    (b"", "periods.csv is empty"),
    (HEADER.encode() + b"Q1,1,200,180,20\n", "periods.csv line 2: 5 values for 4 columns"),
    (HEADER.encode() + b"Q1,100\n", "periods.csv line 2, Customers at end"),
    (HEADER.encode() + b"Q1;12,5;20;2\n", "periods.csv line 2, Customers at start: customers at start "
                                          "must be a number, got the text '5;20;2'"),
    (HEADER.replace(",", ";").encode() + b"Q1;12.5;20;2\n",
     "periods.csv line 2, Customers at start: '12.5' is not a number in this file, whose values are "
     "separated by semicolons and so use a decimal comma"),
    (HEADER.encode() + b'Q1,"12,5",20,2\n', "periods.csv line 2, Customers at start"),
    (HEADER.encode() + "Q1,١٢٣,20,2\n".encode(), "periods.csv line 2, Customers at start"),
    (HEADER.encode() + "Q1,１２３,20,2\n".encode(), "periods.csv line 2, Customers at start"),
    (HEADER.encode("utf-16-le") + b"Q\x001\x00", "holds NUL bytes"),
    (HEADER.encode() + b"x" * 300 + b",1,1,0\n", "line 2, Period: the label is 300 characters long"),
    (HEADER.encode() + b'"Q1,1,1,0\n', "periods.csv line 2: unexpected end of data (a quote that is never closed"),
])
def test_every_csv_refusal_names_the_file_and_the_line(tmp_path, content, words):
    csv = tmp_path / "periods.csv"
    csv.write_bytes(content)
    with pytest.raises(rx.RetentionInputError) as caught:
        read_periods(csv)
    assert words in str(caught.value)


# --------------------------------------------------------------------------- rows below the table
def test_a_value_typed_below_the_table_is_named_with_its_cell(tmp_path, filled_template):
    path = filled_template(tmp_path, MONTHS[:2], template_rows=3)
    workbook = openpyxl.load_workbook(path)
    workbook["Data"]["B9"].value = 120  # the table holds rows 5 to 7
    workbook.save(path)
    with pytest.raises(rx.RetentionInputError) as caught:
        read_periods(path)
    text = str(caught.value)
    assert "Data!B9 is below the RetentionData table, which ends at row 7" in text
    assert "retention-xl template --rows 5" in text


# --------------------------------------------------------------------------- hostile workbooks
def _rezip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, replace.get(item.filename, zin.read(item.filename)))
    return target


def _sheet_with(cells_xml: str, dimension: str = "A1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{cells_xml}</sheetData>'
            '</worksheet>').encode()


HEADER_ROW_XML = ('<row r="4"><c r="A4" t="inlineStr"><is><t>Period</t></is></c><c r="B4" t="inlineStr"><is>'
                  '<t>Customers at start</t></is></c><c r="C4" t="inlineStr"><is><t>Customers at end</t></is>'
                  '</c><c r="D4" t="inlineStr"><is><t>New customers</t></is></c></row>')


def _hostile(tmp_path: Path, kind: str, filled_template) -> Path:
    tmp_path.mkdir(exist_ok=True)
    source = filled_template(tmp_path, MONTHS[:2], name="source.xlsx")
    if kind == "far cell":
        sheet = _sheet_with(HEADER_ROW_XML + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    elif kind == "far cell, r not first":  # the row says 5; its one cell says otherwise
        sheet = _sheet_with(HEADER_ROW_XML + '<row r="5"><c s="0" r="XFD1048576"><v>1</v></c></row>')
    elif kind == "far dimension":
        sheet = _sheet_with(HEADER_ROW_XML, "A1:ZZ200000")
    elif kind == "long text":  # 100 MB in one cell, stored in under 1 MB (150:1, below the zip-bomb ratio)
        rng = random.Random(14)
        text = "".join("".join(rng.choices("abcdefghij", k=8)) + "Q" * 1200 for _ in range(83_000))
        sheet = _sheet_with(HEADER_ROW_XML + f'<row r="5"><c r="A5" t="inlineStr"><is><t>{text}</t></is></c>'
                            '<c r="B5"><v>1</v></c><c r="C5"><v>1</v></c><c r="D5"><v>0</v></c></row>')
    return _rezip(source, tmp_path / f"{kind.replace(' ', '_').replace(',', '')}.xlsx",
                  {"xl/worksheets/sheet2.xml": sheet})


#: The stated bound: any file up to the size limit is read or refused within 1 GB and 10 s.
MEMORY_BOUND = 1 << 30


HOSTILE = {
    "far cell": "spans 1,048,576 rows and 16,384 columns (to cell XFD1048576)",
    "far cell, r not first": "(to cell XFD1048576)",
    "far dimension": "spans 200,000 rows and 702 columns",
    "long text": "holds a text of more than 32,767 characters",
}


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory, filled_template):
    """``retention-xl report`` of each hostile workbook, all in one process whose address space
    is limited to MEMORY_BOUND (one Python start instead of one a file; the bound is not shared
    out: each file alone must fit in it): {kind: (exit line, what was said, out file written)}."""
    folder = tmp_path_factory.mktemp("hostile")
    runs = {}
    for number, kind in enumerate(HOSTILE):
        path = _hostile(folder / str(number), kind, filled_template)
        assert path.stat().st_size < 1_500_000  # small on disk
        runs[kind] = (str(path), str(folder / f"{path.stem}.out.xlsx"))
    said = _reports_in_bounded_memory(runs)
    if said is None:  # the process died (an allocation refused outside Python): one file a process
        said = {}
        for kind, run in runs.items():
            alone = _reports_in_bounded_memory({kind: run})
            said[kind] = alone[kind] if alone else ["exit crash", _reports_in_bounded_memory.last_error]
    return {kind: (*said[kind], Path(runs[kind][1]).exists()) for kind in HOSTILE}


def _reports_in_bounded_memory(runs: dict) -> dict | None:
    """{kind: [exit line, stderr]} of ``retention-xl report`` of each (path, out) of ``runs``, in
    one process limited to MEMORY_BOUND; None if that process died."""
    script = textwrap.dedent(f"""
        import contextlib, io, json, resource, sys, time, traceback
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_BOUND}, {MEMORY_BOUND}))
        from retention_xl.cli import main
        said = {{}}
        for kind, (path, out) in {runs!r}.items():
            err = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stderr(err):
                try:
                    code = main(["report", path, out])
                except BaseException:  # this file's failure (MemoryError...), not the others'
                    code = "crash"
                    traceback.print_exc()
            said[kind] = [f"exit {{code}} seconds {{time.perf_counter() - started:.2f}}", err.getvalue()]
        print(json.dumps(said))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    if completed.returncode != 0:
        _reports_in_bounded_memory.last_error = completed.stderr[-2000:]
        return None
    return json.loads(completed.stdout.splitlines()[-1])


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_workbooks_are_refused_in_bounded_memory(hostile_reports, kind):
    exit_line, said, written = hostile_reports[kind]
    assert exit_line.startswith("exit 2 "), said[-2000:]
    assert HOSTILE[kind] in said and "Traceback" not in said
    assert not written


def test_damaged_workbooks_get_a_sentence(tmp_path, filled_template):
    source = filled_template(tmp_path, MONTHS[:2], name="source.xlsx")
    broken = _rezip(source, tmp_path / "broken.xlsx", {"xl/worksheets/sheet2.xml": b"<worksheet><sheetData>"})
    with pytest.raises(rx.RetentionInputError, match="broken.xlsx cannot be read as a workbook"):
        read_periods(broken)
    lying = tmp_path / "lying.xlsx"  # the central directory says 10 bytes; the data is a megabyte
    with zipfile.ZipFile(lying, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 1_000_000)
    raw = bytearray(lying.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    lying.write_bytes(bytes(raw))
    with pytest.raises(rx.RetentionInputError, match="lying.xlsx"):
        read_periods(lying)


# --------------------------------------------------------------------------- the one safe writer
@pytest.mark.parametrize("command", [
    ["excel-workbook", "{out}", "--force"], ["excel-workbook", "{out}"],
    ["template", "{out}", "--force"], ["report", "{source}", "{out}", "--force"],
])
@pytest.mark.parametrize("dangling", [True, False])
def test_no_output_is_written_through_a_link(tmp_path, capsys, command, dangling):
    source = tmp_path / "p.csv"
    source.write_text(HEADER + "Q1,100,95,5\n")
    victim = tmp_path / "victim.xlsx"
    if not dangling:
        victim.write_bytes(b"precious")
    out = tmp_path / "out.xlsx"
    out.symlink_to(victim)
    argv = [part.format(out=out, source=source) for part in command]
    assert main(argv) == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert (victim.read_bytes() == b"precious") if not dangling else not victim.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.csv", "out.xlsx"] +
                                                                ([] if dangling else ["victim.xlsx"]))


def test_the_log_workbook_is_not_written_through_a_link(tmp_path, capsys):
    log = tmp_path / "purchases.csv"
    log.write_text("customer_id,date\nann,2024-01-04\nbob,2024-02-01\nann,2024-02-10\n")
    out = tmp_path / "log.xlsx"
    out.symlink_to(tmp_path / "victim.xlsx")
    assert main(["log", str(log), str(out), "--force"]) == 2
    assert "is a symbolic link" in capsys.readouterr().err and not (tmp_path / "victim.xlsx").exists()


def test_lite_folder_links_are_not_followed(tmp_path, capsys):
    folder = tmp_path / "lite"
    folder.mkdir()
    (folder / "requirements.txt").symlink_to(tmp_path / "victim.txt")
    assert main(["excel", "--lite-folder", str(folder), "--force"]) == 2
    assert not (tmp_path / "victim.txt").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["requirements.txt"]  # main.py not written either


@pytest.mark.parametrize("rows", ["0", "-5", "100000000", "ten"])
def test_template_rows_out_of_range_get_a_sentence(tmp_path, capsys, rows):
    with pytest.raises(SystemExit) as exited:
        main(["template", str(tmp_path / "t.xlsx"), "--rows", rows])
    assert exited.value.code == 2
    assert f"{rows!r} is not a number of periods from 1 to 100000" in capsys.readouterr().err


# --------------------------------------------------------------------------- CLI rates
@pytest.mark.parametrize("retention", ["0.8", "80%", ".8"])
def test_value_reads_a_fraction_and_a_percent_alike(capsys, retention):
    assert main(["value", "100", retention, "--uplift", "5%"]) == 0
    assert capsys.readouterr().out.startswith("Value of a customer at 80.0% retention: $500.00")


@pytest.mark.parametrize("argv, words", [
    (["value", "100", "80"], "'80' is not a rate: write 80% for 80 percent"),
    (["value", "100", "0.8", "--uplift", "5"], "--uplift 5 would be 500 points: write 5% or 5pts"),
    (["project", "1000", "0.8", "200", "100", "--uplift", "5"], "--uplift 5 would be 500 points"),
])
def test_cli_refuses_what_it_would_have_to_guess(capsys, argv, words):
    with pytest.raises(SystemExit):
        main(argv)
    assert words in capsys.readouterr().err


def test_uplift_in_points_prints_points(capsys):
    assert main(["project", "1,000", "80%", "200", "100", "--periods", "2", "--uplift", "5pts"]) == 0
    assert "+5 points of retention (80.0% to 85.0%)" in capsys.readouterr().out


# --------------------------------------------------------------------------- the app's tab
def test_from_data_uses_the_files_settings_and_says_where_they_came_from(tmp_path, filled_template):
    from retention_xl.widgets import FromData
    path = filled_template(tmp_path, MONTHS, ppy=12, industry="Retail", points=2)
    view = FromData(path)
    readout = report_readout(path)
    assert (view.periods.value, view.industry.value, view.tolerance.value) == ("months", "Retail", "2")
    settings = view.settings_text()
    assert "Periods per year: 12 (from the file's Settings (Data!K5))" in settings
    assert "alert when more than 2 points below (from the file's Settings (Data!K7))" in settings
    assert view.per_year_text() == rx.formatting.percent(readout["latest_per_year"])
    assert f"Latest retention, per year: {view.per_year_text()}." in rx.widgets._controls.text_of(view.source.value)
    assert view.table["alert"].tolist() == readout["table"]["alert"].tolist()
    view.tolerance.value = "10"
    assert "(your choice)" in view.settings_text()


def test_from_data_offers_an_industry_the_user_added_to_the_file(tmp_path, filled_template):
    from retention_xl.widgets import FromData
    path = filled_template(tmp_path, MONTHS, ppy=12)
    workbook = openpyxl.load_workbook(path)
    bench = workbook["Benchmarks"]
    last = next(r for r in range(5, 80) if bench.cell(r, 1).value is None)
    bench.cell(last, 1).value, bench.cell(last, 2).value = "Bakeries", 0.7
    workbook["Data"]["K6"].value = "Bakeries"
    workbook.save(path)
    # a row added below the table is not in the template's lookup range: refused on both
    with pytest.raises(rx.RetentionInputError, match="Data!K6: the industry 'Bakeries' is not on the"):
        read_period_file(path)
    row = 5  # typed over the first industry: found by the template's lookup, and here
    bench.cell(row, 1).value, bench.cell(row, 2).value = "Bakeries", 0.7
    bench.cell(last, 1).value = bench.cell(last, 2).value = None
    workbook.save(path)
    view = FromData(path)
    assert view.industry.value == "Bakeries" and float(view.table["benchmark"].iloc[0]) == 0.7
    assert f"from the file's Benchmarks sheet (Benchmarks!B{row})" in rx.widgets._controls.text_of(view.source.value)
    view.load(ROOT / "retention_xl" / "widgets" / "example_periods.csv")
    assert "Bakeries" not in view.industry.options and view.problem() == ""


def test_from_data_asks_for_the_period_length_instead_of_assuming_quarters(tmp_path):
    from retention_xl.widgets import FromData
    csv = tmp_path / "p.csv"
    csv.write_text(HEADER + "P1,100,95,5\nP2,100,92,5\n")
    view = FromData()
    view.load(csv)
    assert view.table is None and "How long is one period of p.csv?" in view.problem()
    view.periods.value = "months"
    assert view.problem() == "" and view.per_year_text() != ""


@pytest.mark.parametrize("name, content, words", [
    ("../../etc/passwd.csv", (HEADER + "Q1,100,95,5\n").encode(), None),
    ("x" * 500 + ".csv", (HEADER + "Q1,100,95,5\n").encode(), None),
    ("notes.txt", b"hello", "neither an Excel workbook"),
    ("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1), f"more than the {MAX_UPLOAD_BYTES // 2**20} MB an upload can be"),
])
def test_odd_uploads_get_a_message_never_an_exception(name, content, words):
    from retention_xl.widgets import FromData
    view = FromData()
    view.upload.value = ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
                          "last_modified": datetime.datetime(2025, 1, 1)},)
    assert view.upload.value == ()  # no stale counter on the button
    if words is None:
        assert view.problem() == "" and view.table is not None
    else:
        assert words in view.problem() and view.table is None


def test_an_uploads_messages_name_the_users_file():
    from retention_xl.widgets import FromData
    content = (HEADER + "Q1,100,20,25\n").encode()
    view = FromData()
    view.upload.value = ({"name": "März Kunden.csv", "type": "", "size": len(content),
                          "content": memoryview(content), "last_modified": datetime.datetime(2025, 1, 1)},)
    assert view.problem().startswith("März Kunden.csv has 1 problem(s) to fix: März Kunden.csv line 2")
    assert view.image.layout.display == "none"


def test_path_box_refuses_a_link_to_another_users_file(tmp_path):
    from retention_xl.widgets import FromData
    if os.getuid() != 0 or not Path("/etc/shadow").exists():
        pytest.skip("needs a file of another user (runs as root here against /etc/shadow's owner)")
    view = FromData()
    assert view.load(Path("/nonexistent") / "x.csv") is False
    link = tmp_path / "secret.csv"
    target = tmp_path / "other.csv"
    target.write_text(HEADER + "Q1,100,95,5\n")
    os.chown(target, 65534, 65534)  # nobody
    link.symlink_to(target)
    assert view.load(link) is False and "link to a file of another user" in view.problem()


@pytest.mark.parametrize("seed", range(20))
def test_the_streaming_text_measure_matches_a_plain_count(seed):
    from retention_xl.workbook.safety import _long_run
    rng = random.Random(seed)
    limit = rng.choice([5, 17, 64, 300])
    data = b"".join(rng.choice([b"<", b"x" * rng.randint(0, 2 * limit), b"ab"]) for _ in range(60))
    longest = max(len(run) for run in data.split(b"<"))
    # the same data cut into chunks at random places, as a stream delivers it
    cuts = sorted(rng.sample(range(1, max(2, len(data))), min(5, max(0, len(data) - 2))))
    carry, found = 0, False
    for a, b in zip([0, *cuts], [*cuts, len(data)]):
        too_long, carry = _long_run(data[a:b], carry, limit)
        found = found or too_long
    assert found == (longest > limit)


def test_from_data_takes_rows_in_file_order_as_the_template_does_even_with_dated_labels(tmp_path, filled_template):
    from retention_xl.widgets import FromData
    days = [datetime.datetime(2024, m, 28) for m in (1, 2, 4, 5, 6, 7)]  # March is missing
    rows = [(day, *counts[1:]) for day, counts in zip(days, MONTHS)]
    path = filled_template(tmp_path, rows, ppy=12, industry="Retail", points=2)
    view = FromData(path)
    readout = report_readout(path)
    assert list(view.table.index) == [day.strftime("%Y-%m-%d") for day in days]
    for column in ("change_vs_previous", "compared_retention", "alert"):
        assert view.table[column].tolist() == pytest.approx(readout["table"][column].tolist(), nan_ok=True)
