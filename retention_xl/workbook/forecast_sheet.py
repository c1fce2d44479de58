"""The Forecast sheet of the purchase-log workbook: the retention curve over all cohorts.

Numbers come from :meth:`retention_xl.RetentionCurve.forecast`; this only lays
them out, with the chart of :func:`retention_xl.plots.retention_curve_figure`.
"""

from __future__ import annotations

import io
import math

from . import style
from .safety import write_text

#: Periods projected beyond the oldest cohort's last period.
PERIODS_AHEAD = 12

#: (forecast column, header, number format), in the order of the sheet.
FORECAST_COLUMNS = [
    ("observed_active", "Observed still customers", "#,##0"),
    ("fitted_active", "Curve (fitted)", "#,##0.0"),
    ("projected_active", "Curve (projected)", "#,##0.0"),
    ("constant_retention_active", "At constant retention", "#,##0.0"),
    ("survival", "Survival", "0.0%"),
    ("retention", "Retention (curve)", "0.0%"),
    ("observed_retention", "Retention (observed)", "0.0%"),
]


def write_forecast_sheet(book, curve, problem: str, period: str):
    """Add the sheet "Forecast" to ``book``: the curve's table and chart, or why there is none."""
    from openpyxl.drawing.image import Image

    from .. import plots

    sheet = book.create_sheet("Forecast")
    write_text(sheet["A1"], "Where are the customers heading? The retention curve").font = style.TITLE
    write_text(sheet["A2"], (
        "All cohorts fitted together (Fader & Hardie's shifted-beta-geometric model, docs/curve.md). "
        "A customer counts as still a customer until their last purchase in the log; customers "
        "differ, so retention rises with tenure.")).font = style.SUBTITLE
    if curve is None:
        write_text(sheet["A4"], f"No curve: {problem}").font = style.MESSAGE
        return sheet
    facts = [("alpha", curve.alpha), ("beta", curve.beta), ("log-likelihood", curve.log_likelihood),
             (f"{period}s fitted", curve.periods_fitted),
             ("one constant retention, same counts", curve.constant_retention)]
    for row, (label, value) in enumerate(facts, start=4):
        write_text(sheet.cell(row, 1), label).font = style.BOLD
        cell = sheet.cell(row, 2, float(value))
        cell.number_format = ("0.0%" if label.startswith("one constant")
                              else "0" if label.endswith("fitted") else "0.0000")
    table = curve.forecast(PERIODS_AHEAD)
    # the chart under the facts, the table under the chart: one page wide when printed
    figure = plots.retention_curve_figure(table, curve.last_retention, period_name=period.capitalize())
    image = Image(io.BytesIO(plots.figure_png(figure)))
    chart_row = len(facts) + 5
    sheet.add_image(image, f"A{chart_row}")
    top = chart_row + math.ceil(image.height / 20) + 2
    style.header(sheet.cell(top, 1), f"{period.capitalize()}s since first purchase")
    for c, (_, head, _) in enumerate(FORECAST_COLUMNS, start=2):
        style.header(sheet.cell(top, c), head)
    for r, row in enumerate(table.itertuples(index=False), start=top + 1):
        sheet.cell(r, 1, int(row.period))
        for c, (key, _, number_format) in enumerate(FORECAST_COLUMNS, start=2):
            value = float(getattr(row, key))
            if math.isfinite(value):
                sheet.cell(r, c, value).number_format = number_format
    sheet.row_dimensions[top].height = 32
    sheet.column_dimensions["A"].width = 34
    for c in "BCDEFGH":
        sheet.column_dimensions[c].width = 14
    sheet.freeze_panes = None
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    return sheet
