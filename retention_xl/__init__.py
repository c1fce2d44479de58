"""retention_xl: customer retention, churn and what better retention is worth.

One calculation core (this package's top level) behind every face: Excel
functions (:mod:`retention_xl.excel`), template workbooks, Jupyter widgets and
the ``retention-xl`` command line. Importing it loads only numpy and pandas
(and those on first use of a function).
"""

import importlib

from .errors import Problem, RetentionInputError

#: Where each public name lives. They load on first use (PEP 562), so that the
#: command line parses ``--help`` before numpy and pandas load; ``rx.period_table``
#: and ``from retention_xl import period_table`` work as before.
_PUBLIC = {
    "retention_rate": "rates",
    "churn_rate": "rates",
    "lost_customers": "rates",
    "customer_lifetime": "rates",
    "convert_retention": "rates",
    "convert_churn": "rates",
    "average_churn": "rates",
    "customer_value": "value",
    "improved_retention": "value",
    "profit_uplift": "value",
    "value_change": "value",
    "ValueChange": "value",
    "project_profit": "projection",
    "ProjectionResult": "projection",
    "period_table": "periods",
    "churn_averages": "periods",
    "industry_benchmarks": "industry",
    "benchmark_for": "industry",
    "subscription_churn_benchmarks": "industry",
    "benchmark_alert": "industry",
    "read_log": "purchases.reading",
    "counts_from_log": "purchases.counting",
    "cohort_matrix": "purchases.counting",
    "cohort_counts": "purchases.counting",
    "analyse_log": "purchases.counting",
    "purchase_metrics": "purchases.metrics",
    "revenue_retention": "purchases.metrics",
    "log_counts_sql": "purchases.sql",
    "fit_retention_curve": "curve",
    "RetentionCurve": "curve",
}

__all__ = ["RetentionInputError", "Problem", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    else:  # a submodule (rx.periods, rx.industry): imported on first use as well
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

