"""The purchase-log workbook: from a list of purchases to sheets a manager can read.

:func:`write_log_report` reads a purchase log once, counts it with the core
(:func:`retention_xl.logs.analyse_log`, :func:`~retention_xl.logs.purchase_metrics`,
:func:`~retention_xl.logs.revenue_retention`, :func:`retention_xl.periods.retention_trend`)
and lays the results out on the sheets Summary, Periods, Cohorts, Revenue (with
an amount column), Charts and Forecast. It computes no metric itself: every
number on the sheets is a number the core returned. ``retention-xl log`` is this
function behind command-line arguments.

The workbook is written through :func:`retention_xl.safe_write.write_new_file`:
never over an existing file unless asked, never over the log it was made from,
never through a link, never half a file.
"""

from __future__ import annotations

import copy
import io
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem, RetentionInputError

__all__ = ["write_log_report", "LogWorkbook", "log_summary", "CHART_PERIODS", "PERIOD_HEADERS",
           "REVENUE_HEADERS"]

#: Periods (and cohorts) a chart shows at most: the most recent ones.
CHART_PERIODS = 120

_PERCENT, _COUNT, _MONEY = "0.0%", "#,##0", "#,##0.00"
_POINTS = '+0.0%" pts";-0.0%" pts";0.0%" pts"'
#: (column of the core's table, header on the Periods sheet, number format), in sheet order.
PERIOD_HEADERS = [
    ("start", "Customers at start", _COUNT), ("retained", "Retained", _COUNT), ("new", "New", _COUNT),
    ("reactivated", "Reactivated", _COUNT), ("end", "Customers at end", _COUNT),
    ("lost", "Lost", _COUNT), ("retention", "Retention (exact)", _PERCENT), ("churn", "Churn", _PERCENT),
    ("formula_retention", "(End - new) / start", _PERCENT),
    ("change_vs_previous", "Change vs previous", _POINTS),
    ("change_vs_year_ago", "Change vs a year ago", _POINTS),
    ("returning_within_year", "Back within a year", _COUNT),
    ("yearly_retention", "Retention per year (measured)", _PERCENT),
    ("annualised_retention", "Chained per year (assumes nobody comes back)", _PERCENT),
    ("benchmark", "Benchmark (yearly)", _PERCENT), ("compared_retention", "Compared with the benchmark", _PERCENT),
    ("gap_to_benchmark", "Gap to benchmark", _POINTS),
    ("below_benchmark", "Too far below", None), ("alert", "Alert (two quarters)", None),
    ("gross_revenue_retention", "Gross revenue retention", _PERCENT),
    ("net_revenue_retention", "Net revenue retention", _PERCENT),
]
#: The same for the Revenue sheet (columns of :func:`retention_xl.logs.revenue_retention`).
REVENUE_HEADERS = [
    ("revenue", "Revenue", _MONEY), ("previous_revenue", "Revenue of the period before", _MONEY),
    ("revenue_from_previous_customers", "From the period before's customers", _MONEY),
    ("kept_revenue", "Kept (each capped at what it spent before)", _MONEY),
    ("gross_revenue_retention", "Gross revenue retention (GRR)", _PERCENT),
    ("net_revenue_retention", "Net revenue retention (NRR)", _PERCENT),
]
#: How each face asks to overwrite (the sentence for an output that already exists).
_OVERWRITE_WORDS = {"python": "overwrite=True", "cli": "--force", "excel": "overwrite"}


@dataclass(frozen=True)
class LogWorkbook:
    """What :func:`write_log_report` wrote.

    Attributes
    ----------
    path : Path
        The workbook written.
    sheets : tuple of str
        Its sheet names, in order.
    summary : list of (str, str)
        The rows of the Summary sheet, (label, sentence): what the command prints.
    """

    path: Path
    sheets: tuple[str, ...]
    summary: list[tuple[str, str]]


def write_log_report(log: Any, output: str | os.PathLike, *, customer: str = "customer_id",
                     date: str = "date", amount: str | None = None, order: str | None = None,
                     date_format: str | None = None, period: str = "month", exclude_invalid: bool = False,
                     industry: str | None = None, benchmark: float | None = None, tolerance: float = 0.05,
                     overwrite: bool = False, progress: bool = False, face: str = "python") -> LogWorkbook:
    """Count a purchase log and write the workbook of its retention and cohorts.

    Parameters
    ----------
    log : DataFrame, str, path or PurchaseLog
        One row per purchase, as for :func:`retention_xl.read_log` (a CSV or
        Parquet file, a DataFrame, or a log already read).
    output : str or path
        The workbook to write (``.xlsx``). An existing file is kept unless
        ``overwrite``; the log's own file is never written over.
    customer, date, amount, order, date_format, exclude_invalid
        As for :func:`retention_xl.read_log`. With ``amount`` the workbook adds
        a Revenue sheet (gross and net revenue retention) and the average spend.
    period : {'day', 'week', 'month', 'quarter', 'year'}, optional
        Count by this period (default month).
    industry : str, optional
        Compare the measured yearly retention with this industry's benchmark.
    benchmark : float, optional
        Or with this yearly retention (0.78 for 78%). Not with ``industry``.
    tolerance : float, optional
        How far below the benchmark is too far (default 0.05: five points).
    overwrite : bool, optional
        Replace an existing file at ``output``. Default False.
    progress : bool, optional
        Show a progress bar on the terminal (stderr) when the work takes over
        half a second. Default False.
    face : {'python', 'cli', 'excel'}, optional
        Whose words the messages use for the options.

    Returns
    -------
    LogWorkbook
        The path written, its sheets, and the summary rows.

    Raises
    ------
    RetentionInputError
        A bad log (see :func:`retention_xl.read_log`), an output that exists or
        does not end in ``.xlsx``, a yearly benchmark with daily counts.

    Notes
    -----
    Every number comes from the core; the definitions are those of
    docs/methodology.md (sections 5 and 7) and docs/purchase_logs.md. The charts
    show the last :data:`CHART_PERIODS` periods and cohorts; the Periods and
    Cohorts sheets hold all of them.

    Examples
    --------
    Which share of January's customers bought again in February?

    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from retention_xl.workbook.log_report import write_log_report
    >>> purchases = pd.DataFrame({"customer_id": ["ann", "bob", "cy", "ann", "cy", "dee"],
    ...                           "date": ["2024-01-04", "2024-01-15", "2024-01-20",
    ...                                    "2024-02-02", "2024-02-11", "2024-02-28"]})
    >>> output = pathlib.Path(tempfile.mkdtemp()) / "retention.xlsx"
    >>> written = write_log_report(purchases, output)
    >>> written.sheets
    ('Summary', 'Periods', 'Cohorts', 'Charts', 'Forecast')
    >>> dict(written.summary)["Retention, all months together"]
    '66.7% (all customers kept over all customers at start)'
    >>> write_log_report(purchases, output)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_xl.errors.RetentionInputError: ...retention.xlsx already exists: choose another name, or ask to overwrite it (overwrite=True)
    """
    from .. import logs
    from ..periods import PERIODS_PER_YEAR, retention_trend

    output = Path(output)
    # said before the long work, not after it
    if output.suffix.lower() != ".xlsx":
        raise RetentionInputError(Problem("output", f"the output {output} must end in .xlsx"))
    if output.exists() and not overwrite:
        raise RetentionInputError(Problem(
            "output", f"{output} already exists",
            f"choose another name, or ask to overwrite it ({_OVERWRITE_WORDS.get(face, 'overwrite=True')})"))
    compared = industry is not None or benchmark is not None
    if compared and period in logs.PERIODS and PERIODS_PER_YEAR.get(period) is None:
        raise RetentionInputError(Problem(
            "period", "daily retention cannot be compared with a yearly benchmark",
            "count by week, month or quarter (--period month)" if face == "cli"
            else "count by week, month or quarter (period='month')"))
    with _progress(4 if progress else 0) as bar:
        bar.set_description("reading the log")
        read = logs.read_log(log, customer, date, amount, exclude_invalid=exclude_invalid, order=order,
                             date_format=date_format, face=face)
        bar.update(1)
        bar.set_description("counting customers")
        analysis = logs.analyse_log(read, period=period)
        counts = analysis.counts
        # the per-year column and the alert use the measured yearly retention, not a chain
        trend = retention_trend(counts["retention"], PERIODS_PER_YEAR.get(period), benchmark=benchmark,
                                industry=industry, tolerance=tolerance, yearly=counts["yearly_retention"])
        table = counts.join(trend)
        revenue = None
        if amount:
            revenue = logs.revenue_retention(read, period=period)
            table = table.join(revenue[["gross_revenue_retention", "net_revenue_retention"]])
        bar.update(1)
        bar.set_description("purchase metrics")
        metrics = logs.purchase_metrics(read, amount=amount, order=order)
        summary = log_summary(read, analysis, table, metrics, industry=industry, tolerance=tolerance)
        bar.update(1)
        bar.set_description("writing the workbook")
        source = str(log) if isinstance(log, (str, os.PathLike)) else f"a {type(log).__name__}"
        book = _build_workbook(source, read.names, period, table, analysis, summary, revenue)
        protect = (log,) if isinstance(log, (str, os.PathLike)) else ()
        from ..safe_write import write_new_file

        path = write_new_file(output, book.save, overwrite=overwrite, protect=protect)
        bar.update(1)
    return LogWorkbook(path=path, sheets=tuple(book.sheetnames), summary=summary)


class _NoBar:
    def update(self, _n=1):
        pass

    def set_description(self, _text):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _progress(steps: int):
    """A tqdm bar of the steps on stderr, shown only on a terminal and only when the work
    takes over half a second (a big log); it is cleared when done. No steps: no bar."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with the logs extra
        return _NoBar()
    if not steps:
        return _NoBar()
    return tqdm(total=steps, unit="step", file=sys.stderr, disable=None, delay=0.5, leave=False,
                ncols=80, bar_format="{desc}{n}/{total} steps {bar} {elapsed}")


def log_summary(log, analysis, table, metrics, *, industry: str | None = None,
                tolerance: float = 0.05) -> list[tuple[str, str]]:
    """The Summary sheet's rows, (label, sentence), from what the core computed.

    ``log`` is the :class:`~retention_xl.logs.PurchaseLog`, ``analysis`` its
    :class:`~retention_xl.logs.LogAnalysis`, ``table`` the counts joined with
    :func:`~retention_xl.periods.retention_trend` (and revenue retention),
    ``metrics`` :func:`~retention_xl.logs.purchase_metrics`.
    """
    from .. import formatting as fmt
    from ..rates import average_churn

    counts = analysis.counts
    name = analysis.period
    rows = [("Purchases", log.report.summary()),
            ("Customers", fmt.count(metrics["customers"])),
            ("Periods", f"{len(counts)} {name}s, {counts.index[0]} to {counts.index[-1]}")]
    with_start = counts[counts["start"] > 0]
    if len(with_start):
        # the core's pooled average; the log's exact "kept" count stands where end - new would
        start, kept = with_start["start"], with_start["retained"]
        pooled = 1 - average_churn(start, kept, 0 * kept, method="pooled")
        last = with_start.iloc[-1]
        rows.append((f"Retention, last {name} with customers at start ({with_start.index[-1]})",
                     f"{fmt.percent(last['retention'])} ({fmt.count(last['retained'])} of "
                     f"{fmt.count(last['start'])} kept)"))
        rows.append((f"Retention, all {name}s together", f"{fmt.percent(pooled)} "
                     f"(all customers kept over all customers at start)"))
        reactivated = int(with_start["reactivated"].sum())
        if reactivated:
            said = (f"{fmt.count(reactivated)} came back after a gap; the (end - new) / start formula "
                    f"would count them as kept")
            try:
                formula = 1 - average_churn(start, with_start["end"], with_start["new"], method="pooled")
                said += f" ({fmt.percent(formula)} instead of {fmt.percent(pooled)})"
            except RetentionInputError:  # end - new above start: the three counts cannot hold it
                said += f", in some {name}s more customers than there were at the start"
            rows.append(("Reactivated customers", said))
    yearly = analysis.year_over_year
    if yearly and yearly["customers"]:
        (a, b), (c, d) = yearly["first_window"], yearly["second_window"]
        rows.append(("Yearly retention (measured)",
                     f"{fmt.percent(yearly['retention'])}: {fmt.count(yearly['retained'])} of the "
                     f"{fmt.count(yearly['customers'])} customers who bought from {a} to {b} bought "
                     f"again from {c} to {d}"))
    measured = counts["yearly_retention"].dropna()
    if len(measured):
        label = measured.index[-1]
        rows.append((f"Back within a year, customers of {label}",
                     f"{fmt.percent(measured.iloc[-1])} ({fmt.count(counts.loc[label, 'returning_within_year'])}"
                     f" of {fmt.count(counts.loc[label, 'end'])}; the last {name} whose following "
                     f"year is in the log)"))
    if "alert" in table.columns:
        alerts = table.index[table["alert"].to_numpy(dtype=bool)]
        bench = float(table["benchmark"].iloc[0])
        rows.append(("Benchmark", f"{fmt.percent(bench)} a year"
                     + (f" ({industry})" if industry else "")
                     + " compared with the measured yearly retention"
                     + (f"; alert (more than {fmt.count(tolerance * 100)} points below for two "
                        f"straight quarters) in {len(alerts)} {name}s, last {alerts[-1]}" if len(alerts)
                        else "; no alert")))
    if "net_revenue_retention" in table.columns:
        last = table[["gross_revenue_retention", "net_revenue_retention"]].dropna()
        if len(last):
            rows.append((f"Revenue retention, {last.index[-1]}",
                         f"gross {fmt.percent(last['gross_revenue_retention'].iloc[-1])}, net "
                         f"{fmt.percent(last['net_revenue_retention'].iloc[-1])} (of the revenue of the "
                         f"{name} before, from the same customers)"))
    occasion = "order" if metrics.attrs.get("occasion") == "order" else "day"
    rows.append(("Repeat customers", f"{fmt.percent(metrics['repeat_customer_rate'])} bought on more than "
                 f"one {occasion} ({fmt.count(metrics['repeat_customers'])} of {fmt.count(metrics['customers'])})"))
    rows.append((f"Purchase {occasion}s per customer", fmt.count(metrics["purchase_frequency"], 2)))
    if "average_order_value" in metrics.index:
        rows.append((f"Average spend per purchase {occasion}", fmt.money(metrics["average_order_value"], decimals=2)))
    for note in log.report.notes():
        rows.append(("Note", note))
    return rows


# --------------------------------------------------------------------------- the sheets
def _writer(book):
    """``put(cell, value, number_format=None)`` for ``book``: text never becomes a formula, NaN
    leaves the cell blank, True is "yes"; the body font and the number format come as one named
    style, registered once per format (set cell by cell, a font and a format cost a hash each,
    and a 30-year daily log has 170,000 cells)."""
    import numpy as np
    from openpyxl.styles import NamedStyle

    from . import style
    from .safety import write_text

    looks: dict = {}  # number format -> the style of the first cell given it, copied to the others

    def put(cell, value, number_format=None):
        look = looks.get(number_format)
        if look is None:
            name = f"retention_xl {number_format or 'General'}"
            if name not in book.named_styles:
                book.add_named_style(NamedStyle(name=name, font=style.BODY,
                                                number_format=number_format or "General"))
            cell.style = name
            looks[number_format] = copy.copy(cell._style)
        else:  # the same style, without looking the name up again (5x faster a cell)
            cell._style = copy.copy(look)
        if isinstance(value, str):
            write_text(cell, value)
        elif value is None or (isinstance(value, float) and not math.isfinite(value)):
            cell.value = None
        elif isinstance(value, (bool, np.bool_)):
            write_text(cell, "yes" if value else "")
        else:
            cell.value = value.item() if hasattr(value, "item") else value
        return cell

    return put


def _fit_to_page_width(sheet) -> None:
    """Printed (or saved as PDF) one page wide, landscape: long rows wrap instead of spilling."""
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def _build_workbook(source: str, names: dict, period: str, table, analysis, summary, revenue):
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book.active, source, names, period, summary)
    _periods_sheet(book.create_sheet("Periods"), period, table)
    _cohorts_sheet(book.create_sheet("Cohorts"), period, analysis.cohort_counts, analysis.cohort_matrix)
    if revenue is not None:
        _revenue_sheet(book.create_sheet("Revenue"), period, revenue)
    _charts_sheet(book.create_sheet("Charts"), period, table, analysis.cohort_matrix)
    from .forecast_sheet import write_forecast_sheet  # the retention curve over all cohorts

    write_forecast_sheet(book, analysis.curve, analysis.curve_problem, period)
    return book


def _summary_sheet(sheet, source, names, period, summary) -> None:
    from openpyxl.styles import Alignment

    from . import style
    from .safety import write_text

    put = _writer(sheet.parent)

    sheet.title = "Summary"
    write_text(sheet["A1"], "Retention from a purchase log").font = style.TITLE
    write_text(sheet["A2"], f"Source: {source} (customer column {names['customer']}, date column "
                            f"{names['date']}), counted by {period}").font = style.SUBTITLE
    for row, (label, value) in enumerate(summary, start=4):
        put(sheet.cell(row, 1), label).font = style.BOLD
        put(sheet.cell(row, 2), value)
    note = len(summary) + 5
    write_text(sheet.cell(note, 1), "A customer is active in a period when it bought in it. Retention = "
               "customers active in the period and the one before / customers active in the one before. "
               "Reactivated customers (back after a gap) are not counted as kept. Retention per year "
               "(measured) = share of a period's customers who bought again within the following year; "
               "the chained figure multiplies period retentions, as if nobody ever came back.").font = style.NOTE
    sheet.column_dimensions["A"].width = 46
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_row=4, max_row=note, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row[0].row, 1).alignment = Alignment(vertical="top")
        lines = math.ceil(len(str(row[0].value or "")) / 95)  # about 95 characters a line at width 90
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = 15 * lines
    sheet.cell(note, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=note, start_column=1, end_row=note, end_column=2)
    sheet.row_dimensions[note].height = 48
    _fit_to_page_width(sheet)


def _periods_sheet(sheet, period, table) -> None:
    from openpyxl.utils import get_column_letter

    from . import style

    put = _writer(sheet.parent)

    columns = [(key, head, form) for key, head, form in PERIOD_HEADERS if key in table.columns]
    style.header(sheet.cell(1, 1), period.capitalize())
    for c, (_, head, _) in enumerate(columns, start=2):
        style.header(sheet.cell(1, c), head)
    values = {key: table[key].to_numpy() for key, _, _ in columns}
    for r, label in enumerate(table.index, start=2):
        put(sheet.cell(r, 1), str(label))
        for c, (key, _, form) in enumerate(columns, start=2):
            put(sheet.cell(r, c), values[key][r - 2], form)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 24 if period in ("week", "day") else 12
    for c in range(2, len(columns) + 2):
        sheet.column_dimensions[get_column_letter(c)].width = 14
    sheet.row_dimensions[1].height = 60
    _fit_to_page_width(sheet)


def _cohorts_sheet(sheet, period, cohort_counts, cohort_matrix) -> None:
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    from . import style
    from .safety import write_text

    put = _writer(sheet.parent)

    style.header(sheet.cell(1, 1), "First purchase")
    style.header(sheet.cell(1, 2), "Customers")
    ages = list(cohort_matrix.columns)
    for c, age in enumerate(ages, start=3):  # styled as the "Customers" header (a copy: fast)
        cell = sheet.cell(1, c)
        cell.value, cell._style = str(age), copy.copy(sheet.cell(1, 2)._style)
    shares = cohort_matrix.to_numpy(dtype=float)
    sizes = cohort_counts[0].to_numpy()
    for r, label in enumerate(cohort_matrix.index):
        put(sheet.cell(r + 2, 1), str(label))
        put(sheet.cell(r + 2, 2), int(sizes[r]), _COUNT)
        for c, share in enumerate(shares[r]):
            if math.isfinite(share):
                put(sheet.cell(r + 2, c + 3), float(share), "0%")
    if len(ages) and len(cohort_matrix):
        area = f"C2:{get_column_letter(len(ages) + 2)}{len(cohort_matrix) + 1}"
        sheet.conditional_formatting.add(area, ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFFFF",
            end_type="num", end_value=1, end_color="FF5B9BD5"))
    write_text(sheet.cell(len(cohort_matrix) + 3, 1),
               f"Share of each cohort (customers by {period} of first purchase) who bought again "
               f"0, 1, 2, ... {period}s later. Blank: not yet observed.").font = style.NOTE
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 24 if period in ("week", "day") else 14
    sheet.column_dimensions["B"].width = 11
    for c in range(3, len(ages) + 3):
        sheet.column_dimensions[get_column_letter(c)].width = 6


def _revenue_sheet(sheet, period, revenue) -> None:
    from openpyxl.utils import get_column_letter

    from . import style
    from .safety import write_text

    put = _writer(sheet.parent)

    style.header(sheet.cell(1, 1), period.capitalize())
    for c, (_, head, _) in enumerate(REVENUE_HEADERS, start=2):
        style.header(sheet.cell(1, c), head)
        sheet.column_dimensions[get_column_letter(c)].width = 18
    for r, label in enumerate(revenue.index, start=2):
        put(sheet.cell(r, 1), str(label))
        for c, (key, _, form) in enumerate(REVENUE_HEADERS, start=2):
            put(sheet.cell(r, c), revenue[key].iloc[r - 2], form)
    write_text(sheet.cell(len(revenue) + 3, 1),
               "GRR: revenue kept from the customers of the period before, each capped at what it spent "
               "then, over that period's revenue. NRR: the same without the cap (upsell counts). New "
               "customers count in neither.").font = style.NOTE
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 45


def _charts_sheet(sheet, period, table, cohort_matrix) -> None:
    from openpyxl.drawing.image import Image

    from .. import plots
    from . import style
    from .safety import write_text

    # a chart draws one bar per period: the most recent CHART_PERIODS periods and cohorts, so that
    # a log of thirty years by day draws in a second, as one of a year does
    shown, matrix = table.iloc[-CHART_PERIODS:], cohort_matrix.iloc[-CHART_PERIODS:, :CHART_PERIODS]
    if len(shown) < len(table) or matrix.shape != cohort_matrix.shape:
        write_text(sheet.cell(1, 12), f"The charts show the last {CHART_PERIODS} {period}s and the "
                   f"first {CHART_PERIODS} {period}s of the last {CHART_PERIODS} cohorts; the "
                   f"Periods and Cohorts sheets hold all of them.").font = style.NOTE
    anchor_row = 1
    for figure in (plots.log_activity_figure(shown), plots.cohort_heatmap_figure(matrix)):
        image = Image(io.BytesIO(plots.figure_png(figure)))
        sheet.add_image(image, f"A{anchor_row}")
        anchor_row += math.ceil(image.height / 20) + 2
