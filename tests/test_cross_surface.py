"""One file, one answer: a filled template's per-year rate and alert, as LibreOffice shows them in
the template, as ``retention-xl report`` prints them and as the app's From-data tab shows them.

The templates are filled monthly, quarterly and yearly, with several industries and
tolerances in their own Settings cells; none of the faces is told anything else.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
from conftest import require_program

import retention_xl as rx
from retention_xl.cli import main
from retention_xl.workbook import write_template
from retention_xl.workbook.libreoffice import recalculate

pytestmark = pytest.mark.libreoffice

#: (name, periods per year, industry, tolerance points, number of periods, seed)
CASES = [
    ("monthly_retail_2", 12, "Retail", 2, 14, 1),
    ("monthly_telecom_5", 12, "Telecommunications", 5, 9, 2),
    ("quarterly_insurance_10", 4, "Insurance", 10, 8, 3),
    ("quarterly_telecom_0", 4, "Telecommunications", 0, 6, 4),
    ("yearly_banking_3", 1, "Banking", 3, 5, 5),
]


def _periods(count: int, ppy: int, seed: int):
    rng = np.random.default_rng(seed)
    rows, customers = [], 1000.0
    for i in range(count):
        # per-period retention around the yearly 60%-90% range, so some cases alert and some do not
        kept = np.floor(customers * rng.uniform(0.55, 0.97) ** (1 / ppy) * 4) / 4
        new = float(rng.integers(0, 80))
        rows.append((f"P{i + 1}", customers, kept + new, new))
        customers = kept + new
    return rows


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory):
    require_program("soffice")
    folder = tmp_path_factory.mktemp("cross")
    paths = []
    for name, ppy, industry, points, count, seed in CASES:
        path = folder / f"{name}.xlsx"
        write_template(path)
        workbook = openpyxl.load_workbook(path)
        ws = workbook["Data"]
        for offset, row in enumerate(_periods(count, ppy, seed)):
            for column, value in enumerate(row, start=1):
                ws.cell(5 + offset, column).value = value
        ws["K5"], ws["K6"], ws["K7"] = ppy, industry, points
        workbook.save(path)
        paths.append(path)
    # rows typed below the table: a 3-period template with a fourth period in row 8
    below = folder / "below_the_table.xlsx"
    write_template(below, rows=3)
    workbook = openpyxl.load_workbook(below)
    for r, row in enumerate([("Q1", 100, 95, 5), ("Q2", 95, 93, 4), ("Q3", 93, 92, 3), ("Q4", 92, 50, 1)],
                            start=5):
        for column, value in enumerate(row, start=1):
            workbook["Data"].cell(r, column).value = value
    workbook.save(below)
    paths.append(below)
    recalculated = recalculate(paths, folder / "recalculated")
    return {path.stem: (path, out) for path, out in zip(paths, recalculated)}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_template_report_and_app_agree(surfaces, case, capsys, tmp_path):
    from retention_xl.widgets import FromData

    name = case[0]
    path, recalculated = surfaces[name]
    data = openpyxl.load_workbook(recalculated, data_only=True)["Data"]
    spreadsheet_rate, spreadsheet_alert = data["K14"].value, data["K20"].value

    assert main(["report", str(path), str(tmp_path / "report.xlsx")]) == 0
    printed = capsys.readouterr().out
    report_rate = next(l for l in printed.splitlines() if "Latest retention, per year:" in l).split(": ")[-1]
    report_alert = next(l for l in printed.splitlines() if "Benchmark alert:" in l).split("alert: ", 1)[-1]

    view = FromData(path)
    assert view.problem() == ""
    app_alerts = view.table["alert"].to_numpy(dtype=bool)

    assert report_rate == rx.formatting.percent(spreadsheet_rate) == view.per_year_text()
    assert report_alert == spreadsheet_alert
    # the app says the same: an alert on its latest period exactly when the template says ALERT
    assert bool(app_alerts[-1]) == spreadsheet_alert.startswith("ALERT")
    if spreadsheet_alert.startswith("no alert now"):  # "no alert now (2 earlier flagged)"
        assert int(app_alerts.sum()) == int(spreadsheet_alert.split("(")[1].split()[0])
    elif spreadsheet_alert == "no alert":
        assert not app_alerts.any()
    assert view.alert_text().startswith("Alert" if app_alerts.any() else "No alert")

def test_the_cases_cover_an_alert_an_earlier_flag_and_no_alert(surfaces):
    alerts = set()
    for name, (path, recalculated) in surfaces.items():
        if name == "below_the_table":
            continue
        words = openpyxl.load_workbook(recalculated, data_only=True)["Data"]["K20"].value
        alerts.add(words.split(" (")[0].split(":")[0])
    assert {"ALERT", "no alert"} <= alerts, alerts


def test_a_row_below_the_table_is_ignored_by_the_sheet_and_named_by_the_reader(surfaces, capsys, tmp_path):
    path, recalculated = surfaces["below_the_table"]
    data = openpyxl.load_workbook(recalculated, data_only=True)["Data"]
    # the sheet computes the table's three periods only: the latest is Q3, not the typed Q4
    assert data["K12"].value == "Q3" and data["K13"].value == pytest.approx((92 - 3) / 93)
    assert main(["report", str(path), str(tmp_path / "r.xlsx")]) == 2
    assert "Data!A8, Data!B8, Data!C8, Data!D8 are below the RetentionData table, which ends at row 7" \
        in capsys.readouterr().err
