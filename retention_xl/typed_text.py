"""The one reader of typed text: what a number typed as text means, on every face.

Excel functions (text cells), the app's boxes, CSV files and the command line all
read text through :func:`number_from_text`, so "1,200" is 1200 and "92.5%" is
0.925 everywhere, and text that is not plainly a number is refused everywhere
instead of being guessed.
"""

from __future__ import annotations

import re

__all__ = ["number_from_text"]

# Typed text Excel itself reads as a number: 1200, 1,200, -3.5, .5, 92.5%.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?%?|[+-]?\.\d+%?")


def number_from_text(text: str) -> float | None:
    """The number a text holds as Excel would read it, or None if it is not one.

    Comma thousands separator, dot decimal point, an optional trailing percent
    sign (which divides by 100). Anything else is not a number: never guessed.

    >>> number_from_text("1,200"), number_from_text(" 92.5% "), number_from_text("abc")
    (1200.0, 0.925, None)
    >>> number_from_text("1,5") is None   # not a thousands group: never guessed
    True
    """
    text = text.strip()
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))
