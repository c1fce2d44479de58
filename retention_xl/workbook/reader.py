"""Read a filled template (or a CSV with its columns) back into a checked DataFrame.

python-calamine reads the .xlsx (about ten times faster than openpyxl,
``benchmarks/bench_workbook.py``); openpyxl, which parses through defusedxml,
is the fallback for anything calamine cannot read. Both read only the typed
counts, never the cached formula values, so a file saved without recalculation
reads the same. The rules are the core's (:func:`retention_xl.retention_rate`):
every problem comes back by cell address, all of them at once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from ..errors import Problem, RetentionInputError
from ..periods import PERIODS_PER_YEAR
from ..rates import retention_rate
from ..typed_text import number_from_text
from ..validation import is_blank
from .safety import UnsafeWorkbookError, check_workbook_file
from .template import BENCH_SHEET, DATA_SHEET, INPUT_FIELDS, TABLE_NAME

__all__ = ["read_periods", "read_period_file", "PeriodFile", "periods_per_year_from_labels",
           "PERIOD_COLUMNS", "MAX_CSV_BYTES", "MAX_LABEL_CHARS"]

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
    return read_period_file(path, engine).periods


# --------------------------------------------------------------------------- the file's settings
@dataclass(frozen=True)
class PeriodFile:
    """The periods of a file and the settings it carries, each with where it came from.

    Attributes
    ----------
    periods : pandas.DataFrame
        What :func:`read_periods` returns.
    periods_per_year : float or None
        4 for quarters, 12 for months, 1 for years; None when the file does not
        say (then ask the user: it is never assumed).
    industry : str or None
        The benchmark industry the file names (template cell ``Data!K6``).
    benchmark : float or None
        That industry's yearly retention, from the file's own Benchmarks sheet
        when it has one (the template lets users type their own figure there).
    tolerance : float or None
        How far below the benchmark is too far, as a fraction (5 points is 0.05).
    sources : mapping
        For each setting above, where it came from, in words (``"Data!K5"``,
        ``"the period labels (2024-01, 2024-02, ...)"``, ``"not in the file"``).
    name : str
        The file's name, for messages.
    """

    periods: pd.DataFrame
    periods_per_year: float | None
    industry: str | None
    benchmark: float | None
    tolerance: float | None
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    name: str = ""

    def describe(self) -> str:
        """One sentence: each setting and where it came from."""
        parts = []
        if self.periods_per_year is None:
            parts.append("periods per year: not in the file")
        else:
            parts.append(f"{self.periods_per_year:g} periods per year (from {self.sources['periods_per_year']})")
        if self.industry is not None:
            parts.append(f"industry {self.industry} (from {self.sources['industry']})")
        if self.benchmark is not None:
            parts.append(f"benchmark {self.benchmark * 100:.15g}% a year (from {self.sources['benchmark']})")
        if self.tolerance is not None:
            parts.append(f"alert when more than {self.tolerance * 100:.15g} points below "
                         f"(from {self.sources['tolerance']})")
        return f"{self.name}: " + "; ".join(parts) + "."


def read_period_file(path: str | os.PathLike, engine: str = "auto") -> PeriodFile:
    """The periods of a filled template or CSV, with the settings the file carries.

    A filled template carries its periods per year, industry and alert
    tolerance in its Settings cells (``Data!K5:K7``) and its benchmarks on its
    Benchmarks sheet; a CSV carries at most its period length, read from its
    labels (``2024-01``, ``Jan 2024``, ``2024-Q1``, ``2024``, or dates a month,
    a quarter or a year apart). What the file does not say is None: a caller
    asks the user, never assumes.

    Parameters
    ----------
    path : str or path
        As for :func:`read_periods`.
    engine : {'auto', 'calamine', 'openpyxl'}, optional
        As for :func:`read_periods`.

    Returns
    -------
    PeriodFile

    Raises
    ------
    RetentionInputError
        Every bad cell or line, by address; a bad setting by its cell.

    Examples
    --------
    A monthly CSV: its labels say that twelve periods make a year.

    >>> import pathlib, tempfile
    >>> from retention_xl.workbook import read_period_file
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "months.csv"
    >>> _ = csv.write_text("Period,Customers at start,Customers at end,New customers\\n"
    ...                    "2024-01,200,205,20\\n2024-02,205,210,15\\n")
    >>> file = read_period_file(csv)
    >>> file.periods_per_year, file.industry
    (12, None)
    >>> print(file.describe())
    months.csv: 12 periods per year (from the period labels: 2024-01, 2024-02).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix.lower() == ".csv":
        rows, values, where = _csv_rows(path)
        frame = _checked_frame(rows, values, where)
        settings: dict[str, Any] = {}
        sources: dict[str, str] = {}
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook_file(path)
        grids = _workbook_grids(path, engine)
        rows, values = _rows_from_grid(path, grids.get(DATA_SHEET), _table_last_row(path))
        where = lambda row, field: f"{DATA_SHEET}!{_COLUMN_LETTERS[field]}{row}"  # noqa: E731
        frame = _checked_frame(rows, values, where)
        settings, sources = _settings(grids)
    else:
        raise RetentionInputError(Problem(
            "path", f"{path.name} is neither an Excel workbook (.xlsx) nor a CSV file",
            "give the filled template (.xlsx) or a CSV with its columns"))
    if settings.get("periods_per_year") is None:
        found = periods_per_year_from_labels(frame["period"].tolist())
        if found is not None:
            settings["periods_per_year"], sources["periods_per_year"] = found
    for key in ("periods_per_year", "industry", "benchmark", "tolerance"):
        sources.setdefault(key, "not in the file")
    return PeriodFile(frame, settings.get("periods_per_year"), settings.get("industry"),
                      settings.get("benchmark"), settings.get("tolerance"),
                      MappingProxyType(sources), path.name)


def _settings(grids) -> tuple[dict[str, Any], dict[str, str]]:
    """The template's Settings cells (Data!K5:K7) and the benchmark they choose."""
    grid = grids.get(DATA_SHEET) or []
    cell = lambda r, c: grid[r - 1][c - 1] if r - 1 < len(grid) and c - 1 < len(grid[r - 1]) else None  # noqa: E731
    label = cell(5, 10)
    if not (isinstance(label, str) and label.strip().lower().startswith("periods per year")):
        return {}, {}  # not the template's Settings block: the file carries no settings
    settings, sources, problems = {}, {}, []
    ppy, industry, points = cell(5, 11), cell(6, 11), cell(7, 11)
    # a blank setting is never a default here: the sheet's own formulas would read it as 0
    for value, address, what, hint in (
            (ppy, "K5", "periods per year", "type 4 for quarters, 12 for months, 1 for years"),
            (industry, "K6", "the industry", "choose your industry from the list"),
            (points, "K7", "the alert tolerance", "type a number of points, such as 5")):
        if is_blank(value):
            problems.append(Problem("settings", f"{DATA_SHEET}!{address}: {what} is blank", hint))
    if not is_blank(ppy):
        number = _setting_number(ppy)
        if number is None or not (0 < number <= 366):
            problems.append(Problem("periods_per_year", f"{DATA_SHEET}!K5: periods per year is {ppy!r}",
                                    "type how many periods make a year: 4 for quarters, 12 for months, 1 for years"))
        else:
            settings["periods_per_year"], sources["periods_per_year"] = (
                int(number) if float(number).is_integer() else number), f"the file's Settings ({DATA_SHEET}!K5)"
    if not is_blank(points):
        number = _setting_number(points)
        if number is None or not (0 <= number <= 100):
            problems.append(Problem("tolerance", f"{DATA_SHEET}!K7: the alert tolerance is {points!r}",
                                    "type a number of points from 0 to 100, such as 5"))
        else:
            settings["tolerance"], sources["tolerance"] = number / 100, f"the file's Settings ({DATA_SHEET}!K7)"
    if not is_blank(industry):
        table = _benchmark_rows(grids.get(BENCH_SHEET))
        wanted = str(industry).strip()
        if table is None:  # no Benchmarks sheet: the packaged table
            from ..benchmarks import industry_benchmarks

            known = industry_benchmarks().set_index("industry")["yearly_retention"]
            table = {name: (float(value), "retention_xl's industry table") for name, value in known.items()}
        match = next((name for name in table if name.strip().lower() == wanted.lower()), None)
        if match is None:
            problems.append(Problem("industry", f"{DATA_SHEET}!K6: the industry {wanted!r} is not on the "
                                                f"Benchmarks sheet", "choose an industry from the list"))
        else:
            value, where = table[match]
            settings["industry"], sources["industry"] = match, f"the file's Settings ({DATA_SHEET}!K6)"
            if value is None or not (0 <= value <= 1):
                problems.append(Problem("benchmark", f"{where}: the yearly retention of {match} is {value!r}",
                                        "type a percentage from 0% to 100%"))
            else:
                settings["benchmark"], sources["benchmark"] = value, where
    if problems:
        raise RetentionInputError(problems)
    return settings, sources


def _setting_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return number_from_text(value)
    return None


def _benchmark_rows(grid) -> dict[str, tuple[Any, str]] | None:
    """Industry -> (yearly retention, its cell) from a Benchmarks sheet, None without one."""
    if not grid:
        return None
    for index, row in enumerate(grid):
        if _same_header(list(row[:2]), ("Industry", "Yearly retention")):
            break
    else:
        return None
    # the template looks industries up in the packaged table's rows only (its formula's range):
    # a row added below them is not found there, so it is not found here either
    from ..benchmarks import industry_benchmarks

    table = {}
    for r in range(index + 1, min(len(grid), index + 1 + len(industry_benchmarks()))):
        name, value = (list(grid[r][:2]) + [None, None])[:2]
        if isinstance(name, str) and name.strip():
            number = _setting_number(value)
            table.setdefault(name.strip(), (number, f"the file's Benchmarks sheet ({BENCH_SHEET}!B{r + 1})"))
    return table


def _shown_label(label: Any) -> str:
    """A label as the user sees it: a date without a time shows as 2024-01-31."""
    if isinstance(label, (dt.datetime, pd.Timestamp)) and label == label.replace(hour=0, minute=0, second=0,
                                                                                 microsecond=0):
        return label.strftime("%Y-%m-%d")
    return str(label)


_QUARTER = re.compile(r"(?:(?:fy)?\d{4}\s*[-/ ]?\s*q[1-4]|q[1-4]\s*[-/ ]?\s*(?:fy)?\d{2,4}|q[1-4])", re.I | re.A)
_MONTH = re.compile(r"(?:\d{4}\s*[-/.]\s*(?:0?[1-9]|1[0-2])|(?:0?[1-9]|1[0-2])\s*[-/.]\s*\d{4}|"
                    r"(?:j[aä]n|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-zäéû]*\.?"
                    r"(?:\s*[-' ]?\s*\d{2,4})?)", re.I)
_YEAR = re.compile(r"(?:fy\s*)?(?:19|20)\d{2}", re.I | re.A)


def periods_per_year_from_labels(labels) -> tuple[int, str] | None:
    """How many periods make a year, read from period labels; None when they do not say.

    Every label must be of the same kind: quarters (``2024-Q1``, ``Q1 2024``),
    months (``2024-01``, ``01/2024``, ``Jan 2024``, ``März``), years (``2024``)
    or dates a month, a quarter or a year apart.

    >>> periods_per_year_from_labels(["2024-01", "2024-02"])
    (12, 'the period labels: 2024-01, 2024-02')
    >>> periods_per_year_from_labels(["P1", "P2"]) is None
    True
    """
    present = [label for label in labels if not is_blank(label)]
    if not present or len(present) != len(labels):
        return None
    shown = ", ".join(_shown_label(label) for label in present[:2]) + (", ..." if len(present) > 2 else "")
    said = f"the period labels: {shown}"
    if all(isinstance(label, (dt.date, pd.Timestamp)) for label in present):
        if len(present) < 2:
            return None
        days = pd.Series(pd.to_datetime(present)).diff().dropna().dt.days
        for low, high, ppy in ((28, 31, PERIODS_PER_YEAR["month"]), (89, 92, PERIODS_PER_YEAR["quarter"]),
                               (365, 366, PERIODS_PER_YEAR["year"])):
            if days.between(low, high).all():
                return ppy, said
        return None
    if not all(isinstance(label, str) for label in present):
        if all(isinstance(label, (int, float)) and not isinstance(label, bool) and
               float(label).is_integer() and 1900 <= label <= 2099 for label in present) and len(present) > 1:
            return PERIODS_PER_YEAR["year"], said
        return None
    texts = [label.strip() for label in present]
    for pattern, ppy in ((_QUARTER, PERIODS_PER_YEAR["quarter"]), (_MONTH, PERIODS_PER_YEAR["month"]),
                         (_YEAR, PERIODS_PER_YEAR["year"])):
        if all(pattern.fullmatch(text) for text in texts):
            return ppy, said
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.A) for text in texts):
        try:
            found = periods_per_year_from_labels([pd.Timestamp(text) for text in texts])
        except ValueError:
            return None
        return None if found is None else (found[0], said)
    return None


# --------------------------------------------------------------------------- xlsx
def _workbook_grids(path: Path, engine: str) -> dict[str, list]:
    if engine not in ("auto", "calamine", "openpyxl"):
        raise ValueError(f"engine must be 'auto', 'calamine' or 'openpyxl', got {engine!r}")
    if engine in ("auto", "calamine"):
        try:
            return _calamine_grids(path)
        except RetentionInputError:
            raise
        except Exception:  # noqa: BLE001 - calamine cannot read it (old or odd file): openpyxl may
            if engine == "calamine":
                raise RetentionInputError(Problem(
                    "workbook", f"{path.name} cannot be read by calamine",
                    "open it in your spreadsheet and save it again as .xlsx")) from None
    return _openpyxl_grids(path)


def _calamine_grids(path: Path) -> dict[str, list]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in (DATA_SHEET, BENCH_SHEET) if name in workbook.sheet_names}
    finally:
        workbook.close()


def _openpyxl_grids(path: Path) -> dict[str, list]:
    import openpyxl  # parses through defusedxml when it is installed (it is a dependency)

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return {name: [list(row) for row in workbook[name].iter_rows(values_only=True)]
                    for name in (DATA_SHEET, BENCH_SHEET) if name in workbook.sheetnames}
        finally:
            workbook.close()
    except Exception as error:  # noqa: BLE001 - defusedxml's refusals and broken files alike
        root = error
        while root.__cause__ or root.__context__:  # openpyxl wraps the parser's refusal
            root = root.__cause__ or root.__context__
        if type(root).__module__.startswith("defusedxml"):
            raise UnsafeWorkbookError(Problem(
                "workbook", f"{path.name} cannot be read as a workbook: its XML declares entities "
                            f"({type(root).__name__})",
                "refused as a possible XML entity attack (billion laughs)")) from None
        raise RetentionInputError(Problem(
            "workbook", f"{path.name} cannot be read as a workbook ({type(root).__name__}: "
                        f"{str(root)[:200]})",
            "open it in your spreadsheet and save it again as .xlsx")) from None


def _table_last_row(path: Path) -> int | None:
    """The last row of the ``RetentionData`` table, None when the workbook has no such table."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if member.filename.startswith("xl/tables/") and member.filename.endswith(".xml"):
                with archive.open(member) as stream:
                    head = stream.read(4096).decode("utf-8", "replace")
                if re.search(rf'displayName="{TABLE_NAME}"', head):
                    found = re.search(r'\bref="[A-Z]{1,3}[0-9]+:[A-Z]{1,3}([0-9]+)"', head)
                    return int(found.group(1)) if found else None
    return None


def _same_header(cells, names) -> bool:
    return len(cells) >= len(names) and all(
        isinstance(c, str) and c.strip().lower() == n.lower() for c, n in zip(cells, names))


def _rows_from_grid(path: Path, grid, last_row: int | None = None) -> tuple[list[int], list[list[Any]]]:
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
    sheet_rows, values, outside, long_labels = [], [], [], []
    for index in range(header_index + 1, len(grid)):
        cells = (list(grid[index][:4]) + [None] * 4)[:4]
        if last_row is not None and index + 1 > last_row:
            outside += [f"{DATA_SHEET}!{'ABCD'[i]}{index + 1}" for i, c in enumerate(cells) if not is_blank(c)]
            continue
        if all(is_blank(c) for c in cells[1:]):
            continue
        if isinstance(cells[0], str) and len(cells[0]) > MAX_LABEL_CHARS:
            long_labels.append(Problem(
                "period", f"{DATA_SHEET}!A{index + 1}: the period label is {len(cells[0]):,} characters long "
                          f"({cells[0][:20]!r}...)", f"a period label is at most {MAX_LABEL_CHARS} characters"))
        sheet_rows.append(index + 1)
        values.append(cells)
    if long_labels:
        raise RetentionInputError(long_labels)
    if outside:
        shown = ", ".join(outside[:6]) + (f" and {len(outside) - 6} more" if len(outside) > 6 else "")
        raise RetentionInputError(Problem(
            "workbook", f"{path.name}: {shown} {'is' if len(outside) == 1 else 'are'} below the "
                        f"{TABLE_NAME} table, which ends at row {last_row}: the template's formulas do "
                        f"not count {'it' if len(outside) == 1 else 'them'}",
            f"make a template with room for them (retention-xl template --rows "
            f"{max(int(c.lstrip(DATA_SHEET + '!ABCD')) for c in outside) - header_index - 1}) and paste "
            "your periods into it, or move them into the table"))
    return sheet_rows, values


# --------------------------------------------------------------------------- csv
#: Largest CSV read (a CSV of 100,000 periods is about 4 MB).
MAX_CSV_BYTES = 64 * 1024 * 1024


def _decoded(path: Path) -> tuple[str, str]:
    """The text of a CSV and the name of its encoding: UTF-8 (with or without BOM),
    UTF-16 with a BOM, else Windows-1252 or Latin-1 (what Excel on Windows saves)."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise RetentionInputError(Problem(
            "csv", f"{path.name} is {size / 2**20:,.0f} MB, more than the {MAX_CSV_BYTES / 2**20:,.0f} MB "
                   "a period file needs", "one row per period: split the file or remove other columns"))
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise RetentionInputError(Problem("csv", f"{path.name} starts as UTF-16 but is not valid UTF-16",
                                              "save it again from your spreadsheet as CSV UTF-8")) from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as error:
            line = raw[:error.start].count(b"\n") + 1
            raise RetentionInputError(Problem(
                "csv", f"{path.name} line {line}: starts as UTF-8 but holds bytes that are not UTF-8",
                "save it again from your spreadsheet as CSV UTF-8")) from None
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise RetentionInputError(Problem(
            "csv", f"{path.name} line {line}: holds NUL bytes, so it is not a text CSV (UTF-16 without "
                   "a byte-order mark, or a binary file)", "save it again from your spreadsheet as CSV UTF-8"))
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", "\t", ",")}
    for sep in (";", "\t"):
        if counts[sep] >= 3 and counts[sep] >= counts[","]:
            return sep
    return ","


_SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _csv_rows(path: Path):
    text, encoding = _decoded(path)
    if not text.strip():
        raise RetentionInputError(Problem("csv", f"{path.name} is empty",
                                          "export the template's Data columns with a header line"))
    first_line = text.lstrip("\ufeff").lstrip("\r\n").split("\n", 1)[0]
    sep = _separator(first_line)
    decimal_comma = sep == ";"
    # strict: an unmatched quote is an error, never a field that swallows the rest of the file
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=sep, strict=True)
    header = None
    problems: list[Problem] = []
    lines, values = [], []
    heading = dict(zip(("start", "end", "new"), _HEADERS[1:]))
    try:
        for record in reader:
            if header is not None and not "".join(record).strip():
                continue  # a blank row (spreadsheets write ",,," for them): skipped at C speed
            line = reader.line_num
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue
                header = [cell.strip() for cell in record]
                api_names = [n.lower() for n in header[:4]] == list(PERIOD_COLUMNS)
                if not (_same_header(header[:4], _HEADERS) or api_names):
                    raise RetentionInputError(Problem(
                        "csv", f"{path.name} line {line}: the header must start with {', '.join(_HEADERS)} "
                               f"(separated by {_SEPARATOR_NAMES[sep]}), got {', '.join(header[:4])[:200]}",
                        "export the template's Data columns, or rename the CSV columns"))
                continue
            if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
                problems.append(Problem(
                    "csv", f"{path.name} line {line}: {len(record)} values for {len(header)} columns "
                           f"({sep.join(record)[:80]!r})",
                    "a number with a thousands separator must be in quotes (\"1,200\"), or save the file "
                    "with semicolons"))
                continue
            cells = (record[:4] + [""] * 4)[:4]
            if all(not cell.strip() for cell in cells[1:]):
                continue
            read = [_label_text(cells[0], path.name, line, problems)]
            for field_name, cell in zip(("start", "end", "new"), cells[1:]):
                read.append(_csv_value(cell, decimal_comma, f"{path.name} line {line}, {heading[field_name]}",
                                       sep, problems))
            lines.append(line)
            values.append(read)
    except csv.Error as error:
        raise RetentionInputError(Problem("csv", f"{path.name} line {reader.line_num}: {error} "
                                                 "(a quote that is never closed, or a field too long)",
                                          "save it again from your spreadsheet as CSV")) from None
    if header is None:
        raise RetentionInputError(Problem("csv", f"{path.name} has no header line",
                                          "export the template's Data columns with a header line"))
    if problems:
        raise RetentionInputError(problems)
    where = lambda line, field: f"{path.name} line {line}, {heading[field]}"  # noqa: E731
    return lines, values, where


#: Longest period label read (a label is a name such as 2024-Q1; charts draw it).
MAX_LABEL_CHARS = 255


def _label_text(text: str, name: str, line: int, problems: list) -> Any:
    if len(text) > MAX_LABEL_CHARS:
        problems.append(Problem("period", f"{name} line {line}, Period: the label is {len(text):,} characters "
                                          f"long ({text[:20]!r}...)",
                                f"a period label is at most {MAX_LABEL_CHARS} characters"))
        return None
    return text.strip() or None


def _csv_value(text: str, decimal_comma: bool, where: str, sep: str, problems: list):
    """A CSV cell: a number by the one reader of typed text, else the text (the core names it)."""
    stripped = text.strip()
    if stripped == "":
        return None
    number = number_from_text(stripped, decimal_comma=decimal_comma)
    if number is not None and not stripped.endswith("%"):
        return number
    other = number_from_text(stripped, decimal_comma=not decimal_comma)
    if number is None and other is not None and not stripped.endswith("%"):
        mark = "a decimal comma (12,5)" if decimal_comma else "a decimal point (12.5)"
        problems.append(Problem("csv", f"{where}: {stripped[:40]!r} is not a number in this file, whose values "
                                       f"are separated by {_SEPARATOR_NAMES[sep]} and so use {mark}",
                                "write the numbers the way the rest of the file does"))
        return None
    return text[:80] if len(text) > 80 else text


# --------------------------------------------------------------------------- checking


def _label(value: Any):
    if is_blank(value):
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
