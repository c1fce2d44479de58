"""Where a purchase log comes from: a DataFrame, a Parquet file or a CSV file, as Arrow columns.

:func:`load_table` reads the columns whole (any encoding, types guessed and read
again as text when a later block does not fit them); :func:`clean_batches`
streams them batch by batch for the fast reading of a clean log. Both say, in
the user's own words (:data:`OPTION_WORDS`), which column is missing.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, RetentionInputError

__all__ = ["OPTION_WORDS", "BATCH_ROWS", "CSV_BLOCK_BYTES", "PARQUET_SUFFIXES", "at_source", "is_path",
           "missing_columns", "load_table", "read_csv_table", "clean_batches"]

#: File name endings read as Parquet (any other file is read as CSV).
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")

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

#: Rows handled at once: large enough for numpy to be efficient, small enough that the
#: temporary arrays (a few bytes per row) stay in the tens of megabytes.
BATCH_ROWS = 1 << 20
#: Bytes of a CSV file parsed at a time when it is streamed: the reader's blocks in flight
#: then take a few tens of megabytes (8 MiB blocks take about 250 MiB).
CSV_BLOCK_BYTES = 1 << 21


def at_source(source: str) -> str:
    """'purchases.csv: ' to start a message about a file ('' for a DataFrame)."""
    return f"{source}: " if source else ""


def is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def missing_columns(missing, present, source: str = "the purchase log",
                     face: str = "python") -> RetentionInputError:
    return RetentionInputError(Problem(
        "log", f"{source} has no column {', '.join(repr(m) for m in missing)}; "
               f"its columns are: {', '.join(map(str, present))}",
        OPTION_WORDS[face]["columns"]))


def load_table(source: Any, columns: list[str], face: str = "python"):
    """The requested columns as a pyarrow Table, how to name a row in messages, and the source."""
    import pyarrow as pa

    if isinstance(source, pd.DataFrame):
        missing = [c for c in columns if c not in source.columns]
        if missing:
            raise missing_columns(missing, source.columns, face=face)
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
    if not is_path(source):
        raise RetentionInputError(Problem(
            "log", f"the purchase log must be a DataFrame or the path of a CSV or Parquet file, "
                   f"got {type(source).__name__}"))
    path = pathlib.Path(source)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise RetentionInputError(Problem(
                "log", f"{path.name} is not a Parquet file that can be read ({error})",
                "save the log again as Parquet, or as CSV")) from None
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise missing_columns(missing, schema.names, path.name, face)
        return pq.read_table(path, columns=columns), (lambda i: f"row {i + 1}"), path.name
    return read_csv_table(path, columns, face), (lambda i: f"line {i + 2}"), path.name


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


def read_csv_table(path: pathlib.Path, columns: list[str], face: str = "python"):
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
    read_options = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding=encoding)
    try:
        header = pacsv.open_csv(path, read_options=read_options,
                                convert_options=pacsv.ConvertOptions(include_columns=[])).schema.names
    except pa.ArrowInvalid:
        header = None
    if header is not None:
        missing = [c for c in columns if c not in header]
        if missing:
            raise missing_columns(missing, header, path.name, face)

    def read(types):
        options = pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True,
                                       column_types=types)
        reader = pacsv.open_csv(path, convert_options=options, read_options=read_options)
        table = pa.Table.from_batches(list(reader), schema=reader.schema)
        # arrow reads a time with an offset (10:00+02:00) as UTC; read as text, the offset
        # is dropped and the date stays the local one, as written
        zoned = {name: pa.string() for name, kind in zip(table.column_names, table.schema.types)
                 if pa.types.is_timestamp(kind) and kind.tz is not None}
        return read(dict(types, **zoned)) if zoned else table

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
                read_options = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding=encoding)
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


def clean_batches(log: Any, columns: list[str]):
    """Record batches of the two columns, in that order, from a DataFrame, a Parquet file (row
    group by row group) or a UTF-8 CSV file (block by block); raises what pyarrow raises."""
    import pyarrow as pa

    if isinstance(log, pd.DataFrame):
        if any(c not in log.columns for c in columns):
            raise pa.ArrowKeyError("a column is missing")
        table, _, _ = load_table(log, columns)
        yield from table.to_batches(max_chunksize=BATCH_ROWS)
        return
    path = pathlib.Path(log)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as file:
            if any(c not in file.schema_arrow.names for c in columns):
                raise pa.ArrowKeyError("a column is missing")
            groups = range(file.metadata.num_row_groups)
            if any(file.metadata.row_group(i).num_rows > 4 * BATCH_ROWS for i in groups):
                yield from file.iter_batches(batch_size=BATCH_ROWS, columns=columns)
                return
            for i in groups:
                yield from file.read_row_group(i, columns=columns).to_batches()
        return
    import pyarrow.csv as pacsv

    if path.stat().st_size == 0 or _csv_encoding(path) != "utf-8":
        raise pa.ArrowInvalid("not a UTF-8 CSV file with rows")
    yield from pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        convert_options=pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True))
