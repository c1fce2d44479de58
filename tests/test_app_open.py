"""The app opens quickly: what the launcher and the server load, the page opened before the
kernel is done, the browser opened early, a closed page's kernel freed.

How fast is measured in ``python -m benchmarks open``, never asserted here; these tests
check the behaviour that makes it fast, and that nothing is lost for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from benchmarks.app_launch import LaunchedApp
from conftest import run_async


ROOT = pathlib.Path(__file__).parent.parent


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


#: Run in one fresh Python (one start and one Jupyter Server import for the three tests that
#: read it), in this order: what importing the launcher loads comes first, alone.
SERVER_PROCESS_PROBE = """
import json, sys
import retention_xl.widgets.launch, retention_xl.widgets.serve
from retention_xl.commands import widgets
loaded = sorted(m for m in ('ipywidgets', 'matplotlib', 'scipy') if m in sys.modules)
from retention_xl.widgets import serve
serve.skip_slow_imports()
import jupyter_server.serverapp, jsonschema
checker = jsonschema.Draft7Validator.FORMAT_CHECKER
v = jsonschema.Draft7Validator({'type': 'object', 'properties': {'d': {'format': 'date'}}},
                               format_checker=checker)
grammar = [sys.modules['rfc3987_syntax'] is None, v.is_valid({'d': '2024-03-04'}),
           v.is_valid({'d': '2024-13-45'})]
serve.install_guards()
from voila import voila_kernel_manager as vkm
print(json.dumps({'loaded': loaded, 'grammar': grammar,
                  'refill': vkm.wait_before is serve.refill_after}))
"""


@pytest.fixture(scope="module")
def server_process():
    """What SERVER_PROCESS_PROBE found in a fresh Python, by name."""
    import json

    return json.loads(_python(SERVER_PROCESS_PROBE).splitlines()[-1])


def test_launcher_and_server_load_no_widgets(server_process):
    """`retention-xl app` and the server import neither ipywidgets nor matplotlib (the
    kernels do): the server answers sooner."""
    assert server_process["loaded"] == []


def test_server_skips_the_grammar_module_and_still_checks_schemas(server_process):
    """The server never imports rfc3987_syntax (seconds at each start); jsonschema, which
    the server's event log uses, still validates, formats included."""
    assert server_process["grammar"] == [True, True, False]


def test_app_built_later_has_every_tab_soon_after(monkeypatch):
    """App(later=True) on an event loop (a kernel's): the first tab at once, every other one
    built just after, each the same widget as the attribute of that name."""
    from retention_xl.widgets import app as app_module

    monkeypatch.setattr(app_module, "LATER_SECONDS", 0.05)

    async def build():
        app = app_module.App(later=True)
        first = [type(child).__name__ for child in app.tabs.children]
        for _ in range(200):
            await asyncio.sleep(0.05)
            if len(app._built) == len(app_module.TABS):
                break
        return app, first

    app, first = run_async(build())
    assert first == ["RetentionCalculator", "VBox", "VBox", "VBox"]
    tabs = app.tabs.children
    assert [type(child).__name__ for child in tabs[1:]] == ["VBox"] * 3  # the same boxes
    assert [type(box.children[0]).__name__ for box in tabs[1:]] == [
        "WhatIf", "FromData", "GroupForecast"]
    assert tabs[1].children == (app.what_if,) and tabs[3].children == (app.forecast,)
    assert app.calculator.readouts()["Retention"] == "92.5%"


def test_notebook_of_the_app_builds_later():
    from retention_xl.widgets.launch import notebook_json

    assert "App(later=True)" in notebook_json("App")
    assert "RetentionCalculator()" in notebook_json("RetentionCalculator")
    assert (ROOT / "widgets" / "app.ipynb").read_text(encoding="utf-8") == notebook_json("App")


def test_launcher_opens_the_browser_at_once_then_says_ready(tmp_path):
    """`retention-xl app` hands the address to the browser as soon as the server answers,
    then says in the terminal that the app is ready; Ctrl+C (SIGTERM) stops it all."""
    with LaunchedApp(tmp_path) as app:
        assert app.wait_for("The app is ready", timeout=180), app.output()
        said = app.output()
        address = app.address()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/voila/render/app\.ipynb\?token=\S+", address)
        assert said.index("Starting the retention_xl app") < said.index(
            "Opening it in your browser") < said.index("The app is ready")
        assert address in said
        with urllib.request.urlopen(address, timeout=60) as page:
            assert page.status == 200
    assert app.exit_status == 0
    assert "Stopped." in app.output()


def test_a_refill_waits_its_delay_unless_a_page_asks():
    """The preloaded page's refill starts after its delay (the page that took the kernel
    opens meanwhile), or as soon as another page asks for a kernel (refill_now)."""
    from retention_xl.widgets import serve

    started: list[float] = []

    async def start():
        started.append(time.monotonic())
        return "kernel"

    async def refills():
        begin = time.monotonic()
        waited = asyncio.ensure_future(serve.refill_after(0.2, start()))
        await asyncio.sleep(0.05)
        assert started == []  # still waiting out its delay
        assert await waited == "kernel" and started[0] - begin >= 0.2
        hurried = asyncio.ensure_future(serve.refill_after(600, start()))
        await asyncio.sleep(0.05)
        assert serve.refill_now() == 1
        assert await asyncio.wait_for(hurried, 30) == "kernel"
        return serve.refill_now()

    assert run_async(refills()) == 0  # nothing left waiting
    assert len(started) == 2


def test_server_refills_through_the_wait_that_a_page_cuts_short(server_process):
    assert server_process["refill"] is True


def _labextension_files() -> tuple[str, str]:
    """The address of the widget manager's entry file (named after its content) and of its
    package.json (not), as the server serves them."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("labextensions"):
        package = pathlib.Path(folder) / "@jupyter-widgets" / "jupyterlab-manager"
        entries = sorted((package / "static").glob("remoteEntry.*.js"))
        if entries:
            base = "/voila/labextensions/@jupyter-widgets/jupyterlab-manager/"
            return base + "static/" + entries[0].name, base + "package.json"
    pytest.skip("the widget manager's JupyterLab extension is not installed")


def test_extension_files_named_after_their_content_are_kept_by_the_browser(voila_app):
    """The page's extension files carry a hash of their content in their name: served as
    immutable, the browser never asks for them again; other files are still checked."""
    from retention_xl.widgets.serve import IMMUTABLE

    hashed, plain = _labextension_files()
    with urllib.request.urlopen(voila_app.base_url + hashed, timeout=30) as answer:
        assert answer.status == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    with urllib.request.urlopen(voila_app.base_url + plain, timeout=30) as answer:
        assert answer.status == 200 and answer.headers["Cache-Control"] == "no-cache"


# --------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def browser(chromium):
    return chromium.browser


def _usable(page) -> None:
    """The first tab answers a typed value (the retention shown changes)."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="Customers at start of period", exact=True)
    box.wait_for(timeout=120_000)
    retention = page.locator(".rxl-card .rxl-value").first
    expect(retention).to_have_text("92.5%", timeout=60_000)
    box.fill("100")
    expect(retention).to_have_text("99.0%", timeout=60_000)  # (120 - 21) / 100


@pytest.fixture(scope="module")
def server_just_started():
    """A server of this file's own, started as the launcher starts it (not waiting for the
    preloaded page): the page opened at once sees the kernel still running the app. The
    test that stops a server stops this one, after the first, on the page it left open
    (``left_open``: browser contexts, closed at the end)."""
    from retention_xl.widgets.launch import VoilaServer

    with VoilaServer(ROOT / "widgets").start(timeout=120, wait_for_page=False) as server:
        server.left_open = []
        try:
            yield server
        finally:
            for context in server.left_open:
                context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_page_opened_while_the_kernel_runs_the_app_fills_in(browser, server_just_started):
    """Opened the moment the server answers (as the launcher does), the page loads its
    scripts once, while the kernel runs the app, then works: every tab there, no request
    leaves this computer (no MathJax from a CDN)."""
    from playwright.sync_api import expect

    server = server_just_started
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(server.url(), wait_until="commit")
    _usable(page)
    html = page.content()
    assert requests.count(f"{server.base_url}/voila/static/voila.js") == 1
    assert not [url for url in requests if not url.startswith(
        (server.base_url, server.base_url.replace("http", "ws"), "data:", "blob:"))]
    assert not [url for url in requests if "mathjax" in url.lower()]
    assert "jupyter-config-data" in html
    for tab, title in (("Where is this group heading?", "Where is this group heading?"),
                       ("What is better retention worth?", "What is better retention worth?"),
                       ("From your data", "Your retention, period by period")):
        page.get_by_role("tab", name=tab).click()  # the widget's own title, not a stand-in
        expect(page.locator(".rxl-title", has_text=title).first).to_be_visible(timeout=60_000)
        # and the tab opened stays open while the others are built
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
    server.left_open.append(context)  # a page that works, for the stopped-server test


@pytest.mark.browser
@pytest.mark.slow
def test_a_stopped_server_is_said(new_app_page, chromium, server_just_started):
    """A page whose server stops says so. It stops a server of this file's own (the one
    started for the test above, whose working page it takes), not the run's."""
    expect = chromium.expect
    left = server_just_started.left_open
    with (contextlib.nullcontext(left[-1].pages[-1]) if left
          else new_app_page(390, server=server_just_started, cut_off=[])) as page:
        server_just_started.stop()
        notice = page.get_by_role("alert").filter(has_text="The app has stopped")
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_contain_text("make run")
        page.screenshot(path=str(pathlib.Path(tempfile.gettempdir()) / "retention_xl_server_stopped.png"))


@pytest.fixture(scope="module")
def visits(browser):
    """One browser context for this file's pages on the run's server, as one person's browser:
    a page finds in its cache what the pages before it left there, and a test that needs a
    page the app has filled in, not a fresh one, takes the one left open (``visits.pages``).
    ``visits.visited``: a page has loaded the app in it."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.visited = False
    try:
        yield context
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_preloaded_page_sends_the_first_tab_then_builds_the_others(visits, voila_app):
    """The preloaded kernel holds the first tab only: the page opened receives its widgets
    alone (a sixth of the four tabs' state), then the other tabs are built and reach the
    page by themselves, no tab clicked."""
    states: list[int] = []

    def on_frame(payload) -> None:
        text = payload if isinstance(payload, str) else payload.decode("latin-1")
        if '"update_states"' in text:
            states.append(text.count('"model_name"'))

    page = visits.new_page()
    try:
        page.on("websocket", lambda socket: socket.on("framereceived", on_frame))
        page.goto(voila_app.url(), wait_until="commit")
        _usable(page)
        visits.visited = True
        assert len(states) == 1 and 20 < states[0] < 120, states  # the four tabs: about 300
        for title in ("What is better retention worth?", "Where is this group heading?",
                      "Your retention, period by period"):  # built in their hidden tabs
            page.locator(".rxl-title", has_text=title).first.wait_for(state="attached",
                                                                      timeout=60_000)
        assert page.get_by_role("tab", name="Retention calculator").get_attribute(
            "aria-selected") == "true"
    finally:
        page.close(run_before_unload=True)


@pytest.mark.browser
@pytest.mark.slow
def test_a_page_opened_again_asks_the_server_for_no_script(visits, voila_app):
    """A second visit of the page in the same browser takes the JupyterLab extension files
    and Voila's chunks from the browser's cache (not one request for them reaches the
    server), and works. Voila's chunks come from a folder named after a fingerprint of
    Voila's files (/voila/static/rxl-KEY/, serve.cache_voila_scripts), sent as immutable:
    an upgraded Voila is in another folder, never an old kept chunk beside a new one; a
    folder of another fingerprint is not found; Voila's own address of a file is still
    served, checked each time. The first visit: the test above's page (or one of its own
    when run alone). The page is left open for the closed-page test."""
    from retention_xl.widgets.serve import IMMUTABLE, VERSIONED_STATIC

    if not visits.visited:
        first = visits.new_page()
        first.goto(voila_app.url(), wait_until="commit")
        _usable(first)
        first.close(run_before_unload=True)
        visits.visited = True
    page = visits.new_page()
    network = visits.new_cdp_session(page)
    network.send("Network.enable")
    asked = []  # (address, status, taken from the browser's cache)
    network.on("Network.responseReceived", lambda event: asked.append(
        (event["response"]["url"], event["response"]["status"],
         event["response"].get("fromDiskCache") or event["response"].get("fromMemoryCache"))))
    page.goto(voila_app.url(), wait_until="commit")
    _usable(page)
    network.detach()
    extension_files = [(url, status, from_cache) for url, status, from_cache in asked
                       if "/voila/labextensions/" in url]
    assert len(extension_files) >= 4  # the two managers' entries and their parts
    assert all(from_cache and status == 200 for _, status, from_cache in extension_files), \
        extension_files
    folder = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                           ".textContent).fullStaticUrl")
    assert re.fullmatch(rf"/voila/static/{VERSIONED_STATIC}[0-9a-f]{{16}}", folder), folder
    chunks = [(url, status, from_cache) for url, status, from_cache in asked
              if re.search(r"/voila/static/.*\.voila\.js$", url)]
    assert len(chunks) >= 20, asked
    assert all(f"{folder}/" in url and from_cache and status == 200 for url, status, from_cache
               in chunks), chunks
    with urllib.request.urlopen(f"{voila_app.base_url}{folder}/voila.js", timeout=30) as answer:
        assert answer.status == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    with urllib.request.urlopen(f"{voila_app.base_url}/voila/static/voila.js", timeout=30) as answer:
        assert answer.status == 200 and answer.headers.get("Cache-Control") != IMMUTABLE
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{voila_app.base_url}/voila/static/{VERSIONED_STATIC}{'0' * 16}"
                               "/voila.js", timeout=30)
    assert refused.value.code == 404


def _a_usable_page(context, server):
    """The page left open in ``context`` (filled in, typed in), or a new one made usable."""
    if context.pages:
        return context.pages[-1]
    page = context.new_page()
    page.goto(server.url(), wait_until="commit")
    _usable(page)
    return page


def _kernel_gone(server, kernel_id: str) -> bool:
    from retention_xl.widgets.launch import _descendants

    try:
        urllib.request.urlopen(f"{server.base_url}/api/kernels/{kernel_id}?token={server.token}",
                               timeout=5).close()
        return False
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    for pid in _descendants(server.process.pid):
        try:
            if kernel_id in pathlib.Path(f"/proc/{pid}/cmdline").read_text():
                return False
        except OSError:
            continue
    return True


@pytest.mark.browser
@pytest.mark.slow
def test_a_closed_page_gives_its_kernel_back(visits, voila_app):
    """A tab closed (or reloaded) stops its kernel itself, as its last word: not left to the
    cull. (A browser gone without a word leaves it to the cull, 60 s idle checked every 30 s:
    test_app_security's culling test watches that on a server with its clock sped up.)
    On the run's server (its log read from here on; no server of its own to start), the
    page the test above left open (a new one when run alone)."""
    with contextlib.nullcontext(voila_app) as server:
        page = _a_usable_page(visits, server)
        kernel_id = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
        assert not _kernel_gone(server, kernel_id)
        page.close(run_before_unload=True)
        deadline = time.monotonic() + 30  # the beacon's shutdown takes seconds; the cull, 60-90 s
        while not _kernel_gone(server, kernel_id) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _kernel_gone(server, kernel_id)
        assert not re.search(rf"Culling .*{kernel_id}", server.log()), server.log()[-2000:]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
