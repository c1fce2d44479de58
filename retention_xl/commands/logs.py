"""Purchase log sub-command: from a list of purchases to a workbook of retention and cohorts.

    retention-xl log purchases.csv retention.xlsx --period month

parses the arguments and calls :func:`retention_xl.workbook.log_report.write_log_report`,
which reads the log (CSV or Parquet), counts exactly and writes the workbook (an
existing file is never replaced unless ``--force`` is given, and the input never);
then prints the summary.
"""

from __future__ import annotations


#: The log's columns, as ``--NAME``: (name, default, what it is).
COLUMN_OPTIONS = [
    ("customer", "customer_id", "customer id column (default customer_id)"),
    ("date", "date", "purchase date column (default date)"),
    ("amount", None, "amount column: adds revenue retention (GRR, NRR) and average order value"),
    ("order", None, "order id column: a purchase occasion is then one order (default: one customer-day)"),
]


def register(subparsers) -> None:
    p = subparsers.add_parser("log", help="turn a purchase log (CSV or Parquet) into a workbook of retention "
                                          "and cohorts", description=(
        "Count customers exactly from a log of purchases (one row per purchase: customer id, date, "
        "optionally amount) and write a workbook with the period table, the cohort matrix and charts. "
        "Never writes over an existing file unless --force."))
    p.add_argument("log", help="the purchase log: a .csv file with a header line, or a .parquet file")
    p.add_argument("output", help="the workbook to write (.xlsx)")
    reading = p.add_argument_group("reading the log")
    for name, default, text in COLUMN_OPTIONS:
        reading.add_argument(f"--{name}", default=default, help=text)
    reading.add_argument("--date-format", default=None, metavar="FORMAT",
                         help="the form of text dates, e.g. %%d/%%m/%%Y for 04/03/2024 as 4 March (default: "
                              "read ISO and other plain forms, refuse a file that could be read two ways)")
    reading.add_argument("--exclude-invalid", action="store_true",
                         help="leave out rows without a customer id or a readable date (default: refuse)")
    counting = p.add_argument_group("counting and comparing")
    counting.add_argument("--period", default="month", choices=["day", "week", "month", "quarter", "year"],
                          help="count by this period (default month)")
    benchmark = counting.add_mutually_exclusive_group()
    benchmark.add_argument("--industry", help="compare with this industry's yearly benchmark")
    benchmark.add_argument("--benchmark", type=float, help="compare with this yearly retention (0.78 for 78%%)")
    counting.add_argument("--tolerance", type=float, default=0.05,
                          help="how far below the benchmark is too far (default 0.05: five points)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(handler=_log)


def _log(args) -> int:
    from ..workbook.log_report import write_log_report

    options = {name: getattr(args, name) for name, _, _ in COLUMN_OPTIONS}
    written = write_log_report(
        args.log, args.output, **options, date_format=args.date_format, exclude_invalid=args.exclude_invalid,
        period=args.period, industry=args.industry, benchmark=args.benchmark, tolerance=args.tolerance,
        overwrite=args.force, progress=True, face="cli")
    for label, value in written.summary:
        print(f"{label}: {value}")
    print(f"Wrote {written.path} ({', '.join(written.sheets)}).")
    return 0
