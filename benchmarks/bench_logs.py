"""Purchase log to counts and cohort matrix: retention_xl against the common pandas recipe.

A seeded synthetic log (default 10 million purchases, 1 million customers, 36
months) is written to a temporary Parquet and CSV file. For each format, in the
same run:

- retention_xl: load + ``analyse_log`` (per-month counts and cohort matrix),
  median of a few runs;
- the pandas recipe: ``read_parquet`` / ``read_csv``, the month of each
  purchase, first month per customer with ``groupby(...).transform("min")``,
  ``pivot_table(..., aggfunc="nunique")`` for the cohorts, and per-month counts
  with ``drop_duplicates`` and a merge (fewer runs: it is slow);
- the two results are checked equal, number for number;
- peak memory of retention_xl, measured in a fresh subprocess (the rise of the
  peak resident set over the process after its imports), as a multiple of the
  loaded columns (customer ids and dates as loaded).

    python -m benchmarks logs                 # default size
    RETENTION_XL_BENCH_ROWS=1000000 python -m benchmarks logs   # smaller
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from benchmarks.timing import fmt_seconds, median_seconds

ROWS = int(os.environ.get("RETENTION_XL_BENCH_ROWS", 10_000_000))
CUSTOMERS = int(os.environ.get("RETENTION_XL_BENCH_CUSTOMERS", ROWS // 10))
MONTHS = 36
SEED = 20240601


def synthetic_log(rows: int = ROWS, customers: int = CUSTOMERS, seed: int = SEED) -> pd.DataFrame:
    """Purchases in random order: each customer joins on a random day of three years and
    buys on random days after that (ids are integers from 1,000,001, amounts in dollars)."""
    rng = np.random.default_rng(seed)
    first_day = np.datetime64("2021-01-01")
    days = int((np.datetime64("2024-01-01") - first_day).astype(int))  # 36 months
    join = rng.integers(0, days, customers)
    customer = rng.integers(0, customers, rows)
    # every customer's first purchase is its join day, the others uniform after it
    customer[:customers] = np.arange(customers)
    offset = (rng.random(rows) * (days - join[customer])).astype(np.int64)
    offset[:customers] = 0
    order = rng.permutation(rows)
    date = (first_day + join[customer] + offset).astype("datetime64[ms]")
    amount = np.round(rng.gamma(2.0, 25.0, rows), 2)
    return pd.DataFrame({"customer_id": customer[order] + 1_000_001, "date": date[order],
                         "amount": amount[order]})


def write_files(frame: pd.DataFrame, folder: str) -> dict[str, str]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    paths = {"parquet": os.path.join(folder, "log.parquet"), "csv": os.path.join(folder, "log.csv")}
    pq.write_table(table, paths["parquet"])
    # dates as plain ISO days, as exported by most systems
    csv_table = table.set_column(1, "date", table.column("date").cast(pa.date32()))
    pacsv.write_csv(csv_table, paths["csv"],
                    write_options=pacsv.WriteOptions(quoting_style="none"))
    return paths


# --------------------------------------------------------------------------- the two ways
def ours(path: str):
    import retention_xl as rx

    analysis = rx.analyse_log(path, period="month")
    return analysis.counts, analysis.cohort_counts


def pandas_recipe(path: str):
    """The common recipe, written as efficiently as plain pandas allows (no row-wise apply)."""
    if path.endswith(".parquet"):
        df = pd.read_parquet(path, columns=["customer_id", "date"])
    else:
        df = pd.read_csv(path, usecols=["customer_id", "date"], parse_dates=["date"])
    df["period"] = df["date"].dt.year * 12 + df["date"].dt.month - 1
    df["cohort"] = df.groupby("customer_id")["period"].transform("min")
    df["age"] = df["period"] - df["cohort"]
    cohorts = df.pivot_table(index="cohort", columns="age", values="customer_id", aggfunc="nunique")
    active = df[["customer_id", "period"]].drop_duplicates()
    end = active.groupby("period").size()
    retained = active.merge(active.assign(period=active["period"] + 1),
                            on=["customer_id", "period"]).groupby("period").size()
    new = cohorts[0]
    counts = pd.DataFrame({"end": end, "retained": retained, "new": new}).fillna(0).astype(int)
    counts["start"] = counts["end"].shift(1, fill_value=0)
    counts["reactivated"] = counts["end"] - counts["retained"] - counts["new"]
    return counts, cohorts


def same_numbers(ours_result, recipe_result) -> bool:
    counts, cohorts = ours_result
    r_counts, r_cohorts = recipe_result
    columns = ["start", "retained", "new", "reactivated", "end"]
    a = counts[columns].to_numpy()
    b = r_counts[columns].to_numpy()
    if a.shape != b.shape or not np.array_equal(a, b):
        return False
    observed = ~np.isnan(cohorts.to_numpy())
    recipe = r_cohorts.reindex(columns=cohorts.columns).to_numpy()
    mine = cohorts.to_numpy()
    return bool(np.array_equal(np.nan_to_num(recipe)[observed], mine[observed])
                and np.isnan(recipe[~observed]).all())


# --------------------------------------------------------------------------- memory
_MEMORY_CHILD = r"""
import json, sys
import numpy, pandas, pyarrow, pyarrow.csv, pyarrow.parquet, pyarrow.compute
import retention_xl as rx

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

path = sys.argv[1]
with open("/proc/self/clear_refs", "w") as f:   # reset the peak to the current size
    f.write("5")
base = status("VmRSS:")
log = rx.read_log(path)
loaded = log.table.nbytes
analysis = rx.analyse_log(log, period="month")
print(json.dumps({"rise": status("VmHWM:") - base, "loaded": loaded}))
"""


def peak_memory(path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, path], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def loaded_bytes(path: str) -> int:
    """Bytes of the customer and date columns as a reader loads them (int64 + timestamp)."""
    import pyarrow.parquet as pq

    if path.endswith(".parquet"):
        return pq.read_table(path, columns=["customer_id", "date"]).nbytes
    return ROWS * 16


def main() -> None:
    print(f"log: {ROWS:,} purchases, {CUSTOMERS:,} customers, {MONTHS} months (seed {SEED})")
    begin = time.perf_counter()
    frame = synthetic_log()
    with tempfile.TemporaryDirectory(prefix="retention_xl_bench_") as folder:
        paths = write_files(frame, folder)
        del frame
        sizes = {k: os.path.getsize(p) / 2**20 for k, p in paths.items()}
        print(f"written in {fmt_seconds(time.perf_counter() - begin)}: "
              f"Parquet {sizes['parquet']:.0f} MiB, CSV {sizes['csv']:.0f} MiB")
        for kind in ("parquet", "csv"):
            path = paths[kind]
            result = ours(path)
            ours_time = median_seconds(lambda: ours(path), repeat=3, warmup=0)
            recipe_result = None

            def recipe():
                nonlocal recipe_result
                recipe_result = pandas_recipe(path)

            recipe_time = median_seconds(recipe, repeat=1, warmup=0)
            equal = same_numbers(result, recipe_result)
            memory = peak_memory(path)
            ratio = recipe_time / ours_time
            print(f"{kind:8s} retention_xl {fmt_seconds(ours_time)} (median of 3)   "
                  f"pandas recipe {fmt_seconds(recipe_time)} (1 run)   "
                  f"{ratio:.1f}x faster   same numbers: {'yes' if equal else 'NO'}")
            print(f"{'':8s} peak memory rise {memory['rise'] / 2**20:.0f} MiB = "
                  f"{memory['rise'] / memory['loaded']:.2f}x the loaded columns "
                  f"({memory['loaded'] / 2**20:.0f} MiB)")
            if not equal:
                raise SystemExit("bench_logs: retention_xl and the pandas recipe disagree")
    print(f"total {fmt_seconds(time.perf_counter() - begin)}")


if __name__ == "__main__":
    main()
