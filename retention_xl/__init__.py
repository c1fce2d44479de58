"""retention_xl: customer retention, churn and what better retention is worth.

One calculation core (this package's top level) behind every face: Excel
functions (:mod:`retention_xl.excel`), template workbooks, Jupyter widgets and
the ``retention-xl`` command line. Importing it loads only numpy and pandas.
"""

from .benchmarks import (benchmark_alert, benchmark_for, industry_benchmarks,
                         subscription_churn_benchmarks)
from .curve import RetentionCurve, fit_retention_curve
from .errors import Problem, RetentionInputError
from .logs import (analyse_log, cohort_counts, cohort_matrix, counts_from_log, log_counts_sql,
                   purchase_metrics, read_log, revenue_retention)
from .periods import churn_averages, period_table
from .projection import ProjectionResult, project_profit
from .rates import (average_churn, churn_rate, convert_churn, convert_retention,
                    customer_lifetime, lost_customers, retention_rate)
from .value import ValueChange, customer_value, improved_retention, profit_uplift, value_change

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
