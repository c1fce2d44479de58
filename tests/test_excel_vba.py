"""What the classic add-in's "Import Functions" makes of the module, generated with xlwings' own code."""

from __future__ import annotations

import sys

import pytest

from excel_udfs import (classic_addin_view, excel_functions, vba_name_problems, vba_signatures,
                        vba_wrapper)

EXPECTED = {"RETENTION", "CHURN", "LOST_CUSTOMERS", "CUSTOMER_LIFETIME", "CONVERT_RETENTION",
            "CONVERT_CHURN", "CUSTOMER_VALUE", "PROFIT_UPLIFT", "PROFIT_PROJECTION"}


@pytest.fixture(scope="module")
def classic():
    with classic_addin_view() as (module, udfs):
        functions = excel_functions(module)
        vba = vba_wrapper(module, udfs)
    return functions, vba


def test_the_stand_ins_are_gone_after_the_test(classic):
    import xlwings

    assert "pythoncom" not in sys.modules and "win32com" not in sys.modules
    assert not hasattr(xlwings.func(lambda: None), "__xlfunc__")


def test_every_function_is_exported_once(classic):
    functions, vba = classic
    assert EXPECTED <= set(functions)
    assert set(vba_signatures(vba)) == set(functions)
    for name in functions:
        assert vba.count(f'XLPy.CallUDF("retention_xl.excel.functions", "{name}"') == 2


def test_every_vba_parameter_name_is_legal(classic):
    _, vba = classic
    assert vba_name_problems(vba_signatures(vba)) == []


def test_the_checker_catches_reserved_words():
    bad = '''
from xlwings import func, arg
@func
def RETENTION_BAD(start, end, new, date=0): return 0
@func
def OTHER(RETENTION_BAD, x, X): return 0
'''
    with classic_addin_view(source=bad) as (module, udfs):
        problems = vba_name_problems(vba_signatures(vba_wrapper(module, udfs)))
    text = "\n".join(problems)
    assert "RETENTION_BAD(end): end is reserved" in text
    assert "RETENTION_BAD(new): new is reserved" in text
    assert "RETENTION_BAD(date): date is reserved" in text
    assert "same name as a function" in text and "repeated" in text
    assert "(start)" not in text


def test_category_docs_and_ranges_are_what_excel_will_show(classic):
    functions, _ = classic
    for name, function in functions.items():
        meta = function.__xlfunc__
        assert meta["category"] == "Retention", name
        description = meta["ret"]["doc"]
        assert 40 < len(description) <= 255, (name, len(description))  # Excel cuts at 255
        assert "\n" not in description.strip(), name
        for argument in meta["args"]:
            assert not argument["doc"].startswith("Positional argument"), (name, argument["name"])
            assert len(argument["doc"]) <= 255
            assert argument["options"].get("err_to_str") is True, (name, argument["name"])
            # a misspelt option (ndims=2) would be silently kept: only known ones allowed
            assert set(argument["options"]) <= {"ndim", "err_to_str"}, argument["options"]
    # range arguments arrive as lists of rows; the projection takes single cells
    for name in EXPECTED - {"PROFIT_PROJECTION", "PROFIT_UPLIFT"}:
        assert all(a["options"].get("ndim") == 2 for a in functions[name].__xlfunc__["args"]), name
    uplift = {a["name"]: a for a in functions["PROFIT_UPLIFT"].__xlfunc__["args"]}
    assert "ndim" not in uplift["mode"]["options"] and uplift["margin"]["options"]["ndim"] == 2
    assert all("ndim" not in a["options"] for a in functions["PROFIT_PROJECTION"].__xlfunc__["args"])


def test_optional_arguments_are_optional_in_vba(classic):
    _, vba = classic
    line = next(l for l in vba.splitlines() if l.startswith("Function CUSTOMER_VALUE("))
    assert line == ("Function CUSTOMER_VALUE(margin, retention_rate, Optional discount_rate, "
                    "Optional acquisition_cost)")


def test_no_licensed_xlwings_module_is_imported(classic):
    """xlwings.server / xlwings.pro are not BSD: none of our code imports them.

    (``import xlwings`` itself loads ``xlwings.pro.utils`` for its licence check; that is
    xlwings' own doing, so the check reads our sources.)
    """
    import ast
    import pathlib

    import retention_xl

    root = pathlib.Path(retention_xl.__file__).parent
    files = list((root / "excel").glob("*.py")) + [root / "commands" / "excel.py",
                                                  pathlib.Path(__file__).parent / "excel_udfs.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.startswith(("xlwings.pro", "xlwings.server"))], path
    assert "xlwings.server" not in sys.modules
