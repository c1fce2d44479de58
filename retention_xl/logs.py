"""Retention counted exactly from a log of purchases (docs/methodology.md sections 5 and 7; docs/purchase_logs.md).

Give a list of purchases, one row each, with a customer id and a date (and an
amount, optionally): a pandas DataFrame, a CSV file or a Parquet file. A
customer is *active* in a period (day, week, month, quarter or year) when it
bought at least once in it. For each period ``p``:

========================  ===================================================
``start``                 customers active in ``p - 1``
``retained``              active in ``p - 1`` and in ``p``
``new``                   first purchase ever in ``p``
``reactivated``           active in ``p``, not in ``p - 1``, bought before
``end``                   active in ``p`` (= retained + new + reactivated)
``retention``             retained / start, exact (NaN when start is 0)
``yearly_retention``      share of ``p``'s customers who bought again within
                          the following year, measured (NaN until that year
                          is all in the log)
========================  ===================================================

The three-count formula (end - new) / start would count the reactivated
customers as kept; the table shows it as ``formula_retention`` next to the
exact figure so the difference can be seen. Customers are counted, never
purchases: ten purchases in a month make one active customer. Repeat and
frequency figures count purchase occasions (customer-days, or orders); exact
duplicate rows count once; revenue retention (GRR, NRR) follows the
subscription definitions. docs/purchase_logs.md gives every definition and its
source.

How it is fast (10 million purchases, a million customers, 36 months: about a
second from Parquet): the log is read column by column with pyarrow; customer
ids become integer codes (the ids themselves when they are compact integers,
else one dictionary-encoding pass: distinct ids and codes from one hash pass);
each date becomes a period number through a per-day lookup table; each
(period, customer) pair sets one byte in a periods x customers table, which
removes duplicate purchases without a sort; then every count is a row-wise
``count_nonzero`` and the cohort matrix one ``bincount`` per period. When that
table would be large compared with the log (daily periods over years), the
pairs are sorted in place and deduplicated instead (``_sorted_unique``, not
``np.unique``, which sorts a copy), with the same results. Work is done in batches of a million rows, so the memory used beyond
the loaded columns stays small.

For a log too big for one machine, :func:`log_counts_sql` writes the one
``GROUP BY`` query that gives the same per-period counts in a SQL warehouse.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import Problem, RetentionInputError
from .periods import PERIODS_PER_YEAR
from .rates import churn_rate, retention_rate
from .validation import choice

__all__ = [
    "PERIODS",
    "PurchaseLog",
    "LogReport",
    "LogAnalysis",
    "read_log",
    "analyse_log",
    "counts_from_log",
    "cohort_counts",
    "cohort_matrix",
    "purchase_metrics",
    "revenue_retention",
    "log_counts_sql",
    "COUNT_COLUMNS",
]

#: Period names accepted by ``period=``, and the pandas frequency of each.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
#: Columns of :func:`counts_from_log`, in order.
COUNT_COLUMNS = ("start", "retained", "new", "reactivated", "end", "retention", "lost", "churn",
                 "formula_retention", "returning_within_year", "yearly_retention")

#: Rows handled at once: large enough for numpy to be efficient, small enough that the
#: temporary arrays (a few bytes per row) stay in the tens of megabytes.
BATCH_ROWS = 1 << 20
#: The periods x customers byte table is used when it is at most this many bytes per log
#: row (or 64 MiB, whichever is larger); otherwise the pairs are sorted.
DENSE_BYTES_PER_ROW = 8
DENSE_MIN_BYTES = 1 << 26
#: How many examples of bad rows an error message shows.
EXAMPLES = 5


# --------------------------------------------------------------------------- reading
#: How each face names the options that the messages suggest.
OPTION_WORDS = {
    "python": {"exclude_invalid": "pass exclude_invalid=True",
               "date_format": "name the format with date_format={fmt!r}",
               "columns": "name the columns with customer=, date= (and amount=, order=)"},
    "cli": {"exclude_invalid": "add --exclude-invalid",
            "date_format": "name the format with --date-format {fmt}",
            "columns": "name the columns with --customer, --date (and --amount, --order)"},
    "excel": {"exclude_invalid": "set exclude_invalid to TRUE",
              "date_format": "give the dates as Excel dates (or as 2024-03-04)",
              "columns": "select the customer ids and the purchase dates"},
}

#: Text date forms read without being named, tried in this order (strptime codes). A file is
#: read with the one form that reads all its dates; when two forms read them all but give
#: different days (3/4/2024: 3 April or March 4?), the file is refused, never guessed.
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y.%m.%d",
                "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y",
                "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
                "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y")
_FORMAT_WORDS = {"%d/%m/%Y": "day first", "%m/%d/%Y": "month first", "%d-%m-%Y": "day first",
                 "%m-%d-%Y": "month first", "%d/%m/%Y %H:%M": "day first", "%m/%d/%Y %H:%M": "month first",
                 "%d/%m/%Y %H:%M:%S": "day first", "%m/%d/%Y %H:%M:%S": "month first"}


@dataclass
class LogReport:
    """What reading a purchase log found: rows read, bad rows by kind, rows left out.

    Attributes
    ----------
    rows : int
        Rows in the log.
    missing_customer, bad_date, missing_date, bad_amount : int
        Rows without a customer id; with a date that could not be read; with no
        date; with a blank or non-numeric amount (only when an amount column is used).
    duplicates : int
        Exact copies of an earlier row (same customer, same date and time, same
        amount and order id), looked for when amounts are read. They are always
        counted once (kept once, the copies dropped) and reported: a copy is an
        export mistake, not a second purchase.
    nonpositive_amount : int
        Rows with an amount of zero (a free item) or below zero (a refund). They
        are kept as purchases (the customer bought, or returned something, that
        day) and their amounts summed as given; they are reported so that you
        can check them.
    examples : dict
        For each kind above with rows, up to five ``(where, value)`` pairs:
        ``where`` is the DataFrame index label, ``"line N"`` of a CSV file (the
        header is line 1) or ``"row N"`` of a Parquet file (from 1).
    excluded : int
        Rows left out because ``exclude_invalid=True`` (0 otherwise).
    source : str
        The file's name, or "" for a DataFrame.
    date_format : str or None
        The strptime form the text dates were read with (None: dates, or ISO text).
    """

    rows: int = 0
    missing_customer: int = 0
    bad_date: int = 0
    missing_date: int = 0
    bad_amount: int = 0
    duplicates: int = 0
    nonpositive_amount: int = 0
    examples: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    excluded: int = 0
    source: str = ""
    date_format: str | None = None

    @property
    def invalid(self) -> int:
        """Rows with at least one problem."""
        return self.excluded if self.excluded else (
            self.missing_customer + self.bad_date + self.missing_date + self.bad_amount)

    @property
    def clean(self) -> bool:
        return not (self.missing_customer or self.bad_date or self.missing_date or self.bad_amount)

    def problems(self, names: dict[str, str], face: str = "python") -> list[Problem]:
        """One :class:`Problem` per kind of bad row, with the count and examples."""
        kinds = (
            ("missing_customer", "customer", "without a customer id"),
            ("missing_date", "date", "without a date"),
            ("bad_date", "date", "whose date could not be read"),
            ("bad_amount", "amount", "whose amount is blank or not a number"),
        )
        out = []
        for kind, column, what in kinds:
            number = getattr(self, kind)
            if not number:
                continue
            out.append(Problem(
                names.get(column, column),
                f"{_at(self.source)}{self._counted(kind, what)} "
                f"(column {names.get(column, column)!r}: {self._shown(kind)})",
                f"fix them in the log, or {OPTION_WORDS[face]['exclude_invalid']} to leave those rows out"))
        return out

    def _counted(self, kind: str, what: str) -> str:
        number = getattr(self, kind)
        return f"{number:,} row{'s' if number != 1 else ''} of {self.rows:,} {what}"

    def _shown(self, kind: str) -> str:
        examples = self.examples.get(kind, [])
        shown = ", ".join(_example(where, value, kind) for where, value in examples)
        return shown + (" ..." if getattr(self, kind) > len(examples) else "")

    def notes(self) -> list[str]:
        """Sentences on rows that were kept or counted once (duplicates, zero or negative amounts)."""
        out = []
        if self.duplicates:
            what = "is an exact copy" if self.duplicates == 1 else "are exact copies"
            out.append(f"{self._counted('duplicates', what + ' of an earlier row')} "
                       f"({self._shown('duplicates')}): each counted once")
        if self.nonpositive_amount:
            what = "has" if self.nonpositive_amount == 1 else "have"
            out.append(f"{self._counted('nonpositive_amount', what + ' an amount of zero or less')} "
                       f"({self._shown('nonpositive_amount')}): kept as purchases, amounts summed as given")
        return out

    def summary(self) -> str:
        """One line for people: '1,000 purchases read; 3 rows left out (2 without ...)'."""
        text = f"{self.rows:,} purchases read"
        if self.excluded:
            parts = [f"{n:,} {label}" for n, label in (
                (self.missing_customer, "without a customer id"), (self.missing_date, "without a date"),
                (self.bad_date, "with an unreadable date"), (self.bad_amount, "with a bad amount")) if n]
            text += f"; {self.excluded:,} left out ({', '.join(parts)})"
        if self.duplicates:
            text += f"; {self.duplicates:,} exact duplicate{'s' if self.duplicates != 1 else ''} counted once"
        if self.nonpositive_amount:
            text += f"; {self.nonpositive_amount:,} with an amount of zero or less (kept)"
        return text


def _at(source: str) -> str:
    """'purchases.csv: ' to start a message about a file ('' for a DataFrame)."""
    return f"{source}: " if source else ""


def _example(where, value, kind) -> str:
    place = where if isinstance(where, str) and where.startswith(("line ", "row ")) else f"row {where!r}" \
        if isinstance(where, str) else f"row {where}"
    if kind in ("missing_customer", "missing_date", "duplicates"):
        return place
    if kind == "bad_date" and isinstance(value, tuple):
        return f"{place} {value[0]!r} ({value[1]})"
    return f"{place} {value!r}"


@dataclass
class PurchaseLog:
    """A purchase log read and checked once, ready to be counted in several ways.

    Made by :func:`read_log`; every function of this module accepts it in place
    of a DataFrame or a path, so that a big file is read only once.

    Attributes
    ----------
    table : pyarrow.Table
        Columns ``customer`` (integer codes from ``customer_offset``), ``date`` (a timestamp or
        date type) and, when read, ``amount`` (float64) and ``order`` (int64 codes).
        Bad rows are already left out (or there were none), exact duplicates too.
    customers : int
        Number of customer codes (an upper bound of distinct customers when the
        ids were used as codes directly).
    report : LogReport
        What reading found.
    names : dict
        The user's column names (``customer``, ``date``, ``amount``, ``order``), for messages.
    customer_offset : int
        Subtracted from the customer column to give codes from 0.
    orders : int
        Number of order codes (0 without an order column).
    """

    table: Any
    customers: int
    report: LogReport
    names: dict[str, str]
    customer_offset: int = 0
    orders: int = 0

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def has_amount(self) -> bool:
        return "amount" in self.table.column_names

    @property
    def has_order(self) -> bool:
        return "order" in self.table.column_names


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def _load_table(source: Any, columns: list[str], face: str = "python"):
    """The requested columns as a pyarrow Table, how to name a row in messages, and the source."""
    import pyarrow as pa

    if isinstance(source, pd.DataFrame):
        missing = [c for c in columns if c not in source.columns]
        if missing:
            raise _missing_columns(missing, source.columns, face=face)
        frame = source[columns]
        arrays = []
        for column in columns:
            series = frame[column]
            try:  # the .array of an arrow-backed column converts without a copy
                converted = pa.array(series.array, from_pandas=True)
                arrays.append(converted if isinstance(converted, pa.ChunkedArray)
                              else pa.chunked_array([converted]))
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: read as text
                arrays.append(pa.chunked_array([pa.array(series.astype(object).map(
                    lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)),
                    type=pa.string())]))
        index = source.index
        return pa.table(arrays, names=columns), (lambda i: index[i]), ""
    if not _is_path(source):
        raise RetentionInputError(Problem(
            "log", f"the purchase log must be a DataFrame or the path of a CSV or Parquet file, "
                   f"got {type(source).__name__}"))
    path = pathlib.Path(source)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix.lower() in (".parquet", ".pq", ".parq"):
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise RetentionInputError(Problem(
                "log", f"{path.name} is not a Parquet file that can be read ({error})",
                "save the log again as Parquet, or as CSV")) from None
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise _missing_columns(missing, schema.names, path.name, face)
        return pq.read_table(path, columns=columns), (lambda i: f"row {i + 1}"), path.name
    return _read_csv(path, columns, face), (lambda i: f"line {i + 2}"), path.name


def _csv_encoding(path: pathlib.Path) -> str:
    """UTF-16 by its byte-order mark, else UTF-8 (a UTF-8 BOM is skipped by the reader)."""
    with open(path, "rb") as handle:
        head = handle.read(2)
    return "utf-16" if head in (b"\xff\xfe", b"\xfe\xff") else "utf-8"


def _ragged_line(path: pathlib.Path, encoding: str) -> str:
    """'line N has K fields, the header M' for the first line whose field count differs."""
    import csv

    with open(path, newline="", encoding=encoding, errors="replace") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        for number, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                return f"line {number} has {len(row)} fields, the header line {len(header)}"
    return "a line has a different number of fields than the header"


def _read_csv(path: pathlib.Path, columns: list[str], face: str = "python"):
    """The columns of a CSV file, read block by block (the whole file is never in memory).

    Types are inferred from the first block; if a later block does not fit them
    (a text id after numbers, an unreadable date), the file is read again with
    every column as text, and the checks of :func:`read_log` say what is wrong.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if path.stat().st_size == 0:
        raise RetentionInputError(Problem("log", f"{path.name} is empty",
                                          "give a CSV file with a header line and one row per purchase"))
    encoding = _csv_encoding(path)
    read_options = pacsv.ReadOptions(block_size=8 << 20, encoding=encoding)
    try:
        header = pacsv.open_csv(path, read_options=read_options,
                                convert_options=pacsv.ConvertOptions(include_columns=[])).schema.names
    except pa.ArrowInvalid:
        header = None
    if header is not None:
        missing = [c for c in columns if c not in header]
        if missing:
            raise _missing_columns(missing, header, path.name, face)

    def read(types):
        options = pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True,
                                       column_types=types)
        reader = pacsv.open_csv(path, convert_options=options, read_options=read_options)
        return pa.Table.from_batches(list(reader), schema=reader.schema)

    try:
        try:
            table = read({})
            if encoding == "utf-8" and any(pa.types.is_binary(t) for t in table.schema.types):
                raise pa.ArrowInvalid("invalid UTF8")
            return table
        except pa.ArrowInvalid as error:
            if "columns, got" in str(error) or "Empty CSV" in str(error):
                raise
            if "UTF8" in str(error) and encoding == "utf-8":
                # not UTF-8: Excel's "CSV" on a Western Windows is Windows-1252 (Latin-1 for text)
                encoding = "cp1252"
                read_options = pacsv.ReadOptions(block_size=8 << 20, encoding=encoding)
                try:
                    return read({})
                except pa.ArrowInvalid:
                    pass
            return read({c: pa.string() for c in columns})
    except pa.ArrowInvalid as error:
        text = str(error)
        if "columns, got" in text:
            detail = _ragged_line(path, encoding)
            raise RetentionInputError(Problem(
                "log", f"{path.name} could not be read as a table: {detail}",
                "give every line the same number of fields (quote a value that holds a comma)")) from None
        if "Empty CSV" in text:
            raise RetentionInputError(Problem("log", f"{path.name} has no header line",
                                              "give a CSV file with a header line")) from None
        raise RetentionInputError(Problem(
            "log", f"{path.name} could not be read as a CSV file ({text.splitlines()[0]})")) from None


def _missing_columns(missing, present, source: str = "the purchase log",
                     face: str = "python") -> RetentionInputError:
    return RetentionInputError(Problem(
        "log", f"{source} has no column {', '.join(repr(m) for m in missing)}; "
               f"its columns are: {', '.join(map(str, present))}",
        OPTION_WORDS[face]["columns"]))


def _check_customer(column):
    """Mask of rows without a customer id (null, NaN, empty text), or None if none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = pc.is_null(column, nan_is_null=True) if pa.types.is_floating(column.type) else pc.is_null(column)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # empty or all-whitespace text, tested in place (trimming would copy every id)
        bad = pc.or_kleene(bad, pc.or_(pc.equal(column, ""), pc.utf8_is_space(column)))
        bad = pc.fill_null(bad, True)
    if not pc.any(bad).as_py():
        return None
    return bad


_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def _strptime_checked(text, fmt: str):
    """Parse with a strptime form, refusing what strptime would roll over (31/02 -> 2 March)
    and years written with fewer than four digits: the parsed day, written back in the same
    form, must give the text (leading zeros aside)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    strip = r"(^|[^0-9])0+([0-9])"
    back = pc.replace_substring_regex(pc.utf8_lower(pc.strftime(parsed, format=fmt)), strip, r"\1\2")
    given = pc.replace_substring_regex(pc.utf8_lower(text), strip, r"\1\2")
    ok = pc.and_(pc.equal(back, given), pc.greater_equal(pc.year(parsed), 1000))
    return pc.if_else(pc.fill_null(ok, False), parsed, pa.scalar(None, pa.timestamp("s")))


def _parse_dates(column, date_format: str | None = None, where=None, source: str = "",
                 face: str = "python"):
    """(timestamp column, mask of unreadable dates or None, mask of missing dates or None, form)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_null(kind):  # a CSV file with a header and no rows
        column = column.cast(pa.timestamp("s"))
        kind = column.type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:  # the customer's wall-clock date, not UTC
            column = pc.local_timestamp(column)
        missing = pc.is_null(column)
        return column, None, (missing if pc.any(missing).as_py() else None), None
    if pa.types.is_date(kind):
        missing = pc.is_null(column)
        return column, None, (missing if pc.any(missing).as_py() else None), None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(column)
        missing = pc.fill_null(pc.equal(text, ""), True)
        text = pc.if_else(missing, pa.scalar(None, pa.string()), text)
        missing_or_none = missing if pc.any(missing).as_py() else None
        if date_format is None:
            try:  # ISO dates (2024-01-31, 2024-01-31 10:00:00): arrow reads them fast
                return pc.cast(text, pa.timestamp("s")), None, missing_or_none, None
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            try:  # ISO times with an offset (10:00+02:00): the local date as written, not UTC
                local = pc.replace_substring_regex(text, _OFFSET, "")
                return pc.cast(local, pa.timestamp("s")), None, missing_or_none, None
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            date_format = _pick_format(text, where, source, face)
        parsed = _strptime_checked(text, date_format)
        bad = pc.and_(pc.is_null(parsed), pc.invert(missing))
        return parsed, (bad if pc.any(bad).as_py() else None), missing_or_none, date_format
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        raise RetentionInputError(Problem(
            "date", f"{_at(source)}the date column holds numbers ({kind}), not dates",
            "give dates such as 2024-01-31 (an Excel serial number is not read as a date)"))
    raise RetentionInputError(Problem("date", f"{_at(source)}the date column has the type {kind}, not dates",
                                      "give dates such as 2024-01-31"))


def _pick_format(text, where, source: str, face: str) -> str:
    """The one form of DATE_FORMATS that reads the most dates; refused when two read as many
    but disagree on a day (3/4/2024 alone)."""
    import pyarrow.compute as pc

    present = text.drop_null()
    sample = present.slice(0, 2000)
    tried = []
    for fmt in DATE_FORMATS:
        if pc.count(_strptime_checked(sample, fmt)).as_py():
            parsed = _strptime_checked(text, fmt)
            tried.append((pc.count(parsed).as_py(), fmt, parsed))
    if not tried:
        return "%Y-%m-%d"  # nothing reads: every date is reported as unreadable
    best = max(n for n, _, _ in tried)
    winners = [(fmt, parsed) for n, fmt, parsed in tried if n == best]
    first_fmt, first = winners[0]
    for fmt, parsed in winners[1:]:
        differ = pc.fill_null(pc.not_equal(first, parsed), False)
        if pc.any(differ).as_py():
            i = int(np.flatnonzero(np.asarray(differ.to_numpy(zero_copy_only=False), dtype=bool))[0])
            value = text[i].as_py()
            one, two = first[i].as_py().date(), parsed[i].as_py().date()
            place = where(i) if where else f"row {i + 1}"
            place = place if isinstance(place, str) else f"row {place}"
            words = OPTION_WORDS[face]["date_format"]
            raise RetentionInputError(Problem(
                "date", f"{_at(source)}the dates can be read two ways: {place} {value!r} would be "
                        f"{one:%d %B %Y} ({_FORMAT_WORDS.get(first_fmt, first_fmt)}) or {two:%d %B %Y} "
                        f"({_FORMAT_WORDS.get(fmt, fmt)})",
                f"{words.format(fmt=first_fmt)} or {words.format(fmt=fmt)}"))
    return first_fmt


def _parse_amount(column):
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = pc.cast(column, pa.float64())
    else:
        series = pd.to_numeric(column.to_pandas(), errors="coerce")
        values = pa.chunked_array([pa.array(series.to_numpy(dtype=float), from_pandas=True)])
    bad = pc.is_null(values, nan_is_null=True)
    return values, (bad if pc.any(bad).as_py() else None)


def _encode(column, keep_compact: bool = True):
    """(codes, number of codes, offset): codes from 0 for the values are the column's values
    minus the offset.

    Compact integer ids are kept as they are (code = id - smallest id: no copy
    of the column); other values (text, sparse numbers) are dictionary-encoded:
    one hash pass gives the distinct values and each row's code at once.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(column)
    if keep_compact and pa.types.is_integer(column.type) and rows:
        bounds = pc.min_max(column).as_py()
        low, high = bounds["min"], bounds["max"]
        span = high - low + 1
        if span <= max(2 * rows, 1 << 20):
            if column.type != pa.int64():
                column = pc.cast(column, pa.int64())
            return column, int(span), int(low)
    if not rows:
        return pa.chunked_array([], pa.int32()), 0, 0
    encoded = column.dictionary_encode()
    if encoded.num_chunks > 1:
        encoded = encoded.unify_dictionaries()
    count = len(encoded.chunk(0).dictionary)
    codes = pa.chunked_array([chunk.indices for chunk in encoded.chunks], type=encoded.type.index_type)
    return codes, count, 0


def _duplicate_rows(arrays: dict) -> np.ndarray:
    """Mask of rows that repeat an earlier row exactly (every column equal).

    One 64-bit hash per row, sorted; rows whose hash occurs more than once are
    then compared exactly (pandas' duplicated on those few), so a hash collision
    can never drop a row.
    """
    columns = []
    for values in arrays.values():
        values = values.to_numpy() if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray) else values
        values = np.asarray(values)
        if values.dtype.kind == "M":
            values = values.view(np.int64)
        elif values.dtype.kind == "f":
            values = np.where(values == 0, 0.0, values).view(np.int64)  # -0.0 equals 0.0
        columns.append(values.astype(np.int64, copy=False))
    rows = len(columns[0])
    if rows < 2:
        return np.zeros(rows, bool)
    mixed = np.zeros(rows, np.uint64)
    with np.errstate(over="ignore"):
        for values in columns:  # splitmix64-style mixing, column after column
            mixed ^= values.view(np.uint64)
            mixed *= np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(31)
    order = np.argsort(mixed, kind="stable")
    sorted_hash = mixed[order]
    same = sorted_hash[1:] == sorted_hash[:-1]
    if not same.any():
        return np.zeros(rows, bool)
    candidate = np.zeros(rows, bool)
    candidate[order[1:][same]] = True
    candidate[order[:-1][same]] = True
    where = np.flatnonzero(candidate)
    frame = pd.DataFrame({i: values[where] for i, values in enumerate(columns)})
    out = np.zeros(rows, bool)
    out[where[frame.duplicated(keep="first").to_numpy()]] = True
    return out


def read_log(log: Any, customer: str = "customer_id", date: str = "date", amount: str | None = None,
             exclude_invalid: bool = False, *, order: str | None = None, date_format: str | None = None,
             face: str = "python") -> PurchaseLog:
    """Read and check a purchase log once (a DataFrame, a CSV or a Parquet file).

    Parameters
    ----------
    log : DataFrame, str, path or PurchaseLog
        One row per purchase. Files ending in ``.parquet`` (``.pq``) are read as
        Parquet, others as CSV with a header line (UTF-8, UTF-16 with its mark,
        or Windows-1252/Latin-1 when the file is not UTF-8).
    customer, date : str, optional
        Names of the customer id and purchase date columns. Ids may be numbers
        or text; dates may be dates, timestamps (a time zone or an offset is
        read as the local date, as written) or text: ISO (``2024-03-04``),
        ``2024/03/04``, ``04.03.2024``, ``4 Mar 2024``, ``3/4/2024`` and
        ``4-3-2024`` day first or month first. Text dates are read with the one
        form that reads them all; a file that two forms read differently
        (``3/4/2024`` and nothing that tells) is refused: name the form.
    amount : str, optional
        Name of the amount column, when amounts are wanted (see
        :func:`purchase_metrics`, :func:`revenue_retention`). Exact duplicate
        rows are then looked for and counted once; zero and negative amounts
        are kept and reported (see :class:`LogReport`).
    exclude_invalid : bool, optional
        Leave out the rows without a customer id, with no date or an unreadable
        date (or a blank amount). Default: refuse such a log and say which rows.
    order : str, optional
        Name of an order id column: a purchase occasion is then one order of a
        customer (by default it is one customer-day).
    date_format : str, optional
        The form of text dates, in strptime codes (``"%d/%m/%Y"`` for 04/03/2024
        as 4 March).
    face : {'python', 'cli', 'excel'}, optional
        Whose words the messages use for the options (``exclude_invalid=True``,
        ``--exclude-invalid`` ...).

    Returns
    -------
    PurchaseLog
        With the report of what was found in :attr:`PurchaseLog.report`.

    Raises
    ------
    RetentionInputError
        If a column is missing, the dates are ambiguous, or some rows are bad
        and ``exclude_invalid`` is False: the message names the file and gives,
        for each kind of problem, the number of rows and up to five examples.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["a", None, "b"],
    ...                     "date": ["2024-01-05", "2024-01-09", "someday"]})
    >>> rx.read_log(log)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_xl.errors.RetentionInputError: 2 bad inputs: 1 row of 3 without a customer id (column 'customer_id': row 1): ...
    >>> rx.read_log(log, exclude_invalid=True).report.summary()
    '3 purchases read; 2 left out (1 without a customer id, 1 with an unreadable date)'

    A file of day-first dates that could be month-first is refused, not guessed:

    >>> rx.read_log(pd.DataFrame({"customer_id": [1], "date": ["3/4/2024"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_xl.errors.RetentionInputError: the dates can be read two ways: row 0 '3/4/2024' would be 03 April 2024 (day first) or 04 March 2024 (month first): name the format with date_format='%d/%m/%Y' or ...
    """
    if isinstance(log, PurchaseLog):
        if amount is not None and not log.has_amount:
            raise RetentionInputError(Problem("amount", "this log was read without its amount column",
                                              "read it again with amount="))
        if order is not None and not log.has_order:
            raise RetentionInputError(Problem("order", "this log was read without its order column",
                                              "read it again with order="))
        return log
    import pyarrow as pa
    import pyarrow.compute as pc

    face = choice(face, "face", tuple(OPTION_WORDS))
    names = {"customer": customer, "date": date}
    columns = [customer, date]
    for role, name in (("amount", amount), ("order", order)):
        if name is not None:
            names[role] = name
            columns.append(name)
    if len(set(columns)) != len(columns):
        raise RetentionInputError(Problem("log", f"the same column is named twice: {columns}"))
    table, where, source = _load_table(log, columns, face)
    report = LogReport(rows=table.num_rows, source=source)

    cust = table.column(customer)
    dates, bad_date, missing_date, report.date_format = _parse_dates(
        table.column(date), date_format, where, source, face)
    missing_customer = _check_customer(cust)
    amounts, bad_amount = _parse_amount(table.column(amount)) if amount is not None else (None, None)
    orders = table.column(order) if order is not None else None
    missing_order = _check_customer(orders) if orders is not None else None

    shown_dates = table.column(date)
    masks = {"missing_customer": (missing_customer, cust), "missing_date": (missing_date, None),
             "bad_date": (bad_date, shown_dates),
             "bad_amount": (bad_amount, table.column(amount) if amount is not None else None)}
    if missing_order is not None:  # an order id is needed as much as a customer id
        masks["missing_customer"] = (missing_order if missing_customer is None
                                     else pc.or_(missing_customer, missing_order), cust)
        names_for_missing = dict(names, customer=f"{customer}' or '{order}")
    else:
        names_for_missing = names
    bad_any = None
    for kind, (mask, values) in masks.items():
        if mask is None:
            continue
        mask_np = _np_bool(mask)
        if kind == "bad_date" and missing_date is not None:  # a missing date is not also unreadable
            mask_np &= ~_np_bool(missing_date)
        setattr(report, kind, int(mask_np.sum()))
        positions = np.flatnonzero(mask_np)[:EXAMPLES]
        shown = (values.take(pa.array(positions)).to_pylist() if values is not None and len(positions)
                 else [None] * len(positions))
        report.examples[kind] = [(where(int(i)), v) for i, v in zip(positions, shown)]
        bad_any = mask_np if bad_any is None else (bad_any | mask_np)

    keep = None
    if bad_any is not None and bad_any.any():
        if not exclude_invalid:
            raise RetentionInputError(report.problems(names_for_missing, face))
        report.excluded = int(bad_any.sum())
        keep = ~bad_any
    # row of the file of each kept row, for examples (None: every row kept, row i is row i)
    positions = None if keep is None else np.flatnonzero(keep)
    if keep is not None:
        mask = pa.array(keep)
        cust, dates = cust.filter(mask), dates.filter(mask)
        amounts = amounts.filter(mask) if amounts is not None else None
        orders = orders.filter(mask) if orders is not None else None

    codes, count, offset = _encode(cust)
    order_codes, order_count = (None, 0)
    if orders is not None:
        order_codes, order_count, _ = _encode(orders, keep_compact=False)
    arrays = {"customer": codes, "date": dates}
    if amounts is not None:
        arrays["amount"] = amounts
        nonpositive = np.asarray(pc.less_equal(amounts, 0.0).to_numpy(zero_copy_only=False), dtype=bool)
        if order_codes is not None:
            arrays["order"] = order_codes
        # exact copies of a row are one purchase exported twice: counted once, everywhere
        copies = _duplicate_rows({k: _np_column(v) for k, v in arrays.items()})
        for kind, mask_np, column in (("duplicates", copies, None), ("nonpositive_amount", nonpositive, amounts)):
            if mask_np.any():
                setattr(report, kind, int(mask_np.sum()))
                first = np.flatnonzero(mask_np)[:EXAMPLES]
                report.examples[kind] = [(where(int(i if positions is None else positions[i])), None if column is None else column[int(i)].as_py())
                                         for i in first]
        if copies.any():
            mask = pa.array(~copies)
            arrays = {k: v.filter(mask) for k, v in arrays.items()}
    elif order_codes is not None:
        arrays["order"] = order_codes
    del table, cust
    out = pa.table(arrays)
    return PurchaseLog(out, count, report, names, offset, order_count)


def _np_column(values) -> np.ndarray:
    """A pyarrow column as numpy (dates as datetime64)."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return np.asarray(values.to_numpy(zero_copy_only=False))


def _np_bool(mask) -> np.ndarray:
    import pyarrow as pa

    if isinstance(mask, pa.ChunkedArray):
        return np.array(mask.to_numpy(), dtype=bool)
    return np.array(mask.to_numpy(zero_copy_only=False), dtype=bool)


# --------------------------------------------------------------------------- periods
def _day_numbers(values: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (floor), as int64, for a datetime64 array of any unit."""
    if values.dtype == np.dtype("datetime64[D]"):
        return values.view(np.int64) if values.dtype.itemsize == 8 else values.astype(np.int64)
    unit, _ = np.datetime_data(values.dtype)
    per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}.get(unit)
    if per_day is None:  # pragma: no cover - arrow only gives s, ms, us, ns or days
        return values.astype("datetime64[D]").astype(np.int64)
    return np.floor_divide(values.view(np.int64), per_day)


def _period_of_days(days: np.ndarray, period: str) -> np.ndarray:
    """Period number of each day number: consecutive integers for consecutive periods."""
    if period == "day":
        return days
    if period == "week":  # weeks run Monday to Sunday; 1970-01-01 was a Thursday
        return np.floor_divide(days + 3, 7)
    dates = days.astype("datetime64[D]")
    if period == "month":
        return dates.astype("datetime64[M]").astype(np.int64)
    if period == "quarter":
        return np.floor_divide(dates.astype("datetime64[M]").astype(np.int64), 3)
    return dates.astype("datetime64[Y]").astype(np.int64)


def purchase_batches(log: PurchaseLog):
    """(customer codes int64, day numbers int64[, amounts]) per batch of rows."""
    offset = log.customer_offset
    for batch in log.table.to_batches(max_chunksize=BATCH_ROWS):
        codes = batch.column(0).to_numpy()
        if offset:
            codes = codes - offset
        dates = batch.column(1).to_numpy(zero_copy_only=False)
        days = _day_numbers(dates)
        amounts = batch.column(2).to_numpy() if batch.num_columns > 2 else None
        yield codes, days, amounts


@dataclass
class _Calendar:
    period: str
    first: int      # period number of the first period
    count: int      # number of periods from the first to the last
    day0: int       # day number of the first day in the log
    lookup: np.ndarray  # period index (0-based) of each day from day0

    def index(self) -> pd.PeriodIndex:
        start = pd.Period(np.datetime64(int(self.day0), "D"), freq=PERIODS[self.period])
        return pd.period_range(start=start, periods=self.count, freq=PERIODS[self.period], name="period")

    def year_later(self) -> np.ndarray:
        """For each period, the index of the period holding the day one calendar year after its
        first day (29 February + 1 year is 28 February, as in SQL): month t -> t + 12,
        week t -> t + 52, day t -> t + 365 or 366."""
        index = self.index()
        later = (index.start_time + pd.DateOffset(years=1)).to_period(PERIODS[self.period])
        return (later.asi8 - index.asi8[0]).astype(np.int64)


#: Periods in a year, for the year-long windows of :attr:`LogAnalysis.year_over_year`.
PERIODS_IN_YEAR = {"day": 365, **PERIODS_PER_YEAR}
#: Limits that keep the work bounded whatever the span of a log: periods from the first
#: purchase to the last, and cells of the cohort table (cohorts x periods; 8 bytes each).
MAX_PERIODS = 100_000
MAX_COHORT_CELLS = 25_000_000


def _calendar(log: PurchaseLog, period: str) -> _Calendar | None:
    import pyarrow.compute as pc

    if log.rows == 0:
        return None
    bounds = pc.min_max(log.table.column("date")).as_py()
    low = _day_numbers(np.array([np.datetime64(bounds["min"])]))[0]
    high = _day_numbers(np.array([np.datetime64(bounds["max"])]))[0]
    ends = _period_of_days(np.array([low, high], dtype=np.int64), period)
    count = int(ends[1] - ends[0]) + 1
    if count > MAX_PERIODS:
        raise _too_long(period, low, high, f"{count:,} {period}s; the limit is {MAX_PERIODS:,}")
    numbers = _period_of_days(np.arange(low, high + 1, dtype=np.int64), period)
    first = int(numbers[0])
    lookup = (numbers - first).astype(np.int32)
    return _Calendar(period, first, int(lookup[-1]) + 1, int(low), lookup)


def _too_long(period: str, low: int, high: int, what: str) -> RetentionInputError:
    first, last = np.datetime64(int(low), "D"), np.datetime64(int(high), "D")
    longer = {"day": "week or month", "week": "month", "month": "quarter", "quarter": "year"}.get(period, "year")
    return RetentionInputError(Problem(
        "period", f"the log spans {first} to {last}: counted by {period} that is {what}",
        f"count by {longer} (period='{longer.split()[-1]}'), or give a shorter log"))


# --------------------------------------------------------------------------- counting
@dataclass
class LogAnalysis:
    """Everything counted from one pass over a log.

    Attributes
    ----------
    counts : DataFrame
        As :func:`counts_from_log`.
    cohort_counts : DataFrame
        As :func:`cohort_counts` (customers, not shares).
    report : LogReport
        What reading the log found.
    period : str
        The period used.
    year_over_year : dict or None
        Measured yearly retention over the last two year-long windows of the
        log (by the chosen period: 12 months, 4 quarters, 52 weeks, 365 days):
        ``first_window`` and ``second_window`` (pairs of period labels),
        ``customers`` (active in the first window), ``retained`` (of those,
        active in the second) and ``retention`` (retained / customers). None
        when the log spans less than two years.
    curve : RetentionCurve or None
        The retention curve fitted to all cohorts (:func:`retention_xl.fit_retention_curve`),
        a customer counting as still a customer until their last purchase
        (:mod:`retention_xl.log_curve`); None when the log cannot tell one.
        Computed on first use (one more pass over the log), then kept.
    curve_counts : DataFrame
        The counts it is fitted to: customers of each cohort buying at age k or later.
    curve_problem : str
        Why there is no curve ('' when there is one).
    """

    counts: pd.DataFrame
    cohort_counts: pd.DataFrame
    report: LogReport
    period: str
    year_over_year: dict | None = None
    _source: Any = field(default=None, repr=False, compare=False)  # (log, calendar) for the curve
    _curve: Any = field(default=None, repr=False, compare=False)

    def _fitted(self):
        if self._curve is None:
            from .log_curve import log_curve  # the retention curve over all cohorts (docs/curve.md)

            self._curve = log_curve(*self._source)
        return self._curve

    @property
    def curve(self):
        return self._fitted()[1]

    @property
    def curve_counts(self) -> pd.DataFrame:
        return self._fitted()[0]

    @property
    def curve_problem(self) -> str:
        return self._fitted()[2]

    @property
    def cohort_matrix(self) -> pd.DataFrame:
        """Shares of each cohort active k periods after its first (column 0 is 1.0)."""
        return _shares(self.cohort_counts)


def _shares(counts: pd.DataFrame) -> pd.DataFrame:
    sizes = counts[0].to_numpy(dtype=float)
    values = counts.to_numpy(dtype=float) / sizes[:, None]
    return pd.DataFrame(values, index=counts.index, columns=counts.columns)


def _cohort_rows(new: np.ndarray, cal: _Calendar, customers: int):
    """The periods that are cohorts (someone's first purchase), and each period's row (or -1)."""
    cohorts = np.flatnonzero(new)
    cells = len(cohorts) * cal.count
    if cells > MAX_COHORT_CELLS:
        raise _too_long(cal.period, cal.day0, cal.day0 + len(cal.lookup) - 1,
                        f"a cohort table of {len(cohorts):,} cohorts x {cal.count:,} {cal.period}s "
                        f"({cells:,} cells); the limit is {MAX_COHORT_CELLS:,}")
    row_of = np.full(cal.count, -1, np.int64)
    row_of[cohorts] = np.arange(len(cohorts))
    return cohorts, row_of


def _dense_activity(log: PurchaseLog, cal: _Calendar, progress=None):
    """Counts and cohort counts through a periods x customers byte table."""
    customers, periods = log.customers, cal.count
    active = np.zeros(periods * customers, dtype=np.bool_)
    lookup = cal.lookup
    for codes, days, _ in purchase_batches(log):
        keys = lookup[days - cal.day0].astype(np.int64)
        keys *= customers
        keys += codes
        active[keys] = True
        if progress:
            progress(len(codes))
    active = active.reshape(periods, customers)
    end = np.empty(periods, np.int64)
    retained = np.zeros(periods, np.int64)
    new = np.empty(periods, np.int64)
    first = np.full(customers, -1, dtype=np.int64)
    seen = np.zeros(customers, dtype=np.bool_)
    scratch = np.empty(customers, dtype=np.bool_)
    for p in range(periods):
        row = active[p]
        end[p] = np.count_nonzero(row)
        if p:
            np.logical_and(row, active[p - 1], out=scratch)
            retained[p] = np.count_nonzero(scratch)
        np.logical_and(row, ~seen, out=scratch)
        new[p] = np.count_nonzero(scratch)
        first[scratch] = p
        seen |= row
    cohorts, row_of = _cohort_rows(new, cal, customers)
    calendar_cohorts = np.zeros((len(cohorts), periods), np.int64)  # [cohort row, period]
    # customers of period p active again by the period holding the day a year later
    again = np.zeros(periods, np.int64)
    later = cal.year_later()
    next_seen = np.full(customers, np.iinfo(np.int64).max, np.int64)
    row_first = row_of[np.maximum(first, 0)]
    for p in range(periods - 1, -1, -1):
        row = active[p]
        calendar_cohorts[:, p] = np.bincount(row_first[row], minlength=len(cohorts))
        again[p] = np.count_nonzero(next_seen[row] <= later[p])
        next_seen[row] = p
    windows = [active[a:b + 1].any(axis=0) for a, b in _year_windows(cal)]
    return end, retained, new, again, _by_age(calendar_cohorts, cohorts), cohorts, windows


def _year_windows(cal: _Calendar) -> list[tuple[int, int]]:
    """The last two year-long windows of periods, or none when the log is shorter."""
    span = PERIODS_IN_YEAR[cal.period]
    last = cal.count - 1
    if last - 2 * span + 1 < 0:
        return []
    return [(last - 2 * span + 1, last - span), (last - span + 1, last)]


def _by_age(calendar_cohorts: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """[cohort, period] counts to [cohort, periods since first], NaN beyond the last period."""
    rows, periods = calendar_cohorts.shape
    column = cohorts[:, None] + np.arange(periods)[None, :]
    inside = column < periods
    out = np.full((rows, periods), np.nan)
    out[inside] = calendar_cohorts[np.broadcast_to(np.arange(rows)[:, None], column.shape)[inside],
                                   column[inside]]
    return out


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: one in-place sort (numpy's hash-based np.unique is
    several times slower on ten million int64 keys)."""
    keys.sort()
    if keys.size < 2:
        return keys
    keep = np.empty(keys.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _sparse_activity(log: PurchaseLog, cal: _Calendar, progress=None):
    """The same counts through sorted, deduplicated (period, customer) keys."""
    customers, periods = log.customers, cal.count
    keys = np.empty(log.rows, dtype=np.int64)
    lookup = cal.lookup
    done = 0
    for codes, days, _ in purchase_batches(log):
        part = keys[done:done + len(codes)]
        np.multiply(lookup[days - cal.day0], customers, out=part, casting="unsafe")
        part += codes
        done += len(codes)
        if progress:
            progress(len(codes))
    keys = _sorted_unique(keys)
    period_of = keys // customers
    code_of = keys - period_of * customers
    end = np.bincount(period_of, minlength=periods)
    previous = keys - customers
    where = np.searchsorted(keys, previous)
    np.minimum(where, max(len(keys) - 1, 0), out=where)
    was_active = keys[where] == previous if len(keys) else np.zeros(0, bool)
    retained = np.bincount(period_of[was_active], minlength=periods)
    first = np.full(customers, periods, dtype=np.int64)
    np.minimum.at(first, code_of, period_of)
    new = np.bincount(first[first < periods], minlength=periods)
    cohorts, row_of = _cohort_rows(new, cal, customers)
    cohort = first[code_of]
    cells = np.bincount(row_of[cohort] * periods + (period_of - cohort), minlength=len(cohorts) * periods)
    by_age = cells.reshape(len(cohorts), periods).astype(float)
    by_age[cohorts[:, None] + np.arange(periods)[None, :] >= periods] = np.nan
    # customers of period p active again by the period holding the day a year later
    bounds = np.searchsorted(period_of, np.arange(periods + 1))
    later = cal.year_later()
    again = np.zeros(periods, np.int64)
    next_seen = np.full(customers, np.iinfo(np.int64).max, np.int64)
    for p in range(periods - 1, -1, -1):
        members = code_of[bounds[p]:bounds[p + 1]]
        again[p] = np.count_nonzero(next_seen[members] <= later[p])
        next_seen[members] = p
    windows = []
    for a, b in _year_windows(cal):
        inside = np.zeros(customers, bool)
        inside[code_of[bounds[a]:bounds[b + 1]]] = True
        windows.append(inside)
    return end, retained, new, again, by_age, cohorts, windows


def analyse_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                exclude_invalid: bool = False, progress: Callable[[int], Any] | None = None,
                method: str | None = None, *, date_format: str | None = None,
                face: str = "python") -> LogAnalysis:
    """Counts, cohorts and yearly retention from one pass over a purchase log.

    Parameters as for :func:`counts_from_log`; ``progress``, if given, is
    called with the number of rows done after each batch (a progress bar's
    ``update``). ``method`` forces ``"dense"`` or ``"sparse"`` counting (both
    give the same numbers; the default picks by size). ``date_format`` and
    ``face`` as for :func:`read_log`.

    Work and memory grow with the rows, the customers and the span: a log may
    span at most :data:`MAX_PERIODS` periods and give at most
    :data:`MAX_COHORT_CELLS` cohort cells (cohorts x periods); beyond, it is
    refused with the span, and a longer period is suggested.
    """
    period = choice(period, "period", tuple(PERIODS))
    log = read_log(log, customer, date, exclude_invalid=exclude_invalid, date_format=date_format, face=face)
    cal = _calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases",
                                          "give at least one row with a customer id and a date"))
    if method is None:
        size = cal.count * log.customers
        method = "dense" if size <= max(DENSE_BYTES_PER_ROW * log.rows, DENSE_MIN_BYTES) else "sparse"
    method = choice(method, "method", ("dense", "sparse"))
    work = _dense_activity if method == "dense" else _sparse_activity
    end, retained, new, again, by_age, cohorts, windows = work(log, cal, progress)
    index = cal.index()
    start = np.concatenate([[0], end[:-1]]).astype(np.int64)
    reactivated = end - retained - new
    # exact retention is the core formula with the retained as "end" and no new customers;
    # a period with nobody at start (the first, or one after a gap) has none: NaN
    seen = start > 0
    retention = np.full(start.shape, np.nan)
    churn = np.full(start.shape, np.nan)
    retention[seen] = retention_rate(start[seen], retained[seen], 0)
    churn[seen] = churn_rate(start[seen], retained[seen], 0)
    # measured yearly retention: the same core formula, the period's customers at start and
    # those of them back within a year as "end"; known once the whole year is in the log
    observed = (cal.year_later() <= cal.count - 1) & (end > 0)
    yearly = np.full(start.shape, np.nan)
    yearly[observed] = retention_rate(end[observed], again[observed], 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # (end - new) / start written out on purpose: with reactivations end - new can exceed
        # start, which retention_rate rightly refuses; this column shows that over-count
        formula = np.where(seen, (end - new) / np.maximum(start, 1), np.nan)
    counts = pd.DataFrame({
        "start": start, "retained": retained.astype(np.int64), "new": new.astype(np.int64),
        "reactivated": reactivated.astype(np.int64), "end": end.astype(np.int64),
        "retention": retention, "lost": start - retained, "churn": churn,
        "formula_retention": formula, "returning_within_year": again.astype(np.int64),
        "yearly_retention": yearly,
    }, index=index)
    cohort_table = pd.DataFrame(by_age, index=pd.PeriodIndex(index[cohorts], name="cohort"),
                                columns=pd.RangeIndex(cal.count, name="periods_since_first"))
    year_over_year = None
    if windows:
        (a, b), (c, d) = _year_windows(cal)
        base = int(np.count_nonzero(windows[0]))
        kept = int(np.count_nonzero(windows[0] & windows[1]))
        year_over_year = {"first_window": (index[a], index[b]), "second_window": (index[c], index[d]),
                          "customers": base, "retained": kept,
                          "retention": float(retention_rate(base, kept, 0)) if base else np.nan}
    return LogAnalysis(counts, cohort_table.astype("float64"), log.report, period, year_over_year,
                       _source=(log, cal))


def counts_from_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                    exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Exact per-period customer counts and retention from a purchase log.

    Parameters
    ----------
    log : DataFrame, str, path or PurchaseLog
        One row per purchase: a DataFrame, a CSV file or a Parquet file (see
        :func:`read_log`).
    customer, date : str, optional
        Names of the customer id and date columns (default ``customer_id``, ``date``).
    period : {'month', 'day', 'week', 'quarter', 'year'}, optional
        The period to count by (weeks run Monday to Sunday).
    exclude_invalid : bool, optional
        Leave out rows without a customer id or a readable date instead of
        refusing the log (see :func:`read_log`).
    date_format, face : str, optional
        The form of text dates (``"%d/%m/%Y"``) and whose words messages use,
        as for :func:`read_log`.

    Returns
    -------
    DataFrame
        Indexed by period (a ``PeriodIndex`` named ``period``, every period from
        the first purchase to the last, empty ones included), with columns
        ``start, retained, new, reactivated, end`` (customers), ``retention``
        (retained / start, NaN when start is 0), ``lost`` (start - retained),
        ``churn`` (1 - retention) and ``formula_retention`` ((end - new) /
        start, what the three-count formula would say: higher than the exact
        retention by reactivated / start).

    Examples
    --------
    Ann buys in January and February, Bob in January and March (a gap), Cy in
    February only, twice:

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "cy", "cy", "bob"],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-11",
    ...                                             "2024-02-12", "2024-02-28", "2024-03-05"])})
    >>> rx.counts_from_log(log)[["start", "retained", "new", "reactivated", "end", "retention"]]
             start  retained  new  reactivated  end  retention
    period
    2024-01      0         0    2            0    2        NaN
    2024-02      2         1    1            0    2        0.5
    2024-03      2         0    0            1    1        0.0
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).counts


def cohort_counts(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Customers of each first-purchase cohort active k periods later (counts).

    As :func:`cohort_matrix`, in customers rather than shares: column 0 is the
    size of each cohort.
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).cohort_counts


def cohort_matrix(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False, *, date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Share of each first-purchase cohort active 0, 1, 2, ... periods later.

    Parameters as for :func:`counts_from_log`.

    Returns
    -------
    DataFrame
        One row per cohort (the period of the customers' first purchase; a
        ``PeriodIndex`` named ``cohort``; periods in which nobody bought for the
        first time have no row), columns ``0, 1, 2, ...`` periods since the
        first purchase, values the share of the cohort's customers who bought
        in that period (column 0 is 1.0). Cells after the last period of the
        log are NaN: not yet observed, unlike 0.0, which means nobody came back.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "cy", "cy", "bob"],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-02-11",
    ...                                             "2024-02-12", "2024-02-28", "2024-03-05"])})
    >>> rx.cohort_matrix(log)
    periods_since_first    0    1    2
    cohort
    2024-01              1.0  0.5  0.5
    2024-02              1.0  0.0  NaN
    """
    return analyse_log(log, customer, date, period, exclude_invalid, date_format=date_format,
                       face=face).cohort_matrix


# --------------------------------------------------------------------------- section 7
def _occasion_keys(log: PurchaseLog, cal: _Calendar | None):
    """Per row: (occasion key, occasion width, period index or None, amounts or None).

    An occasion is one customer-day (key = customer * days + day) or, with an
    order column, one order of a customer (key = customer * orders + order).
    """
    keys = np.empty(log.rows, np.int64)
    periods = np.empty(log.rows, np.int64) if cal is not None else None
    amounts = np.empty(log.rows) if log.has_amount else None
    bounds = None
    if not log.has_order:
        import pyarrow.compute as pc

        edge = pc.min_max(log.table.column("date")).as_py()
        low, high = (_day_numbers(np.array([np.datetime64(edge[k])]))[0] for k in ("min", "max"))
        width = int(high - low) + 1
        bounds = low
    else:
        width = max(log.orders, 1)
        order_column = log.table.column("order")
    done = 0
    for codes, days, amount in purchase_batches(log):
        n = len(codes)
        part = keys[done:done + n]
        np.multiply(codes, width, out=part, casting="unsafe")
        if bounds is not None:
            part += days - bounds
        else:
            part += order_column.slice(done, n).to_numpy()
        if periods is not None:
            periods[done:done + n] = cal.lookup[days - cal.day0]
        if amounts is not None:
            amounts[done:done + n] = amount
        done += n
    return keys, width, periods, amounts


def purchase_metrics(log: Any, customer: str = "customer_id", date: str = "date",
                     amount: str | None = "amount", period: str | None = None,
                     exclude_invalid: bool = False, *, order: str | None = None,
                     date_format: str | None = None, face: str = "python"):
    """Repeat customer rate, purchase frequency and average order value, by purchase occasion.

    A purchase occasion is one customer-day: three items bought by one customer
    on one day, on one row each or not, are one occasion (the convention of
    Fader and Hardie's CDNOW summaries and the ``lifetimes`` package, see
    docs/purchase_logs.md). With ``order=``, an occasion is one order id of a
    customer instead. Exact duplicate rows are counted once (see :func:`read_log`).

    Parameters
    ----------
    log, customer, date, exclude_invalid
        As for :func:`counts_from_log`.
    amount : str or None, optional
        Name of the amount column (default ``"amount"``); None to leave out
        revenue and average order value.
    period : str, optional
        None (default) for the whole log as one Series; or a period name for a
        DataFrame with one row per period, each metric computed within the period.
    order : str, optional
        Name of an order id column: occasions are then orders, not days.
    date_format, face
        As for :func:`read_log`.

    Returns
    -------
    Series or DataFrame
        ``customers`` (distinct), ``rows`` (purchase rows, exact duplicates
        counted once), ``occasions`` (distinct customer-days, or orders),
        ``repeat_customers`` (customers with 2 or more occasions),
        ``repeat_customer_rate`` (repeat_customers / customers),
        ``purchase_frequency`` (occasions / customers) and, with amounts,
        ``revenue`` and ``average_order_value`` (revenue / occasions). The
        result's ``attrs["occasion"]`` says what was counted.

    Examples
    --------
    Customer 3 buys twice on 6 January (two rows, one occasion):

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-02-01", "2024-01-05",
    ...                                             "2024-01-06", "2024-01-06", "2024-03-01"]),
    ...                     "amount": [10.0, 20.0, 30.0, 5.0, 15.0, 40.0]})
    >>> rx.purchase_metrics(log).round(4)
    customers                3.0000
    rows                     6.0000
    occasions                5.0000
    repeat_customers         2.0000
    repeat_customer_rate     0.6667
    purchase_frequency       1.6667
    revenue                120.0000
    average_order_value     24.0000
    Name: metrics, dtype: float64
    """
    log = read_log(log, customer, date, amount, exclude_invalid, order=order, date_format=date_format,
                   face=face)
    with_amount = amount is not None
    occasion = "order" if log.has_order else "customer-day"
    cal = None
    if period is not None:
        period = choice(period, "period", tuple(PERIODS))
        cal = _calendar(log, period)
    if log.rows == 0:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases"))
    keys, width, periods, amounts = _occasion_keys(log, cal)
    if cal is None:
        unique = _sorted_unique(keys.copy())
        per_customer = np.bincount(unique // width)
        customers = int(np.count_nonzero(per_customer))
        occasions = int(unique.size)
        repeat = int(np.count_nonzero(per_customer >= 2))
        values = {"customers": customers, "rows": int(log.rows), "occasions": occasions,
                  "repeat_customers": repeat,
                  "repeat_customer_rate": repeat / customers if customers else np.nan,
                  "purchase_frequency": occasions / customers if customers else np.nan}
        if with_amount:
            revenue = float(np.sum(amounts))
            values["revenue"] = revenue
            values["average_order_value"] = revenue / occasions if occasions else np.nan
        out = pd.Series(values, name="metrics", dtype=float)
        out.attrs["occasion"] = occasion
        return out
    # occasions within each period: number the occasions, then count distinct (period, occasion)
    unique, occasion_id = np.unique(keys, return_inverse=True)
    pair = _sorted_unique(periods * unique.size + occasion_id)
    pair_period = pair // unique.size
    pair_customer = unique[pair % unique.size] // width  # sorted within each period
    occasions = np.bincount(pair_period, minlength=cal.count)
    starts = np.flatnonzero(np.concatenate(([True], (pair_period[1:] != pair_period[:-1])
                                            | (pair_customer[1:] != pair_customer[:-1]))))
    per_customer = np.diff(np.append(starts, pair.size))
    customers = np.bincount(pair_period[starts], minlength=cal.count)
    repeat = np.bincount(pair_period[starts][per_customer >= 2], minlength=cal.count)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame({
            "customers": customers, "rows": np.bincount(periods, minlength=cal.count),
            "occasions": occasions, "repeat_customers": repeat,
            "repeat_customer_rate": np.where(customers > 0, repeat / np.maximum(customers, 1), np.nan),
            "purchase_frequency": np.where(customers > 0, occasions / np.maximum(customers, 1), np.nan),
        }, index=cal.index())
        if with_amount:
            revenue = np.bincount(periods, weights=amounts, minlength=cal.count)
            table["revenue"] = revenue
            table["average_order_value"] = np.where(occasions > 0, revenue / np.maximum(occasions, 1), np.nan)
    table.attrs["occasion"] = occasion
    return table


#: Columns of :func:`revenue_retention`, in order.
REVENUE_COLUMNS = ("revenue", "previous_revenue", "revenue_from_previous_customers",
                   "kept_revenue", "gross_revenue_retention", "net_revenue_retention")


def revenue_retention(log: Any, customer: str = "customer_id", date: str = "date", amount: str = "amount",
                      period: str = "month", exclude_invalid: bool = False, *,
                      date_format: str | None = None, face: str = "python") -> pd.DataFrame:
    """Gross and net revenue retention per period (GRR and NRR), from a purchase log with amounts.

    Parameters
    ----------
    log, customer, date, period, exclude_invalid
        As for :func:`counts_from_log`.
    amount : str, optional
        Name of the amount column (default ``"amount"``).
    date_format, face
        As for :func:`read_log`.

    Returns
    -------
    DataFrame
        Indexed by period like :func:`counts_from_log`, with ``revenue`` (of
        the period), ``previous_revenue`` (of the period before),
        ``revenue_from_previous_customers`` (this period's revenue from the
        customers who bought in the period before), ``kept_revenue`` (the same,
        each customer capped at what it spent in the period before),
        ``gross_revenue_retention`` (kept_revenue / previous_revenue) and
        ``net_revenue_retention`` (revenue_from_previous_customers /
        previous_revenue). NaN where the period before had no revenue.

    Notes
    -----
    With :math:`R_{c,p}` the revenue of customer :math:`c` in period :math:`p`
    and :math:`C_{p-1}` the customers who bought in :math:`p - 1`:

    .. math::

        GRR_p = \\frac{\\sum_{c \\in C_{p-1}} \\max(0, \\min(R_{c,p}, R_{c,p-1}))}{\\sum_{c \\in C_{p-1}} R_{c,p-1}}
        \\qquad
        NRR_p = \\frac{\\sum_{c \\in C_{p-1}} R_{c,p}}{\\sum_{c \\in C_{p-1}} R_{c,p-1}}

    the subscription-analytics definitions (docs/purchase_logs.md): GRR counts
    what was kept, at most 100%; NRR adds what the kept customers spent more.
    New customers count in neither. Amounts are summed as given (a refund
    lowers its customer's revenue); exact duplicate rows count once.

    Examples
    --------
    Ann spends 100 then 60, Bob 50 then 80, Cy joins with 30 in February:

    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["ann", "bob", "ann", "bob", "cy"],
    ...                     "date": ["2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20", "2024-02-21"],
    ...                     "amount": [100.0, 50.0, 60.0, 80.0, 30.0]})
    >>> rx.revenue_retention(log)[["revenue", "gross_revenue_retention", "net_revenue_retention"]].round(4)
             revenue  gross_revenue_retention  net_revenue_retention
    period
    2024-01    150.0                      NaN                    NaN
    2024-02    170.0                      0.7333                 0.9333

    February kept 60 of Ann's 100 and 50 of Bob's 50 (capped): 110 / 150; net
    of Bob's extra 30: 140 / 150.
    """
    period = choice(period, "period", tuple(PERIODS))
    log = read_log(log, customer, date, amount, exclude_invalid, date_format=date_format, face=face)
    cal = _calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases"))
    keys = np.empty(log.rows, np.int64)
    amounts = np.empty(log.rows)
    done = 0
    for codes, days, amount_part in purchase_batches(log):
        n = len(codes)
        np.multiply(cal.lookup[days - cal.day0], log.customers, out=keys[done:done + n], casting="unsafe")
        keys[done:done + n] += codes
        amounts[done:done + n] = amount_part
        done += n
    order = np.argsort(keys, kind="stable")
    keys, amounts = keys[order], amounts[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else np.zeros(0, int)
    pair_revenue = np.add.reduceat(amounts, starts) if keys.size else np.zeros(0)
    pairs = keys[starts]
    pair_period = pairs // log.customers
    revenue = np.bincount(pair_period, weights=pair_revenue, minlength=cal.count)
    previous_key = pairs - log.customers
    where = np.minimum(np.searchsorted(pairs, previous_key), max(pairs.size - 1, 0))
    found = pairs[where] == previous_key
    before = pair_revenue[where[found]]
    now = pair_revenue[found]
    from_previous = np.bincount(pair_period[found], weights=now, minlength=cal.count)
    # what a customer kept: its revenue now, capped at what it spent before, and never below 0
    # (a customer cannot lose more than all it spent: a net refund counts as fully lost)
    kept = np.bincount(pair_period[found], weights=np.maximum(np.minimum(now, before), 0.0),
                       minlength=cal.count)
    previous = np.concatenate(([np.nan], revenue[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        has_base = previous > 0
        table = pd.DataFrame({
            "revenue": revenue, "previous_revenue": previous,
            "revenue_from_previous_customers": from_previous, "kept_revenue": kept,
            "gross_revenue_retention": np.where(has_base, kept / np.where(has_base, previous, 1), np.nan),
            "net_revenue_retention": np.where(has_base, from_previous / np.where(has_base, previous, 1), np.nan),
        }, index=cal.index())
    return table


# --------------------------------------------------------------------------- SQL
_SQL_TRUNC = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_SQL_STEP = {"day": "INTERVAL '1' DAY", "week": "INTERVAL '7' DAY", "month": "INTERVAL '1' MONTH",
             "quarter": "INTERVAL '3' MONTH", "year": "INTERVAL '1' YEAR"}
#: Dialects :func:`log_counts_sql` is tested in or written for (sqlglot's names).
SQL_DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark", "redshift")


def log_counts_sql(table: str = "purchases", customer: str = "customer_id", date: str = "date",
                   period: str = "month", dialect: str | None = None) -> str:
    """The SQL query giving :func:`counts_from_log`'s counts where the data lives.

    One ``GROUP BY`` over the distinct (customer, period) pairs, each pair
    flagged with the customer's previous and next active periods (``LAG``,
    ``LEAD``): a pair is *new* when there is no previous one, *retained* when
    it is the period just before, *reactivated* otherwise; it *returns within
    a year* when the next one starts at most a year later (the period holding
    the day one year after its first day); ``start`` of a period is ``end`` of
    the period before. Weeks are ISO weeks (Monday to Sunday), as in
    :func:`counts_from_log`.

    Unlike :func:`counts_from_log`, periods in which nobody bought have no row;
    the first row has start 0 and no retention; retention is NULL where start
    is 0, yearly retention where the following year is not all in the table.

    Parameters
    ----------
    table, customer, date : str, optional
        The table and column names, inserted as quoted identifiers (a
        ``schema.table`` name is split on the dot).
    period : {'month', 'day', 'week', 'quarter', 'year'}, optional
    dialect : str, optional
        None (default): standard SQL as written here, which runs in DuckDB and
        PostgreSQL. Otherwise the query is translated by sqlglot (a maintained
        SQL transpiler, in the ``logs`` extra) into that dialect: ``"duckdb"``,
        ``"postgres"``, ``"bigquery"``, ``"snowflake"``, ``"spark"``,
        ``"redshift"`` and the others sqlglot knows.

    Examples
    --------
    >>> import retention_xl as rx
    >>> print(rx.log_counts_sql("sales", "client", "sold_on"))  # doctest: +ELLIPSIS
    WITH active AS (
      SELECT DISTINCT "client" AS customer, CAST(DATE_TRUNC('month', "sold_on") AS DATE) AS period
      FROM "sales"
    ...
    >>> print(rx.log_counts_sql("sales", "client", "sold_on", dialect="bigquery"))  # doctest: +ELLIPSIS
    WITH active AS (
      SELECT DISTINCT
        `client` AS customer,
        CAST(TIMESTAMP_TRUNC(`sold_on`, MONTH) AS DATE) AS period
      FROM `sales`
    ...
    """
    period = choice(period, "period", tuple(PERIODS))
    quoted = ".".join(_quote(part) for part in table.split("."))
    trunc, step = _SQL_TRUNC[period], _SQL_STEP[period]
    query = f"""WITH active AS (
  SELECT DISTINCT {_quote(customer)} AS customer, CAST(DATE_TRUNC('{trunc}', {_quote(date)}) AS DATE) AS period
  FROM {quoted}
  WHERE {_quote(customer)} IS NOT NULL AND {_quote(date)} IS NOT NULL
),
flagged AS (
  SELECT period,
         LAG(period) OVER (PARTITION BY customer ORDER BY period) AS previous_period,
         LEAD(period) OVER (PARTITION BY customer ORDER BY period) AS next_period,
         CAST(DATE_TRUNC('{trunc}', period + INTERVAL '1' YEAR) AS DATE) AS year_later
  FROM active
),
counts AS (
  SELECT period,
         SUM(CASE WHEN previous_period = CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS retained,
         SUM(CASE WHEN previous_period IS NULL THEN 1 ELSE 0 END) AS new_customers,
         SUM(CASE WHEN previous_period < CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS reactivated,
         COUNT(*) AS end_customers,
         SUM(CASE WHEN next_period <= year_later THEN 1 ELSE 0 END) AS returning_within_year,
         MAX(year_later) AS year_later
  FROM flagged
  GROUP BY period
)
SELECT c.period,
       COALESCE(b.end_customers, 0) AS start_customers,
       c.retained, c.new_customers, c.reactivated, c.end_customers,
       CAST(c.retained AS DOUBLE PRECISION) / NULLIF(COALESCE(b.end_customers, 0), 0) AS retention,
       c.returning_within_year,
       CASE WHEN c.year_later <= (SELECT MAX(period) FROM counts)
            THEN CAST(c.returning_within_year AS DOUBLE PRECISION) / c.end_customers END AS yearly_retention
FROM counts c
LEFT JOIN counts b ON b.period = CAST(c.period - {step} AS DATE)
ORDER BY c.period"""
    if dialect is None:
        return query
    import sqlglot

    dialect = str(dialect).lower()
    from sqlglot import exp

    def iso_weeks(node):
        # BigQuery's WEEK starts on Sunday; the ISO week (Monday) is ISOWEEK there
        if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc)) and node.text("unit").upper() == "WEEK":
            node.set("unit", exp.var("ISOWEEK"))
        return node

    try:
        tree = sqlglot.parse_one(query, read="postgres")
        if dialect == "bigquery":
            tree = tree.transform(iso_weeks)
        return tree.sql(dialect=dialect, pretty=True)
    except (ValueError, KeyError) as error:
        raise RetentionInputError(Problem(
            "dialect", f"sqlglot does not know the SQL dialect {dialect!r} ({error})",
            f"give one of {', '.join(SQL_DIALECTS)} (or another name sqlglot knows)")) from None


def _quote(identifier: str) -> str:
    return '"' + str(identifier).replace('"', '""') + '"'
