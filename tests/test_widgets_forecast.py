"""The "Where is this group heading?" widget, headless: what it shows is the Python API's answer."""

from __future__ import annotations

import math

import pytest
from conftest import is_png

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import retention_xl as rx  # noqa: E402
from retention_xl import formatting as fmt  # noqa: E402
from retention_xl.widgets import App, GroupForecast  # noqa: E402
from retention_xl.widgets.forecast import EXAMPLE, read_counts  # noqa: E402

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def api_numbers(counts, margin=100.0, discount=0.10, ahead=12):
    curve = rx.fit_retention_curve(counts)
    table = curve.forecast(ahead)
    return curve, table, {
        "alpha": curve.alpha, "beta": curve.beta,
        "last retention": curve.last_retention,
        "constant retention": curve.constant_retention,
        "curve retention at the horizon": table["retention"].iloc[-1],
        "projected active": table["projected_active"].iloc[-1],
        "constant active": table["constant_retention_active"].iloc[-1],
        "value under the curve": curve.customer_value(margin, discount),
        "value at constant retention": rx.customer_value(margin, curve.constant_retention, discount),
    }


def assert_same(shown: dict, expected: dict):
    assert shown.keys() == expected.keys()
    for name, value in expected.items():
        assert math.isclose(shown[name], value, rel_tol=1e-9, abs_tol=0), name


def test_the_example_is_filled_in_and_shows_the_api_numbers():
    view = GroupForecast()
    assert read_counts(view.counts.value) == REGULAR == read_counts(EXAMPLE)
    curve, _, expected = api_numbers(REGULAR)
    assert_same(view.values(), expected)
    assert view.readouts() == {
        "Retention in period 7 (last observed)": fmt.percent(curve.last_retention),
        "Retention in period 19 (curve)": fmt.percent(expected["curve retention at the horizon"]),
        "Value of a new customer under the curve": fmt.money(expected["value under the curve"]),
        f"Value at one constant rate ({fmt.percent(curve.constant_retention)})":
            fmt.money(expected["value at constant retention"]),
    }
    assert view.readouts()["Value of a new customer under the curve"] == "$336"
    summary = view.summary_text()
    assert "the curve expects 126 still active after 19 periods" in summary
    assert "one retention rate of 77.4% and a value of $307" in summary
    assert is_png(view.image.png) and view.problem() == ""


def test_typed_counts_margin_discount_and_horizon_follow_the_api():
    view = GroupForecast()
    view.counts.value = "2,000\n1,500\n1,210\n1,030\n905\n"  # a pasted column, with thousands commas
    view.margin.box.value = "40"
    view.discount_rate.box.value = "2.5"
    view.periods_ahead.box.value = "36"
    _, _, expected = api_numbers([2000, 1500, 1210, 1030, 905], margin=40, discount=0.025, ahead=36)
    assert_same(view.values(), expected)
    assert "after 40 periods" in view.summary_text()


def test_the_horizon_slider_moves_the_projection():
    view = GroupForecast()
    before = view.values()["projected active"]
    view.periods_ahead.slider.value = 30
    assert view.periods_ahead.value == 30
    _, table, _ = api_numbers(REGULAR, ahead=30)
    assert math.isclose(view.values()["projected active"], table["projected_active"].iloc[-1], rel_tol=1e-9)
    assert view.values()["projected active"] < before


@pytest.mark.parametrize("typed, sentence", [
    ("1000, 800, 900", "Active customers rise from 800 in period 1 to 900 in period 2: a group's "
                       "count can only stay or fall: count the customers of the starting group still "
                       "active, without new or returning customers."),
    ("1000, lots, 500", "Active customers must be a number, got the text 'lots' in period 1: enter a plain "
                        "number such as 1200 or 0.925."),
    ("1000", "Active customers has fewer than two counts (got 1): give the customers at the start and at "
             "the end of at least two periods, e.g. [1000, 700, 550]."),
    ("", "Active customers is empty: give the customers at the start and after each period."),
    ("500, 500, 500", "No customer left in any period, so retention cannot be projected from it (the "
                      "counts never fall): a curve needs at least one customer lost."),
])
def test_bad_counts_give_the_core_sentence_and_keep_what_was_typed(typed, sentence):
    view = GroupForecast()
    view.counts.value = typed
    assert view.problem() == sentence
    assert view.readouts() == {} and view.values() == {}
    assert view.image.layout.display == "none"
    assert view.counts.value == typed


def test_no_discount_with_alpha_below_one_asks_for_a_discount_rate():
    view = GroupForecast()
    view.discount_rate.box.value = "0"
    assert view.problem().startswith("With no discount rate and no horizon a customer is worth an infinite amount")
    assert view.problem().endswith("give a discount rate (0.1 for 10% per period) or a horizon in periods.")
    view.discount_rate.box.value = "5"
    assert view.problem() == "" and view.readouts()


def test_the_app_has_the_fourth_tab():
    app = App()
    assert app.tabs.get_title(3) == "Where is this group heading?"
    assert app.tabs.children[3] is app.forecast
