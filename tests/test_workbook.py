"""The template's structure, the reader, the report command and the refusals of unsafe files.

(The formulas' values are checked by LibreOffice in test_workbook_libreoffice.py.)
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

import retention_xl as rx
from retention_xl.benchmarks import industry_benchmarks
from retention_xl.cli import main
from retention_xl.workbook import (UnsafeWorkbookError, build_template, check_workbook_file,
                                   read_periods, write_report, write_template)
from retention_xl.workbook.template import DATA_COLUMNS, FIRST_ROW, HEADER_ROW

COMMITTED = Path(__file__).resolve().parents[1] / "workbooks" / "retention_template.xlsx"
HEADER = "Period,Customers at start,Customers at end,New customers\n"


def _content(workbook) -> dict:
    """What a user sees and what computes: values, formulas, styles that matter, names, tables."""
    sheets = {}
    for ws in workbook.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells[c.coordinate] = (c.value, c.number_format, c.font.name, c.font.b, c.font.color and c.font.color.rgb,
                                       c.fill.fgColor.rgb, c.protection.locked)
        sheets[ws.title] = dict(
            cells=cells, tables=dict(ws.tables.items()),
            validations=sorted((str(v.sqref), v.type, v.formula1, v.formula2) for v in ws.data_validations.dataValidation),
            conditional=sorted(str(r.sqref) for r in ws.conditional_formatting),
            widths={k: d.width for k, d in ws.column_dimensions.items()},
            hidden=sorted(k for k, d in ws.column_dimensions.items() if d.hidden),
            protected=ws.protection.sheet, freeze=ws.freeze_panes, charts=len(ws._charts))
    names = {n: d.attr_text for n, d in workbook.defined_names.items()}
    return dict(sheets=sheets, names=names)


def test_committed_template_is_what_the_generator_produces(tmp_path):
    fresh = write_template(tmp_path / "fresh.xlsx")
    committed = _content(openpyxl.load_workbook(COMMITTED))
    generated = _content(openpyxl.load_workbook(fresh))
    for sheet in generated["sheets"]:
        assert committed["sheets"][sheet] == generated["sheets"][sheet], \
            f"sheet {sheet} differs: run `make workbooks` and commit workbooks/retention_template.xlsx"
    assert committed == generated


@pytest.fixture(scope="module")
def template():
    return build_template()


def test_data_table_has_exactly_the_documented_columns_and_room_for_60_periods(template):
    ws = template["Data"]
    table = ws.tables["RetentionData"]
    assert [c.name for c in table.tableColumns] == list(DATA_COLUMNS)
    assert [ws.cell(HEADER_ROW, i + 1).value for i in range(len(DATA_COLUMNS))] == list(DATA_COLUMNS)
    first, last = re.match(r"A(\d+):G(\d+)", table.ref).groups()
    assert int(first) == HEADER_ROW and int(last) - HEADER_ROW >= 60
    assert table.autoFilter.ref == table.ref


def test_inputs_are_unlocked_formulas_locked_and_sheets_protected(template):
    for ws in template.worksheets:
        assert ws.protection.sheet, ws.title
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.protection.locked, f"{ws.title}!{cell.coordinate} formula unlocked"
    data = template["Data"]
    for letter in "ABCD":
        assert not data[f"{letter}{FIRST_ROW}"].protection.locked
    assert not template["What-if"]["B6"].protection.locked


def test_inputs_have_validation_with_message_and_error_alert(template):
    rules = template["Data"].data_validations.dataValidation
    counts = [r for r in rules if "B5:D" in str(r.sqref)]
    assert len(counts) == 1
    rule = counts[0]
    assert (rule.type, rule.operator, rule.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert rule.showInputMessage and rule.showErrorMessage and rule.prompt and rule.error
    assert rule.errorStyle == "stop"


def test_only_excel_2010_functions(template):
    newer = re.compile(r"\b(XLOOKUP|XMATCH|LET|LAMBDA|IFS|SWITCH|MAXIFS|MINIFS|TEXTJOIN|CONCAT|"
                       r"FILTER|UNIQUE|SEQUENCE|SORT|SORTBY|IFNA)\(")
    for ws in template.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert not newer.search(cell.value), f"{ws.title}!{cell.coordinate}: {cell.value[:80]}"
                    assert "[@" not in cell.value  # structured shorthand breaks LibreOffice


def test_benchmarks_sheet_is_the_packaged_table(template):
    ws = template["Benchmarks"]
    table = industry_benchmarks()
    rows = [[ws.cell(HEADER_ROW + 1 + i, c).value for c in range(1, 6)] for i in range(len(table))]
    assert [r[0] for r in rows] == table["industry"].tolist()
    assert [r[1] for r in rows] == pytest.approx(table["yearly_retention"].tolist())
    assert all(r[2] and r[4] for r in rows), "each benchmark shows its source and caveat"
    industry_rule = [v for v in template["Data"].data_validations.dataValidation if v.type == "list"]
    assert industry_rule and "Benchmarks" in industry_rule[0].formula1


def test_larger_template_for_bigger_histories():
    ws = build_template(rows=500)["Data"]
    assert ws.tables["RetentionData"].ref == "A4:G504"
    assert ws["F504"].value.startswith("=IF(")
    with pytest.raises(ValueError):
        build_template(rows=0)


# --------------------------------------------------------------------------- reader
def _filled(tmp_path, rows, name="filled.xlsx") -> Path:
    workbook = build_template()
    ws = workbook["Data"]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(FIRST_ROW + offset, column).value = value
    path = tmp_path / name
    workbook.save(path)
    return path


GOOD = [("2024-Q1", 107, 120, 21), ("2024-Q2", 120, 130, 20), (2025, 130, 128.5, 10.5)]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_reads_a_filled_template_with_either_engine(tmp_path, engine):
    path = _filled(tmp_path, GOOD[:2] + [(None, None, None, None), ("only a label", None, None, None)] + GOOD[2:])
    frame = read_periods(path, engine=engine)
    assert list(frame.columns) == ["period", "start", "end", "new"]
    assert frame["period"].tolist() == ["2024-Q1", "2024-Q2", 2025]
    assert frame[["start", "end", "new"]].to_numpy().tolist() == [[107, 120, 21], [120, 130, 20], [130, 128.5, 10.5]]
    assert frame.attrs["rows"] == [5, 6, 9]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_every_bad_cell_is_reported_by_address(tmp_path, engine):
    rows = [GOOD[0], ("Q2", 20, 20, 25), ("Q3", 0, 5, 1), ("Q4", 10, "abc", 1), ("Q5", 10, None, 1), GOOD[1]]
    with pytest.raises(rx.RetentionInputError) as caught:
        read_periods(_filled(tmp_path, rows), engine=engine)
    sentences = [p.sentence() for p in caught.value.problems]
    assert sentences[0].startswith("Data!D6: new customers (25) cannot exceed customers at end (20)")
    assert sentences[1].startswith("Data!B7: no customers at start of the period (customers at start is 0)")
    assert sentences[2].startswith("Data!C8: customers at end must be a number, got the text 'abc'")
    assert sentences[3].startswith("Data!C9: customers at end is blank")
    assert len(sentences) == 4


def test_reads_a_csv_and_names_lines(tmp_path):
    csv = tmp_path / "periods.csv"
    csv.write_text(HEADER + "Q1,107,120,21\n,,,\nQ2,120,130,20\n")
    assert read_periods(csv)["start"].tolist() == [107, 120]
    csv.write_text(HEADER + "Q1,107,120,21\nQ2,-4,130,twenty\n")
    with pytest.raises(rx.RetentionInputError) as caught:
        read_periods(csv)
    assert [p.clause for p in caught.value.problems] == [
        "periods.csv line 3, Customers at start: customers at start must be a count above 0, got -4",
        "periods.csv line 3, New customers: new customers must be a number, got the text 'twenty'"]


def test_a_workbook_without_the_template_header_is_refused_clearly(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Data"
    workbook.active["A1"] = "something else"
    workbook.save(tmp_path / "other.xlsx")
    with pytest.raises(rx.RetentionInputError, match="no header row Period, Customers at start"):
        read_periods(tmp_path / "other.xlsx")


# --------------------------------------------------------------------------- unsafe files
def _rezip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, replace.get(item.filename, zin.read(item.filename)))
        for name, data in replace.items():
            if name not in zin.namelist():
                zout.writestr(name, data)
    return target


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def test_billion_laughs_is_refused_before_any_parser_and_by_defusedxml(tmp_path):
    source = _filled(tmp_path, GOOD)
    bomb = _rezip(source, tmp_path / "laughs.xlsx", {"xl/worksheets/sheet2.xml": BILLION_LAUGHS})
    with pytest.raises(UnsafeWorkbookError, match="XML entity attack"):
        read_periods(bomb)
    # the fallback reader alone (no pre-check) is refused by defusedxml, with a sentence
    from retention_xl.workbook.reader import _openpyxl_grids
    with pytest.raises(UnsafeWorkbookError, match="EntitiesForbidden.*XML entity attack"):
        _openpyxl_grids(bomb)


def test_zip_bomb_declaring_a_huge_sheet_is_refused_from_its_declared_size(tmp_path):
    source = _filled(tmp_path, GOOD)
    buffer = io.BytesIO()
    # compressed at level 1: four times faster to write than the default level 6
    with zipfile.ZipFile(source) as zin, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        # 600 MB of zeros compresses to about 2.7 MB
        with zout.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as stream:
            chunk = b"0" * (1 << 20)
            for _ in range(600):
                stream.write(chunk)
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(buffer.getvalue())
    assert bomb.stat().st_size < 5_000_000
    with pytest.raises(UnsafeWorkbookError, match="zip bomb"):
        check_workbook_file(bomb)
    with pytest.raises(UnsafeWorkbookError, match="zip bomb"):
        read_periods(bomb)


def test_text_that_looks_like_a_formula_stays_text_in_the_report(tmp_path):
    csv = tmp_path / "evil.csv"
    csv.write_text(HEADER + '"=HYPERLINK(""http://evil.example"",""x"")",107,120,21\n'
                            "=1+1,120,130,20\n#DIV/0!,130,120,0\n")
    report = write_report(csv, tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(report)["Report"]
    labels = [ws[f"A{r}"] for r in (5, 6, 7)]
    assert [c.value for c in labels] == ['=HYPERLINK("http://evil.example","x")', "=1+1", "#DIV/0!"]
    assert all(c.data_type == "s" for c in labels)
    with zipfile.ZipFile(report) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet, "a user's text became a live formula"


# --------------------------------------------------------------------------- report & CLI
def test_report_values_come_from_the_core_and_include_a_chart(tmp_path):
    path = _filled(tmp_path, GOOD)
    report = write_report(path, tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(report)["Report"]
    frame = read_periods(path)
    assert [ws[f"F{r}"].value for r in (5, 6, 7)] == pytest.approx(
        rx.retention_rate(frame["start"], frame["end"], frame["new"]).tolist(), rel=1e-12)
    label = next(c for row in ws.iter_rows() for c in row if c.value == "Average churn: pooled")
    assert ws.cell(label.row, label.column + 1).value == pytest.approx(
        rx.average_churn(frame["start"], frame["end"], frame["new"], "pooled"))
    assert len(ws._images) == 1


def test_report_never_overwrites_its_input_or_an_existing_file(tmp_path, capsys):
    source = _filled(tmp_path, GOOD)
    before = source.read_bytes()
    assert main(["report", str(source), str(source), "--force"]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert source.read_bytes() == before
    out = tmp_path / "out.xlsx"
    out.write_text("keep me")
    assert main(["report", str(source), str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(["report", str(source), str(out), "--force"]) == 0
    assert zipfile.is_zipfile(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_report_command_lists_every_problem_without_a_traceback(tmp_path, capsys):
    rows = [("Q1", 20, 20, 25), ("Q2", 0, 5, 1), ("Q3", 10, "x", 1)]
    assert main(["report", str(_filled(tmp_path, rows)), str(tmp_path / "r.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "3 problems" in err and "Data!D5" in err and "Data!B6" in err and "Data!C7" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r.xlsx").exists()


def test_template_command_writes_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "t.xlsx"
    assert main(["template", str(target), "--rows", "24"]) == 0
    assert openpyxl.load_workbook(target)["Data"].tables["RetentionData"].ref == "A4:G28"
    assert main(["template", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
