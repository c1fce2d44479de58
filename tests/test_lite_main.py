"""The generated xlwings Lite main.py stands alone: industry data embedded, every function served.

It runs here with ``python -I`` from a folder holding only the Lite files (conftest's
``lite_main``; the package's own modules come from the text embedded in main.py, as under
Pyodide, where retention_xl is not installed), and answers as the classic functions do.
"""

from __future__ import annotations

import json

from retention_xl.excel import functions as xl
from retention_xl.excel import lite

COUNTS = ([[100], [110]], [[110], [112]], [[15], [11]])
PURCHASES = ([["a"], ["b"], ["a"]], [["2024-01-05"], ["2024-01-09"], ["2024-02-03"]])


def test_lite_main_py_answers_period_table_with_an_industry_and_cohort_matrix(lite_main):
    probe = f"""
import json, sys
sys.path.insert(0, sys.argv[1])
import main
counts, purchases = {COUNTS!r}, {PURCHASES!r}
served = sorted(name for name, module in sys.modules.items()
                if name.split(".")[0] == "retention_xl" and getattr(module, "__file__", None))
print(json.dumps([main.PERIOD_TABLE(*counts, 4, "Telecommunications"),
                  main.COHORT_MATRIX(*purchases), served]))
"""
    table, cohorts, served_from_files = json.loads(lite_main(probe))
    assert served_from_files == []   # every retention_xl module came from main.py's text
    floats = [[[float(v) for v in row] for row in column] for column in COUNTS]
    assert table == xl.PERIOD_TABLE(*floats, 4, "Telecommunications")
    assert table[1][9] == 0.78       # the Telecommunications benchmark, embedded
    assert cohorts == xl.COHORT_MATRIX(*PURCHASES)
    assert cohorts[1][:2] == ["2024-01", 2.0]


def test_requirements_list_what_every_function_needs(tmp_path):
    lite.write_lite_files(tmp_path)
    assert (tmp_path / "requirements.txt").read_text().split() == ["numpy", "pandas", "pyarrow", "scipy"]
    text = (tmp_path / "main.py").read_text()
    assert "'data/industry_benchmarks.csv': b'industry,yearly_retention" in text
