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

from ..typed_text import number_from_text, points_from_text

#: Width of the labels in front of the number boxes, so that none is cut short.
LABEL_WIDTH = "250px"

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
.rxl-chart { width:100%; max-width:500px; height:auto; }
/* typed but not yet computed (Recalculation): the old results fade, after 0.2 s so that
   quick updates do not flicker */
.rxl-pending .rxl-chart, .rxl-pending .rxl-card, .rxl-pending .rxl-summary,
.rxl-pending .rxl-result { opacity:0.4; transition:opacity 0.1s 0.2s; }
/* every tab reachable: the tab titles wrap instead of running off the page */
.rxl-app .lm-TabBar-content { flex-wrap:wrap; }
/* a widget's margin (2 px each side) lies outside its width: at 100% of the column it
   would reach past the column's edge and be cut there, a letter or a border short */
.rxl-widget .widget-inline-hbox, .rxl-from-data .widget-inline-hbox,
.rxl-widget .widget-image, .rxl-from-data .widget-image {
  max-width:calc(100% - 2 * var(--jp-widgets-margin, 2px)) !important; }
@media (max-width: 640px) {
  /* phones: each label above its box, nothing wider than the screen */
  .widget-inline-hbox { flex-wrap:wrap; width:calc(100% - 2 * var(--jp-widgets-margin, 2px))
    !important; max-width:calc(100% - 2 * var(--jp-widgets-margin, 2px)); height:auto !important; }
  .widget-inline-hbox > .widget-label { width:100% !important; max-width:100% !important;
    text-align:left !important; }
  .widget-inline-hbox > input, .widget-inline-hbox > select { flex:1 1 auto; min-width:0; }
  .widget-toggle-buttons .widget-toggle-button { width:auto !important; flex:1 1 auto; }
  .rxl-app .widget-tab-contents, .rxl-app .lm-TabPanel-stackedPanel { padding:8px !important; }
  .rxl-slider { width:100% !important; }
  .rxl-card { min-width:120px; padding:8px 12px; }

  .widget-hbox { flex-wrap:wrap; max-width:100%; }
  #rendered_cells { padding:0 !important; }
  #rendered_cells > div { padding:4px !important; }
}
/* pictures shrink and tables scroll inside their box rather than widen the page */
.rxl-app table { display:block; overflow-x:auto; max-width:100%; }
.widget-html, .widget-html-content { max-width:100%; min-width:0; }
.widget-html-content { overflow-x:auto; }
.widget-image { max-width:100%; height:auto; object-fit:contain; }
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
    """A slider and an exact text box showing the same number.

    The box is the source of truth and reads what is typed with the one reader of
    typed text (:func:`retention_xl.typed_text.number_from_text`): "107.5" is
    107.5, "1,200" is 1200. A percent box (``percent=True``) is in percent, read by
    :func:`retention_xl.typed_text.points_from_text`: "92.5", "92.5%" and "92.5 points"
    all mean 92.5%. Text that is not plainly a number ("99,5",
    "abc") is kept in the box and handed to the core as text, so the core's own
    sentence says what is wrong; nothing is clamped, rounded or guessed. The
    slider is the quick way to move the number and stretches to show a typed
    value outside its range.

    Parameters
    ----------
    label : str
        The box's label ("Customers at start").
    value : float
        Starting value (in percent for a percent box).
    low, high : float
        The slider's starting range.
    step : float
        Slider step; 1 with ``integer=True``.
    integer : bool
        Counts (an integer slider) or decimals (money, percentages). The box
        never rounds: 107.5 typed is 107.5 for the core to judge.
    percent : bool
        The box is in percent.

    Examples
    --------
    A shop with 25,000 customers types its number; the slider makes room:

    >>> start = LinkedNumber("Customers at start", 107, 0, 1000, integer=True)
    >>> start.box.value = "25,000"
    >>> start.value, start.slider.value, start.slider.max
    (25000.0, 25000, 50000)
    >>> start.slider.value = 300
    >>> start.box.value, start.value
    ('300', 300.0)
    >>> start.box.value = "99,5"   # not a number here: kept, for the core to refuse
    >>> start.value, start.slider.value
    ('99,5', 300)
    >>> rate = LinkedNumber("Retention now, %", 80, 0, 99, step=0.5, percent=True)
    >>> rate.box.value = "92.5%"
    >>> rate.value, rate.fraction
    (92.5, 0.925)
    """

    def __init__(self, label: str, value: float, low: float, high: float, step: float = 1,
                 integer: bool = False, percent: bool = False, **_ignored):
        self.integer, self.percent = integer, percent
        if integer:
            self.slider = widgets.IntSlider(value=int(value), min=int(low), max=int(high),
                                            step=int(step))
        else:
            self.slider = widgets.FloatSlider(value=value, min=low, max=high, step=step)
        self.slider.continuous_update = False  # one redraw when the handle is released
        self.slider.readout = False  # the box beside it shows the exact number
        self.slider.description = label  # its accessible name (hidden: the box shows it)
        self.slider.style = {"description_width": "0px"}
        self.slider.add_class("rxl-slider")
        self.slider.layout = widgets.Layout(width="260px", max_width="100%")
        # every key press reaches the kernel: results follow typing (after a pause, see
        # Recalculation), no Enter needed
        self.box = TypedText(value=plain(value), description=label, continuous_update=True)
        self.box.style = {"description_width": LABEL_WIDTH}
        self.box.layout = widgets.Layout(width="390px", max_width="100%")
        self.box.add_class("rxl-number")
        self._syncing = False
        self._number = self._read(self.box.value)
        self.box.observe(self._typed, names="value")
        self.slider.observe(self._slid, names="value")
        self.row = widgets.HBox([self.box, self.slider],
                                layout=widgets.Layout(align_items="center", flex_flow="row wrap",
                                                      max_width="100%"))

    def _read(self, text: str):
        """The number the text means, in the box's unit, or the text itself."""
        # a percent box is in percent already: "92.5%" is 92.5, as "5 points" is 5
        number = points_from_text(text) if self.percent else number_from_text(text)
        if number is not None and not self.percent and text.strip().endswith("%"):
            number = None  # a count or money box: "5%" is no count
        return text if number is None else number

    def _typed(self, change) -> None:
        self._number = self._read(change["new"])
        if self._syncing or isinstance(self._number, str) or not math.isfinite(self._number):
            return
        self._syncing = True
        try:
            self._stretch(self._number)
            shown = round(self._number) if self.integer else self._number
            self.slider.value = shown  # display only: the typed number stays exact
        finally:
            self._syncing = False

    def _slid(self, change) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.box.value = plain(change["new"])  # observers of the box see the change
        finally:
            self._syncing = False
        self._number = self._read(self.box.value)

    def _stretch(self, value: float) -> None:
        kind = type(self.slider.max)
        if value > self.slider.max:
            self.slider.max = kind(_nice_ceiling(value * 1.5))
        if value < self.slider.min:
            self.slider.min = kind(-_nice_ceiling(-value * 1.5))

    @property
    def value(self):
        """The number in the box (in percent for a percent box), or the text when it is none."""
        return self._number

    @property
    def fraction(self):
        """A percent box's number as a fraction (92.5 -> 0.925), or the text when it is none."""
        return self._number / 100 if not isinstance(self._number, str) else self._number

    def observe(self, handler) -> None:
        """Call ``handler(change)`` whenever the number changes (box or slider)."""
        self.box.observe(handler, names="value")

    def set_label(self, label: str) -> None:
        self.box.description = label
        self.slider.description = label


def plain(value: float) -> str:
    """A number as the box shows it: 107, 92.5, 0.1 (never 92.50000000000001).

    >>> plain(107.0), plain(92.5), plain(0.1 + 0.2)
    ('107', '92.5', '0.3')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.12g}"


#: Seconds of quiet after the last key typed in a box before the results follow it.
TYPING_PAUSE = 0.15


class FromPage:
    """Mixin for a text box: :attr:`from_page` is true while a change typed on the page is applied.

    ipywidgets applies what the page sends through :meth:`set_state`; a change made by
    a program (a test, a notebook cell, the slider beside the box) does not pass there.
    """

    from_page = False

    def set_state(self, sync_data):
        self.from_page = True
        try:
            super().set_state(sync_data)
        finally:
            self.from_page = False


class TypedText(FromPage, widgets.Text):
    """A one-line text box that knows when its text was typed on the page (:attr:`from_page`)."""


class TypedTextarea(FromPage, widgets.Textarea):
    """A text area that knows when its text was typed on the page (:attr:`from_page`)."""


class Recalculation:
    """When a widget's results are worked out again: the one helper every widget uses.

    :meth:`now` recalculates at once: a slider moved, a setting chosen, a program
    set a value. :meth:`changed` is what the boxes call: text typed on a live page
    waits for a pause in typing (:data:`TYPING_PAUSE`) so the numbers do not jump
    at every key, and meanwhile the widget carries the class ``rxl-pending``, which
    fades its results: they are visibly not yet updated. The class is set and
    cleared here, in the kernel, by the same code that recalculates, so the page
    shows results as current only once they are computed from the latest text.
    Without a live page (a script, a test) every change is recalculated at once.

    Parameters
    ----------
    widget : ipywidgets.DOMWidget
        The widget whose results are shown (it gets the ``rxl-pending`` class).
    recalculate : callable
        Works the results out from the current inputs and shows them.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> shown = []
    >>> box = TypedText(value="1")
    >>> recalculation = Recalculation(widgets.VBox(), lambda: shown.append(box.value))
    >>> box.observe(recalculation.changed, names="value")
    >>> box.value = "12"   # set by a program: at once
    >>> shown
    ['12']
    """

    def __init__(self, widget, recalculate):
        self.widget, self._recalculate = widget, recalculate
        self._timer = None

    def now(self, _change=None) -> None:
        """Recalculate at once (and drop a recalculation still waiting for a pause)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            self._recalculate()
        finally:
            self.widget.remove_class("rxl-pending")  # what is shown is current

    def changed(self, change=None) -> None:
        """A box changed: typed on a live page, wait for a pause; otherwise at once."""
        if change is None or not getattr(change["owner"], "from_page", False):
            return self.now()
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: nothing could run the delayed call
            return self.now()
        if self._timer is not None:
            self._timer.cancel()
        self.widget.add_class("rxl-pending")
        self._timer = loop.call_later(TYPING_PAUSE, self.now)


class ChartImage(widgets.HTML):
    """A chart as an ``<img>`` with alt text: its summary sentence is its accessible name.

    (``widgets.Image`` has no alt text.) :attr:`png` holds the bytes shown.

    >>> chart = ChartImage()
    >>> chart.show(b"\\x89PNG", "Of 107 customers, 99 were kept.")
    >>> chart.png, chart.alt
    (b'\\x89PNG', 'Of 107 customers, 99 were kept.')
    >>> chart.value
    '<img class="rxl-chart" alt="Of 107 customers, 99 were kept." src="data:image/png;base64,iVBORw==">'
    """

    def __init__(self):
        super().__init__()
        self.png, self.alt = b"", ""
        self.key = None  # the numbers the picture shown was drawn from

    def show(self, png: bytes, alt: str, key=None) -> None:
        """Show ``png`` described by ``alt``; ``key``: the numbers it was drawn from."""
        import base64

        self.png, self.alt, self.key = png, alt, key
        self.value = (f'<img class="rxl-chart" alt="{html.escape(alt)}" '
                      f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')


def card(label: str, value: str) -> str:
    """HTML of one readout: a small label over a big number."""
    return (f'<div class="rxl-card"><div class="rxl-label">{html.escape(label)}</div>'
            f'<div class="rxl-value">{html.escape(value)}</div></div>')


def message(text: str) -> str:
    """HTML of a problem message shown instead of numbers."""
    return f'<div class="rxl-message" role="alert">{html.escape(text)}</div>'


def error_text(error, percent_fields=()) -> str:
    """The sentences of a RetentionInputError, without row numbers (the inputs are single).

    ``percent_fields`` names the fields the page shows in percent: their values
    and bounds are said in percent, as the user typed them.

    >>> import retention_xl as rx
    >>> try:
    ...     rx.improved_retention(0.9999, 0.05)
    ... except rx.RetentionInputError as error:
    ...     print(error_text(error, ("retention", "uplift")))
    Retention 99.99% improved by 5 points gives 104.99%, outside 0% to below 100%: a customer who never leaves has infinite value; choose a smaller uplift.
    """
    sentences = []
    for problem in error.problems:
        if problem.field in percent_fields:
            problem = in_percent(problem)
        sentences.append(capitalised(problem.sentence(location="")) + ".")
    return " ".join(sentences)


def _percent(number: str) -> str:
    return plain(round(float(number) * 100, 10)) + "%"


# The core says rates as fractions; the page says them in percent.
_PERCENT_WORDS = (
    ("a fraction from 0 up to but not including 1", "a percentage from 0% up to but not including 100%"),
    ("a fraction from 0 to 1", "a percentage from 0% to 100%"),
    ("a rate of 0 or more", "a percentage of 0% or more"),
    ("at 1 no customer ever leaves", "at 100% no customer ever leaves"),
    ("enter a plain number such as 1200 or 0.925", "enter a percentage such as 92.5"),
    ("outside 0 to below 1", "outside 0% to below 100%"),
)
_FRACTION_HINTS = re.compile(r"(; )?write [\d.]+ for [\d.]+%(; )?")
_GOT_NUMBER = re.compile(r"(got )(-?[\d.]+(?:e[+-]?\d+)?|-?inf)$")
_IMPROVED = re.compile(r"^retention (\S+) improved by (.+) gives (\S+),")


def in_percent(problem):
    """The same problem said in percent (for a field the page shows in percent).

    >>> from retention_xl.errors import Problem
    >>> in_percent(Problem("retention", "retention must be a fraction from 0 up to but not "
    ...            "including 1, got 1", "write 0.925 for 92.5%; at 1 no customer ever leaves")).sentence()
    'retention must be a percentage from 0% up to but not including 100%, got 100%: at 100% no customer ever leaves'
    """
    import dataclasses

    clause, hint = problem.clause, problem.hint
    clause = _GOT_NUMBER.sub(lambda m: m.group(1) + (_percent(m.group(2))
                                                     if "inf" not in m.group(2) else m.group(2)),
                             clause)
    clause = _IMPROVED.sub(lambda m: f"retention {_percent(m.group(1))} improved by {m.group(2)} "
                                     f"gives {_percent(m.group(3))},", clause)
    hint = _FRACTION_HINTS.sub(lambda m: "; " if m.group(1) and m.group(2) else "", hint)
    for fraction_words, percent_words in _PERCENT_WORDS:
        clause = clause.replace(fraction_words, percent_words)
        hint = hint.replace(fraction_words, percent_words)
    return dataclasses.replace(problem, clause=clause, hint=hint)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def text_of(html_value: str) -> str:
    """The visible text of a readout's HTML: what a person reads on the page.

    >>> text_of(card("Retention", "92.5%"))
    'Retention 92.5%'
    """
    inline_gone = re.sub(r"</?(b|i|em|strong|span)\b[^>]*>", "", html_value)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline_gone)).split())
