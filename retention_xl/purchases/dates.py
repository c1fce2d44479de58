"""Purchase dates: text dates read by one form for the whole file, never guessed; day numbers.

Dates typed as dates or timestamps are taken as they are (a time zone's
timestamps as the local date); text dates are read as ISO, or by the one form of
:data:`DATE_FORMATS` that reads them all, and refused when two forms read them
all differently (3/4/2024). Once read, a purchase keeps only its day: an int32
count of days since 1970-01-01.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem, RetentionInputError
from .sources import OPTION_WORDS, at_source

__all__ = ["DATE_FORMATS", "parse_dates", "typed_dates", "day_column", "days_of"]

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


def parse_dates(column, date_format: str | None = None, where=None, source: str = "",
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
            date_format, parsed = _pick_format(text, where, source, face)
        else:
            parsed = _strptime_checked(text, date_format)
        bad = pc.and_(pc.is_null(parsed), pc.invert(missing))
        return parsed, (bad if pc.any(bad).as_py() else None), missing_or_none, date_format
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        raise RetentionInputError(Problem(
            "date", f"{at_source(source)}the date column holds numbers ({kind}), not dates",
            "give dates such as 2024-01-31 (an Excel serial number is not read as a date)"))
    raise RetentionInputError(Problem("date", f"{at_source(source)}the date column has the type {kind}, not dates",
                                      "give dates such as 2024-01-31"))


def _pick_format(text, where, source: str, face: str):
    """The one form of DATE_FORMATS that reads the most dates, and the dates it read (parsed
    once: the column is not read again); refused when two read as many but disagree on a day
    (3/4/2024 alone)."""
    import pyarrow.compute as pc

    present = text.drop_null()
    sample = present.slice(0, 2000)
    tried = []
    for fmt in DATE_FORMATS:
        if pc.count(_strptime_checked(sample, fmt)).as_py():
            parsed = _strptime_checked(text, fmt)
            tried.append((pc.count(parsed).as_py(), fmt, parsed))
    if not tried:  # nothing reads: every date is reported as unreadable
        return "%Y-%m-%d", _strptime_checked(text, "%Y-%m-%d")
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
                "date", f"{at_source(source)}the dates can be read two ways: {place} {value!r} would be "
                        f"{one:%d %B %Y} ({_FORMAT_WORDS.get(first_fmt, first_fmt)}) or {two:%d %B %Y} "
                        f"({_FORMAT_WORDS.get(fmt, fmt)})",
                f"{words.format(fmt=first_fmt)} or {words.format(fmt=fmt)}"))
    return first_fmt, first


def typed_dates(column) -> bool:
    import pyarrow as pa

    kind = column.type
    return not column.null_count and (pa.types.is_timestamp(kind) or pa.types.is_date(kind))


def day_column(dates):
    """int32 days since 1970-01-01 (floor) of a date or timestamp column, chunk by chunk
    (a time zone's timestamps as the local date, as written)."""
    import pyarrow as pa

    chunks = dates.chunks if isinstance(dates, pa.ChunkedArray) else [dates]
    return pa.chunked_array([days_of(chunk) for chunk in chunks], pa.int32())


def days_of(chunk):
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = chunk.type
    if pa.types.is_date32(kind):
        return pc.cast(chunk, pa.int32())
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        chunk = pc.local_timestamp(chunk)
    per_day = 86_400_000 if pa.types.is_date64(kind) else {
        "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[kind.unit]
    values = pc.cast(chunk, pa.int64()).to_numpy(zero_copy_only=False)
    return pa.array(np.floor_divide(values, per_day).astype(np.int32))
