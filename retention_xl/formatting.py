"""Numbers as people read them: 92.5%, $1,234, 1,500, +5 points.

Shared by the faces (widgets, command line, reports) so that a number reads the
same everywhere. Formatting only: nothing here computes a metric.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext


def percent(fraction: float, decimals: int = 1, sign: bool = False) -> str:
    """0.92523 -> '92.5%'; with ``sign=True`` 0.476 -> '+47.6%'.

    >>> percent(0.9252336), percent(0.476, sign=True), percent(-0.05, 0)
    ('92.5%', '+47.6%', '-5%')
    """
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    text = f"{fraction * 100:{'+' if sign else ''},.{decimals}f}%"
    return text.replace("-0.0%", "0.0%").replace("+-", "-")


def money(amount: float, symbol: str = "$", decimals: int = 0, sign: bool = False) -> str:
    """1234.5 -> '$1,235'; -20000 -> '-$20,000'; with ``sign=True`` 5 -> '+$5'.

    >>> money(1234.5), money(-20000), money(166.666, decimals=2), money(5, sign=True)
    ('$1,235', '-$20,000', '$166.67', '+$5')
    >>> import numpy as np; money(np.float64(2500.0))
    '$2,500'
    >>> money(1e20)  # large amounts in full, never an error
    '$100,000,000,000,000,000,000'
    """
    if amount is None or not math.isfinite(amount):
        return "n/a"
    # half-up, as accountants round: 1234.5 -> 1,235 (round() would give 1,234)
    # float(): repr of a numpy float is "np.float64(...)", which Decimal cannot read
    with localcontext() as context:
        context.prec = 400  # every digit of the largest float (1.8e308), never InvalidOperation
        rounded = Decimal(repr(float(abs(amount)))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    minus = amount < 0 and rounded != 0
    prefix = "-" if minus else ("+" if sign and rounded != 0 else "")
    return f"{prefix}{symbol}{rounded:,.{decimals}f}"


def count(number: float, decimals: int = 0) -> str:
    """1500 -> '1,500'; 92.5 -> '92.5' with ``decimals=1``.

    >>> count(1500), count(8.0), count(1092.5, 1)
    ('1,500', '8', '1,092.5')
    """
    if number is None or not math.isfinite(number):
        return "n/a"
    return f"{number:,.{decimals}f}"


def count_as_given(number: float) -> str:
    """A count with decimals only when it has some: 8.0 -> '8', 2.5 -> '2.5' (customers may be averages).

    >>> count_as_given(8.0), count_as_given(1092.5), count_as_given(1500)
    ('8', '1,092.5', '1,500')
    """
    if number is None or not math.isfinite(number):
        return "n/a"
    return count(number, 0 if float(number).is_integer() else 1)


def points(fraction: float, decimals: int = 1) -> str:
    """A change of rates in percentage points: 0.05 -> '+5.0 points'.

    >>> points(0.05), points(-0.013)
    ('+5.0 points', '-1.3 points')
    """
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    return f"{fraction * 100:+.{decimals}f} points"
