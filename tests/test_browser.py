"""The app in a real browser: Voila on 127.0.0.1, Debian's Chromium driven by Playwright.

The run's one Voila (conftest's ``voila_app``) serves the app notebook. The test
types into the labelled boxes and reads the page, steps the uplift slider with the
keyboard and waits for the chart and summary to change, then saves the screenshots
the README shows (docs/images/app_*.png, refreshed with RETENTION_XL_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = pathlib.Path(__file__).parent.parent
# The README's screenshots are refreshed on request only, so that a test run
# leaves the checkout clean: RETENTION_XL_UPDATE_SCREENSHOTS=1 pytest tests/test_browser.py
IMAGES = (ROOT / "docs" / "images" if os.environ.get("RETENTION_XL_UPDATE_SCREENSHOTS") == "1"
          else pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_screenshots_")))


@pytest.fixture(scope="module")
def app_page(new_app_page, chromium):
    """One page for the module's tests, which step through its tabs in turn."""
    with new_app_page(1100, 1250) as page:
        chromium.expect(page.get_by_text("Retention calculator").first).to_be_visible()
        yield page, chromium.expect


def _type(page, label: str, number: int) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(str(number))  # no Enter: the results follow what is typed


#: The chart on screen (each frame is a new <img>, so it is looked up each time).
VISIBLE_CHART = "[...document.querySelectorAll('img.rxl-chart')].find(i => i.offsetParent)"


def _chart_src(page) -> str:
    return page.evaluate(f"(() => {{ const img = {VISIBLE_CHART}; return img ? img.src : ''; }})()")


def _wait_for_new_src(page, old_src: str) -> str:
    """Wait until the chart shows a new frame, then until it stops changing."""
    page.wait_for_function(f"(old) => {{ const img = {VISIBLE_CHART}; "
                           "return img && img.src !== old; }", arg=old_src)
    src = _chart_src(page)
    while True:  # a late frame would make the next step flaky: wait for the last one
        page.wait_for_timeout(400)
        now = _chart_src(page)
        if now == src:
            return src
        src = now


def test_calculator_reads_what_was_typed(app_page):
    page, expect = app_page
    calculator = page.locator(".widget-tab-contents, .lm-TabPanel-stackedPanel").first
    _type(page, "Customers at start of period", 200)
    _type(page, "Customers at end (new included)", 150)
    _type(page, "New customers during period", 30)
    expect(page.get_by_text("60.0%").first).to_be_visible()  # (150 - 30) / 200
    # typed one at a time: start 107 with end 150 and 30 new is impossible for a moment
    _type(page, "Customers at start of period", 107)
    expect(page.get_by_role("alert").first).to_contain_text("more than customers at start")
    _type(page, "Customers at end (new included)", 120)
    _type(page, "New customers during period", 21)
    expect(page.get_by_text("92.5%").first).to_be_visible()
    expect(page.get_by_text("7.5%").first).to_be_visible()
    assert page.get_by_role("textbox", name="Customers at start of period", exact=True).input_value() == "107"
    expect(calculator.get_by_role("alert")).to_have_count(0)
    page.wait_for_timeout(500)
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.locator(".rxl-app").screenshot(path=str(IMAGES / "app_calculator.png"))


def test_uplift_arrow_key_changes_chart_and_summary(app_page):
    page, expect = app_page
    page.get_by_role("tab", name="What is better retention worth?").click()
    summary = page.locator(".rxl-summary").first
    expect(summary).to_contain_text("+5 points of retention")
    before_src = _chart_src(page)
    before_text = summary.inner_text()
    page.get_by_role("slider", name="Retention uplift, points").focus()
    page.keyboard.press("ArrowRight")
    expect(summary).to_contain_text("+5.5 points of retention")
    _wait_for_new_src(page, before_src)
    assert summary.inner_text() != before_text
    assert page.get_by_role("textbox", name="Retention uplift, points").input_value() == "5.5"
    page.locator(".rxl-app").screenshot(path=str(IMAGES / "app_what_if.png"))


def test_from_data_shows_the_example_and_its_alert(app_page):
    page, expect = app_page
    page.get_by_role("tab", name="From your data").click()
    expect(page.get_by_text("Alert:").first).to_be_visible()
    expect(page.locator("table.rxl-table")).to_contain_text("2025Q1")
    page.wait_for_timeout(500)
    page.locator(".rxl-app").screenshot(path=str(IMAGES / "app_from_data.png"))


def test_forecast_tab_shows_the_api_numbers_and_the_core_sentence(app_page):
    """The fourth tab: the example's numbers as the API gives them, and a bad count's sentence."""
    import retention_xl as rx
    from retention_xl import formatting as fmt

    page, expect = app_page
    curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    shots = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_forecast_"))
    page.get_by_role("tab", name="Where is this group heading?").click()
    value = fmt.money(curve.customer_value(100, 0.10))
    expect(page.get_by_text(f"A new customer is worth {value} under the curve").first).to_be_visible()
    expect(page.locator(".rxl-app")).to_contain_text(fmt.percent(curve.constant_retention))
    page.locator(".rxl-app").screenshot(path=str(shots / "forecast.png"))
    box = page.get_by_label("Active customers by period")
    box.fill("1000, 800, 900")
    box.press("Tab")
    expect(page.get_by_role("alert")).to_contain_text(
        "Active customers rise from 800 in period 1 to 900 in period 2")
    expect(box).to_have_value("1000, 800, 900")  # what was typed stays
