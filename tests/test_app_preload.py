"""The page asks for its scripts at once and the browser keeps them:

- its head names every script it will fetch, and no other (``<link rel="preload">``, from
  the server's record of what the pages of the app fetched: retention_xl/widgets/preload.py);
- Voila's own scripts come from a folder named after a fingerprint of Voila's files,
  served as immutable (retention_xl/widgets/serve.py): kept by the browser, never mixed
  with another version's.

How much faster the page opens is measured in ``python -m benchmarks open``, never here.
"""

from __future__ import annotations

import pathlib
import re
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).parent.parent
#: A script of the page's front end: Voila's, or a JupyterLab extension's.
SCRIPT = re.compile(r"/voila/(static|labextensions)/[^?#]+\.js(\?[^#]*)?$")


def _scripts(addresses: list[str]) -> list[str]:
    return [address for address in addresses if SCRIPT.search(address)]


def _usable(chromium, page) -> None:
    """The first tab answers a typed value (the retention shown changes)."""
    box = page.get_by_role("textbox", name="Customers at start of period", exact=True)
    box.wait_for(timeout=120_000)
    retention = page.locator(".rxl-card .rxl-value").first
    chromium.expect(retention).to_have_text("92.5%", timeout=60_000)
    box.fill("100")
    chromium.expect(retention).to_have_text("99.0%", timeout=60_000)  # (120 - 21) / 100


def _until_no_new_script(requests: list[str], quiet: float = 3.0, longest: float = 40.0) -> None:
    """Wait until the page has asked for no new script for ``quiet`` seconds (it asks for
    the last ones after the other tabs are built, a few seconds after it opened)."""
    start = time.monotonic()
    count, since = len(_scripts(requests)), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() - start < longest:
        time.sleep(0.2)
        if len(_scripts(requests)) != count:
            count, since = len(_scripts(requests)), time.monotonic()


def _open(chromium, server):
    """A page of the app in a new context, left until it asks for no more scripts:
    (context, page, addresses it asked for, scripts named in its head)."""
    context = chromium.browser.new_context(viewport={"width": 1366, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(server.url(), wait_until="commit")
    _usable(chromium, page)
    _until_no_new_script(requests)
    named = page.eval_on_selector_all("link[rel=preload][as=script]",
                                      "links => links.map(link => link.href)")
    return context, page, requests, named


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_names_in_its_head_exactly_the_scripts_it_uses(chromium, tmp_path, monkeypatch):
    """On a new installation (no record yet) the first page names no script and teaches
    the server the scripts it fetches; the next page names exactly those, fetches each once
    and nothing else, and works. The names thus follow any upgrade of Voila or ipywidgets."""
    from retention_xl.widgets.launch import VoilaServer

    monkeypatch.setenv("RETENTION_XL_CACHE", str(tmp_path))  # read by the server at start
    with VoilaServer(ROOT / "widgets").start(timeout=120) as server:
        context, _, requests, named = _open(chromium, server)
        context.close()
        used = set(_scripts(requests))
        assert named == []
        assert len(used) >= 20, used  # Voila's chunks and the widget extensions' files

        context, _, requests, named = _open(chromium, server)
        context.close()
        fetched = _scripts(requests)
        assert set(named) == used, {"named, never used": sorted(set(named) - used),
                                    "used, not named": sorted(used - set(named))}
        assert len(named) == len(used), "a script named twice"
        assert sorted(fetched) == sorted(set(fetched)), "a script fetched twice"
        assert set(fetched) == used
    assert list(tmp_path.glob("page-scripts-*.json"))  # kept for the server's next start


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
