"""Shared test fixtures: one place for what several test modules need.

Test modules never import from each other. What they share lives here:

- builders, as fixtures: ``hand_log`` (a hand-checked purchase log), ``random_rows``
  (random purchase logs, drawn the same for a seed), ``filled_template`` (a template
  filled as a user would), ``cli`` (``retention-xl`` run in this process), ``lite_main``
  (code run beside the generated xlwings Lite main.py, in one isolated Python);
- constants and checks, imported (``from conftest import MONTHS, is_png``):
  ``MONTHS`` (six months of counts), ``is_png``, ``require_program``, ``require_module``,
  ``drawn`` (wait until a page has drawn its last change);
- the real programs, started once per test run (once per pytest-xdist worker that runs a
  test needing them): ``chromium`` (Debian's Chromium driven by Playwright), ``voila_app``
  (the app served by Voila), ``new_app_page`` to open the app in a page of its own, and
  ``app_pages`` for a page per size shared by a file's tests; see their docstrings.

With two pytest-xdist workers (``-n 2 --dist loadfile --no-loadscope-reorder``) each file's
tests run in one worker, the files with slow tests handed out first (see
``pytest_collection_modifyitems``), as ``make test`` runs them (see the Makefile).

Tests that need a real external program (LibreOffice, Chromium) call
``require_program``: on a developer's machine without it they skip with the
reason; with RETENTION_XL_REQUIRE_EXTERNAL=1 (set by .ci/run) the skip becomes a
failure, so CI never passes by skipping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pathlib
import random
import shutil
from types import SimpleNamespace

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

REQUIRE_EXTERNAL = os.environ.get("RETENTION_XL_REQUIRE_EXTERNAL") == "1"


def require_program(*names: str) -> str:
    """Path of the first program found among ``names``; skip (or fail in CI) if none."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    reason = f"needs {' or '.join(names)}, which is not installed (.ci/run installs it)"
    if REQUIRE_EXTERNAL:
        pytest.fail(reason + " - RETENTION_XL_REQUIRE_EXTERNAL=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def require_module(*names: str) -> None:
    """Skip the module (or fail in CI) unless every one of ``names`` is installed.

    Checked without importing: importing voila or jupyterlab costs seconds, and a module is
    imported at collection even by a run that deselects its tests.
    """
    import importlib.util

    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"needs the Python package {', '.join(missing)} (pip install -e '.[all]')"
        if REQUIRE_EXTERNAL:
            pytest.fail(reason + " - RETENTION_XL_REQUIRE_EXTERNAL=1 forbids skipping", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_EXTERNAL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in CI, which forbids skips: {reason}"


# ----------------------------------------------------------------- the test process's imports
# nbformat, nbclient and jupyter_server load jsonschema, which imports ``rfc3987_syntax`` (a
# grammar built at import: 2 s of CPU) to check the "iri" format that no schema they read
# uses. The app's server leaves it out the same way (retention_xl.widgets.serve.skip_slow_imports;
# test_app_open checks that schemas are still checked without it).
import sys  # noqa: E402

sys.modules.setdefault("rfc3987_syntax", None)  # None: "import rfc3987_syntax" fails


# ----------------------------------------------------------------- hypothesis profiles (issue 9)
# CI must not pass or fail by chance: with CI set (CI=true on every CI service; .ci/run sets
# RETENTION_XL_REQUIRE_EXTERNAL=1) hypothesis draws the same examples every run and has no
# deadline on a loaded machine. Local runs keep exploring at random. Every failure hypothesis
# ever found stays in the tests as an explicit @example.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes") or REQUIRE_EXTERNAL:
    _hypothesis_settings.load_profile("ci")


@pytest.fixture
def cli(capsys):
    """Run ``retention-xl`` in this process (``main(argv)``, no subprocess): the exit status
    and what it printed, as ``returncode``, ``stdout`` and ``stderr``."""
    from types import SimpleNamespace

    from retention_xl.cli import main

    def run(*args: str) -> SimpleNamespace:
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse: --help, or arguments it cannot parse
            code = stop.code if isinstance(stop.code, int) else 2
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return run


# ----------------------------------------------------------------- purchase logs
@pytest.fixture
def hand_log():
    """Six customers over January to May 2024, as a DataFrame (customer_id, date).

    ann  Jan Feb Mar(x2)          steady, then gone
    bob  Jan     Mar     May      two gaps: reactivated in March and in May
    cy       Feb                  joins and leaves (new in Feb, lost in Mar)
    dee          Mar Apr
    eve  Jan(x2)                  joins and leaves within January: counted once
    fay              Apr May
    """
    import pandas as pd

    rows = [("ann", "2024-01-04"), ("bob", "2024-01-15"), ("eve", "2024-01-20"), ("eve", "2024-01-31"),
            ("ann", "2024-02-02"), ("cy", "2024-02-29"),
            ("ann", "2024-03-01"), ("ann", "2024-03-30"), ("bob", "2024-03-10"), ("dee", "2024-03-31"),
            ("dee", "2024-04-01"), ("fay", "2024-04-15"),
            ("bob", "2024-05-05"), ("fay", "2024-05-31")]
    random.Random(1).shuffle(rows)  # the order of the rows does not matter
    return pd.DataFrame(rows, columns=["customer_id", "date"]).assign(date=lambda d: pd.to_datetime(d["date"]))


def _random_rows(seed: int, ids: str = "int", *, customers: int = 40, spans=(20, 200, 900),
                 first_day=dt.date(2023, 12, 25), later_by: int = 30, purchases: int = 300,
                 amounts=None, copies: int | None = None) -> list[tuple]:
    rng = random.Random(seed)
    customers = rng.randint(1, customers)
    span = rng.choice(spans)
    day0 = first_day + dt.timedelta(days=rng.randint(0, later_by))
    rows = []
    for _ in range(rng.randint(1, purchases)):
        c = rng.randrange(customers)
        customer = {"int": c * 7 + 3, "str": f"C{c:03d}", "sparse": c * 10**12}[ids]
        day = day0 + dt.timedelta(days=rng.randrange(span))
        rows.append((customer, day) if amounts is None else (customer, day, float(rng.choice(amounts))))
    if copies is not None:
        for _ in range(rng.randint(0, copies)):  # exact copies
            rows.append(rng.choice(rows))
        rng.shuffle(rows)
    return rows


@pytest.fixture(scope="session")
def random_rows():
    """``random_rows(seed, ids="int", **shape)``: a random purchase log as (customer, date) rows,
    the same for the same seed.

    ``ids`` is "int" (small integers), "str" (``C007``) or "sparse" (integers 10**12 apart).
    The shape: up to ``customers`` customers (40) and ``purchases`` rows (300), over a span of
    one of ``spans`` days (20, 200 or 900) from a day up to ``later_by`` days after
    ``first_day``; with ``amounts``, a third value drawn from them; with ``copies``, up to that
    many exact copies of rows, then the rows shuffled.
    """
    return _random_rows


# ----------------------------------------------------------------- template workbooks
#: Six months of counts (period, customers at start, at end, new), as a user types them.
MONTHS = [("Jan", 200, 190, 5), ("Feb", 190, 185, 10), ("Mar", 185, 180, 12), ("Apr", 180, 172, 8),
          ("May", 172, 170, 9), ("Jun", 170, 168, 6)]


def _filled_template(folder, rows, *, ppy=None, industry=None, points=None, name="filled.xlsx",
                     template_rows: int = 60):
    import openpyxl

    from retention_xl.workbook import write_template

    path = folder / name
    write_template(path, rows=template_rows)
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Data"]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            ws.cell(5 + offset, column).value = value
    for cell, value in (("K5", ppy), ("K6", industry), ("K7", points)):
        if value is not None:
            ws[cell].value = value
    workbook.save(path)
    return path


@pytest.fixture(scope="session")
def filled_template():
    """``filled_template(folder, rows, ppy=, industry=, points=, name="filled.xlsx", template_rows=60)``:
    the template written to ``folder/name`` and filled as a user would: ``rows`` of counts in A:D
    from row 5, the settings (periods per year, industry, alert points) in K5:K7. Returns the path."""
    return _filled_template


# ----------------------------------------------------------------- pictures
def run_async(coroutine):
    """``asyncio.run(coroutine)`` in a thread of its own: the run's one Chromium (Playwright's
    sync API) keeps an event loop running in the main thread once a browser test has started
    it, and ``asyncio.run`` refuses to start inside a running loop."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(data) -> bool:
    """True when ``data`` (bytes, memoryview) starts with the PNG file signature."""
    return bytes(data[:8]) == PNG_SIGNATURE


# ----------------------------------------------------------------- the app in a real browser
#: How the tests start Debian's Chromium: headless, nothing fetched in the background.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
#: Live kernels the shared test server allows. Every page is a kernel, and a closed page's kernel
#: is given back after a minute idle; the app's own cap (serve.MAX_KERNELS) is for one person.
TEST_SERVER_KERNELS = 24
#: Markers of the tests that take seconds each (a program started, a page opened, a wait).
SLOW_MARKERS = ("slow", "browser", "libreoffice")


def _file_of(item) -> str:
    return item.nodeid.split("::")[0]


def pytest_collection_modifyitems(config, items):
    """The files of slow tests first, the most slow tests first (then the files with the
    most tests): with ``--no-loadscope-reorder`` pytest-xdist hands out files in this order,
    so the long ones start at once instead of being last in one worker while the other
    waits. Within a file the order is kept.

    With ``-n 2 --dist loadfile`` a file's tests run in one worker,
    so that a module's fixture (a LibreOffice run, a server of its own, a PostgreSQL, a page
    shared by a file's tests) is set up once, not once in each worker. The run's Chromium
    and Voila (``chromium``, ``voila_app``) start once in each worker that gets a browser
    file: a second start (a few seconds of CPU) buys running the browser files, most of the
    run's wall time, in both workers at once. (Not ``--dist loadgroup``: with pytest 9.2 and
    pytest-xdist 3.8 its ``xdist_group`` marks are silently ignored, pytest-xdist issue 1386,
    and every test is sent on its own.)"""
    slow, count, first = {}, {}, {}
    for index, item in enumerate(items):
        name = _file_of(item)
        first.setdefault(name, index)
        count[name] = count.get(name, 0) + 1
        slow[name] = slow.get(name, 0) + any(item.get_closest_marker(m) for m in SLOW_MARKERS)
    items.sort(key=lambda item: (-slow[_file_of(item)], -count[_file_of(item)], first[_file_of(item)]))


#: True once the page has drawn its last change: two animation frames (the browser's layout
#: and the messages the widgets post on a tab switch, handled at the next frame), and every
#: picture shown loaded.
_DRAWN = """() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() =>
    resolve([...document.querySelectorAll('img')].filter((img) => img.offsetParent)
            .every((img) => img.complete)))))"""


def drawn(page) -> None:
    """Wait until ``page`` has drawn what it shows (instead of a fixed wait after a click)."""
    page.wait_for_function(_DRAWN)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright, started once: ``chromium.browser``,
    ``chromium.expect``, ``chromium.TimeoutError``.

    Open pages in a context of your own (``chromium.browser.new_context(...)``, or
    ``new_app_page``) and close it. Playwright's sync API runs once in a process: a browser
    test takes this fixture, never a ``sync_playwright()`` of its own.
    """
    path = require_program("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    # an ``expect`` waits until what it expects is so (at once when it is): 30 s, not Playwright's
    # 5 s, for a page's kernel to answer on a machine loaded by the other worker and other programs
    # (a result after typing once took more than 5 s there). Only a failing test waits longer.
    sync_api.expect.set_options(timeout=30_000)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield SimpleNamespace(browser=browser, expect=sync_api.expect, TimeoutError=sync_api.TimeoutError)
        finally:
            browser.close()


@pytest.fixture(scope="session")
def voila_app():
    """The app's notebooks (widgets/) served by Voila, started once: a
    :class:`retention_xl.widgets.app.VoilaServer` with room for every test's pages.

    Never stop it (a test that stops a server starts one of its own). When the run ends,
    Voila and every kernel it started must be gone.
    """
    require_module("voila")
    from retention_xl.widgets.app import VoilaServer
    from retention_xl.widgets.launch import _descendants

    before = os.environ.get("RETENTION_XL_MAX_KERNELS")
    os.environ["RETENTION_XL_MAX_KERNELS"] = str(TEST_SERVER_KERNELS)  # read by the server at start
    try:
        server = VoilaServer(ROOT / "widgets").start(timeout=120)
    finally:
        if before is None:
            del os.environ["RETENTION_XL_MAX_KERNELS"]
        else:
            os.environ["RETENTION_XL_MAX_KERNELS"] = before
    voila_pid = server.process.pid
    try:
        yield server
    finally:
        kernels = _descendants(voila_pid)
        server.stop()
    # nothing left running: Voila and the kernels it started are gone (or zombies, reaped later)
    for pid in [voila_pid, *kernels]:
        assert not pathlib.Path(f"/proc/{pid}").exists() or \
            "Z" in pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2], pid


@pytest.fixture(scope="session")
def new_app_page(chromium, voila_app):
    """``with new_app_page(width=1366, height=900) as page:`` the app in a new page of its own
    (a new browser context, so a new kernel), loaded until the calculator's first box shows;
    closed at the end of the block.

    ``server`` serves another VoilaServer than ``voila_app``; ``cut_off``, a list: every
    request off 127.0.0.1 is cut and its address appended; ``timeout`` (ms) for each step.
    """
    @contextlib.contextmanager
    def open_page(width: int = 1366, height: int = 900, *, server=None, cut_off: list | None = None,
                  timeout: float = 60_000):
        context = chromium.browser.new_context(viewport={"width": width, "height": height})
        try:
            if cut_off is not None:
                def only_local(route):
                    url = route.request.url
                    if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                        return route.continue_()
                    cut_off.append(url)
                    return route.abort()

                context.route("**/*", only_local)
            page = context.new_page()
            page.set_default_timeout(timeout)
            said = []  # what the page's console said: kept to explain a page that never fills in
            page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
            try:
                page.goto((server or voila_app).url(), wait_until="load")
                page.get_by_role("textbox", name="Customers at start of period", exact=True).wait_for()
            except chromium.TimeoutError as error:
                text = page.evaluate("document.body ? document.body.innerText : ''")
                raise AssertionError(
                    f"the app's page did not fill in within {timeout / 1000:.0f} s\n"
                    f"console: {said[-20:]}\npage text: {text[:1500]!r}\n"
                    f"server log (end): {(server or voila_app).log()[-3000:]}") from error
            yield page
        finally:
            for page in context.pages:  # as a tab is closed: its kernel is stopped at once
                page.close(run_before_unload=True)
            context.close()

    return open_page


@pytest.fixture(scope="module")
def app_pages(new_app_page):
    """``app_pages(width, height=900)``: the app's page at that size shared by a test file's
    tests (opened by the first that asks, closed when the file is done), with what it tried
    to fetch off 127.0.0.1 in ``page.cut_off``. A page is a kernel started (seconds of CPU):
    tests that each need the app at a width, not a fresh one, reuse it, each setting what it
    reads (a tab, typed values) itself. ``app_pages.take(width)`` hands the page over to a
    test that ends it (kills its kernel): later tests get a new one."""
    with contextlib.ExitStack() as stack:
        opened: dict[tuple[int, int], object] = {}

        def page_at(width: int, height: int = 900):
            if (width, height) not in opened:
                cut_off: list[str] = []
                page = stack.enter_context(new_app_page(width, height, cut_off=cut_off))
                page.cut_off = cut_off
                opened[width, height] = page
            return opened[width, height]

        def take(width: int, height: int = 900):
            page = page_at(width, height)
            del opened[width, height]  # still closed at the end of the file
            return page

        page_at.take = take
        yield page_at


# ----------------------------------------------------------------- the xlwings Lite main.py
#: Runs beside the generated main.py under ``python -I`` (the checkout and the installed
#: retention_xl out of reach, as under Pyodide): each line read is a probe's code, as JSON,
#: run in names of its own; what it printed (or its traceback) goes back as one JSON line.
_LITE_RUNNER = r"""
import contextlib, io, json, sys, traceback
for line in sys.stdin:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(json.loads(line), "<probe>", "exec"), {"__name__": "__probe__"})
        answer = {"out": out.getvalue()}
    except BaseException:
        answer = {"out": out.getvalue(), "error": traceback.format_exc()}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""


@pytest.fixture(scope="session")
def lite_main(tmp_path_factory):
    """``lite_main(code)``: what ``code`` printed, run by ``python -I`` from a folder holding
    only the generated xlwings Lite files (``sys.argv[1]`` is that folder). One Python for the
    run's probes (once per pytest-xdist worker): importing main.py (numpy, pandas, scipy and
    the embedded core) costs seconds a start. A probe that raises fails its test."""
    import json
    import subprocess
    import sys

    from retention_xl.excel import lite

    folder = tmp_path_factory.mktemp("lite")
    lite.write_lite_files(folder)
    runner = subprocess.Popen([sys.executable, "-I", "-c", _LITE_RUNNER, str(folder)], cwd=folder,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(code: str) -> str:
        runner.stdin.write(json.dumps(code) + "\n")
        runner.stdin.flush()
        line = runner.stdout.readline()
        assert line, f"the Lite main.py runner stopped (exit status {runner.poll()})"
        answer = json.loads(line)
        assert "error" not in answer, answer["error"][-2000:]
        return answer["out"]

    try:
        yield run
    finally:
        runner.stdin.close()
        runner.wait(30)
