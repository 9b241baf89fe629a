"""Each of the engine's dialect rewrites (engine/dialects.py `_REWRITES`), with the sqlglot
behaviour it works around, and the rewritten SQL run on the real engine where one runs here
(SQLite in process, ClickHouse through chdb; MariaDB for MySQL in
tests/backends/test_mysql_adapter.py), against values computed in
Python. When sqlglot changes a behaviour, the first assertion of its test says so, and the
rewrite can go.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel, UnsupportedError

from sales_metrics.engine.dialects import to_sql

STAMP = datetime(2025, 1, 2, 3, 4, 5)
SECONDS = int(STAMP.replace(tzinfo=timezone.utc).timestamp())


def plain(sql: str, dialect: str) -> str:
    """What sqlglot alone makes of a DuckDB expression."""
    return sqlglot.transpile(sql, read="duckdb", write=dialect,
                             unsupported_level=ErrorLevel.RAISE)[0]


def ours(sql: str, dialect: str) -> str:
    return to_sql(sqlglot.parse_one(sql, read="duckdb"), dialect,
                  unsupported_level=ErrorLevel.RAISE)


def sqlite_value(sql: str):
    with sqlite3.connect(":memory:") as conn:
        return conn.execute(sql).fetchone()[0]


def chdb_value(sql: str):
    chdb = pytest.importorskip("chdb", reason="chdb is not installed: pip install -e '.[test]'")
    return chdb.query(sql, "CSV").bytes().decode().strip().strip('"')


EPOCH = f"SELECT epoch(CAST('{STAMP:%Y-%m-%d %H:%M:%S}' AS TIMESTAMP)) AS s"


@pytest.mark.parametrize("dialect", ["mysql", "tsql", "clickhouse", "bigquery", "sqlite"])
def test_epoch_has_no_time_to_unix(dialect):
    assert "TIME_TO_UNIX" in plain(EPOCH, dialect)  # sqlglot's spelling: no such function
    assert "TIME_TO_UNIX" not in ours(EPOCH, dialect)


def test_epoch_runs_on_sqlite_and_clickhouse():
    assert sqlite_value(ours(EPOCH, "sqlite")) == SECONDS
    assert int(chdb_value(ours(EPOCH, "clickhouse"))) == SECONDS


def test_day_differences_on_sqlite():
    sql = "SELECT date_diff('day', CAST('2024-12-30 23:00:00' AS DATE), CAST('2025-03-02' AS DATE))"
    with pytest.raises(UnsupportedError, match="DATEDIFF unsupported"):
        plain(sql, "sqlite")
    assert sqlite_value(ours(sql, "sqlite")) == (date(2025, 3, 2) - date(2024, 12, 30)).days


@pytest.mark.parametrize("unit,expected", [
    ("day", "2025-05-17"), ("month", "2025-05-01"), ("quarter", "2025-04-01"),
    ("year", "2025-01-01")])
def test_truncation_on_sqlite(unit, expected):
    sql = f"SELECT CAST(date_trunc('{unit}', CAST('2025-05-17 10:11:12' AS TIMESTAMP)) AS DATE)"
    assert "TIMESTAMP_TRUNC" in plain(sql, "sqlite")  # not a SQLite function
    assert sqlite_value(ours(sql, "sqlite")) == expected


@pytest.mark.parametrize("month", range(1, 13))
def test_quarter_truncation_on_sqlite_every_month(month):
    sql = f"SELECT CAST(date_trunc('quarter', CAST('2025-{month:02d}-28' AS DATE)) AS DATE)"
    assert sqlite_value(ours(sql, "sqlite")) == date(2025, (month - 1) // 3 * 3 + 1, 1).isoformat()


def test_exact_quantiles_on_clickhouse():
    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6]
    rows = ", ".join(f"({v})" for v in values)
    sql = (f"SELECT median(x) AS m, quantile_cont(x, 0.9) AS p FROM (VALUES {rows}) AS t(x)")
    assert "MEDIAN(" in plain(sql, "clickhouse").upper()  # approximate there
    assert "PERCENTILE_CONT(" in plain(sql, "clickhouse").upper()  # no such aggregate there
    got = ours("SELECT median(x), quantile_cont(x, 0.9) FROM t", "clickhouse")
    table = "(SELECT arrayJoin([" + ", ".join(map(str, values)) + "]) AS x) AS t"
    median, p90 = chdb_value(got.replace("FROM t", f"FROM {table}")).split(",")
    ordered = sorted(values)  # linear interpolation between closest ranks, by hand
    assert float(median) == pytest.approx((ordered[2] + ordered[3]) / 2, rel=1e-12)
    rank = 0.9 * (len(ordered) - 1)
    low = int(rank)
    assert float(p90) == pytest.approx(ordered[low] + (rank - low) * (ordered[low + 1] -
                                                                      ordered[low]), rel=1e-12)


def test_spark_percentile():
    sql = "SELECT quantile_cont(x, 0.9) FROM t"
    assert "PERCENTILE_CONT(" in plain(sql, "spark")  # Spark wants WITHIN GROUP there
    assert "PERCENTILE(x, 0.9)" in ours(sql, "spark")


# -- DuckDB: cheaper per-row forms of the same values (engine/dialects.py, measured in the
# benchmark); each checked on DuckDB against the form it replaces and values by hand.

def duck_rows(sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect() as conn:
        return conn.execute(sql).fetchall()


def test_filtered_counts_become_count_if():
    written = "count(CASE WHEN x > 1 THEN 1 END)"
    assert "COUNT_IF(x > 1)" in ours(written, "duckdb")
    assert "COUNT_IF" not in ours("count(CASE WHEN x > 1 THEN 2 END)", "duckdb")
    assert "COUNT_IF" not in ours("count(CASE WHEN x > 1 THEN 1 ELSE 0 END)", "duckdb")
    table = "(VALUES (0), (2), (3), (NULL)) AS t(x)"  # false, true, true, unknown
    both = f"SELECT {written}, {ours(written, 'duckdb')} FROM {table}"
    assert duck_rows(both) == [(2, 2)]


def test_elapsed_days_on_epoch_integers():
    from sqlglot import exp

    # a conversion window as engine/kinds.py builds it: end <= DateAdd(start, 2, DAY)
    window = exp.LTE(this=exp.column("y"), expression=exp.DateAdd(
        this=exp.column("x"), expression=exp.Literal.number(2), unit=exp.var("DAY")))
    written = window.sql("duckdb")
    rewritten = to_sql(window, "duckdb")
    assert "INTERVAL" in written and rewritten == "EPOCH_US(y) - EPOCH_US(x) <= 172800000000"
    pairs = [("2025-01-01 00:00:00", "2025-01-03 00:00:00"),  # exactly 2 days: in
             ("2025-01-01 00:00:00", "2025-01-03 00:00:00.000001"),  # a microsecond more
             ("2025-03-29 12:00:00", "2025-03-31 11:59:59"), (None, "2025-01-01 00:00:00")]
    values = ", ".join(f"({'NULL' if a is None else repr(a)}::TIMESTAMP, {b!r}::TIMESTAMP)"
                       for a, b in pairs)
    got = duck_rows(f"SELECT {written}, {rewritten} FROM (VALUES {values}) "
                    "AS t(x, y)")
    assert got == [(True, True), (False, False), (True, True), (None, None)]


def test_days_between_dates_by_subtraction():
    written = "date_diff('day', CAST(a AS DATE), CAST(b AS DATE))"
    assert "CAST(b AS DATE) - CAST(a AS DATE)" in ours(written, "duckdb")
    assert "DATE_DIFF" in ours("date_diff('day', a, b)", "duckdb")  # not dates: left alone
    got = duck_rows(f"SELECT {written}, {ours(written, 'duckdb')} FROM (VALUES "
                    "('2024-02-27 23:59'::TIMESTAMP, '2024-03-01 00:01'::TIMESTAMP), "
                    "('2025-01-02'::TIMESTAMP, '2024-12-31'::TIMESTAMP)) AS t(a, b)")
    assert got == [(3, 3), (-2, -2)]


def test_days_between_dates_by_subtraction_on_postgres(pg_url):
    import psycopg

    written = "date_diff('day', CAST(a AS DATE), CAST(b AS DATE))"
    assert "EXTRACT(epoch" in plain(written, "postgres")
    rewritten = ours(written, "postgres")
    assert rewritten == "(CAST(b AS DATE) - CAST(a AS DATE))"
    rows = "('2024-02-27 23:59'::timestamp, '2024-03-01 00:01'::timestamp), " \
           "('2025-01-02'::timestamp, '2024-12-31'::timestamp), (NULL, '2024-12-31'::timestamp)"
    with psycopg.connect(pg_url) as conn:
        got = conn.execute(f"SELECT {plain(written, 'postgres')}, {rewritten} "
                           f"FROM (VALUES {rows}) AS t(a, b)").fetchall()
    assert got == [(3, 3), (-2, -2), (None, None)]
