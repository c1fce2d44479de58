"""The app's page as a person meets it, in Debian's Chromium: open, launch, memory, close.

"Usable" is the first tab's boxes and chart on screen and a typed value answered:
from ``goto`` until "100" typed in "Customers at start of period" has changed the
retention shown (the kernel has computed it and the page shows it).

- Page open to usable (target <= 2 s), the server already running with its
  preloaded page ready (a person arriving):
  cold, a new browser profile each time (nothing cached: a first visit), and
  warm, a new tab of the same browser (its cache holds the app's scripts: every
  later visit or reload). Each open waits until the pool has its page ready again.
- Launch to usable (target <= 10 s): ``retention-xl app`` started in a new
  process, as ``make run`` does on a machine whose environment is installed,
  until its page is usable in the browser it opens (a ``BROWSER`` command that
  hands the address to this Chromium). Shown with the time at which the terminal
  says "The app is ready".
- How many of the page's scripts were asked of the server (the others came from the
  browser's cache).
- Kernel memory: resident size of the preloaded kernel (idle, nothing opened)
  and of a page's kernel after each tab was opened.
- Kernel freed after close: from closing a page to its kernel process gone
  (target <= 120 s).

The machine is shared: each figure is a median with its spread, and the load
average is printed with it.

Run: ``python -m benchmarks open`` (needs /usr/bin/chromium and Voila). ``OPENS``,
``LAUNCHES`` (environment variables) change the number of runs.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import statistics
import tempfile
import time

from .app_launch import LaunchedApp, kernel_state, wait_until_newest_kernel_idle

ROOT = pathlib.Path(__file__).parent.parent
OPENS = int(os.environ.get("OPENS", 7))
LAUNCHES = int(os.environ.get("LAUNCHES", 3))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
FIRST_BOX = "Customers at start of period"


def load() -> str:
    return "load average " + " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def spread(values: list[float], unit: str = "s") -> str:
    """Median, lowest and highest, and the count: '2.10 s (1.90-2.60, 7 runs)'."""
    return (f"median {statistics.median(values):.2f} {unit} "
            f"({min(values):.2f}-{max(values):.2f}, {len(values)} runs)")


def until_usable(page, url: str) -> dict[str, float]:
    """Open ``url`` in ``page``; seconds to the first box, to the chart, to a typed value
    answered (the retention card changed after typing 100 in the first box)."""
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    box = page.get_by_role("textbox", name=FIRST_BOX, exact=True)
    box.wait_for(timeout=120_000)
    marks = {"box": time.monotonic() - start}
    page.locator("img.rxl-chart").first.wait_for(state="visible", timeout=120_000)
    marks["chart"] = time.monotonic() - start
    card = page.locator(".rxl-card .rxl-value").first
    before = card.inner_text()
    box.fill("100" if box.input_value() != "100" else "101")
    page.wait_for_function("([selector, before]) => { const c = document.querySelector(selector);"
                           " return c && c.innerText !== before; }",
                           arg=[".rxl-card .rxl-value", before], timeout=120_000)
    marks["usable"] = time.monotonic() - start
    return marks


def wait_for_preloaded_page(server, fills_before: int, timeout: float = 120) -> None:
    """Until the pool has refilled (one more "Kernel pool ... filled" line) and its kernel
    has run the app (idle at five looks 0.2 s apart), and 1 s more (the preloaded kernel
    builds its other tabs only once a page has the first one: nothing more to wait for)."""
    deadline = time.monotonic() + timeout
    while server.log().count("Kernel pool of") <= fills_before:
        if time.monotonic() > deadline:
            raise RuntimeError("the pool did not refill")
        time.sleep(0.2)
    wait_until_newest_kernel_idle(server, deadline)
    time.sleep(1)


def kernel_rss_mb(server) -> dict[str, int]:
    """Resident size of each kernel process (MB), by kernel id."""
    from retention_xl.widgets.launch import _descendants

    sizes = {}
    for pid in _descendants(server.process.pid):
        try:
            command = pathlib.Path(f"/proc/{pid}/cmdline").read_text()
            status = pathlib.Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"kernel-([0-9a-f-]{36})\.json", command)
        if "ipykernel" in command and found:
            sizes[found.group(1)] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024
    return sizes


def page_kernel_id(page) -> str:
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                         ".textContent).kernelId")


def scripts_fetched(page) -> str:
    """'asked of the server M of K': of the K scripts the page loaded, the M that came
    from the server, not from the browser's cache."""
    sizes = page.evaluate("performance.getEntriesByType('resource')"
                          ".filter(r => /\\.js(\\?|$)/.test(r.name)).map(r => r.transferSize)")
    return f"asked of the server {sum(size > 0 for size in sizes)} of {len(sizes)}"


def opens(server, browser, warm: bool) -> list[dict[str, float]]:
    """``OPENS`` page opens, each once the pool has its page ready again."""
    results = []
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    if warm:  # one visit first: the cache then holds the scripts, as for every later visit
        fills = server.log().count("Kernel pool of")
        page = context.new_page()
        until_usable(page, server.url())
        page.close()
        wait_for_preloaded_page(server, fills)
    for _ in range(OPENS):
        if not warm:
            context.close()
            context = browser.new_context(viewport={"width": 1366, "height": 900})
        fills = server.log().count("Kernel pool of")
        page = context.new_page()
        results.append(until_usable(page, server.url()))
        if len(results) == 1:
            print(f"  scripts of the first page: {scripts_fetched(page)}", flush=True)
        page.close()
        wait_for_preloaded_page(server, fills)
    context.close()
    return results


def kernel_freed_after_close(server, browser, goodbye: bool) -> tuple[float, dict[str, int]]:
    """Open a page, visit every tab, read the memory of its kernel, close it: seconds
    until its kernel process has gone, and the memory read. ``goodbye``: the tab is
    closed as a person closes it (the page's "beforeunload" runs); otherwise the
    browser goes without a word (killed, or the computer asleep): the cull's case."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    if not goodbye:  # the page's last word (its kernel's shutdown) never leaves
        context.add_init_script("navigator.sendBeacon = () => true;")
    page = context.new_page()
    until_usable(page, server.url())
    kernel = page_kernel_id(page)
    for tab in ("What is better retention worth?", "From your data",
                "Where is this group heading?", "Retention calculator"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(1500)
    sizes = kernel_rss_mb(server)
    memory = {"page kernel after every tab": sizes.get(kernel, -1)}
    others = [size for kid, size in sizes.items() if kid != kernel]
    if others:
        memory["preloaded kernel, idle"] = others[-1]
    closed = time.monotonic()
    if goodbye:
        page.close(run_before_unload=True)
    context.close()
    while kernel_state(server, kernel) is not None or kernel in kernel_rss_mb(server):
        if time.monotonic() - closed > 300:
            break
        time.sleep(0.5)
    return time.monotonic() - closed, memory


def launch_to_usable(browser) -> dict[str, float]:
    """``retention-xl app`` in a new process, as ``make run`` starts it; its browser
    (``BROWSER``) hands the address to Chromium, which opens it at once."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="rxl_launch_"))
    try:
        with LaunchedApp(folder) as app:
            address = app.address()
            opened = time.monotonic() - app.started
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            marks = until_usable(context.new_page(), address)
            usable = time.monotonic() - app.started
            app.wait_for("The app is ready")
            ready = time.monotonic() - app.started
            context.close()
        return {"browser opened": opened, "usable": usable, "box": opened + marks["box"],
                "terminal says ready": ready}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(name: str, results: list[dict[str, float]]) -> None:
    for mark in results[0]:
        print(f"  {name}, {mark}: {spread([r[mark] for r in results])}")


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("skipped: Debian's chromium is not installed")
        return
    from playwright.sync_api import sync_playwright

    from retention_xl.widgets.launch import VoilaServer

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        print(f"launch to usable ({load()}), target <= 10 s:", flush=True)
        report("retention-xl app", [launch_to_usable(browser) for _ in range(LAUNCHES)])
        print(f"  ({load()})", flush=True)

        began = time.monotonic()
        server = VoilaServer(ROOT / "widgets").start(timeout=120)
        print(f"server ready with a preloaded page after {time.monotonic() - began:.1f} s")
        try:
            for warm in (False, True):
                kind = "warm (cached scripts)" if warm else "cold (first visit)"
                print(f"page open to usable, {kind} ({load()}), target <= 2 s:", flush=True)
                report("open", opens(server, browser, warm))
            print(f"  ({load()})")
            for goodbye in (True, False):
                seconds, memory = kernel_freed_after_close(server, browser, goodbye)
                print("kernel memory (resident): " + ", ".join(
                    f"{name} {size} MB" for name, size in memory.items()))
                how = "tab closed" if goodbye else "browser gone without a word"
                print(f"kernel freed {seconds:.1f} s after its page closed ({how}; "
                      f"target <= 120 s)", flush=True)
        finally:
            server.stop()
        browser.close()


if __name__ == "__main__":
    main()
