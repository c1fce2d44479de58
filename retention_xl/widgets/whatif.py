"""What-if: what better retention is worth to the whole business (Model B) and per customer (Model A)."""

from __future__ import annotations

import ipywidgets as widgets

import retention_xl as rx

from .. import formatting as fmt
from ..plots import ProjectionChart
from ._controls import CSS, ChartImage, LinkedNumber, Recalculation, error_text, message, text_of

__all__ = ["WhatIf"]

#: How one period is called, singular and plural, for the chart and the summary.
PERIOD_NAMES = {"year": "years", "quarter": "quarters", "month": "months"}

#: The inputs the page shows in percent: the core's sentences about them are said in percent.
PERCENT_FIELDS = ("retention", "uplift", "discount_rate")

_UPLIFT_LABELS = {"points": "Retention uplift, points", "relative": "Retention uplift, % relative"}

_BAIN = (
    "For context: Bain &amp; Company's often-quoted claim that 5% more retention raises "
    "profits by 25% to 95% came from this same arithmetic applied to example industries, "
    "not from a measured study, and its 5% meant 5 points. The figure above is illustrative "
    "too: it is worked out from your own margin, retention and costs, and holds only as far "
    "as they do.")


class WhatIf(widgets.VBox):
    """Move the sliders and see what better retention adds to customers and profit.

    The chart shows customers and profit per period at today's retention and
    at the improved one (Model B, :func:`retention_xl.project_profit`); a
    sentence sums it up, and a second box shows what the same improvement does
    to the value of one customer (Model A, :func:`retention_xl.customer_value`),
    labelled illustrative.

    Parameters
    ----------
    customers, retention, new_customers, margin, acquisition_cost, fixed_cost : float, optional
        Starting values; ``retention`` is a fraction (0.8 for 80%).
    uplift : float, optional
        Improvement, a fraction (0.05: 5 points or 5% relative).
    mode : {'points', 'relative'}, optional
    discount_rate : float, optional
        Per period, a fraction.
    periods : int, optional
        Horizon.
    period : {'year', 'quarter', 'month'}, optional
        What one period is.

    Examples
    --------
    In a notebook::

        from retention_xl.widgets import WhatIf
        WhatIf()

    The summary for the default business (1,000 customers, 80% kept a year):

    >>> what_if = WhatIf()
    >>> what_if.summary_text()
    '+5 points of retention (80.0% to 85.0% a year) adds $61,589 of profit over 5 years, +24.6%.'
    >>> what_if.uplift.box.value = "10"
    >>> what_if.summary_text()[:50]
    '+10 points of retention (80.0% to 90.0% a year) ad'
    """

    def __init__(self, customers: float = 1000, retention: float = 0.80,
                 new_customers: float = 200, margin: float = 100, uplift: float = 0.05,
                 mode: str = "points", acquisition_cost: float = 150,
                 fixed_cost: float = 20000, discount_rate: float = 0.0, periods: int = 5,
                 period: str = "year"):
        self.customers = LinkedNumber("Customers now", customers, 0, 5000, integer=True)
        self.retention = LinkedNumber("Retention now, % per period", retention * 100, 0, 99,
                                      step=0.5, percent=True)
        self.mode = widgets.ToggleButtons(
            options=[("in points (80% → 85%)", "points"), ("relative (80% → 84%)", "relative")],
            value=mode, description="Uplift counted",
            style={"description_width": "250px", "button_width": "170px"})
        self.mode.add_class("rxl-wide")
        self.uplift = LinkedNumber(_UPLIFT_LABELS[mode], uplift * 100, 0, 20, step=0.5,
                                   percent=True)
        self.margin = LinkedNumber("Margin per customer per period, $", margin, 0, 1000, step=5)
        self.acquisition_cost = LinkedNumber("Cost to win a customer, $", acquisition_cost,
                                             0, 1000, step=5)
        self.fixed_cost = LinkedNumber("Fixed cost per period, $", fixed_cost, 0, 100000,
                                       step=500)
        self.discount_rate = LinkedNumber("Discount rate, % per period", discount_rate * 100,
                                          0, 30, step=0.5, percent=True)
        self.periods = LinkedNumber("Horizon, periods", periods, 1, 60, integer=True)
        self.new_customers = LinkedNumber("New customers per period", new_customers, 0, 1000,
                                          integer=True)
        self.period = widgets.Dropdown(options=[(p, p) for p in PERIOD_NAMES], value=period,
                                       description="One period is a",
                                       style={"description_width": "250px"},
                                       layout=widgets.Layout(width="390px", max_width="100%"))
        self.period.add_class("rxl-wide")
        self.controls = [self.customers, self.retention, self.uplift, self.margin,
                         self.acquisition_cost, self.fixed_cost, self.discount_rate,
                         self.periods, self.new_customers]
        self.summary = widgets.HTML()
        self.message = widgets.HTML()
        self.message.add_class("rxl-result")  # an old problem fades too while typing
        self.customer_value = widgets.HTML()
        self.customer_value.add_class("rxl-result")
        self.chart = None
        self.image = ChartImage()
        header = widgets.HTML(
            CSS + '<div class="rxl-title">What is better retention worth?</div>'
            '<div class="rxl-note">Describe your business, then move the uplift slider: the '
            'chart compares today\'s retention (grey) with the improved one (teal).</div>')
        super().__init__([header, self.period, self.customers.row, self.retention.row,
                          self.mode, self.uplift.row, self.new_customers.row, self.margin.row,
                          self.acquisition_cost.row, self.fixed_cost.row,
                          self.discount_rate.row, self.periods.row, self.message,
                          self.summary, self.image, self.customer_value])
        self.add_class("rxl-widget")
        self.recalculation = Recalculation(self, self._recalculate)
        for control in self.controls:
            control.observe(self.recalculation.changed)
        self.mode.observe(self._mode_changed, names="value")
        self.period.observe(self.recalculation.now, names="value")
        self.recalculation.now()

    def _mode_changed(self, change) -> None:
        self.uplift.set_label(_UPLIFT_LABELS[change["new"]])
        self.recalculation.now()

    def inputs(self) -> dict:
        """The values as the core takes them (percentages as fractions; text the boxes
        could not read as a number goes to the core as text, which says what is wrong)."""
        return dict(
            customers=self.customers.value, retention=self.retention.fraction,
            new_customers=self.new_customers.value, margin=self.margin.value,
            periods=self.periods.value, uplift=self.uplift.fraction, mode=self.mode.value,
            acquisition_cost=self.acquisition_cost.value, fixed_cost=self.fixed_cost.value,
            discount_rate=self.discount_rate.fraction)

    def _recalculate(self) -> None:
        args = self.inputs()
        try:
            result = rx.project_profit(**args)
            # the improvement applied once (by project_profit); a percentage only when a
            # customer is worth something today (docs/methodology.md section 4)
            change = rx.value_change(args["margin"], args["retention"], result.retention_improved,
                                     discount_rate=args["discount_rate"],
                                     acquisition_cost=args["acquisition_cost"])
        except rx.RetentionInputError as error:
            self.result = None
            self.message.value = message(error_text(error, PERCENT_FIELDS))
            for part in (self.summary, self.image, self.customer_value):
                part.layout.display = "none"
            return
        self.result = result
        self.message.value = ""
        summary = f'<div class="rxl-summary">{self._summary(result)}</div>'
        period = self.period.value
        key = (tuple(args.items()), period)
        # the chart first: it takes the longest to reach the page, and the sentences
        # below it follow within the same moment
        if self.image.key != key:  # the same numbers typed another way: no redraw
            if self.chart is None:
                self.chart = ProjectionChart(result, period_name=period.capitalize())
            else:
                self.chart.update(result)
            self.chart.set_period_name(period.capitalize())
            self.image.show(self.chart.png(), "Customers and profit per period at today's and "
                                              "the improved retention: " + text_of(summary),
                            key=key)
        self.summary.value = summary
        self.customer_value.value = self._one_customer(result, change)
        for part in (self.summary, self.image, self.customer_value):
            part.layout.display = None

    def _summary(self, result) -> str:
        period = self.period.value
        horizon = len(result.table)
        span = f"{horizon} {PERIOD_NAMES[period] if horizon != 1 else period}"
        rates = (f"{fmt.percent(result.retention_baseline)} to "
                 f"{fmt.percent(result.retention_improved)} a {period}")
        gain = result.pv_difference
        verb = "adds" if gain >= 0 else "costs"
        what = "of profit" if result.pv_baseline == result.total_baseline else \
            "of profit in today's money"
        text = f"<b>{result.uplift_label}</b> of retention ({rates}) {verb} " \
               f"<b>{fmt.money(abs(gain))}</b> {what} over {span}"
        if result.uplift is not None:
            return text + f", <b>{fmt.percent(result.uplift, sign=True)}</b>."
        return text + (". Profit at today's retention is not above zero over this horizon, "
                       "so a percentage rise would mean nothing.")

    def _one_customer(self, result, change) -> str:
        rise = (f" ({fmt.percent(change.uplift, sign=True)})" if change.uplift is not None else
                " (no percentage: a customer is not worth more than it costs to win today)")
        return (
            '<div class="rxl-summary"><b>One customer</b> (illustrative): worth '
            f"<b>{fmt.money(change.value_now)}</b> at today's retention and "
            f"<b>{fmt.money(change.value_improved)}</b> with {result.uplift_label}{rise}, counting the "
            "margins it brings over its expected lifetime, discounted, less the cost to win it."
            f'</div><div class="rxl-note">{_BAIN}</div>')

    def summary_text(self) -> str:
        """The summary sentence as the page shows it ('' while inputs are impossible)."""
        return text_of(self.summary.value) if self.result is not None else ""

    def problem(self) -> str:
        """The problem message on the page, '' when the inputs are fine."""
        return text_of(self.message.value)
