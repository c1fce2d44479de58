"""Retention counted exactly from a log of purchases (docs/methodology.md sections 5 and 7; docs/purchase_logs.md).

Give a list of purchases, one row each, with a customer id and a date (and an
amount, optionally): a pandas DataFrame, a CSV file or a Parquet file. A
customer is *active* in a period (day, week, month, quarter or year) when it
bought at least once in it. For each period ``p``:

========================  ===================================================
``start``                 customers active in ``p - 1``
``retained``              active in ``p - 1`` and in ``p``
``new``                   first purchase ever in ``p``
``reactivated``           active in ``p``, not in ``p - 1``, bought before
``end``                   active in ``p`` (= retained + new + reactivated)
``retention``             retained / start, exact (NaN when start is 0)
``yearly_retention``      share of ``p``'s customers who bought again within
                          the following year, measured (NaN until that year
                          is all in the log)
========================  ===================================================

The three-count formula (end - new) / start would count the reactivated
customers as kept; the table shows it as ``formula_retention`` next to the
exact figure so the difference can be seen. Customers are counted, never
purchases: ten purchases in a month make one active customer. Repeat and
frequency figures count purchase occasions (customer-days, or orders); exact
duplicate rows count once; revenue retention (GRR, NRR) follows the
subscription definitions. docs/purchase_logs.md gives every definition and its
source.

How it is fast and small (10 million purchases, a million customers, 36
months: seconds, and about twice the memory of the two columns as loaded): a
clean file is read batch by batch (Parquet row groups, CSV blocks of 2 MiB)
and each batch's dates become int32 day numbers as it arrives; customer ids
become int32 codes (the distance from the smallest id when the ids are compact
integers, else one dictionary-encoding pass over the whole column, whose chunks
share one dictionary). The log is then 8 bytes a purchase. Each date's period
comes from a per-day lookup table; each (period, customer) pair sets one byte
in a periods x customers table, which removes duplicate purchases without a
sort; then every count is a row-wise ``count_nonzero`` and the cohort matrix
one ``bincount`` per period. When that table would be large compared with the
log (daily periods over years), the pairs are sorted in place and deduplicated
instead (``sorted_unique``: one in-place sort, where ``np.unique`` would sort a
copy), with the same results. Work is done in batches of a million rows, so
the memory used beyond the codes stays small. A log with bad rows (or amounts,
whose exact copies are looked for) is read whole by the careful path, which
counts and shows every bad row.

For a log too big for one machine, :func:`log_counts_sql` writes the one
``GROUP BY`` query that gives the same per-period counts in a SQL warehouse.

The package's modules, in the order the work is done:

==============  ===========================================================
``sources``     a DataFrame, a Parquet or a CSV file as Arrow columns
``dates``       text dates read by one form, never guessed; day numbers
``reading``     ids, dirty rows, one checked log: :func:`read_log`
``calendar``    period numbers and a log's calendar
``counting``    per-period counts, cohorts, yearly retention: :func:`analyse_log`
``metrics``     repeat customers, frequency, order value, GRR and NRR
``sql``         the same counts as one SQL query: :func:`log_counts_sql`
==============  ===========================================================
"""

from .calendar import MAX_COHORT_CELLS, MAX_PERIODS, PERIODS
from .counting import COUNT_COLUMNS, LogAnalysis, analyse_log, cohort_counts, cohort_matrix, counts_from_log
from .dates import DATE_FORMATS
from .metrics import REVENUE_COLUMNS, purchase_metrics, revenue_retention
from .reading import LogReport, PurchaseLog, purchase_batches, read_log
from .sql import SQL_DIALECTS, log_counts_sql

__all__ = [
    "PERIODS",
    "PurchaseLog",
    "LogReport",
    "LogAnalysis",
    "read_log",
    "analyse_log",
    "counts_from_log",
    "cohort_counts",
    "cohort_matrix",
    "purchase_metrics",
    "revenue_retention",
    "log_counts_sql",
    "purchase_batches",
    "COUNT_COLUMNS",
    "REVENUE_COLUMNS",
    "SQL_DIALECTS",
    "DATE_FORMATS",
    "MAX_PERIODS",
    "MAX_COHORT_CELLS",
]
