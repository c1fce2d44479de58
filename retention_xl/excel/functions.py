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

import retention_xl as rx
from retention_xl.excel import CATEGORY
from retention_xl.excel.cells import call_once, evaluate, read_cells, read_choice

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

