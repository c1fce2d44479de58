"""The template's formulas, recalculated by a real spreadsheet engine, against the core.

LibreOffice (headless, throw-away profile forcing recalculation on load) computes
filled copies of the template; every computed cell is compared with the core
(1e-9 relative), every error row with the core's own sentence. All the files go
through one soffice run, since each start costs seconds.
"""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import require_program

import retention_xl as rx
from retention_xl.industry import benchmark_for
from retention_xl.workbook import build_template
from retention_xl.workbook.libreoffice import recalculate, to_pdf, to_png
from retention_xl.workbook.template import FIRST_ROW

pytestmark = pytest.mark.libreoffice

RTOL = 1e-9
VALID_ROWS = 300
INDUSTRY = "Telecommunications"

#: (start, end, new) that the core refuses, one per data rule of docs/methodology.md section 2.
#: No true/false cells: LibreOffice stores them as the numbers 1 and 0 (ISLOGICAL is FALSE
#: there), so only Excel shows the true/false sentence; the data validation refuses them anyway.
ERROR_ROWS = [
    (0, 5, 1), (None, 5, 1), (-3, 5, 1), ("abc", 5, 1), ("  ", 5, 1),
    (5, None, 1), (5, -1, 0), (5, "n/a", 1),
    (5, 4, None), (5, 4, -2), (5, 4, "two"),
    (10, 20, 25), (10, 30, 5), (0, 0, 0), (100, 90.5, 95.25),
]

#: What-if assumption sets: defaults, relative mode with discounting, a loss-making business.
WHATIF_CASES = [
    dict(),
    dict(UpliftMode="relative", Uplift=0.1, DiscountRate=0.02, Horizon=60, RetentionNow=0.75,
         CustomersNow=2500, NewPerPeriod=120.5, Margin=42.5, AcquisitionCost=80, FixedCost=5000),
    dict(Margin=10, FixedCost=50000, AcquisitionCost=300, Horizon=7, DiscountRate=0.01),
]
WHATIF_API = dict(CustomersNow="customers", RetentionNow="retention", NewPerPeriod="new_customers",
                  Margin="margin", Horizon="periods", Uplift="uplift", UpliftMode="mode",
                  AcquisitionCost="acquisition_cost", FixedCost="fixed_cost",
                  DiscountRate="discount_rate")


def _random_periods(count: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # quarter-customer steps (fractional counts are valid) keep end - new exact in binary
    start = rng.integers(1, 5000, count) + rng.choice([0, 0.25, 0.5], count)
    kept = np.floor(start * rng.uniform(0.85, 1.0, count) * 4) / 4
    kept[::37] = start[::37]           # retention exactly 1
    kept[5::53] = 0.0                  # retention exactly 0
    new = rng.integers(0, 800, count) + rng.choice([0, 0.5], count)
    return pd.DataFrame({"period": [f"P{i + 1}" for i in range(count)], "start": start,
                         "end": kept + new, "new": new})


def _fill(ws, rows) -> None:
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(FIRST_ROW + offset, column).value = value


def _names(workbook) -> dict[str, str]:
    out = {}
    for name, definition in workbook.defined_names.items():
        sheet, cell = next(definition.destinations)
        out[name] = (sheet, cell.replace("$", ""))
    return out


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    require_program("soffice")
    folder = tmp_path_factory.mktemp("recalc")
    periods = _random_periods(VALID_ROWS)

    valid = build_template(rows=VALID_ROWS + 20, industry=INDUSTRY, periods_per_year=4)
    _fill(valid["Data"], periods.itertuples(index=False))
    valid.save(folder / "valid.xlsx")

    errors = build_template(rows=60)
    rows = []
    for i, (s, e, n) in enumerate(ERROR_ROWS):
        rows.append((f"E{i}", s, e, n))
        rows.append((f"ok{i}", 100 + i, 95, 10))
    rows.append(("only a label", None, None, None))
    _fill(errors["Data"], rows)
    errors.save(folder / "errors.xlsx")

    whatif_paths = []
    for i, case in enumerate(WHATIF_CASES):
        workbook = build_template(rows=10)
        names = _names(workbook)
        for name, value in case.items():
            sheet, cell = names[name]
            workbook[sheet][cell].value = value
        path = folder / f"whatif{i}.xlsx"
        workbook.save(path)
        whatif_paths.append(path)

    sources = [folder / "valid.xlsx", folder / "errors.xlsx", *whatif_paths]
    outputs = recalculate(sources, folder / "out")
    loaded = [openpyxl.load_workbook(p, data_only=True) for p in outputs]
    return {"periods": periods, "valid": loaded[0], "errors": (loaded[1], rows),
            "whatif": loaded[2:]}


def _column(ws, letter: str, count: int) -> list:
    return [ws[f"{letter}{FIRST_ROW + i}"].value for i in range(count)]


def _close(got, want) -> bool:
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=RTOL, abs_tol=1e-12)


def test_every_computed_cell_matches_the_core(recalculated):
    periods, ws = recalculated["periods"], recalculated["valid"]["Data"]
    table = rx.period_table(periods, period="period", periods_per_year=4, industry=INDUSTRY)
    assert all(v in (None, "") for v in _column(ws, "H", VALID_ROWS)), "a valid row shows a message"
    for letter, column in (("E", "lost"), ("F", "retention"), ("G", "churn")):
        got = _column(ws, letter, VALID_ROWS)
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, table[column])) if not _close(g, w)]
        assert not bad, f"{column}: first differences {bad[:3]}"
    alerts = [int(v or 0) for v in _column(ws, "Y", VALID_ROWS)]
    assert alerts == table["alert"].astype(int).tolist()
    assert 0 < sum(alerts) < VALID_ROWS, "the random data should both raise and clear the alert"
    # rows past the data are blank, not zeros or errors
    assert ws[f"F{FIRST_ROW + VALID_ROWS}"].value in (None, "")
    assert ws[f"H{FIRST_ROW + VALID_ROWS}"].value in (None, "")


def test_summary_matches_period_table_and_churn_averages(recalculated):
    periods, workbook = recalculated["periods"], recalculated["valid"]
    names, ws = _names(workbook), workbook["Data"]
    value = lambda name: ws[names[name][1]].value  # noqa: E731
    table = rx.period_table(periods, period="period", periods_per_year=4, industry=INDUSTRY)
    averages = rx.churn_averages(periods)
    latest = table.iloc[-1]
    assert value("LatestPeriod") == table.index[-1]
    assert _close(value("LatestRetention"), latest["retention"])
    assert _close(value("LatestRetentionYearly"), latest["annualised_retention"])
    for method, name in (("mean", "ChurnMean"), ("pooled", "ChurnPooled"), ("geometric", "ChurnGeometric")):
        assert _close(value(name), averages[method]), method
    assert _close(value("ChangePrevious"), latest["change_vs_previous"])
    assert _close(value("ChangeYear"), latest["change_vs_year_ago"])
    assert _close(value("BenchmarkYearly"), benchmark_for(INDUSTRY))
    alert_text = value("BenchmarkAlert")
    assert alert_text.startswith("ALERT") == bool(latest["alert"])
    assert value("ProblemRows") == 0


def test_each_data_error_shows_the_core_sentence_in_its_row(recalculated):
    workbook, rows = recalculated["errors"]
    ws = workbook["Data"]
    for offset, (label, s, e, n) in enumerate(rows):
        r = FIRST_ROW + offset
        message, retention = ws[f"H{r}"].value, ws[f"F{r}"].value
        if s is None and e is None and n is None:
            assert message in (None, "") and retention in (None, ""), f"row {r}: a blank row shows something"
            continue
        try:
            expected = rx.retention_rate(pd.Series([s], dtype=object), pd.Series([e], dtype=object),
                                         pd.Series([n], dtype=object))
        except rx.RetentionInputError as error:
            assert message == error.problems[0].clause, f"row {r} ({s}, {e}, {n})"
            assert retention in (None, ""), f"row {r}: a bad row shows a retention"
        else:
            assert message in (None, "")
            assert _close(retention, float(expected.iloc[0]))
    names = _names(workbook)
    assert ws[names["ProblemRows"][1]].value == len(ERROR_ROWS)


@pytest.mark.parametrize("case", range(len(WHATIF_CASES)))
def test_whatif_matches_project_profit_and_customer_value(recalculated, case):
    workbook = recalculated["whatif"][case]
    names = _names(workbook)
    value = lambda name: workbook[names[name][0]][names[name][1]].value  # noqa: E731
    inputs = {api: value(name) for name, api in WHATIF_API.items()}
    result = rx.project_profit(**inputs)
    ws = workbook["What-if"]
    horizon = int(inputs["periods"])
    for letter, column in (("F", "customers_baseline"), ("G", "customers_improved"),
                           ("H", "profit_baseline"), ("I", "profit_improved"), ("J", "profit_difference")):
        got = [ws[f"{letter}{5 + t}"].value for t in range(horizon)]
        assert all(_close(g, w) for g, w in zip(got, result.table[column])), column
        assert ws[f"{letter}{5 + horizon}"].value in (None, ""), "rows past the horizon must be blank"
    assert _close(value("TotalNow"), result.total_baseline)
    assert _close(value("TotalImproved"), result.total_improved)
    assert _close(value("PVNow"), result.pv_baseline)
    assert _close(value("PVImproved"), result.pv_improved)
    assert _close(value("RetentionImproved"), result.retention_improved)
    if result.uplift is None:
        assert value("ProfitUplift").startswith("not shown")
    else:
        assert _close(value("ProfitUplift"), result.uplift)
    model_a = dict(margin=inputs["margin"], discount_rate=inputs["discount_rate"],
                   acquisition_cost=inputs["acquisition_cost"])
    now = rx.customer_value(retention=inputs["retention"], **model_a)
    assert _close(value("ValueNow"), now)
    assert _close(value("ValueImproved"), rx.customer_value(retention=result.retention_improved, **model_a))
    if now > 0:
        assert _close(value("ValueUplift"), rx.profit_uplift(
            uplift=inputs["uplift"], mode=inputs["mode"], retention=inputs["retention"], **model_a))
    else:
        assert value("ValueUplift").startswith("not shown")
    assert value("InputStatus") == "all inputs are valid"


def test_whatif_cases_cover_relative_mode_and_a_loss(recalculated):
    uplifts = [rx.project_profit(**{api: wb[_names(wb)[n][0]][_names(wb)[n][1]].value
                                    for n, api in WHATIF_API.items()}).uplift
               for wb in recalculated["whatif"]]
    assert uplifts[0] is not None and uplifts[2] is None
    assert recalculated["whatif"][1]["What-if"]["B8"].value == "relative"


def test_every_sheet_renders_to_non_blank_pages(tmp_path):
    require_program("soffice")
    require_program("pdftoppm")
    from retention_xl.workbook.previews import filled_sample

    path = tmp_path / "sample.xlsx"
    filled_sample().save(path)
    pdf = to_pdf([path], tmp_path)[0]
    pages = to_png(pdf, tmp_path / "page", resolution=40)
    assert len(pages) >= 4, "one page or more per sheet"
    from PIL import Image

    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
        assert pixels.std() > 5, f"{page.name} looks blank"
