"""What measuring a workbook before reading it costs: the streaming size check against the read.

A filled 10,000-row template is measured (``check_workbook_file``: declared sizes, entity
declarations, the grid each sheet spans, its longest text) and read; the baseline is
python-calamine alone building the Data sheet's grid, which is what a reader without the
check would do (and what a hostile file makes explode).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.bench_workbook import ROWS, _filled
from benchmarks.timing import fmt_seconds, interleaved_medians


def main() -> None:
    from python_calamine import CalamineWorkbook

    from retention_xl.workbook import check_workbook_file, read_period_file

    def calamine_alone(path):
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            return workbook.get_sheet_by_name("Data").to_python(skip_empty_area=False)
        finally:
            workbook.close()

    with tempfile.TemporaryDirectory() as folder:
        path = _filled(Path(folder) / "filled.xlsx")
        medians = interleaved_medians({
            "calamine grid alone": lambda: calamine_alone(path),
            "measure (check_workbook_file)": lambda: check_workbook_file(path),
            "read_period_file (measure + read + check)": lambda: read_period_file(path),
        }, repeat=5)
    base = medians["calamine grid alone"]
    print(f"filled template with {ROWS:,} rows:")
    for name, seconds in medians.items():
        print(f"  {name:<44} median {fmt_seconds(seconds)}  ({seconds / base:.2f}x calamine alone)")


if __name__ == "__main__":
    main()
