"""Purchase log to counts and cohorts: retention_xl against polars, DuckDB and pandas, on every input.

A seeded synthetic log (default 2.5 million purchases, 250,000 customers, 36
months: what the 2-core shared test machine runs in a few minutes) is written as
five inputs: integer ids in Parquet and in CSV, text ids ("C0001234") in Parquet
and in CSV, and integer ids spread over a wide range (Parquet). For each input,
in the same run:

- each tool's best recipe computes the per-month counts (start, retained, new,
  reactivated, end) and the cohort table (customers of each first-purchase month
  active k months later) from the file: retention_xl's ``analyse_log``; polars'
  lazy scan, ``unique`` and ``group_by``; DuckDB's SQL over ``read_parquet`` /
  ``read_csv``; the common pandas recipe (``groupby().transform("min")`` and
  ``pivot_table(aggfunc="nunique")``);
- every peer's numbers are checked equal to ours before any time is printed;
- the tools take turns (interleaved repeats), the median and the spread
  (max / min) of each are printed, and the ratio of each peer to us;
- peak memory of every tool, each measured in a fresh subprocess: the rise of
  the peak resident set (VmHWM, reset through /proc/self/clear_refs once every
  tool's library is imported, so the same baseline is subtracted for every
  tool), as a multiple of the loaded columns: the Arrow size of the customer id
  and date columns as pyarrow reads them (int64 or text ids; timestamps from
  Parquet, dates from CSV).

    python -m benchmarks logs
    RETENTION_XL_BENCH_ROWS=1000000 python -m benchmarks logs    # smaller
    RETENTION_XL_BENCH_ROWS=10000000 python -m benchmarks logs   # the size of issue 13
    RETENTION_XL_BENCH_SKIP=pandas ...                            # without a peer
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from benchmarks.timing import fmt_seconds

ROWS = int(os.environ.get("RETENTION_XL_BENCH_ROWS", 2_500_000))
CUSTOMERS = int(os.environ.get("RETENTION_XL_BENCH_CUSTOMERS", ROWS // 10))
REPEAT = int(os.environ.get("RETENTION_XL_BENCH_REPEAT", 5))
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
    """The five inputs: {name: path}."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    ids = frame["customer_id"].to_numpy()
    variants = {
        "int": pa.array(ids),
        "str": pa.array(np.char.add("C", np.char.zfill((ids - 1_000_000).astype(str), 7)).astype(object)),
        "wide": pa.array(ids * 7_919_000_003 % (1 << 62)),  # sparse: 2.5e5 ids over 4.6e18
    }
    dates = pa.array(frame["date"].to_numpy())
    paths = {}
    for name, column in variants.items():
        table = pa.table({"customer_id": column, "date": dates})
        paths[f"{name} Parquet"] = os.path.join(folder, f"{name}.parquet")
        pq.write_table(table, paths[f"{name} Parquet"])
        if name != "wide":
            paths[f"{name} CSV"] = os.path.join(folder, f"{name}.csv")
            csv_table = table.set_column(1, "date", table.column("date").cast(pa.date32()))
            pacsv.write_csv(csv_table, paths[f"{name} CSV"], write_options=pacsv.WriteOptions(quoting_style="none"))
    return paths


# --------------------------------------------------------------------------- the tools
def ours(path: str):
    import retention_xl as rx

    analysis = rx.analyse_log(path, period="month")
    counts = analysis.counts[["start", "retained", "new", "reactivated", "end"]]
    cells = analysis.cohort_counts.stack().dropna()
    return counts.to_numpy(np.int64), {(int(c.year * 12 + c.month - 1), int(a)): int(v)
                                       for (c, a), v in cells.items() if v}


def polars_recipe(path: str):
    import polars as pl

    scan = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(
        path, schema_overrides={"date": pl.Date})
    month = (pl.col("date").dt.year().cast(pl.Int64) * 12 + pl.col("date").dt.month().cast(pl.Int64) - 1)
    active = (scan.select(pl.col("customer_id"), month.alias("p")).unique()
              .with_columns(pl.col("p").min().over("customer_id").alias("cohort")).collect())
    end = active.group_by("p").len(name="end")
    retained = active.join(active.select("customer_id", (pl.col("p") + 1).alias("p")),
                           on=["customer_id", "p"]).group_by("p").len(name="retained")
    new = active.filter(pl.col("p") == pl.col("cohort")).group_by("p").len(name="new")
    cohorts = active.group_by("cohort", (pl.col("p") - pl.col("cohort")).alias("age")).len(name="n")
    return _assemble(end.to_pandas(), retained.to_pandas(), new.to_pandas(), cohorts.to_pandas())


def duckdb_recipe(path: str):
    import duckdb

    source = f"read_parquet('{path}')" if path.endswith(".parquet") else \
        f"read_csv('{path}', columns={{'customer_id': '{_csv_id_type(path)}', 'date': 'DATE'}}, header=true)"
    con = duckdb.connect()
    con.execute(f"""CREATE TEMP TABLE active AS
        SELECT customer_id, p, MIN(p) OVER (PARTITION BY customer_id) AS cohort FROM (
          SELECT DISTINCT customer_id, year(date) * 12 + month(date) - 1 AS p FROM {source})""")
    end = con.execute("SELECT p, COUNT(*) AS \"end\" FROM active GROUP BY p").df()
    retained = con.execute("""SELECT a.p, COUNT(*) AS retained FROM active a JOIN active b
                              ON a.customer_id = b.customer_id AND b.p = a.p - 1 GROUP BY a.p""").df()
    new = con.execute("SELECT p, COUNT(*) AS new FROM active WHERE p = cohort GROUP BY p").df()
    cohorts = con.execute("SELECT cohort, p - cohort AS age, COUNT(*) AS n FROM active GROUP BY ALL").df()
    con.close()
    return _assemble(end, retained, new, cohorts)


def _csv_id_type(path: str) -> str:
    return "VARCHAR" if os.path.basename(path).startswith("str") else "BIGINT"


def pandas_recipe(path: str):
    """The common recipe, written as efficiently as plain pandas allows (no row-wise apply)."""
    if path.endswith(".parquet"):
        df = pd.read_parquet(path, columns=["customer_id", "date"])
    else:
        df = pd.read_csv(path, usecols=["customer_id", "date"], parse_dates=["date"])
    df["p"] = df["date"].dt.year * 12 + df["date"].dt.month - 1
    df["cohort"] = df.groupby("customer_id")["p"].transform("min")
    df["age"] = df["p"] - df["cohort"]
    cohorts = df.pivot_table(index="cohort", columns="age", values="customer_id", aggfunc="nunique")
    cohorts = cohorts.stack().dropna().rename("n").reset_index()
    active = df[["customer_id", "p", "cohort"]].drop_duplicates()
    end = active.groupby("p").size().rename("end").reset_index()
    retained = active.merge(active[["customer_id", "p"]].assign(p=active["p"] + 1),
                            on=["customer_id", "p"]).groupby("p").size().rename("retained").reset_index()
    new = active[active["p"] == active["cohort"]].groupby("p").size().rename("new").reset_index()
    return _assemble(end, retained, new, cohorts)


def _assemble(end, retained, new, cohorts):
    """Peers' pieces as (counts array like ours, {(cohort, age): customers})."""
    table = end.set_index("p")[["end"]].join(retained.set_index("p")).join(new.set_index("p"))
    table = table.reindex(range(int(table.index.min()), int(table.index.max()) + 1)).fillna(0).astype(np.int64)
    table["start"] = table["end"].shift(1, fill_value=0)
    table["reactivated"] = table["end"] - table["retained"] - table["new"]
    cells = {(int(c), int(a)): int(n) for c, a, n in cohorts[["cohort", "age", "n"]].itertuples(index=False)
             if n}
    return table[["start", "retained", "new", "reactivated", "end"]].to_numpy(np.int64), cells


TOOLS = {"retention_xl": ours, "polars": polars_recipe, "duckdb": duckdb_recipe, "pandas": pandas_recipe}
#: RETENTION_XL_BENCH_SKIP=pandas leaves a peer out (the pandas recipe takes minutes at 10 million rows)
for _name in os.environ.get("RETENTION_XL_BENCH_SKIP", "").split(","):
    TOOLS.pop(_name.strip(), None)


# --------------------------------------------------------------------------- memory
_MEMORY_CHILD = r"""
import sys
import numpy, pandas, pyarrow, pyarrow.csv, pyarrow.parquet, pyarrow.compute, polars, duckdb
import retention_xl.purchases
from benchmarks import bench_logs

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

tool, path = sys.argv[1], sys.argv[2]
with open("/proc/self/clear_refs", "w") as f:   # reset the peak (VmHWM) to the current size
    f.write("5")
base = status("VmRSS:")
bench_logs.TOOLS[tool](path)
print("RISE", status("VmHWM:") - base)  # the last line (a library may print before it)
"""


def loaded_bytes(path: str) -> int:
    """The loaded columns: the Arrow size of the two columns the log needs, as pyarrow reads
    them (``read_table`` / ``read_csv``, types as inferred: int64 or text ids; timestamps from
    Parquet, dates from CSV)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["customer_id", "date"]) if path.endswith(".parquet") else \
        pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(include_columns=["customer_id", "date"]))
    return table.nbytes


def peak_memory(tool: str, path: str) -> int:
    """The rise of the peak resident set (VmHWM) of a fresh process over its size once every
    tool's library is imported, while ``tool`` counts the log: the same baseline for every tool."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, tool, path], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return int(out.stdout.strip().splitlines()[-1].split()[1])


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    print(f"log: {ROWS:,} purchases, {CUSTOMERS:,} customers, {MONTHS} months (seed {SEED}); "
          f"{REPEAT} interleaved runs per tool (pandas: 1); {os.cpu_count()} cores, load {_load()}", flush=True)
    begin = time.perf_counter()
    frame = synthetic_log()
    with tempfile.TemporaryDirectory(prefix="retention_xl_bench_") as folder:
        paths = write_files(frame, folder)
        del frame
        print(f"inputs written in {fmt_seconds(time.perf_counter() - begin)}", flush=True)
        for name, path in paths.items():
            expected = ours(path)
            for tool, recipe in TOOLS.items():
                got = recipe(path)
                if not (np.array_equal(got[0], expected[0]) and got[1] == expected[1]):
                    raise SystemExit(f"bench_logs: {tool} and retention_xl disagree on {name}")
            times = {tool: [] for tool in TOOLS}
            for run in range(REPEAT):
                for tool, recipe in TOOLS.items():
                    if tool == "pandas" and run:  # one run: it is the slowest by far
                        continue
                    gc.collect()
                    start = time.perf_counter()
                    recipe(path)
                    times[tool].append(time.perf_counter() - start)
            medians = {tool: statistics.median(t) for tool, t in times.items()}
            loaded = loaded_bytes(path)
            memory = {tool: peak_memory(tool, path) for tool in TOOLS}
            cells = "   ".join(
                f"{tool} {fmt_seconds(m)}" + ("" if tool == "retention_xl" else f" ({m / medians['retention_xl']:.1f}x)")
                + (f" [spread {max(times[tool]) / min(times[tool]):.2f}]" if len(times[tool]) > 1 else "")
                for tool, m in medians.items())
            fastest_peer = min((m, t) for t, m in medians.items() if t != "retention_xl")
            print(f"{name:13s} same numbers: yes   {cells}")
            print(f"{'':13s} fastest peer {fastest_peer[1]} at {fastest_peer[0] / medians['retention_xl']:.2f}x ours; "
                  f"load {_load()}")
            print(f"{'':13s} peak memory rise, as a multiple of the loaded columns ({loaded / 2**20:.0f} MiB): "
                  + "   ".join(f"{tool} {rise / 2**20:.0f} MiB = {rise / loaded:.2f}x" for tool, rise in memory.items()),
                  flush=True)
    print(f"total {fmt_seconds(time.perf_counter() - begin)}")


if __name__ == "__main__":
    main()
