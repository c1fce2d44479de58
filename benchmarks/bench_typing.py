"""In Chromium: slider key press to the new chart shown, per tab, in three fresh pages.

The typing part of :mod:`benchmarks.bench_browser` alone (no page-open measure):
``python -m benchmarks typing``. Target median <= 40 ms and p90 <= 80 ms per tab.
"""

from __future__ import annotations

from .bench_browser import main_typing as main

if __name__ == "__main__":
    main()
