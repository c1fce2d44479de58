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
    p.add_argument("--rows", type=int, default=60, help="periods the Data table holds (default 60)")
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
    p.set_defaults(handler=_report)


def _template(args) -> int:
    from ..workbook import write_template

    path = write_template(args.path, rows=args.rows, overwrite=args.force)
    print(f"Wrote {path} ({args.rows} periods). Fill the yellow cells of the Data sheet.")
    return 0


def _report(args) -> int:
    from ..errors import RetentionInputError
    from ..workbook import read_periods, write_report

    try:
        path = write_report(args.source, args.output, overwrite=args.force)
    except RetentionInputError as error:
        if len(error.problems) == 1:
            raise
        # every problem, one line each: the user fixes them all in one pass
        print(f"retention-xl: {len(error.problems)} problems in {args.source}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem.sentence()}", file=sys.stderr)
        return 2
    periods = len(read_periods(args.source))
    print(f"Wrote {path}: {periods} periods, with a chart.")
    return 0
