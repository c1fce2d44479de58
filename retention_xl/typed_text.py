"""The one reader of typed text: what a number typed as text means, on every face.

Excel functions (text cells), the app's boxes, CSV files and the command line all
read text through :func:`number_from_text`, so "1,200" is 1200 and "92.5%" is
0.925 everywhere, and text that is not plainly a number is refused everywhere
instead of being guessed. Where the text is asked for in percent or points (the
app's percent boxes, an alert tolerance), :func:`points_from_text` reads it by the
same rule, so "5", "5%" and "5 points" are the same five points on every face.
"""

from __future__ import annotations

import re

__all__ = ["number_from_text", "points_from_text"]

# Typed text Excel itself reads as a number: 1200, 1,200, -3.5, .5, 1e12, 1.5E-3, 92.5%.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)%?",
                          re.ASCII)  # ASCII: \d would also match Arabic-Indic and full-width digits


# The same, written with a decimal comma (semicolon-separated files from European
# spreadsheets): 1200, 1.200, -3,5, ,5, 92,5%. Read only where the file says so.
_DECIMAL_COMMA_TEXT = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?%?|[+-]?,\d+%?",
                                 re.ASCII)


def number_from_text(text: str, *, decimal_comma: bool = False) -> float | None:
    """The number a text holds as Excel would read it, or None if it is not one.

    Comma thousands separator, dot decimal point, an exponent as Excel writes
    one (``1E+12``), an optional trailing percent sign (which divides by 100). Anything else is not a number: never guessed.
    Digits other than 0-9 (Arabic-Indic, full-width) are not read as numbers:
    the template's formulas see such a cell as text, so every face refuses it.

    >>> number_from_text("1,200"), number_from_text(" 92.5% "), number_from_text("abc")
    (1200.0, 0.925, None)
    >>> number_from_text("1,5") is None   # not a thousands group: never guessed
    True
    >>> number_from_text("1e12"), number_from_text("-2.5E-3")
    (1000000000000.0, -0.0025)

    With ``decimal_comma=True`` (only for text from a file that separates its
    values with semicolons, as spreadsheets set to a decimal comma save them),
    the comma is the decimal mark and the dot groups thousands:

    >>> number_from_text("1.200,5", decimal_comma=True), number_from_text("92,5%", decimal_comma=True)
    (1200.5, 0.925)
    >>> number_from_text("١٢٣") is None and number_from_text("１２３") is None
    True
    >>> number_from_text("1.5", decimal_comma=True) is None  # neither form: never guessed
    True
    """
    text = text.strip()
    if decimal_comma:
        # swap the marks and read it by the one rule below: 1.200,5 is 1,200.5
        if not _DECIMAL_COMMA_TEXT.fullmatch(text):
            return None
        text = text.replace(".", "").replace(",", ".")
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


# The units a number asked for in percent or points may carry; one of them, at its end.
_POINT_UNITS = re.compile(r"\s*(?:%|points?|pts?)\Z", re.IGNORECASE)


def points_from_text(text: str) -> float | None:
    """The number a text holds where percent or percentage points are asked, or None.

    The box (or option) is in points already, so a unit written after the number
    changes nothing: "5", "5%", "5 points" and "5pts" are all 5. The number itself
    is read by :func:`number_from_text`; a second unit or a percent sign inside
    is not a number here: never guessed.

    >>> [points_from_text(t) for t in ("5", "5%", " 2.5 points ", "5pts", "1,200 %")]
    [5.0, 5.0, 2.5, 5.0, 1200.0]
    >>> points_from_text("5%%") is None and points_from_text("5 % pts") is None
    True
    >>> points_from_text("five") is None and points_from_text("%") is None
    True
    """
    body = _POINT_UNITS.sub("", text.strip(), count=1)
    if "%" in body:
        return None
    return number_from_text(body)
