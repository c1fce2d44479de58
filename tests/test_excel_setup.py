"""The Lite main.py, the example workbook and the `retention-xl excel` commands."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import retention_xl as rx
from retention_xl.cli import main
from retention_xl.excel import UDF_MODULE, lite
from retention_xl.excel.instructions import CLASSIC_STEPS

ROOT = pathlib.Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import main
import retention_xl
column = [[107.0], [0.0], [100.0]]
print(json.dumps({
    "embedded": retention_xl.__spec__.origin is None or "main" in str(retention_xl.__spec__.loader),
    "retention": main.RETENTION(column, [[120.0], [5.0], [110.0]], [[21.0], [5.0], [20.0]]),
    "value": main.CUSTOMER_VALUE(100, 0.9, 0.1, 150),
    "projection": main.PROFIT_PROJECTION(1000, 0.8, 200, 100, 5, 0.05, "points", 150, 20000, 0),
}))
"""


def test_generated_main_py_runs_alone_and_gives_the_package_numbers(lite_main):
    # python -I (lite_main): isolated, so the installed retention_xl is not importable from the checkout's path
    got = json.loads(lite_main(PROBE))
    assert got["embedded"]
    assert got["retention"][0][0] == rx.retention_rate(107, 120, 21)
    assert got["retention"][1][0].startswith("#DIV/0! no customers at start")
    assert got["retention"][2][0] == 0.9
    assert got["value"] == rx.customer_value(100, 0.9, 0.1, 150)
    table = rx.project_profit(1000, 0.8, 200, 100, periods=5, acquisition_cost=150, fixed_cost=20000).table
    assert np.array(got["projection"][1:])[:, 1:].tolist() == table.to_numpy().tolist()


def test_main_py_embeds_the_real_source_of_the_core():
    text = lite.main_py()
    for name in ("retention_xl.rates", "retention_xl.validation", "retention_xl.excel.cells"):
        assert repr(lite.module_path(name).read_text()) in text
    assert lite.module_path(lite.FUNCTIONS_MODULE).read_text() in text
    assert "xlwings.pro" not in text.replace("xlwings.pro`", "")
    assert lite.requirements_txt().split() == ["numpy", "pandas", "pyarrow", "scipy"]  # pyarrow: logs; scipy: the curve


def test_lite_files_are_never_overwritten_without_force(tmp_path):
    (tmp_path / "main.py").write_text("my own code")
    with pytest.raises(FileExistsError):
        lite.write_lite_files(tmp_path)
    assert (tmp_path / "main.py").read_text() == "my own code"
    assert not (tmp_path / "requirements.txt").exists()
    lite.write_lite_files(tmp_path, force=True)
    assert "_EmbeddedModules" in (tmp_path / "main.py").read_text()


def test_excel_command_prints_the_steps_and_writes_the_files(tmp_path, capsys):
    folder = tmp_path / "lite"
    assert main(["excel", "--lite-folder", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "xlwings addin install" in out and "Trust access to the VBA project object model" in out
    assert UDF_MODULE in out and (folder / "main.py").exists()
    assert main(["excel", "--lite-folder", str(folder)]) == 2
    assert "--force" in capsys.readouterr().out


def test_readme_gives_the_same_classic_steps():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- section: excel -->")[1].split("<!-- end section: excel -->")[0]
    for needle in ("xlwings addin install", "Trust access to the VBA project object model",
                   UDF_MODULE, "Import Functions", ".xlsm", "retention-xl excel", "requirements.txt",
                   "main.py", "#DIV/0!", "1,200", "92.5%"):
        assert needle in section, needle
    assert len(CLASSIC_STEPS) == 6


def _cells(path):
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {sheet.title: [[getattr(c.value, "text", c.value) for c in row] for row in sheet.iter_rows()]
            for sheet in book.worksheets}


def test_committed_workbook_is_what_the_generator_writes(tmp_path):
    from retention_xl.excel.example_workbook import write_workbook

    fresh = write_workbook(tmp_path / "fresh.xlsx")
    committed = _cells(ROOT / "workbooks" / "retention_functions.xlsx")
    assert committed == _cells(fresh), "run: make excel-workbook"
    assert committed["xlwings.conf"][0][:2] == ["UDF Modules", UDF_MODULE]
    example = "\n".join(str(v) for row in committed["Example"] for v in row if v is not None)
    assert "=RETENTION(B8,C8,D8)" in example and "#NAME?" in example
    assert "retention_template.xlsx" in example and "no Python" in example.replace("No Python", "no Python")
    assert "=PROFIT_PROJECTION(" in example and "92.5% / 7.5% / 8" in example


def test_workbook_command_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "book.xlsx"
    target.write_text("not mine to replace")
    assert main(["excel-workbook", str(target)]) == 2
    assert target.read_text() == "not mine to replace"
