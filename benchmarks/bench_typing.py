"""In Chromium: slider key press to the new chart shown, per tab, in three fresh pages.

The typing part of :mod:`benchmarks.bench_browser` alone (no page-open measure):
``python -m benchmarks typing``. Target median <= 40 ms and p90 <= 80 ms per tab.

A time ends at the screen frame after the new chart has decoded, so in practice the times
come in steps of a frame (about 16.7 ms at 60 Hz): 32-33 ms is a chart shown on the second
frame after the key, 47-49 ms on the third. A change that moves a median from one step to
the next is what a person sees; a millisecond saved within a step is not. The machine is
shared: compare versions in alternating runs and quote the load average printed.
"""

from __future__ import annotations

from .bench_browser import main_typing as main

if __name__ == "__main__":
    main()
