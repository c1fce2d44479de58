"""Read a filled template (or a CSV with its columns) back into a checked DataFrame.

python-calamine reads the .xlsx (about ten times faster than openpyxl,
``benchmarks/bench_workbook.py``); openpyxl, which parses through defusedxml,
is the fallback for anything calamine cannot read. Both read only the typed
counts, never the cached formula values, so a file saved without recalculation
reads the same. The rules are the core's (:func:`retention_xl.retention_rate`):
every problem comes back by cell address, all of them at once.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import Problem, RetentionInputError
from ..rates import retention_rate
from .safety import UnsafeWorkbookError, check_workbook_file
from .template import DATA_SHEET, INPUT_FIELDS

__all__ = ["read_periods", "PERIOD_COLUMNS"]

#: The columns of :func:`read_periods`' frame.
PERIOD_COLUMNS = ("period", "start", "end", "new")
_HEADERS = tuple(INPUT_FIELDS)  # Period, Customers at start, Customers at end, New customers
_COLUMN_LETTERS = {"start": "B", "end": "C", "new": "D"}


def read_periods(path: str | os.PathLike, engine: str = "auto") -> pd.DataFrame:
    """The periods of a filled template or CSV: ``period, start, end, new``, checked.

    Parameters
    ----------
    path : str or path
        A filled template (.xlsx, sheet ``Data``) or a CSV file whose header has
        the template's columns (``Period, Customers at start, Customers at end,
        New customers``). Empty rows are skipped; a partly filled row is an error.
    engine : {'auto', 'calamine', 'openpyxl'}, optional
        How to read an .xlsx: ``'auto'`` (default) tries calamine, then openpyxl.

    Returns
    -------
    pandas.DataFrame
        One row per filled period, in file order, with columns ``period``
        (the label as typed, None if empty), ``start``, ``end``, ``new`` (floats).
        ``frame.attrs["rows"]`` holds the sheet row (or CSV line) of each period.

    Raises
    ------
    RetentionInputError
        Listing every bad cell, e.g. ``Data!D7: new customers (25) cannot exceed
        customers at end (20): ...``; ``.problems`` has one entry per cell.
    UnsafeWorkbookError
        For a zip bomb, an XML entity attack or a file that is not a workbook.

    Examples
    --------
    A CSV exported from another system, with one bad row:

    >>> import pathlib, tempfile
    >>> import retention_xl as rx
    >>> from retention_xl.workbook import read_periods
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "periods.csv"
    >>> _ = csv.write_text("Period,Customers at start,Customers at end,New customers\\n"
    ...                    "Q1,107,120,21\\nQ2,120,110,115\\nQ3,110,100,0\\n")
    >>> try:
    ...     read_periods(csv)
    ... except rx.RetentionInputError as error:
    ...     print(error)
    periods.csv line 3, New customers: new customers (115) cannot exceed customers at end (110): customers at end include the new ones, so new customers can be at most 110

    Without the bad row, the frame the widgets and the report use:

    >>> _ = csv.write_text("Period,Customers at start,Customers at end,New customers\\n"
    ...                    "Q1,107,120,21\\nQ2,120,130,20\\n")
    >>> read_periods(csv)
      period  start    end   new
    0     Q1  107.0  120.0  21.0
    1     Q2  120.0  130.0  20.0
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix.lower() == ".csv":
        rows, numbers_, where = _csv_rows(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook_file(path)
        rows, numbers_ = _workbook_rows(path, engine)
        where = lambda row, field: f"{DATA_SHEET}!{_COLUMN_LETTERS[field]}{row}"  # noqa: E731
    else:
        raise RetentionInputError(Problem(
            "path", f"{path.name} is neither an Excel workbook (.xlsx) nor a CSV file",
            "give the filled template (.xlsx) or a CSV with its columns"))
    return _checked_frame(rows, numbers_, where)


# --------------------------------------------------------------------------- xlsx
def _workbook_rows(path: Path, engine: str) -> tuple[list[int], list[list[Any]]]:
    if engine not in ("auto", "calamine", "openpyxl"):
        raise ValueError(f"engine must be 'auto', 'calamine' or 'openpyxl', got {engine!r}")
    if engine in ("auto", "calamine"):
        try:
            return _rows_from_grid(path, _calamine_grid(path))
        except RetentionInputError:
            raise
        except Exception:  # calamine cannot read it (old or odd file): openpyxl may
            if engine == "calamine":
                raise
    return _rows_from_grid(path, _openpyxl_grid(path))


def _calamine_grid(path: Path):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        if DATA_SHEET not in workbook.sheet_names:
            return None
        return workbook.get_sheet_by_name(DATA_SHEET).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def _openpyxl_grid(path: Path):
    import openpyxl  # parses through defusedxml when it is installed (it is a dependency)

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # defusedxml's refusals and broken files alike
        root = error
        while root.__cause__ or root.__context__:  # openpyxl wraps the parser's refusal
            root = root.__cause__ or root.__context__
        if type(root).__module__.startswith("defusedxml"):
            raise UnsafeWorkbookError(Problem(
                "workbook", f"{path.name} cannot be read as a workbook: its XML declares entities "
                            f"({type(root).__name__})",
                "refused as a possible XML entity attack (billion laughs)")) from None
        raise RetentionInputError(Problem(
            "workbook", f"{path.name} cannot be read as a workbook ({type(root).__name__}: {root})",
            "open it in your spreadsheet and save it again as .xlsx")) from None
    try:
        if DATA_SHEET not in workbook.sheetnames:
            return None
        return [list(row) for row in workbook[DATA_SHEET].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _same_header(cells, names) -> bool:
    return len(cells) >= len(names) and all(
        isinstance(c, str) and c.strip().lower() == n.lower() for c, n in zip(cells, names))


def _rows_from_grid(path: Path, grid) -> tuple[list[int], list[list[Any]]]:
    if grid is None:
        raise RetentionInputError(Problem(
            "workbook", f"{path.name} has no sheet named {DATA_SHEET!r}",
            "use the retention template (retention-xl template) and fill its Data sheet"))
    for header_index, row in enumerate(grid):
        if _same_header(list(row[:4]), _HEADERS):
            break
    else:
        raise RetentionInputError(Problem(
            "workbook", f"{path.name}: no header row {', '.join(_HEADERS)} in sheet {DATA_SHEET!r}",
            "use the retention template, or put these four headers in columns A to D"))
    sheet_rows, values = [], []
    for index in range(header_index + 1, len(grid)):
        cells = (list(grid[index][:4]) + [None] * 4)[:4]
        if all(_blank(c) for c in cells[1:]):
            continue
        sheet_rows.append(index + 1)
        values.append(cells)
    return sheet_rows, values


# --------------------------------------------------------------------------- csv
def _csv_rows(path: Path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    names = [str(c).strip() for c in frame.columns]
    api_names = [n.lower() for n in names[:4]] == list(PERIOD_COLUMNS)
    if not (_same_header(names[:4], _HEADERS) or api_names):
        raise RetentionInputError(Problem(
            "csv", f"{path.name}: the header must start with {', '.join(_HEADERS)}, got {', '.join(names[:4])}",
            "export the template's Data columns, or rename the CSV columns"))
    grid = frame.iloc[:, :4].to_numpy(dtype=object).tolist()
    lines, values = [], []
    for i, cells in enumerate(grid):
        cells = [_csv_value(c) for c in cells]
        if all(_blank(c) for c in cells[1:]):
            continue
        lines.append(i + 2)  # line 1 is the header
        values.append(cells)
    heading = dict(zip(("start", "end", "new"), _HEADERS[1:]))
    where = lambda line, field: f"{path.name} line {line}, {heading[field]}"  # noqa: E731
    return lines, values, where


def _csv_value(text: str):
    """A CSV cell: a plain number becomes a float, anything else stays text (the core names it)."""
    stripped = text.strip()
    if stripped == "":
        return None
    try:
        return float(stripped)
    except ValueError:
        return text


# --------------------------------------------------------------------------- checking
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or \
        (isinstance(value, float) and math.isnan(value))


def _label(value: Any):
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _checked_frame(rows: list[int], values: list[list[Any]], where) -> pd.DataFrame:
    columns = list(zip(*values)) if values else [(), (), (), ()]
    counts = {field: pd.Series(list(column), dtype=object)
              for field, column in zip(("start", "end", "new"), columns[1:])}
    if rows:
        try:
            retention_rate(counts["start"], counts["end"], counts["new"])
        except RetentionInputError as error:
            raise RetentionInputError([_addressed(p, rows, where) for p in error.problems]) from None
    frame = pd.DataFrame({
        "period": pd.Series([_label(v) for v in columns[0]], dtype=object),
        **{field: pd.Series([float(v) for v in column], dtype=float)
           for field, column in zip(("start", "end", "new"), columns[1:])},
    })
    frame.attrs["rows"] = list(rows)
    return frame


def _addressed(problem: Problem, rows: list[int], where) -> Problem:
    """The core's problem, located by cell address instead of row position."""
    if problem.position is None or problem.field not in _COLUMN_LETTERS:
        return problem
    address = where(rows[problem.position[0]], problem.field)
    # the address is the location: no " at row N" after it
    return Problem(problem.field, f"{address}: {problem.clause}", problem.hint, problem.excel_error)
