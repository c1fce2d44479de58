"""The From-data tab in Debian's Chromium, one page for the file's tests: an uploaded template's
own settings are used and shown, and a bad file after a good one clears the good file's results
(no stale "No alert" under an error); uploads at the size limit are read or refused with a
sentence, never silence (the kernel's and server's side: tests/test_browser_upload_limit.py).
"""

from __future__ import annotations

import pathlib
import tempfile

import pytest
from conftest import MONTHS

import retention_xl as rx
from retention_xl.widgets.from_data import MAX_UPLOAD_BYTES, UPLOAD_LIMIT_TEXT, upload_too_large
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


HEADER = "Period,Customers at start,Customers at end,New customers\n"
ROWS = "Q1,100,90,10\nQ2,100,92,12\nQ3,104,95,9\n"


def padded_csv(path: pathlib.Path, size: int) -> pathlib.Path:
    """A valid three-quarter CSV of exactly ``size`` bytes: lines of spaces at the end (read as
    none; 1 KiB lines, read fast, unlike millions of empty lines)."""
    text = (HEADER + ROWS).encode()
    lines, rest = divmod(size - len(text), 1024)
    path.write_bytes(text + (b" " * 1023 + b"\n") * lines + b" " * rest)
    assert path.stat().st_size == size
    return path


def test_an_upload_just_under_the_limit_is_read_and_one_over_it_is_refused_with_a_sentence(from_data_page,
                                                                                           tmp_path):
    """A file just under MAX_UPLOAD_BYTES is read (tornado's default 10 MiB websocket limit
    used to drop it without a word), a file over it gets the sentence naming the limit and the
    path box, never silence. On the page the test above used (the data tab open)."""
    page, expect = from_data_page
    under = padded_csv(tmp_path / "just_under.csv", MAX_UPLOAD_BYTES - 1024)
    over = padded_csv(tmp_path / "too_big.csv", MAX_UPLOAD_BYTES + 2**20)
    button = page.get_by_role("button", name="Upload a file").first
    expect(button).to_have_attribute("title", f"Upload a file (up to {UPLOAD_LIMIT_TEXT})")

    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(str(under))
    expect(page.locator(".rxl-note", has_text="Showing just_under.csv")).to_be_visible(timeout=90_000)
    expect(page.locator("table.rxl-table")).to_contain_text("Q3")

    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(str(over))
    sentence = upload_too_large("too_big.csv", over.stat().st_size)
    expect(page.get_by_role("alert").filter(has_text=sentence)).to_be_visible(timeout=30_000)
    assert "51.0 MB, more than the 50 MB" in sentence

    # far above what the server takes: refused by the page itself, before sending
    from retention_xl.widgets.serve import websocket_message_limit

    huge = padded_csv(tmp_path / "huge.csv", websocket_message_limit() + 8 * 2**20)
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(str(huge))
    refused = page.get_by_role("alert").filter(
        has_text=upload_too_large("huge.csv", huge.stat().st_size))
    expect(refused).to_be_visible()
    page.screenshot(path=str(SHOTS / "upload_too_big.png"))
    # refused by the page (the file never reached the kernel), said by the widget, which
    # clears what it showed before, as for any file it cannot use
    expect(page.locator(".rxl-note", has_text="Showing")).to_have_count(0)
    expect(page.locator("table.rxl-table")).to_have_count(0)
