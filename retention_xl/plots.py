"""Charts shared by the widgets and the reports: one look, drawn the fast way.

Every chart is a :class:`matplotlib.figure.Figure` made directly (no pyplot, so
nothing piles up in a global figure list or shows twice in a notebook) with
fixed margins (``subplots_adjust``), which redraws far faster than a
constrained layout. matplotlib is imported here and only here, so that
``import retention_xl`` stays light.

The split and projection charts are classes that keep their artists: a widget
builds one chart and calls ``update(...)`` on every slider change, which moves
the existing bars and lines instead of drawing a new figure. The
``*_figure`` functions are the one-shot form for reports.

Nothing here computes a metric: the numbers come from the core
(:func:`retention_xl.lost_customers`, :func:`retention_xl.project_profit`,
the period table) and are only drawn.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from . import formatting as fmt
from .rates import lost_customers

__all__ = [
    "COLORS",
    "SplitChart",
    "ProjectionChart",
    "customer_split_figure",
    "projection_figure",
    "retention_trend_figure",
    "figure_png",
    "log_activity_figure",
    "cohort_heatmap_figure",
    "retention_curve_figure",
]

#: One palette for every chart: kept customers green, lost red, new blue;
#: today's retention grey, the improved one teal.
COLORS = {
    "kept": "#2e7d32",
    "lost": "#c62828",
    "new": "#1f6fb2",
    "baseline": "#8a94a6",
    "improved": "#11897f",
    "benchmark": "#d9822b",
    "text": "#263238",
    "muted": "#607080",
    "grid": "#e3e7ec",
}

#: Resolution of the PNG images (the widgets show them at their natural size).
DPI = 100
#: Colours in a widget's chart frame (a palette PNG: small to send, quick to decode).
FRAME_COLORS = 128
#: How far a pixel of a frame may be from the colour drawn, of 255, before the frame's
#: palette is chosen afresh (a palette chosen for the frame itself keeps within about 14).
FRAME_COLOR_ERROR = 16

def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)  # a real canvas: savefig and draw need no backend switch
    return figure


def _style(ax, grid_axis: str = "y", labelsize: float = 9) -> None:
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(COLORS["grid"])
    ax.grid(axis=grid_axis, color=COLORS["grid"], linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(length=0, labelsize=labelsize)


def _title(ax, text: str, size: float = 11) -> None:
    ax.set_title(text, loc="left", fontsize=size, fontweight="bold", color=COLORS["text"], pad=8)


def _short_money(amount: float, _position=None) -> str:
    """$1.2M, $250k, -$20k, $900: tick labels that stay short."""
    size = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            text = f"{size / limit:.2f}".rstrip("0").rstrip(".")
            return f"{'-' if amount < 0 else ''}${text}{suffix}"
    return fmt.money(float(amount))


def _short_count(number: float, _position=None) -> str:
    """25,000 up to a million, then 1.2M."""
    if abs(number) >= 1e6:
        return f"{number / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    return fmt.count(float(number))


def _padded_limits(low: float, high: float, include_zero: bool = True) -> tuple[float, float]:
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if not math.isfinite(span) or span <= 0:
        span = abs(high) or 1.0
    return low - 0.06 * span * (low < 0), high + 0.08 * span


def _nice_step(span: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, about a fifth of ``span``."""
    rough = max(span, 1e-9) / 5
    power = 10 ** math.floor(math.log10(rough))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= rough)


def _steady_limits(current: tuple[float, float] | None, low: float, high: float,
                   include_zero: bool = True) -> tuple[float, float]:
    """Axis limits that hold still while the data moves a little.

    The limits change only when the data leaves them or fills less than
    half of them, and then snap to round numbers with some headroom.
    Steady limits keep the axes, ticks and labels the same from one slider
    step to the next, so only the data needs drawing again (see
    :class:`_FastFrames`), and the eye can compare one frame with the next.
    """
    want_low, want_high = _padded_limits(low, high, include_zero)
    if current is not None:
        c_low, c_high = current
        fits = c_low <= want_low and want_high <= c_high
        if fits and (want_high - want_low) >= 0.5 * (c_high - c_low):
            return current
    step = _nice_step(want_high - want_low)
    return (math.floor(want_low / step) * step if want_low < 0 else want_low,
            math.ceil(want_high / step) * step)


class _FastFrames:
    """PNG frames that redraw only the moving artists when nothing else changed.

    The first frame (and any frame after the axes changed) is drawn in full
    without the moving artists and kept as a background bitmap; later frames
    paste that bitmap and draw only the bars, lines and labels that moved.
    Text layout is most of matplotlib's drawing time, so this is several
    times faster than drawing the figure again. ``figure_png`` still draws the
    whole figure, for reports.
    """

    def __init__(self, figure: Figure, moving: list):
        self.figure = figure
        self.moving = moving
        self._background = None
        self._key = None
        self._stamps: dict = {}  # a label's pixels, drawn once, by (text, colour, font)
        self._palette = None  # the colours last chosen, as a palette image and packed RGBA
        self._palette_rgba = None

    def png(self, key) -> bytes:
        from PIL import Image  # Pillow comes with matplotlib

        canvas = self.figure.canvas
        redrawn = key != self._key or self._background is None
        if redrawn:
            for artist in self.moving:
                artist.set_animated(True)  # left out of the full draw
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            for artist in self.moving:
                artist.set_animated(False)
            self._key = key
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self.moving:
            if artist.get_visible() and not _stampable(artist):
                artist.draw(renderer)
        for artist in self.moving:  # labels on top, as drawn in full
            if artist.get_visible() and _stampable(artist) and artist.get_text():
                self._stamp(artist, renderer)
        width, height = canvas.get_width_height()
        pixels = canvas.buffer_rgba()
        frame = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
        # a chart of a few flat colours fits a 128-colour palette (no channel off by more
        # than about 14 of 255): a third of the bytes to send and far less to decode.
        # Choosing the palette is most of a frame's time, while one slider step to the next
        # moves the same colours: the palette is kept, each pixel mapped to its nearest
        # colour, and chosen afresh only when a pixel would come out further off.
        indexed = None
        if self._palette is not None and not redrawn:
            indexed = frame.quantize(palette=self._palette, dither=Image.Dither.NONE)
            if _palette_error(pixels, indexed, self._palette_rgba) > FRAME_COLOR_ERROR:
                indexed = None
        if indexed is None:
            indexed = self._palette = frame.quantize(FRAME_COLORS,
                                                     method=Image.Quantize.FASTOCTREE)
            self._palette_rgba = _palette_rgba(indexed)
        buffer = io.BytesIO()
        indexed.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _stamp(self, text: Text, renderer) -> None:
        """Draw a label from its pixels kept from the first time it was drawn.

        Drawing text (laying out and rasterising glyphs) is most of a frame's time,
        while from one slider step to the next most labels read the same ("99
        kept"). A label is drawn once on a transparent canvas of its own, at the
        same quarter-pixel offset as on the chart; later frames blend those pixels
        in at the label's place.
        """
        box = text.get_window_extent(renderer)  # its layout is cached by matplotlib
        x, y = round(box.x0 * 4) / 4, round(box.y0 * 4) / 4
        left, bottom = math.floor(x), math.floor(y)
        key = (text.get_text(), text.get_color(), hash(text.get_fontproperties()),
               x - left, y - bottom, math.ceil(box.width) + 2, math.ceil(box.height) + 2)
        stamp = self._stamps.get(key)
        if stamp is None:
            if len(self._stamps) > 500:
                self._stamps.clear()
            stamp = self._stamps[key] = _text_pixels(text, *key[3:])
        pixels = np.asarray(self.figure.canvas.buffer_rgba())
        rows, columns = stamp.shape[:2]
        top = pixels.shape[0] - bottom - rows  # rows are counted from the top
        area = pixels[max(top, 0):top + rows, max(left, 0):left + columns]
        part = stamp[max(-top, 0):max(-top, 0) + area.shape[0],
                     max(-left, 0):max(-left, 0) + area.shape[1]]
        alpha = part[..., 3:4].astype(np.float32) / 255
        area[..., :3] = (part[..., :3] * alpha + area[..., :3] * (1 - alpha) + 0.5).astype(np.uint8)


def _palette_rgba(indexed) -> np.ndarray:
    """A palette image's colours as 256 packed RGBA words, opaque (unused entries black)."""
    colours = np.zeros((256, 4), np.uint8)
    palette = np.frombuffer(bytes(indexed.getpalette("RGB")), np.uint8).reshape(-1, 3)
    colours[:len(palette), :3] = palette
    colours[:, 3] = 255  # as the chart's pixels: the figure is opaque
    return colours.view(np.uint32).ravel()


def _palette_error(pixels, indexed, palette_rgba: np.ndarray) -> int:
    """How far, at most, a pixel of ``indexed`` is from the opaque RGBA ``pixels`` drawn,
    in any channel, of 255."""
    drawn = np.asarray(pixels)
    shown = np.take(palette_rgba, np.asarray(indexed)).view(np.uint8).reshape(drawn.shape)
    return int((np.maximum(drawn, shown) - np.minimum(drawn, shown)).max())


def _stampable(artist) -> bool:
    """A plain label (upright, no box, no effects): one a stamp reproduces exactly."""
    return (isinstance(artist, Text) and artist.get_rotation() == 0
            and artist.get_bbox_patch() is None and not artist.get_path_effects())


def _text_pixels(text: Text, x: float, y: float, width: int, height: int) -> np.ndarray:
    """A label's RGBA pixels on a transparent canvas, its layout box's corner at (x, y) px."""
    from matplotlib.transforms import IdentityTransform

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    figure.patch.set_alpha(0)
    FigureCanvasAgg(figure)
    figure.text(x, y, text.get_text(), color=text.get_color(), transform=IdentityTransform(),
                fontproperties=text.get_fontproperties(), ha="left", va="bottom")
    figure.canvas.draw()
    return np.array(figure.canvas.buffer_rgba())


#: Size of the widgets' charts, inches at :data:`DPI`: 500 px wide, so that shown
#: in a 320 px column on a phone the text is still above 10 CSS px.
CHART_INCHES = {"split": (5.0, 2.5), "projection": (5.0, 5.4)}
#: Text size in the widgets' charts, points (12 pt is 16.7 px at 100 dpi).
CHART_FONT = 12
_GAP_PX = 8


def _label_px(text: str, size: float = CHART_FONT) -> float:
    """A generous width of a bold label in pixels (digits and lower case)."""
    return len(text) * 0.66 * size * DPI / 72 + 18


class SplitChart:
    """Where the starting customers went, and who joined: two stacked bars.

    The top bar is the customers at the start, split into kept (green) and lost
    (red); the bottom bar is the customers at the end, split into the same kept
    customers and the new ones (blue). The kept part lines up in both bars, so
    the split reads at a glance.

    Parameters
    ----------
    start, end, new : float
        Customers at the start, at the end (new ones included) and new customers;
        they must be valid counts (the widget checks them with the core first).

    Examples
    --------
    107 customers at the start, 120 at the end, 21 new: draw where they went.

    >>> chart = SplitChart(107, 120, 21)
    >>> chart.labels()
    ['99 kept', '8 lost', '99 kept', '21 new']
    >>> chart.update(1000, 2000, 1500).labels()
    ['500 kept', '500 lost', '500 kept', '1,500 new']
    >>> chart.png()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """

    def __init__(self, start: float, end: float, new: float):
        self.figure = _new_figure(*CHART_INCHES["split"])
        self.figure.subplots_adjust(left=0.29, right=0.93, top=0.8, bottom=0.16)
        ax = self.ax = self.figure.add_subplot()
        _style(ax, grid_axis="x", labelsize=CHART_FONT)
        _title(ax, "Where the customers went", size=CHART_FONT + 1)
        rows = [1, 0]  # start on top, end below
        ax.set_yticks(rows, ["Start of period", "End of period"], fontsize=CHART_FONT)
        ax.tick_params(axis="y", labelcolor=COLORS["text"])
        ax.set_ylim(-0.6, 1.6)
        ax.xaxis.set_major_formatter(FuncFormatter(_short_count))
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        height = 0.62
        kw = dict(height=height, edgecolor="white", linewidth=1.5)
        self._bars = [
            ax.barh(1, 0, left=0, color=COLORS["kept"], **kw)[0],
            ax.barh(1, 0, left=0, color=COLORS["lost"], **kw)[0],
            ax.barh(0, 0, left=0, color=COLORS["kept"], **kw)[0],
            ax.barh(0, 0, left=0, color=COLORS["new"], **kw)[0],
        ]
        self._texts = [ax.text(0, bar.get_y() + height / 2, "", va="center", ha="center",
                               fontsize=CHART_FONT, fontweight="bold")
                       for bar in self._bars]
        self._kinds = ["kept", "lost", "kept", "new"]
        self._frames = _FastFrames(self.figure, [*self._bars, *self._texts])
        self._drawn = False
        self.update(start, end, new)

    def update(self, start: float, end: float, new: float) -> "SplitChart":
        """Move the bars to new counts (no new figure is drawn).

        A label goes inside its bar, in white, when it fits there; otherwise it
        goes after the end of its row, in its bar's colour on white, one after
        the other, so labels never overlap, never sit on another bar and never
        vanish into a bar too thin to hold them.
        """
        # the core's count (15-digit equality), not a subtraction of our own
        lost = float(lost_customers(start, end, new))
        kept = start - lost
        widths = [kept, lost, kept, new]
        lefts = [0.0, kept, 0.0, kept]
        labels = [f"{fmt.count_as_given(w)} {kind}"
                  for w, kind in zip(widths, self._kinds)]
        shown = [w > 0 or kind != "lost" for w, kind in zip(widths, self._kinds)]
        total = max(start, end, 1e-9)
        axis_px = self.figure.get_figwidth() * DPI * (self.figure.subplotpars.right
                                                       - self.figure.subplotpars.left)
        def room_needed(high: float) -> float:
            """The axis end that leaves room for the labels outside their bars at ``high``."""
            outside = [sum(_label_px(labels[i]) + _GAP_PX for i in row
                           if shown[i] and _label_px(labels[i]) > widths[i] / high * axis_px)
                       for row in ((0, 1), (2, 3))]
            return max(row_end * axis_px / max(axis_px - px, 1.0)
                       for row_end, px in zip((start, end), outside))

        current = self.ax.get_xlim() if self._drawn else None
        limits = _steady_limits(current, 0.0, total)
        for _ in range(4):  # a wider axis can push one more label out: settle
            if room_needed(limits[1]) <= limits[1]:
                break
            limits = _steady_limits(None, 0.0, room_needed(limits[1]) * 1.02 / 1.08)
        else:
            limits = (0.0, room_needed(limits[1]) * 1.05)
        self.ax.set_xlim(*limits)
        high = limits[1]
        px_per_unit = axis_px / high
        for row, row_end in (((0, 1), start), ((2, 3), end)):
            cursor = row_end + _GAP_PX / px_per_unit
            for i in row:
                bar, text, kind = self._bars[i], self._texts[i], self._kinds[i]
                bar.set_x(lefts[i])
                bar.set_width(widths[i])
                text.set_text(labels[i])
                text.set_gid(labels[i])
                text.set_visible(shown[i])
                y = text.get_position()[1]
                if _label_px(labels[i]) <= widths[i] * px_per_unit:
                    text.set_position((lefts[i] + widths[i] / 2, y))
                    text.set_ha("center")
                    text.set_color("white")
                elif shown[i]:
                    text.set_position((cursor, y))
                    text.set_ha("left")
                    text.set_color(COLORS[kind])
                    cursor += (_label_px(labels[i]) + _GAP_PX) / px_per_unit
        self._drawn = True
        return self

    def labels(self) -> list[str]:
        """The four bar labels, as drawn."""
        return [t.get_text() for t in self._texts]

    def png(self) -> bytes:
        """The chart as PNG bytes (only the bars redrawn when the axis did not change)."""
        return self._frames.png(self.ax.get_xlim())


class ProjectionChart:
    """Customers and profit per period, at today's retention and the improved one.

    Two panels side by side sharing the period axis: customers at the end of
    each period (left) and profit of each period (right). Today's retention is a
    grey line, the improved one teal, and the gap between them is shaded: that
    gap is what better retention is worth.

    Parameters
    ----------
    result : ProjectionResult
        From :func:`retention_xl.project_profit`.
    period_name : str, optional
        What one period is called on the axis ("Year", "Month"). Default "Period".

    Examples
    --------
    What do +5 points of retention do for 1,000 customers over 5 years?

    >>> import retention_xl as rx
    >>> result = rx.project_profit(1000, 0.80, 200, 100, periods=5,
    ...                            acquisition_cost=150, fixed_cost=20000)
    >>> chart = ProjectionChart(result, period_name="Year")
    >>> chart.lines["customers_improved"].get_ydata()[:2].tolist()
    [1050.0, 1092.5]
    >>> longer = rx.project_profit(1000, 0.80, 200, 100, periods=10)
    >>> len(chart.update(longer).lines["profit_baseline"].get_xdata())
    10
    """

    def __init__(self, result, period_name: str = "Period"):
        self.figure = _new_figure(*CHART_INCHES["projection"])
        self.figure.subplots_adjust(left=0.17, right=0.95, top=0.8, bottom=0.09, hspace=0.55)
        self.ax_customers, self.ax_profit = self.figure.subplots(2, 1)
        self.lines: dict[str, Any] = {}
        self._gaps = {}
        for ax, quantity, title, formatter in (
                (self.ax_customers, "customers", "Customers", _short_count),
                (self.ax_profit, "profit", "Profit per period", _short_money)):
            _style(ax, labelsize=CHART_FONT)
            _title(ax, title, size=CHART_FONT + 1)
            ax.yaxis.set_major_formatter(FuncFormatter(formatter))
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            self._gaps[quantity] = ax.fill_between([0, 1], [0, 0], [0, 0],
                                                   color=COLORS["improved"], alpha=0.14,
                                                   linewidth=0)
            for case, width in (("baseline", 2.0), ("improved", 2.4)):
                (line,) = ax.plot([], [], color=COLORS[case], linewidth=width,
                                  solid_capstyle="round")
                self.lines[f"{quantity}_{case}"] = line
        self.ax_profit.axhline(0, color=COLORS["muted"], linewidth=0.8)
        self._drawn = False
        self._frames = _FastFrames(self.figure, [*self.lines.values(), *self._gaps.values()])
        self.set_period_name(period_name)
        self.legend = self.figure.legend(
            [self.lines["customers_baseline"], self.lines["customers_improved"]],
            ["Today's retention", "Improved retention (shaded: the gain)"], loc="upper left",
            ncol=1, frameon=False, fontsize=CHART_FONT, bbox_to_anchor=(0.01, 1.0))
        self.update(result)

    def set_period_name(self, name: str) -> "ProjectionChart":
        """Call a period "Year", "Quarter" or "Month" on the axes and the profit title."""
        if self.ax_profit.get_xlabel() == name:
            return self  # as it is: the axes stay unchanged, so need no drawing again
        for ax in (self.ax_customers, self.ax_profit):
            ax.set_xlabel(name, color=COLORS["muted"], fontsize=CHART_FONT, labelpad=2)
        _title(self.ax_profit, f"Profit per {name.lower()}", size=CHART_FONT + 1)
        return self

    def update(self, result) -> "ProjectionChart":
        """Redraw for a new :class:`~retention_xl.ProjectionResult` in place."""
        table = result.table
        periods = table.index.to_numpy(dtype=float)
        for quantity, ax in (("customers", self.ax_customers), ("profit", self.ax_profit)):
            base = table[f"{quantity}_baseline"].to_numpy()
            better = table[f"{quantity}_improved"].to_numpy()
            self.lines[f"{quantity}_baseline"].set_data(periods, base)
            self.lines[f"{quantity}_improved"].set_data(periods, better)
            # the shaded gain: the polygon along one line and back along the other (what
            # fill_between makes, without its checks of units and masks at each step)
            self._gaps[quantity].set_verts([np.concatenate(
                [np.column_stack([periods, base]), np.column_stack([periods, better])[::-1]])])
            low = float(min(base.min(), better.min()))
            high = float(max(base.max(), better.max()))
            current = ax.get_ylim() if self._drawn else None
            limits = _steady_limits(current, low, high, include_zero=True)
            if limits != current:  # set only when moved: setting marks the axes to redraw
                ax.set_ylim(*limits)
            first, last = float(periods[0]), float(periods[-1])
            limits = (first - 0.2, last + 0.2 if last > first else first + 1)
            if limits != ax.get_xlim():
                ax.set_xlim(*limits)
        self._drawn = True
        return self

    def png(self) -> bytes:
        """The chart as PNG bytes (only the lines redrawn when the axes did not change)."""
        key = tuple((ax.get_xlim(), ax.get_ylim(), ax.get_title(loc="left"), ax.get_xlabel())
                    for ax in (self.ax_customers, self.ax_profit))
        return self._frames.png(key)


def customer_split_figure(start: float, end: float, new: float) -> Figure:
    """Kept and lost starting customers and the new ones, as a figure.

    >>> customer_split_figure(107, 120, 21).axes[0].get_title(loc="left")
    'Where the customers went'
    """
    return SplitChart(start, end, new).figure


def projection_figure(result, period_name: str = "Period") -> Figure:
    """Baseline and improved customers and profit of a projection, as a figure.

    >>> import retention_xl as rx
    >>> figure = projection_figure(rx.project_profit(1000, 0.8, 200, 100, periods=5))
    >>> [ax.get_title(loc="left") for ax in figure.axes]
    ['Customers', 'Profit per period']
    >>> ProjectionChart(rx.project_profit(1000, 0.8, 200, 100)).set_period_name(
    ...     "Month").ax_profit.get_title(loc="left")
    'Profit per month'
    """
    return ProjectionChart(result, period_name=period_name).figure


def retention_trend_figure(table, benchmark: Any = None, benchmark_label: str = "Industry benchmark",
                           title: str = "Retention per period", tolerance: float | None = None,
                           alerts: Any = None, narrow: bool = False) -> Figure:
    """Retention of each period as a line, optionally against a benchmark.

    Parameters
    ----------
    table : pandas.DataFrame
        A period table with a ``retention`` column (fractions). The x labels
        come from a ``period`` column if there is one, else from the index.
    benchmark : float, str, array_like or None, optional
        A single rate (drawn as a flat dashed line), the name of a column of
        ``table``, or one rate per row. Default: none.
    benchmark_label : str, optional
        Legend text for the benchmark.
    title : str, optional
        Chart title.
    tolerance : float, optional
        With a benchmark: shade the zone more than this far below it (0.05 for
        five points), where a period counts as too far below.
    alerts : array_like of bool, optional
        One flag per row: the periods where the alert holds get a red ring.
    narrow : bool, optional
        The widget's form: 500 px wide with :data:`CHART_FONT` text (the title on
        two lines if need be, the legend one entry a line, at most six period labels),
        readable shown in a phone's column. Default: 750 px wide, for a report.

    Examples
    --------
    Three months of retention against an 80% benchmark:

    >>> import pandas as pd
    >>> table = pd.DataFrame({"period": ["Jan", "Feb", "Mar"],
    ...                       "retention": [0.9, 0.85, 0.78]})
    >>> figure = retention_trend_figure(table, benchmark=0.80)
    >>> [line.get_label() for line in figure.axes[0].get_lines()]
    ['Your retention', 'Industry benchmark (80.0%)']
    """
    if narrow:
        import textwrap

        size, most_labels = CHART_FONT, 6
        figure = _new_figure(CHART_INCHES["split"][0], 5.4)
        figure.subplots_adjust(left=0.15, right=0.96, top=0.71, bottom=0.08)
        ax = figure.add_subplot()
        _style(ax, labelsize=size)
        _title(ax, "\n".join(textwrap.wrap(title, 40)), size=size + 1)
    else:
        size, most_labels = 9, 12
        figure = _new_figure(7.5, 3.4)
        figure.subplots_adjust(left=0.1, right=0.97, top=0.8, bottom=0.11)
        ax = figure.add_subplot()
        _style(ax)
        _title(ax, title)
    labels = [str(p) for p in (table["period"] if "period" in table.columns else table.index)]
    x = np.arange(len(labels), dtype=float)
    retention = table["retention"].to_numpy(dtype=float)
    ax.plot(x, retention, color=COLORS["new"], linewidth=2.4, marker="o", markersize=5,
            label="Your retention")
    values = [retention[np.isfinite(retention)]]
    if benchmark is not None:
        if isinstance(benchmark, str):
            line = table[benchmark].to_numpy(dtype=float)
        else:
            line = np.broadcast_to(np.asarray(benchmark, dtype=float), x.shape)
        flat = line.size > 0 and np.all(line == line[0])
        label = f"{benchmark_label} ({fmt.percent(float(line[0]))})" if flat else benchmark_label
        ax.plot(x, line, color=COLORS["benchmark"], linewidth=1.8, linestyle="--", label=label)
        values.append(line[np.isfinite(line)])
        if tolerance is not None:
            floor = line - tolerance
            ax.fill_between(x, 0, floor, color=COLORS["lost"], alpha=0.07, linewidth=0,
                            label=f"More than {fmt.count(tolerance * 100)} points below")
            values.append(floor[np.isfinite(floor)])
    if alerts is not None:
        flagged = np.asarray(alerts, dtype=bool)
        if flagged.any():
            ax.plot(x[flagged], retention[flagged], linestyle="none", marker="o", markersize=13,
                    markerfacecolor="none", markeredgecolor=COLORS["lost"], markeredgewidth=2,
                    label="Alert")
    finite = np.concatenate(values) if values else np.array([])
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    span = max(high - low, 0.05)
    ax.set_ylim(max(0.0, low - 0.25 * span), min(1.0, high + 0.25 * span) + 0.001)
    ax.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    if narrow:  # as many period labels as fit side by side along the axis
        axis_px = figure.get_figwidth() * DPI * (figure.subplotpars.right - figure.subplotpars.left)
        longest = max((len(label) for label in labels), default=1)
        most_labels = max(1, min(most_labels, int(axis_px // (longest * 0.62 * size * DPI / 72
                                                               + 16))))
    step = max(1, math.ceil(len(labels) / most_labels))  # labels that fit side by side
    ax.set_xticks(x[::step], labels[::step])
    ax.set_xlim(-0.4, max(len(labels) - 0.6, 0.6))
    if narrow:
        figure.legend(loc="upper left", bbox_to_anchor=(0.01, 1.0), ncol=1, frameon=False,
                      fontsize=size - 0.5, handlelength=1.4, labelspacing=0.3)
    else:
        figure.legend(loc="upper right", bbox_to_anchor=(0.98, 1.0), ncol=4, frameon=False,
                      fontsize=9, handlelength=1.6, columnspacing=1.2)
    return figure


def figure_png(figure: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes, for a ``widgets.Image``, a workbook or a report.

    >>> figure_png(customer_split_figure(107, 120, 21))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    # compress_level 1: the image is made for a screen right now, not for archiving;
    # it saves a good share of the encoding time at a slightly bigger file
    figure.savefig(buffer, format="png", dpi=dpi or figure.dpi, facecolor=figure.get_facecolor(),
                   pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


# --------------------------------------------------------------------------- purchase logs
def _period_labels(index, limit: int = 12) -> tuple[np.ndarray, list[str], int]:
    labels = [str(p) for p in index]
    step = max(1, math.ceil(len(labels) / limit))
    return np.arange(len(labels), dtype=float), labels, step


def log_activity_figure(counts, title: str = "Active customers and exact retention") -> Figure:
    """Active customers per period split into retained, new and reactivated, with the exact
    retention (retained / start) as a line on the right axis.

    Parameters
    ----------
    counts : pandas.DataFrame
        The result of :func:`retention_xl.counts_from_log` (columns ``retained``,
        ``new``, ``reactivated``, ``retention``), indexed by period.
    title : str, optional

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": [1, 2, 1, 3, 2],
    ...                     "date": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-01",
    ...                                             "2024-02-03", "2024-03-01"])})
    >>> figure = log_activity_figure(rx.counts_from_log(log))
    >>> [t.get_text() for t in figure.legends[0].get_texts()]
    ['Retained', 'New', 'Reactivated', 'Retention (right)']
    """
    figure = _new_figure(7.5, 3.6)
    figure.subplots_adjust(left=0.09, right=0.91, top=0.8, bottom=0.12)
    ax = figure.add_subplot()
    _style(ax)
    _title(ax, title)
    x, labels, step = _period_labels(counts.index, limit=9)
    bottom = np.zeros(len(x))
    handles = []
    for column, label, color in (("retained", "Retained", COLORS["kept"]), ("new", "New", COLORS["new"]),
                                 ("reactivated", "Reactivated", COLORS["benchmark"])):
        values = counts[column].to_numpy(dtype=float)
        handles.append(ax.bar(x, values, bottom=bottom, width=0.75, color=color, label=label,
                              linewidth=0))
        bottom += values
    ax.yaxis.set_major_formatter(FuncFormatter(_short_count))
    ax.set_ylim(0, max(float(bottom.max()) if len(bottom) else 1.0, 1.0) * 1.08)
    right = ax.twinx()
    right.set_facecolor("none")
    for side in ("top", "left", "bottom"):
        right.spines[side].set_visible(False)
    right.spines["right"].set_color(COLORS["grid"])
    right.tick_params(length=0, labelsize=9)
    (line,) = right.plot(x, counts["retention"].to_numpy(dtype=float), color=COLORS["text"],
                         linewidth=2, marker="o", markersize=3.5, label="Retention (right)")
    right.set_ylim(0, 1.02)
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks(x[::step], labels[::step])
    ax.set_xlim(-0.6, max(len(x) - 0.4, 0.6))
    figure.legend(handles=handles + [line], loc="upper right", bbox_to_anchor=(0.98, 1.0), ncol=4,
                  frameon=False, fontsize=9, handlelength=1.4, columnspacing=1.2)
    return figure


def cohort_heatmap_figure(matrix, title: str = "Share of each cohort still buying",
                          annotate: bool | None = None) -> Figure:
    """The cohort matrix as a heat map: one row per first-purchase cohort, one column per
    period since the first purchase, darker where more of the cohort is still buying.

    Parameters
    ----------
    matrix : pandas.DataFrame
        The result of :func:`retention_xl.cohort_matrix` (shares, NaN where not
        yet observed: left blank).
    title : str, optional
    annotate : bool, optional
        Write the percentage in each cell. Default: when the matrix is at most
        24 x 24.

    Examples
    --------
    Ana and Ben first bought in January and Ana came back in February: half of
    January's customers were still buying a month later, written in its cell.

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["Ana", "Ben", "Ana", "Cy"],
    ...                     "date": pd.to_datetime(["2024-01-05", "2024-01-20",
    ...                                             "2024-02-11", "2024-02-14"])})
    >>> figure = cohort_heatmap_figure(rx.cohort_matrix(log))
    >>> figure.axes[0].get_ylabel(), [label.get_text() for label in figure.axes[0].texts]
    ('First purchase', ['100', '50', '100'])
    """
    from matplotlib.colors import LinearSegmentedColormap

    values = matrix.to_numpy(dtype=float)
    rows, columns = values.shape
    if annotate is None:
        annotate = rows <= 24 and columns <= 24
    height = min(2.0 + 0.28 * rows, 9.0)
    figure = _new_figure(7.5, height)
    figure.subplots_adjust(left=0.13, right=0.97, top=1 - 0.75 / height, bottom=0.65 / height)
    ax = figure.add_subplot()
    _title(ax, title)
    colors = LinearSegmentedColormap.from_list(
        "retention", ["#f4f8fb", COLORS["new"], "#0b3a63"]).with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(values), cmap=colors, vmin=0.0, vmax=1.0, aspect="auto",
              interpolation="nearest")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0, labelsize=8)
    ys, ylabels, ystep = _period_labels(matrix.index, limit=24)
    ax.set_yticks(ys[::ystep], ylabels[::ystep])
    xs = np.arange(columns)
    xstep = max(1, math.ceil(columns / 18))
    ax.set_xticks(xs[::xstep], [str(c) for c in matrix.columns][::xstep])
    ax.set_xlabel("Periods since first purchase", fontsize=9, color=COLORS["muted"])
    ax.set_ylabel("First purchase", fontsize=9, color=COLORS["muted"])
    if annotate:
        for (r, c), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(c, r, f"{value * 100:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if value > 0.55 else COLORS["text"])
    return figure


# --------------------------------------------------------------------------- the retention curve
def retention_curve_figure(forecast, constant_retention: float | None = None,
                           title: str = "Where is this group heading?",
                           period_name: str = "Period", narrow: bool = False) -> Figure:
    """Active customers observed, fitted and projected by the retention curve, beside the
    constant-rate projection (left), and retention by tenure (right).

    Parameters
    ----------
    forecast : pandas.DataFrame
        The result of :meth:`retention_xl.RetentionCurve.forecast`.
    constant_retention : float, optional
        The rate of the constant-rate projection
        (:attr:`retention_xl.RetentionCurve.last_retention`), drawn after the
        last observed period on the right.
    title : str, optional
    period_name : str, optional
        What one period is, for the axis ("Month").
    narrow : bool, optional
        The widget's form: the two panels one above the other, 500 px wide with
        :data:`CHART_FONT` text, readable shown in a phone's column (like the
        widgets' other charts). Default: side by side, for a report or a sheet.

    Examples
    --------
    >>> import retention_xl as rx
    >>> curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> figure = retention_curve_figure(curve.forecast(12), curve.last_retention)
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    ['Observed', 'Curve (fitted)', 'Curve (projected)', 'At constant retention']
    """
    if narrow:
        size = CHART_FONT  # text, points
        figure = _new_figure(CHART_INCHES["projection"][0], 8.4)
        figure.subplots_adjust(left=0.17, right=0.95, top=0.9, bottom=0.07, hspace=0.42)
        left, right = figure.add_subplot(2, 1, 1), figure.add_subplot(2, 1, 2)
        figure.suptitle(title, x=0.03, ha="left", fontsize=size + 2, fontweight="bold",
                        color=COLORS["text"])
    else:
        size = 9
        figure = _new_figure(9.5, 3.8)
        figure.subplots_adjust(left=0.075, right=0.985, top=0.8, bottom=0.14, wspace=0.24)
        left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
        figure.suptitle(title, x=0.075, ha="left", fontsize=12, fontweight="bold",
                        color=COLORS["text"])
    for ax in (left, right):
        _style(ax, labelsize=size)
    period = forecast["period"].to_numpy(dtype=float)
    observed = forecast["observed_active"].to_numpy(dtype=float)
    fitted = forecast["fitted_active"].to_numpy(dtype=float)
    projected = forecast["projected_active"].to_numpy(dtype=float)
    last = int(np.flatnonzero(np.isfinite(observed))[-1])
    # the projection starts where the fitted line ends, so the curve reads as one line
    joined = np.where(period == last, fitted, projected)
    left.plot(period, observed, "o", color=COLORS["text"], markersize=4, label="Observed", zorder=3)
    left.plot(period, fitted, color=COLORS["new"], linewidth=2, label="Curve (fitted)")
    left.plot(period, joined, color=COLORS["new"], linewidth=2, linestyle="--",
              label="Curve (projected)")
    left.plot(period, forecast["constant_retention_active"].to_numpy(dtype=float),
              color=COLORS["baseline"], linewidth=2, linestyle=":", label="At constant retention")
    left.axvline(last, color=COLORS["grid"], linewidth=1.2)
    left.set_ylim(0, float(np.nanmax(observed)) * 1.05)
    left.yaxis.set_major_formatter(FuncFormatter(_short_count))
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_xlabel(f"{period_name}s since the start", fontsize=size, color=COLORS["muted"])
    _title(left, "Customers still active", size=size + 2)
    left.legend(loc="upper right", frameon=False, fontsize=size - 0.5)

    curve_retention = forecast["retention"].to_numpy(dtype=float)
    right.plot(period, forecast["observed_retention"].to_numpy(dtype=float), "o",
               color=COLORS["text"], markersize=4, label="Observed", zorder=3)
    right.plot(period, curve_retention, color=COLORS["new"], linewidth=2, label="Curve")
    if constant_retention is not None:
        right.plot(period[last:], np.full(len(period) - last, float(constant_retention)),
                   color=COLORS["baseline"], linewidth=2, linestyle=":", label="Constant")
    low = float(np.nanmin(np.concatenate([curve_retention[1:], forecast["observed_retention"].to_numpy(
        dtype=float)[1:last + 1]])))
    right.set_ylim(max(0.0, low - 0.05), 1.0)
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.axvline(last, color=COLORS["grid"], linewidth=1.2)
    right.set_xlabel(f"{period_name} of tenure", fontsize=size, color=COLORS["muted"])
    _title(right, "Retention by tenure", size=size + 2)
    right.legend(loc="lower right", frameon=False, fontsize=size - 0.5)
    return figure
