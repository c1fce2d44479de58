"""Retention calculator: three counts in, retention, churn and lost customers out."""

from __future__ import annotations

import ipywidgets as widgets

import retention_xl as rx

from .. import formatting as fmt
from ..plots import SplitChart
from ._controls import CSS, ChartImage, LinkedNumber, Recalculation, card, error_text, message, text_of

__all__ = ["RetentionCalculator"]


class RetentionCalculator(widgets.VBox):
    """Type or slide the customers at start, at end and new; read retention, churn and lost.

    Each count has a slider and an exact text box (labelled, so it is also
    the accessible way in) read as typed, key by key: "1,200" is 1200 and
    107.5 stays 107.5. When the counts are impossible (more new customers
    than customers at the end, say) the readouts and chart give way to a
    sentence saying what is wrong; nothing the user typed is changed.

    Parameters
    ----------
    start, end, new : int, optional
        Starting counts. Default 107, 120 and 21 (92.5% retention).

    Examples
    --------
    In a notebook, two lines show the calculator::

        from retention_xl.widgets import RetentionCalculator
        RetentionCalculator()

    Set the boxes as a person would and read what the page shows:

    >>> calculator = RetentionCalculator()
    >>> calculator.start.box.value, calculator.end.box.value, calculator.new.box.value = "100", "110", "20"
    >>> calculator.readouts()
    {'Retention': '90.0%', 'Churn': '10.0%', 'Lost customers': '10'}
    >>> calculator.new.box.value = "200"
    >>> calculator.problem()
    'New customers (200) cannot exceed customers at end (110): customers at end include the new ones, so new customers can be at most 110.'
    """

    def __init__(self, start: int = 107, end: int = 120, new: int = 21):
        self.start = LinkedNumber("Customers at start of period", start, 0, 1000, integer=True)
        self.end = LinkedNumber("Customers at end (new included)", end, 0, 1000, integer=True)
        self.new = LinkedNumber("New customers during period", new, 0, 1000, integer=True)
        self.cards = widgets.HTML()
        self.message = widgets.HTML()
        self.message.add_class("rxl-result")  # an old problem fades too while typing
        self.chart = None  # made on the first valid counts, then updated in place
        self.image = ChartImage()
        header = widgets.HTML(
            CSS + '<div class="rxl-title">Retention calculator</div>'
            '<div class="rxl-note">Type the number of customers at the start and end of a '
            'period (a month, a quarter, a year) and how many of them were new, or move the '
            'sliders.</div>')
        super().__init__([header, self.start.row, self.end.row, self.new.row, self.cards,
                          self.message, self.image])
        self.add_class("rxl-widget")
        self.recalculation = Recalculation(self, self._recalculate)
        for control in (self.start, self.end, self.new):
            control.observe(self.recalculation.changed)
        self.recalculation.now()

    def _recalculate(self) -> None:
        counts = (self.start.value, self.end.value, self.new.value)
        try:
            retention = rx.retention_rate(*counts)
            churn = rx.churn_rate(*counts)
            lost = rx.lost_customers(*counts)
        except rx.RetentionInputError as error:
            self.message.value = message(error_text(error))
            self.cards.layout.display = "none"
            self.image.layout.display = "none"
            self._shown = {}
            return
        self.message.value = ""
        self._shown = {
            "Retention": fmt.percent(retention),
            "Churn": fmt.percent(churn),
            "Lost customers": fmt.count_as_given(lost),
        }
        self.cards.value = "".join(card(name, value) for name, value in self._shown.items())
        if self.image.key != counts:  # the same numbers typed another way: no redraw
            if self.chart is None:
                self.chart = SplitChart(*counts)
            else:
                self.chart.update(*counts)
            self.image.show(self.chart.png(), self.chart_summary(*counts, lost), key=counts)
        self.cards.layout.display = None
        self.image.layout.display = None

    @staticmethod
    def chart_summary(start, end, new, lost) -> str:
        """The chart in one sentence (its alt text).

        >>> RetentionCalculator.chart_summary(107, 120, 21, 8)
        'Of 107 customers at the start, 99 were kept and 8 lost; with 21 new there were 120 at the end.'
        """
        count = fmt.count_as_given

        return (f"Of {count(start)} customers at the start, {count(start - lost)} were kept and "
                f"{count(lost)} lost; with {count(new)} new there were {count(end)} at the end.")

    def readouts(self) -> dict[str, str]:
        """The readouts as the page shows them ({} while the inputs are impossible)."""
        return {} if self.cards.layout.display == "none" else dict(self._shown)

    def problem(self) -> str:
        """The problem message on the page, '' when the inputs are fine."""
        return text_of(self.message.value)
