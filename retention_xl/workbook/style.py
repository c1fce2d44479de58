"""The template's look in one place: fonts, fills, number formats, column widths, print setup.

LibreOffice does not draw Excel table styles, so every header and input cell is
styled explicitly (workbooks.md, trap 6).
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

FONT_NAME = "Calibri"

TITLE = Font(name=FONT_NAME, size=16, bold=True, color="1F3864")
SUBTITLE = Font(name=FONT_NAME, size=10, italic=True, color="595959")
BODY = Font(name=FONT_NAME, size=11)
BOLD = Font(name=FONT_NAME, size=11, bold=True)
HEADER = Font(name=FONT_NAME, size=11, bold=True, color="FFFFFF")
SECTION = Font(name=FONT_NAME, size=12, bold=True, color="1F3864")
MESSAGE = Font(name=FONT_NAME, size=10, color="C00000")
NOTE = Font(name=FONT_NAME, size=9, italic=True, color="595959")

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RESULT_FILL = PatternFill("solid", fgColor="E2EFDA")
BAND_FILL = PatternFill("solid", fgColor="F2F2F2")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
ALERT_FILL = PatternFill("solid", fgColor="F4B084")

THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

PERCENT = "0.0%"
POINTS = '+0.0%" pts";-0.0%" pts";0.0%" pts"'
MONEY = '$#,##0;[Red]-$#,##0'
MONEY_CENTS = '$#,##0.00;[Red]-$#,##0.00'
COUNT = "#,##0.##"
CUSTOMERS = "#,##0.0"

UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def header(cell, text: str) -> None:
    cell.value = text
    cell.font = HEADER
    cell.fill = HEADER_FILL
    cell.alignment = CENTER
    cell.border = BOX


def input_cell(cell, value=None, number_format: str | None = None) -> None:
    """An unlocked, yellow cell the user types into."""
    if value is not None:
        cell.value = value
    cell.font = BODY
    cell.fill = INPUT_FILL
    cell.border = BOX
    cell.protection = UNLOCKED
    if number_format:
        cell.number_format = number_format


def result_cell(cell, formula: str, number_format: str | None = None, bold: bool = False) -> None:
    """A locked formula cell."""
    cell.value = formula
    cell.font = BOLD if bold else BODY
    cell.fill = RESULT_FILL
    cell.border = BOX
    cell.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    if number_format:
        cell.number_format = number_format


def label(cell, text: str, bold: bool = False) -> None:
    cell.value = text
    cell.font = BOLD if bold else BODY
    cell.alignment = Alignment(vertical="top", wrap_text=True)


def widths(ws, columns: dict[str, float]) -> None:
    for letter, width in columns.items():
        ws.column_dimensions[letter].width = width


def print_setup(ws, title_rows: str | None = None, pages_tall: int = 0) -> None:
    """Landscape, fit to one page wide (workbooks.md, trap 8); ``pages_tall`` 0 = as many as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows


def protect(ws) -> None:
    """Lock formula cells against accidents; no password (it would not be security anyway)."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = False
