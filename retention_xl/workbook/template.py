"""The template workbook: native formulas that work in any spreadsheet, with no Python.

Every formula here restates, in the Excel 2010 function set, a formula of the
core (:mod:`retention_xl.rates`, :mod:`retention_xl.value`,
:mod:`retention_xl.projection`) or of :mod:`retention_xl.industry`, step for
step and in the same order of operations, so that LibreOffice and Excel give
the same numbers as Python; ``tests/test_workbook_libreoffice.py`` recalculates the
template with LibreOffice and compares every computed cell with the core.
The messages of the ``Check`` column are the core's own sentences
(:class:`retention_xl.Problem` clauses) for the same data errors.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import column_index_from_string
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from ..benchmarks import DEFAULT_TOLERANCE, industry_benchmarks
from ..validation import EQUAL_TOLERANCE, LABELS
from . import style
from .safety import write_text as _text

__all__ = ["build_template", "DATA_COLUMNS", "TABLE_NAME", "HEADER_ROW", "DEFAULT_ROWS",
           "MAX_HORIZON", "INPUT_FIELDS"]

TABLE_NAME = "RetentionData"
DATA_SHEET, WHATIF_SHEET, BENCH_SHEET, HELP_SHEET = "Data", "What-if", "Benchmarks", "Instructions"
#: Header of the table, exactly; the first four are typed by the user.
DATA_COLUMNS = ("Period", "Customers at start", "Customers at end", "New customers",
                "Lost customers", "Retention", "Churn")
#: Which core argument each input column feeds (the reader's column names).
INPUT_FIELDS = {"Period": "period", "Customers at start": "start", "Customers at end": "end",
                "New customers": "new"}
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
DEFAULT_ROWS = 60
#: The What-if projection is pre-sized to this many periods.
MAX_HORIZON = 60
DEFAULT_INDUSTRY = "Telecommunications"
DEFAULT_PERIODS_PER_YEAR = 4

# Data sheet columns (letters), so formulas read like the header.
PERIOD, START, END, NEW, LOST, RET, CHURN, CHECK = "ABCDEFGH"
# Hidden helpers, right of the summary: the chart series (NA() is a gap, "" would plot as 0)
# and the steps of the benchmark alert.
VALID, LOGRET, CHART_RET, CHART_BENCH, QUARTER, BELOW, ALERT = "STUVWXY"
# Hidden helper: customers kept, end - new made exact at start or 0 (validation.kept_customers).
KEPT = "Z"
#: validation.EQUAL_TOLERANCE written into the formulas: numbers that agree to 15 significant
#: digits are equal in every engine, whatever its own comparison habits (docs/equal-numbers.md).
TOL = f"{EQUAL_TOLERANCE:.0E}"
SETTINGS_LABEL, SETTINGS_VALUE = "J", "K"


def build_template(rows: int = DEFAULT_ROWS, industry: str = DEFAULT_INDUSTRY,
                   periods_per_year: float = DEFAULT_PERIODS_PER_YEAR) -> Workbook:
    """The template workbook, as an openpyxl ``Workbook`` (not yet saved).

    Parameters
    ----------
    rows : int, optional
        Periods the Data table is pre-sized for (default 60). Excel cannot grow
        a table on a protected sheet, so the table is made this long up front.
    industry : str, optional
        Industry chosen in the benchmark dropdown.
    periods_per_year : float, optional
        4 for quarters (default), 12 for months, 1 for years.

    Returns
    -------
    openpyxl.Workbook

    Examples
    --------
    How many periods does the Data table of a 120-row template hold?

    >>> from retention_xl.workbook import build_template
    >>> workbook = build_template(rows=120)
    >>> workbook.sheetnames
    ['Instructions', 'Data', 'What-if', 'Benchmarks']
    >>> workbook["Data"].tables["RetentionData"].ref
    'A4:G124'
    """
    if not (isinstance(rows, int) and 1 <= rows <= 100_000):
        raise ValueError(f"rows must be a whole number from 1 to 100000, got {rows!r}")
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = HELP_SHEET
    data = workbook.create_sheet(DATA_SHEET)
    whatif = workbook.create_sheet(WHATIF_SHEET)
    bench = workbook.create_sheet(BENCH_SHEET)
    benchmark_rows = _benchmarks_sheet(workbook, bench)
    _data_sheet(workbook, data, rows, industry, periods_per_year, benchmark_rows)
    _whatif_sheet(workbook, whatif)
    _instructions_sheet(instructions, rows)
    workbook.active = 1
    return workbook


def _name(workbook: Workbook, name: str, sheet: str, cell: str) -> None:
    column, row = cell.rstrip("0123456789"), cell[len(cell.rstrip("0123456789")):]
    workbook.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${column}${row}")


def _validation(ws, kind: str, operator: str | None, formula1: str, cells: str, title: str,
                prompt: str, error: str, formula2: str | None = None) -> None:
    rule = DataValidation(type=kind, operator=operator, formula1=formula1, formula2=formula2,
                          allow_blank=True, showInputMessage=True, showErrorMessage=True,
                          errorStyle="stop", promptTitle=title[:32], prompt=prompt[:255],
                          errorTitle=title[:32], error=error[:255])
    ws.add_data_validation(rule)
    rule.add(cells)


# --------------------------------------------------------------------------- Benchmarks
def _benchmarks_sheet(workbook: Workbook, ws) -> tuple[int, int]:
    table = industry_benchmarks()
    ws["A1"].value, ws["A1"].font = "Industry benchmarks: yearly customer retention", style.TITLE
    ws["A2"].value = ("Indicative figures. Choose your industry on the Data sheet; type over a "
                      "figure here to use your own benchmark.")
    ws["A2"].font = style.SUBTITLE
    headers = ("Industry", "Yearly retention", "Source", "Year", "Caveat")
    for i, text in enumerate(headers, start=1):
        style.header(ws.cell(HEADER_ROW, i), text)
    first = HEADER_ROW + 1
    for offset, row in enumerate(table.itertuples(index=False)):
        r = first + offset
        _text(ws.cell(r, 1), row.industry).font = style.BODY
        style.input_cell(ws.cell(r, 2), float(row.yearly_retention), style.PERCENT)
        for column, value in ((3, row.source), (4, row.year), (5, row.caveat)):
            cell = ws.cell(r, column)
            if isinstance(value, str):
                _text(cell, value)
            elif value == value and value is not None:  # not NaN
                cell.value = int(value)
            cell.font = style.NOTE
            cell.alignment = style.WRAP
        ws.row_dimensions[r].height = 30
    last = first + len(table) - 1
    _validation(ws, "decimal", "between", "0", f"B{first}:B{last}", "Yearly retention",
                "Yearly retention of the industry, from 0% to 100%.",
                "Enter a percentage from 0% to 100% (78% or 0.78).", formula2="1")
    style.widths(ws, {"A": 30, "B": 14, "C": 46, "D": 8, "E": 60})
    ws.freeze_panes = f"A{first}"
    style.print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    style.protect(ws)
    return first, last


# --------------------------------------------------------------------------- Data
def _shown(expression: str) -> str:
    """``expression`` rounded to 15 significant digits, as validation.show writes a number.

    Joined into text (``"..."&x``) it reads as the core's messages do, in any engine.
    """
    x = f"({expression})"
    return f"IF({x}=0,0,ROUND({x},14-INT(LOG10(ABS({x})))))"


def _within_15_digits(difference: str, scale: str) -> str:
    """validation.within_15_digits as a formula: ``difference`` is 0 to 15 digits of ``scale``."""
    return f"ABS({difference})<={TOL}*{scale}"


def _kept_formula(s: str, e: str, n: str) -> str:
    """validation.kept_customers: end - new, exactly start or 0 where it equals them to 15 digits."""
    kept = f"({e}-{n})"
    near_start = _within_15_digits(f"{kept}-{s}", f"MAX({e},{s}+{n})")
    near_zero = _within_15_digits(kept, f"MAX({e},{n})")
    return (f"IF(AND({near_start},OR(NOT({near_zero}),2*{kept}>={s})),{s},"
            f"IF({near_zero},0,{kept}))")


def _field_check(ref: str, field: str) -> str:
    """The core's sentence for a bad count in ``ref`` (validation._element, range_problems)."""
    label = LABELS[field]
    negative = f"{label} cannot be negative, got "
    if field == "start":  # START_RANGE: above 0, and 0 itself is "no customers at start"
        blank = '"no customers at start of the period (customers at start is blank)"'
        last = f'IF({ref}=0,"no customers at start of the period (customers at start is 0)","")'
        negative = f"{label} must be a count above 0, got "
    else:
        blank = f'"{label} is blank"'
        last = '""'
    return (f'IF(ISLOGICAL({ref}),"{label} must be a number, got the true/false value "'
            f'&IF({ref},"True","False"),'
            f'IF(TRIM({ref})="",{blank},'
            f'IF(NOT(ISNUMBER({ref})),"{label} must be a number, got the text \'"&{ref}&"\'",'
            f'IF({ref}<0,"{negative}"&{_shown(ref)},{last}))))')


def _check_formula(r: int) -> str:
    s, e, n = f"${START}{r}", f"${END}{r}", f"${NEW}{r}"
    checks = [_field_check(s, "start"), _field_check(e, "end"), _field_check(n, "new")]
    # the rules compare sums of counts beyond 15 significant digits only (_count_problems)
    too_many_new = f"{n}-{e}>{TOL}*MAX({e},{n})"
    too_many_kept = f"({e}-{n})-{s}>{TOL}*MAX({e},{s}+{n})"
    cross = (f'IF({too_many_new},"new customers ("&{_shown(n)}&") cannot exceed customers at end ("'
             f'&{_shown(e)}&")",'
             f'IF({too_many_kept},"customers at end minus new customers ("&{_shown(e)}&" - "&{_shown(n)}'
             f'&" = "&{_shown(f"{e}-{n}")}&") is more than customers at start ("&{_shown(s)}&")",""))')
    formula = cross
    for check in reversed(checks):
        formula = f'IF({check}<>"",{check},{formula})'
    return f'=IF(COUNTBLANK(${START}{r}:${NEW}{r})=3,"",{formula})'


def _data_sheet(workbook, ws, rows, industry, periods_per_year, benchmark_rows) -> None:
    first, last = FIRST_ROW, FIRST_ROW + rows - 1
    col = lambda letter: f"${letter}${first}:${letter}${last}"  # noqa: E731

    ws["A1"].value, ws["A1"].font = "Customer retention by period", style.TITLE
    ws["A2"].value = ("Type the three counts of each period in the yellow cells; everything else "
                      "is computed. A message in the Check column says what to fix.")
    ws["A2"].font = style.SUBTITLE

    for i, text in enumerate(DATA_COLUMNS + ("Check",), start=1):
        style.header(ws.cell(HEADER_ROW, i), text)
    ws.row_dimensions[HEADER_ROW].height = 32
    for r in range(first, last + 1):
        ws.cell(r, 1).protection = style.UNLOCKED
        ws.cell(r, 1).font = style.BODY
        ws.cell(r, 1).border = style.BOX
        for letter in (START, END, NEW):
            style.input_cell(ws[f"{letter}{r}"], number_format=style.COUNT)
        blank_row = f"COUNTBLANK(${START}{r}:${NEW}{r})=3"
        formulas = {
            CHECK: _check_formula(r),
            KEPT: (f'=IF(OR(${CHECK}{r}<>"",{blank_row}),"",'
                   f'{_kept_formula(f"${START}{r}", f"${END}{r}", f"${NEW}{r}")})'),
            RET: f'=IF(${KEPT}{r}="","",${KEPT}{r}/${START}{r})',
            CHURN: f'=IF(${RET}{r}="","",1-${RET}{r})',
            LOST: f'=IF(${RET}{r}="","",${START}{r}-${KEPT}{r})',
            VALID: f'=IF(${RET}{r}="","",COUNT(${RET}${first}:${RET}{r}))',
            LOGRET: f'=IF(${RET}{r}="","",IF(${RET}{r}>0,LN(${RET}{r}),""))',
            CHART_RET: f'=IF(${RET}{r}="",NA(),${RET}{r})',
            CHART_BENCH: f'=IF({blank_row},NA(),BenchmarkPerPeriod)',
        }
        k = r - first + 1  # period number within the table
        window = f"INDEX({col(RET)},{k}-QuarterWindow+1):${RET}{r}"
        formulas[QUARTER] = (
            f'=IF(OR({k}<QuarterWindow,${RET}{r}=""),"",IF(COUNT({window})<QuarterWindow,"",'
            f'IF(PeriodsPerYear>=4,PRODUCT({window})^(PeriodsPerYear/QuarterWindow),'
            f'${RET}{r}^PeriodsPerYear)))')
        # industry.benchmark_comparison: too far below beyond 15 significant digits only
        formulas[BELOW] = (f'=IF(${QUARTER}{r}="","",IF((BenchmarkYearly-${QUARTER}{r})-Tolerance>'
                           f'{TOL}*MAX(BenchmarkYearly,${QUARTER}{r},Tolerance),1,0))')
        formulas[ALERT] = (f'=IF(OR(${BELOW}{r}="",{k}<=QuarterWindow),0,'
                           f'IF(AND(${BELOW}{r}=1,INDEX({col(BELOW)},{k}-QuarterWindow)=1),1,0))')
        for letter, formula in formulas.items():
            ws[f"{letter}{r}"].value = formula
            ws[f"{letter}{r}"].font = style.BODY
        for letter, fmt in ((LOST, style.COUNT), (RET, style.PERCENT), (CHURN, style.PERCENT)):
            ws[f"{letter}{r}"].number_format = fmt
            ws[f"{letter}{r}"].border = style.BOX
            if (r - first) % 2:
                ws[f"{letter}{r}"].fill = style.BAND_FILL
        ws[f"{CHECK}{r}"].font = style.MESSAGE
        ws[f"{CHECK}{r}"].alignment = style.WRAP

    ref = f"A{HEADER_ROW}:{CHURN}{last}"
    table = Table(displayName=TABLE_NAME, ref=ref)
    table.tableColumns = [TableColumn(id=i, name=name) for i, name in enumerate(DATA_COLUMNS, start=1)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=False)
    ws.add_table(table)

    inputs = f"{START}{first}:{NEW}{last}"
    _validation(ws, "decimal", "greaterThanOrEqual", "0", inputs, "A count of customers",
                "A number of customers, 0 or more (fractions allowed for averages). "
                "Customers at end include the new ones. Leave the whole row empty if there is no data.",
                "Enter a number of customers, 0 or more. Text, negative numbers and dates are not counts.")

    _settings_and_summary(workbook, ws, first, last, industry, periods_per_year, benchmark_rows, col)
    _data_conditional_formats(ws, first, last)
    _data_chart(ws, first, last)

    style.widths(ws, {PERIOD: 12, START: 13, END: 13, NEW: 13, LOST: 12, RET: 11, CHURN: 11,
                      CHECK: 44, "I": 2, SETTINGS_LABEL: 42, SETTINGS_VALUE: 44})
    for letter in "LMNOPQR":
        ws.column_dimensions[letter].width = 9
    for letter in (VALID, LOGRET, CHART_RET, CHART_BENCH, QUARTER, BELOW, ALERT, KEPT):
        ws.column_dimensions[letter].hidden = True
    ws.freeze_panes = f"A{first}"
    style.print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    ws.print_area = f"A1:{SETTINGS_VALUE}{max(last, 44)}"
    style.protect(ws)


def _settings_and_summary(workbook, ws, first, last, industry, periods_per_year,
                          benchmark_rows, col) -> None:
    L, V = SETTINGS_LABEL, SETTINGS_VALUE
    b_first, b_last = benchmark_rows
    industries = f"'{BENCH_SHEET}'!$A${b_first}:$A${b_last}"
    yearly = f"'{BENCH_SHEET}'!$B${b_first}:$B${b_last}"

    style.header(ws[f"{L}{HEADER_ROW}"], "Settings")
    style.header(ws[f"{V}{HEADER_ROW}"], "")
    settings = [
        (5, "Periods per year (4 quarters, 12 months, 1 years)", "PeriodsPerYear",
         periods_per_year, "0.##"),
        (6, "Industry (choose from the list)", "Industry", industry, None),
        (7, "Alert when this many points below benchmark", "TolerancePoints",
         round(DEFAULT_TOLERANCE * 100, 10), '0.0" pts"'),
    ]
    for row, text, name, value, fmt in settings:
        style.label(ws[f"{L}{row}"], text)
        style.input_cell(ws[f"{V}{row}"], value, fmt)
        _name(workbook, name, DATA_SHEET, f"{V}{row}")
    _validation(ws, "decimal", "greaterThan", "0", f"{V}5", "Periods per year",
                "How many of your periods make a year: 4 for quarters, 12 for months, 1 for years, 52 for weeks.",
                "Enter a number above 0: 4 for quarters, 12 for months, 1 for years.")
    _validation(ws, "list", None, industries, f"{V}6", "Industry",
                "Choose the industry whose yearly retention is your benchmark (Benchmarks sheet).",
                "Choose an industry from the list.")
    _validation(ws, "decimal", "between", "0", f"{V}7", "Alert tolerance",
                "How far below the benchmark (in percentage points of yearly retention) is too far. "
                "No source defines it; 5 is the usual choice.",
                "Enter a number of points from 0 to 100.", formula2="100")

    computed = [
        (8, "Industry benchmark: yearly retention", "BenchmarkYearly",
         f'=IFERROR(INDEX({yearly},MATCH(Industry,{industries},0)),"choose an industry")', style.PERCENT),
        (9, "Benchmark per period (yearly ^ 1/periods)", "BenchmarkPerPeriod",
         "=IFERROR(BenchmarkYearly^(1/PeriodsPerYear),\"\")", style.PERCENT),
    ]
    for row, text, name, formula, fmt in computed:
        style.label(ws[f"{L}{row}"], text)
        style.result_cell(ws[f"{V}{row}"], formula, fmt)
        _name(workbook, name, DATA_SHEET, f"{V}{row}")
    # Hidden helpers for the summary and the alert rule (industry.quarter_window).
    helpers = {
        "Tolerance": ("=TolerancePoints/100", f"{VALID}1"),
        "QuarterWindow": ("=MAX(1,ROUND(PeriodsPerYear/4,0))", f"{VALID}2"),
        "LatestOffset": (f"=IF(COUNT({col(RET)})=0,0,MATCH(MAX({col(VALID)}),{col(VALID)},0))",
                         f"{VALID}3"),
    }
    for name, (formula, cell) in helpers.items():
        ws[cell].value = formula
        _name(workbook, name, DATA_SHEET, cell)

    style.header(ws[f"{L}11"], "Summary")
    style.header(ws[f"{V}11"], "")
    latest = f"INDEX({col(RET)},LatestOffset)"
    back = lambda k: f"INDEX({col(RET)},LatestOffset-{k})"  # noqa: E731
    summary = [
        (12, "Latest complete period",
         f'=IF(LatestOffset=0,"none yet",IF(INDEX({col(PERIOD)},LatestOffset)="",'
         f'"row "&(LatestOffset+{first - 1}),INDEX({col(PERIOD)},LatestOffset)))', None, "LatestPeriod"),
        (13, "Latest retention", f'=IF(LatestOffset=0,"",{latest})', style.PERCENT, "LatestRetention"),
        (14, "Latest retention, per year", '=IF(LatestRetention="","",LatestRetention^PeriodsPerYear)',
         style.PERCENT, "LatestRetentionYearly"),
        (15, "Average churn per period: mean of the periods",
         f'=IF(COUNT({col(CHURN)})=0,"",AVERAGE({col(CHURN)}))', style.PERCENT, "ChurnMean"),
        (16, "Average churn: pooled (all lost / all at start)",
         f'=IF(COUNT({col(LOST)})=0,"",SUM({col(LOST)})/SUMIF({col(VALID)},">0",{col(START)}))',
         style.PERCENT, "ChurnPooled"),
        (17, "Average churn: geometric (same overall survival)",
         f'=IF(COUNT({col(RET)})=0,"",IF(COUNTIF({col(RET)},0)>0,1,1-EXP(AVERAGE({col(LOGRET)}))))',
         style.PERCENT, "ChurnGeometric"),
        (18, "Change vs the period before",
         f'=IF(LatestOffset=0,"",IF(LatestOffset=1,"no earlier period",IF({back(1)}="",'
         f'"the period before has no retention",LatestRetention-{back(1)})))', style.POINTS,
         "ChangePrevious"),
        (19, "Change vs the same period a year earlier",
         f'=IF(LatestOffset=0,"",IF(PeriodsPerYear<>INT(PeriodsPerYear),"periods per year is not whole",'
         f'IF(LatestOffset<=PeriodsPerYear,"less than a year of periods",'
         f'IF(INDEX({col(RET)},LatestOffset-PeriodsPerYear)="","no retention a year earlier",'
         f'LatestRetention-INDEX({col(RET)},LatestOffset-PeriodsPerYear)))))', style.POINTS,
         "ChangeYear"),
        (20, "Benchmark alert (two straight quarters)",
         f'=IF(LatestOffset=0,"",IF(INDEX({col(ALERT)},LatestOffset)=1,"ALERT: over "'
         f'&TolerancePoints&" pts below for two quarters: investigate",'
         f'IF(SUM({col(ALERT)})>0,"no alert now ("&SUM({col(ALERT)})&" earlier flagged)",'
         f'"no alert")))', None, "BenchmarkAlert"),
        (21, "Rows with a problem (see Check column)",
         f"=SUMPRODUCT(--(LEN({col(CHECK)})>0))", "0", "ProblemRows"),
    ]
    for row, text, formula, fmt, name in summary:
        style.label(ws[f"{L}{row}"], text)
        style.result_cell(ws[f"{V}{row}"], formula, fmt, bold=row in (13, 20))
        _name(workbook, name, DATA_SHEET, f"{V}{row}")
    note = ws[f"{L}22"]
    note.value = "Green: at or above the benchmark; red: too far below (compared per year)."
    note.font, note.alignment = style.NOTE, style.WRAP


def _data_conditional_formats(ws, first, last) -> None:
    cells = f"{RET}{first}:{RET}{last}"
    annual = f"${RET}{first}^PeriodsPerYear"
    ws.conditional_formatting.add(cells, FormulaRule(
        formula=[f"AND(ISNUMBER(${RET}{first}),(BenchmarkYearly-{annual})-Tolerance>"
                 f"{TOL}*MAX(BenchmarkYearly,{annual},Tolerance))"],
        fill=style.BAD_FILL, stopIfTrue=True))
    ws.conditional_formatting.add(cells, FormulaRule(
        formula=[f"AND(ISNUMBER(${RET}{first}),{annual}>=BenchmarkYearly)"], fill=style.GOOD_FILL))
    ws.conditional_formatting.add(f"{PERIOD}{first}:{PERIOD}{last}", FormulaRule(
        formula=[f"${ALERT}{first}=1"], fill=style.ALERT_FILL))
    ws.conditional_formatting.add(f"{START}{first}:{NEW}{last}", FormulaRule(
        formula=[f'${CHECK}{first}<>""'], fill=style.BAD_FILL))


def _line_chart(title: str, y_title: str, y_format: str) -> LineChart:
    chart = LineChart()
    chart.title = title
    chart.style = 2
    chart.height, chart.width = 8, 17
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.display_blanks = "gap"
    chart.visible_cells_only = False  # the series live in hidden helper columns
    return chart


def _data_chart(ws, first, last) -> None:
    chart = _line_chart("Retention per period vs industry benchmark", "Retention", "0%")
    for letter in (CHART_RET, CHART_BENCH):
        chart.add_data(Reference(ws, min_col=column_index_from_string(letter), min_row=first,
                                 max_row=last), titles_from_data=False)
    chart.series[0].tx = SeriesLabel(v="Retention")
    chart.series[1].tx = SeriesLabel(v="Benchmark")
    for series, color, dash in zip(chart.series, ("1F3864", "C00000"), (None, "dash")):
        series.smooth = False
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 28000
        if dash:
            series.graphicalProperties.line.dashStyle = dash
        series.marker.symbol = "none"
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ws.add_chart(chart, f"{SETTINGS_LABEL}24")


# --------------------------------------------------------------------------- What-if
#: (row, label, name, default, number format, validation (type, operator, f1, f2), prompt)
ASSUMPTIONS = [
    (5, "Customers now", "CustomersNow", 800, style.COUNT, ("decimal", "greaterThanOrEqual", "0", None),
     "Customers you have today, 0 or more."),
    (6, "Retention per period", "RetentionNow", 0.80, style.PERCENT, ("decimal", "between", "0", "0.999999"),
     "Share of customers kept each period, from 0% up to (not including) 100%."),
    (7, "Retention improvement", "Uplift", 0.05, style.PERCENT, ("decimal", "between", "-1", "1"),
     "The improvement to test: 5% means +5 points (80% to 85%) or +5% relative (80% to 84%)."),
    (8, "Improvement applies as (points / relative)", "UpliftMode", "points", None,
     ("list", None, '"points,relative"', None),
     "points: retention + improvement (the usual meaning of '+5% retention'); "
     "relative: retention x (1 + improvement)."),
    (9, "New customers per period", "NewPerPeriod", 200, style.COUNT,
     ("decimal", "greaterThanOrEqual", "0", None), "New customers won each period, 0 or more."),
    (10, "Margin per customer per period", "Margin", 100, style.MONEY, ("decimal", None, "-1E+15", "1E+15"),
     "Profit margin one customer brings each period (may be negative)."),
    (11, "Acquisition cost per new customer", "AcquisitionCost", 150, style.MONEY,
     ("decimal", "greaterThanOrEqual", "0", None), "What it costs to win one new customer, 0 or more."),
    (12, "Fixed cost per period", "FixedCost", 20000, style.MONEY, ("decimal", "greaterThanOrEqual", "0", None),
     "Costs that do not depend on the number of customers, per period, 0 or more."),
    (13, "Discount rate per period", "DiscountRate", 0.01, style.PERCENT,
     ("decimal", "greaterThanOrEqual", "0", None), "Cost of money per period, 0% or more (10% a year)."),
    (14, f"Horizon in periods (1 to {MAX_HORIZON})", "Horizon", 12, "0",
     ("whole", "between", "1", str(MAX_HORIZON)), f"How many periods to project, a whole number from 1 to {MAX_HORIZON}."),
]

#: (condition that is TRUE for a bad input, the sentence), checked in order.
INPUT_RULES = [
    ("NOT(ISNUMBER(CustomersNow))", "customers now must be a number"),
    ("CustomersNow<0", "customers now cannot be negative"),
    ("NOT(ISNUMBER(RetentionNow))", "retention must be a number"),
    ("OR(RetentionNow<0,RetentionNow>=1)", "retention must be from 0% up to but not including 100%"),
    ("NOT(ISNUMBER(Uplift))", "the retention improvement must be a number"),
    ('AND(UpliftMode<>"points",UpliftMode<>"relative")', "the improvement applies as 'points' or 'relative'"),
    ("NOT(ISNUMBER(NewPerPeriod))", "new customers per period must be a number"),
    ("NewPerPeriod<0", "new customers per period cannot be negative"),
    ("NOT(ISNUMBER(Margin))", "margin per customer must be a number"),
    ("NOT(ISNUMBER(AcquisitionCost))", "acquisition cost must be a number"),
    ("AcquisitionCost<0", "acquisition cost cannot be negative"),
    ("NOT(ISNUMBER(FixedCost))", "fixed cost per period must be a number"),
    ("FixedCost<0", "fixed cost per period cannot be negative"),
    ("NOT(ISNUMBER(DiscountRate))", "discount rate must be a number"),
    ("DiscountRate<0", "discount rate cannot be negative"),
    ("NOT(ISNUMBER(Horizon))", "horizon must be a number"),
    (f"OR(Horizon<1,Horizon>{MAX_HORIZON},Horizon<>INT(Horizon))",
     f"horizon must be a whole number of periods from 1 to {MAX_HORIZON}"),
    ("OR(RetentionImproved<0,RetentionImproved>=1)",
     "the improved retention is outside 0% to below 100%: choose a smaller improvement"),
]

# What-if projection columns.
W_PERIOD, W_CUST0, W_CUST1, W_PROFIT0, W_PROFIT1, W_DIFF, W_PV0, W_PV1 = "EFGHIJKL"
W_CHART0, W_CHART1 = "N", "O"
W_HEADERS = ("Period", "Customers now", "Customers improved", "Profit now", "Profit improved",
             "Extra profit", "Discounted profit now", "Discounted profit improved")


def _whatif_sheet(workbook, ws) -> None:
    ws["A1"].value, ws["A1"].font = "What is better retention worth?", style.TITLE
    ws["A2"].value = ("Change the yellow assumptions; the projection, totals and charts follow. "
                      "Illustrative arithmetic from your own numbers, not a forecast.")
    ws["A2"].font = style.SUBTITLE
    style.header(ws["A4"], "Assumptions")
    style.header(ws["B4"], "")
    for row, text, name, default, fmt, (kind, op, f1, f2), prompt in ASSUMPTIONS:
        style.label(ws[f"A{row}"], text)
        style.input_cell(ws[f"B{row}"], default, fmt)
        _name(workbook, name, WHATIF_SHEET, f"B{row}")
        _validation(ws, kind, op, f1, f"B{row}", text[:32], prompt,
                    f"Not a valid value. {prompt}", formula2=f2)

    style.header(ws["A16"], "Results")
    style.header(ws["B16"], "")
    problem = "=" + _nested_rules(INPUT_RULES)
    ws["D17"].value = problem  # hidden helper: "" when every input is valid
    _name(workbook, "InputProblem", WHATIF_SHEET, "D17")
    ok = 'InputProblem=""'
    results = [
        (17, "Improved retention", "RetentionImproved",
         f'=IF(AND(ISNUMBER(RetentionNow),ISNUMBER(Uplift)),{_improved_formula()},"")', style.PERCENT),
        (18, "Inputs", "InputStatus", '=IF(InputProblem="","all inputs are valid",InputProblem)', None),
        (19, "Total profit over the horizon, now", "TotalNow",
         f'=IF({ok},SUM(${W_PROFIT0}$5:${W_PROFIT0}${4 + MAX_HORIZON}),"")', style.MONEY),
        (20, "Total profit, improved retention", "TotalImproved",
         f'=IF({ok},SUM(${W_PROFIT1}$5:${W_PROFIT1}${4 + MAX_HORIZON}),"")', style.MONEY),
        (21, "Extra profit over the horizon", "TotalDifference", f'=IF({ok},TotalImproved-TotalNow,"")', style.MONEY),
        (22, "Present value of profit, now", "PVNow",
         f'=IF({ok},SUM(${W_PV0}$5:${W_PV0}${4 + MAX_HORIZON}),"")', style.MONEY),
        (23, "Present value, improved retention", "PVImproved",
         f'=IF({ok},SUM(${W_PV1}$5:${W_PV1}${4 + MAX_HORIZON}),"")', style.MONEY),
        (24, "Extra present value", "PVDifference", f'=IF({ok},PVImproved-PVNow,"")', style.MONEY),
        (25, "Profit uplift (present value)", "ProfitUplift",
         f'=IF({ok},IF(PVNow>0,PVImproved/PVNow-1,"not shown: value now is not above 0"),"")', '+0.0%;-0.0%;0.0%'),
        (27, "Value of one new customer, now (Model A)", "ValueNow",
         f'=IF({ok},{_value_formula("RetentionNow")},"")', style.MONEY_CENTS),
        (28, "Value of one new customer, improved", "ValueImproved",
         f'=IF({ok},{_value_formula("RetentionImproved")},"")', style.MONEY_CENTS),
        (29, "Change in the value of a customer", "ValueDifference",
         f'=IF({ok},ValueImproved-ValueNow,"")', style.MONEY_CENTS),
        (30, "Uplift in the value of a customer", "ValueUplift",
         f'=IF({ok},IF(ValueNow>0,ValueImproved/ValueNow-1,"not shown: value now is not above 0"),"")', '+0.0%;-0.0%;0.0%'),
    ]
    for row, text, name, formula, fmt in results:
        style.label(ws[f"A{row}"], text, bold=row in (21, 25, 30))
        style.result_cell(ws[f"B{row}"], formula, fmt, bold=row in (21, 25, 30))
        _name(workbook, name, WHATIF_SHEET, f"B{row}")
    style.header(ws["A26"], "One customer: margin / (1 + discount - retention) - cost")
    ws.merge_cells("A26:B26")
    ws.conditional_formatting.add("B18", FormulaRule(formula=['InputProblem<>""'], font=style.MESSAGE,
                                                     fill=style.BAD_FILL))
    note = ws["A31"]
    note.value = ("Improvement in points adds to retention (80% + 5 points = 85%); relative multiplies "
                  "(80% x 1.05 = 84%). The '+5% retention = +25% to 95% profit' figure (Bain & Company) "
                  "was an arithmetic illustration: these numbers come from your own assumptions.")
    note.font, note.alignment = style.NOTE, style.WRAP
    ws.merge_cells("A31:B32")

    for i, text in enumerate(W_HEADERS):
        style.header(ws[f"{chr(ord(W_PERIOD) + i)}4"], text)
    ws.row_dimensions[4].height = 32
    for t in range(1, MAX_HORIZON + 1):
        r = 4 + t
        shown = f'${W_PERIOD}{r}=""'
        prev0 = "CustomersNow" if t == 1 else f"{W_CUST0}{r - 1}"
        prev1 = "CustomersNow" if t == 1 else f"{W_CUST1}{r - 1}"
        formulas = {
            W_PERIOD: f'=IF(AND({ok},{t}<=Horizon),{t},"")',
            # projection._customers: B_t = r * B_(t-1) + n, in this order
            W_CUST0: f'=IF({shown},"",RetentionNow*{prev0}+NewPerPeriod)',
            W_CUST1: f'=IF({shown},"",RetentionImproved*{prev1}+NewPerPeriod)',
            W_PROFIT0: f'=IF({shown},"",Margin*{W_CUST0}{r}-NewPerPeriod*AcquisitionCost-FixedCost)',
            W_PROFIT1: f'=IF({shown},"",Margin*{W_CUST1}{r}-NewPerPeriod*AcquisitionCost-FixedCost)',
            W_DIFF: f'=IF({shown},"",{W_PROFIT1}{r}-{W_PROFIT0}{r})',
            W_PV0: f'=IF({shown},"",{W_PROFIT0}{r}/(1+DiscountRate)^{W_PERIOD}{r})',
            W_PV1: f'=IF({shown},"",{W_PROFIT1}{r}/(1+DiscountRate)^{W_PERIOD}{r})',
            W_CHART0: f'=IF({shown},NA(),{W_PROFIT0}{r})',
            W_CHART1: f'=IF({shown},NA(),{W_PROFIT1}{r})',
        }
        for letter, formula in formulas.items():
            cell = ws[f"{letter}{r}"]
            cell.value = formula
            cell.font = style.BODY
            if letter not in (W_CHART0, W_CHART1):
                cell.border = style.BOX
                cell.number_format = {W_PERIOD: "0", W_CUST0: style.CUSTOMERS,
                                      W_CUST1: style.CUSTOMERS}.get(letter, style.MONEY)
                if t % 2 == 0:
                    cell.fill = style.BAND_FILL
    ws.column_dimensions[W_CHART0].hidden = True
    ws.column_dimensions[W_CHART1].hidden = True

    chart = _line_chart("Profit per period: now vs improved retention", "Profit", "$#,##0")
    last = 4 + MAX_HORIZON
    for letter, title, color in ((W_CHART0, "Profit now", "7F7F7F"), (W_CHART1, "Profit improved", "2E75B6")):
        column = column_index_from_string(letter)
        chart.add_data(Reference(ws, min_col=column, min_row=5, max_row=last), titles_from_data=False)
        series = chart.series[-1]
        series.tx = SeriesLabel(v=title)
        series.smooth = False
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 28000
        series.marker.symbol = "none"
    chart.set_categories(Reference(ws, min_col=column_index_from_string(W_PERIOD), min_row=5, max_row=last))
    chart.width = 15
    ws.add_chart(chart, "A34")

    style.widths(ws, {"A": 46, "B": 34, "C": 2, "D": 2, W_PERIOD: 8, W_CUST0: 13, W_CUST1: 13,
                      W_PROFIT0: 14, W_PROFIT1: 14, W_DIFF: 13, W_PV0: 14, W_PV1: 14})
    ws.column_dimensions["D"].hidden = True
    ws.freeze_panes = "A5"
    style.print_setup(ws, pages_tall=1)
    style.protect(ws)


def _improved_formula() -> str:
    """value._improved: retention + uplift or retention x (1 + uplift), exactly 1 or 0 where it
    equals them to 15 significant digits (0.43 + 0.57 is 1, refused, not 0.9999999999999999)."""
    def snapped(x: str, one_scale: str, zero: str, zero_scale: str) -> str:
        return (f"IF({_within_15_digits(f'{x}-1', one_scale)},1,"
                f"IF({_within_15_digits(zero, zero_scale)},0,{x}))")
    points = snapped("(RetentionNow+Uplift)", "MAX(ABS(RetentionNow),ABS(Uplift),1)",
                     "(RetentionNow+Uplift)", "MAX(ABS(RetentionNow),ABS(Uplift))")
    relative = snapped("(RetentionNow*(1+Uplift))", "MAX(ABS(RetentionNow*(1+Uplift)),1)",
                       "(1+Uplift)", "MAX(1,ABS(Uplift))")
    return f'IF(UpliftMode="relative",{relative},{points})'


def _value_formula(retention: str) -> str:
    """value._value: margin / (1 + discount - retention) - CAC, exactly 0 where the two terms
    agree to 15 significant digits."""
    worth = f"(Margin/(1+DiscountRate-{retention}))"
    return (f"IF({_within_15_digits(f'{worth}-AcquisitionCost', f'MAX(ABS({worth}),AcquisitionCost)')},"
            f"0,{worth}-AcquisitionCost)")


def _nested_rules(rules: list[tuple[str, str]]) -> str:
    formula = '""'
    for condition, sentence in reversed(rules):
        formula = f'IF({condition},"{sentence}",{formula})'
    return formula


# --------------------------------------------------------------------------- Instructions
def _instructions_sheet(ws, rows: int) -> None:
    ws["A1"].value, ws["A1"].font = "Customer retention template: how to use it", style.TITLE
    ws["A2"].value = "Works in Excel, LibreOffice or any spreadsheet: no add-in, no macros, no Python."
    ws["A2"].font = style.SUBTITLE
    blocks = [
        ("What to type", [
            f"Data sheet: one row per period (up to {rows} rows), oldest first. Type only in the yellow cells.",
            "Period: a label such as 2024-Q1 or Jan 2024 (optional).",
            "Customers at start: customers you had when the period began.",
            "Customers at end: customers you had when it ended, the new ones included.",
            "New customers: customers won during the period who are still customers at its end.",
            "Settings (right of the table): periods per year (4 for quarters, 12 for months), your industry, "
            "and how far below the benchmark is too far.",
        ]),
        ("What it computes", [
            "Retention = (customers at end - new customers) / customers at start: the share of the "
            "starting customers still with you. Churn = 100% - retention. Lost customers = start - (end - new).",
            "Summary: latest retention (also per year), average churn three ways (mean of the periods; pooled = "
            "all lost / all at start; geometric = the steady churn giving the same overall survival), the change "
            "vs the period before and vs a year earlier, and the benchmark alert.",
            "Benchmark alert: the industry's yearly retention (Benchmarks sheet) compared with your retention "
            "compounded to a year; the alert shows when you are too far below it for two straight quarters.",
            "What-if sheet: what a better retention is worth, for the whole business over a horizon "
            "(customers, profit, present value) and for one customer.",
        ]),
        ("When a row shows a message (Check column)", [
            "Leave a whole row empty when there is no data: nothing is shown for it.",
            "A blank cell in a filled row is an error, never read as 0: the message says which count is missing.",
            "Customers at start of 0: retention is undefined without customers at the start.",
            "Text, true/false or a negative number: each count must be a number of customers, 0 or more.",
            "New customers above customers at end: the end count includes the new customers, so it cannot be smaller.",
            "Customers at end minus new customers above customers at start: more customers were kept than there "
            "were; new customers is probably too small, or returning customers were counted as kept.",
            "Fractions are fine (averages are real inputs).",
            "Counts that agree to 15 significant digits are equal, as the spreadsheet shows them: 0.3 at start, "
            "0.4 at end and 0.1 new is exactly 100%, not a message about 0.4 - 0.1 being more than 0.3.",
        ]),
        ("Good to know", [
            "The formula is exact when new customers counts only those still there at the end. If you count every "
            "sign-up and some left within the period, retention looks worse than it is.",
            "Formula cells are locked against accidents (Review > Unprotect Sheet, no password). Do not insert rows "
            "inside the table: it is pre-sized.",
            f"Only the table's {rows} rows count: a number typed below the table is not computed here, and "
            "retention-xl report names its cell and refuses the file. For more periods make a bigger template "
            "(retention-xl template --rows 120) and paste your rows into it.",
            "Benchmarks are indicative (source and caveat on the Benchmarks sheet); type your own over them.",
            "Python users: retention-xl report filled.xlsx report.xlsx reads this file back and checks every cell.",
        ]),
    ]
    row = 4
    for title, lines in blocks:
        cell = ws.cell(row, 1, title)
        cell.font = style.SECTION
        row += 1
        for line in lines:
            ws.cell(row, 1, "•").font = style.BODY
            cell = ws.cell(row, 2, line)
            cell.font, cell.alignment = style.BODY, style.WRAP
            ws.row_dimensions[row].height = 15 * (1 + len(line) // 110)
            row += 1
        row += 1
    style.widths(ws, {"A": 3, "B": 120})
    style.print_setup(ws)
    style.protect(ws)


