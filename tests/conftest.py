"""Shared fixtures: the bundled project, a DuckDB connection to the sample data, a CLI runner."""

from __future__ import annotations

import os

import pytest

from support import DATA_DIR, PROJECT_DIR, ROOT, run_cli  # noqa: F401 (ROOT: for tests)


@pytest.fixture(scope="session", autouse=True)
def replay_cache(tmp_path_factory):
    """The CLI's replay cache (cli/entry.py) in a folder of this session, not the user's."""
    folder = tmp_path_factory.mktemp("metrics-cache")
    os.environ["METRICS_CACHE_DIR"] = str(folder)
    yield folder


@pytest.fixture(scope="session")
def project():
    from sales_metrics import engine

    return engine.load_project(PROJECT_DIR)


@pytest.fixture(scope="session")
def duck(project):
    from sales_metrics import adapters

    with adapters.connect(project) as conn:
        yield conn


@pytest.fixture(scope="session")
def frames():
    """The sample data as pandas DataFrames, read independently of the engine."""
    import pandas as pd

    return {p.stem: pd.read_parquet(p) for p in DATA_DIR.glob("*.parquet")}


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def fakesnow_server():
    """fakesnow's HTTP server in a thread, once per run: the real connector talks to it (its
    Arrow results included), from this process or a `metrics` subprocess. Yields the
    connection settings. (Once: starting it imports ``fakesnow.server``, the module, which
    then shadows the package's ``fakesnow.server()`` function.)"""
    fakesnow = pytest.importorskip("fakesnow", reason="fakesnow is not installed: "
                                   "pip install -e '.[test]'")
    pytest.importorskip("uvicorn", reason="fakesnow's server needs fakesnow[server]")
    import logging
    import shutil

    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "fakesnow.server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with fakesnow.server() as settings:
        settings.pop("session_parameters", None)
        settings.pop("network_timeout", None)
        yield {**settings, "database": f"METRICS_TEST_{os.getpid()}", "schema": "SAMPLE"}
    from fakesnow.transforms import stage  # where the server keeps files PUT on stages

    shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)


# ----------------------------------------------------------------------------- warehouses
#
# PostgreSQL and Spark tests are marked `postgres` / `spark`. They skip only when the service
# is truly absent (nothing listening on the port; no Java), with the reason; under CI=true a
# skip of a marked test is turned into a failure, so CI cannot pass without running them.

PG_URL = os.environ.get("METRICS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
WAREHOUSE_MARKERS = ("postgres", "spark")
# The same holds for the tests that drive a real browser (`browser`: Chromium + chromedriver).
REQUIRED_IN_CI = WAREHOUSE_MARKERS + ("browser", "mysql", "sqlite", "clickhouse", "snowflake",
                                      "spark_connect")  # the last five: tests/backends/conftest.py


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL server (METRICS_TEST_POSTGRES_URL)")
    config.addinivalue_line("markers", "spark: needs pyspark and Java for a local Spark session")
    config.addinivalue_line("markers", "browser: needs Chromium and chromedriver (Debian's "
                            "chromium, chromium-driver) and selenium")
    for name, needs in [("mysql", "a MariaDB/MySQL server (METRICS_TEST_MYSQL_URL), pymysql"),
                        ("sqlite", "the sample in a SQLite file"),
                        ("clickhouse", "chdb, the embedded ClickHouse"),
                        ("snowflake", "fakesnow[server], a Snowflake emulator"),
                        ("spark_connect", "pyspark[connect] and Java, for Spark Connect")]:
        config.addinivalue_line("markers", f"{name}: needs {needs} (tests/backends/conftest.py)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail") and any(
            item.get_closest_marker(m) for m in REQUIRED_IN_CI):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = ("skipped under CI=true, which must run every warehouse and browser "
                           f"test: {reason}")


def _listening(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_url():
    from urllib.parse import urlsplit

    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[test]'")
    parts = urlsplit(PG_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if not _listening(host, port):
        pytest.skip(f"PostgreSQL is not listening on {host}:{port} (set METRICS_TEST_POSTGRES_URL)")
    return PG_URL


@pytest.fixture(scope="session")
def pg_schema(pg_url):
    """The sample data loaded (by `adapters.seed`, as `metrics seed` does) into a schema of
    this test run's own, dropped at the end; plus a sequence, `counter`, that read-only
    sessions must not be able to advance."""
    from sales_metrics.adapters.postgres import PostgresAdapter
    from sales_metrics.adapters.seed import seed

    schema = f"metrics_test_{os.getpid()}"
    with PostgresAdapter(url=pg_url, writable=True) as writer:
        seed(writer, DATA_DIR, schema)
        writer.conn.execute(f'CREATE SEQUENCE "{schema}".counter')
    yield schema
    with PostgresAdapter(url=pg_url, writable=True) as writer:
        writer.conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg(pg_url, pg_schema):
    from sales_metrics.adapters.postgres import PostgresAdapter

    with PostgresAdapter(url=pg_url, schema=pg_schema) as conn:
        yield conn


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """One local Spark session for the whole run (starting one takes seconds); its
    warehouse folder is the run's own, so no spark-warehouse/ is left in the tree."""
    import shutil

    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[test]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Java is not installed (Spark needs Java 17 or later)")
    from sales_metrics.adapters.spark import local_session

    # Small data: one shuffle partition and no adaptive re-planning are several times faster.
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = local_session("local[2]", {"spark.sql.shuffle.partitions": "1",
                                         "spark.sql.adaptive.enabled": "false",
                                         "spark.sql.warehouse.dir": str(warehouse)})
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark(spark_session):
    from sales_metrics.adapters.spark import SparkAdapter

    with SparkAdapter(data=str(DATA_DIR)) as conn:
        yield conn
