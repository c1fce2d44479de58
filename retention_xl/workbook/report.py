"""A report workbook from a filled template or CSV: computed values and a chart picture.

Unlike the template, the report holds values, not formulas: it is what Python
computed (one core call per column), ready to mail. Period labels are the
user's text and are written so that they can never become formulas.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from ..periods import churn_averages, period_table
from . import style
from .reader import PeriodFile, read_period_file
from .safety import write_new_file, write_text

__all__ = ["write_report", "report_frame", "report_settings", "ReportSettings", "benchmark_verdict",
           "report_readout"]

_COLUMNS = (("Period", None), ("Customers at start", style.COUNT), ("Customers at end", style.COUNT),
            ("New customers", style.COUNT), ("Lost customers", style.COUNT),
            ("Retention", style.PERCENT), ("Churn", style.PERCENT))


def report_frame(periods, table=None):
    """The periods with ``lost``, ``retention`` and ``churn`` added, from the core's period table.

    ``table`` is :func:`retention_xl.period_table` of ``periods`` when the caller
    already has it (the report's readout does); otherwise it is computed here.
    """
    frame = periods.copy()
    if table is None:
        table = period_table(periods.reset_index(drop=True))
    for column in ("lost", "retention", "churn"):
        frame[column] = table[column].to_numpy()
    return frame


#: Where a setting comes from when it is not in the file and was not given.
NOT_IN_FILE = "not in the file"


@dataclass(frozen=True)
class ReportSettings:
    """The settings a report uses, each with where it came from.

    ``sources`` says, for ``periods_per_year``, ``industry``, ``benchmark`` and
    ``tolerance``, where each value was found: a place in the file ("the file's
    Settings (Data!K5)"), what the person gave instead (``given_by``: "the
    command line" for ``retention-xl report``), or ``"not in the file"``.
    """

    periods_per_year: float | None
    industry: str | None
    benchmark: float | None
    tolerance: float
    sources: dict

    def lines(self) -> list[tuple[str, str, str]]:
        """(setting, value, where it came from), in plain words, for the report and the terminal.

        Examples
        --------
        >>> settings = ReportSettings(12, None, None, 0.05, {
        ...     "periods_per_year": "the command line", "industry": "not in the file",
        ...     "benchmark": "not in the file", "tolerance": "not in the file"})
        >>> for setting, value, where in settings.lines():
        ...     print(f"{setting}: {value}, {where}")
        Periods per year: 12, from the command line
        Industry: none, not in the file
        Benchmark retention: none, as no industry is given
        Alert when below the benchmark by more than: 5 points, the default (not in the file)
        """
        def origin(key: str, missing: str) -> str:
            where = self.sources[key]
            return missing if where == NOT_IN_FILE else f"from {where}"

        ppy = "not known" if self.periods_per_year is None else f"{self.periods_per_year:g}"
        benchmark = "none" if self.benchmark is None else f"{self.benchmark * 100:.15g}% a year"
        return [("Periods per year", ppy, origin("periods_per_year", NOT_IN_FILE)),
                ("Industry", self.industry or "none", origin("industry", NOT_IN_FILE)),
                ("Benchmark retention", benchmark,
                 origin("benchmark", "as no industry is given" if self.industry is None else NOT_IN_FILE)),
                ("Alert when below the benchmark by more than", f"{self.tolerance * 100:.15g} points",
                 origin("tolerance", "the default (not in the file)"))]


def report_settings(file: PeriodFile, *, periods_per_year: float | None = None, industry: str | None = None,
                    tolerance: float | None = None, given_by: str = "the arguments given") -> ReportSettings:
    """The file's settings, with what the person gave instead (``None`` keeps the file's).

    ``given_by`` names where the given values come from ("the command line").
    """
    from ..industry import DEFAULT_TOLERANCE, benchmark_for

    sources = dict(file.sources)
    ppy = file.periods_per_year
    if periods_per_year is not None:
        ppy, sources["periods_per_year"] = periods_per_year, given_by
    chosen_industry, benchmark = file.industry, file.benchmark
    if industry is not None:
        chosen_industry, sources["industry"] = industry, given_by
        benchmark, sources["benchmark"] = benchmark_for(industry), "retention_xl's industry table"
    tol = file.tolerance
    if tolerance is not None:
        tol, sources["tolerance"] = tolerance, given_by
    if tol is None:
        tol, sources["tolerance"] = DEFAULT_TOLERANCE, NOT_IN_FILE
    for key in ("periods_per_year", "industry", "benchmark", "tolerance"):
        sources.setdefault(key, NOT_IN_FILE)
    return ReportSettings(ppy, chosen_industry, benchmark, tol, sources)


def benchmark_verdict(table, tolerance: float) -> str:
    """The template's alert cell, in the same words: ALERT now, earlier flags, or no alert."""
    alerts = table["alert"].to_numpy(dtype=bool)
    points = f"{tolerance * 100:.15g}"
    if alerts[-1]:
        return f"ALERT: over {points} pts below for two quarters: investigate"
    if alerts.any():
        return f"no alert now ({int(alerts.sum())} earlier flagged)"
    return "no alert"


def report_readout(source: str | os.PathLike, *, periods_per_year: float | None = None,
                   industry: str | None = None, tolerance: float | None = None,
                   given_by: str = "the arguments given"):
    """What a report says about a file, as the template would: settings, per-year rate, alert.

    Returns
    -------
    dict
        ``file`` (:class:`PeriodFile`), ``settings`` (:class:`ReportSettings`),
        ``table`` (the core's period table, with the benchmark columns when
        periods per year and a benchmark are known), ``latest_per_year`` (the
        latest retention compounded to a year, None without periods per year)
        and ``verdict`` (the template's alert words, None when not compared).
    """
    import retention_xl as rx

    file = read_period_file(source)
    settings = report_settings(file, periods_per_year=periods_per_year, industry=industry,
                               tolerance=tolerance, given_by=given_by)
    frame = file.periods.reset_index(drop=True)
    compare = settings.periods_per_year is not None and settings.benchmark is not None and len(frame)
    table = rx.period_table(frame, periods_per_year=settings.periods_per_year,
                            **(dict(benchmark=settings.benchmark, tolerance=settings.tolerance)
                               if compare else {})) if len(frame) else None
    latest = None
    if table is not None and settings.periods_per_year is not None:
        latest = float(table["annualised_retention"].iloc[-1])
    return {"file": file, "settings": settings, "table": table, "latest_per_year": latest,
            "verdict": benchmark_verdict(table, settings.tolerance) if compare else None}


def _chart_png(frame) -> bytes:
    """The retention line, drawn by :mod:`retention_xl.plots` (a Figure, no pyplot state)."""
    import pandas as pd

    from ..plots import figure_png, retention_trend_figure

    # labels are the user's text: cut to what a tick can show, so no label is drawn unbounded
    labels = [(str(p) if p is not None else str(i + 1))[:20] for i, p in enumerate(frame["period"])]
    shown = pd.DataFrame({"period": labels, "retention": frame["retention"].to_numpy(dtype=float)})
    return figure_png(retention_trend_figure(shown, title="Retention per period"))


def write_report(source: str | os.PathLike, output: str | os.PathLike, *,
                 overwrite: bool = False, periods_per_year: float | None = None,
                 industry: str | None = None, tolerance: float | None = None,
                 readout: dict | None = None) -> Path:
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
    periods_per_year, industry, tolerance : optional
        Instead of the file's own settings (a filled template carries all three;
        a CSV at most its period length, from its labels). Without periods per
        year or an industry the report has no benchmark comparison and says so.

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
    if readout is None:  # (the command line reads once and passes what it read)
        readout = report_readout(source, periods_per_year=periods_per_year, industry=industry,
                                 tolerance=tolerance)
    file, settings = readout["file"], readout["settings"]
    if file.periods.empty:
        from ..errors import Problem, RetentionInputError

        raise RetentionInputError(Problem("source", f"{source.name} has no filled rows yet",
                                          "fill in at least one period"))
    frame = report_frame(file.periods, readout["table"])
    compared = readout["table"] if readout["verdict"] is not None else None

    workbook = Workbook()
    ws = workbook.active
    ws.title = "Report"
    ws["A1"].value, ws["A1"].font = "Customer retention report", style.TITLE
    write_text(ws["A2"], f"Computed by retention_xl from {source.name}")
    ws["A2"].font = style.SUBTITLE
    header_row = 4
    for i, (text, _) in enumerate(_COLUMNS, start=1):
        style.header(ws.cell(header_row, i), text)
    columns = ["period", "start", "end", "new", "lost", "retention", "churn"]
    layout = list(_COLUMNS)
    if compared is not None:
        frame["compared_retention"] = compared["compared_retention"].to_numpy()
        frame["gap_to_benchmark"] = compared["gap_to_benchmark"].to_numpy()
        frame["alert_text"] = ["ALERT" if a else "" for a in compared["alert"].to_numpy(dtype=bool)]
        columns += ["compared_retention", "gap_to_benchmark", "alert_text"]
        layout += [("Per year, compared", style.PERCENT), ("Against benchmark", style.POINTS), ("Alert", None)]
        for i, (text, _) in enumerate(layout[len(_COLUMNS):], start=len(_COLUMNS) + 1):
            style.header(ws.cell(header_row, i), text)
    for offset, record in enumerate(frame[columns].itertuples(index=False)):
        r = header_row + 1 + offset
        for i, ((_, fmt), value) in enumerate(zip(layout, record), start=1):
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
        averages = churn_averages(frame)
        summary += [("Latest retention", float(frame["retention"].iloc[-1]), style.PERCENT)]
        summary += [(f"Average churn: {method}", float(averages[method]), style.PERCENT)
                    for method in ("mean", "pooled", "geometric")]
    if readout["latest_per_year"] is not None:
        summary.append(("Latest retention, per year", readout["latest_per_year"], style.PERCENT))
    if compared is not None:
        summary.append(("Benchmark alert (two straight quarters)", readout["verdict"], None))
    elif len(frame):
        missing = "periods per year" if settings.periods_per_year is None else "industry"
        summary.append(("Benchmark alert", f"not compared: the file gives no {missing} "
                                           "(retention-xl report --help)", None))
    first_column = "L" if compared is not None else "J"
    value_column = chr(ord(first_column) + 1)
    style.header(ws[f"{first_column}4"], "Summary")
    style.header(ws[f"{value_column}4"], "")
    row = 5
    for row, (text, value, fmt) in enumerate(summary, start=5):
        style.label(ws[f"{first_column}{row}"], text)
        cell = ws[f"{value_column}{row}"]
        if isinstance(value, str):
            write_text(cell, value)
        else:
            cell.value, cell.number_format = value, fmt
        cell.font, cell.fill = style.BOLD, style.RESULT_FILL
    row += 2
    style.header(ws[f"{first_column}{row}"], "Settings used")
    style.header(ws[f"{value_column}{row}"], "")
    style.header(ws[f"{chr(ord(value_column) + 1)}{row}"], "Where it came from")
    for row, (text, value, where) in enumerate(settings.lines(), start=row + 1):
        style.label(ws[f"{first_column}{row}"], text)
        write_text(ws[f"{value_column}{row}"], value)
        write_text(ws[f"{chr(ord(value_column) + 1)}{row}"], where)

    if len(frame):
        picture = Image(io.BytesIO(_chart_png(frame)))
        ws.add_image(picture, f"{first_column}{row + 2}")
    style.widths(ws, {"A": 14, "B": 13, "C": 13, "D": 13, "E": 12, "F": 11, "G": 11, "H": 12, "I": 12,
                      "J": 8, first_column: 34, value_column: 44, chr(ord(value_column) + 1): 40})
    ws.row_dimensions[header_row].height = 32  # two-line headers ("Customers at start")
    ws.freeze_panes = f"A{header_row + 1}"
    style.print_setup(ws, f"{header_row}:{header_row}")
    write_new_file(output, lambda temporary: workbook.save(temporary), overwrite=overwrite,
                   protect=(source,))
    return output
