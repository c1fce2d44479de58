"""A report workbook from a filled template or CSV: computed values and a chart picture.

Unlike the template, the report holds values, not formulas: it is what Python
computed (one core call per column), ready to mail. Period labels are the
user's text and are written so that they can never become formulas.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..rates import average_churn, churn_rate, lost_customers, retention_rate
from . import style
from .reader import read_periods
from .safety import write_new_file, write_text

__all__ = ["write_report", "report_frame"]

_COLUMNS = (("Period", None), ("Customers at start", style.COUNT), ("Customers at end", style.COUNT),
            ("New customers", style.COUNT), ("Lost customers", style.COUNT),
            ("Retention", style.PERCENT), ("Churn", style.PERCENT))


def report_frame(periods):
    """The periods with ``lost``, ``retention`` and ``churn`` added (one core call each)."""
    frame = periods.copy()
    counts = (frame["start"], frame["end"], frame["new"])
    frame["lost"] = lost_customers(*counts)
    frame["retention"] = retention_rate(*counts)
    frame["churn"] = churn_rate(*counts)
    return frame


def _chart_png(frame) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    labels = [str(p) if p is not None else str(i + 1) for i, p in enumerate(frame["period"])]
    figure, axis = plt.subplots(figsize=(8, 3.6), dpi=110)
    try:
        x = np.arange(len(frame))
        axis.plot(x, frame["retention"], color="#1F3864", linewidth=2, label="Retention")
        axis.plot(x, frame["churn"], color="#C00000", linewidth=1.5, linestyle="--", label="Churn")
        step = max(1, len(x) // 12)
        axis.set_xticks(x[::step], labels[::step], rotation=0, fontsize=8)
        axis.yaxis.set_major_formatter(PercentFormatter(1.0))
        axis.set_ylim(0, 1)
        axis.grid(axis="y", alpha=0.3)
        axis.set_title("Retention and churn per period")
        axis.legend(loc="lower left", frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def write_report(source: str | os.PathLike, output: str | os.PathLike, *,
                 overwrite: bool = False) -> Path:
    """Read ``source`` (filled template or CSV), compute, and write a new report workbook.

    Parameters
    ----------
    source : str or path
        The filled template (.xlsx) or a CSV with the template's columns.
    output : str or path
        The report to write (.xlsx). Never the input; an existing file is kept
        unless ``overwrite``.
    overwrite : bool, optional
        Replace an existing output file. Default False.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    RetentionInputError
        Every bad cell of the input, by address; or an output that exists or is the input.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from retention_xl.workbook import write_report
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "q.csv").write_text("Period,Customers at start,Customers at end,New customers\\n"
    ...                                   "Q1,107,120,21\\nQ2,120,130,20\\n")
    >>> write_report(folder / "q.csv", folder / "report.xlsx").name
    'report.xlsx'
    """
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image

    source, output = Path(source), Path(output)
    frame = report_frame(read_periods(source))
    counts = (frame["start"], frame["end"], frame["new"])

    workbook = Workbook()
    ws = workbook.active
    ws.title = "Report"
    ws["A1"].value, ws["A1"].font = "Customer retention report", style.TITLE
    write_text(ws["A2"], f"Computed by retention_xl from {source.name}")
    ws["A2"].font = style.SUBTITLE
    header_row = 4
    for i, (text, _) in enumerate(_COLUMNS, start=1):
        style.header(ws.cell(header_row, i), text)
    columns = ("period", "start", "end", "new", "lost", "retention", "churn")
    for offset, record in enumerate(frame[list(columns)].itertuples(index=False)):
        r = header_row + 1 + offset
        for i, ((_, fmt), value) in enumerate(zip(_COLUMNS, record), start=1):
            cell = ws.cell(r, i)
            if isinstance(value, str):
                write_text(cell, value)
            elif value is not None:
                cell.value = value if i == 1 else float(value)
            cell.font, cell.border = style.BODY, style.BOX
            if fmt:
                cell.number_format = fmt

    summary = [("Periods", float(len(frame)), "0")]
    if len(frame):
        summary += [
            ("Latest retention", float(frame["retention"].iloc[-1]), style.PERCENT),
            ("Average churn: mean", average_churn(*counts, method="mean"), style.PERCENT),
            ("Average churn: pooled", average_churn(*counts, method="pooled"), style.PERCENT),
            ("Average churn: geometric", average_churn(*counts, method="geometric"), style.PERCENT),
        ]
    style.header(ws["J4"], "Summary")
    style.header(ws["K4"], "")
    for row, (text, value, fmt) in enumerate(summary, start=5):
        style.label(ws[f"J{row}"], text)
        ws[f"K{row}"].value, ws[f"K{row}"].number_format = value, fmt
        ws[f"K{row}"].font, ws[f"K{row}"].fill = style.BOLD, style.RESULT_FILL

    if len(frame):
        picture = Image(io.BytesIO(_chart_png(frame)))
        ws.add_image(picture, "J12")
    style.widths(ws, {"A": 14, "B": 13, "C": 13, "D": 13, "E": 12, "F": 11, "G": 11, "J": 28, "K": 14})
    ws.freeze_panes = f"A{header_row + 1}"
    style.print_setup(ws, f"{header_row}:{header_row}")
    return write_new_file(output, lambda temporary: workbook.save(temporary), overwrite=overwrite,
                          protect=(source,))
