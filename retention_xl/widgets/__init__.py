"""Jupyter widgets: the retention calculator, the what-if explorer and the data view.

Two lines in any notebook show one::

    from retention_xl.widgets import RetentionCalculator
    RetentionCalculator()

:class:`App` puts all three in tabs; ``retention-xl app`` (``make run``) serves
them as a code-free web page with Voila. This face imports ipywidgets and
matplotlib; ``import retention_xl`` alone does not.

The widget classes load on first use (``from retention_xl.widgets import App``),
so that the app's server, which imports :mod:`retention_xl.widgets.serve`, starts
without loading ipywidgets, pandas and matplotlib it never uses.
"""

from __future__ import annotations

import importlib

__all__ = ["App", "RetentionCalculator", "WhatIf", "FromData", "GroupForecast"]

_HOMES = {"App": "app", "RetentionCalculator": "calculator", "WhatIf": "whatif",
          "FromData": "from_data", "GroupForecast": "forecast"}


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # the next look-up is a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
