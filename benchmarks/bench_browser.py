"""The app as a person meets it, in Debian's Chromium: key press to chart.

(Page open to usable, launch to usable, kernel memory and a closed page's kernel
freed are measured in ``python -m benchmarks open``: benchmarks/bench_open.py.)

- Slider key press to the new chart shown: ten ArrowRight, ten ArrowLeft... on a focused
  slider handle; measured inside the page from the keydown to the frame after
  the new chart image has decoded. 60 changes per tab. Target median <= 40 ms,
  p90 <= 80 ms.
- Kernel memory: resident size of each live kernel process after use.

Run: ``python -m benchmarks browser`` (needs /usr/bin/chromium and Voila).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import statistics
import time

CHANGES = 60
ROOT = pathlib.Path(__file__).parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

_WATCH = """() => {
  window.rxlLatencies = []; window.rxlKeyAt = null;
  document.addEventListener('keydown', () => { window.rxlKeyAt = performance.now(); }, true);
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) {
      if (node.nodeType !== 1 || !node.matches('img.rxl-chart') || !node.offsetParent) continue;
      if (window.rxlKeyAt === null) continue;
      const began = window.rxlKeyAt; window.rxlKeyAt = null;
      node.decode().then(() => requestAnimationFrame(
        () => window.rxlLatencies.push(performance.now() - began)));
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _kernel_rss_mb(server) -> list[int]:
    from retention_xl.widgets.launch import _descendants

    sizes = []
    for pid in _descendants(server.process.pid):
        try:
            if "ipykernel" not in pathlib.Path(f"/proc/{pid}/cmdline").read_text():
                continue
            status = pathlib.Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024)
    return sizes


def _key_latencies(page, slider_name: str) -> list[float]:
    page.get_by_role("slider", name=slider_name, exact=True).focus()
    latencies = []
    for i in range(CHANGES):
        before = page.evaluate("window.rxlLatencies.length")
        page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")  # stay in range
        try:
            page.wait_for_function(f"window.rxlLatencies.length > {before}", timeout=30_000)
        except Exception:
            print(f"no new chart after key press {i + 1} on {slider_name!r}")
            raise
        latencies.append(page.evaluate("window.rxlLatencies[window.rxlLatencies.length - 1]"))
        page.wait_for_timeout(60)  # a person's next key press, not a queue of them
    return latencies


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("skipped: Debian's chromium is not installed")
        return
    from playwright.sync_api import sync_playwright

    from retention_xl.widgets.launch import VoilaServer

    began = time.monotonic()
    server = VoilaServer(ROOT / "widgets").start(timeout=120)
    print(f"server ready with a preloaded page after {time.monotonic() - began:.1f} s")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(server.url(), wait_until="commit")
            page.get_by_role("textbox", name="Customers at start of period",
                             exact=True).wait_for(timeout=60_000)
            page.evaluate(_WATCH)
            for tab, slider in (("Retention calculator", "Customers at start of period"),
                                ("What is better retention worth?", "Retention uplift, points")):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(500)
                times = _key_latencies(page, slider)
                p50, p90 = statistics.median(times), _percentile(times, 0.9)
                verdict = "meets" if p50 <= 40 and p90 <= 80 else "MISSES"
                print(f"{tab}: key press to new chart shown, median {p50:.0f} ms, "
                      f"p90 {p90:.0f} ms, worst {max(times):.0f} ms over {len(times)} changes "
                      f"({verdict} target median <= 40 ms, p90 <= 80 ms)")
            sizes = _kernel_rss_mb(server)
            print(f"kernel memory: {len(sizes)} live kernels, resident "
                  f"{', '.join(f'{s} MB' for s in sizes)}")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()


# --------------------------------------------------------------------------- typing latency
#: The tabs measured for key press to new chart, and the slider pressed on each.
TYPING_TABS = (("Retention calculator", "Customers at start of period"),
               ("What is better retention worth?", "Retention uplift, points"))


def typing_latencies(browser, server, runs: int = 1) -> dict[str, list[list[float]]]:
    """Key press to new chart shown, ``CHANGES`` per tab and run, each run in a fresh page
    (a new kernel): {tab: [run 1's times in ms, run 2's ...]}."""
    found: dict[str, list[list[float]]] = {tab: [] for tab, _ in TYPING_TABS}
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        try:
            page = context.new_page()
            page.goto(server.url(), wait_until="commit")
            page.get_by_role("textbox", name="Customers at start of period",
                             exact=True).wait_for(timeout=60_000)
            page.evaluate(_WATCH)
            for tab, slider in TYPING_TABS:
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(500)
                found[tab].append(_key_latencies(page, slider))
        finally:
            context.close()
    return found


def typing_report(found: dict[str, list[list[float]]]) -> None:
    """Median and p90 of each run, then of all runs together, per tab."""
    for tab, runs in found.items():
        each = ", ".join(f"{statistics.median(t):.0f}/{_percentile(t, 0.9):.0f}" for t in runs)
        times = [x for t in runs for x in t]
        p50, p90 = statistics.median(times), _percentile(times, 0.9)
        verdict = "meets" if p50 <= 40 and p90 <= 80 else "MISSES"
        print(f"{tab}: key press to new chart shown, median {p50:.0f} ms, p90 {p90:.0f} ms, "
              f"worst {max(times):.0f} ms over {len(times)} changes in {len(runs)} page(s) "
              f"(each page's median/p90: {each}) ({verdict} target median <= 40 ms, p90 <= 80 ms)")


def main_typing(runs: int = 3) -> None:
    """Only the typing measure, in ``runs`` fresh pages: ``python -m benchmarks typing``."""
    chromium = shutil.which("chromium")
    if chromium is None:
        print("skipped: Debian's chromium is not installed")
        return
    from playwright.sync_api import sync_playwright

    from retention_xl.widgets.app import VoilaServer

    with VoilaServer(ROOT / "widgets").start(timeout=120) as server, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            with open("/proc/loadavg") as load:
                print(f"load average before: {' '.join(load.read().split()[:3])}")
            typing_report(typing_latencies(browser, server, runs))
            with open("/proc/loadavg") as load:
                print(f"load average after: {' '.join(load.read().split()[:3])}")
        finally:
            browser.close()
