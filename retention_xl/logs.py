"""The former name of :mod:`retention_xl.purchases` (retention counted from a purchase log).

Kept so that ``from retention_xl.logs import read_log`` and ``rx.logs.PERIODS``
still work; new code imports :mod:`retention_xl.purchases`.
"""

from .purchases import *  # noqa: F401,F403 - the same public names
from .purchases import __all__  # noqa: F401
