"""The app's fourth tab in Debian's Chromium: the example's numbers, and a bad count's sentence."""

from __future__ import annotations

import pathlib
import tempfile

import pytest

import retention_xl as rx
from conftest import require_program

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_forecast_tab_shows_the_api_numbers_and_the_core_sentence():
    chromium = require_program("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from retention_xl import formatting as fmt
    from retention_xl.widgets.app import VoilaServer

    curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    shots = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_forecast_"))
    with VoilaServer(ROOT / "widgets").start(timeout=90) as server:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 1300})
                page.set_default_timeout(90_000)
                page.goto(server.url(), wait_until="load")
                expect = sync_api.expect
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
            finally:
                browser.close()
