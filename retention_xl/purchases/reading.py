"""Reading a purchase log once: ids, dates, amounts, dirty rows (docs/purchase_logs.md).

:func:`read_log` turns a DataFrame, a CSV file or a Parquet file into a
:class:`PurchaseLog`: the customer ids as int32 codes, the dates as day numbers,
and (when asked for) the amounts and order ids, with every bad row counted and
shown in a :class:`LogReport`. A clean log streams batch by batch; a log with
bad rows (or with amounts, whose exact copies are looked for) is read whole. The other modules of :mod:`retention_xl.purchases` count
from a ``PurchaseLog`` batch by batch (:func:`purchase_batches`).
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, RetentionInputError
from ..validation import choice
from .dates import day_column, days_of, parse_dates, typed_dates
from .sources import (BATCH_ROWS, OPTION_WORDS, PARQUET_SUFFIXES, at_source, clean_batches, is_path,
                      load_table)

__all__ = ["LogReport", "PurchaseLog", "read_log", "purchase_batches", "EXAMPLES"]

#: How many examples of bad rows an error message shows.
EXAMPLES = 5


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
                f"{at_source(self.source)}{self._counted(kind, what)} "
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
        Columns ``customer`` (int32 codes from 0), ``day`` (int32: days since
        1970-01-01, the date of each purchase) and, when read, ``amount``
        (float64) and ``order`` (int32 codes). Bad rows are already left out (or
        there were none), exact duplicates too. The ids and dates as read are
        not kept: 8 bytes a purchase, whatever the ids were.
    customers : int
        Number of customer codes (an upper bound of distinct customers when
        compact integer ids were used as codes directly: code = id - smallest id).
    report : LogReport
        What reading found.
    names : dict
        The user's column names (``customer``, ``date``, ``amount``, ``order``), for messages.
    orders : int
        Number of order codes (0 without an order column).
    """

    table: Any
    customers: int
    report: LogReport
    names: dict[str, str]
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

    def day_range(self) -> tuple[int, int]:
        """Day numbers of the first and the last purchase."""
        import pyarrow.compute as pc

        bounds = pc.min_max(self.table.column("day")).as_py()
        return int(bounds["min"]), int(bounds["max"])


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


def _encode(chunks: list, keep_compact: bool = True):
    """(int32 codes from 0 as a ChunkedArray, number of codes) for a column given as a list of
    arrays; the list is emptied, so that each array of ids can be freed once encoded.

    Compact integer ids become their distance from the smallest id (no hashing);
    other values (text, integers spread over a wide range) are dictionary-encoded:
    one hash pass over the whole column gives the distinct values and each row's
    code at once, the chunks sharing one dictionary.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = sum(len(chunk) for chunk in chunks)
    if not rows:
        chunks.clear()
        return pa.chunked_array([], pa.int32()), 0
    kind = chunks[0].type
    if keep_compact and pa.types.is_integer(kind):
        bounds = [pc.min_max(chunk).as_py() for chunk in chunks if len(chunk)]
        low, high = min(b["min"] for b in bounds), max(b["max"] for b in bounds)
        span = high - low + 1
        if span <= max(2 * rows, 1 << 20) and span < 1 << 31:
            codes = []
            while chunks:  # one chunk at a time: the int64 ids go as their codes come
                chunk = chunks.pop(0)
                codes.append(pc.cast(pc.subtract(pc.cast(chunk, pa.int64()), low), pa.int32()))
            return pa.chunked_array(codes, pa.int32()), int(span)
    encoded = pa.chunked_array(chunks, kind).dictionary_encode()
    chunks.clear()
    first = encoded.chunk(0).dictionary
    # the chunks share one dictionary (one hash table over all rows); were it not so,
    # their dictionaries would have to be unified
    if any(not _same_array(chunk.dictionary, first) for chunk in encoded.chunks[1:]):
        encoded = encoded.unify_dictionaries()
        first = encoded.chunk(0).dictionary
    indices = [chunk.indices for chunk in encoded.chunks]
    if encoded.type.index_type != pa.int32():
        indices = [pc.cast(index, pa.int32()) for index in indices]
    return pa.chunked_array(indices, pa.int32()), len(first)


def _same_array(one, other) -> bool:
    """Whether two arrays are the same memory, or else equal."""
    def where(array):
        return [buffer.address if buffer is not None else None for buffer in array.buffers()]

    return (len(one) == len(other) and where(one) == where(other)) or one.equals(other)


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
    if amount is None and order is None:
        clean = _read_clean(log, customer, date)
        if clean is not None:
            return clean
    # the whole columns at once: every bad row counted, shown and (if asked) left out
    table, where, source = load_table(log, columns, face)
    report = LogReport(rows=table.num_rows, source=source)

    cust = table.column(customer)
    dates, bad_date, missing_date, report.date_format = parse_dates(
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

    codes, count = _encode(list(cust.chunks))
    order_codes, order_count = (None, 0)
    if orders is not None:
        order_codes, order_count = _encode(list(orders.chunks), keep_compact=False)
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
    # the time of day mattered only to tell exact copies; from here on a purchase has a day
    arrays["date"] = day_column(arrays["date"])
    out = pa.table(list(arrays.values()), names=["day" if k == "date" else k for k in arrays])
    return PurchaseLog(out, count, report, names, order_count)


def _read_clean(log: Any, customer: str, date: str) -> PurchaseLog | None:
    """The log read batch by batch straight into customer codes and day numbers, when every
    row is clean: ids present (integers or text), dates typed as dates or timestamps (a CSV
    file's ISO dates are) and present. The ids and dates as read are never all in memory
    at once beside their codes: each batch's dates become day numbers as it arrives, and
    the ids are encoded once all are in (see :func:`_encode`).

    None when a row needs the checks of :func:`read_log` (a missing id, a date as text or
    missing, a block of a CSV file that does not fit the types of the first): the log is
    then read whole by the careful path, which finds, counts and shows every bad row.
    """
    import pyarrow as pa

    source = "" if isinstance(log, pd.DataFrame) else pathlib.Path(log).name if is_path(log) else None
    if source is None:
        return None
    # a CSV file's times with an offset are read by arrow as UTC: the careful path keeps them local
    text_file = source and pathlib.Path(source).suffix.lower() not in PARQUET_SUFFIXES
    ids, days, rows = [], [], 0
    try:
        for batch in clean_batches(log, [customer, date]):
            ids_part, dates = batch.column(0), batch.column(1)
            if not (_plain_ids(ids_part) and typed_dates(dates)) or (
                    text_file and getattr(dates.type, "tz", None) is not None):
                return None
            ids.append(ids_part)
            days.append(days_of(dates))
            rows += batch.num_rows
    except (pa.ArrowException, OSError):  # whatever it is, the careful path will say it
        return None
    if not rows:
        return None
    codes, count = _encode(ids)
    table = pa.table({"customer": codes, "day": pa.chunked_array(days, pa.int32())})
    return PurchaseLog(table, count, LogReport(rows=rows, source=source), {"customer": customer, "date": date})


def _plain_ids(column) -> bool:
    """Integer ids, or text ids none of which is empty or blank; none missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if column.null_count:
        return False
    if pa.types.is_integer(kind):
        return True
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return not pc.any(pc.or_(pc.equal(column, ""), pc.utf8_is_space(column))).as_py()
    return False


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


def purchase_batches(log: PurchaseLog):
    """(customer codes int64, day numbers int64, amounts float64 or None) per batch of rows."""
    for batch in log.table.to_batches(max_chunksize=BATCH_ROWS):
        codes = batch.column(0).to_numpy().astype(np.int64)
        days = batch.column(1).to_numpy().astype(np.int64)
        amounts = batch.column("amount").to_numpy() if "amount" in batch.schema.names else None
        yield codes, days, amounts
