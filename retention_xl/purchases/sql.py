"""The SQL query that counts a purchase log where it lives (a warehouse), in the user's dialect."""

from __future__ import annotations

from ..errors import Problem, RetentionInputError
from ..validation import choice
from .calendar import PERIODS

__all__ = ["log_counts_sql", "SQL_DIALECTS"]

_SQL_TRUNC = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_SQL_STEP = {"day": "INTERVAL '1' DAY", "week": "INTERVAL '7' DAY", "month": "INTERVAL '1' MONTH",
             "quarter": "INTERVAL '3' MONTH", "year": "INTERVAL '1' YEAR"}
#: Dialects :func:`log_counts_sql` is tested in or written for (sqlglot's names).
SQL_DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark", "redshift")


def log_counts_sql(table: str = "purchases", customer: str = "customer_id", date: str = "date",
                   period: str = "month", dialect: str | None = None) -> str:
    """The SQL query giving :func:`counts_from_log`'s counts where the data lives.

    One ``GROUP BY`` over the distinct (customer, period) pairs, each pair
    flagged with the customer's previous and next active periods (``LAG``,
    ``LEAD``): a pair is *new* when there is no previous one, *retained* when
    it is the period just before, *reactivated* otherwise; it *returns within
    a year* when the next one starts at most a year later (the period holding
    the day one year after its first day); ``start`` of a period is ``end`` of
    the period before. Weeks are ISO weeks (Monday to Sunday), as in
    :func:`counts_from_log`.

    Unlike :func:`counts_from_log`, periods in which nobody bought have no row;
    the first row has start 0 and no retention; retention is NULL where start
    is 0, yearly retention where the following year is not all in the table.

    Parameters
    ----------
    table, customer, date : str, optional
        The table and column names, inserted as quoted identifiers (a
        ``schema.table`` name is split on the dot).
    period : {'month', 'day', 'week', 'quarter', 'year'}, optional
    dialect : str, optional
        None (default): standard SQL as written here, which runs in DuckDB and
        PostgreSQL. Otherwise the query is translated by sqlglot (a maintained
        SQL transpiler, in the ``logs`` extra) into that dialect: ``"duckdb"``,
        ``"postgres"``, ``"bigquery"``, ``"snowflake"``, ``"spark"``,
        ``"redshift"`` and the others sqlglot knows.

    Examples
    --------
    >>> import retention_xl as rx
    >>> print(rx.log_counts_sql("sales", "client", "sold_on"))  # doctest: +ELLIPSIS
    WITH active AS (
      SELECT DISTINCT "client" AS customer, CAST(DATE_TRUNC('month', "sold_on") AS DATE) AS period
      FROM "sales"
    ...
    >>> print(rx.log_counts_sql("sales", "client", "sold_on", dialect="bigquery"))  # doctest: +ELLIPSIS
    WITH active AS (
      SELECT DISTINCT
        `client` AS customer,
        CAST(TIMESTAMP_TRUNC(`sold_on`, MONTH) AS DATE) AS period
      FROM `sales`
    ...
    """
    period = choice(period, "period", tuple(PERIODS))
    quoted = ".".join(_quote(part) for part in table.split("."))
    trunc, step = _SQL_TRUNC[period], _SQL_STEP[period]
    query = f"""WITH active AS (
  SELECT DISTINCT {_quote(customer)} AS customer, CAST(DATE_TRUNC('{trunc}', {_quote(date)}) AS DATE) AS period
  FROM {quoted}
  WHERE {_quote(customer)} IS NOT NULL AND {_quote(date)} IS NOT NULL
),
flagged AS (
  SELECT period,
         LAG(period) OVER (PARTITION BY customer ORDER BY period) AS previous_period,
         LEAD(period) OVER (PARTITION BY customer ORDER BY period) AS next_period,
         CAST(DATE_TRUNC('{trunc}', period + INTERVAL '1' YEAR) AS DATE) AS year_later
  FROM active
),
counts AS (
  SELECT period,
         SUM(CASE WHEN previous_period = CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS retained,
         SUM(CASE WHEN previous_period IS NULL THEN 1 ELSE 0 END) AS new_customers,
         SUM(CASE WHEN previous_period < CAST(period - {step} AS DATE) THEN 1 ELSE 0 END) AS reactivated,
         COUNT(*) AS end_customers,
         SUM(CASE WHEN next_period <= year_later THEN 1 ELSE 0 END) AS returning_within_year,
         MAX(year_later) AS year_later
  FROM flagged
  GROUP BY period
)
SELECT c.period,
       COALESCE(b.end_customers, 0) AS start_customers,
       c.retained, c.new_customers, c.reactivated, c.end_customers,
       CAST(c.retained AS DOUBLE PRECISION) / NULLIF(COALESCE(b.end_customers, 0), 0) AS retention,
       c.returning_within_year,
       CASE WHEN c.year_later <= (SELECT MAX(period) FROM counts)
            THEN CAST(c.returning_within_year AS DOUBLE PRECISION) / c.end_customers END AS yearly_retention
FROM counts c
LEFT JOIN counts b ON b.period = CAST(c.period - {step} AS DATE)
ORDER BY c.period"""
    if dialect is None:
        return query
    import sqlglot

    dialect = str(dialect).lower()
    from sqlglot import exp

    def iso_weeks(node):
        # BigQuery's WEEK starts on Sunday; the ISO week (Monday) is ISOWEEK there
        if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc)) and node.text("unit").upper() == "WEEK":
            node.set("unit", exp.var("ISOWEEK"))
        return node

    try:
        tree = sqlglot.parse_one(query, read="postgres")
        if dialect == "bigquery":
            tree = tree.transform(iso_weeks)
        return tree.sql(dialect=dialect, pretty=True)
    except (ValueError, KeyError) as error:
        raise RetentionInputError(Problem(
            "dialect", f"sqlglot does not know the SQL dialect {dialect!r} ({error})",
            f"give one of {', '.join(SQL_DIALECTS)} (or another name sqlglot knows)")) from None


def _quote(identifier: str) -> str:
    return '"' + str(identifier).replace('"', '""') + '"'
