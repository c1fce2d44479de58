"""The app's fourth tab in Debian's Chromium: the example's numbers, and a bad count's sentence."""

from __future__ import annotations

import pathlib
import tempfile

import pytest

import retention_xl as rx

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_forecast_tab_shows_the_api_numbers_and_the_core_sentence(new_app_page, chromium):
    from retention_xl import formatting as fmt

    curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    shots = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_forecast_"))
    expect = chromium.expect
    with new_app_page(1100, 1300, timeout=90_000) as page:
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
