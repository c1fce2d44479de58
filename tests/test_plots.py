"""The shared charts: right numbers on the artists, in-place updates, PNG output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import is_png

import retention_xl as rx
from retention_xl import plots



def test_split_chart_bars_match_the_core_counts():
    chart = plots.SplitChart(107, 120, 21)
    kept_start, lost, kept_end, new = (bar.get_width() for bar in chart._bars)
    assert lost == rx.lost_customers(107, 120, 21) == 8
    assert kept_start == kept_end == 99
    assert new == 21
    # lost starts where kept ends: the two segments make up the starting customers
    assert chart._bars[1].get_x() == 99 and kept_start + lost == 107


def test_split_chart_updates_in_place_and_the_image_changes():
    chart = plots.SplitChart(107, 120, 21)
    figure, bars = chart.figure, list(chart._bars)
    first = chart.png()
    chart.update(25000, 24000, 3000)
    assert chart.figure is figure and chart._bars == bars
    assert chart.labels() == ["21,000 kept", "4,000 lost", "21,000 kept", "3,000 new"]
    assert chart.ax.get_xlim()[1] >= 25000
    second = chart.png()
    assert is_png(second) and second != first


def test_projection_chart_draws_the_projection_table():
    result = rx.project_profit(1000, 0.80, 200, 100, periods=5, acquisition_cost=150,
                               fixed_cost=20000)
    chart = plots.ProjectionChart(result, period_name="Year")
    for column, line in chart.lines.items():
        np.testing.assert_allclose(line.get_ydata(), result.table[column].to_numpy())
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])
    lines_before = dict(chart.lines)
    longer = rx.project_profit(1000, 0.80, 200, 100, periods=24, uplift=0.1, mode="relative")
    chart.update(longer)
    assert chart.lines == lines_before  # the same artists, moved
    assert len(chart.lines["profit_improved"].get_xdata()) == 24
    low, high = chart.ax_customers.get_ylim()
    assert low <= 0 and high >= longer.table["customers_improved"].max()


def test_projection_chart_shows_losses_below_zero():
    result = rx.project_profit(100, 0.5, 10, 10, periods=3, fixed_cost=5000)
    chart = plots.ProjectionChart(result)
    assert chart.ax_profit.get_ylim()[0] <= result.table["profit_baseline"].min() < 0


def test_trend_figure_with_a_benchmark_column_and_png():
    table = pd.DataFrame({"period": ["Q1", "Q2", "Q3"], "retention": [0.9, 0.8, 0.7],
                          "benchmark": [0.8, 0.8, 0.8]})
    figure = plots.retention_trend_figure(table, benchmark="benchmark")
    yours, bench = figure.axes[0].get_lines()
    np.testing.assert_allclose(yours.get_ydata(), [0.9, 0.8, 0.7])
    np.testing.assert_allclose(bench.get_ydata(), [0.8, 0.8, 0.8])
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["Q1", "Q2", "Q3"]
    assert is_png(plots.figure_png(figure))


def test_trend_figure_without_benchmark_uses_the_index():
    table = pd.DataFrame({"retention": [0.5, 0.6]}, index=pd.Index(["Jan", "Feb"]))
    figure = plots.retention_trend_figure(table)
    assert len(figure.axes[0].get_lines()) == 1
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["Jan", "Feb"]


@pytest.mark.parametrize("amount, text", [(1_250_000, "$1.25M"), (-20_000, "-$20k"),
                                          (900, "$900"), (np.float64(2500.0), "$2.5k")])
def test_money_ticks_are_short(amount, text):
    assert plots._short_money(amount) == text


def _pixels(png: bytes):
    from PIL import Image
    import io

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


@pytest.mark.parametrize("make, change", [
    (lambda: plots.SplitChart(107, 120, 21), lambda c: c.update(107, 118, 21)),
    (lambda: plots.ProjectionChart(rx.project_profit(1000, 0.8, 200, 100, periods=5)),
     lambda c: c.update(rx.project_profit(1000, 0.8, 200, 100, periods=5, uplift=0.06))),
    # colours the first frame did not have (its palette is kept for later frames): a red
    # bar where none was lost, a label moving out of its bar, a shaded gain where none was
    (lambda: plots.SplitChart(100, 100, 0), lambda c: c.update(100, 70, 0)),
    (lambda: plots.SplitChart(100, 60, 0), lambda c: c.update(100, 99, 0)),
    (lambda: plots.ProjectionChart(rx.project_profit(1000, 0.8, 200, 100, periods=5, uplift=0)),
     lambda c: c.update(rx.project_profit(1000, 0.8, 200, 100, periods=5, uplift=0.01))),
])
def test_fast_frames_look_like_a_full_drawing(make, change):
    chart = make()
    chart.png()  # the first frame draws everything and keeps the background
    change(chart)
    fast = _pixels(chart.png())
    full = _pixels(plots.figure_png(chart.figure))
    assert fast.shape == full.shape
    differing = np.any(np.abs(fast - full) > 40, axis=2).mean()
    assert differing < 0.002, f"{differing:.2%} of the pixels differ"
    # and the chart really moved: a fresh frame differs from the first one
    assert not np.array_equal(fast, _pixels(make().png()))


def test_axis_limits_hold_still_for_a_small_change_and_follow_a_big_one():
    chart = plots.ProjectionChart(rx.project_profit(1000, 0.8, 200, 100, periods=5))
    limits = chart.ax_customers.get_ylim()
    chart.update(rx.project_profit(1000, 0.8, 200, 100, periods=5, uplift=0.055))
    assert chart.ax_customers.get_ylim() == limits
    chart.update(rx.project_profit(20000, 0.8, 200, 100, periods=5))
    assert chart.ax_customers.get_ylim()[1] >= 20000 * 0.85
    chart.update(rx.project_profit(10, 0.8, 2, 100, periods=5))
    assert chart.ax_customers.get_ylim()[1] < 100


@pytest.mark.parametrize("counts", [(107, 120, 21), (100, 40, 35), (100, 100, 0), (1, 1000, 999),
                                    (1000, 2000, 1500), (25000, 24000, 3000), (5, 1000, 1000),
                                    (1e6, 999_999, 0), (3, 3, 3), (2.5, 2, 0.5)])
def test_split_chart_labels_never_collide_nor_vanish(counts):
    """Each label sits inside its own bar in white, or outside every bar in its colour
    (never green on red); no two labels overlap; all stay inside the picture."""
    chart = plots.SplitChart(*counts)
    chart.png()
    renderer = chart.figure.canvas.get_renderer()
    figure_box = chart.figure.bbox
    bars = [bar.get_window_extent(renderer) for bar in chart._bars]
    texts = [(i, t, t.get_window_extent(renderer)) for i, t in enumerate(chart._texts)
             if t.get_visible()]
    for i, text, box in texts:
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, text.get_text()
        if text.get_color() == "white":
            assert bars[i].x0 <= box.x0 and box.x1 <= bars[i].x1, text.get_text()
        else:
            assert text.get_color() == plots.COLORS[chart._kinds[i]]
            assert not any(box.overlaps(bar) for bar in bars if bar.width > 0), text.get_text()
    for a, (_, _, box_a) in enumerate(texts):
        for _, _, box_b in texts[a + 1:]:
            assert not box_a.overlaps(box_b)


def test_widget_chart_text_stays_readable_on_a_phone():
    """Shown 320 CSS px wide (a 390 px phone), every text of the charts is at least 10 px."""
    import retention_xl as rx

    shrink = 320 / (plots.CHART_INCHES["split"][0] * plots.DPI)
    curve = rx.fit_retention_curve([1000, 631, 468, 382, 326, 289, 262, 241])
    for chart in (plots.SplitChart(107, 120, 21),
                  plots.ProjectionChart(rx.project_profit(1000, 0.8, 200, 100, periods=5)),
                  # the forecast widget's chart and the data view's
                  plots.retention_curve_figure(curve.forecast(12), curve.last_retention,
                                               narrow=True),
                  plots.retention_trend_figure(
                      pd.DataFrame({"period": [f"2024-{m:02d}" for m in range(1, 13)],
                                    "retention": np.linspace(0.9, 0.8, 12)}),
                      benchmark=0.85, tolerance=0.05, alerts=np.arange(12) == 4, narrow=True,
                      title="Your retention as a yearly rate, against Hospitality/travel/restaurants")):
        figure = getattr(chart, "figure", chart)
        figure.canvas.draw()
        assert figure.get_figwidth() * plots.DPI <= 500  # shown at its width, at most 500 px
        sizes = [t.get_fontsize() for t in figure.findobj(lambda a: hasattr(a, "get_fontsize"))
                 if t.get_text()]
        assert sizes and min(sizes) * plots.DPI / 72 * shrink >= 10, min(sizes)


@pytest.mark.parametrize("labels", [
    [f"2024-{m:02d}" for m in range(1, 13)],
    ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"],
    ["January 2024", "February 2024", "March 2024"],
    [str(year) for year in range(2000, 2030)],
])
def test_narrow_trend_chart_text_stays_inside_and_apart(labels):
    """The data view's chart at 500 px: the longest industry's title, the legend and the
    period labels all inside the picture, no two period labels overlapping."""
    industry = max(rx.industry_benchmarks()["industry"], key=len)
    figure = plots.retention_trend_figure(
        pd.DataFrame({"period": labels, "retention": np.linspace(0.9, 0.8, len(labels))}),
        benchmark=0.85, tolerance=0.05, alerts=np.arange(len(labels)) == 1, narrow=True,
        title=f"Your retention as a yearly rate, against {industry}")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    texts = [ax._left_title, *ax.get_xticklabels(), *ax.get_yticklabels(),
             *figure.legends[0].get_texts()]
    for text in texts:
        if text.get_text():
            box = text.get_window_extent(renderer)
            assert 0 <= box.x0 and box.x1 <= figure.bbox.x1, text.get_text()
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 2
    assert not any(a.overlaps(b) for i, a in enumerate(ticks) for b in ticks[i + 1:])
