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
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import Problem, RetentionInputError

__all__ = ["UnsafeWorkbookError", "check_workbook_file", "write_text", "write_new_file",
           "MAX_TOTAL_BYTES", "MAX_MEMBERS", "MAX_RATIO"]

#: Largest total declared uncompressed size: a 100,000-row template is about 40 MB.
MAX_TOTAL_BYTES = 512 * 1024 * 1024
#: Most members an .xlsx may hold (a workbook has a few dozen).
MAX_MEMBERS = 10_000
#: Largest compression ratio of a member bigger than ``_RATIO_FLOOR`` (spreadsheet XML: 5 to 30).
MAX_RATIO = 200
_RATIO_FLOOR = 10 * 1024 * 1024
#: How much of each XML member is scanned for a document type declaration.
_SCAN_BYTES = 4096


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
    with zipfile.ZipFile(path) as archive:
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


def write_new_file(path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = False,
                   protect: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Write a file through a temporary file in the same folder, then move it into place.

    A crash never leaves half a file, an existing file is kept unless ``overwrite``,
    and the files in ``protect`` (the inputs) are never written over.

    Parameters
    ----------
    path : str or path
        Where the file goes.
    write : callable
        ``write(temporary_path)`` writes the content.
    overwrite : bool, optional
        Replace an existing file at ``path``. Default False.
    protect : tuple of paths, optional
        Files that must never be replaced, whatever ``overwrite`` says.

    Returns
    -------
    Path
        The path written.
    """
    target = Path(path)
    for kept in protect:
        if Path(kept).exists() and target.exists() and os.path.samefile(kept, target) or \
                Path(kept).resolve() == target.resolve():
            raise RetentionInputError(Problem(
                "output", f"the output {target} is the input file",
                "choose another name for the output: the input is never written over"))
    if target.exists() and not overwrite:
        raise RetentionInputError(Problem(
            "output", f"{target} already exists", "choose another name, or ask to overwrite it (--force)"))
    if not target.parent.is_dir():
        raise RetentionInputError(Problem("output", f"the folder {target.parent} does not exist"))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix,
                                         dir=target.parent)
    os.close(handle)
    temporary = Path(temporary)
    try:
        write(temporary)
        if overwrite:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)  # fails if the file appeared meanwhile: never clobber
            temporary.unlink()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
