"""The one error type every face of retention_xl turns into its own form.

A bad input raises :class:`RetentionInputError`. It carries one :class:`Problem`
per bad element, so that each face can say where the problem is in its own terms:
the Excel functions put a short line in the bad row's cell, the workbook reader
names the cell address, the widgets show a line under the sliders and the command
line prints it and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: How many problems the summary sentence lists before it says "and N more".
_LISTED_IN_MESSAGE = 5


@dataclass(frozen=True)
class Problem:
    """One bad input element.

    Attributes
    ----------
    field : str
        The argument name, as the Python API spells it (``"new"``).
    clause : str
        What is wrong, naming the field and the value received, e.g.
        ``"new customers (25) cannot exceed customers at end (20)"``.
    hint : str
        What would be valid, or the likely cause; may be empty.
    excel_error : str
        The Excel error this problem stands for: ``"#VALUE!"`` (blank, text,
        wrong type), ``"#DIV/0!"`` (no customers at start) or ``"#NUM!"``
        (a number out of range or inconsistent counts).
    position : tuple of int, optional
        Position of the element in the broadcast input (``None`` for scalars).
    label : object, optional
        The index label when the input was a pandas Series, else the position.
    """

    field: str
    clause: str
    hint: str = ""
    excel_error: str = "#VALUE!"
    position: tuple[int, ...] | None = None
    label: Any = None

    @property
    def location(self) -> str:
        """``" at row 3"`` (or ``" at row 'March'"``), empty for a scalar."""
        if self.position is None:
            return ""
        label = self.label if self.label is not None else self.position
        if isinstance(label, tuple) and len(label) == 1:
            label = label[0]
        if isinstance(label, str):
            return f" at row {label!r}"
        return f" at row {label}"

    def sentence(self, location: str | None = None) -> str:
        """The full sentence: clause, location, then the hint.

        ``location`` replaces the default ``" at row N"`` (faces pass a cell
        address such as ``" in cell Data!C7"``, or ``""``).
        """
        where = self.location if location is None else location
        text = f"{self.clause}{where}"
        return f"{text}: {self.hint}" if self.hint else text

    def __str__(self) -> str:
        return self.sentence()


class RetentionInputError(ValueError):
    """Bad input to a retention_xl function.

    The message is one readable sentence (or a short list of them). The
    structured problems are in :attr:`problems`, one per bad element, in the
    order of the elements.
    """

    def __init__(self, problems: list[Problem] | Problem | str, *, field: str = "input"):
        if isinstance(problems, str):
            problems = [Problem(field=field, clause=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0].sentence()
        listed = "; ".join(p.sentence() for p in self.problems[:_LISTED_IN_MESSAGE])
        more = len(self.problems) - _LISTED_IN_MESSAGE
        tail = f"; and {more} more" if more > 0 else ""
        return f"{len(self.problems)} bad inputs: {listed}{tail}"

    @property
    def positions(self) -> list[tuple[int, ...] | None]:
        """Positions of the bad elements (``None`` entries for scalar arguments)."""
        return [p.position for p in self.problems]
