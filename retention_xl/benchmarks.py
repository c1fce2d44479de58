"""The former name of :mod:`retention_xl.industry` (industry benchmarks and the alert).

Kept so that ``from retention_xl.benchmarks import benchmark_for`` still works; new
code imports :mod:`retention_xl.industry`. (The speed benchmarks are the top-level
``benchmarks/`` folder.)
"""

from . import industry as _industry


def __getattr__(name: str):
    return getattr(_industry, name)


def __dir__():
    return dir(_industry)
