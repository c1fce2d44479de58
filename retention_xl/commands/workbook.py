"""Workbook sub-commands: write the template, turn a filled template (or CSV) into a report."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "template", help="write the retention template workbook (.xlsx)",
        description="Write the template workbook: staff fill in counts per period, native formulas "
                    "compute retention, churn, averages, the benchmark alert and the what-if sheet.")
    p.add_argument("path", nargs="?", default="retention_template.xlsx",
                   help="where to write it (default retention_template.xlsx)")
    p.add_argument("--rows", type=_rows, default=60, help="periods the Data table holds (default 60)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=_template)

    p = subparsers.add_parser(
        "report", help="check a filled template (or CSV) and write a report workbook with a chart",
        description="Read a filled template (.xlsx) or a CSV with its columns, check every cell, and "
                    "write a new workbook with the computed values and a chart. Never writes over "
                    "the input.")
    p.add_argument("source", help="the filled template (.xlsx) or a CSV with its columns")
    p.add_argument("output", help="the report to write (.xlsx)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--periods-per-year", type=_positive_number, default=None,
                   help="4 for quarters, 12 for months, 1 for years (default: the file's Settings, "
                        "or its period labels)")
    p.add_argument("--industry", default=None,
                   help="benchmark industry (default: the file's Settings; see retention-xl example)")
    p.add_argument("--tolerance", type=_points, default=None,
                   help="alert when more than this many points below the benchmark, e.g. 5 or 5%% "
                        "(default: the file's Settings, else 5)")
    p.set_defaults(handler=_report)


def _positive_number(text: str) -> float:
    import argparse

    from ..typed_text import number_from_text

    number = number_from_text(text)
    if number is None or number <= 0 or text.strip().endswith("%"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of periods above 0 (4 for quarters, "
                                         "12 for months, 1 for years)")
    return number


def _points(text: str) -> float:
    import argparse

    from ..typed_text import points_from_text

    number = points_from_text(text)  # 5, 5% and 5 points: five points, as in the app's box
    if number is None or not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of points from 0 to 100 (5 means "
                                         "five percentage points)")
    return number / 100


def _rows(text: str) -> int:
    import argparse

    try:
        rows = int(text)
    except ValueError:
        rows = None
    if rows is None or not 1 <= rows <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of periods from 1 to 100000")
    return rows


def _template(args) -> int:
    from ..workbook import write_template

    path = write_template(args.path, rows=args.rows, overwrite=args.force)
    print(f"Wrote {path} ({args.rows} periods). Fill the yellow cells of the Data sheet.")
    return 0


def _report(args) -> int:
    from ..errors import RetentionInputError
    from ..workbook.report import report_readout, write_report

    overrides = dict(periods_per_year=args.periods_per_year, industry=args.industry,
                     tolerance=args.tolerance)
    try:
        readout = report_readout(args.source, **overrides, given_by="the command line")
        path = write_report(args.source, args.output, overwrite=args.force, readout=readout)
    except RetentionInputError as error:
        if len(error.problems) == 1:
            raise
        # every problem, one line each: the user fixes them all in one pass
        print(f"retention-xl: {len(error.problems)} problems in {args.source}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem.sentence()}", file=sys.stderr)
        return 2
    print(f"Wrote {path}: {len(readout['file'].periods)} periods, with a chart.")
    for text, value, where in readout["settings"].lines():
        print(f"  {text}: {value}, {where}")
    if readout["latest_per_year"] is not None:
        from .. import formatting as fmt

        print(f"  Latest retention, per year: {fmt.percent(readout['latest_per_year'])}")
    if readout["verdict"] is not None:
        print(f"  Benchmark alert: {readout['verdict']}")
    elif len(readout["file"].periods):
        print("  Benchmark alert: not compared: give --periods-per-year (4 quarters, 12 months, 1 years) "
              "and --industry" if readout["settings"].periods_per_year is None else
              "  Benchmark alert: not compared: give --industry")
    return 0
