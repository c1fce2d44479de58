"""The widgets without a browser: set values as the page would, read what the page shows."""

from __future__ import annotations

import datetime

import pytest
from conftest import is_png

pytest.importorskip("ipywidgets")

import retention_xl as rx
from retention_xl import formatting as fmt
from retention_xl.widgets import RetentionCalculator, WhatIf
from retention_xl.widgets._controls import text_of



def type_counts(calculator, start, end, new):
    calculator.start.box.value = str(start)
    calculator.end.box.value = str(end)
    calculator.new.box.value = str(new)


# --- retention calculator ---------------------------------------------------------------

def test_calculator_reads_the_worked_example():
    calculator = RetentionCalculator(start=10, end=10, new=0)
    type_counts(calculator, 107, 120, 21)
    assert calculator.readouts() == {"Retention": "92.5%", "Churn": "7.5%", "Lost customers": "8"}
    assert text_of(calculator.cards.value) == "Retention 92.5% Churn 7.5% Lost customers 8"
    assert calculator.problem() == ""
    assert is_png(calculator.image.png)
    assert calculator.chart.labels() == ["99 kept", "8 lost", "99 kept", "21 new"]


def test_slider_and_box_move_together_and_the_chart_changes():
    calculator = RetentionCalculator()
    before = calculator.image.value
    chart = calculator.chart
    calculator.end.slider.value = 110  # a drag released at 110
    assert calculator.end.box.value == "110"
    expected = rx.retention_rate(107, 110, 21)
    assert calculator.readouts()["Retention"] == fmt.percent(expected) == "83.2%"
    assert calculator.readouts()["Lost customers"] == fmt.count(rx.lost_customers(107, 110, 21))
    assert calculator.chart is chart  # updated in place, not rebuilt
    assert is_png(calculator.image.png) and calculator.image.value != before


def test_sliders_release_once_not_while_dragging():
    calculator = RetentionCalculator()
    assert all(not c.slider.continuous_update for c in (calculator.start, calculator.end, calculator.new))


def test_impossible_counts_give_a_message_and_keep_what_was_typed():
    calculator = RetentionCalculator()
    type_counts(calculator, 100, 20, 25)
    assert calculator.problem().startswith("New customers (25) cannot exceed customers at end (20)")
    assert calculator.readouts() == {}
    assert calculator.cards.layout.display == "none" and calculator.image.layout.display == "none"
    assert (calculator.start.value, calculator.end.value, calculator.new.value) == (100, 20, 25)
    calculator.end.box.value = "120"  # fixing it brings the numbers back
    assert calculator.problem() == ""
    assert calculator.readouts()["Retention"] == "95.0%"
    assert calculator.image.layout.display is None


def test_no_customers_at_start_is_explained():
    calculator = RetentionCalculator()
    calculator.start.box.value = "0"
    assert "no customers at start" in calculator.problem().lower()
    assert calculator.readouts() == {}


def test_a_big_shop_types_its_numbers_and_the_sliders_make_room():
    calculator = RetentionCalculator()
    type_counts(calculator, 25000, 24000, 3000)
    assert (calculator.start.value, calculator.end.value, calculator.new.value) == (25000, 24000, 3000)
    assert calculator.start.slider.value == 25000 and calculator.start.slider.max >= 25000
    assert calculator.readouts() == {"Retention": "84.0%", "Churn": "16.0%",
                                     "Lost customers": "4,000"}


@pytest.mark.parametrize("typed, start", [("107.5", 107.5), ("1,200", 1200.0), (" 250 ", 250.0),
                                           ("1000000000000", 1e12), ("1e12", 1e12),
                                           ("1.5E+3", 1500.0)])
def test_the_number_typed_is_the_number_computed(typed, start):
    calculator = RetentionCalculator()
    calculator.start.box.value = typed
    assert calculator.start.value == start
    assert calculator.readouts()["Retention"] == fmt.percent(rx.retention_rate(start, 120, 21))
    assert calculator.start.box.value == typed  # never rewritten
    assert calculator.start.slider.max >= start  # the slider made room instead of clamping


@pytest.mark.parametrize("typed, expected", [
    ("99,5", "Customers at start must be a number, got the text '99,5'"),
    ("1e400", "Customers at start must be a finite number"),
    ("-5", "Customers at start must be a count above 0, got -5"),
    ("", "No customers at start of the period (customers at start is blank)"),
])
def test_text_that_is_not_a_count_gets_the_core_sentence_and_stays(typed, expected):
    calculator = RetentionCalculator()
    calculator.start.box.value = typed
    assert calculator.problem().startswith(expected)
    assert calculator.readouts() == {} and calculator.image.layout.display == "none"
    assert calculator.start.box.value == typed


# --- what-if ------------------------------------------------------------------------------

def test_what_if_summary_is_the_core_projection():
    what_if = WhatIf()
    result = rx.project_profit(1000, 0.80, 200, 100, periods=5, uplift=0.05,
                               acquisition_cost=150, fixed_cost=20000)
    assert what_if.result.total_improved == pytest.approx(result.total_improved)
    assert what_if.summary_text() == (
        f"+5 points of retention (80.0% to 85.0% a year) adds "
        f"{fmt.money(result.total_difference)} of profit over 5 years, "
        f"{fmt.percent(result.uplift, sign=True)}.")


def test_uplift_step_changes_chart_and_summary_in_place():
    what_if = WhatIf()
    image, summary, chart = what_if.image.value, what_if.summary_text(), what_if.chart
    what_if.uplift.slider.value = what_if.uplift.slider.value + what_if.uplift.slider.step
    assert what_if.uplift.box.value == "5.5"
    assert what_if.summary_text() != summary and what_if.summary_text().startswith("+5.5 points")
    assert what_if.chart is chart
    assert is_png(what_if.image.png) and what_if.image.value != image
    improved = what_if.chart.lines["profit_improved"].get_ydata()
    expected = rx.project_profit(**what_if.inputs()).table["profit_improved"].to_numpy()
    assert improved.tolist() == pytest.approx(expected.tolist())


def test_relative_mode_is_visible_and_used():
    what_if = WhatIf()
    what_if.mode.value = "relative"
    assert what_if.uplift.box.description == "Retention uplift, % relative"
    assert what_if.result.retention_improved == pytest.approx(0.84)
    assert what_if.summary_text().startswith("+5% relative of retention (80.0% to 84.0% a year)")


def test_one_customer_value_comes_from_the_core_and_is_labelled_illustrative():
    what_if = WhatIf()
    what_if.margin.box.value = "60"
    what_if.discount_rate.box.value = "10"
    text = text_of(what_if.customer_value.value)
    now = rx.customer_value(60, 0.80, discount_rate=0.10, acquisition_cost=150)
    better = rx.customer_value(60, 0.85, discount_rate=0.10, acquisition_cost=150)
    rise = rx.profit_uplift(60, 0.80, 0.05, discount_rate=0.10, acquisition_cost=150)
    assert f"worth {fmt.money(now)} at today's retention and {fmt.money(better)}" in text
    assert f"({fmt.percent(rise, sign=True)})" in text
    assert "illustrative" in text and "not from a measured study" in text


def test_discounted_summary_says_todays_money():
    what_if = WhatIf()
    what_if.discount_rate.box.value = "10"
    result = rx.project_profit(**what_if.inputs())
    assert f"adds {fmt.money(result.pv_difference)} of profit in today's money" in what_if.summary_text()


def test_loss_making_baseline_gets_no_percentage():
    what_if = WhatIf()
    what_if.margin.box.value = "-5"
    text = what_if.summary_text()
    assert "percentage rise would mean nothing" in text and "%." not in text
    assert "no percentage" in text_of(what_if.customer_value.value)


def test_impossible_retention_gives_a_message_and_keeps_the_number():
    what_if = WhatIf()
    what_if.retention.box.value = "99"
    assert what_if.problem().startswith(
        "Retention 99% improved by 5 points gives 104%, outside 0% to below 100%")
    assert what_if.summary_text() == "" and what_if.image.layout.display == "none"
    assert what_if.retention.box.value == "99"
    what_if.uplift.box.value = "0.5"
    assert what_if.problem() == "" and what_if.summary_text().startswith("+0.5 points")


@pytest.mark.parametrize("typed", ["92.5", "92.5%", " 92.5 % ".replace(" %", "%")])
def test_a_percent_box_reads_92_5_and_92_5_percent_alike(typed):
    what_if = WhatIf()
    what_if.uplift.box.value = "2"
    what_if.retention.box.value = typed
    assert what_if.inputs()["retention"] == 0.925
    assert what_if.summary_text().startswith("+2 points of retention (92.5% to 94.5% a year)")


@pytest.mark.parametrize("box, typed, expected", [
    ("retention", "100", "Retention must be a percentage from 0% up to but not including 100%, "
                         "got 100%: at 100% no customer ever leaves and the value is infinite."),
    ("retention", "99,5", "Retention must be a number, got the text '99,5': enter a percentage "
                          "such as 92.5."),
    ("periods", "0", "Periods must be a whole number of periods from 1 to 1200, got 0."),
    ("periods", "2.5", "Periods must be a whole number, got 2.5"),
    ("discount_rate", "-1", "Discount rate cannot be negative, got -1%: enter a percentage of "
                            "0% or more."),
    ("customers", "-5", "Customers now cannot be negative, got -5"),
])
def test_what_if_never_clamps_and_says_the_problem_in_percent(box, typed, expected):
    what_if = WhatIf()
    getattr(what_if, box).box.value = typed
    assert what_if.problem().startswith(expected)
    assert getattr(what_if, box).box.value == typed and what_if.summary_text() == ""


def test_period_name_reaches_summary_and_chart():
    what_if = WhatIf()
    what_if.period.value = "month"
    what_if.periods.box.value = "24"
    assert "over 24 months" in what_if.summary_text()
    assert what_if.chart.ax_profit.get_title(loc="left") == "Profit per month"
    assert len(what_if.chart.lines["customers_baseline"].get_xdata()) == 24


# --- from data ------------------------------------------------------------------------------

from retention_xl.widgets import App, FromData  # noqa: E402
from retention_xl.widgets.from_data import EXAMPLE_PATH  # noqa: E402
from retention_xl.workbook import read_periods  # noqa: E402

HEADER = "Period,Customers at start,Customers at end,New customers\n"


def test_from_data_shows_the_core_period_table_and_alert():
    view = FromData()
    expected = rx.period_table(
        read_periods(EXAMPLE_PATH),
        period="period", periods_per_year=4, industry="Telecommunications")
    assert view.table["retention"].tolist() == pytest.approx(expected["retention"].tolist())
    assert view.table["alert"].tolist() == expected["alert"].tolist()
    assert view.alert_text().startswith("Alert: retention was more than 5 points below the "
                                        "Telecommunications benchmark (78.0% a year)")
    assert "(alert at 2025Q1)" in view.alert_text()
    table = text_of(view.table_html.value)
    assert "2024Q1 1,000 1,030 90 60 94.0% 6.0% 78.1% +0.1 points" in table
    assert is_png(bytes(view.image.value))


def test_from_data_follows_industry_and_tolerance(tmp_path):
    view = FromData()
    image = bytes(view.image.value)
    view.industry.value = "Retail"  # 63%: the example is well above it
    assert view.alert_text().startswith("No alert") and "Retail benchmark (63.0% a year)" in view.alert_text()
    assert bytes(view.image.value) != image
    view.industry.value = "Telecommunications"
    view.tolerance.value = "10"
    assert view.alert_text().startswith("No alert: retention was never more than 10 points")


@pytest.mark.parametrize("typed, expected", [
    ("150", "Tolerance must be a percentage from 0% to 100% (5 means 5 points), got 150%"),
    ("-2", "Tolerance cannot be negative, got -2%"),
    ("abc", "Tolerance must be a number, got the text 'abc'"),
])
def test_from_data_tolerance_is_judged_by_the_core_never_clamped(typed, expected):
    view = FromData()
    view.tolerance.value = typed
    assert view.problem().startswith(expected)
    assert view.tolerance.value == typed and view.table is None  # kept as typed; no old numbers
    view.tolerance.value = "2.5%"  # the file is still loaded: a good value shows it again
    assert view.problem() == "" and view.table is not None
    assert "more than 2.5 points" in view.alert_text()


def test_from_data_loads_a_csv_by_path_and_by_upload(tmp_path):
    csv = tmp_path / "shop.csv"
    csv.write_text(HEADER + "Jan,200,210,30\nFeb,210,205,10\nMar,205,215,20\n")
    view = FromData()
    view.periods.value = "months"
    view.path.value = str(csv)
    view.load_button.click()
    assert view.problem() == ""
    assert list(view.table.index) == ["Jan", "Feb", "Mar"]
    assert view.table["retention"].round(4).tolist() == [0.9, 0.9286, 0.9512]
    assert "shop.csv" in text_of(view.source.value)
    upload = FromData()
    upload.upload.value = ({"name": "shop.csv", "type": "text/csv", "size": csv.stat().st_size,
                            "content": memoryview(csv.read_bytes()),
                            "last_modified": datetime.datetime(2025, 1, 1)},)
    assert list(upload.table.index) == ["Jan", "Feb", "Mar"]
    assert csv.read_text().startswith(HEADER)  # only read, never written


@pytest.mark.parametrize("name, content, expected", [
    ("missing.csv", None, "There is no file at"),
    ("bad.csv", HEADER + "Q1,100,20,25\n", "new customers (25) cannot exceed customers at end (20)"),
    ("bad.csv", HEADER + "Q1,x,20,2\n", "line 2, Customers at start"),
    ("other.csv", "a,b\n1,2\n", "the header must start with Period"),
    ("fake.xlsx", "not a zip", "is not an Excel workbook"),
    ("notes.txt", "hello", "neither an Excel workbook"),
    ("empty.csv", HEADER, "no filled rows"),
])
def test_bad_files_give_a_message_not_a_traceback(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    view = FromData()
    assert view.load(path) is False
    assert expected in view.problem()
    assert view.table is None and view.image.value == b"" and view.alert_text() == ""  # no stale results


def test_app_holds_the_three_widgets():
    app = App()
    assert [type(child) for child in app.tabs.children] == [
        type(app.calculator), type(app.what_if), type(app.from_data), type(app.forecast)]
    assert app.calculator.readouts()["Retention"] == "92.5%"
