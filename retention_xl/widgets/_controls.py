"""Building blocks shared by the widgets: a slider paired with an exact number box, cards, messages.

The number box is the source of truth. The slider is the quick way to move it;
the box has a real label (the accessible way in) and accepts numbers far beyond
the slider's range: when someone types 25,000 the slider stretches to show it
instead of clamping the number the user typed.
"""

from __future__ import annotations

import html
import math
import re

import ipywidgets as widgets

#: Width of the labels in front of the number boxes, so that none is cut short.
LABEL_WIDTH = "250px"
#: A box accepts numbers up to this even when the slider stops much earlier.
BOX_LIMIT = 1e9

CSS = """
<style>
.rxl-card { display:inline-block; min-width:150px; margin:4px 12px 4px 0; padding:10px 16px;
  border-radius:8px; background:#f3f6f9; border:1px solid #e3e7ec; font-family:sans-serif; }
.rxl-card .rxl-label { font-size:13px; color:#607080; }
.rxl-card .rxl-value { font-size:28px; font-weight:600; color:#263238; }
.rxl-message { padding:10px 14px; border-radius:8px; background:#fdecea; color:#8a1c1c;
  border:1px solid #f5c2c0; font-family:sans-serif; font-size:14px; }
.rxl-summary { font-family:sans-serif; font-size:15px; color:#263238; line-height:1.5; }
.rxl-note { font-family:sans-serif; font-size:13px; color:#607080; line-height:1.45; }
.rxl-title { font-family:sans-serif; font-size:20px; font-weight:600; color:#263238; margin:4px 0; }
</style>
"""


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``value``: 1,730 -> 2,000."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return float(factor * power)
    return float(10 * power)


class LinkedNumber:
    """A slider and an exact number box showing the same value.

    Parameters
    ----------
    label : str
        The box's label ("Customers at start").
    value : float
        Starting value.
    low, high : float
        The slider's starting range; the box accepts from ``box_low`` to
        ``box_high``, and the slider stretches when a typed value is outside.
    step : float
        Slider step; 1 with ``integer=True``.
    integer : bool
        Whole numbers (counts) or decimals (money, percentages).
    box_low, box_high : float, optional
        Bounds of the box. Default ``low`` and :data:`BOX_LIMIT`.

    Examples
    --------
    A shop with 25,000 customers types its number; the slider makes room:

    >>> start = LinkedNumber("Customers at start", 107, 0, 1000, integer=True)
    >>> start.box.value = 25000
    >>> start.slider.value, start.slider.max
    (25000, 50000)
    >>> start.slider.value = 300
    >>> start.value
    300
    """

    def __init__(self, label: str, value: float, low: float, high: float, step: float = 1,
                 integer: bool = False, box_low: float | None = None,
                 box_high: float | None = None):
        box_low = low if box_low is None else box_low
        box_high = BOX_LIMIT if box_high is None else box_high
        if integer:
            self.slider = widgets.IntSlider(value=int(value), min=int(low), max=int(high),
                                            step=int(step))
            self.box = widgets.BoundedIntText(value=int(value), min=int(box_low),
                                              max=int(box_high), description=label)
        else:
            self.slider = widgets.FloatSlider(value=value, min=low, max=high, step=step)
            self.box = widgets.BoundedFloatText(value=value, min=box_low, max=box_high,
                                                step=step, description=label)
        self.slider.continuous_update = False  # one redraw when the handle is released
        self.slider.readout = False  # the box beside it shows the exact number
        self.slider.layout = widgets.Layout(width="260px")
        self.box.style = {"description_width": LABEL_WIDTH}
        self.box.layout = widgets.Layout(width="390px")
        # registered before the link, so it runs first: the slider makes room for
        # the typed value before the link copies it, and never clamps it
        self.box.observe(self._stretch, names="value")
        self.link = widgets.link((self.box, "value"), (self.slider, "value"))
        self.row = widgets.HBox([self.box, self.slider],
                                layout=widgets.Layout(align_items="center"))

    def _stretch(self, change) -> None:
        value = change["new"]
        if value > self.slider.max:
            self.slider.max = type(self.slider.max)(_nice_ceiling(value * 1.5))
        if value < self.slider.min:
            self.slider.min = type(self.slider.min)(-_nice_ceiling(-value * 1.5))

    @property
    def value(self):
        """The number in the box."""
        return self.box.value

    def observe(self, handler) -> None:
        """Call ``handler(change)`` whenever the number changes (box or slider)."""
        self.box.observe(handler, names="value")

    def set_label(self, label: str) -> None:
        self.box.description = label


def card(label: str, value: str) -> str:
    """HTML of one readout: a small label over a big number."""
    return (f'<div class="rxl-card"><div class="rxl-label">{html.escape(label)}</div>'
            f'<div class="rxl-value">{html.escape(value)}</div></div>')


def message(text: str) -> str:
    """HTML of a problem message shown instead of numbers."""
    return f'<div class="rxl-message" role="alert">{html.escape(text)}</div>'


def error_text(error) -> str:
    """The sentences of a RetentionInputError, without row numbers (the inputs are single)."""
    return " ".join(_capital(problem.sentence(location="")) + "." for problem in error.problems)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def text_of(html_value: str) -> str:
    """The visible text of a readout's HTML: what a person reads on the page.

    >>> text_of(card("Retention", "92.5%"))
    'Retention 92.5%'
    """
    inline_gone = re.sub(r"</?(b|i|em|strong|span)\b[^>]*>", "", html_value)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline_gone)).split())
