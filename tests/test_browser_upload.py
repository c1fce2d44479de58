"""The From-data tab in Debian's Chromium: an uploaded template's own settings are used and shown,
and a bad file after a good one clears the good file's results (no stale "No alert" under an error).
"""

from __future__ import annotations

import pathlib
import tempfile

import pytest
from conftest import MONTHS

import retention_xl as rx
from retention_xl.workbook.report import report_readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_upload_"))  # looked at, not committed


@pytest.fixture(scope="module")
def from_data_page(new_app_page, chromium):
    with new_app_page(1366, 1400) as page:
        chromium.expect(page.get_by_text("Retention calculator").first).to_be_visible()
        page.get_by_role("tab", name="From your data").click()
        chromium.expect(page.get_by_text("Alert:").first).to_be_visible()
        yield page, chromium.expect


def _upload(page, path) -> None:
    """As a person does: click the upload button, pick the file in the chooser."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload a file").first.click()
    chooser.value.set_files(str(path))


def test_an_uploaded_template_brings_its_settings_then_a_bad_file_clears_it(from_data_page, tmp_path,
                                                                          filled_template):
    page, expect = from_data_page
    path = filled_template(tmp_path, MONTHS, ppy=12, industry="Retail", points=2, name="shop.xlsx")
    readout = report_readout(path)
    _upload(page, path)
    note = page.locator(".rxl-note", has_text="Showing shop.xlsx")
    expect(note).to_contain_text("Periods per year: 12 (from the file's Settings (Data!K5))")
    expect(note).to_contain_text("industry: Retail (from the file's Settings (Data!K6))")
    expect(note).to_contain_text("alert when more than 2 points below (from the file's Settings (Data!K7))")
    per_year = rx.formatting.percent(readout["table"]["annualised_retention"].iloc[-1])
    expect(note).to_contain_text(f"Latest retention, per year: {per_year}")
    expect(page.locator("table.rxl-table")).to_contain_text("Jun")
    expect(page.get_by_text("against Retail")).to_have_count(0)  # the chart is a picture: its title is not text
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "from_data_uploaded.png"))

    bad = tmp_path / "bad.csv"
    bad.write_text("Period,Customers at start,Customers at end,New customers\nQ1,100,20,25\n")
    _upload(page, bad)
    expect(page.locator(".rxl-message", has_text="bad.csv has 1 problem(s) to fix: bad.csv line 2")).to_be_visible()
    expect(page.locator("table.rxl-table")).to_have_count(0)
    expect(page.get_by_text("No alert:")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "from_data_bad_after_good.png"))
