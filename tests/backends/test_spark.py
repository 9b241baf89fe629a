"""Spark for real: the generated SQL runs unchanged in Spark SQL and equals DuckDB's results.

One local session serves the whole run (`spark_session` in conftest), reading the sample
Parquet files as temporary views. Every KPI runs at month grain grouped by one of its
dimensions; the whole catalog runs at every grain (one query each, ungrouped), and grouped by
region at quarter and week. Values must equal DuckDB's within rel/abs 1e-9.
"""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from sales_metrics import engine
from support import PROJECT_DIR
from support.differential import (GRAINS, Case, assert_same, cases, catalog_at, compiles,
                          repeated_ctes, run_case)

pytestmark = pytest.mark.spark


def _project():
    return engine.load_project(PROJECT_DIR)


def _params():
    return [pytest.param(case, id=case.id) for case in cases(_project(), grains=("month",))]


@pytest.mark.parametrize("case", _params())
def test_kpi_equals_duckdb(project, duck, spark, case):
    assert not repeated_ctes(project.compile([case.kpi], dialect="spark", **case.options), "spark")
    assert_same(run_case(project, duck, case), run_case(project, spark, case),
                project.metrics, case.id)


@pytest.mark.parametrize("grain", GRAINS)
def test_whole_catalog_equals_duckdb(project, duck, spark, grain):
    case = Case("*", grain, ())
    names = catalog_at(project, grain)
    assert not repeated_ctes(project.compile(names, dialect="spark", **case.options), "spark")
    assert_same(run_case(project, duck, case, names), run_case(project, spark, case, names),
                project.metrics, f"catalog-{grain}")


@pytest.mark.parametrize("grain", ["week", "quarter"])
def test_catalog_by_region_equals_duckdb(project, duck, spark, grain):
    case = Case("*", grain, ("region",))
    names = [k for k in catalog_at(project, grain) if compiles(project, [k], case)]
    assert len(names) > 10
    assert not repeated_ctes(project.compile(names, dialect="spark", **case.options), "spark")
    assert_same(run_case(project, duck, case, names), run_case(project, spark, case, names),
                project.metrics, f"catalog-{grain}-region")


def test_results_are_typed_arrow(project, spark):
    table = project.query(["win_rate", "deals_won"], connection=spark, grain="quarter",
                          by=["region"])
    assert table.schema.field("period").type == pa.date32()
    assert table.schema.field("deals_won").type == pa.int64()
    assert table.schema.field("win_rate").type == pa.float64()


@pytest.mark.parametrize("statement", [
    "DROP VIEW opportunities",
    "SELECT 1; DROP VIEW opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "INSERT INTO stolen SELECT * FROM opportunities",
    "CACHE TABLE opportunities",
    "SET spark.sql.ansi.enabled = false",
])
def test_writes_are_refused_and_nothing_changes(spark, statement):
    before = spark.execute("SELECT count(*) AS n FROM opportunities").column("n")[0].as_py()
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        spark.execute(statement)
    assert spark.execute("SELECT count(*) AS n FROM opportunities").column("n")[0].as_py() \
        == before
    assert "stolen" not in spark.tables(None)


def test_sql_errors_are_one_clean_line(spark):
    with pytest.raises(engine.AdapterError) as raised:
        spark.execute("SELECT no_such_column FROM opportunities")
    assert "\n" not in str(raised.value) and "no_such_column" in str(raised.value)


def test_columns(spark):
    cols = spark.columns("opportunities")
    assert cols["amount"] == "double" and cols["stage"] == "string"


def test_ctrl_c_interrupts_the_jobs(spark):
    """Ctrl-C (SIGINT) while a query runs stops its Spark jobs; the session still works."""
    import os
    import signal

    slow = ("SELECT count(*) AS n FROM range(0, 2000000000, 1, 4) a "
            "WHERE reflect('java.lang.Thread', 'sleep', CAST(a.id % 2 AS BIGINT)) IS NULL")
    tracker = spark.spark.sparkContext.statusTracker()

    def interrupt_when_running() -> None:
        for _ in range(400):
            if tracker.getActiveJobsIds():
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.05)

    threading.Thread(target=interrupt_when_running, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        spark.execute(slow)
    assert time.monotonic() - started < 30
    for _ in range(100):
        if not tracker.getActiveJobsIds():
            break
        time.sleep(0.1)
    assert not tracker.getActiveJobsIds()
    assert spark.execute("SELECT 1 AS ok").num_rows == 1
