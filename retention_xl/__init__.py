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
    "benchmark_alert": "industry", "benchmark_for": "industry",
    "industry_benchmarks": "industry", "subscription_churn_benchmarks": "industry",
    "RetentionCurve": "curve", "fit_retention_curve": "curve",
    "analyse_log": "purchases.counting", "cohort_counts": "purchases.counting",
    "cohort_matrix": "purchases.counting", "counts_from_log": "purchases.counting",
    "log_counts_sql": "purchases.sql", "purchase_metrics": "purchases.metrics",
    "read_log": "purchases.reading", "revenue_retention": "purchases.metrics",
    "churn_averages": "periods", "period_table": "periods",
    "ProjectionResult": "projection", "project_profit": "projection",
    "average_churn": "rates", "churn_rate": "rates", "convert_churn": "rates",
    "convert_retention": "rates", "customer_lifetime": "rates", "lost_customers": "rates",
    "retention_rate": "rates",
    "ValueChange": "value", "customer_value": "value", "improved_retention": "value",
    "profit_uplift": "value", "value_change": "value",
}


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

__all__ = [
    "RetentionInputError",
    "Problem",
    "retention_rate",
    "churn_rate",
    "lost_customers",
    "customer_lifetime",
    "convert_retention",
    "convert_churn",
    "average_churn",
    "customer_value",
    "improved_retention",
    "profit_uplift",
    "value_change",
    "ValueChange",
    "project_profit",
    "ProjectionResult",
    "period_table",
    "churn_averages",
    "industry_benchmarks",
    "benchmark_for",
    "subscription_churn_benchmarks",
    "benchmark_alert",
    "read_log",
    "counts_from_log",
    "cohort_matrix",
    "cohort_counts",
    "analyse_log",
    "purchase_metrics",
    "revenue_retention",
    "log_counts_sql",
    "fit_retention_curve",
    "RetentionCurve",
]
