"""Template workbooks: native formulas for staff without Python, read back and checked by Python.

- :func:`build_template` / :func:`write_template`: the template (``workbooks/retention_template.xlsx``).
- :func:`read_periods`: a filled template (or a CSV with its columns) as a checked DataFrame;
  :func:`read_period_file`: the same with the settings the file carries.
- :func:`write_report`: a new workbook with the computed values and a chart.
- :func:`write_log_report`: the workbook of a purchase log (Summary, Periods, Cohorts, Charts ...).
- :mod:`.safety`: what is refused in a stranger's file, and how files are written.

openpyxl, defusedxml and python-calamine are imported here only, never by ``import retention_xl``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .reader import PeriodFile, read_period_file, read_periods
from .log_report import write_log_report
from .report import write_report
from .safety import UnsafeWorkbookError, check_workbook_file, write_new_file, write_text
from .template import DEFAULT_ROWS, build_template

__all__ = ["build_template", "write_template", "read_periods", "read_period_file", "PeriodFile",
           "write_report", "write_log_report",
           "check_workbook_file", "write_text", "UnsafeWorkbookError", "TEMPLATE_PATH"]

#: The committed template, relative to the repository root.
TEMPLATE_PATH = Path("workbooks") / "retention_template.xlsx"


def write_template(path: str | os.PathLike = TEMPLATE_PATH, rows: int = DEFAULT_ROWS, *,
                   overwrite: bool = False, **options) -> Path:
    """Generate the template and save it to ``path`` (through a temporary file).

    Parameters
    ----------
    path : str or path, optional
        Where to save it (default ``workbooks/retention_template.xlsx``).
    rows : int, optional
        Periods the Data table holds (default 60).
    overwrite : bool, optional
        Replace an existing file. Default False.
    **options
        Passed to :func:`build_template` (``industry``, ``periods_per_year``).

    Returns
    -------
    Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from retention_xl.workbook import write_template
    >>> path = write_template(pathlib.Path(tempfile.mkdtemp()) / "template.xlsx")
    >>> path.stat().st_size > 10_000
    True
    """
    workbook = build_template(rows=rows, **options)
    return write_new_file(path, lambda temporary: workbook.save(temporary), overwrite=overwrite)
