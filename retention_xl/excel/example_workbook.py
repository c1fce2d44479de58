"""The example workbook for the classic xlwings add-in: ``workbooks/retention_functions.xlsx``.

Two sheets: "Example" (sample data with the retention_xl formulas next to it,
and what each formula should show, computed by the core when the workbook is
written) and "xlwings.conf" (names the UDF module, so "Import Functions" needs
no typing). Written with openpyxl; ``retention-xl excel-workbook`` runs it.
"""

from __future__ import annotations

from pathlib import Path

import retention_xl as rx
from retention_xl.excel import UDF_MODULE

#: Sample periods: (label, customers at start, at end, new).
SAMPLE_PERIODS = (
    ("January", 107, 120, 21),
    ("February", 100, 110, 20),
    ("March", 1000, 2000, 1500),
    ("April", 120, 118, 10),
)

NOTES = (
    "These cells use the retention_xl Excel functions. They need the classic xlwings add-in "
    "(Windows desktop Excel) with the functions imported: see the README section "
    '"Use it in Excel" or run: retention-xl excel',
    "Until then, and in any other program (LibreOffice, Google Sheets, Excel without the "
    "add-in), the formula cells show #NAME?. That is expected. After xlwings > Import "
    "Functions, press Ctrl+Alt+F9 to recalculate, then save as .xlsm.",
    "No Python at all? The template workbook workbooks/retention_template.xlsx computes the "
    "same numbers with plain spreadsheet formulas in any spreadsheet program.",
    'Column "Should show" holds what each formula gives, computed by retention_xl when this '
    "file was written, so you can check your set-up.",
)


def build_workbook():
    """The workbook as an openpyxl Workbook (nothing written)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.formula import ArrayFormula

    book = Workbook()
    sheet = book.active
    sheet.title = "Example"
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    sheet["A1"] = "retention_xl Excel functions: examples"
    sheet["A1"].font = Font(bold=True, size=14)
    for row, note in enumerate(NOTES, start=2):
        sheet.cell(row, 1, note).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=9)
        sheet.row_dimensions[row].height = 30

    # the three counts, one period per row, with one formula per cell
    top = 7
    headers = ("Period", "Customers at start", "Customers at end", "New customers",
               "Retention", "Churn", "Lost customers", "Retention, whole column at once")
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(top, column, text)
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True)
    first, last = top + 1, top + len(SAMPLE_PERIODS)
    for row, (label, start, end, new) in enumerate(SAMPLE_PERIODS, start=first):
        sheet.cell(row, 1, label)
        sheet.cell(row, 2, start)
        sheet.cell(row, 3, end)
        sheet.cell(row, 4, new)
        sheet.cell(row, 5, f"=RETENTION(B{row},C{row},D{row})").number_format = "0.0%"
        sheet.cell(row, 6, f"=CHURN(B{row},C{row},D{row})").number_format = "0.0%"
        sheet.cell(row, 7, f"=LOST_CUSTOMERS(B{row},C{row},D{row})").number_format = "0"
        sheet.cell(row, 8).number_format = "0.0%"
    # a range in, one result per row out: one call for the whole column
    sheet[f"H{first}"] = ArrayFormula(
        f"H{first}:H{last}", f"=RETENTION(B{first}:B{last},C{first}:C{last},D{first}:D{last})")

    # what each row should show, computed by the core: retention / churn / lost
    sheet.cell(top, 9, "Should show").font = bold
    sheet.cell(top, 9).fill = header_fill
    starts, ends, news = ([p[i] for p in SAMPLE_PERIODS] for i in (1, 2, 3))
    rows = zip(rx.retention_rate(starts, ends, news), rx.churn_rate(starts, ends, news),
               rx.lost_customers(starts, ends, news))
    for row, (kept, lost_share, lost) in enumerate(rows, start=first):
        sheet.cell(row, 9, f"{kept:.1%} / {lost_share:.1%} / {lost:g}")
    should = last

    # single-number functions: formula, then what it should show
    top = should + 2
    for column, text in enumerate(("Question", "Formula", "Should show"), start=1):
        cell = sheet.cell(top, column, text)
        cell.font, cell.fill = bold, header_fill
    examples = (
        ("Months a customer stays at 95% kept a month", "=CUSTOMER_LIFETIME(95%)",
         rx.customer_lifetime(0.95), "0.0"),
        ("95% kept a quarter, per year", "=CONVERT_RETENTION(95%,4)",
         rx.convert_retention(0.95, 4), "0.00%"),
        ("30% churn a year, per month", "=CONVERT_CHURN(30%,1/12)",
         rx.convert_churn(0.30, 1 / 12), "0.00%"),
        ("Value of a customer: $100 margin, 90% kept, 10% discount rate, $150 to win",
         "=CUSTOMER_VALUE(100,90%,10%,150)", rx.customer_value(100, 0.9, 0.1, 150), "#,##0.00"),
        ("What +5 points of retention add to that value (illustrative)",
         '=PROFIT_UPLIFT(100,90%,5%,10%,150,"points")',
         rx.profit_uplift(100, 0.9, 0.05, 0.1, 150), "0.0%"),
        ("Value of a new customer under the retention curve of a group still 1000, 631, 468, "
         "382, 326, 289, 262, 241 after 0 to 7 years: $100 margin, 10% discount rate",
         "=FORECAST_CUSTOMER_VALUE({1000;631;468;382;326;289;262;241},100,10%)",
         rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241]).customer_value(100, 0.1),
         "#,##0.00"),
    )
    for row, (question, formula, value, number_format) in enumerate(examples, start=top + 1):
        sheet.cell(row, 1, question).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 30
        sheet.cell(row, 2, formula).number_format = number_format
        sheet.cell(row, 3, float(value)).number_format = number_format

    # the projection spills a table with a header row: 5 periods -> 6 x 7 cells
    top = top + len(examples) + 2
    sheet.cell(top, 1, "Profit over 5 years: 1,000 customers, 80% kept, 200 new a year at $150, "
                       "$100 margin, $20,000 fixed costs, +5 points of retention").font = bold
    periods = 5
    formula = '=PROFIT_PROJECTION(1000,80%,200,100,5,5%,"points",150,20000,0)'
    sheet.cell(top + 1, 1, "Formula:")
    sheet.cell(top + 1, 2, formula[1:])
    corner = top + 2
    sheet.cell(corner, 1).value = ArrayFormula(f"A{corner}:G{corner + periods}", formula)
    result = rx.project_profit(1000, 0.8, 200, 100, periods=periods, acquisition_cost=150,
                               fixed_cost=20000)
    sheet.cell(corner + periods + 1, 1, "Should show: extra profit over 5 years "
               f"{result.total_difference:,.0f}").font = bold

    for column, width in zip("ABCDEFGHI", (34, 30, 14, 14, 14, 14, 14, 18, 22)):
        sheet.column_dimensions[column].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0

    conf = book.create_sheet("xlwings.conf")
    conf["A1"], conf["B1"] = "UDF Modules", UDF_MODULE
    conf["A3"] = ("xlwings reads this sheet: column A is the setting, column B its value. "
                  "Import Functions then loads the retention_xl functions.")
    conf["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    conf.merge_cells("A3:B3")
    conf.row_dimensions[3].height = 45
    conf.column_dimensions["A"].width = 16
    conf.column_dimensions["B"].width = 34
    return book


def write_workbook(path: Path) -> Path:
    """Write the example workbook to ``path`` (the caller decides about overwriting)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook().save(path)
    return path
