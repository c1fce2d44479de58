"""The one validation layer behind every face (docs/methodology.md section 2).

Inputs may be scalars, sequences, numpy arrays or pandas Series. Each argument is
converted to a float array once, checked, and broadcast like numpy. Blanks
(None, NaN, empty text) are errors, never zeros; text is never guessed at (the
Excel face decides what a cell such as ``"1,200"`` means before it calls the core).

Valid data take a fast path: a few min/max reductions, with no temporary arrays,
decide that every element is fine. Only when that test fails does the slow path
build masks and name each bad element.

Numbers a spreadsheet calls equal, because they agree to 15 significant digits,
are equal in every rule that compares two computed numbers
(:data:`EQUAL_TOLERANCE`, :func:`within_15_digits`, docs/equal-numbers.md).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .errors import Problem, RetentionInputError

#: The validation API the core modules share (not part of the package's public names);
#: everything else here is internal to this module.
__all__ = ["ANY_NUMBER", "COUNT", "EQUAL_TOLERANCE", "FRACTION", "LABELS", "MONEY", "POSITIVE",
           "POSITIVE_COUNT", "RATE", "RETENTION_BELOW_ONE", "Bounds", "Inputs", "all_problems",
           "checked_counts", "choice", "collect", "convert", "finite_problems", "finite_results",
           "flag", "is_blank", "kept_customers", "label_of", "prepare", "problem_rows", "raise_if",
           "show", "within_15_digits"]

#: How each argument is named in messages.
LABELS = {
    "start": "customers at start",
    "end": "customers at end",
    "new": "new customers",
    "retention": "retention",
    "churn": "churn",
    "periods": "periods",
    "margin": "margin per customer",
    "discount_rate": "discount rate",
    "acquisition_cost": "acquisition cost",
    "uplift": "uplift",
    "customers": "customers now",
    "new_customers": "new customers per period",
    "fixed_cost": "fixed cost per period",
    "active": "active customers",
}


def label_of(field: str) -> str:
    return LABELS.get(field, field.replace("_", " "))


def show(value: Any) -> str:
    """A number as a spreadsheet shows it: up to 15 significant digits, trailing zeros trimmed.

    Plain digits from 1e-10 up to 1e15 (as LibreOffice and Excel join a number
    into text), an exponent beyond.

    >>> show(25.0), show(92.5), show(0.4 - 0.1), show(1 / 3), show(1e-5), show(-0.0)
    ('25', '92.5', '0.3', '0.333333333333333', '0.00001', '0')
    >>> show(float("inf")), show(1e20)
    ('inf', '1e+20')
    """
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value == 0:
            return "0"
        if 1e-10 <= abs(value) < 1e15:
            return np.format_float_positional(value, precision=SIGNIFICANT_DIGITS, unique=False,
                                              fractional=False, trim="-")
        return f"{value:.{SIGNIFICANT_DIGITS}g}"
    return str(value)


# --------------------------------------------------------------------------- equal to 15 digits
#: A spreadsheet keeps and shows 15 significant digits; numbers that agree to them are equal.
SIGNIFICANT_DIGITS = 15
#: Two sides of a rule are equal when they differ by at most this share of the largest
#: number the rule is computed from (half a unit in the 15th digit of a number starting
#: with 1). It covers both engines' own habits: Excel rounds the two sides of a comparison
#: to 15 significant digits and LibreOffice calls numbers equal within 2**-48 (3.6e-15) of
#: them, so no engine calls equal what the core calls different (docs/equal-numbers.md).
EQUAL_TOLERANCE = 5e-15


def within_15_digits(difference: Any, scale: Any) -> np.ndarray:
    """True where ``|difference| <= EQUAL_TOLERANCE * scale``: zero to 15 significant digits.

    ``scale`` is the largest magnitude among the numbers ``difference`` was computed
    from: ``0.4 - 0.1 - 0.3`` (5.6e-17) is zero to 15 digits of 0.4.

    >>> bool(within_15_digits(0.4 - 0.1 - 0.3, 0.4)), bool(within_15_digits(1e-9, 1.0))
    (True, False)
    """
    difference = np.asarray(difference)
    with np.errstate(invalid="ignore"):
        # inf is never "equal" to anything, whatever its scale
        return (np.abs(difference) <= EQUAL_TOLERANCE * np.asarray(scale)) & np.isfinite(difference)


def kept_customers(start: Any, end: Any, new: Any) -> np.ndarray:
    """Customers kept, ``end - new``, exact where it equals ``start`` or 0 to 15 digits.

    The rules "end - new <= start" and "new <= end" compare sums of typed counts;
    their two sides are equal when they agree to 15 significant digits of the
    largest count (``max(end, start + new)`` and ``max(end, new)``). At such a
    boundary the kept customers are exactly ``start`` (retention 1, lost 0) or
    exactly 0 (retention 0), never 1 - 1e-16 or 2.8e-17. When both hold (a start
    too small to register against end and new) the nearer one wins.

    >>> kept_customers(0.3, 0.4, 0.1), 0.4 - 0.1
    (array(0.3), 0.30000000000000004)
    """
    start, end, new = (np.asarray(a, dtype=float) for a in (start, end, new))
    with np.errstate(all="ignore"):
        kept = end - new
        near_start = within_15_digits(kept - start, np.maximum(end, start + new))
        near_zero = within_15_digits(kept, np.maximum(end, new))
        to_start = near_start & (~near_zero | (kept + kept >= start))
        to_zero = near_zero & ~to_start
    return np.where(to_start, start, np.where(to_zero, 0.0, kept))


@dataclass(frozen=True)
class Bounds:
    """The valid interval of one argument and how to say it."""

    low: float = -math.inf
    low_inclusive: bool = True
    high: float = math.inf
    high_inclusive: bool = False
    valid: str = "a finite number"
    note: str = ""  # how to write a valid value, or why the bound exists

    def hint(self, lead: str = "") -> str:
        return "; ".join(part for part in (lead, self.note) if part)

    def bounds_ok(self, lowest: float, highest: float) -> bool:
        """True when every value between ``lowest`` and ``highest`` is valid (NaN: False)."""
        low_ok = lowest >= self.low if self.low_inclusive else lowest > self.low
        high_ok = highest <= self.high if self.high_inclusive else highest < self.high
        return bool(low_ok and high_ok and math.isfinite(lowest) and math.isfinite(highest))

    def below(self, values: np.ndarray) -> np.ndarray:
        return values < self.low if self.low_inclusive else values <= self.low

    def above(self, values: np.ndarray) -> np.ndarray:
        return values > self.high if self.high_inclusive else values >= self.high


COUNT = Bounds(low=0.0, valid="a count of 0 or more")
POSITIVE_COUNT = Bounds(low=0.0, low_inclusive=False, valid="a count above 0")
ANY_NUMBER = Bounds(valid="a finite number")
MONEY = Bounds(low=0.0, valid="an amount of 0 or more")
RATE = Bounds(low=0.0, valid="a rate of 0 or more", note="write 0.1 for 10%")
FRACTION = Bounds(low=0.0, high=1.0, high_inclusive=True, valid="a fraction from 0 to 1",
                 note="write 0.925 for 92.5%")
RETENTION_BELOW_ONE = Bounds(
    low=0.0, high=1.0, high_inclusive=False,
    valid="a fraction from 0 up to but not including 1",
    note="write 0.925 for 92.5%; at 1 no customer ever leaves and the value is infinite")
POSITIVE = Bounds(low=0.0, low_inclusive=False, valid="a number above 0")


# --------------------------------------------------------------------------- conversion
@dataclass
class Converted:
    """One argument as a float array, with what conversion found wrong."""

    field: str
    values: np.ndarray
    index: pd.Index | None
    scalar: bool
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def is_blank(value: Any) -> bool:
    """Whether a cell or value is empty: None, blank text, NaN, pd.NA or NaT (the one test, every face).

    >>> is_blank(None), is_blank("  "), is_blank(float("nan")), is_blank(0), is_blank("0")
    (True, True, True, False, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, Decimal):
        return value.is_nan()  # NaN and the signalling sNaN alike
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return False


def _element(value: Any, field: str) -> tuple[float, tuple[str, str, str] | None]:
    """Convert one element; returns (number, None) or (nan, (clause, hint, excel_error))."""
    label = label_of(field)
    if is_blank(value):
        return math.nan, (f"{label} is blank",
                          "enter a number (a blank is never read as 0)", "#VALUE!")
    if isinstance(value, (bool, np.bool_)):
        return math.nan, (f"{label} must be a number, got the true/false value {value}",
                          f"enter {label} as a number", "#VALUE!")
    if isinstance(value, str):
        return math.nan, (f"{label} must be a number, got the text {str(value)!r}",
                          "enter a plain number such as 1200 or 0.925", "#VALUE!")
    if isinstance(value, (np.timedelta64, np.datetime64)):
        kind = "time span" if isinstance(value, np.timedelta64) else "date"
        return math.nan, (f"{label} must be a number, got the {kind} {value}",
                          f"enter {label} as a plain number", "#VALUE!")
    if isinstance(value, (numbers.Real, Decimal)):
        try:
            return float(value), None
        except OverflowError:  # an int beyond the largest float (1.8e308)
            return math.nan, (f"{label} must be a finite number, got {_show_huge(value)}",
                              "enter a number below 1.8e308", "#NUM!")
    return math.nan, (f"{label} must be a number, got a {type(value).__name__}",
                      "enter a plain number", "#VALUE!")


def _show_huge(value: Any) -> str:
    """A number beyond the float range in 15 significant digits: 10**400 -> '1e+400'."""
    try:
        if isinstance(value, numbers.Rational) and not isinstance(value, numbers.Integral):
            value = Decimal(value.numerator) / Decimal(value.denominator)  # a Fraction
        mantissa, exponent = f"{Decimal(value):.14e}".split("e")
    except (TypeError, ValueError, ArithmeticError):
        return "a number beyond 1.8e308"
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


_NUMERIC_KINDS = "iuf"


def convert(value: Any, field: str) -> Converted:
    """Turn one argument into a float array and record blank or non-numeric elements."""
    index = None
    if isinstance(value, pd.Series):
        index = value.index
        if value.dtype.kind in _NUMERIC_KINDS:
            array = value.to_numpy(dtype=float)
        elif pd.api.types.is_extension_array_dtype(value.dtype) and \
                pd.api.types.is_numeric_dtype(value.dtype) and not pd.api.types.is_bool_dtype(value.dtype):
            array = value.to_numpy(dtype=float, na_value=np.nan)
        else:
            array = value.to_numpy(dtype=object)
        scalar = False
    elif isinstance(value, np.ma.MaskedArray):
        # a masked element is missing data: a blank, named by its row, never its hidden value
        if value.ndim == 0:  # np.ma.masked, or a masked single number
            return convert(None if np.ma.getmaskarray(value).item() else value.data.item(), field)
        array, scalar = value.data, False
        mask = np.ma.getmaskarray(value)
        if mask.any():
            array = array.astype(object)
            array[mask] = None
    elif isinstance(value, np.ndarray):
        array, scalar = value, False
    elif isinstance(value, (list, tuple, pd.Index)):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged nesting
            raise RetentionInputError(Problem(
                field, f"{label_of(field)} is a ragged list of rows",
                "give one number per row, or rows of equal length")) from None
        scalar = False
    else:
        number, problem = _element(value, field)
        if problem:
            clause, hint, excel = problem
            if field == "start" and clause.endswith("is blank"):
                clause, excel = "no customers at start of the period (customers at start is blank)", "#DIV/0!"
            return Converted(field, np.asarray(math.nan), None, True,
                             [Problem(field, clause, hint, excel)])
        return Converted(field, np.asarray(number, dtype=float), None, True, [])

    if array.dtype.kind in _NUMERIC_KINDS:
        return Converted(field, np.asarray(array, dtype=float), index, scalar, [])
    # bool, text or object arrays: element by element (only messy input comes this way)
    flat = array.ravel()
    numbers_out = np.empty(flat.shape, dtype=float)
    problems = []
    for i, item in enumerate(flat):
        number, problem = _element(item, field)
        numbers_out[i] = number
        if problem:
            position = np.unravel_index(i, array.shape)
            clause, hint, excel = problem
            if field == "start" and clause.endswith("is blank"):
                clause, excel = "no customers at start of the period (customers at start is blank)", "#DIV/0!"
            problems.append(Problem(field, clause, hint, excel,
                                    tuple(int(p) for p in position),
                                    _label(index, position)))
    return Converted(field, numbers_out.reshape(array.shape), index, scalar, problems)


def _label(index: pd.Index | None, position: tuple[int, ...]):
    if index is not None and len(position) == 1:
        return index[position[0]]
    return position[0] if len(position) == 1 else tuple(int(p) for p in position)


# --------------------------------------------------------------------------- range checks
def range_problems(arg: Converted, valid: Bounds) -> list[Problem]:
    """Every element of ``arg`` outside ``valid`` (conversion problems excluded)."""
    values = arg.values
    if values.size == 0:
        return []
    if valid.bounds_ok(float(np.min(values)), float(np.max(values))):
        return []
    already_bad = np.zeros(values.shape, dtype=bool)
    for p in arg.problems:
        if p.position is not None:
            already_bad[p.position] = True
        else:
            already_bad[...] = True
    label = label_of(arg.field)
    problems = []
    checks = (
        (np.isnan(values), lambda v: (f"{label} is blank (NaN)",
                                      "enter a number (a blank is never read as 0)", "#VALUE!")),
        (np.isinf(values), lambda v: (f"{label} must be a finite number, got {show(v)}",
                                      valid.hint(f"enter {valid.valid}"), "#NUM!")),
        (valid.below(values), lambda v: _below_message(label, v, valid)),
        (valid.above(values), lambda v: (f"{label} must be {valid.valid}, got {show(v)}",
                                         valid.hint(), "#NUM!")),
    )
    taken = already_bad.copy()
    found: list[tuple[tuple[int, ...], Problem]] = []
    for mask, describe in checks:
        mask = mask & ~taken
        taken |= mask
        for position in zip(*np.nonzero(mask)) if values.ndim else ([()] if mask else []):
            clause, hint, excel = describe(values[position])
            found.append((position, _problem(arg, clause, hint, excel, position)))
    found.sort(key=lambda item: item[0])
    problems.extend(p for _, p in found)
    return problems


def _below_message(label: str, value: float, valid: Bounds) -> tuple[str, str, str]:
    if valid.low == 0 and valid.low_inclusive:
        return f"{label} cannot be negative, got {show(value)}", valid.hint(f"enter {valid.valid}"), "#NUM!"
    return f"{label} must be {valid.valid}, got {show(value)}", valid.hint(), "#NUM!"


def _problem(arg: Converted, clause: str, hint: str, excel: str, position) -> Problem:
    if arg.scalar:
        return Problem(arg.field, clause, hint, excel)
    position = tuple(int(p) for p in position)
    return Problem(arg.field, clause, hint, excel, position, _label(arg.index, position))


# --------------------------------------------------------------------------- broadcasting
@dataclass
class Inputs:
    """Several converted arguments, broadcast together, and how to shape a result."""

    args: dict[str, Converted]
    shape: tuple[int, ...]
    index: pd.Index | None

    def __getitem__(self, field: str) -> np.ndarray:
        return self.args[field].values

    @property
    def scalar(self) -> bool:
        return all(a.scalar for a in self.args.values())

    def wrap(self, result: np.ndarray, name: str | None = None):
        """Float for all-scalar input, a Series (same index) if a Series came in, else an array."""
        if self.scalar:
            return float(result)
        if self.index is not None:
            if result.shape != self.shape:
                result = np.broadcast_to(result, self.shape).copy()
            # the result is a fresh array of ours: no need for pandas to copy it again
            return pd.Series(result, index=self.index, name=name, copy=False)
        return result

    def label(self, position: tuple[int, ...]):
        return _label(self.index, position)


def prepare(checks: dict[str, tuple[Any, Bounds]], extra: Iterable[Problem] = ()) -> Inputs:
    """Convert and range-check each argument, broadcast them, raise on any problem.

    ``checks`` maps argument name to (value, valid range). Bounds checks are done
    per argument, in its own shape, before broadcasting.
    """
    inputs = collect(checks)
    raise_if(list(extra) + all_problems(inputs, checks))
    return inputs


def collect(checks: dict[str, tuple[Any, Bounds]]) -> Inputs:
    """Convert and broadcast the arguments without raising range problems yet."""
    args = {name: convert(value, name) for name, (value, _) in checks.items()}
    index = None
    index_from = None
    for arg in args.values():
        if arg.index is None:
            continue
        if index is None:
            index, index_from = arg.index, arg.field
        elif not (len(arg.index) == len(index) and arg.index.equals(index)):
            raise RetentionInputError(Problem(
                arg.field,
                f"{label_of(arg.field)} and {label_of(index_from)} are Series with different indexes",
                "give Series with the same index (for example columns of one DataFrame)"))
    try:
        shape = np.broadcast_shapes(*(a.values.shape for a in args.values()))
    except ValueError:
        shapes = ", ".join(f"{label_of(a.field)} {a.values.shape}" for a in args.values())
        raise RetentionInputError(Problem(
            "input", f"the inputs have shapes that do not fit together ({shapes})",
            "give columns of the same length, or single numbers")) from None
    if index is not None and shape != (len(index),):
        raise RetentionInputError(Problem(
            index_from, f"{label_of(index_from)} has {len(index)} rows but the inputs broadcast to {shape}",
            "give columns of the same length"))
    return Inputs(args, shape, index)


def all_problems(inputs: Inputs, checks: dict[str, tuple[Any, Bounds]]) -> list[Problem]:
    problems: list[Problem] = []
    for name, (_, valid) in checks.items():
        arg = inputs.args[name]
        problems.extend(arg.problems)
        problems.extend(range_problems(arg, valid))
    return problems


def raise_if(problems: list[Problem]) -> None:
    if problems:
        problems = sorted(problems, key=lambda p: (p.position is not None, p.position or ()))
        raise RetentionInputError(problems)


def choice(value: Any, field: str, options: tuple[str, ...]) -> str:
    """A keyword such as ``method`` or ``mode``: one of ``options``, case-insensitive."""
    if isinstance(value, str) and value.strip().lower() in options:
        return value.strip().lower()
    listed = ", ".join(repr(o) for o in options)
    raise RetentionInputError(Problem(field, f"{label_of(field)} must be one of {listed}, got {value!r}"))


def flag(value: Any, field: str) -> bool:
    """A yes/no option such as ``absolute``: True or False only, never text read as true."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise RetentionInputError(Problem(
        field, f"{label_of(field)} must be True or False, got {value!r}",
        f"write {field}=True or {field}=False"))


def finite_results(result: Any, inputs: Inputs, what: str):
    """``result`` when every element is a finite number; else a sentence naming the inputs.

    A result beyond the float range (1.8e308) is not a number a person can use:
    ``customer_value(1e308, 0.99)`` is refused, never returned as inf.
    """
    result = np.asarray(result)
    if np.all(np.isfinite(result)):
        return result
    raise RetentionInputError(finite_problems(result, inputs, what))


def problem_rows(problems: Iterable[Problem], shape: tuple[int, ...]) -> np.ndarray:
    """Where ``problems`` lie, as a mask of ``shape`` (a problem without a position covers all).

    Lets one pass of checks skip the rows an earlier check already refused, so each
    row gets one problem and every bad row is found in the same call.
    """
    bad = np.zeros(shape, dtype=bool)
    for p in problems:
        if p.position is None:
            bad[...] = True
        elif len(p.position) == len(shape):
            bad[p.position] = True
        else:  # a lower-dimensional argument: its row covers a whole broadcast slice
            bad[(Ellipsis,) + p.position] = True
    return bad


def finite_problems(result: Any, inputs: Inputs, what: str, skip: Any = None) -> list[Problem]:
    """The problems :func:`finite_results` would raise, without raising; rows in ``skip`` are left out."""
    shaped = np.broadcast_to(np.asarray(result), inputs.shape)
    infinite = ~np.isfinite(shaped)
    if skip is not None:
        infinite = infinite & ~skip
    problems = []
    for position in _positions(infinite):
        given = ", ".join(f"{label_of(name)} {show(np.broadcast_to(arg.values, inputs.shape)[position])}"
                          for name, arg in inputs.args.items())
        value = shaped[position]
        shown = f" ({show(value)})" if np.isinf(value) else ""
        clause = f"{what} is too large to compute{shown} from {given}"
        hint = "check the inputs: no number a spreadsheet holds (up to 1.8e308) can show it"
        problems.append(Problem("input", clause, hint, "#NUM!") if inputs.scalar else
                        Problem("input", clause, hint, "#NUM!", position, inputs.label(position)))
    return problems


# --------------------------------------------------------------------------- the three counts
START_RANGE = Bounds(low=0.0, low_inclusive=False, valid="a count above 0")


def checked_counts(start: Any, end: Any, new: Any) -> tuple[Inputs, np.ndarray]:
    """Validate customers at start, at end and new; return the inputs and the retention.

    Rules (docs/methodology.md section 2): each count is a finite number, 0 or more; there
    are customers at start; new customers do not exceed customers at end; and no
    more customers are kept than there were at the start. The two last rules
    compare sums of counts, equal when they agree to 15 significant digits
    (:func:`kept_customers`), so retention is exactly 1 for (0.3, 0.4, 0.1) and
    never leaves [0, 1]. The retention ``(end - new) / start`` is computed once,
    in place, and also serves the check.
    """
    checks = {"start": (start, START_RANGE), "end": (end, COUNT), "new": (new, COUNT)}
    inputs = collect(checks)
    args = inputs.args
    start_v, end_v, new_v = args["start"].values, args["end"].values, args["new"].values
    converted_ok = all(a.ok for a in args.values())
    with np.errstate(all="ignore"):
        if converted_ok and _same_contiguous_shape(inputs.shape, start_v, end_v, new_v):
            retention, fine = _retention_in_blocks(start_v, end_v, new_v)
        else:
            kept = np.subtract(end_v, new_v)
            in_place = kept.ndim > 0 and kept.shape == inputs.shape
            retention = np.divide(kept, start_v, out=kept if in_place else None)
            fine = converted_ok and _counts_fast_ok(start_v, new_v, retention)
    if fine:
        return inputs, retention
    raise_if(_count_problems(inputs, checks))
    # valid, but some kept count sits within 15 digits of start or of 0: make it exact
    start_b, end_b, new_b = (np.broadcast_to(args[f].values, inputs.shape) for f in ("start", "end", "new"))
    with np.errstate(all="ignore"):
        return inputs, np.divide(kept_customers(start_b, end_b, new_b), start_b)


#: Elements per block (measured: 2**15 to 2**17 are equally fast here; smaller pays Python overhead).
_BLOCK = 1 << 16


def _same_contiguous_shape(shape, *arrays: np.ndarray) -> bool:
    return len(shape) > 0 and all(a.shape == shape and a.flags.c_contiguous for a in arrays)


def _retention_in_blocks(start: np.ndarray, end: np.ndarray, new: np.ndarray):
    """(end - new) / start with the fast checks, block by block while the data is in cache.

    One pass over memory instead of seven (a subtraction, a division and five
    reductions over whole columns): validation costs less than the temporary
    array that the bare expression allocates.
    """
    start_f, end_f, new_f = start.reshape(-1), end.reshape(-1), new.reshape(-1)
    out = np.empty(start.shape)
    out_f = out.reshape(-1)
    for begin in range(0, out_f.size, _BLOCK):
        block = slice(begin, begin + _BLOCK)
        result = out_f[block]
        np.subtract(end_f[block], new_f[block], out=result)
        np.divide(result, start_f[block], out=result)
        if not _counts_fast_ok(start_f[block], new_f[block], result):
            return out, False
    return out, True


def _counts_fast_ok(start: np.ndarray, new: np.ndarray, retention: np.ndarray) -> bool:
    """Every rule holds and no retention needs making exact, decided with reductions.

    With start in (0, inf) and new >= 0, a retention in [0, 1] means
    0 <= end - new <= start, so end is finite and at least new. NaN fails every
    comparison. A kept count within 15 digits of start or 0 (:func:`kept_customers`)
    has a retention within ``band`` of 1 or 0: ``max(end, start + new) / start``
    is at most ``1 + max(new) / min(start)`` when retention <= 1. Exact 0 and 1
    need nothing; any other value in a band sends the data to the exact path.
    """
    if retention.size == 0:
        return True
    lowest_start = np.min(start)
    lowest, highest = np.min(retention), np.max(retention)
    if not (np.min(new) >= 0 and lowest_start > 0 and np.max(start) < math.inf
            and lowest >= 0 and highest <= 1):
        return False
    # 10% and 1e-15 of slack cover the rounding of the division (an ulp of 1 is 1.1e-16)
    band = 1.1 * EQUAL_TOLERANCE * (1.0 + float(np.max(new)) / float(lowest_start)) + 1e-15
    # a few values sit in a band: exact 0s and 1s need nothing (gathering them is cheaper
    # than counting the whole block twice)
    if lowest <= band and np.any(retention[retention <= band]):
        return False
    if highest >= 1 - band and np.any(retention[retention >= 1 - band] != 1):
        return False
    return True


def _count_problems(inputs: Inputs, checks) -> list[Problem]:
    args = inputs.args
    problems = list(all_problems(inputs, checks))
    # start == 0 gets its own message (#DIV/0!) instead of the generic range one
    problems = [_zero_start(p, args["start"]) if p.field == "start" else p for p in problems]
    bad = problem_rows(problems, inputs.shape)
    start_b, end_b, new_b = (np.broadcast_to(args[f].values, inputs.shape) for f in ("start", "end", "new"))
    with np.errstate(all="ignore"):
        kept_b = end_b - new_b
        # beyond 15 significant digits only (kept_customers): 0.4 - 0.1 is not above 0.3
        too_many_new = (new_b > end_b) & ~within_15_digits(kept_b, np.maximum(end_b, new_b)) & ~bad
        too_many_kept = ((kept_b > start_b) & ~within_15_digits(kept_b - start_b, np.maximum(end_b, start_b + new_b))
                         & ~bad & ~too_many_new)
    scalar = inputs.scalar
    for position in _positions(too_many_new):
        e, n = end_b[position], new_b[position]
        problems.append(_located(
            inputs, scalar, "new", position,
            f"new customers ({show(n)}) cannot exceed customers at end ({show(e)})",
            f"customers at end include the new ones, so new customers can be at most {show(e)}"))
    for position in _positions(too_many_kept):
        s, e, n = start_b[position], end_b[position], new_b[position]
        problems.append(_located(
            inputs, scalar, "end", position,
            f"customers at end minus new customers ({show(e)} - {show(n)} = {show(e - n)}) "
            f"is more than customers at start ({show(s)})",
            "more customers were kept than there were at the start: new customers is "
            "probably too small, or reactivated customers were counted as kept"))
    return problems


def _zero_start(problem: Problem, start: Converted) -> Problem:
    value = start.values[problem.position] if problem.position is not None else start.values
    if problem.excel_error == "#NUM!" and float(value) == 0:
        return Problem("start", "no customers at start of the period (customers at start is 0)",
                       "retention is undefined without customers at the start; "
                       "check the period or leave it out", "#DIV/0!",
                       problem.position, problem.label)
    return problem


def _positions(mask: np.ndarray):
    if mask.ndim == 0:
        return [()] if mask else []
    return [tuple(int(i) for i in p) for p in zip(*np.nonzero(mask))]


def _located(inputs: Inputs, scalar: bool, field: str, position, clause: str, hint: str) -> Problem:
    if scalar:
        return Problem(field, clause, hint, "#NUM!")
    return Problem(field, clause, hint, "#NUM!", position, inputs.label(position))

