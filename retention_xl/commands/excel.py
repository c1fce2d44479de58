"""``retention-xl excel`` (set-up steps and the xlwings Lite files) and ``retention-xl excel-workbook``."""

from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "excel", help="how to use the Excel functions; writes the xlwings Lite files",
        description="Print the set-up steps for the Excel functions (classic xlwings add-in and "
                    "xlwings Lite) and write the self-contained main.py and requirements.txt "
                    "that xlwings Lite needs.")
    p.add_argument("--lite-folder", default="retention_xl_lite",
                   help="folder for main.py and requirements.txt (default: retention_xl_lite)")
    p.add_argument("--force", action="store_true", help="overwrite files that are already there")
    p.set_defaults(handler=_excel)

    p = subparsers.add_parser(
        "excel-workbook", help="write the example workbook for the classic xlwings add-in",
        description="Write the example workbook (xlwings.conf sheet and example formulas).")
    p.add_argument("path", nargs="?", default="workbooks/retention_functions.xlsx",
                   help="where to write it (default: workbooks/retention_functions.xlsx)")
    p.add_argument("--force", action="store_true", help="overwrite the file if it is already there")
    p.set_defaults(handler=_workbook)


def _excel(args) -> int:
    from ..excel.lite import write_lite_files
    from ..excel.instructions import steps_text

    print(steps_text(args.lite_folder))
    try:
        written = write_lite_files(Path(args.lite_folder), force=args.force)
    except FileExistsError as error:
        print(f"\nretention-xl: not written: {error}")
        return 2
    print("\nWrote " + " and ".join(str(path) for path in written) + ".")
    return 0


def _workbook(args) -> int:
    from ..excel.example_workbook import build_workbook
    from ..safe_write import write_new_file

    path = Path(args.path)
    if not path.parent.exists() and not path.parent.is_symlink():
        path.parent.mkdir(parents=True)
    # the one safe writer: a link at the path is refused, never followed
    write_new_file(path, lambda temporary: build_workbook().save(temporary), overwrite=args.force)
    print(f"Wrote {path}.")
    return 0
