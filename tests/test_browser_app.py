"""The app in Debian's Chromium at a phone's, a small laptop's and a desktop's width.

What is typed is what is computed (no Enter needed), every part fits and is
reachable, charts stay readable and named, the page works with the network cut
off, and a page whose kernel has gone says so (one whose server has gone: test_app_open).
The run's one Voila and Chromium (conftest); each width gets one page (a browser context,
so a kernel) that the file's tests share (``app_pages``), each setting what it reads; the
test that kills a page's kernel takes its page.
"""

from __future__ import annotations

import os
import pathlib
import signal
import tempfile

import pytest
from conftest import drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = pathlib.Path(tempfile.mkdtemp(prefix="retention_xl_layout_"))
WIDTHS = [390, 683, 1366]
TABS = ["Retention calculator", "What is better retention worth?", "From your data",
        "Where is this group heading?"]


def _overflowing(page) -> list[str]:
    """Visible elements reaching past the right edge of the window (off-screen), or past
    either side of a box that clips what leaves it (cut: a letter, a border short)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth, found = [];
        const root = document.querySelector('#rendered_cells');
        const name = (el) => el.tagName + '.' + String(el.className).slice(0, 60);
        for (const el of root.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (el.closest('table') && el.tagName !== 'TABLE') continue;  // tables scroll
            if (!box.width || !box.height || !el.offsetParent) continue;
            if (box.right > width + 1) {
                found.push(name(el) + ' ' + Math.round(box.right));
                continue;
            }
            for (let up = el.parentElement; up && up !== root; up = up.parentElement) {
                if (getComputedStyle(up).overflowX === 'visible') continue;
                const edge = up.getBoundingClientRect();
                if (box.right > edge.right + 0.5 || box.left < edge.left - 0.5)
                    found.push(name(el) + ' ' + Math.round(box.left) + '..' + Math.round(box.right)
                               + ' cut by ' + name(up) + ' ' + Math.round(edge.left) + '..'
                               + Math.round(edge.right) + ': "'
                               + (el.textContent || '').trim().slice(0, 40) + '"');
                break;  // the nearest box that clips it
            }
        }
        return found.slice(0, 8);
    }""")


def _small_charts(page) -> list[str]:
    """Visible charts whose text would be under 10 CSS px: every chart is drawn with text
    of 11.5 pt or more (16 px at its natural size), so it may shrink to 62% of that size."""
    return page.evaluate("""() => [...document.querySelectorAll(
            '#rendered_cells img.rxl-chart, #rendered_cells img.widget-image')]
        .filter((img) => img.offsetParent && img.naturalWidth)
        .filter((img) => img.naturalWidth > 500
                         || img.getBoundingClientRect().width < 0.62 * img.naturalWidth)
        .map((img) => img.naturalWidth + ' px shown at '
                      + Math.round(img.getBoundingClientRect().width))""")


@pytest.mark.parametrize("width", WIDTHS)
def test_typed_numbers_fit_and_readable_at_each_width(app_pages, chromium, width):
    expect = chromium.expect
    page = app_pages(width)
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
        if name == TABS[1]:  # the what-if tab built (not its stand-in) and its summary written
            expect(page.get_by_role("slider", name="Retention uplift, points")).to_be_visible()
            expect(page.locator(".rxl-summary:visible").first).not_to_be_empty()
        else:  # the data view and the forecast open with an example chart
            expect(page.locator("img.rxl-chart:visible, img.widget-image:visible")
                   .first).to_be_visible()
        drawn(page)
        assert _overflowing(page) == [], name
        assert _small_charts(page) == [], name
        page.screenshot(path=str(SHOTS / f"tab{TABS.index(name)}_{width}.png"),
                        full_page=True)
        if name == TABS[1]:
            expect(page.get_by_role("slider", name="Retention uplift, points")).to_be_visible()
            page.get_by_role("textbox", name="Retention now, % per period").fill("92.5%")
            expect(page.locator(".rxl-summary").first).to_contain_text("92.5% to 97.5% a year")
            page.get_by_role("textbox", name="Retention now, % per period").fill("99.99")
            expect(page.get_by_role("alert").first).to_contain_text(
                "Retention 99.99% improved by 5 points gives 104.99%")
    assert page.cut_off == []  # nothing fetched from outside 127.0.0.1


def test_a_killed_kernel_is_said_not_hidden(app_pages, chromium, voila_app):
    from retention_xl.widgets.launch import _descendants

    expect, server = chromium.expect, voila_app
    page = app_pages.take(683)  # its kernel killed: no later test gets this page
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


def _calculator_with(page, *, start: str, end: str, new: str) -> None:
    """The calculator's tab shown and these numbers typed (a shared page may hold others)."""
    page.get_by_role("tab", name=TABS[0]).click()
    for name, value in (("Customers at start of period", start),
                        ("Customers at end (new included)", end),
                        ("New customers during period", new)):
        page.get_by_role("textbox", name=name, exact=True).fill(value)


def test_results_not_yet_updated_are_marked_then_follow(app_pages, chromium):
    """A key typed marks the results as pending until the kernel has recalculated."""
    expect = chromium.expect
    page = app_pages(1366)
    _calculator_with(page, start="107", end="120", new="21")  # the example's numbers
    expect(page.locator(".rxl-card").first).to_contain_text("92.5%")
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

