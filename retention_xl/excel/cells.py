"""What a cell value means, and how a result goes back into cells.

The Excel functions of :mod:`retention_xl.excel.functions` only read their
arguments with :func:`read_cells` / :func:`read_choice` and hand them to
:func:`evaluate` together with a core function. No formula and no validation
rule lives here: the core checks every number and names every bad one.

What a cell means (the same in both runtimes):

========================  =====================================================
cell                      read as
========================  =====================================================
a number                  that number (Lite sends whole numbers as int: same)
blank (None or "")        required argument: an error (a blank is never 0);
                          optional argument: its default
text "1,200", "92.5%"     1200 and 0.925, as Excel itself reads typed text
                          (comma thousands separator, dot decimal point)
any other text ("abc")    an error (#VALUE!): never guessed
text of other digits      an error (#VALUE!): Arabic-Indic or full-width digits
("١٢٣", "１２３")          are text in the template's formulas (ISNUMBER is false),
                          so they are text here too: one rule on every face
TRUE / FALSE              an error (#VALUE!)
an error cell (#N/A...)   the same error comes out (#N/A in, #N/A out)
========================  =====================================================

xlwings Lite may send a blank cell as 0, which Python cannot tell from a typed 0:
a blank *customers at start* still shows #DIV/0! (no customers at start), but a
blank *new customers* reads as 0 there. Type the 0 when you mean 0.

What comes out: good rows get their number. A bad row gets, in the classic
add-in (which cannot return real error values), one short line that starts with
the Excel error it stands for, then the reason and the row, e.g.
``#DIV/0! no customers at start of the period (customers at start is 0) in row 3``;
under xlwings Lite (``sys.platform == "emscripten"``) it gets the real error
value (#DIV/0!, #VALUE!, #NUM! or #N/A). Every good row of a range is still
computed, in one vectorised core call.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field as dataclass_field
from itertools import chain
from operator import itemgetter
from typing import Any, Callable

import numpy as np

from retention_xl.errors import Problem, RetentionInputError
from retention_xl.typed_text import number_from_text  # noqa: F401  (re-exported for the functions)
from retention_xl.validation import is_blank, label_of

#: Marks an argument without a default: a blank cell there is an error.
REQUIRED = object()

#: Cell error values as xlwings passes them (classic with ``err_to_str=True``, and Lite).
CELL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BUSY!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!",
})

#: The error values an Office.js function may return (Excel refuses #REF!, #NAME? as output).
LITE_ERRORS = frozenset({"#DIV/0!", "#VALUE!", "#NUM!", "#N/A"})

_PLAIN_TYPES = {float, int}


def in_lite() -> bool:
    """True under xlwings Lite (Pyodide in the browser), False in the classic add-in."""
    return sys.platform == "emscripten"


@dataclass
class Cells:
    """One argument read from Excel.

    ``values`` is a float array when every cell held a number; otherwise an
    object array in which the leftovers (blanks, "abc", booleans) stay as they
    were, so that the core names them. ``problems`` are the error cells, which
    the core never sees. ``scalar`` is True for one cell passed as a plain value.
    """

    field: str
    values: np.ndarray
    scalar: bool
    problems: list[Problem] = dataclass_field(default_factory=list)


def read_cells(value: Any, field: str, default: Any = REQUIRED) -> Cells:
    """Read one argument (a cell, a list, or a list of rows) for the core argument ``field``.

    A 1-D list is read as a column. A range of numbers only takes a fast path
    with no Python work per cell beyond a type check; messy ranges are read cell
    by cell.

    Examples
    --------
    What does the core get from a column with a typed "1,200", a blank and TRUE?

    >>> cells = read_cells([[107.0], ["1,200"], [None], [True]], "start")
    >>> cells.values.ravel().tolist()
    [107.0, 1200.0, None, True]
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        values = np.asarray(value, dtype=float)
        return Cells(field, values.reshape(-1, 1) if values.ndim == 1 else values, values.ndim == 0)
    if isinstance(value, (list, tuple, np.ndarray)):
        rows = list(value)
        if rows and isinstance(rows[0], (list, tuple, np.ndarray)):
            width = len(rows[0])
            if set(map(len, rows)) != {width}:  # C-level: no Python work per row
                return Cells(field, np.full((len(rows), 1), np.nan), False, [Problem(
                    field, f"{label_of(field)} is a ragged list of rows", "give rows of equal length")])
            flat = list(map(itemgetter(0), rows)) if width == 1 else list(chain.from_iterable(rows))
            shape = (len(rows), width)
        else:
            flat, shape = rows, (len(rows), 1)
        if set(map(type, flat)) <= _PLAIN_TYPES:
            return Cells(field, np.fromiter(flat, float, len(flat)).reshape(shape), False)
        return _read_each(flat, shape, field, default)
    cell, problem = _read_one(value, field, default)
    if problem:
        return Cells(field, np.array(np.nan), True, [problem])
    return Cells(field, np.array(cell, dtype=float if _is_number(cell) else object), True)


def read_choice(value: Any, default: str) -> Any:
    """A keyword cell such as mode ("points"): its default when blank; the core checks the rest."""
    if is_blank(value):
        return default
    return value


def _is_number(cell: Any) -> bool:
    return type(cell) in _PLAIN_TYPES


def _read_one(cell: Any, field: str, default: Any) -> tuple[Any, Problem | None]:
    """(what the core gets, None) or (None, the problem of an error cell)."""
    if is_blank(cell):
        return (cell if default is REQUIRED else default), None
    if isinstance(cell, str):
        if cell.strip() in CELL_ERRORS:
            code = cell.strip()
            return None, Problem(field, f"{label_of(field)} comes from a cell showing {code}",
                                 "fix that cell first", code)
        number = number_from_text(cell)
        return (cell if number is None else number), None
    if isinstance(cell, (bool, np.bool_)):
        return cell, None
    if isinstance(cell, (int, float, np.integer, np.floating)):
        return float(cell), None
    return cell, None


def _read_each(flat: list, shape: tuple[int, int], field: str, default: Any) -> Cells:
    values = np.empty(len(flat), dtype=object)
    problems = []
    for i, cell in enumerate(flat):
        values[i], problem = _read_one(cell, field, default)
        if problem:
            values[i] = np.nan
            position = tuple(int(p) for p in np.unravel_index(i, shape))
            problems.append(Problem(problem.field, problem.clause, problem.hint,
                                    problem.excel_error, position, position))
    if all(map(_is_number, values)):
        values = values.astype(float)
    return Cells(field, values.reshape(shape), False, problems)


# --------------------------------------------------------------------------- results
def message(problem: Problem, location: str = "") -> str:
    """What a bad cell shows: the error value under Lite, a short line in the classic add-in.

    >>> message(Problem("start", "no customers at start of the period", excel_error="#DIV/0!"), " in row 3")
    '#DIV/0! no customers at start of the period in row 3'
    """
    if in_lite():
        return problem.excel_error if problem.excel_error in LITE_ERRORS else "#VALUE!"
    return f"{problem.excel_error} {problem.clause}{location}"


def _size(shape: tuple[int, ...]) -> str:
    rows, columns = shape
    return f"{rows} row{'s' * (rows != 1)}" if columns == 1 else f"{rows} x {columns} cells"


def cell_location(position: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """Where a bad element sits inside the range, 1-based, as a person counts."""
    if len(shape) != 2 or shape == (1, 1):
        return ""
    row, column = position
    if shape[1] == 1:
        return f" in row {row + 1}"
    if shape[0] == 1:
        return f" in column {column + 1}"
    return f" in row {row + 1}, column {column + 1}"


def evaluate(core: Callable[..., Any], /, **arguments: Any) -> Any:
    """Call ``core`` on the cells and shape its answer for Excel.

    ``arguments`` maps the core's argument names to :class:`Cells` (read
    ranges) or to plain values (keywords such as ``mode``). One cell in gives
    one value out; ranges give a 2-D array in their broadcast shape. Bad rows
    get :func:`message` in their cell while the good rows are computed by one
    more core call on the good rows only; a problem that concerns the whole call
    (a wrong mode, ranges that do not fit together) gives one message.

    Examples
    --------
    Three periods, the second without customers at start:

    >>> import retention_xl as rx
    >>> cells = {name: read_cells(column, name) for name, column in
    ...          [("start", [[107.0], [0.0], [100.0]]), ("end", [[120.0], [5.0], [110.0]]),
    ...           ("new", [[21.0], [5.0], [20.0]])]}
    >>> for row in evaluate(rx.retention_rate, **cells):
    ...     print(row)
    [0.9252336448598131]
    ['#DIV/0! no customers at start of the period (customers at start is 0) in row 2']
    [0.9]
    """
    ranges = {name: value for name, value in arguments.items() if isinstance(value, Cells)}
    fixed = {name: value for name, value in arguments.items() if not isinstance(value, Cells)}
    whole = [p for cells in ranges.values() for p in cells.problems if p.position is None]
    if whole:
        return message(whole[0])
    if all(cells.scalar for cells in ranges.values()):
        return _single(core, ranges, fixed)
    # single cells go with any range; two ranges must have the same shape: a column and a
    # row would broadcast to a table nobody asked for (n x m results from n + m cells)
    shapes = {cells.values.shape for cells in ranges.values() if cells.values.size > 1}
    try:
        shape = np.broadcast_shapes(*(cells.values.shape for cells in ranges.values()))
    except ValueError:
        shape = None
    if len(shapes) > 1:
        shape = None
    if shape is None or any(cells.problems for cells in ranges.values()):
        return _row_by_row(core, ranges, fixed, shape)
    try:
        result = core(**{name: cells.values for name, cells in ranges.items()}, **fixed)
    except RetentionInputError as error:  # every bad row is in it: no second call on all rows
        return _row_by_row(core, ranges, fixed, shape, error)
    result = np.broadcast_to(np.asarray(result, dtype=float), shape)
    return float(result[0, 0]) if shape == (1, 1) else result


def _single(core, ranges: dict[str, Cells], fixed: dict) -> Any:
    result = call_once(core, **ranges, **fixed)
    return result if isinstance(result, str) else float(result)


def call_once(core: Callable[..., Any], /, **arguments: Any) -> Any:
    """The core's answer for single cells, or the :func:`message` of the first problem.

    For functions whose answer is not one number per row (the projection table):
    one cell per argument, one core call.

    >>> import retention_xl as rx
    >>> call_once(rx.customer_lifetime, retention=read_cells("abc", "retention"))
    "#VALUE! retention must be a number, got the text 'abc'"
    """
    values = {}
    for name, value in arguments.items():
        if isinstance(value, Cells):
            if value.problems:
                return message(value.problems[0])
            value = value.values[()] if value.scalar else value.values
        values[name] = value
    try:
        return core(**values)
    except RetentionInputError as error:
        return message(error.problems[0])


def _row_by_row(core, ranges: dict[str, Cells], fixed: dict, shape,
                found: RetentionInputError | None = None) -> Any:
    """Messages in the bad cells, numbers in the good ones.

    The core reports every bad row of a call in one pass, so the first call (all
    rows but the error cells) finds them all and a second call computes the good
    rows only. ``found`` is the error of a call on all rows already made.
    """
    if shape is None:
        sizes = ", ".join(f"{label_of(cells.field)} {_size(cells.values.shape)}"
                          for cells in ranges.values() if not cells.scalar)
        return message(Problem("input", f"the ranges do not fit together ({sizes})"))
    out = np.empty(shape, dtype=object)
    bad = np.zeros(shape, dtype=bool)
    for cells in ranges.values():  # error cells first: their error wins
        for problem in cells.problems:
            own = np.zeros(cells.values.shape, dtype=bool)
            own[problem.position] = True
            hit = np.broadcast_to(own, shape) & ~bad
            for position in zip(*np.nonzero(hit)):
                out[position] = message(problem, cell_location(position, shape))
            bad |= hit
    columns = {name: np.broadcast_to(cells.values, shape) for name, cells in ranges.items()}
    # the error of the call on all rows, when its positions are cells of the whole shape
    reuse = (found is not None and not bad.any()
             and all(p.position is None or len(p.position) == len(shape) for p in found.problems))
    for call in range(2):
        good = ~bad
        if not good.any():
            break
        whole = reuse and call == 0
        try:
            if whole:
                raise found
            result = core(**{name: values[good] for name, values in columns.items()}, **fixed)
        except RetentionInputError as error:
            flat_good = np.flatnonzero(good)
            for problem in error.problems:
                if problem.position is None or call:  # (the second call: never, the core is one pass)
                    return message(problem)
                index = (np.ravel_multi_index(problem.position, shape) if whole
                         else flat_good[problem.position[0]])
                position = np.unravel_index(index, shape)
                if not bad[position]:
                    bad[position] = True
                    out[position] = message(problem, cell_location(tuple(int(p) for p in position), shape))
            continue
        out[good] = np.asarray(result, dtype=float)
        break
    if shape == (1, 1):
        return out[0, 0]
    return out.tolist()
