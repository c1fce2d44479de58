"""Where is this group heading? A group's counts in, its retention curve and future out."""

from __future__ import annotations

import re

import ipywidgets as widgets

import retention_xl as rx

from .. import formatting as fmt
from ..plots import figure_png, retention_curve_figure
from ..typed_text import number_from_text
from ._controls import (CSS, ChartImage, LinkedNumber, Recalculation, TypedTextarea, card, error_text,
                        message, text_of)

__all__ = ["GroupForecast", "read_counts"]

#: The example filled in: the "regular" customers of Fader & Hardie (2007), 1000 at the start.
EXAMPLE = "1000, 631, 468, 382, 326, 289, 262, 241"

#: Counts are separated by spaces, tabs, new lines or semicolons, or by a comma followed by a
#: space; a comma inside a number ("1,200") is the thousands separator, as everywhere.
_SEPARATORS = re.compile(r"[\s;]+|,(?=\s)")


def read_counts(text: str) -> list:
    """The counts typed or pasted in the box, each read by the one reader of typed numbers.

    Text that is not a number stays as typed, so that the core names it.

    >>> read_counts("1,000, 631\\n468; abc")
    [1000.0, 631.0, 468.0, 'abc']
    """
    tokens = [t.strip().rstrip(",") for t in _SEPARATORS.split(text.strip())]
    counts = []
    for token in tokens:
        if token:
            number = number_from_text(token)
            counts.append(token if number is None else number)
    return counts


class GroupForecast(widgets.VBox):
    """Type or paste a group's counts; see its retention curve, its future and a customer's value.

    The counts are the customers of one group at the start and those of them still
    active after each period (a sign-up month's customers 0, 1, 2, ... months
    later). The retention curve (Fader & Hardie's shifted-beta-geometric model,
    see ``docs/curve.md``) is fitted to them and projected, beside the projection
    at the last period's retention held constant.

    Parameters
    ----------
    counts : str, optional
        The counts in the box at first (default: an example).
    margin : float, optional
        Margin per customer per period (default 100).
    discount_rate : float, optional
        Discount rate per period as a fraction (default 0.10).
    periods_ahead : int, optional
        Periods projected beyond the last count (default 12).

    Examples
    --------
    In a notebook::

        from retention_xl.widgets import GroupForecast
        GroupForecast()

    >>> view = GroupForecast()
    >>> view.readouts()["Value of a new customer under the curve"]
    '$336'
    >>> view.counts.value = "1000, 800, 900"
    >>> view.problem()
    "Active customers rise from 800 in period 1 to 900 in period 2: a group's count can only stay or fall: count the customers of the starting group still active, without new or returning customers."
    """

    def __init__(self, counts: str = EXAMPLE, margin: float = 100, discount_rate: float = 0.10,
                 periods_ahead: int = 12):
        self.counts = TypedTextarea(
            value=counts, description="Active customers by period",
            placeholder="e.g. 1000, 631, 468, 382 (or paste a column)",
            style={"description_width": "250px"}, layout=widgets.Layout(width="640px", height="70px"))
        self.margin = LinkedNumber("Margin per customer per period, $", margin, 0, 1000, step=5,
                                   box_low=-1e9)
        self.discount_rate = LinkedNumber("Discount rate, % per period", discount_rate * 100, 0, 30,
                                          step=0.5, percent=True)
        self.periods_ahead = LinkedNumber("Project ahead, periods", periods_ahead, 1, 60, integer=True,
                                          box_high=1000)
        self.cards = widgets.HTML()
        self.summary = widgets.HTML()
        self.message = widgets.HTML()
        self.message.add_class("rxl-result")  # an old problem fades too while typing
        self.image = ChartImage()  # an <img> whose alt text is the summary sentence
        header = widgets.HTML(
            CSS + '<div class="rxl-title">Where is this group heading?</div>'
            '<div class="rxl-note">Type or paste the customers of one group (say, everyone who '
            'signed up in January) at the start and still active after each period. Customers '
            'differ: those likely to leave go first, so retention rises with tenure. The '
            'retention curve (Fader &amp; Hardie) follows that; a constant rate does not. '
            'Trust it for a group of at least a few hundred customers and a few periods.</div>')
        super().__init__([header, self.counts, self.margin.row, self.discount_rate.row,
                          self.periods_ahead.row, self.cards, self.summary, self.message, self.image])
        self.add_class("rxl-widget")
        # typed counts are fitted after a pause in typing, the results marked until then
        self.recalculation = Recalculation(self, self._recalculate)
        self.counts.observe(self.recalculation.changed, names="value")
        for control in (self.margin, self.discount_rate, self.periods_ahead):
            control.observe(self.recalculation.changed)
        self.recalculation.now()

    # ---- what the page shows
    def _recalculate(self) -> None:
        try:
            curve = rx.fit_retention_curve(read_counts(self.counts.value))
            discount = self.discount_rate.fraction  # the box is in percent
            table = curve.forecast(self.periods_ahead.value)  # the core judges what was typed
            ahead = int(self.periods_ahead.value)
            value_curve = curve.customer_value(self.margin.value, discount)
            value_constant = rx.customer_value(self.margin.value, curve.constant_retention, discount)
        except rx.RetentionInputError as error:
            self._show_problem(error)
            return
        last = curve.periods_fitted
        end = table.iloc[-1]
        self._values = {
            "alpha": curve.alpha, "beta": curve.beta,
            "last retention": curve.last_retention,
            "constant retention": curve.constant_retention,
            "curve retention at the horizon": float(end["retention"]),
            "projected active": float(end["projected_active"]) if ahead else float(end["fitted_active"]),
            "constant active": float(end["constant_retention_active"]),
            "value under the curve": float(value_curve),
            "value at constant retention": float(value_constant),
        }
        v = self._values
        horizon = last + ahead
        self._shown = {
            f"Retention in period {last} (last observed)": fmt.percent(v["last retention"]),
            f"Retention in period {horizon} (curve)": fmt.percent(v["curve retention at the horizon"]),
            "Value of a new customer under the curve": fmt.money(v["value under the curve"]),
            f"Value at one constant rate ({fmt.percent(v['constant retention'])})":
                fmt.money(v["value at constant retention"]),
        }
        self.cards.value = "".join(card(name, text) for name, text in self._shown.items())
        start = fmt.count(curve.start)
        gap = v["value under the curve"] - v["value at constant retention"]
        self.summary.value = (
            '<div class="rxl-summary">'
            f"Of the {start} customers at the start, the curve expects "
            f"<b>{fmt.count(v['projected active'])}</b> still active after {horizon} periods; "
            f"holding retention at {fmt.percent(v['last retention'])} (the last period's) gives "
            f"{fmt.count(v['constant active'])}. Retention keeps rising with tenure, to "
            f"{fmt.percent(v['curve retention at the horizon'])} in period {horizon}.<br>"
            f"A new customer is worth <b>{fmt.money(v['value under the curve'])}</b> under the curve. "
            f"Taking every customer as alike, the same counts give one retention rate of "
            f"{fmt.percent(v['constant retention'])} and a value of "
            f"{fmt.money(v['value at constant retention'])}: "
            f"{fmt.money(abs(gap))} {'less' if gap > 0 else 'more'} "
            f"({fmt.percent(discount)} discount per period, "
            f"{fmt.money(self.margin.value)} margin per period).</div>")
        figure = retention_curve_figure(table, curve.last_retention, narrow=True)  # phone-readable
        self.image.show(figure_png(figure), text_of(self.summary.value))
        self.message.value = ""
        for part in (self.cards, self.summary, self.image):
            part.layout.display = None

    def _show_problem(self, error) -> None:
        # the clauses name the period; a row number would mean nothing in a box of typed counts
        self.message.value = message(error_text(error, ("discount_rate",)))
        for part in (self.cards, self.summary, self.image):
            part.layout.display = "none"
        self._shown, self._values = {}, {}

    def readouts(self) -> dict[str, str]:
        """The cards as the page shows them ({} while the counts cannot be used)."""
        return dict(self._shown)

    def values(self) -> dict[str, float]:
        """The numbers behind the readouts, unrounded ({} while the counts cannot be used)."""
        return dict(self._values)

    def problem(self) -> str:
        """The problem message on the page, '' when the counts are fine."""
        return text_of(self.message.value)

    def summary_text(self) -> str:
        """The sentences under the cards, as a person reads them."""
        return text_of(self.summary.value) if self.summary.layout.display != "none" else ""
