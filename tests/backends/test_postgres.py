"""PostgreSQL for real: the whole catalog equals DuckDB's results, read-only, cancellable.

The sample data is loaded into a schema of this run's own (see `pg_schema` in conftest).
Every KPI runs at every grain (day over one quarter), grouped by one of its dimensions, and
the whole catalog at every grain in one query; each result must equal DuckDB's (same rows,
values within rel/abs 1e-9: see tests/differential.py).
"""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from sales_metrics import engine
from sales_metrics.adapters.postgres import PostgresAdapter
from support import PROJECT_DIR
from support.differential import GRAINS, Case, assert_same, cases, catalog_at, run_case

pytestmark = pytest.mark.postgres


def _cases():
    return cases(engine.load_project(PROJECT_DIR))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_kpi_equals_duckdb(project, duck, pg, case):
    expected = run_case(project, duck, case)
    actual = run_case(project, pg, case)
    assert_same(expected, actual, project.metrics, case.id)


@pytest.mark.parametrize("grain", GRAINS)
def test_whole_catalog_equals_duckdb(project, duck, pg, grain):
    case = Case("*", grain, ())
    names = catalog_at(project, grain)
    assert_same(run_case(project, duck, case, names), run_case(project, pg, case, names),
                project.metrics, f"catalog-{grain}")


def test_results_are_typed_arrow(project, pg):
    table = project.query(["win_rate", "deals_won", "won_revenue"], connection=pg,
                          grain="quarter", by=["region"])
    assert table.schema.field("period").type == pa.date32()
    assert table.schema.field("region").type == pa.string()
    assert table.schema.field("deals_won").type == pa.int64()
    assert table.schema.field("win_rate").type == pa.float64()


def test_nulls_and_empty_strings_stay_apart(pg):
    table = pg.execute("SELECT NULL::text AS a, ''::text AS b, 'x,\"y\"' AS c, "
                       "NULL::int AS d, true AS e, 'NaN'::float8 AS f")
    assert table.to_pylist()[0] | {"f": None} == {"a": None, "b": "", "c": 'x,"y"', "d": None,
                                                  "e": True, "f": None}
    assert table.column("f")[0].as_py() != table.column("f")[0].as_py()  # NaN
    assert pg.execute("SELECT 1 AS n WHERE false").num_rows == 0


def _count(pg, table: str) -> int:
    return pg.execute(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py()


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities",
    "SELECT 1; DELETE FROM opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "SELECT * INTO stolen FROM opportunities",
    "WITH gone AS (DELETE FROM opportunities RETURNING *) SELECT count(*) FROM gone",
    "UPDATE opportunities SET amount = 0",
    "SELECT * FROM opportunities FOR UPDATE",
    "COPY opportunities TO STDOUT",
])
def test_writes_are_refused_and_nothing_changes(pg, statement):
    before = _count(pg, "opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        pg.execute(statement)
    assert _count(pg, "opportunities") == before
    assert "stolen" not in pg.tables(pg.schema)


def test_the_session_itself_is_read_only(pg):
    """Past the guard, the server refuses writes too: a SELECT calling a function that writes."""
    import psycopg

    with pytest.raises(engine.AdapterError, match="read-only transaction"):
        pg.execute("SELECT nextval('counter') AS n")
    assert pg.execute("SELECT last_value FROM counter").column(0)[0].as_py() == 1
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        pg.conn.execute("CREATE TABLE stolen (x int)")
    pg.conn.rollback()


def test_jit_is_off_unless_asked_for(pg, pg_url):
    """JIT compiling cost seconds on queries that run in milliseconds (see the adapter)."""
    assert pg.execute("SELECT current_setting('jit') AS jit").column(0)[0].as_py() == "off"
    server = pg.execute("SELECT reset_val FROM pg_settings WHERE name = 'jit'").column(0)
    with PostgresAdapter(url=pg_url, jit=True) as conn:
        kept = conn.execute("SELECT current_setting('jit') AS jit").column(0)[0].as_py()
    assert kept == server[0].as_py()


def test_sql_errors_are_one_clean_line(pg):
    with pytest.raises(engine.AdapterError) as raised:
        pg.execute("SELECT no_such_column FROM opportunities")
    assert "\n" not in str(raised.value) and "no_such_column" in str(raised.value)
    assert pg.execute("SELECT 1 AS ok").num_rows == 1  # the connection is still usable


def test_columns_describe_tables_and_queries(pg):
    cols = pg.columns("opportunities")
    assert cols["amount"] == "float8" and cols["stage"] == "text"
    assert cols["closed_at"] == "timestamp"
    assert pg.columns("(SELECT 1 AS one)") == {"one": "int4"}


def _active(pg_url: str, pid: int) -> list[str]:
    with PostgresAdapter(url=pg_url) as watcher:
        rows = watcher.execute(f"SELECT query FROM pg_stat_activity WHERE pid = {pid} "
                               "AND state = 'active'")
    return rows.column("query").to_pylist()


def test_ctrl_c_cancels_the_query_on_the_server(pg_url):
    """An interrupt while a query runs cancels it in the server, not just in the client."""
    import _thread

    with PostgresAdapter(url=pg_url) as conn:
        pid = conn.backend_pid
        seen: list[list[str]] = []

        def interrupt_when_running() -> None:
            for _ in range(100):
                if any("pg_sleep" in q for q in _active(pg_url, pid)):
                    seen.append(_active(pg_url, pid))
                    _thread.interrupt_main()
                    return
                time.sleep(0.05)

        threading.Thread(target=interrupt_when_running, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            conn.execute("SELECT pg_sleep(30) AS slept")
        assert time.monotonic() - started < 10
        assert seen and "pg_sleep" in seen[0][0]
        assert _active(pg_url, pid) == []  # gone from the server
        assert conn.execute("SELECT 1 AS ok").num_rows == 1  # and the connection still works


def test_statement_timeout(pg_url):
    with PostgresAdapter(url=pg_url, statement_timeout=0.2) as conn:
        with pytest.raises(engine.AdapterError, match="statement timeout"):
            conn.execute("SELECT pg_sleep(5)")


def test_refused_connection_is_one_line_with_the_password_masked():
    with pytest.raises(engine.AdapterError) as raised:
        PostgresAdapter(url="postgresql://analyst:s3cr3t-pw@127.0.0.1:1/test", connect_timeout=2)
    text = str(raised.value)
    assert "s3cr3t-pw" not in text and "\n" not in text
    assert text.startswith("postgres: cannot connect")


def _estimated_groups(pg, sql: str) -> float:
    with pg.conn.transaction():
        plan = pg.conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
    return plan[0]["Plan"]["Plan Rows"]


def test_scans_group_keys_behind_a_fence_so_the_planner_expects_few_groups(project, pg,
                                                                          pg_url, pg_schema):
    """With statistics, the planner takes `date_trunc('month', occurred_at)` to have as many
    values as `occurred_at`; each scan's keys come from an OFFSET 0 subquery (scans.py:
    _fence), over whose column it assumes 200, and hashes the few groups instead of sorting
    every row."""
    import sqlglot

    with PostgresAdapter(url=pg_url, writable=True) as writer:  # statistics, as a warehouse
        for name in ("activities", "leads", "reps"):              # has them
            writer.conn.execute(f'ANALYZE "{pg_schema}".{name}')

    sql = project.compile(["calls_made", "email_open_rate", "leads_created",
                           "median_days_lead_to_mql"], grain="month", by=["region"],
                          dialect="postgres")
    scans = {c.alias: c.this for c in sqlglot.parse_one(sql, read="postgres").find_all(
        sqlglot.exp.CTE) if c.alias.startswith("agg_")}
    assert {"agg_activities_occurred_at", "agg_leads_created_at"} <= set(scans)
    estimates = {}
    for name, scan in scans.items():
        assert "OFFSET 0" in scan.sql("postgres"), name
        estimates[name] = _estimated_groups(pg, scan.sql("postgres"))
    plain = ("SELECT date_trunc('month', occurred_at)::date AS m, count(*) FROM activities "
             "GROUP BY 1")  # the same group without the fence: one per timestamp
    rows = pg.execute("SELECT count(*) AS n FROM activities").column("n")[0].as_py()
    assert _estimated_groups(pg, plain) > rows / 2
    assert max(estimates.values()) <= 2_000 < rows / 10, estimates  # 200 months x regions
