"""From data: a filled template workbook or CSV in, the period table, the trend and the alert out."""

from __future__ import annotations

import html
import pathlib
import tempfile

import ipywidgets as widgets

import retention_xl as rx

from .. import formatting as fmt
from ..plots import figure_png, retention_trend_figure
from ._controls import CSS, LABEL_WIDTH, message, text_of

__all__ = ["FromData", "EXAMPLE_PATH"]

#: Eight quarters of a small subscription business, shown until a file is loaded.
EXAMPLE_PATH = pathlib.Path(__file__).with_name("example_periods.csv")

#: What one period is, and how many make a year (the benchmarks are yearly).
PERIODS_PER_YEAR = {"quarters": 4, "months": 12, "years": 1}

_MOST_PROBLEMS_SHOWN = 8


class FromData(widgets.VBox):
    """Load your periods and see retention per period against your industry.

    Upload a filled template workbook (.xlsx) or a CSV with its columns
    (``Period, Customers at start, Customers at end, New customers``), or type
    its path. The widget shows the table of periods, the retention trend as a
    yearly rate against the industry benchmark, and the alert rule: too far
    below the benchmark for two straight quarters. A file with mistakes gives
    the list of bad cells, never a traceback, and the file is only read.

    Parameters
    ----------
    path : str or path, optional
        A file to show at once. Default: the bundled example (eight quarters).
    industry : str, optional
        Benchmark industry. Default "Telecommunications".
    periods : {'quarters', 'months', 'years'}, optional
        What one row is. Default "quarters".

    Examples
    --------
    In a notebook::

        from retention_xl.widgets import FromData
        FromData()

    The example file: a telecom that fell too far below its industry for two
    straight quarters.

    >>> view = FromData()
    >>> view.alert_text()[:62]
    'Alert: retention was more than 5 points below the Telecommunic'
    >>> view.table["retention"].round(3).tolist()[:3]
    [0.94, 0.942, 0.933]
    """

    def __init__(self, path=None, industry: str = "Telecommunications",
                 periods: str = "quarters"):
        industries = rx.industry_benchmarks()
        self._benchmarks = industries.set_index("industry")
        style = {"description_width": LABEL_WIDTH}
        wide = widgets.Layout(width="520px")
        self.upload = widgets.FileUpload(accept=".xlsx,.xlsm,.csv", multiple=False,
                                         description="Upload a file",
                                         tooltip="Choose a CSV or Excel file to read")
        self.path = widgets.Text(description="Or the file's path on this computer",
                                 placeholder="e.g. C:\\Reports\\retention.xlsx", style=style,
                                 layout=wide)
        self.load_button = widgets.Button(description="Load", button_style="primary")
        self.periods = widgets.Dropdown(options=list(PERIODS_PER_YEAR), value=periods,
                                        description="Each row is one of", style=style,
                                        layout=widgets.Layout(width="390px"))
        self.industry = widgets.Dropdown(options=industries["industry"].tolist(),
                                         value=industry, description="Your industry",
                                         style=style, layout=widgets.Layout(width="520px"))
        self.tolerance = widgets.BoundedFloatText(
            value=rx.benchmarks.DEFAULT_TOLERANCE * 100, min=0, max=100, step=1,
            description="Too far below = more than (points)", style=style,
            layout=widgets.Layout(width="390px"))
        self.source = widgets.HTML()
        self.message = widgets.HTML()
        self.alert = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="750px"))
        self.table_html = widgets.HTML()
        self.frame = None  # the periods as read
        self.table = None  # the period table from the core
        header = widgets.HTML(
            CSS + '<div class="rxl-title">Your retention, period by period</div>'
            '<div class="rxl-note">Load the filled template workbook or a CSV with the '
            'columns Period, Customers at start, Customers at end, New customers. Your file '
            'is only read, never changed.</div>')
        super().__init__([header, self.upload,
                          widgets.HBox([self.path, self.load_button]), self.periods,
                          self.industry, self.tolerance, self.message, self.source,
                          self.alert, self.image, self.table_html])
        self.upload.observe(self._uploaded, names="value")
        self.load_button.on_click(lambda _button: self.load(self.path.value))
        for control in (self.periods, self.industry, self.tolerance):
            control.observe(lambda _change: self._show(), names="value")
        self.load(EXAMPLE_PATH if path is None else path)

    # ----------------------------------------------------------------- loading
    def load(self, path) -> bool:
        """Read a file and show it; on a bad file show why. True when it was read."""
        path = pathlib.Path(str(path).strip().strip('"'))
        if not str(path) or str(path) == ".":
            return self._fail("Type the path of a file first, or use the upload button.")
        from ..workbook import read_periods  # openpyxl and calamine load only when needed

        try:
            frame = read_periods(path)
        except FileNotFoundError:
            return self._fail(f"There is no file at {path}: check the folder and the name.")
        except IsADirectoryError:
            return self._fail(f"{path} is a folder: give the path of the file in it.")
        except PermissionError:
            return self._fail(f"{path} cannot be opened: it may be open in another program.")
        except rx.RetentionInputError as error:
            return self._fail(self._problems(error, path.name))
        except Exception as error:  # noqa: BLE001 - any unreadable file is a message here
            return self._fail(f"{path.name} could not be read as a workbook or CSV "
                              f"({type(error).__name__}). Save it again from Excel as .xlsx "
                              "or as CSV, and load it again.")
        if frame.empty:
            return self._fail(f"{path.name} has no filled rows yet: fill in at least one period.")
        self.frame, self.source_name = frame, (
            "the example file" if path == EXAMPLE_PATH else path.name)
        return self._show()

    def _uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        suffix = pathlib.Path(upload["name"]).suffix
        # the upload arrives as bytes: read it from a private copy with the same name
        with tempfile.TemporaryDirectory() as folder:
            copy = pathlib.Path(folder) / ("upload" + suffix)
            copy.write_bytes(bytes(upload["content"]))
            named = pathlib.Path(folder) / pathlib.Path(upload["name"]).name
            copy.rename(named)
            self.load(named)

    @staticmethod
    def _problems(error, name: str) -> str:
        sentences = [problem.sentence() for problem in error.problems]
        more = len(sentences) - _MOST_PROBLEMS_SHOWN
        listed = sentences[:_MOST_PROBLEMS_SHOWN] + ([f"and {more} more"] if more > 0 else [])
        return f"{name} has {len(error.problems)} problem(s) to fix: " + "; ".join(listed) + "."

    def _fail(self, text: str) -> bool:
        self.message.value = message(text)
        return False

    # ---------------------------------------------------------------- showing
    def _show(self) -> bool:
        if self.frame is None:
            return False
        industry = self.industry.value
        try:
            table = rx.period_table(self.frame, period="period",
                                    periods_per_year=PERIODS_PER_YEAR[self.periods.value],
                                    industry=industry, tolerance=self.tolerance.value / 100)
        except rx.RetentionInputError as error:
            return self._fail(self._problems(error, self.source_name))
        self.table = table
        self.message.value = ""
        benchmark = float(table["benchmark"].iloc[0])
        row = self._benchmarks.loc[industry]
        self.source.value = (
            f'<div class="rxl-note">Showing {html.escape(self.source_name)}: {len(table)} '
            f'{self.periods.value}. Benchmark for {html.escape(industry)}: '
            f'{fmt.percent(benchmark)} a year ({html.escape(str(row.get("source", "")))}; '
            f'{html.escape(str(row.get("caveat", "")))}).</div>')
        self.alert.value = self._alert_html(table, industry, benchmark)
        chart_table = {"period": [str(p) for p in table.index],
                       "retention": table["compared_retention"].to_numpy()}
        import pandas as pd

        figure = retention_trend_figure(
            pd.DataFrame(chart_table), benchmark=benchmark,
            benchmark_label="Industry benchmark",
            title=f"Your retention as a yearly rate, against {industry}",
            tolerance=self.tolerance.value / 100, alerts=table["alert"].to_numpy(dtype=bool))
        self.image.value = figure_png(figure)
        self.table_html.value = self._table_html(table)
        return True

    def _alert_html(self, table, industry: str, benchmark: float) -> str:
        points = fmt.count(self.tolerance.value, 0 if float(self.tolerance.value).is_integer() else 1)
        alerts = [str(p) for p in table.index[table["alert"].to_numpy(dtype=bool)]]
        if alerts:
            text = (f"<b>Alert:</b> retention was more than {points} points below the "
                    f"{html.escape(industry)} benchmark ({fmt.percent(benchmark)} a year) for two "
                    f"straight quarters (alert at {html.escape(', '.join(alerts))}). Time for a "
                    "thorough look at why customers leave.")
            return f'<div class="rxl-message" role="status">{text}</div>'
        text = (f"<b>No alert:</b> retention was never more than {points} points below the "
                f"{html.escape(industry)} benchmark ({fmt.percent(benchmark)} a year) for two "
                "straight quarters.")
        return f'<div class="rxl-summary">{text}</div>'

    @staticmethod
    def _table_html(table) -> str:
        def cell(text: str, align: str = "right") -> str:
            return f'<td style="text-align:{align};padding:3px 10px">{html.escape(text)}</td>'

        head = ["Period", "Start", "End", "New", "Lost", "Retention", "Churn",
                "As a yearly rate", "Against benchmark", "Alert"]
        rows = []
        for period, r in table.iterrows():  # formatting for display only; numbers from the core
            rows.append("<tr>" + "".join([
                cell(str(period), "left"), cell(fmt.count(r["start"])), cell(fmt.count(r["end"])),
                cell(fmt.count(r["new"])), cell(fmt.count(r["lost"])),
                cell(fmt.percent(r["retention"])), cell(fmt.percent(r["churn"])),
                cell(fmt.percent(r["compared_retention"])), cell(fmt.points(r["gap_to_benchmark"])),
                cell("yes" if r["alert"] else "", "center")]) + "</tr>")
        header = "".join(f'<th style="text-align:right;padding:3px 10px">{h}</th>' for h in head)
        return ('<table class="rxl-table" style="border-collapse:collapse;font-family:sans-serif;'
                f'font-size:13px"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}'
                "</tbody></table>")

    def alert_text(self) -> str:
        """The alert line as the page shows it."""
        return text_of(self.alert.value)

    def problem(self) -> str:
        """The problem message on the page, '' when the file was fine."""
        return text_of(self.message.value)
