"""The Excel functions: =RETENTION(A2,B2,C2) and friends, for xlwings.

One module serves both Python runtimes: the classic xlwings add-in (Windows
desktop Excel; name this module, ``retention_xl.excel.functions``, under "UDF
Modules") and xlwings Lite (the ``retention-xl excel`` command writes a
self-contained ``main.py`` that carries this very source).

Each function reads its cells (:mod:`retention_xl.excel.cells`: blanks, text,
booleans, error cells), calls the calculation core once and shapes the answer:
no formula is computed here. Arguments that accept a range take a column (or
any block) of cells and spill one result per cell, computed in one call.
Argument names are legal VBA parameter names, because the classic add-in turns
them into a VBA wrapper.
"""

from xlwings import arg, func

import numpy as np

import retention_xl as rx
from retention_xl.industry import quarter_window
from retention_xl.validation import is_blank
from retention_xl.excel import CATEGORY
from retention_xl.excel.cells import (CELL_ERRORS, call_once, evaluate, message, number_from_text,
                                      read_cells, read_choice)
from retention_xl.excel.cells import cell_location

# A range argument: always a list of rows (a single cell is [[x]]), error cells as "#N/A" text.
RANGE = {"ndim": 2, "err_to_str": True}
# A single-cell argument, error cells as text.
CELL = {"err_to_str": True}

START_DOC = "Customers at the start of the period: a cell or a column, one period per row."
END_DOC = "Customers at the end of the period, new customers included (a cell or a column)."
NEW_DOC = "New customers won during the period and still there at its end (a cell or a column)."
RETENTION_DOC = "Retention per period as a fraction or percentage, e.g. 92.5% (a cell or a column)."
CHURN_DOC = "Churn per period as a fraction or percentage, e.g. 7.5% (a cell or a column)."
PERIODS_DOC = "How many periods make the new one: 4 turns quarterly into annual, 1/12 annual into monthly."
MARGIN_DOC = "Margin earned from a customer in each period it stays, e.g. 100 (a cell or a column)."
DISCOUNT_DOC = "Optional. Discount rate per period, e.g. 10%. Blank or left out: 0."
CAC_DOC = "Optional. Cost of winning one new customer, e.g. 150. Blank or left out: 0."
UPLIFT_DOC = "Optional. Improvement in retention: 5% is +5 points (90% to 95%) or 5% more with mode relative. Default 5%."
MODE_DOC = 'Optional. "points" (default): retention + uplift; "relative": retention x (1 + uplift).'


@func(category=CATEGORY)
@arg("start_customers", doc=START_DOC, **RANGE)
@arg("end_customers", doc=END_DOC, **RANGE)
@arg("new_customers", doc=NEW_DOC, **RANGE)
def RETENTION(start_customers, end_customers, new_customers):
    """Share of the customers at the start of a period still there at its end: (end - new) / start. 107, 120, 21 give 92.5%. Give columns to get one rate per row."""
    return evaluate(rx.retention_rate, start=read_cells(start_customers, "start"),
                    end=read_cells(end_customers, "end"), new=read_cells(new_customers, "new"))


@func(category=CATEGORY)
@arg("start_customers", doc=START_DOC, **RANGE)
@arg("end_customers", doc=END_DOC, **RANGE)
@arg("new_customers", doc=NEW_DOC, **RANGE)
def CHURN(start_customers, end_customers, new_customers):
    """Share of the customers at the start of a period who left during it: 1 - retention. 107, 120, 21 give 7.5%. Give columns to get one rate per row."""
    return evaluate(rx.churn_rate, start=read_cells(start_customers, "start"),
                    end=read_cells(end_customers, "end"), new=read_cells(new_customers, "new"))


@func(category=CATEGORY)
@arg("start_customers", doc=START_DOC, **RANGE)
@arg("end_customers", doc=END_DOC, **RANGE)
@arg("new_customers", doc=NEW_DOC, **RANGE)
def LOST_CUSTOMERS(start_customers, end_customers, new_customers):
    """How many of the customers at the start of a period left during it: start - (end - new). 107, 120, 21 give 8. Give columns to get one count per row."""
    return evaluate(rx.lost_customers, start=read_cells(start_customers, "start"),
                    end=read_cells(end_customers, "end"), new=read_cells(new_customers, "new"))


@func(category=CATEGORY)
@arg("retention_rate", doc=RETENTION_DOC, **RANGE)
def CUSTOMER_LIFETIME(retention_rate):
    """Expected number of periods a customer stays: 1 / (1 - retention). 95% kept each month gives 20 months."""
    return evaluate(rx.customer_lifetime, retention=read_cells(retention_rate, "retention"))


@func(category=CATEGORY)
@arg("retention_rate", doc=RETENTION_DOC, **RANGE)
@arg("periods", doc=PERIODS_DOC, **RANGE)
def CONVERT_RETENTION(retention_rate, periods):
    """Retention over a different length of time: retention ^ periods. 95% a quarter is 81.45% a year (periods 4)."""
    return evaluate(rx.convert_retention, retention=read_cells(retention_rate, "retention"),
                    periods=read_cells(periods, "periods"))


@func(category=CATEGORY)
@arg("churn_rate", doc=CHURN_DOC, **RANGE)
@arg("periods", doc=PERIODS_DOC, **RANGE)
def CONVERT_CHURN(churn_rate, periods):
    """Churn over a different length of time: 1 - (1 - churn) ^ periods. 30% a year is 2.93% a month (periods 1/12), not 2.5%."""
    return evaluate(rx.convert_churn, churn=read_cells(churn_rate, "churn"),
                    periods=read_cells(periods, "periods"))


@func(category=CATEGORY)
@arg("margin", doc=MARGIN_DOC, **RANGE)
@arg("retention_rate", doc=RETENTION_DOC, **RANGE)
@arg("discount_rate", doc=DISCOUNT_DOC, **RANGE)
@arg("acquisition_cost", doc=CAC_DOC, **RANGE)
def CUSTOMER_VALUE(margin, retention_rate, discount_rate=0.0, acquisition_cost=0.0):
    """Present value of one new customer: margin / (1 + discount rate - retention) - acquisition cost. 100, 90%, 10%, 150 give 350."""
    return evaluate(rx.customer_value, margin=read_cells(margin, "margin"),
                    retention=read_cells(retention_rate, "retention"),
                    discount_rate=read_cells(discount_rate, "discount_rate", 0.0),
                    acquisition_cost=read_cells(acquisition_cost, "acquisition_cost", 0.0))


@func(category=CATEGORY)
@arg("margin", doc=MARGIN_DOC, **RANGE)
@arg("retention_rate", doc=RETENTION_DOC, **RANGE)
@arg("uplift", doc=UPLIFT_DOC, **RANGE)
@arg("discount_rate", doc=DISCOUNT_DOC, **RANGE)
@arg("acquisition_cost", doc=CAC_DOC, **RANGE)
@arg("mode", doc=MODE_DOC, **CELL)
def PROFIT_UPLIFT(margin, retention_rate, uplift=0.05, discount_rate=0.0, acquisition_cost=0.0,
                  mode="points"):
    """How much more a customer is worth when retention improves: value(better) / value(now) - 1. 100, 90%, +5 points, 10%, 150 give 47.6%. Illustrative, from your inputs."""
    return evaluate(rx.profit_uplift, margin=read_cells(margin, "margin"),
                    retention=read_cells(retention_rate, "retention"),
                    uplift=read_cells(uplift, "uplift", 0.05),
                    discount_rate=read_cells(discount_rate, "discount_rate", 0.0),
                    acquisition_cost=read_cells(acquisition_cost, "acquisition_cost", 0.0),
                    mode=read_choice(mode, "points"))


#: The header row PROFIT_PROJECTION spills above the table, in the core's column order.
PROJECTION_HEADER = ("Period", "Customers at today's retention", "Customers at improved retention",
                     "Extra customers", "Profit at today's retention", "Profit at improved retention",
                     "Extra profit")


@func(category=CATEGORY)
@arg("customers", doc="Customers now, e.g. 1000.", **CELL)
@arg("retention_rate", doc="Retention per period now, e.g. 80%.", **CELL)
@arg("new_customers", doc="New customers won each period, e.g. 200.", **CELL)
@arg("margin", doc="Margin per customer per period, e.g. 100.", **CELL)
@arg("periods", doc="Optional. Horizon in whole periods, 1 to 1200. Default 12.", **CELL)
@arg("uplift", doc=UPLIFT_DOC, **CELL)
@arg("mode", doc=MODE_DOC, **CELL)
@arg("acquisition_cost", doc=CAC_DOC, **CELL)
@arg("fixed_cost", doc="Optional. Fixed cost per period, e.g. 20000. Blank or left out: 0.", **CELL)
@arg("discount_rate", doc=DISCOUNT_DOC, **CELL)
def PROFIT_PROJECTION(customers, retention_rate, new_customers, margin, periods=12, uplift=0.05,
                      mode="points", acquisition_cost=0.0, fixed_cost=0.0, discount_rate=0.0):
    """Customers and profit period by period at today's retention and at a better one. Spills a table with a header row, one row per period. Illustrative, from your inputs."""
    result = call_once(
        rx.project_profit, customers=read_cells(customers, "customers"),
        retention=read_cells(retention_rate, "retention"),
        new_customers=read_cells(new_customers, "new_customers"), margin=read_cells(margin, "margin"),
        periods=read_cells(periods, "periods", 12), uplift=read_cells(uplift, "uplift", 0.05),
        mode=read_choice(mode, "points"),
        acquisition_cost=read_cells(acquisition_cost, "acquisition_cost", 0.0),
        fixed_cost=read_cells(fixed_cost, "fixed_cost", 0.0),
        discount_rate=read_cells(discount_rate, "discount_rate", 0.0))
    if isinstance(result, str):
        return result
    return [list(PROJECTION_HEADER)] + result.table.reset_index().to_numpy(dtype=float).tolist()


# --------------------------------------------------------------------------- several periods, logs
#: Header of the PERIOD_TABLE spill, one label per column of :func:`retention_xl.period_table`.
PERIOD_TABLE_HEADER = {
    "start": "Customers at start", "end": "Customers at end", "new": "New customers",
    "lost": "Lost customers", "retention": "Retention", "churn": "Churn",
    "change_vs_previous": "Change vs previous period", "change_vs_year_ago": "Change vs a year ago",
    "annualised_retention": "Retention per year", "benchmark": "Benchmark (yearly)",
    "compared_retention": "Quarter, per year", "gap_to_benchmark": "Gap to benchmark",
    "below_benchmark": "Too far below", "alert": "Alert (two quarters)",
}

#: Excel's day 0 (1900 date system; Excel's phantom 29 Feb 1900 is absorbed by starting on the 30th).
_EXCEL_EPOCH = "1899-12-30"


def _table_cells(table):
    """A DataFrame as rows for a spill: NaN as an empty cell, numbers as float, flags as TRUE/FALSE."""
    import math

    rows = []
    for row in table.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, (bool, np.bool_)):
                cells.append(bool(value))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("")
            else:
                cells.append(float(value))
        rows.append(cells)
    return rows


def _first_problem(cells_list):
    for cells in cells_list:
        if cells.problems:
            problem = cells.problems[0]
            where = f" in row {problem.position[0] + 1}" if problem.position else ""
            return message(problem, where)
    return None


def _core_message(error):
    problem = error.problems[0]
    where = f" in row {problem.label}" if problem.position is not None and problem.label is not None else ""
    return message(problem, where)


@func(category=CATEGORY)
@arg("start_customers", doc="Customers at the start of each period: a column, one period per row, oldest first.", **RANGE)
@arg("end_customers", doc="Customers at the end of each period, new customers included (a column).", **RANGE)
@arg("new_customers", doc="New customers won in each period and still there at its end (a column).", **RANGE)
@arg("periods_per_year", doc="Optional. 4 for quarters, 12 for months, 1 for years: adds the change vs a year ago and the retention per year.", **CELL)
@arg("benchmark", doc='Optional. A yearly benchmark (78%) or an industry name ("Retail"): adds the comparison and the two-quarters alert.', **CELL)
@arg("tolerance", doc="Optional. How far below the benchmark is too far. Default 5% (five points).", **CELL)
def PERIOD_TABLE(start_customers, end_customers, new_customers, periods_per_year=None, benchmark=None,
                 tolerance=0.05):
    """Retention period by period: lost, retention, churn, changes, retention per year and the benchmark alert. Spills a table with a header row, one row per period."""

    columns = [read_cells(start_customers, "start"), read_cells(end_customers, "end"),
               read_cells(new_customers, "new")]
    whole = [p for cells in columns for p in cells.problems if p.position is None]
    if whole:
        return message(whole[0])
    values = [cells.values.ravel() for cells in columns]
    if len({len(v) for v in values}) != 1:
        sizes = ", ".join(f"{len(v)}" for v in values)
        return message(rx.Problem("input", f"the three columns must have the same number of rows (got {sizes})"))
    ppy = read_cells(periods_per_year, "periods_per_year", None)
    tol = read_cells(tolerance, "tolerance", 0.05)
    bad = _first_problem([ppy, tol])
    if bad:
        return bad
    options = {"periods_per_year": None if ppy.values[()] is None else ppy.values[()],
               "tolerance": tol.values[()]}
    choice = read_choice(benchmark, None)
    if isinstance(choice, str) and choice.strip() in CELL_ERRORS:
        return message(rx.Problem("benchmark", f"benchmark comes from a cell showing {choice.strip()}",
                                  "fix that cell first", choice.strip()))
    if isinstance(choice, str) and number_from_text(choice) is None:
        options["industry"] = choice
    elif choice is not None:
        options["benchmark"] = number_from_text(choice) if isinstance(choice, str) else choice
    return _period_rows(values, columns, options)


#: How many earlier periods each column of the period table looks at (``window``: the alert's quarter).
def _lookback(column: str, ppy, window: int) -> int:
    return {"change_vs_previous": 1, "change_vs_year_ago": int(ppy or 0),
            "compared_retention": window - 1, "gap_to_benchmark": window - 1,
            "below_benchmark": window - 1, "alert": 2 * window - 1}.get(column, 0)


def _period_rows(values, columns, options):
    """The period table with good rows computed and each bad row holding its own message.

    Rows left blank at the bottom of the selection are ignored. A bad row never
    turns the whole table into one error; a good row's comparisons with earlier
    periods (changes, the alert) are left empty when they would reach a bad row,
    since the period they compare with is unknown.
    """
    import pandas as pd

    rows = len(values[0])
    blank = np.array([all(is_blank(v[i]) for v in values) for i in range(rows)], dtype=bool)
    while rows and blank[rows - 1]:
        rows -= 1
    messages = {}
    for cells in columns:  # error cells (#N/A...) first: their error wins
        for problem in cells.problems:
            if problem.position is not None and problem.position[0] < rows:
                messages.setdefault(problem.position[0], message(problem, f" in row {problem.position[0] + 1}"))
    table = None
    for _ in range(4):  # the core names every bad row at once; a few rounds always suffice
        good = [i for i in range(rows) if i not in messages]
        if not good:
            break
        frame = pd.DataFrame({"start": [values[0][i] for i in good], "end": [values[1][i] for i in good],
                              "new": [values[2][i] for i in good]}, index=pd.Index([i + 1 for i in good]))
        try:
            table = rx.period_table(frame, **options)
            break
        except rx.RetentionInputError as error:
            located = [p for p in error.problems if p.position is not None]
            if len(located) < len(error.problems):
                return _core_message(error)
            for problem in located:
                row = good[problem.position[0]]
                messages.setdefault(row, message(problem, f" in row {row + 1}"))
            table = None
    if table is None:
        return messages[min(messages)] if messages else message(rx.Problem(
            "input", "the selection holds no filled row", "select the rows of your periods"))
    header = [PERIOD_TABLE_HEADER[c] for c in table.columns]
    cells = dict(zip(table.index, _table_cells(table)))
    ppy = options.get("periods_per_year")
    window = quarter_window(ppy) if ppy else 1
    bad_rows = sorted(messages)
    out = [header]
    for i in range(rows):
        if i in messages:
            out.append([messages[i]] + [""] * (len(header) - 1))
            continue
        row = cells[i + 1]
        for c, column in enumerate(table.columns):
            reach = _lookback(column, ppy, window)
            if reach and any(i - reach <= b < i for b in bad_rows):
                row[c] = ""
        out.append(row)
    return out


@func(category=CATEGORY)
@arg("customer_ids", doc="The customer of each purchase: a column of ids (numbers or text), one purchase per row.", **RANGE)
@arg("purchase_dates", doc="The date of each purchase (a column of dates, the same length).", **RANGE)
@arg("period", doc='Optional. "month" (default), "day", "week", "quarter" or "year".', **CELL)
@arg("exclude_invalid", doc="Optional. TRUE leaves out rows without an id or a readable date; default FALSE: such rows are an error.", **CELL)
def COHORT_MATRIX(customer_ids, purchase_dates, period="month", exclude_invalid=False):
    """Share of each group of customers (by period of first purchase) buying again 0, 1, 2... periods later. Spills a table: cohort, customers, then one column per period. Counts customers exactly."""
    ids = [cell for row in customer_ids for cell in row]
    dates = [cell for row in purchase_dates for cell in row]
    parsed = _log_frame(ids, dates)
    if isinstance(parsed, str):
        return parsed
    analysis = _from_log("COHORT_MATRIX", rx.analyse_log, parsed, period, exclude_invalid)
    if isinstance(analysis, str):
        return analysis
    shares = analysis.cohort_matrix
    header = ["Cohort", "Customers"] + [float(c) for c in shares.columns]
    body = _table_cells(shares)
    sizes = analysis.cohort_counts[0].to_numpy()
    return [header] + [[str(label), float(size)] + row
                       for label, size, row in zip(shares.index, sizes, body)]


#: Excel's last date, 31 December 9999, as a serial number.
_EXCEL_LAST_SERIAL = 2958465


def _flag(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes")) \
        or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1)


def _log_frame(ids, dates, amounts=None):
    """The cells of a purchase log as a DataFrame indexed by row number (from 1), without the
    blank rows at the bottom; or the error text for the first bad cell."""
    import math

    import pandas as pd

    columns = {"customer id": ids, "purchase date": dates}
    if amounts is not None:
        columns["amount"] = amounts
    if len({len(v) for v in columns.values()}) != 1:
        sizes = " and ".join(str(len(v)) for v in columns.values())
        count = {2: "two", 3: "three"}[len(columns)]
        return message(rx.Problem("input", f"the {count} columns must have the same number of rows "
                                           f"(got {sizes})"))
    for name, cells in columns.items():
        for row, cell in enumerate(cells, start=1):
            if isinstance(cell, str) and cell.strip() in CELL_ERRORS:
                return message(rx.Problem(name, f"{name} comes from a cell showing {cell.strip()}",
                                          "fix that cell first", cell.strip()), f" in row {row}")

    blank = is_blank

    def as_date(cell, row):  # an Excel date serial number (Lite may send dates as numbers)
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            if not math.isfinite(cell) or not 1 <= cell <= _EXCEL_LAST_SERIAL:
                raise ValueError(message(rx.Problem(
                    "purchase date", f"purchase date {cell!r} is not an Excel date (1 for 1 January 1900 "
                    f"to {_EXCEL_LAST_SERIAL:,} for 31 December 9999)", "", "#NUM!"), f" in row {row}"))
            return pd.Timestamp(_EXCEL_EPOCH) + pd.Timedelta(days=float(cell))
        return cell

    cells = list(zip(*columns.values()))
    try:
        rows = [(i, row[0], as_date(row[1], i)) + tuple(row[2:]) for i, row in enumerate(cells, start=1)
                if not all(blank(c) for c in row)]  # the empty rows at the bottom of a range
    except ValueError as error:
        return str(error)
    if not rows:
        return message(rx.Problem("input", "the ranges hold no purchases"))
    frame = pd.DataFrame({"customer_id": pd.Series([r[1] for r in rows], dtype=object),
                          "date": pd.Series([r[2] for r in rows], dtype=object)})
    if amounts is not None:
        frame["amount"] = pd.Series([r[3] for r in rows], dtype=object)
    frame.index = pd.Index([r[0] for r in rows])
    return frame


def _from_log(name, core, frame, period, exclude_invalid):
    """The core's answer for a purchase log read from cells, or the cell message of its problem."""
    try:
        return core(frame, period=read_choice(period, "month"), exclude_invalid=_flag(exclude_invalid),
                    face="excel")
    except rx.RetentionInputError as error:
        return message(error.problems[0])
    except ImportError:
        return message(rx.Problem("input", f"{name} needs the pyarrow package",
                                  "add pyarrow to requirements.txt"))


#: Header of the REVENUE_RETENTION spill.
REVENUE_RETENTION_HEADER = ["Period", "Revenue", "Revenue of the period before",
                            "From the period before's customers", "Kept (capped)",
                            "Gross revenue retention", "Net revenue retention"]


@func(category=CATEGORY)
@arg("customer_ids", doc="The customer of each purchase: a column of ids (numbers or text), one purchase per row.", **RANGE)
@arg("purchase_dates", doc="The date of each purchase (a column of dates, the same length).", **RANGE)
@arg("amounts", doc="The amount of each purchase (a column of numbers, the same length).", **RANGE)
@arg("period", doc='Optional. "month" (default), "day", "week", "quarter" or "year".', **CELL)
@arg("exclude_invalid", doc="Optional. TRUE leaves out rows without an id, a readable date or an amount; default FALSE: such rows are an error.", **CELL)
def REVENUE_RETENTION(customer_ids, purchase_dates, amounts, period="month", exclude_invalid=False):
    """Gross and net revenue retention per period (GRR, NRR) from a list of purchases: revenue kept from the period before's customers (capped at what each spent, or not) over that period's revenue. Spills a table with a header row."""
    flat = [[cell for row in rng for cell in row] for rng in (customer_ids, purchase_dates, amounts)]
    parsed = _log_frame(*flat)
    if isinstance(parsed, str):
        return parsed
    table = _from_log("REVENUE_RETENTION", rx.revenue_retention, parsed, period, exclude_invalid)
    if isinstance(table, str):
        return table
    return [REVENUE_RETENTION_HEADER] + [[str(label)] + row for label, row in
                                         zip(table.index, _table_cells(table[list(rx.logs.REVENUE_COLUMNS)]))]


# --------------------------------------------------------------------------- the retention curve
ACTIVE_DOC = ("One group's customers at the start, then still active after each period (a column "
              "or a row, oldest first); or a cohort table, one row per group, blank where too young.")

#: Header of the RETENTION_FORECAST spill, one label per column of RetentionCurve.forecast.
FORECAST_HEADER = {
    "period": "Period", "observed_active": "Observed active", "fitted_active": "Fitted active",
    "projected_active": "Projected active", "survival": "Survival", "retention": "Retention",
    "observed_retention": "Observed retention", "constant_retention_active": "At constant retention",
}


def _fitted_curve(active):
    """The curve fitted to a range of counts, or the message of its first problem.

    A single column or row is one group; its empty cells at the end are the unused
    part of the range (as for COHORT_MATRIX). A block is a cohort table.
    """
    cells = read_cells(active, "active")
    shape = cells.values.shape
    if cells.problems:
        problem = cells.problems[0]
        return message(problem, cell_location(problem.position, shape) if problem.position else "")
    values = cells.values
    if len(shape) == 2 and 1 in shape:
        flat = list(values.ravel())
        while flat and is_blank(flat[-1]):
            flat.pop()
        values = np.array(flat, dtype=float if all(map(_plain_number, flat)) else object)
    elif len(shape) == 0:
        values = values[()]
    try:
        return rx.fit_retention_curve(values)
    except rx.RetentionInputError as error:
        problem = error.problems[0]
        if problem.position is None:
            return message(problem)
        position = problem.position
        if len(position) == 1:  # one group: back to the cell of the column or the row
            position = (position[0], 0) if shape[0] != 1 else (0, position[0])
        return message(problem, cell_location(position, shape))


def _plain_number(cell):
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


@func(category=CATEGORY)
@arg("active", doc=ACTIVE_DOC, **RANGE)
@arg("periods_ahead", doc="Optional. Periods to project beyond the last observed one. Default 12.", **CELL)
def RETENTION_FORECAST(active, periods_ahead=12):
    """Where a group of customers is heading: the retention curve fitted to its counts (Fader & Hardie), projected beside a constant rate. Spills a table with a header row."""
    curve = _fitted_curve(active)
    if isinstance(curve, str):
        return curve
    table = call_once(curve.forecast, periods_ahead=read_cells(periods_ahead, "periods_ahead", 12))
    if isinstance(table, str):
        return table
    return [[FORECAST_HEADER[c] for c in table.columns]] + _table_cells(table)


@func(category=CATEGORY)
@arg("active", doc=ACTIVE_DOC, **RANGE)
@arg("margin", doc=MARGIN_DOC, **RANGE)
@arg("discount_rate", doc=DISCOUNT_DOC, **RANGE)
@arg("acquisition_cost", doc=CAC_DOC, **RANGE)
def FORECAST_CUSTOMER_VALUE(active, margin, discount_rate=0.0, acquisition_cost=0.0):
    """Present value of one new customer under the group's fitted retention curve, which rises with tenure: margin x sum of survival / (1 + discount)^t - acquisition cost."""
    curve = _fitted_curve(active)
    if isinstance(curve, str):
        return curve
    return evaluate(curve.customer_value, margin=read_cells(margin, "margin"),
                    discount_rate=read_cells(discount_rate, "discount_rate", 0.0),
                    acquisition_cost=read_cells(acquisition_cost, "acquisition_cost", 0.0))
