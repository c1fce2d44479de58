"""The browser keeps Voila's scripts: they come from a folder named after a fingerprint of
Voila's files, served as immutable (retention_xl/widgets/serve.py, cache_voila_scripts), so
a later visit asks the server for none, and a new version of Voila is in another folder
(never a kept old file mixed with new ones).

How fast the page opens is measured in ``python -m benchmarks open``, never here.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest


def _usable(chromium, page) -> None:
    """The first tab answers a typed value (the retention shown changes)."""
    box = page.get_by_role("textbox", name="Customers at start of period", exact=True)
    box.wait_for(timeout=120_000)
    retention = page.locator(".rxl-card .rxl-value").first
    chromium.expect(retention).to_have_text("92.5%", timeout=60_000)
    box.fill("100")
    chromium.expect(retention).to_have_text("99.0%", timeout=60_000)  # (120 - 21) / 100


@pytest.mark.browser
@pytest.mark.slow
def test_voila_scripts_come_from_their_fingerprinted_folder_and_are_kept(new_app_page, voila_app):
    """The page's chunks come from /voila/static/rxl-KEY/ (KEY: a fingerprint of Voila's
    files), served as immutable; a folder of another fingerprint (an older Voila) is not
    found; Voila's own address of a file is still served, to be checked each time."""
    from retention_xl.widgets.serve import IMMUTABLE, VERSIONED_STATIC

    with new_app_page() as page:
        folder = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                               ".textContent).fullStaticUrl")
        chunks = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)"
                               ".filter(name => /\\/voila\\/static\\/.*\\.voila\\.js$/.test(name))")
    assert re.fullmatch(rf"/voila/static/{VERSIONED_STATIC}[0-9a-f]{{16}}", folder), folder
    assert chunks and all(f"{folder}/" in chunk for chunk in chunks), chunks
    with urllib.request.urlopen(f"{voila_app.base_url}{folder}/voila.js", timeout=30) as answer:
        assert answer.status == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    with urllib.request.urlopen(f"{voila_app.base_url}/voila/static/voila.js", timeout=30) as answer:
        assert answer.status == 200 and answer.headers.get("Cache-Control") != IMMUTABLE
    other = f"{voila_app.base_url}/voila/static/{VERSIONED_STATIC}{'0' * 16}/voila.js"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(other, timeout=30)
    assert refused.value.code == 404


@pytest.mark.browser
@pytest.mark.slow
def test_a_page_opened_again_takes_voila_scripts_from_the_browser(chromium, voila_app):
    """A second visit in the same browser asks the server for none of Voila's chunks (each
    comes from the browser's cache), and works."""
    context = chromium.browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        first = context.new_page()
        first.goto(voila_app.url(), wait_until="commit")
        _usable(chromium, first)
        first.close(run_before_unload=True)
        page = context.new_page()
        network = context.new_cdp_session(page)
        network.send("Network.enable")
        asked = []  # (address, status, taken from the browser's cache)
        network.on("Network.responseReceived", lambda event: asked.append(
            (event["response"]["url"], event["response"]["status"],
             event["response"].get("fromDiskCache") or event["response"].get("fromMemoryCache"))))
        page.goto(voila_app.url(), wait_until="commit")
        _usable(chromium, page)
        chunks = [(url, status, cached) for url, status, cached in asked
                  if re.search(r"/voila/static/rxl-[0-9a-f]+/\d+\.voila\.js$", url)]
        assert len(chunks) >= 20, asked
        assert all(cached and status == 200 for _, status, cached in chunks), chunks
        page.close(run_before_unload=True)
    finally:
        context.close()
