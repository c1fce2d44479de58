"""Jupyter widgets: the retention calculator, the what-if explorer and the data view.

Two lines in any notebook show one::

    from retention_xl.widgets import RetentionCalculator
    RetentionCalculator()

:class:`App` puts all three in tabs; ``retention-xl app`` (``make run``) serves
them as a code-free web page with Voila. This face imports ipywidgets and
matplotlib; ``import retention_xl`` alone does not.
"""

from .app import App
from .calculator import RetentionCalculator
from .forecast import GroupForecast
from .from_data import FromData
from .whatif import WhatIf

__all__ = ["App", "RetentionCalculator", "WhatIf", "FromData", "GroupForecast"]
