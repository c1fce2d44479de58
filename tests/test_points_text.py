"""A number of points typed as text has one meaning on every face.

The alert tolerance is typed in the app's "From your data" box and given to
``retention-xl report --tolerance``; the what-if uplift is typed in a percent box.
All read the text with ``typed_text.points_from_text``: "5", "5%" and "5 points"
are five points everywhere, and text that is not a number of points is refused
everywhere, never read as something else.
"""

from __future__ import annotations

import re

import pytest

from retention_xl.cli import main
from retention_xl.typed_text import points_from_text

CSV = "Period,Customers at start,Customers at end,New customers\n" + "".join(
    f"2024-{month:02d},100,{90 + month % 3},5\n" for month in range(1, 7))

ACCEPTED = [("5", 5.0), ("5%", 5.0), ("5 %", 5.0), ("2.5 points", 2.5), ("2.5pts", 2.5),
            ("0", 0.0), ("100%", 100.0), ("1 point", 1.0), (" 7.25 PTS ", 7.25)]
REFUSED = ["abc", "5%%", "5 % pts", "%", "", "5 p", "1,5"]


@pytest.mark.parametrize("text, points", ACCEPTED)
def test_points_from_text_reads_a_unit_after_the_number_as_nothing_more(text, points):
    assert points_from_text(text) == points


@pytest.mark.parametrize("text", REFUSED)
def test_points_from_text_refuses_what_is_not_one_number_of_points(text):
    assert points_from_text(text) is None


def _cli_tolerance(tmp_path, capsys, text: str) -> float | None:
    """The points ``report --tolerance TEXT`` uses, None when it refuses the text."""
    source = tmp_path / "months.csv"
    source.write_text(CSV)
    output = tmp_path / f"report{len(list(tmp_path.iterdir()))}.xlsx"
    try:
        code = main(["report", str(source), str(output), "--industry", "Retail", f"--tolerance={text}"])
    except SystemExit as refused:  # argparse's own refusal of an option: exit status 2
        code = refused.code
    captured = capsys.readouterr()
    if code != 0:
        assert "is not a number of points from 0 to 100" in captured.err
        assert "Traceback" not in captured.err + captured.out
        return None
    found = re.search(r"by more than: ([\d.]+) points, from the command line", captured.out)
    assert found, captured.out
    return float(found.group(1))


@pytest.fixture(scope="module")
def views():
    """One "From your data" view and one what-if view for every text (each text typed anew
    replaces the one before, as a user retyping a box)."""
    pytest.importorskip("ipywidgets")
    from retention_xl.widgets.from_data import FromData
    from retention_xl.widgets.whatif import WhatIf

    return FromData(), WhatIf()


def _app_tolerance(view, text: str) -> float | None:
    """The points the app's tolerance box uses, None when it refuses the text."""
    view.tolerance.value = text
    if view.problem():
        assert view.table is None and view.tolerance.value == text  # kept as typed, results gone
        return None
    found = re.search(r"more than ([\d.]+) points", view.alert_text())
    assert found, view.alert_text()
    return float(found.group(1))


def _percent_box(what_if, text: str) -> float | None:
    """The number the what-if uplift box (a percent box) holds, None when it is text."""
    what_if.uplift.box.value = text
    return None if isinstance(what_if.uplift.value, str) else what_if.uplift.value


@pytest.mark.parametrize("text", ["5", "5%", "2.5 points", "2.5pts", "0", "100%", "abc", "5%%", "150",
                                  "150%", "1,5"])
def test_the_cli_the_app_and_the_percent_box_read_points_alike(tmp_path, capsys, views, text):
    from_data, what_if = views
    expected = points_from_text(text)
    in_range = expected if expected is not None and 0 <= expected <= 100 else None
    assert _cli_tolerance(tmp_path, capsys, text) == in_range
    assert _app_tolerance(from_data, text) == in_range
    assert _percent_box(what_if, text) == expected  # the box keeps any number; the core judges its range
