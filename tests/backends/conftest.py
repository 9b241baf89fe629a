"""Engines beyond DuckDB, each loaded with the sample data as `metrics seed` loads it.

Session-scoped, so each engine is opened and seeded once per run:

- `mysql`: a database of this run's own (`metrics_test_<pid>`) on the MariaDB server at
  METRICS_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test), dropped at the end;
- `sqlite`: a file in a temporary folder, opened read-only;
- `chdb_conn`: the embedded ClickHouse (in memory: chdb runs one engine per process, and
  `chdb.query` elsewhere in the suite uses the in-memory one), a database of the run's own;
- `snowflake`: fakesnow's server (an emulator over DuckDB) reached by the real connector;
- `spark_connect`: a Spark Connect server started on the run's local Spark session, reached
  through gRPC by SparkAdapter(remote=...), with the sample files as temporary views.

Every table has the name of its sample file, so the catalog (metrics/*.yml) queries them
unchanged. A fixture skips only when its engine truly cannot run here (nothing listens on the
MariaDB port; a package or Java is missing); every test that uses one carries the engine's
marker, and under CI=true a skip of a marked test is a failure (tests/conftest.py).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support import DATA_DIR

MYSQL_URL = os.environ.get("METRICS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
RUN = f"metrics_test_{os.getpid()}"
# fixture -> the marker every test using it carries
MARKERS = {"mysql_url": "mysql", "mysql_database": "mysql", "mysql": "mysql",
           "sqlite_file": "sqlite", "sqlite": "sqlite", "chdb_conn": "clickhouse",
           "fakesnow_server": "snowflake", "snowflake": "snowflake",
           "spark_connect": "spark_connect"}
HERE = Path(__file__).parent
# fakesnow's own cursor warns about its DuckDB calls on every query
FAKESNOW_NOISE = "ignore:Arrow output on a DB-API result:UserWarning"


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            names = {MARKERS[f] for f in item.fixturenames if f in MARKERS}
            for name in sorted(names):
                item.add_marker(getattr(pytest.mark, name))
            if "snowflake" in names:
                item.add_marker(pytest.mark.filterwarnings(FAKESNOW_NOISE))


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- MySQL/MariaDB


@pytest.fixture(scope="session")
def mysql_url():
    pytest.importorskip("pymysql", reason="pymysql is not installed: pip install -e '.[test]'")
    parts = urlsplit(MYSQL_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 3306
    if not listening(host, port):
        pytest.skip(f"nothing listens on {host}:{port} for MySQL/MariaDB "
                    "(set METRICS_TEST_MYSQL_URL)")
    return MYSQL_URL


@pytest.fixture(scope="session")
def mysql_database(mysql_url):
    """The sample data in a database of this run's own, plus `ledger` and `bump()`, a
    function that writes to it: what a read-only session must not be able to call."""
    from sales_metrics.adapters.mysql import MySQLAdapter
    from sales_metrics.adapters.seed import seed

    with MySQLAdapter(url=mysql_url, writable=True) as writer:
        seed(writer, DATA_DIR, RUN)
        with writer.conn.cursor() as cur:
            cur.execute(f"CREATE TABLE `{RUN}`.ledger (x INT)")
            cur.execute(f"CREATE FUNCTION `{RUN}`.bump() RETURNS INT MODIFIES SQL DATA "
                        f"BEGIN INSERT INTO `{RUN}`.ledger VALUES (1); RETURN 1; END")
    yield RUN
    with MySQLAdapter(url=mysql_url, writable=True) as writer:
        with writer.conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{RUN}`")


@pytest.fixture(scope="session")
def mysql(mysql_url, mysql_database):
    from sales_metrics.adapters.mysql import MySQLAdapter

    with MySQLAdapter(url=mysql_url, database=mysql_database) as conn:
        yield conn


# ----------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_file(tmp_path_factory):
    from sales_metrics.adapters.seed import seed
    from sales_metrics.adapters.sqlite import SQLiteAdapter

    path = tmp_path_factory.mktemp("sqlite") / "crm.db"
    with SQLiteAdapter(database=str(path), writable=True) as writer:
        seed(writer, DATA_DIR, None)
    return path


@pytest.fixture(scope="session")
def sqlite(sqlite_file):
    from sales_metrics.adapters.sqlite import SQLiteAdapter

    with SQLiteAdapter(database=str(sqlite_file)) as conn:
        yield conn


# ----------------------------------------------------------------------------- ClickHouse


@pytest.fixture(scope="session")
def chdb_conn():
    """chdb keeps an in-memory engine only while a session is open: the reader is opened
    before the writer closes, and the run's database is dropped before the reader closes."""
    pytest.importorskip("chdb", reason="chdb is not installed: pip install -e '.[test]'")
    from sales_metrics.adapters.clickhouse import ChdbAdapter
    from sales_metrics.adapters.seed import seed

    with ChdbAdapter(schema=RUN, writable=True) as writer:
        seed(writer, DATA_DIR, RUN)
        reader = ChdbAdapter(schema=RUN)
    with reader:
        yield reader
        with ChdbAdapter(writable=True) as writer:
            writer.session.query(f"DROP DATABASE IF EXISTS `{RUN}`")


# ----------------------------------------------------------------------------- Snowflake


# fakesnow_server: in tests/conftest.py (the oracles start their own seeded copy on it)


@pytest.fixture(scope="session")
def snowflake(fakesnow_server):
    from sales_metrics.adapters.seed import seed
    from sales_metrics.adapters.snowflake import SnowflakeAdapter

    with SnowflakeAdapter(**fakesnow_server, writable=True) as writer:
        seed(writer, DATA_DIR, None)
    with SnowflakeAdapter(**fakesnow_server) as conn:
        yield conn


# ----------------------------------------------------------------------------- Spark Connect


@pytest.fixture(scope="session")
def spark_connect(spark_session):
    """Spark Connect on the run's local Spark session (one JVM): its server is started on
    that SparkContext, on a free port, and SparkAdapter connects to it as any client would.
    (`SparkSession.builder.remote("local")` would start a second context, which Spark
    refuses while the classic session the other Spark tests use exists.)"""
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect]: "
                        "pip install -e '.[test]'")
    from sales_metrics.adapters.spark import SparkAdapter

    port = _free_port()
    context = spark_session.sparkContext._jsc.sc()
    context.conf().set("spark.connect.grpc.binding.address", "127.0.0.1")
    context.conf().set("spark.connect.grpc.binding.port", str(port))
    spark_session._jvm.org.apache.spark.sql.connect.service.SparkConnectService.start(context)
    with SparkAdapter(remote=f"sc://127.0.0.1:{port}", data=str(DATA_DIR)) as conn:
        yield conn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
