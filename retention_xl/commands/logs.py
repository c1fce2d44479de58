"""Purchase log sub-command: from a list of purchases to a workbook of retention and cohorts.

    retention-xl log purchases.csv retention.xlsx --period month

reads the log (CSV or Parquet), counts exactly, and writes a new workbook with a
summary, the period table, the cohort matrix (with a colour scale) and two
charts; then prints a short summary. The workbook is written through a
temporary file and moved into place; an existing file is never replaced
unless ``--force`` is given, and the input never.
"""

from __future__ import annotations

import sys

#: Periods (and cohorts) a chart shows at most: the most recent ones.
CHART_PERIODS = 120


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "log", help="turn a purchase log (CSV or Parquet) into a workbook of retention and cohorts",
        description="Count customers exactly from a log of purchases (one row per purchase: customer "
                    "id, date, optionally amount) and write a workbook with the period table, the "
                    "cohort matrix and charts. Never writes over an existing file unless --force.")
    p.add_argument("log", help="the purchase log: a .csv file with a header line, or a .parquet file")
    p.add_argument("output", help="the workbook to write (.xlsx)")
    p.add_argument("--customer", default="customer_id", help="customer id column (default customer_id)")
    p.add_argument("--date", default="date", help="purchase date column (default date)")
    p.add_argument("--amount", default=None,
                   help="amount column: adds revenue retention (GRR, NRR) and average order value")
    p.add_argument("--order", default=None,
                   help="order id column: a purchase occasion is then one order (default: one customer-day)")
    p.add_argument("--date-format", default=None, metavar="FORMAT",
                   help="the form of text dates, e.g. %%d/%%m/%%Y for 04/03/2024 as 4 March (default: "
                        "read ISO and other plain forms, refuse a file that could be read two ways)")
    p.add_argument("--period", default="month", choices=["day", "week", "month", "quarter", "year"],
                   help="count by this period (default month)")
    p.add_argument("--exclude-invalid", action="store_true",
                   help="leave out rows without a customer id or a readable date (default: refuse)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--industry", help="compare with this industry's yearly benchmark")
    group.add_argument("--benchmark", type=float, help="compare with this yearly retention (0.78 for 78%%)")
    p.add_argument("--tolerance", type=float, default=0.05,
                   help="how far below the benchmark is too far (default 0.05: five points)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(handler=_log)


def _log(args) -> int:
    import pathlib

    import retention_xl as rx
    from retention_xl.periods import PERIODS_PER_YEAR, retention_trend

    output = pathlib.Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise rx.RetentionInputError(rx.Problem("output", f"the output {output} must end in .xlsx"))
    if output.exists() and not args.force:
        # said before the long work, not after it
        raise rx.RetentionInputError(rx.Problem(
            "output", f"{output} already exists", "choose another name, or ask to overwrite it (--force)"))
    with _progress(4) as bar:
        bar.set_description("reading the log")
        log = rx.read_log(args.log, args.customer, args.date, args.amount,
                          exclude_invalid=args.exclude_invalid, order=args.order,
                          date_format=args.date_format, face="cli")
        bar.update(1)
        bar.set_description("counting customers")
        analysis = rx.analyse_log(log, period=args.period)
        counts = analysis.counts
        ppy = PERIODS_PER_YEAR.get(args.period)  # none for days: no yearly benchmark compares
        if (args.industry or args.benchmark is not None) and ppy is None:
            raise rx.RetentionInputError(rx.Problem(
                "period", "daily retention cannot be compared with a yearly benchmark",
                "count by week, month or quarter (--period month)"))
        # the per-year column and the alert use the measured yearly retention, not a chain
        trend = retention_trend(counts["retention"], ppy, benchmark=args.benchmark,
                                industry=args.industry, tolerance=args.tolerance,
                                yearly=counts["yearly_retention"])
        table = counts.join(trend)
        revenue = None
        if args.amount:
            revenue = rx.revenue_retention(log, period=args.period)
            table = table.join(revenue[["gross_revenue_retention", "net_revenue_retention"]])
        bar.update(1)
        bar.set_description("purchase metrics")
        metrics = rx.purchase_metrics(log, amount=args.amount, order=args.order)
        summary = _summary(args, log, analysis, table, metrics)
        bar.update(1)
        bar.set_description("writing the workbook")
        path = _write_workbook(output, args, table, analysis.cohort_counts, analysis.cohort_matrix,
                               summary, force=args.force, revenue=revenue,
                               curve=(analysis.curve, analysis.curve_problem))
        bar.update(1)
    for label, value in summary:
        print(f"{label}: {value}")
    sheets = "Summary, Periods, Cohorts, " + ("Revenue, " if args.amount else "") + "Charts, Forecast"
    print(f"Wrote {path} ({sheets}).")
    return 0


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
    takes over half a second (a big log); it is cleared when done."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with the logs extra
        return _NoBar()
    return tqdm(total=steps, unit="step", file=sys.stderr, disable=None, delay=0.5, leave=False,
                ncols=80, bar_format="{desc}{n}/{total} steps {bar} {elapsed}")


def _summary(args, log, analysis, table, metrics) -> list[tuple[str, str]]:
    import retention_xl as rx

    from .. import formatting as fmt

    counts = analysis.counts
    name = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}[args.period]
    rows = [("Purchases", log.report.summary()),
            ("Customers", fmt.count(metrics["customers"])),
            ("Periods", f"{len(counts)} {name}s, {counts.index[0]} to {counts.index[-1]}")]
    with_start = counts[counts["start"] > 0]
    if len(with_start):
        # the core's pooled average; the log's exact "kept" count stands where end - new would
        start, kept = with_start["start"], with_start["retained"]
        pooled = 1 - rx.average_churn(start, kept, 0 * kept, method="pooled")
        last = with_start.iloc[-1]
        rows.append((f"Retention, last {name} with customers at start ({with_start.index[-1]})",
                     f"{fmt.percent(last['retention'])} ({fmt.count(last['retained'])} of "
                     f"{fmt.count(last['start'])} kept)"))
        rows.append((f"Retention, all {name}s together", f"{fmt.percent(pooled)} "
                     f"(all customers kept over all customers at start)"))
        reactivated = int(with_start["reactivated"].sum())
        if reactivated:
            formula = 1 - rx.average_churn(start, with_start["end"], with_start["new"], method="pooled")
            rows.append(("Reactivated customers", f"{fmt.count(reactivated)} came back after a gap; "
                         f"the (end - new) / start formula would count them as kept "
                         f"({fmt.percent(formula)} instead of {fmt.percent(pooled)})"))
    yearly = analysis.year_over_year
    if yearly and yearly["customers"]:
        (a, b), (c, d) = yearly["first_window"], yearly["second_window"]
        rows.append(("Yearly retention (measured)",
                     f"{fmt.percent(yearly['retention'])}: {fmt.count(yearly['retained'])} of the "
                     f"{fmt.count(yearly['customers'])} customers who bought from {a} to {b} bought "
                     f"again from {c} to {d}"))
    measured = counts["yearly_retention"].dropna()
    if len(measured):
        rows.append((f"Back within a year, customers of {measured.index[-1]}",
                     f"{fmt.percent(measured.iloc[-1])} ({fmt.count(counts.loc[measured.index[-1], 'returning_within_year'])}"
                     f" of {fmt.count(counts.loc[measured.index[-1], 'end'])}; the last {name} whose following "
                     f"year is in the log)"))
    if "alert" in table.columns:
        alerts = table.index[table["alert"].to_numpy(dtype=bool)]
        bench = float(table["benchmark"].iloc[0])
        rows.append(("Benchmark", f"{fmt.percent(bench)} a year"
                     + (f" ({args.industry})" if args.industry else "")
                     + " compared with the measured yearly retention"
                     + (f"; alert (more than {fmt.count(args.tolerance * 100)} points below for two "
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


# --------------------------------------------------------------------------- the workbook
PERIOD_HEADERS = [
    ("start", "Customers at start", "#,##0"), ("retained", "Retained", "#,##0"), ("new", "New", "#,##0"),
    ("reactivated", "Reactivated", "#,##0"), ("end", "Customers at end", "#,##0"),
    ("lost", "Lost", "#,##0"), ("retention", "Retention (exact)", "0.0%"), ("churn", "Churn", "0.0%"),
    ("formula_retention", "(End - new) / start", "0.0%"),
    ("change_vs_previous", "Change vs previous", '+0.0%" pts";-0.0%" pts";0.0%" pts"'),
    ("change_vs_year_ago", "Change vs a year ago", '+0.0%" pts";-0.0%" pts";0.0%" pts"'),
    ("returning_within_year", "Back within a year", "#,##0"),
    ("yearly_retention", "Retention per year (measured)", "0.0%"),
    ("annualised_retention", "Chained per year (assumes nobody comes back)", "0.0%"),
    ("benchmark", "Benchmark (yearly)", "0.0%"), ("compared_retention", "Compared with the benchmark", "0.0%"),
    ("gap_to_benchmark", "Gap to benchmark", '+0.0%" pts";-0.0%" pts";0.0%" pts"'),
    ("below_benchmark", "Too far below", None), ("alert", "Alert (two quarters)", None),
    ("gross_revenue_retention", "Gross revenue retention", "0.0%"),
    ("net_revenue_retention", "Net revenue retention", "0.0%"),
]
REVENUE_HEADERS = [
    ("revenue", "Revenue", "#,##0.00"), ("previous_revenue", "Revenue of the period before", "#,##0.00"),
    ("revenue_from_previous_customers", "From the period before's customers", "#,##0.00"),
    ("kept_revenue", "Kept (each capped at what it spent before)", "#,##0.00"),
    ("gross_revenue_retention", "Gross revenue retention (GRR)", "0.0%"),
    ("net_revenue_retention", "Net revenue retention (NRR)", "0.0%"),
]


def _write_workbook(output, args, table, cohort_counts, cohort_matrix, summary, force: bool,
                    revenue=None, curve=None):
    import io
    import math

    import numpy as np
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from .. import plots
    from ..workbook import style
    from ..workbook.safety import write_new_file, write_text

    def put(cell, value, number_format=None):
        if isinstance(value, str):
            write_text(cell, value)
        elif value is None or (isinstance(value, float) and not math.isfinite(value)):
            cell.value = None
        elif isinstance(value, (bool, np.bool_)):
            write_text(cell, "yes" if value else "")
        else:
            cell.value = value.item() if hasattr(value, "item") else value
        if number_format:
            cell.number_format = number_format
        cell.font = style.BODY
        return cell

    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    write_text(sheet["A1"], "Retention from a purchase log").font = style.TITLE
    write_text(sheet["A2"], f"Source: {args.log} (customer column {args.customer}, date column "
                            f"{args.date}), counted by {args.period}").font = style.SUBTITLE
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
    # printed (or saved as PDF) one page wide, landscape: long sentences wrap instead of spilling
    for printed in (sheet,):
        printed.page_setup.orientation = "landscape"
        printed.sheet_properties.pageSetUpPr.fitToPage = True
        printed.page_setup.fitToWidth = 1
        printed.page_setup.fitToHeight = 0

    periods = book.create_sheet("Periods")
    columns = [(key, head, form) for key, head, form in PERIOD_HEADERS if key in table.columns]
    style.header(periods.cell(1, 1), args.period.capitalize())
    for c, (_, head, _) in enumerate(columns, start=2):
        style.header(periods.cell(1, c), head)
    values = {key: table[key].to_numpy() for key, _, _ in columns}
    for r, label in enumerate(table.index, start=2):
        put(periods.cell(r, 1), str(label))
        for c, (key, _, form) in enumerate(columns, start=2):
            put(periods.cell(r, c), values[key][r - 2], form)
    periods.freeze_panes = "B2"
    periods.column_dimensions["A"].width = 24 if args.period in ("week", "day") else 12
    for c in range(2, len(columns) + 2):
        periods.column_dimensions[get_column_letter(c)].width = 14
    periods.row_dimensions[1].height = 60
    periods.page_setup.orientation = "landscape"
    periods.sheet_properties.pageSetUpPr.fitToPage = True
    periods.page_setup.fitToWidth = 1
    periods.page_setup.fitToHeight = 0

    cohorts = book.create_sheet("Cohorts")
    style.header(cohorts.cell(1, 1), "First purchase")
    style.header(cohorts.cell(1, 2), "Customers")
    ages = list(cohort_matrix.columns)
    for c, age in enumerate(ages, start=3):
        style.header(cohorts.cell(1, c), str(age))
    shares = cohort_matrix.to_numpy(dtype=float)
    sizes = cohort_counts[0].to_numpy()
    for r, label in enumerate(cohort_matrix.index):
        put(cohorts.cell(r + 2, 1), str(label))
        put(cohorts.cell(r + 2, 2), int(sizes[r]), "#,##0")
        for c, share in enumerate(shares[r]):
            if math.isfinite(share):
                put(cohorts.cell(r + 2, c + 3), float(share), "0%")
    if len(ages) and len(cohort_matrix):
        area = f"C2:{get_column_letter(len(ages) + 2)}{len(cohort_matrix) + 1}"
        cohorts.conditional_formatting.add(area, ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFFFF",
            end_type="num", end_value=1, end_color="FF5B9BD5"))
    write_text(cohorts.cell(len(cohort_matrix) + 3, 1),
               f"Share of each cohort (customers by {args.period} of first purchase) who bought again "
               f"0, 1, 2, ... {args.period}s later. Blank: not yet observed.").font = style.NOTE
    cohorts.freeze_panes = "C2"
    cohorts.column_dimensions["A"].width = 24 if args.period in ("week", "day") else 14
    cohorts.column_dimensions["B"].width = 11
    for c in range(3, len(ages) + 3):
        cohorts.column_dimensions[get_column_letter(c)].width = 6

    if revenue is not None:
        sheet = book.create_sheet("Revenue")
        style.header(sheet.cell(1, 1), args.period.capitalize())
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

    charts = book.create_sheet("Charts")
    # a chart draws one bar per period: the most recent CHART_PERIODS periods and cohorts, so that
    # a log of thirty years by day draws in a second, as one of a year does
    shown, matrix = table.iloc[-CHART_PERIODS:], cohort_matrix.iloc[-CHART_PERIODS:, :CHART_PERIODS]
    figures = [plots.log_activity_figure(shown), plots.cohort_heatmap_figure(matrix)]
    anchor_row = 1
    if len(shown) < len(table) or matrix.shape != cohort_matrix.shape:
        write_text(charts.cell(1, 12), f"The charts show the last {CHART_PERIODS} {args.period}s and the "
                   f"first {CHART_PERIODS} {args.period}s of the last {CHART_PERIODS} cohorts; the "
                   f"Periods and Cohorts sheets hold all of them.").font = style.NOTE
    for figure in figures:
        image = Image(io.BytesIO(plots.figure_png(figure)))
        charts.add_image(image, f"A{anchor_row}")
        anchor_row += math.ceil(image.height / 20) + 2

    if curve is not None:  # the retention curve over all cohorts
        from ..workbook.forecast_sheet import write_forecast_sheet

        write_forecast_sheet(book, *curve, args.period)

    def save(path):
        book.save(path)

    protect = (args.log,)
    return write_new_file(output, save, overwrite=force, protect=protect)
