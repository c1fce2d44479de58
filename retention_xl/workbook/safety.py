"""Opening workbooks from strangers, and writing files without losing anyone's work.

An .xlsx file is a zip of XML documents, which opens three doors:

- a zip bomb: a small file that declares (or holds) a huge sheet; no spreadsheet
  library limits it (workbooks.md measured a 1.3 MB file exhausting 4 GB), so the
  zip's declared member sizes are checked before any library opens the file;
- an XML entity attack (billion laughs, external entities): spreadsheets never
  write a document type declaration, so any ``<!DOCTYPE`` or ``<!ENTITY`` is
  refused up front; openpyxl also parses through defusedxml;
- formula injection: openpyxl turns any string starting with "=" into a live
  formula, so user text is always written with :func:`write_text`.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from ..errors import Problem, RetentionInputError
from ..safe_write import write_new_file  # the one safe writer, re-exported here

__all__ = ["UnsafeWorkbookError", "check_workbook_file", "write_text", "write_new_file",
           "MAX_TOTAL_BYTES", "MAX_MEMBERS", "MAX_RATIO", "MAX_GRID_CELLS", "MAX_TEXT_CHARS"]

#: Largest total declared uncompressed size: a 100,000-row template is about 40 MB.
MAX_TOTAL_BYTES = 512 * 1024 * 1024
#: Most members an .xlsx may hold (a workbook has a few dozen).
MAX_MEMBERS = 10_000
#: Largest compression ratio of a member bigger than ``_RATIO_FLOOR`` (spreadsheet XML: 5 to 30).
MAX_RATIO = 200
_RATIO_FLOOR = 10 * 1024 * 1024
#: How much of each XML member is scanned for a document type declaration.
_SCAN_BYTES = 4096
#: Largest sheet, as rows x columns of its used area: a 100,000-period template is
#: 2.5 million. Spreadsheet libraries build the whole grid, so one cell at XFD1048576
#: (17 billion cells) must be refused before they see it.
MAX_GRID_CELLS = 3_000_000
#: Longest text a cell may hold: Excel's own limit. A period label needs far less; a
#: 450 MB shared string would cost gigabytes to read and draw.
MAX_TEXT_CHARS = 32_767
_CHUNK = 1 << 20
_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,9})\"")
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]{1,9})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]{1,3})?([0-9]{1,9})?:?([A-Z]{1,3})?([0-9]{1,9})?\"")


class UnsafeWorkbookError(RetentionInputError):
    """A workbook refused before opening: a zip bomb, an XML entity attack, not a workbook."""


def _refuse(path: Path, why: str, hint: str) -> UnsafeWorkbookError:
    return UnsafeWorkbookError(Problem("workbook", f"{path.name}: {why}", hint))


def check_workbook_file(path: str | os.PathLike) -> None:
    """Refuse a file that is not a plain .xlsx zip, declares too much data, or holds a DTD.

    Parameters
    ----------
    path : str or path
        The .xlsx file to check.

    Raises
    ------
    UnsafeWorkbookError
        With a sentence saying what was found and why it is refused.

    Examples
    --------
    A file that is not a zip is refused before any spreadsheet library sees it:

    >>> import pathlib, tempfile
    >>> from retention_xl.workbook import check_workbook_file, UnsafeWorkbookError
    >>> fake = pathlib.Path(tempfile.mkdtemp()) / "report.xlsx"
    >>> _ = fake.write_text("not a workbook")
    >>> try:
    ...     check_workbook_file(fake)
    ... except UnsafeWorkbookError as error:
    ...     print(error)
    report.xlsx: is not an Excel workbook (.xlsx is a zip file): save it from your spreadsheet as "Excel Workbook (.xlsx)"
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise _refuse(path, "is not an Excel workbook (.xlsx is a zip file)",
                      'save it from your spreadsheet as "Excel Workbook (.xlsx)"')
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(path, archive)
    except RetentionInputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as error:  # a lying or damaged zip
        raise _refuse(path, f"is a damaged zip file ({type(error).__name__}: {error})",
                      'open it in your spreadsheet and save it again as "Excel Workbook (.xlsx)"') from None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _measure_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Stream one sheet or string table (1 MB at a time): its grid and its longest text.

    Memory stays at a few MB whatever the member holds, and the refusal comes
    before any spreadsheet library builds the grid or the string.
    """
    sheet = member.filename.startswith("xl/worksheets/")
    rows = columns = 0
    run = 0  # characters since the last "<", carried across chunks
    tail = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            too_long, run = _long_run(chunk, run, MAX_TEXT_CHARS + 64)  # a tag's own characters are not text
            if too_long:
                raise _refuse(path, f"{member.filename} holds a text of more than "
                                    f"{MAX_TEXT_CHARS:,} characters, more than a spreadsheet cell can hold",
                              "a period label is a few characters; remove the long text and save again")
            if sheet:
                window = tail + chunk
                for match in _DIMENSION.finditer(window):
                    if match.group(3) and match.group(4):
                        columns = max(columns, _column_number(match.group(3)))
                        rows = max(rows, int(match.group(4)))
                rows, columns = _grid_extent(window, rows, columns)
                if rows * columns > MAX_GRID_CELLS:
                    raise _refuse(
                        path, f"{member.filename} spans {rows:,} rows and {columns:,} columns (to cell "
                              f"{_column_letters(columns)}{rows}), more than the {MAX_GRID_CELLS:,} cells "
                              "this reader accepts",
                        "delete the far-away cells (Ctrl+End shows the last one), or copy the data to a "
                        "new workbook, and save again")
                tail = chunk[-512:]


_FAST_ROW = re.compile(rb'<row r="([0-9]{1,9})"')
_FAST_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')


def _grid_extent(window: bytes, rows: int, columns: int) -> tuple[int, int]:
    """The largest row and column any cell or row of ``window`` names (at least the given ones).

    Spreadsheet programs write ``r`` as the first attribute: then three C-speed
    scans suffice (cells whose row has fewer digits than the largest so far
    cannot be larger). Anything else (a prefix, another attribute first) takes
    the general pattern, so no ordering trick hides a far cell.
    """
    found = _FAST_ROW.findall(window)
    letters = _FAST_LETTERS.findall(window)
    plain = (len(letters) == window.count(b"<c ") and len(found) == window.count(b"<row ") and
             b"<c>" not in window and b":c " not in window and b":row " not in window)
    if not plain:
        for column, row in set(_CELL.findall(window)):
            columns, rows = max(columns, _column_number(column)), max(rows, int(row))
        found = _ROW.findall(window)
        return (max(rows, max(map(int, found))) if found else rows), columns
    if found:
        rows = max(rows, max(map(int, found)))
    if letters:
        columns = max(columns, max(map(_column_number, set(letters))))
    digits = len(str(rows)) if rows else 1
    far = re.findall(rb'<c r="[A-Z]{1,3}([0-9]{%d,9})"' % digits, window)
    if far:
        rows = max(rows, max(map(int, far)))
    return rows, columns


def _long_run(chunk: bytes, carry: int, limit: int) -> tuple[bool, int]:
    """Whether ``chunk`` (after ``carry`` characters with no "<") holds more than ``limit``
    characters without a "<"; and the characters after its last "<".

    A run longer than ``limit`` contains a whole block of ``limit // 2`` aligned
    characters, so one C-speed ``find`` per block (64 per MB) finds every candidate.

    >>> _long_run(b"<a>" + b"x" * 100 + b"</a>", 0, 50)
    (True, 0)
    >>> _long_run(b"x" * 30 + b"<a>", 25, 50)  # 25 carried from the chunk before + 30
    (True, 0)
    >>> _long_run(b"<a>" + b"x" * 40 + b"</a><b>", 0, 50)
    (False, 2)
    """
    first = chunk.find(b"<")
    if first == -1:
        return carry + len(chunk) > limit, carry + len(chunk)
    if carry + first > limit:
        return True, 0
    block = max(1, limit // 2)
    for start in range(0, len(chunk) - block + 1, block):
        if chunk.find(b"<", start, start + block) == -1:
            left = chunk.rfind(b"<", 0, start)  # -1: the run from the chunk start, checked above
            right = chunk.find(b"<", start + block)
            end = len(chunk) if right == -1 else right
            if end - left - 1 > limit:
                return True, 0
    tail = len(chunk) - chunk.rfind(b"<") - 1
    return tail > limit, tail


def _check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    if True:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _refuse(path, f"holds {len(members):,} files, more than any workbook ({MAX_MEMBERS:,})",
                          "refused as a possible zip bomb")
        total = sum(m.file_size for m in members)
        if total > MAX_TOTAL_BYTES:
            raise _refuse(path, f"declares {total / 2**20:,.0f} MB of data once unzipped, more than "
                                f"the {MAX_TOTAL_BYTES / 2**20:,.0f} MB allowed",
                          "refused as a possible zip bomb; split the data into smaller workbooks")
        for member in members:
            if member.file_size > _RATIO_FLOOR and \
                    member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise _refuse(path, f"{member.filename} unzips {member.file_size / max(member.compress_size, 1):,.0f} "
                                    f"times larger than it is stored, more than real spreadsheets "
                                    f"({MAX_RATIO} times)", "refused as a possible zip bomb")
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")):
                with archive.open(member) as stream:
                    head = stream.read(_SCAN_BYTES).upper()
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise _refuse(path, f"{member.filename} contains an XML document type declaration, "
                                        "which spreadsheets never write",
                                  "refused as a possible XML entity attack (billion laughs)")
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml") or \
                    member.filename == "xl/sharedStrings.xml":
                _measure_member(path, archive, member)


def write_text(cell, value: str):
    """Put ``value`` in ``cell`` as plain text, even when it starts with "=" or looks like an error.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> from retention_xl.workbook import write_text
    >>> cell = Workbook().active["A1"]
    >>> write_text(cell, '=HYPERLINK("http://example.com","click")').data_type
    's'
    """
    cell.value = value
    cell.data_type = "s"
    return cell
