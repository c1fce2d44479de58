"""The app in Debian's Chromium at a phone's, a small laptop's and a desktop's width.

What is typed is what is computed (no Enter needed), every part fits and is
reachable, charts stay readable and named, the page works with the network cut
off, and a page whose kernel or server has gone says so. One Voila start; each
width gets a fresh browser context (a new page, so a new kernel).
"""

from __future__ import annotations

import os
import pathlib
import signal
import tempfile

import pytest

from conftest import require_program

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = pathlib.Path(__file__).parent.parent
SHOTS = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_layout_"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
WIDTHS = [390, 683, 1366]
TABS = ["Retention calculator", "What is better retention worth?", "From your data"]


@pytest.fixture(scope="module")
def browser_and_server():
    chromium = require_program("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from retention_xl.widgets.app import VoilaServer

    server = VoilaServer(ROOT / "widgets").start(timeout=120)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                yield browser, server, sync_api.expect
            finally:
                browser.close()
    finally:
        server.stop()


def _open(browser, server, width: int, offline: bool = True):
    """A new page at ``width``; with ``offline`` every request off 127.0.0.1 is cut."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    outside: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            return route.continue_()
        outside.append(url)
        return route.abort()

    if offline:
        context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url(), wait_until="load")
    page.get_by_role("textbox", name="Customers at start of period", exact=True).wait_for()
    return context, page, outside


def _overflowing(page) -> list[str]:
    """Visible elements reaching past the right edge of the window (clipped or off-screen)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth, found = [];
        for (const el of document.querySelectorAll('#rendered_cells *')) {
            const box = el.getBoundingClientRect();
            if (el.closest('table') && el.tagName !== 'TABLE') continue;  // tables scroll
            if (box.width && box.height && el.offsetParent && box.right > width + 1)
                found.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
        }
        return found.slice(0, 8);
    }""")


@pytest.mark.parametrize("width", WIDTHS)
def test_typed_numbers_fit_and_readable_at_each_width(browser_and_server, width):
    browser, server, expect = browser_and_server
    context, page, outside = _open(browser, server, width)
    try:
        assert page.title() == "retention_xl"
        # typed without Enter: 107.5 stays 107.5 ((120 - 21) / 107.5 = 92.1%)
        page.get_by_role("textbox", name="Customers at start of period", exact=True).fill("107.5")
        expect(page.locator(".rxl-card").first).to_contain_text("92.1%")
        assert page.get_by_role("textbox", name="Customers at start of period", exact=True).input_value() == "107.5"
        # ambiguous text: the core's sentence, the text kept, no stale numbers shown
        page.get_by_role("textbox", name="Customers at end (new included)", exact=True).fill("99,5")
        expect(page.get_by_role("alert").first).to_contain_text(
            "Customers at end must be a number, got the text '99,5'")
        expect(page.locator(".rxl-card").first).to_be_hidden()
        page.get_by_role("textbox", name="Customers at end (new included)", exact=True).fill("40")
        page.get_by_role("textbox", name="Customers at start of period", exact=True).fill("100")
        page.get_by_role("textbox", name="New customers during period", exact=True).fill("35")
        chart = page.get_by_role("img", name="Of 100 customers at the start, 5 were kept and "
                                              "95 lost; with 35 new there were 40 at the end.")
        expect(chart).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _overflowing(page) == []
        # chart text: 12 pt drawn at 500 px wide, so at least 10 CSS px when shown >= 300 px
        shown = chart.bounding_box()["width"]
        assert shown >= 300 or shown >= 500 * 0.999, shown
        page.screenshot(path=str(SHOTS / f"calculator_{width}.png"), full_page=True)
        for name in TABS[1:]:  # every tab reachable, and named sliders on the what-if tab
            tab = page.get_by_role("tab", name=name)
            tab.scroll_into_view_if_needed()
            box = tab.bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= width
            tab.click()
            page.wait_for_timeout(300)
            assert _overflowing(page) == [], name
            page.screenshot(path=str(SHOTS / f"tab{TABS.index(name)}_{width}.png"),
                            full_page=True)
            if name == TABS[1]:
                expect(page.get_by_role("slider", name="Retention uplift, points")).to_be_visible()
                page.get_by_role("textbox", name="Retention now, % per period").fill("92.5%")
                expect(page.locator(".rxl-summary").first).to_contain_text("92.5% to 97.5% a year")
                page.get_by_role("textbox", name="Retention now, % per period").fill("99.99")
                expect(page.get_by_role("alert").first).to_contain_text(
                    "Retention 99.99% improved by 5 points gives 104.99%")
        assert outside == []  # nothing fetched from outside 127.0.0.1
    finally:
        context.close()


def test_a_killed_kernel_is_said_not_hidden(browser_and_server):
    from retention_xl.widgets.app import _descendants

    browser, server, expect = browser_and_server
    context, page, _ = _open(browser, server, 683)
    try:
        kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                               ".textContent).kernelId")
        killed = [pid for pid in _descendants(server.process.pid)
                  if kernel in pathlib.Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(killed) == 1
        os.kill(killed[0], signal.SIGKILL)
        notice = page.get_by_role("alert").filter(has_text="This page's calculations have stopped")
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_contain_text("Reload the page to start again")
        assert page.evaluate("getComputedStyle(document.getElementById('rendered_cells'))"
                             ".opacity") == "0.35"  # the old numbers greyed out
        page.screenshot(path=str(SHOTS / "kernel_killed.png"))
    finally:
        context.close()


def test_results_not_yet_updated_are_marked_then_follow(browser_and_server):
    """A key typed marks the results as pending until the kernel has recalculated."""
    browser, server, expect = browser_and_server
    context, page, _ = _open(browser, server, 1366)
    try:
        page.evaluate("""() => { window.rxlMarks = 0; new MutationObserver(() => {
            if (document.querySelector('.rxl-widget.rxl-pending')) window.rxlMarks += 1;
          }).observe(document.body, {attributes: true, subtree: true,
                                     attributeFilter: ['class']}); }""")
        box = page.get_by_role("textbox", name="Customers at start of period", exact=True)
        box.focus()
        page.keyboard.press("End")
        box.press_sequentially("0", delay=50)  # 107 -> 1070, key by key, no Enter
        expect(page.locator(".rxl-card").first).to_contain_text("9.3%")  # 99 / 1070
        expect(page.locator(".rxl-widget.rxl-pending")).to_have_count(0)
        assert page.evaluate("window.rxlMarks") >= 1
        box.fill("107")  # the same results again: the mark still clears
        expect(page.locator(".rxl-widget.rxl-pending")).to_have_count(0)
        expect(page.locator(".rxl-card").first).to_contain_text("92.5%")
    finally:
        context.close()


def test_a_stopped_server_is_said(browser_and_server):
    """Run last: it stops the server."""
    browser, server, expect = browser_and_server
    context, page, _ = _open(browser, server, 390)
    try:
        server.stop()
        notice = page.get_by_role("alert").filter(has_text="The app has stopped")
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_contain_text("make run")
        page.screenshot(path=str(SHOTS / "server_stopped.png"))
    finally:
        context.close()
