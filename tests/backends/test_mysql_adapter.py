"""MySQL/MariaDB for real: typed Arrow, read-only transactions, Ctrl-C, clean failures.

The sample data is loaded into a database of this run's own (`mysql_database` in
tests/backends/conftest.py). Expected values are computed from the Parquet files with
pyarrow, never by the adapter.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sales_metrics import engine
from sales_metrics.adapters.mysql import MySQLAdapter
from support import DATA_DIR, PROJECT_DIR, run_cli

pytestmark = pytest.mark.mysql
OPPORTUNITIES = pq.read_table(DATA_DIR / "opportunities.parquet")


def scalar(conn, sql: str):
    return conn.execute(sql).column(0)[0].as_py()


def test_every_sample_table_is_there_with_all_its_rows(mysql):
    files = {p.stem: pq.read_metadata(p).num_rows for p in DATA_DIR.glob("*.parquet")}
    assert mysql.tables(None) >= set(files)
    for name, rows in files.items():
        assert scalar(mysql, f"SELECT count(*) AS n FROM {name}") == rows, name


def test_results_are_typed_arrow(mysql):
    row = OPPORTUNITIES.filter(pc.is_valid(OPPORTUNITIES["closed_at"])).slice(0, 1).to_pylist()[0]
    table = mysql.execute(
        "SELECT opportunity_id, CAST(created_at AS DATE) AS day, amount, stage, closed_at, "
        "CAST(amount AS DECIMAL(14, 2)) AS exact FROM opportunities "
        f"WHERE opportunity_id = {row['opportunity_id']}")
    assert table.schema.types == [pa.int64(), pa.date32(), pa.float64(), pa.string(),
                                  pa.timestamp("us"), pa.decimal128(table.schema.field(
                                      "exact").type.precision, 2)]
    got = table.to_pylist()[0]
    assert got["day"] == row["created_at"].date() and got["amount"] == row["amount"]
    assert got["stage"] == row["stage"] and got["closed_at"] == row["closed_at"]
    assert got["exact"] == Decimal(str(row["amount"])).quantize(Decimal("0.01"))


def test_aggregates_equal_pyarrow(mysql):
    won = OPPORTUNITIES.filter(pc.equal(OPPORTUNITIES["stage"], "won"))
    table = mysql.execute("SELECT count(*) AS deals, sum(amount) AS revenue FROM opportunities "
                          "WHERE stage = 'won'")
    assert table.column("deals").type == pa.int64()
    assert table.column("deals")[0].as_py() == won.num_rows
    assert table.column("revenue")[0].as_py() == pytest.approx(pc.sum(won["amount"]).as_py(),
                                                                rel=1e-12)


def test_decimals_stay_exact_and_booleans_are_booleans(mysql):
    digits = "12345678901234567890.12"  # beyond a double's 15-17 significant digits
    table = mysql.execute(f"SELECT CAST('{digits}' AS DECIMAL(24, 2)) AS d")
    assert pa.types.is_decimal(table.column("d").type)
    assert table.column("d")[0].as_py() == Decimal(digits)
    activities = pq.read_table(DATA_DIR / "activities.parquet", columns=["is_follow_up"])
    flags = mysql.execute("SELECT is_follow_up FROM activities").column("is_follow_up")
    assert flags.type == pa.bool_()
    assert pc.sum(flags).as_py() == pc.sum(activities["is_follow_up"]).as_py()


def test_nulls_empty_results_and_the_utc_session(mysql):
    table = mysql.execute("SELECT NULL AS a, '' AS b, CAST(NULL AS SIGNED) AS c")
    assert table.to_pylist() == [{"a": None, "b": "", "c": None}]
    assert table.column("c").type == pa.int64()
    empty = mysql.execute("SELECT opportunity_id, amount, created_at FROM opportunities "
                          "WHERE 1 = 0")
    assert empty.num_rows == 0
    assert empty.schema.types == [pa.int64(), pa.float64(), pa.timestamp("us")]
    epoch = int(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    assert scalar(mysql, "SELECT UNIX_TIMESTAMP(TIMESTAMP '2024-01-01 00:00:00')") == epoch


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities",
    "SELECT 1; DELETE FROM opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "UPDATE opportunities SET amount = 0",
    "INSERT INTO opportunities (opportunity_id) VALUES (-1)",
    "DROP TABLE opportunities",
    "SELECT * FROM opportunities FOR UPDATE",
    "SELECT * INTO OUTFILE '/tmp/stolen.csv' FROM opportunities",
    "SELECT count(*) INTO @n FROM opportunities",
])
def test_writes_are_refused_and_nothing_changes(mysql, statement):
    before = scalar(mysql, "SELECT count(*) FROM opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        mysql.execute(statement)
    assert scalar(mysql, "SELECT count(*) FROM opportunities") == before
    assert "stolen" not in mysql.tables(None)


def test_the_server_refuses_writes_past_the_guard(mysql):
    """A SELECT that calls a function that inserts, and statements sent on the raw connection
    (autocommit, no explicit transaction): the session itself is read-only."""
    import pymysql

    with pytest.raises(engine.AdapterError, match="READ ONLY transaction"):
        mysql.execute("SELECT bump() AS n")
    assert scalar(mysql, "SELECT count(*) FROM ledger") == 0
    for statement in ("DELETE FROM opportunities", "CREATE TABLE stolen (x INT)"):
        with pytest.raises(pymysql.err.OperationalError) as raised:
            with mysql.conn.cursor() as cur:
                cur.execute(statement)
        assert raised.value.args[0] == 1792  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    assert scalar(mysql, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows


def test_sql_errors_are_one_clean_line(mysql):
    with pytest.raises(engine.AdapterError) as raised:
        mysql.execute("SELECT no_such_column FROM opportunities")
    text = str(raised.value)
    assert "\n" not in text and "no_such_column" in text and text.startswith("mysql: ")
    assert scalar(mysql, "SELECT 1") == 1  # the connection is still usable


def test_columns_describe_tables_and_queries(mysql):
    cols = mysql.columns("opportunities")
    assert cols["amount"] == "double" and cols["stage"] == "string"
    assert cols["closed_at"] == "timestamp[us]" and cols["opportunity_id"] == "int64"
    assert mysql.columns("(SELECT 1 AS one)") == {"one": "int64"}


def test_statement_timeout(mysql_url):
    with MySQLAdapter(url=mysql_url, statement_timeout=0.3) as conn:
        started = time.monotonic()
        with pytest.raises(engine.AdapterError, match="interrupted|maximum statement"):
            conn.execute("SELECT SLEEP(5)")
        assert time.monotonic() - started < 4


def _running(mysql_url: str, thread_id: int) -> list[str]:
    with MySQLAdapter(url=mysql_url) as watcher:
        rows = watcher.execute("SELECT info FROM information_schema.processlist "
                               f"WHERE id = {thread_id} AND info IS NOT NULL")
    return rows.column("info").to_pylist()


def test_ctrl_c_kills_the_query_on_the_server(mysql_url):
    with MySQLAdapter(url=mysql_url) as conn:
        thread_id, seen = conn.thread_id, []

        def interrupt_when_running() -> None:
            for _ in range(100):
                if any("SLEEP" in q for q in _running(mysql_url, thread_id)):
                    seen.append(True)
                    os.kill(os.getpid(), signal.SIGINT)
                    return
                time.sleep(0.05)

        threading.Thread(target=interrupt_when_running, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            conn.execute("SELECT SLEEP(30) AS slept")
        assert seen and time.monotonic() - started < 10
        assert _running(mysql_url, thread_id) == []  # gone from the server
        assert scalar(conn, "SELECT 1") == 1  # and the adapter reconnects


def test_refused_connection_is_one_line_with_the_password_masked():
    with pytest.raises(engine.AdapterError) as raised:
        MySQLAdapter(url="mysql://analyst:s3cr3t-pw@127.0.0.1:1/test", connect_timeout=2)
    text = str(raised.value)
    assert "s3cr3t-pw" not in text and "\n" not in text
    assert text.startswith("mysql: cannot connect")


def test_wrong_password_on_the_cli_is_one_line_masked(mysql_url):
    bad = mysql_url.replace("root@", "nobody_here:Wr0ng-Pass-77@")
    result = run_cli("validate", str(PROJECT_DIR), "--against", bad)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line, = result.stderr.strip().splitlines()
    assert "Wr0ng-Pass-77" not in result.stderr and "Access denied" in line


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_connection_url_reaches_the_adapter(mysql_url, mysql_database, scheme):
    """`validate --against URL` describes every source's table on the server."""
    url = mysql_url.replace("mysql://", f"{scheme}://").rsplit("/", 1)[0] + "/" + mysql_database
    result = run_cli("validate", str(PROJECT_DIR), "--against", url)
    assert result.returncode == 0, result.stderr
    assert "are valid" in result.stdout + result.stderr
    missing = run_cli("validate", str(PROJECT_DIR), "--against", url.rsplit("/", 1)[0] + "/test")
    assert missing.returncode == 1 and "opportunities" in missing.stdout + missing.stderr


def test_seeding_needs_a_writable_connection(mysql):
    from sales_metrics.adapters.seed import seed

    with pytest.raises(engine.AdapterError, match="read-only; seeding needs"):
        seed(mysql, DATA_DIR, None, replace=True)
    assert scalar(mysql, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows


def test_epoch_rewrite_runs_on_mysql(mysql):
    """sqlglot spells epoch(x) TIME_TO_UNIX(x) for MySQL, which has no such function; the
    engine's rewrite (engine/dialects.py) gives seconds since 1970 whatever the time zone."""
    import sqlglot

    from sales_metrics.engine.dialects import to_sql

    stamp = dt.datetime(2025, 1, 2, 3, 4, 5)
    sql = to_sql(sqlglot.parse_one(f"SELECT epoch(CAST('{stamp:%Y-%m-%d %H:%M:%S}' AS "
                                   "TIMESTAMP)) AS s", read="duckdb"), "mysql")
    assert mysql.execute(sql).column("s")[0].as_py() == \
        int(stamp.replace(tzinfo=dt.timezone.utc).timestamp())
