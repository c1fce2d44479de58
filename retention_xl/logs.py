"""Retention counted exactly from a log of purchases (domain.md sections 5 and 7).

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
========================  ===================================================

The three-count formula (end - new) / start would count the reactivated
customers as kept; the table shows it as ``formula_retention`` next to the
exact figure so the difference can be seen. Customers are counted, never
purchases: ten purchases in a month make one active customer.

How it is fast (10 million purchases, a million customers, 36 months: about a
second from Parquet): the log is read column by column with pyarrow; customer
ids become integer codes (the ids themselves when they are compact integers);
each date becomes a period number through a per-day lookup table; each
(period, customer) pair sets one byte in a periods x customers table, which
removes duplicate purchases without a sort; then every count is a row-wise
``count_nonzero`` and the cohort matrix one ``bincount`` per period. When that
table would be large compared with the log (daily periods over years), the
pairs are sorted and deduplicated instead (``np.unique``), with the same
results. Work is done in batches of a million rows, so the memory used beyond
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
    "log_counts_sql",
    "COUNT_COLUMNS",
]

#: Period names accepted by ``period=``, and the pandas frequency of each.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
#: Columns of :func:`counts_from_log`, in order.
COUNT_COLUMNS = ("start", "retained", "new", "reactivated", "end", "retention", "lost", "churn",
                 "formula_retention")

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
    examples : dict
        For each kind above with rows, up to five ``(where, value)`` pairs:
        ``where`` is the DataFrame index label, ``"line N"`` of a CSV file (the
        header is line 1) or ``"row N"`` of a Parquet file (from 1).
    excluded : int
        Rows left out because ``exclude_invalid=True`` (0 otherwise).
    """

    rows: int = 0
    missing_customer: int = 0
    bad_date: int = 0
    missing_date: int = 0
    bad_amount: int = 0
    examples: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    excluded: int = 0

    @property
    def invalid(self) -> int:
        """Rows with at least one problem."""
        return self.excluded if self.excluded else (
            self.missing_customer + self.bad_date + self.missing_date + self.bad_amount)

    @property
    def clean(self) -> bool:
        return not (self.missing_customer or self.bad_date or self.missing_date or self.bad_amount)

    def problems(self, names: dict[str, str]) -> list[Problem]:
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
            shown = ", ".join(_example(where, value, kind) for where, value in self.examples.get(kind, []))
            more = " ..." if number > len(self.examples.get(kind, [])) else ""
            out.append(Problem(
                names.get(column, column),
                f"{number:,} row{'s' if number != 1 else ''} of {self.rows:,} {what} "
                f"(column {names.get(column, column)!r}: {shown}{more})",
                "fix them in the log, or pass exclude_invalid=True (command line: "
                "--exclude-invalid) to leave those rows out"))
        return out

    def summary(self) -> str:
        """One line for people: '1,000 purchases read; 3 rows left out (2 without ...)'."""
        text = f"{self.rows:,} purchases read"
        if self.excluded:
            parts = [f"{n:,} {label}" for n, label in (
                (self.missing_customer, "without a customer id"), (self.missing_date, "without a date"),
                (self.bad_date, "with an unreadable date"), (self.bad_amount, "with a bad amount")) if n]
            text += f"; {self.excluded:,} left out ({', '.join(parts)})"
        return text


def _example(where, value, kind) -> str:
    place = where if isinstance(where, str) and where.startswith(("line ", "row ")) else f"row {where!r}" \
        if isinstance(where, str) else f"row {where}"
    if kind in ("missing_customer", "missing_date"):
        return place
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
        date type) and, when read, ``amount`` (float64). Bad rows are already
        left out (or there were none).
    customers : int
        Number of customer codes (an upper bound of distinct customers when the
        ids were used as codes directly).
    report : LogReport
        What reading found.
    names : dict
        The user's column names (``customer``, ``date``, ``amount``), for messages.
    customer_offset : int
        Subtracted from the customer column to give codes from 0.
    """

    table: Any
    customers: int
    report: LogReport
    names: dict[str, str]
    customer_offset: int = 0

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def has_amount(self) -> bool:
        return "amount" in self.table.column_names


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def _load_table(source: Any, columns: list[str]):
    """The requested columns as a pyarrow Table, and how to name a row in messages."""
    import pyarrow as pa

    if isinstance(source, pd.DataFrame):
        missing = [c for c in columns if c not in source.columns]
        if missing:
            raise _missing_columns(missing, source.columns)
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
        return pa.table(arrays, names=columns), (lambda i: index[i])
    if not _is_path(source):
        raise RetentionInputError(Problem(
            "log", f"the purchase log must be a DataFrame or the path of a CSV or Parquet file, "
                   f"got {type(source).__name__}"))
    path = pathlib.Path(source)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix.lower() in (".parquet", ".pq", ".parq"):
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise _missing_columns(missing, schema.names)
        return pq.read_table(path, columns=columns), (lambda i: f"row {i + 1}")
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise _missing_columns(missing, header)
    return _read_csv(path, columns), (lambda i: f"line {i + 2}")


def _read_csv(path: pathlib.Path, columns: list[str]):
    """The columns of a CSV file, read block by block (the whole file is never in memory).

    Types are inferred from the first block; if a later block does not fit them
    (a text id after numbers, an unreadable date), the file is read again with
    every column as text, and the checks of :func:`read_log` say what is wrong.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def read(types):
        options = pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True,
                                       column_types=types)
        reader = pacsv.open_csv(path, convert_options=options,
                                read_options=pacsv.ReadOptions(block_size=8 << 20))
        return pa.Table.from_batches(list(reader), schema=reader.schema)

    try:
        return read({})
    except pa.ArrowInvalid:
        try:
            return read({c: pa.string() for c in columns})
        except pa.ArrowInvalid as error:
            raise RetentionInputError(Problem(
                "log", f"the CSV file {str(path)!r} could not be read: {error}")) from None


def _missing_columns(missing, present) -> RetentionInputError:
    return RetentionInputError(Problem(
        "log", f"the purchase log has no column {', '.join(repr(m) for m in missing)}; "
               f"its columns are: {', '.join(map(str, present))}",
        "name the columns with customer=, date= (and amount=)"))


def _check_customer(column):
    """Mask of rows without a customer id (null, NaN, empty text), or None if none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = pc.is_null(column, nan_is_null=True) if pa.types.is_floating(column.type) else pc.is_null(column)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        bad = pc.or_kleene(bad, pc.equal(pc.utf8_trim_whitespace(column), ""))
        bad = pc.fill_null(bad, True)
    if not pc.any(bad).as_py():
        return None
    return bad


def _parse_dates(column):
    """(timestamp column, mask of unreadable dates or None, mask of missing dates or None)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:  # the customer's wall-clock date, not UTC
            column = pc.local_timestamp(column)
        missing = pc.is_null(column)
        return column, None, (missing if pc.any(missing).as_py() else None)
    if pa.types.is_date(kind):
        missing = pc.is_null(column)
        return column, None, (missing if pc.any(missing).as_py() else None)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(column)
        missing = pc.fill_null(pc.equal(text, ""), True)
        try:  # ISO dates (2024-01-31, 2024-01-31 10:00:00): arrow reads them fast
            parsed = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), text), pa.timestamp("s"))
            return parsed, None, (missing if pc.any(missing).as_py() else None)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        series = column.to_pandas()
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(series, errors="coerce")
        parsed_arr = pa.chunked_array([pa.array(parsed.to_numpy(dtype="datetime64[ns]"),
                                                mask=parsed.isna().to_numpy())])
        missing_np = missing.to_numpy(zero_copy_only=False).astype(bool)
        bad_np = parsed.isna().to_numpy() & ~missing_np
        return (parsed_arr, pa.array(bad_np) if bad_np.any() else None,
                pa.array(missing_np) if missing_np.any() else None)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        raise RetentionInputError(Problem(
            "date", f"the date column holds numbers ({kind}), not dates",
            "give dates such as 2024-01-31 (an Excel serial number is not read as a date)"))
    raise RetentionInputError(Problem("date", f"the date column has the type {kind}, not dates",
                                      "give dates such as 2024-01-31"))


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


def _encode_customers(column):
    """(column, number of codes, offset): codes from 0 for the customer ids are the
    column's values minus the offset.

    Compact integer ids are kept as they are (code = id - smallest id: no copy
    of the column); other ids (text, sparse numbers) become int32 codes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(column)
    if pa.types.is_integer(column.type) and rows:
        bounds = pc.min_max(column).as_py()
        low, high = bounds["min"], bounds["max"]
        span = high - low + 1
        if span <= max(2 * rows, 1 << 20):
            if column.type != pa.int64():
                column = pc.cast(column, pa.int64())
            return column, int(span), int(low)
    uniques = pc.unique(column)
    return pc.index_in(column, value_set=uniques), len(uniques), 0


def read_log(log: Any, customer: str = "customer_id", date: str = "date", amount: str | None = None,
             exclude_invalid: bool = False) -> PurchaseLog:
    """Read and check a purchase log once (a DataFrame, a CSV or a Parquet file).

    Parameters
    ----------
    log : DataFrame, str, path or PurchaseLog
        One row per purchase. Files ending in ``.parquet`` (``.pq``) are read as
        Parquet, others as CSV with a header line.
    customer, date : str, optional
        Names of the customer id and purchase date columns. Ids may be numbers
        or text; dates may be dates, timestamps (a time zone is read as the
        local date) or text such as ``2024-01-31``.
    amount : str, optional
        Name of the amount column, when amounts are wanted (see
        :func:`purchase_metrics`).
    exclude_invalid : bool, optional
        Leave out the rows without a customer id, with no date or an unreadable
        date (or a blank amount). Default: refuse such a log and say which rows.

    Returns
    -------
    PurchaseLog
        With the report of what was found in :attr:`PurchaseLog.report`.

    Raises
    ------
    RetentionInputError
        If a column is missing, or some rows are bad and ``exclude_invalid`` is
        False: the message gives, for each kind of problem, the number of rows
        and up to five examples.

    Examples
    --------
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": ["a", None, "b"],
    ...                     "date": ["2024-01-05", "2024-01-09", "someday"]})
    >>> rx.read_log(log)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_xl.errors.RetentionInputError: 2 bad inputs: 1 row of 3 without a customer id (column 'customer_id': row 1): ...
    >>> rx.read_log(log, exclude_invalid=True).report.summary()
    '3 purchases read; 2 left out (1 without a customer id, 1 with an unreadable date)'
    """
    if isinstance(log, PurchaseLog):
        if amount is not None and not log.has_amount:
            raise RetentionInputError(Problem("amount", "this log was read without its amount column",
                                              "read it again with amount="))
        return log
    import pyarrow as pa

    names = {"customer": customer, "date": date}
    columns = [customer, date]
    if amount is not None:
        names["amount"] = amount
        columns.append(amount)
    if len(set(columns)) != len(columns):
        raise RetentionInputError(Problem("log", f"the same column is named twice: {columns}"))
    table, where = _load_table(log, columns)
    report = LogReport(rows=table.num_rows)

    cust = table.column(customer)
    dates, bad_date, missing_date = _parse_dates(table.column(date))
    missing_customer = _check_customer(cust)
    amounts, bad_amount = _parse_amount(table.column(amount)) if amount is not None else (None, None)

    masks = {"missing_customer": (missing_customer, cust), "missing_date": (missing_date, None),
             "bad_date": (bad_date, table.column(date)), "bad_amount": (bad_amount, table.column(amount)
                                                                        if amount is not None else None)}
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

    if bad_any is not None and bad_any.any():
        if not exclude_invalid:
            raise RetentionInputError(report.problems(names))
        keep = pa.array(~bad_any)
        report.excluded = int(bad_any.sum())
        cust = cust.filter(keep)
        dates = dates.filter(keep)
        if amounts is not None:
            amounts = amounts.filter(keep)

    codes, count, offset = _encode_customers(cust)
    del table, cust
    arrays = {"customer": codes, "date": dates}
    if amounts is not None:
        arrays["amount"] = amounts
    out = pa.table(arrays)
    return PurchaseLog(out, count, report, names, offset)


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


def _batches(log: PurchaseLog):
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


def _calendar(log: PurchaseLog, period: str) -> _Calendar | None:
    import pyarrow.compute as pc

    if log.rows == 0:
        return None
    bounds = pc.min_max(log.table.column("date")).as_py()
    low = _day_numbers(np.array([np.datetime64(bounds["min"])]))[0]
    high = _day_numbers(np.array([np.datetime64(bounds["max"])]))[0]
    numbers = _period_of_days(np.arange(low, high + 1, dtype=np.int64), period)
    first = int(numbers[0])
    lookup = (numbers - first).astype(np.int32)
    return _Calendar(period, first, int(lookup[-1]) + 1, int(low), lookup)


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


def _dense_activity(log: PurchaseLog, cal: _Calendar, progress=None):
    """Counts and cohort counts through a periods x customers byte table."""
    customers, periods = log.customers, cal.count
    active = np.zeros(periods * customers, dtype=np.bool_)
    lookup = cal.lookup
    for codes, days, _ in _batches(log):
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
    first = np.full(customers, -1, dtype=np.int32)
    seen = np.zeros(customers, dtype=np.bool_)
    calendar_cohorts = np.zeros((periods, periods), np.int64)  # [cohort, period]
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
        calendar_cohorts[:, p] = np.bincount(first[row], minlength=periods)
    return end, retained, new, _by_age(calendar_cohorts)


def _by_age(calendar_cohorts: np.ndarray) -> np.ndarray:
    """[cohort, period] counts to [cohort, periods since first], NaN beyond the last period."""
    periods = calendar_cohorts.shape[0]
    ages = np.arange(periods)
    cohort = np.arange(periods)[:, None]
    column = cohort + ages[None, :]
    inside = column < periods
    out = np.full((periods, periods), np.nan)
    out[inside] = calendar_cohorts[np.broadcast_to(cohort, column.shape)[inside], column[inside]]
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
    for codes, days, _ in _batches(log):
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
    cohort = first[code_of]
    ages = np.bincount(cohort * periods + (period_of - cohort), minlength=periods * periods)
    by_age = ages.reshape(periods, periods).astype(float)
    beyond = np.arange(periods)[:, None] + np.arange(periods)[None, :] >= periods
    by_age[beyond] = np.nan
    return end, retained, new, by_age


def analyse_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                exclude_invalid: bool = False, progress: Callable[[int], Any] | None = None,
                method: str | None = None) -> LogAnalysis:
    """Counts and cohorts from one pass over a purchase log.

    Parameters as for :func:`counts_from_log`; ``progress``, if given, is
    called with the number of rows done after each batch (a progress bar's
    ``update``). ``method`` forces ``"dense"`` or ``"sparse"`` counting (both
    give the same numbers; the default picks by size).
    """
    period = choice(period, "period", tuple(PERIODS))
    log = read_log(log, customer, date, exclude_invalid=exclude_invalid)
    cal = _calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases",
                                          "give at least one row with a customer id and a date"))
    if method is None:
        size = cal.count * log.customers
        method = "dense" if size <= max(DENSE_BYTES_PER_ROW * log.rows, DENSE_MIN_BYTES) else "sparse"
    method = choice(method, "method", ("dense", "sparse"))
    work = _dense_activity if method == "dense" else _sparse_activity
    end, retained, new, by_age = work(log, cal, progress)
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
    with np.errstate(divide="ignore", invalid="ignore"):
        # (end - new) / start written out on purpose: with reactivations end - new can exceed
        # start, which retention_rate rightly refuses; this column shows that over-count
        formula = np.where(seen, (end - new) / np.maximum(start, 1), np.nan)
    counts = pd.DataFrame({
        "start": start, "retained": retained.astype(np.int64), "new": new.astype(np.int64),
        "reactivated": reactivated.astype(np.int64), "end": end.astype(np.int64),
        "retention": retention, "lost": start - retained, "churn": churn,
        "formula_retention": formula,
    }, index=index)
    sizes = np.nan_to_num(by_age[:, 0])
    keep = sizes > 0
    cohorts = pd.DataFrame(by_age[keep], index=pd.PeriodIndex(index[keep], name="cohort"),
                           columns=pd.RangeIndex(cal.count, name="periods_since_first"))
    cohorts = cohorts.astype("float64")
    return LogAnalysis(counts, cohorts, log.report, period, _source=(log, cal))


def counts_from_log(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                    exclude_invalid: bool = False) -> pd.DataFrame:
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
    return analyse_log(log, customer, date, period, exclude_invalid).counts


def cohort_counts(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False) -> pd.DataFrame:
    """Customers of each first-purchase cohort active k periods later (counts).

    As :func:`cohort_matrix`, in customers rather than shares: column 0 is the
    size of each cohort.
    """
    return analyse_log(log, customer, date, period, exclude_invalid).cohort_counts


def cohort_matrix(log: Any, customer: str = "customer_id", date: str = "date", period: str = "month",
                  exclude_invalid: bool = False) -> pd.DataFrame:
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
    return analyse_log(log, customer, date, period, exclude_invalid).cohort_matrix


# --------------------------------------------------------------------------- section 7
def purchase_metrics(log: Any, customer: str = "customer_id", date: str = "date",
                     amount: str | None = "amount", period: str | None = None,
                     exclude_invalid: bool = False):
    """Repeat customer rate, purchase frequency and average order value (domain.md section 7).

    Every row of the log counts as one purchase (an order).

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

    Returns
    -------
    Series or DataFrame
        ``customers`` (distinct), ``orders``, ``repeat_customers`` (customers
        with 2 or more purchases), ``repeat_customer_rate`` (repeat_customers /
        customers), ``purchase_frequency`` (orders / customers) and, with
        amounts, ``revenue`` and ``average_order_value`` (revenue / orders).

    Examples
    --------
    >>> import retention_xl as rx
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3],
    ...                     "date": pd.to_datetime(["2024-01-03", "2024-02-01", "2024-01-05",
    ...                                             "2024-01-06", "2024-01-07", "2024-03-01"]),
    ...                     "amount": [10.0, 20.0, 30.0, 5.0, 15.0, 40.0]})
    >>> rx.purchase_metrics(log).round(4)
    customers                3.0000
    orders                   6.0000
    repeat_customers         2.0000
    repeat_customer_rate     0.6667
    purchase_frequency       2.0000
    revenue                120.0000
    average_order_value     20.0000
    Name: metrics, dtype: float64
    """
    log = read_log(log, customer, date, amount, exclude_invalid)
    with_amount = amount is not None
    if period is None:
        per_customer = np.zeros(log.customers, np.int64)
        revenue = 0.0
        for codes, _, amounts in _batches(log):
            per_customer += np.bincount(codes, minlength=log.customers)
            if with_amount:
                revenue += float(np.sum(amounts))
        customers = int(np.count_nonzero(per_customer))
        orders = int(log.rows)
        repeat = int(np.count_nonzero(per_customer >= 2))
        values = {"customers": customers, "orders": orders, "repeat_customers": repeat,
                  "repeat_customer_rate": repeat / customers if customers else np.nan,
                  "purchase_frequency": orders / customers if customers else np.nan}
        if with_amount:
            values["revenue"] = revenue
            values["average_order_value"] = revenue / orders if orders else np.nan
        return pd.Series(values, name="metrics", dtype=float)
    period = choice(period, "period", tuple(PERIODS))
    cal = _calendar(log, period)
    if cal is None:
        raise RetentionInputError(Problem("log", "the purchase log has no purchases"))
    parts, orders, revenue = [], np.zeros(cal.count, np.int64), np.zeros(cal.count)
    for codes, days, amounts in _batches(log):
        p = cal.lookup[days - cal.day0].astype(np.int64)
        orders += np.bincount(p, minlength=cal.count)
        if with_amount:
            revenue += np.bincount(p, weights=amounts, minlength=cal.count)
        parts.append(p * log.customers + codes)
    keys = np.concatenate(parts)
    del parts
    keys.sort()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    per_pair = np.diff(np.append(starts, keys.size))
    keys = keys[starts]
    pair_period = keys // log.customers
    customers = np.bincount(pair_period, minlength=cal.count)
    repeat = np.bincount(pair_period[per_pair >= 2], minlength=cal.count)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame({
            "customers": customers, "orders": orders, "repeat_customers": repeat,
            "repeat_customer_rate": np.where(customers > 0, repeat / np.maximum(customers, 1), np.nan),
            "purchase_frequency": np.where(customers > 0, orders / np.maximum(customers, 1), np.nan),
        }, index=cal.index())
        if with_amount:
            table["revenue"] = revenue
            table["average_order_value"] = np.where(orders > 0, revenue / np.maximum(orders, 1), np.nan)
    return table


# --------------------------------------------------------------------------- SQL
_SQL_TRUNC = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_SQL_STEP = {"day": "INTERVAL '1' DAY", "week": "INTERVAL '7' DAY", "month": "INTERVAL '1' MONTH",
             "quarter": "INTERVAL '3' MONTH", "year": "INTERVAL '1' YEAR"}


def log_counts_sql(table: str = "purchases", customer: str = "customer_id", date: str = "date",
                   period: str = "month") -> str:
    """The SQL query giving :func:`counts_from_log`'s counts where the data lives.

    One ``GROUP BY`` over the distinct (customer, period) pairs, each pair
    flagged with the customer's previous active period (``LAG``): a pair is
    *new* when there is none, *retained* when it is the period just before,
    *reactivated* otherwise; ``start`` of a period is ``end`` of the period
    before. Standard SQL (window functions, ``DATE_TRUNC``, interval
    arithmetic): it runs as is in DuckDB, PostgreSQL, Snowflake and Redshift;
    BigQuery writes ``DATE_TRUNC(d, MONTH)`` and ``DATE_SUB``. Weeks are ISO
    weeks (Monday to Sunday), as in :func:`counts_from_log`.

    Unlike :func:`counts_from_log`, periods in which nobody bought have no row;
    the first row has start 0 and no retention; retention is NULL where start is 0.

    Parameters
    ----------
    table, customer, date : str, optional
        The table and column names, inserted as quoted identifiers (a
        ``schema.table`` name is split on the dot).
    period : {'month', 'day', 'week', 'quarter', 'year'}, optional

    Examples
    --------
    >>> import retention_xl as rx
    >>> print(rx.log_counts_sql("sales", "client", "sold_on"))  # doctest: +ELLIPSIS
    WITH active AS (
      SELECT DISTINCT "client" AS customer, CAST(DATE_TRUNC('month', "sold_on") AS DATE) AS period
      FROM "sales"
    ...
    """
    period = choice(period, "period", tuple(PERIODS))
    quoted = ".".join(_quote(part) for part in table.split("."))
    trunc, step = _SQL_TRUNC[period], _SQL_STEP[period]
    return f"""WITH active AS (
  SELECT DISTINCT {_quote(customer)} AS customer, CAST(DATE_TRUNC('{trunc}', {_quote(date)}) AS DATE) AS period
  FROM {quoted}
  WHERE {_quote(customer)} IS NOT NULL AND {_quote(date)} IS NOT NULL
),
flagged AS (
  SELECT period, LAG(period) OVER (PARTITION BY customer ORDER BY period) AS previous_period
  FROM active
),
counts AS (
  SELECT period,
         SUM(CASE WHEN previous_period = CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS retained,
         SUM(CASE WHEN previous_period IS NULL THEN 1 ELSE 0 END) AS new_customers,
         SUM(CASE WHEN previous_period < CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS reactivated,
         COUNT(*) AS end_customers
  FROM flagged
  GROUP BY period
)
SELECT c.period,
       COALESCE(b.end_customers, 0) AS start_customers,
       c.retained, c.new_customers, c.reactivated, c.end_customers,
       CAST(c.retained AS DOUBLE PRECISION) / NULLIF(COALESCE(b.end_customers, 0), 0) AS retention
FROM counts c
LEFT JOIN counts b ON b.period = CAST(c.period - {step} AS DATE)
ORDER BY c.period"""


def _quote(identifier: str) -> str:
    return '"' + str(identifier).replace('"', '""') + '"'
