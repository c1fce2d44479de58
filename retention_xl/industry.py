"""Industry benchmarks and the two-straight-quarters alert (docs/methodology.md section 6).

The yearly retention by industry ships as package data
(``retention_xl/data/industry_benchmarks.csv``) with its source, year and caveat;
a user's own table (a DataFrame or a CSV path with the same columns) replaces it
wherever a ``table`` argument is taken. The figures are indicative: the survey
behind them is not identified, so every face shows the caveat next to them.

Benchmarks are yearly. A quarterly or monthly retention is annualised
(:func:`retention_xl.convert_retention`) before it is compared, never the other
way round.
"""

from __future__ import annotations

import functools
import math
import os
import re
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem, RetentionInputError
from .validation import EQUAL_TOLERANCE, FRACTION, Bounds, prepare

__all__ = [
    "BENCHMARK_COLUMNS",
    "industry_benchmarks",
    "benchmark_for",
    "subscription_churn_benchmarks",
    "benchmark_alert",
    "benchmark_comparison",
    "DEFAULT_TOLERANCE",
]

#: Columns of a benchmark table, in order (``source``, ``year`` and ``caveat`` may be absent
#: from a user's own table and are then left empty).
BENCHMARK_COLUMNS = ("industry", "yearly_retention", "source", "year", "caveat")
_REQUIRED = ("industry", "yearly_retention")
SUBSCRIPTION_COLUMNS = ("segment", "monthly_churn", "source", "year", "caveat")

#: "Too far below": 5 percentage points, the default of every face (a setting).
DEFAULT_TOLERANCE = 0.05


TOLERANCE = Bounds(low=0.0, high=1.0, high_inclusive=True,
                  valid="a fraction from 0 to 1 (0.05 for 5 points)")
PERIODS_PER_YEAR = Bounds(low=0.0, low_inclusive=False,
                         valid="a number above 0 (4 for quarters, 12 for months, 1 for years)")


# --------------------------------------------------------------------------- the tables
@functools.lru_cache(maxsize=None)
def _package_csv(name: str) -> pd.DataFrame:
    try:
        with resources.files("retention_xl").joinpath("data").joinpath(name).open("rb") as handle:
            return pd.read_csv(handle, dtype={"year": "Int64"}, keep_default_na=False,
                               na_values={"year": [""]})
    except (OSError, TypeError, AttributeError, ModuleNotFoundError):
        # xlwings Lite runs the modules embedded in main.py, without the package's data files
        raise RetentionInputError(Problem(
            "industry", "the shipped benchmark table is not available here (retention_xl runs "
                        "without its data files, as in xlwings Lite)",
            "give the benchmark as a number, e.g. 0.78 for 78%, or your own table")) from None


def _normal(name: Any) -> str:
    """How industry names are matched: case-insensitive, spaces collapsed."""
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def industry_benchmarks(table: Any = None) -> pd.DataFrame:
    """The yearly retention benchmark of each industry, with source, year and caveat.

    Parameters
    ----------
    table : DataFrame, str or path, optional
        Your own benchmark table (a DataFrame, or the path of a CSV file) with at
        least the columns ``industry`` and ``yearly_retention`` (fractions:
        0.84 for 84%); ``source``, ``year`` and ``caveat`` are kept when present
        and left empty otherwise. Default: the table shipped with retention_xl.

    Returns
    -------
    DataFrame
        Columns ``industry, yearly_retention, source, year, caveat``, one row per
        industry (a fresh copy: changing it changes nothing else).

    Raises
    ------
    RetentionInputError
        If a required column is missing, a retention is blank or not a fraction
        from 0 to 1 (the message names the industry), or an industry appears twice.

    Notes
    -----
    The shipped figures are those published identically by Exploding Topics
    (December 2023), Vena and Paddle; the survey behind them is not identified,
    so they are indicative only.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention_xl as rx
    >>> table = rx.industry_benchmarks()
    >>> float(table.set_index("industry").loc["Retail", "yearly_retention"])
    0.63

    Your own figures instead:

    >>> mine = pd.DataFrame({"industry": ["Bakeries"], "yearly_retention": [0.7]})
    >>> rx.industry_benchmarks(mine)[["industry", "yearly_retention"]]
       industry  yearly_retention
    0  Bakeries               0.7
    """
    if table is None:
        return _package_csv("industry_benchmarks.csv").copy()
    if isinstance(table, (str, os.PathLike)):
        table = pd.read_csv(table)
    if not isinstance(table, pd.DataFrame):
        raise RetentionInputError(Problem(
            "table", f"the benchmark table must be a DataFrame or the path of a CSV file, "
                     f"got {type(table).__name__}",
            "give columns industry and yearly_retention"))
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise RetentionInputError(Problem(
            "table", f"the benchmark table has no column {', '.join(repr(m) for m in missing)} "
                     f"(its columns: {', '.join(map(str, table.columns))})",
            "give columns industry and yearly_retention (0.84 for 84%)"))
    out = pd.DataFrame({
        "industry": table["industry"].astype(str).str.strip().to_numpy(dtype=object),
        "yearly_retention": table["yearly_retention"].to_numpy(),
    })
    for column in BENCHMARK_COLUMNS[2:]:
        if column in table.columns:
            out[column] = table[column].to_numpy()
        else:
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64") if column == "year" else ""
    values = pd.Series(out["yearly_retention"].to_numpy(), index=pd.Index(out["industry"]))
    checked = prepare({"yearly_retention": (values, FRACTION)})
    out["yearly_retention"] = checked["yearly_retention"]
    keys = out["industry"].map(_normal)
    twice = out["industry"][keys.duplicated(keep=False)]
    if len(twice):
        raise RetentionInputError(Problem(
            "table", f"the industry {twice.iloc[0]!r} appears more than once in the benchmark table",
            "give each industry once (names are compared ignoring case)"))
    return out


def benchmark_for(industry: str, table: Any = None) -> float:
    """The yearly retention benchmark of one industry (a fraction).

    Parameters
    ----------
    industry : str
        The industry's name as in :func:`industry_benchmarks`, case-insensitive
        (``"retail"``, ``"IT & software"``).
    table : DataFrame, str or path, optional
        Your own benchmark table instead of the shipped one.

    Raises
    ------
    RetentionInputError
        If the industry is not in the table; the message lists the valid names.

    Examples
    --------
    >>> import retention_xl as rx
    >>> rx.benchmark_for("retail")
    0.63
    >>> rx.benchmark_for("  it & SOFTWARE ")
    0.77
    """
    benchmarks = industry_benchmarks(table)
    keys = benchmarks["industry"].map(_normal)
    hit = benchmarks.loc[keys == _normal(industry), "yearly_retention"]
    if hit.empty:
        names = ", ".join(benchmarks["industry"])
        raise RetentionInputError(Problem(
            "industry", f"unknown industry {industry!r}",
            f"choose one of: {names} (or give your own benchmark)"))
    return float(hit.iloc[0])


def subscription_churn_benchmarks() -> pd.DataFrame:
    """Monthly churn of subscription businesses (Recurly research): B2B 4.91%, B2C 6.77%.

    Returns
    -------
    DataFrame
        Columns ``segment, monthly_churn, source, year, caveat`` (churn as
        fractions, per month; ``year`` is empty where the sources quoting the
        study do not give it).

    Examples
    --------
    >>> import retention_xl as rx
    >>> rx.subscription_churn_benchmarks()[["segment", "monthly_churn"]]
      segment  monthly_churn
    0     B2B         0.0491
    1     B2C         0.0677

    Per year that is far more than 12 x 4.91%: churn compounds.

    >>> round(rx.convert_churn(0.0491, 12), 4)
    0.453
    """
    return _package_csv("subscription_churn.csv").copy()


# --------------------------------------------------------------------------- the alert rule
def quarter_window(periods_per_year: float) -> int:
    """How many periods make the "quarter" of the alert rule: 1 for quarters or longer
    periods, 3 for months, 13 for weeks, periods_per_year / 4 rounded half up in general."""
    # halves round up, as Excel's ROUND does in the template (Python's round() goes to even)
    return max(1, int(math.floor(periods_per_year / 4.0 + 0.5)))


def _trailing_product(values: np.ndarray, window: int) -> np.ndarray:
    """Product of each ``window`` consecutive values ending at each position (NaN before)."""
    out = np.full(values.shape, np.nan)
    if window == 1:
        return values.astype(float, copy=True)
    if values.size >= window:
        out[window - 1:] = np.lib.stride_tricks.sliding_window_view(values, window).prod(axis=1)
    return out


def benchmark_comparison(retention: Any, benchmark: float, periods_per_year: float,
                         tolerance: float = DEFAULT_TOLERANCE, yearly: bool = False) -> dict[str, np.ndarray]:
    """The arrays behind :func:`benchmark_alert` (``compared``, ``gap``, ``below``, ``alert``).

    ``retention`` is a 1-D float array of consecutive periods (NaN for a missing
    period: no comparison there). Internal: faces use :func:`benchmark_alert`
    or :func:`retention_xl.period_table`. With ``yearly=True`` the values are
    already yearly retention (measured from a purchase log): compared as they
    are, the "two straight quarters" still counted in periods.
    """
    values = np.asarray(retention, dtype=float)
    window = quarter_window(periods_per_year)
    if yearly:
        compared = values.astype(float, copy=True)
    elif periods_per_year >= 4:
        # the "quarter" ending with each period, compounded, then annualised
        compared = np.power(_trailing_product(values, window), periods_per_year / window)
    else:
        compared = np.power(values, periods_per_year)
    gap = compared - benchmark
    with np.errstate(invalid="ignore"):
        # beyond 15 significant digits only (validation.EQUAL_TOLERANCE): exactly 5 points
        # below is not an alert because 0.78 - 0.73 is 0.05000000000000004 in floats
        scale = np.maximum(np.maximum(benchmark, compared), tolerance)
        below = (benchmark - compared) - tolerance > EQUAL_TOLERANCE * scale
    alert = np.zeros(values.shape, dtype=bool)
    alert[window:] = below[window:] & below[:-window]
    return {"compared": compared, "gap": gap, "below": below, "alert": alert}


def benchmark_alert(retention: Any, benchmark: Any = None, *, industry: str | None = None,
                    periods_per_year: float = 4, tolerance: float = DEFAULT_TOLERANCE,
                    table: Any = None):
    """True where retention was too far below the industry benchmark for two straight quarters.

    The rule, from the articles that publish the benchmarks: "if your CRR drops
    too far below your industry's average for two straight quarters, it's time
    to conduct a thorough investigation". No source says how far is too far, so
    it is a setting: ``tolerance`` in points (default 0.05, five points).

    Parameters
    ----------
    retention : array_like or Series
        Retention of consecutive periods, oldest first (fractions). A Series
        keeps its index in the result.
    benchmark : float, optional
        The yearly benchmark (0.78 for 78%). Give this or ``industry``.
    industry : str, optional
        Look the benchmark up by industry (see :func:`benchmark_for`).
    periods_per_year : float, optional
        4 for quarters (default), 12 for months, 1 for years, 52 for weeks.
    tolerance : float, optional
        How far below the benchmark counts as too far, in fractions (0.05 = 5 points).
        Exactly ``tolerance`` below is not yet too far.
    table : DataFrame, str or path, optional
        Your own benchmark table, for ``industry``.

    Returns
    -------
    bool, ndarray or Series
        One flag per period: True at a period that ends the second of two straight
        quarters below the benchmark by more than ``tolerance``.

    Notes
    -----
    Benchmarks are yearly, so each quarter's retention is annualised first:
    ``r_q ** 4``.

    Monthly (or weekly) data: the months are first compounded into quarters, and
    the quarters are compared. At each month the quarter is the three months
    ending with it (``r_m1 * r_m2 * r_m3``, the share of customers who would
    survive the three months), annualised as ``quarter ** 4``; the alert holds
    at a month when that quarter and the one before it (the three months before,
    not overlapping) are both too far below. At the last month of each calendar
    quarter this is exactly the calendar-quarter rule; in between it is the same
    rule on a sliding quarter, so an alert is not held back until the quarter
    closes. Why quarters rather than months: annualising a single month raises
    it to the 12th power, so one bad month (a holiday, a billing run) would look
    like a collapse; the rule speaks of quarters, and six months of evidence is
    what it asks for. Weeks use 13-week quarters.

    Yearly (or half-yearly) data cannot be split into quarters: each period is
    annualised and compared, and the alert needs two straight periods below.

    Periods without enough history (the first quarter) are never an alert.

    Examples
    --------
    A telecom (benchmark 78%) with quarterly retention 95%, 92%, 92%, 91%, 94%:
    annualised 81.5%, 71.6%, 71.6%, 68.6%, 78.1%. The second, third and fourth
    quarters are more than 5 points below 78%, so the alert holds at the third
    and the fourth.

    >>> import retention_xl as rx
    >>> rx.benchmark_alert([0.95, 0.92, 0.92, 0.91, 0.94], industry="telecommunications")
    array([False, False,  True,  True, False])

    Twelve months at 98% a month: each quarter is 94.1%, 78.5% a year, not 5
    points below 80% (construction & engineering):

    >>> bool(rx.benchmark_alert([0.98] * 12, 0.80, periods_per_year=12).any())
    False
    """
    if (benchmark is None) == (industry is None):
        raise RetentionInputError(Problem(
            "benchmark", "give either a benchmark or an industry"
            + (", not both" if benchmark is not None else ""),
            "for example benchmark=0.78 or industry='Telecommunications'"))
    if industry is not None:
        benchmark = benchmark_for(industry, table)
    checks = prepare({"retention": (retention, FRACTION), "benchmark": (benchmark, FRACTION),
                      "tolerance": (tolerance, TOLERANCE),
                      "periods_per_year": (periods_per_year, PERIODS_PER_YEAR)})
    if checks.args["benchmark"].values.ndim or checks.args["tolerance"].values.ndim or \
            checks.args["periods_per_year"].values.ndim:
        raise RetentionInputError(Problem(
            "benchmark", "benchmark, tolerance and periods_per_year must be single numbers"))
    values = np.atleast_1d(checks["retention"])
    if values.ndim != 1:
        raise RetentionInputError(Problem(
            "retention", f"retention must be one series of periods, got shape {values.shape}"))
    result = benchmark_comparison(values, float(checks["benchmark"]), float(checks["periods_per_year"]),
                                  float(checks["tolerance"]))["alert"]
    if checks.args["retention"].scalar:
        return bool(result[0])
    if isinstance(retention, pd.Series):
        return pd.Series(result, index=retention.index, name="alert")
    return result


def check_periods_per_year(value: Any) -> float:
    checked = prepare({"periods_per_year": (value, PERIODS_PER_YEAR)})["periods_per_year"]
    if np.ndim(checked):
        raise RetentionInputError(Problem("periods_per_year", "periods_per_year must be a single number"))
    out = float(checked)
    if not math.isfinite(out):  # pragma: no cover - prepare refuses infinities
        raise RetentionInputError(Problem("periods_per_year", "periods_per_year must be finite"))
    return out
