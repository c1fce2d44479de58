"""Typing in the widgets' boxes, in the kernel: results follow a pause in typing and are marked
as not yet updated until then; a slider, a setting or a program's change is computed at once;
a file the page refused as too large clears the old file's results.

The page's keys arrive through ``set_state`` (what ipywidgets calls for a message from the
page) inside the kernel's running event loop; here an asyncio loop plays the kernel's.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from conftest import run_async

from retention_xl.widgets import FromData, GroupForecast, RetentionCalculator, WhatIf
from retention_xl.widgets._controls import TYPING_PAUSE
from retention_xl.widgets.from_data import upload_too_large


def _typed(box, text: str) -> None:
    """A key press as the page sends it."""
    box.set_state({"value": text})


def test_keys_typed_on_the_page_wait_for_a_pause_marked_as_not_yet_updated():
    calculator = RetentionCalculator()  # 107, 120, 21: 92.5%
    computed = []
    original = calculator._recalculate

    def counting():
        computed.append(calculator.start.box.value)
        original()

    calculator.recalculation._recalculate = counting

    async def type_slowly():
        for text in ("1070", "10700", "107000"):  # keys 50 ms apart, quicker than the pause
            _typed(calculator.start.box, text)
            assert "rxl-pending" in calculator._dom_classes
            assert calculator.readouts()["Retention"] == "92.5%"  # old results, marked
            await asyncio.sleep(0.05)
        await asyncio.sleep(TYPING_PAUSE + 0.15)

    run_async(type_slowly())
    assert computed == ["107000"]  # once, from the last text: no number jumping at each key
    assert calculator.readouts()["Retention"] == "0.1%"  # 99 / 107,000, typed without Enter
    assert "rxl-pending" not in calculator._dom_classes


def test_a_slider_moved_meanwhile_computes_at_once_with_the_typed_text():
    calculator = RetentionCalculator()

    async def type_then_slide():
        _typed(calculator.end.box, "110")
        assert "rxl-pending" in calculator._dom_classes
        calculator.new.slider.value = 10  # the slider: at once, with the text typed before
        assert "rxl-pending" not in calculator._dom_classes
        assert calculator.readouts() == {"Retention": "93.5%", "Churn": "6.5%",
                                         "Lost customers": "7"}  # (110 - 10) / 107
        await asyncio.sleep(TYPING_PAUSE + 0.1)  # the waiting recalculation was dropped

    run_async(type_then_slide())
    assert calculator.readouts()["Retention"] == "93.5%"


@pytest.mark.parametrize("make, box, text, check", [
    (WhatIf, lambda w: w.uplift.box, "10",
     lambda w: w.summary_text().startswith("+10 points of retention")),
    (GroupForecast, lambda w: w.counts, "1000, 800, 900",
     lambda w: w.problem().startswith("Active customers rise from 800")),
    (FromData, lambda w: w.tolerance, "150",
     lambda w: "150" in w.problem() and w.table is None),
])
def test_every_typed_box_waits_for_the_pause_then_follows(make, box, text, check):
    widget = make()

    async def type_it():
        _typed(box(widget), text)
        assert "rxl-pending" in widget._dom_classes
        assert not check(widget)
        await asyncio.sleep(TYPING_PAUSE + 0.15)

    run_async(type_it())
    assert check(widget)
    assert "rxl-pending" not in widget._dom_classes


def test_a_change_made_by_a_program_is_computed_at_once_even_in_a_running_loop():
    calculator = RetentionCalculator()

    async def set_it():
        calculator.start.box.value = "100"  # a notebook cell, not the page
        return calculator.readouts()["Retention"]

    assert run_async(set_it()) == "99.0%"
    assert "rxl-pending" not in calculator._dom_classes


def test_a_file_refused_by_the_page_as_too_large_clears_the_old_results():
    view = FromData()  # the example file: table, chart and alert shown
    assert view.table is not None and view.alert_text()
    size = 60 * 2**20
    _typed(view.refused_upload, json.dumps({"name": "C:\\fakepath\\big.csv", "size": size,
                                            "at": 1}))
    assert view.problem() == upload_too_large("big.csv", size)
    assert view.table is None and view.file is None
    assert view.alert_text() == "" and view.table_html.value == "" and view.source.value == ""
    assert view.image.layout.display == "none"


@pytest.mark.parametrize("text", ["", "not json", json.dumps({"name": "a.csv"}),
                                  json.dumps({"name": "a.csv", "size": "big"})])
def test_anything_else_in_the_refusal_box_changes_nothing(text):
    view = FromData()
    _typed(view.refused_upload, text)
    assert view.problem() == "" and view.table is not None


@pytest.mark.parametrize("make, box, same", [
    (RetentionCalculator, lambda w: w.start.box, "107.0"),
    (WhatIf, lambda w: w.uplift.box, "5%"),
])
def test_the_same_numbers_typed_another_way_are_not_drawn_again(make, box, same):
    widget = make()
    drawn = []
    original = widget.chart.png
    widget.chart.png = lambda: drawn.append(1) or original()
    box(widget).value = same  # 107 again, 5 points again
    assert drawn == []
    box(widget).value = "108" if make is RetentionCalculator else "6"
    assert drawn == [1]
