"""log_counts_sql in the user's dialect (sqlglot), run on DuckDB and on a real PostgreSQL server
started by the test from Debian's package, against counts_from_log (yearly retention included)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile

import numpy as np
import pandas as pd
import pytest

import retention_xl as rx
from retention_xl.purchases import PERIODS, SQL_DIALECTS

COUNTS = ["start", "retained", "new", "reactivated", "end", "returning_within_year"]
SQL_COUNTS = ["start_customers", "retained", "new_customers", "reactivated", "end_customers",
              "returning_within_year"]


@pytest.fixture(scope="session")
def logs_to_check(random_rows):
    """``logs_to_check(count)``: (seed, random log) pairs, with column names that need quoting."""
    def logs(count: int = 6):
        for seed in range(count):
            rows = random_rows(seed + 100, "str")
            yield seed, pd.DataFrame(rows, columns=["client id", "sold_on"]).assign(
                sold_on=lambda d: pd.to_datetime(d["sold_on"]))

    return logs


def assert_same(result: pd.DataFrame, purchases: pd.DataFrame, period: str, label):
    counts = rx.counts_from_log(purchases, "client id", "sold_on", period=period)
    counts = counts[counts["end"] > 0]  # SQL has no row for a period without purchases
    assert [str(pd.Timestamp(d).date()) for d in result["period"]] == \
        [str(p.start_time.date()) for p in counts.index], label
    got = result[SQL_COUNTS].astype(np.int64)
    assert got.to_numpy().tolist() == counts[COUNTS].to_numpy().tolist(), label
    np.testing.assert_allclose(result["retention"].astype(float), counts["retention"], err_msg=str(label))
    np.testing.assert_allclose(result["yearly_retention"].astype(float), counts["yearly_retention"],
                               err_msg=str(label))


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize("dialect", [None, "duckdb"])
def test_duckdb(period, dialect, logs_to_check):
    duckdb = pytest.importorskip("duckdb")
    observed = 0
    for seed, purchases in logs_to_check():
        connection = duckdb.connect()
        connection.register("purchases", purchases)
        result = connection.execute(rx.log_counts_sql("purchases", "client id", "sold_on", period, dialect)).df()
        connection.close()
        assert_same(result, purchases, period, (period, seed))
        observed += int(result["yearly_retention"].notna().sum())
    assert observed or period == "year"  # some yearly retention was compared, not only NULLs


@pytest.mark.parametrize("dialect", SQL_DIALECTS)
def test_every_dialect_is_written_by_sqlglot(dialect):
    sqlglot = pytest.importorskip("sqlglot")
    sql = rx.log_counts_sql("shop.sales", "client", "sold_on", "week", dialect=dialect)
    # it parses back in its own dialect, and names the table and columns as given
    tree = sqlglot.parse_one(sql, read=dialect)
    assert {t.name for t in tree.find_all(sqlglot.exp.Table)} >= {"sales"}
    assert "client" in sql and "sold_on" in sql
    if dialect == "bigquery":
        assert "ISOWEEK" in sql and "`client`" in sql  # weeks from Monday, as counts_from_log
    with pytest.raises(rx.RetentionInputError, match="does not know the SQL dialect 'cobol'"):
        rx.log_counts_sql(dialect="cobol")


# --------------------------------------------------------------------------- PostgreSQL
def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL server: initdb into a temporary folder, unix socket there, a free
    port, no TCP listening; run as the 'postgres' user when the tests run as root. Stopped and
    removed afterwards."""
    psycopg = pytest.importorskip("psycopg")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("RETENTION_XL_REQUIRE_EXTERNAL"):
            pytest.fail("PostgreSQL is not installed (Debian package postgresql)")
        pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
    bin_dir = os.path.dirname(found[-1])
    base = tempfile.mkdtemp(prefix="retention-xl-pg-")
    data = os.path.join(base, "data")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        import pwd

        account = pwd.getpwnam("postgres")
        os.chown(base, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    ctl = as_user + [os.path.join(bin_dir, "pg_ctl"), "-D", data]
    try:
        subprocess.run(as_user + [os.path.join(bin_dir, "initdb"), "-D", data, "-U", "tester", "--auth=trust",
                                  "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
        subprocess.run(ctl + ["-o", f"-k {base} -p {port} -c listen_addresses='' -c fsync=off",
                              "-l", os.path.join(base, "server.log"), "-w", "start"],
                       check=True, capture_output=True, timeout=120)
        with psycopg.connect(host=base, port=port, user="tester", dbname="postgres", autocommit=True) as connection:
            yield connection
    finally:
        subprocess.run(ctl + ["-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
    assert not os.path.exists(base)


@pytest.mark.parametrize("period", list(PERIODS))
def test_postgresql(postgres, period, logs_to_check):
    for seed, purchases in logs_to_check(4):
        with postgres.cursor() as cursor:
            cursor.execute('DROP TABLE IF EXISTS purchases')
            cursor.execute('CREATE TABLE purchases ("client id" text, sold_on timestamp)')
            with cursor.copy('COPY purchases ("client id", sold_on) FROM STDIN') as copy:
                for client, day in purchases.itertuples(index=False):
                    copy.write_row((client, day.to_pydatetime()))
            cursor.execute(rx.log_counts_sql("purchases", "client id", "sold_on", period, dialect="postgres"))
            names = [d.name for d in cursor.description]
            result = pd.DataFrame(cursor.fetchall(), columns=names)
        result["retention"] = result["retention"].astype(float)
        result["yearly_retention"] = result["yearly_retention"].astype(float)
        assert_same(result, purchases, period, ("postgres", period, seed))
