"""value_change: the one value-now / value-improved / uplift sequence the what-if page and the CLI show."""

import pytest

import retention_xl as rx


@pytest.mark.parametrize("margin, retention, better, rate, cost",
                         [(100, 0.90, 0.95, 0.10, 150), (80, 0.5, 0.6, 0.0, 0.0), (10, 0.3, 0.25, 0.05, 2)])
def test_value_change_matches_the_single_functions(margin, retention, better, rate, cost):
    change = rx.value_change(margin, retention, better, discount_rate=rate, acquisition_cost=cost)
    assert change.value_now == rx.customer_value(margin, retention, rate, cost)
    assert change.value_improved == rx.customer_value(margin, better, rate, cost)
    assert change.uplift == pytest.approx(rx.profit_uplift(margin, retention, better - retention, rate, cost),
                                          rel=1e-12)
    assert change.difference == change.value_improved - change.value_now


def test_no_percentage_when_a_customer_is_worth_nothing_today():
    change = rx.value_change(10, 0.5, 0.6, acquisition_cost=50)
    assert change.value_now < 0 and change.uplift is None


def test_bad_improved_retention_names_its_field():
    with pytest.raises(rx.RetentionInputError, match="retention improved"):
        rx.value_change(100, 0.9, 1.2)


def test_what_if_page_applies_the_uplift_once(monkeypatch):
    from retention_xl.widgets import whatif

    calls = []
    real = rx.value_change
    monkeypatch.setattr(rx, "value_change", lambda *a, **k: calls.append((a, k)) or real(*a, **k))
    page = whatif.WhatIf()
    margin, retention, better = calls[-1][0]
    assert better == page.result.retention_improved
