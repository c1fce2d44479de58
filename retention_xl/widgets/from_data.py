"""From data: a filled template workbook or CSV in, the period table, the trend and the alert out."""

from __future__ import annotations

import html
import pathlib
import tempfile

import ipywidgets as widgets
import pandas as pd

import retention_xl as rx

from .. import formatting as fmt
from ..industry import DEFAULT_TOLERANCE
from ..periods import PERIODS_PER_YEAR as _CORE_PPY
from ..plots import figure_png, retention_trend_figure
from ._controls import CSS, LABEL_WIDTH, Recalculation, TypedText, error_text, message, plain, text_of
from .serve import readable_file
from ..typed_text import points_from_text

__all__ = ["FromData", "EXAMPLE_PATH"]

#: Eight quarters of a small subscription business, shown until a file is loaded.
EXAMPLE_PATH = pathlib.Path(__file__).with_name("example_periods.csv")

#: What one period is, and how many make a year (the benchmarks are yearly).
#: The dropdown's choices, from the core's one table of periods per year.
PERIODS_PER_YEAR = {f"{name}s": _CORE_PPY[name] for name in ("quarter", "month", "year")}
#: The choice shown while a file does not say how long its periods are: never assumed.
UNKNOWN_PERIODS = "choose: the file does not say"
#: Largest upload read, defined in serve.py (the server starts without loading this module).
#: The page refuses a larger file before sending it (page template, from the upload button's
#: ``rxl-max-upload-N`` class), the server accepts websocket messages a little larger
#: (serve.py), and :meth:`FromData._read_upload` refuses what arrives above it: a file too
#: large always gets a sentence, never silence.
from .serve import MAX_UPLOAD_BYTES  # noqa: E402
#: The limit as the page states it.
UPLOAD_LIMIT_TEXT = f"{MAX_UPLOAD_BYTES / 2**20:,.0f} MB"


def upload_too_large(name: str, size: int) -> str:
    """The sentence for an upload above :data:`MAX_UPLOAD_BYTES` (the page's script says the same).

    Examples
    --------
    >>> print(upload_too_large("sales.csv", 60 * 2**20))
    sales.csv is 60.0 MB, more than the 50 MB an upload can be: type its path in the box under the upload button instead.
    """
    return (f"{name} is {size / 2**20:,.1f} MB, more than the {UPLOAD_LIMIT_TEXT} an upload can be: "
            "type its path in the box under the upload button instead.")

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
        What one row is, until a file says otherwise. A filled template says it
        in its Settings (periods per year, industry and tolerance all come from
        the file); a CSV through its labels (``2024-01``, ``2024-Q1``...). When
        a file does not say, the page asks: nothing is assumed. Default "quarters".

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
                                         tooltip=f"Upload a file (up to {UPLOAD_LIMIT_TEXT})")
        self.upload.add_class(f"rxl-max-upload-{MAX_UPLOAD_BYTES}")  # read by the page's script
        self.path = widgets.Text(description="Or the file's path on this computer",
                                 placeholder="e.g. C:\\Reports\\retention.xlsx", style=style,
                                 layout=wide)
        self.load_button = widgets.Button(description="Load", button_style="primary")
        self._ppy = dict(PERIODS_PER_YEAR)
        self.periods = widgets.Dropdown(options=[UNKNOWN_PERIODS, *PERIODS_PER_YEAR], value=periods,
                                        description="Each row is one of", style=style,
                                        layout=widgets.Layout(width="390px"))
        self.industry = widgets.Dropdown(options=industries["industry"].tolist(),
                                         value=industry, description="Your industry",
                                         style=style, layout=widgets.Layout(width="520px"))
        # text read by the one reader, judged by the core: never clamped to a range
        self.tolerance = TypedText(value=plain(DEFAULT_TOLERANCE * 100),
                                      description="Too far below = more than (points)", style=style,
                                      layout=widgets.Layout(width="390px"))
        # the page's script writes here the name and size of a file it refused as too large
        # to send, so that the refusal clears the old results here like any other bad file
        self.refused_upload = TypedText(layout=widgets.Layout(display="none"))
        self.refused_upload.add_class("rxl-refused-upload")
        self.source = widgets.HTML()
        self.message = widgets.HTML()
        self.alert = widgets.HTML()
        # the chart's natural width (the narrow form): its text stays 10 px or more in a phone's column
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="500px"))
        self.table_html = widgets.HTML()
        for part in (self.source, self.message, self.alert, self.image, self.table_html):
            part.add_class("rxl-result")  # faded while a typed setting is not yet used
        self.frame = None  # the periods as read
        self.table = None  # the period table from the core
        self.file = None  # the file as read, with the settings it carries
        self._chosen: set[str] = set()  # settings the user changed after loading
        self._setting = False
        header = widgets.HTML(
            CSS + '<div class="rxl-title">Your retention, period by period</div>'
            '<div class="rxl-note">Load the filled template workbook or a CSV with the '
            'columns Period, Customers at start, Customers at end, New customers (up to '
            f'{UPLOAD_LIMIT_TEXT}; a larger file: type its path). '
            "A filled template's own settings (periods per year, industry, tolerance) are used; "
            'you can change them below. Your file is only read, never changed.</div>')
        super().__init__([header, self.upload,
                          widgets.HBox([self.path, self.load_button]), self.refused_upload, self.periods,
                          self.industry, self.tolerance, self.message, self.source,
                          self.alert, self.image, self.table_html])
        self.add_class("rxl-from-data")
        self.upload.observe(self._uploaded, names="value")
        self.refused_upload.observe(self._refused_by_page, names="value")
        self.load_button.on_click(lambda _button: self.load(self.path.value))
        # a typed tolerance is used after a pause in typing, the results marked until then
        self.recalculation = Recalculation(self, self._show)
        for name, control in (("periods", self.periods), ("industry", self.industry),
                              ("tolerance", self.tolerance)):
            control.observe(lambda change, name=name: self._changed(name, change), names="value")
        self.load(EXAMPLE_PATH if path is None else path)

    def _tolerance_points(self):
        """The tolerance as typed, in points (5 or 5%), or the text itself when it is not a
        number, so that the core's sentence names it."""
        text = self.tolerance.value
        number = points_from_text(text)
        return text if number is None else number

    def _tolerance(self):
        """The tolerance for the core: a fraction (5 points is 0.05), or the text."""
        points = self._tolerance_points()
        return points if isinstance(points, str) else points / 100

    def _changed(self, name: str, change=None) -> None:
        if self._setting:  # the file's own settings: shown once, after all are set
            return
        self._chosen.add(name)
        self.recalculation.changed(change)

    # ----------------------------------------------------------------- loading
    def load(self, path, name: str | None = None) -> bool:
        """Read a file and show it; on a bad file clear the old results and say why.

        True when it was read. ``name`` is the name to show (an upload's own name).
        """
        path = pathlib.Path(str(path).strip().strip('"'))
        if not str(path) or str(path) == ".":
            return self._fail("Type the path of a file first, or use the upload button.")
        shown = name or path.name
        from ..workbook import read_period_file  # openpyxl and calamine load only when needed

        try:
            path = readable_file(path)  # no device, no link into another user's file
        except rx.RetentionInputError as error:
            message = str(error)
            return self._fail(message[:1].upper() + message[1:])
        try:
            file = read_period_file(path)
        except FileNotFoundError:
            return self._fail(f"There is no file at {path}: check the folder and the name.")
        except IsADirectoryError:
            return self._fail(f"{path} is a folder: give the path of the file in it.")
        except PermissionError:
            return self._fail(f"{path} cannot be opened: it may be open in another program.")
        except rx.RetentionInputError as error:
            return self._fail(self._problems(error, shown))
        except Exception as error:  # noqa: BLE001 - any unreadable file is a message here
            return self._fail(f"{shown} could not be read as a workbook or CSV "
                              f"({type(error).__name__}). Save it again from Excel as .xlsx "
                              "or as CSV, and load it again.")
        if file.periods.empty:
            return self._fail(f"{shown} has no filled rows yet: fill in at least one period.")
        self.file, self.frame = file, file.periods
        self.source_name = "the example file" if path == EXAMPLE_PATH else shown
        self._chosen.clear()
        self._take_settings(file)
        return self._show()

    def _take_settings(self, file) -> None:
        """Set the controls to what the file says (without counting it as the user's choice)."""
        self._setting = True
        try:
            ppy = file.periods_per_year
            if ppy is None:
                self.periods.value = UNKNOWN_PERIODS
            else:
                key = next((k for k, v in self._ppy.items() if v == ppy), None)
                if key is None:
                    key = f"{ppy:g} periods a year"
                    self._ppy[key] = ppy
                    self.periods.options = [UNKNOWN_PERIODS, *self._ppy]
                self.periods.value = key
            packaged = list(self._benchmarks.index)
            if file.industry is not None:
                # an industry the user added to the file's Benchmarks sheet is offered too
                options = packaged + ([file.industry] if file.industry not in packaged else [])
                if list(self.industry.options) != options:
                    self.industry.options = options
                self.industry.value = file.industry
            elif list(self.industry.options) != packaged:
                current = self.industry.value
                self.industry.options = packaged
                self.industry.value = current if current in packaged else packaged[0]
            if file.tolerance is not None:
                self.tolerance.value = plain(file.tolerance * 100)
        finally:
            self._setting = False

    def _uploaded(self, change) -> None:
        try:
            self._read_upload(change["new"])
        except Exception as error:  # noqa: BLE001 - a handler must never fail silently
            self._fail(f"The upload could not be read ({type(error).__name__}). Try again, or type "
                       "the file's path instead.")
        finally:
            if change["new"]:
                self.upload.value = ()  # no stale "(1)" on the button: the file was read or refused

    def _refused_by_page(self, change) -> None:
        """The page refused a file as too large to send: say so and clear the old results,
        as for any file that cannot be used. The page writes ``{"name": ..., "size": ...}``
        (and when, so that the same file refused twice is a change)."""
        import json

        if not change["new"]:
            return
        try:
            refused = json.loads(change["new"])
            name, size = str(refused["name"]), int(refused["size"])
        except (ValueError, TypeError, KeyError):
            return  # not from the page's script: nothing to say
        self._fail(upload_too_large(_shown_name(_base_name(name)), size))

    def _read_upload(self, files) -> None:
        if not files:
            return
        upload = files[0]
        raw_name = str(upload.get("name") or "upload")
        base = _base_name(raw_name)
        suffix = pathlib.PurePosixPath(base).suffix.lower()
        shown = _shown_name(base)
        if suffix not in (".xlsx", ".xlsm", ".csv"):
            self._fail(f"{shown} is neither an Excel workbook (.xlsx) nor a CSV file: give the filled "
                       "template (.xlsx) or a CSV with its columns.")
            return
        content = upload.get("content") or b""
        if len(content) > MAX_UPLOAD_BYTES:
            self._fail(upload_too_large(shown, len(content)))
            return
        # the upload arrives as bytes: read it from a private copy whose name is the user's,
        # cleaned to plain characters, so that every message names the file they chose
        import re

        safe = re.sub(r"[^\w.\- ]", "_", pathlib.PurePosixPath(base).stem)[:100].strip(". ") or "upload"
        with tempfile.TemporaryDirectory() as folder:
            copy = pathlib.Path(folder) / (safe + suffix)
            copy.write_bytes(bytes(content))
            self.load(copy, name=shown)

    @staticmethod
    def _problems(error, name: str) -> str:
        sentences = [problem.sentence() for problem in error.problems]
        more = len(sentences) - _MOST_PROBLEMS_SHOWN
        listed = sentences[:_MOST_PROBLEMS_SHOWN] + ([f"and {more} more"] if more > 0 else [])
        return f"{name} has {len(error.problems)} problem(s) to fix: " + "; ".join(listed) + "."

    def _fail(self, text: str) -> bool:
        """Say what is wrong and clear the last results: no old numbers under a new error."""
        self.message.value = message(text)
        self.frame = self.table = self.file = None
        self.source.value = self.alert.value = self.table_html.value = ""
        self.image.value = b""
        self.image.layout.display = "none"  # an empty picture would show a broken-image icon
        return False

    # ---------------------------------------------------------------- showing
    def _show(self) -> bool:
        if self.frame is None:
            return False
        industry = self.industry.value
        if self.periods.value == UNKNOWN_PERIODS:
            self.table = None
            self.alert.value = self.table_html.value = ""
            self.image.value = b""
            self.image.layout.display = "none"
            self.source.value = ""
            self.message.value = message(
                f"How long is one period of {self.source_name}? Its period labels do not say: choose "
                "quarters, months or years above (nothing is assumed).")
            return False
        benchmark_source = self._benchmark_source(industry)
        try:
            # rows in file order, as the template and the report take them (dates as labels
            # would otherwise be laid on a calendar, and a gap would shift the comparisons)
            table = rx.period_table(self.frame.reset_index(drop=True),
                                    periods_per_year=self._ppy[self.periods.value],
                                    benchmark=benchmark_source[0], tolerance=self._tolerance())
            table.index = pd.Index([_shown(label, i) for i, label in enumerate(self.frame["period"])],
                                   name="period")
        except rx.RetentionInputError as error:
            if all(problem.field == "tolerance" for problem in error.problems):
                # the setting typed is wrong, not the file: say so in points, keep the file loaded
                self.table = None
                self.source.value = self.alert.value = self.table_html.value = ""
                self.image.layout.display = "none"
                text = error_text(error, ("tolerance",)).replace("(0.05 for 5 points)", "(5 means 5 points)")
                self.message.value = message(text)
                return False
            return self._fail(self._problems(error, self.source_name))
        self.table = table
        self.message.value = ""
        benchmark = float(table["benchmark"].iloc[0])
        self.source.value = (
            f'<div class="rxl-note">Showing {html.escape(self.source_name)}: {len(table)} '
            f'{html.escape(self.periods.value)}. Latest retention, per year: {self.per_year_text()}. '
            f'{html.escape(self.settings_text())} '
            f'Benchmark for {html.escape(industry)}: {fmt.percent(benchmark)} a year '
            f'({html.escape(benchmark_source[1])}).</div>')
        self.alert.value = self._alert_html(table, industry, benchmark)
        chart_table = {"period": [str(p) for p in table.index],
                       "retention": table["compared_retention"].to_numpy()}
        figure = retention_trend_figure(
            pd.DataFrame(chart_table), benchmark=benchmark,
            benchmark_label="Industry benchmark",
            title=f"Your retention as a yearly rate, against {industry}",
            tolerance=self._tolerance(), alerts=table["alert"].to_numpy(dtype=bool), narrow=True)
        self.image.value = figure_png(figure)
        self.image.layout.display = None
        self.table_html.value = self._table_html(table)
        return True

    def _alert_html(self, table, industry: str, benchmark: float) -> str:
        points = fmt.count_as_given(self._tolerance_points())
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

    def _benchmark_source(self, industry: str) -> tuple[float, str]:
        """The benchmark and where it is from: the file's own Benchmarks sheet for its industry."""
        file = self.file
        if file is not None and file.benchmark is not None and file.industry == industry:
            return file.benchmark, f"from {file.sources['benchmark']}"
        row = self._benchmarks.loc[industry]
        return float(row["yearly_retention"]), f"{row.get('source', '')}; {row.get('caveat', '')}"

    def settings_text(self) -> str:
        """Which settings are used and where each came from: the file, or the user's choice."""
        sources = dict(self.file.sources) if self.file is not None else {}

        def origin(name: str, key: str, default: str) -> str:
            if name in self._chosen:
                return "your choice"
            found = sources.get(key, "not in the file")
            return f"from {found}" if found != "not in the file" else default

        points = fmt.count_as_given(self._tolerance_points())
        return (f"Periods per year: {self._ppy[self.periods.value]:g} "
                f"({origin('periods', 'periods_per_year', 'your choice')}); industry: {self.industry.value} "
                f"({origin('industry', 'industry', 'the default: not in the file')}); alert when more than "
                f"{points} points below ({origin('tolerance', 'tolerance', 'the usual 5: not in the file')}).")

    def alert_text(self) -> str:
        """The alert line as the page shows it."""
        return text_of(self.alert.value)

    def problem(self) -> str:
        """The problem message on the page, '' when the file was fine."""
        return text_of(self.message.value)

    def per_year_text(self) -> str:
        """The latest retention as a yearly rate, as the table shows it ('' when none)."""
        if self.table is None:
            return ""
        return fmt.percent(float(self.table["annualised_retention"].iloc[-1]))


def _base_name(raw: str) -> str:
    """The last part of a file name the browser sent (its text: shown escaped, never a path)."""
    return pathlib.PurePosixPath(raw.replace("\\", "/")).name or "upload"


def _shown_name(base: str) -> str:
    """A file name as messages show it: shortened in the middle past 80 characters."""
    return base if len(base) <= 80 else base[:60] + "..." + base[-12:]


def _shown(label, position: int) -> str:
    """A period label as the page shows it: its text, a date without midnight, or the row number."""
    if label is None:
        return str(position + 1)
    import datetime

    if isinstance(label, datetime.datetime) and label.time() == datetime.time(0):
        return label.strftime("%Y-%m-%d")
    return str(label)
