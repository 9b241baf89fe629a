"""Spark Connect (the path Databricks users take): SparkAdapter(remote="sc://...") against a
Connect server on this run's local Spark, reached over gRPC. Typed Arrow results, the guard,
clean errors; expected values come from the Parquet files, read with pyarrow."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sales_metrics import engine
from support import DATA_DIR

pytestmark = pytest.mark.spark_connect
OPPORTUNITIES = pq.read_table(DATA_DIR / "opportunities.parquet")


def scalar(conn, sql: str):
    return conn.execute(sql).column(0)[0].as_py()


def test_the_session_is_remote(spark_connect):
    from pyspark.sql.connect.session import SparkSession as RemoteSession

    assert isinstance(spark_connect.spark, RemoteSession)


def test_every_sample_file_is_a_view_with_all_its_rows(spark_connect):
    for path in DATA_DIR.glob("*.parquet"):
        assert scalar(spark_connect, f"SELECT count(*) AS n FROM {path.stem}") == \
            pq.read_metadata(path).num_rows, path.stem


def test_results_are_typed_arrow(spark_connect):
    won = OPPORTUNITIES.filter(pc.equal(OPPORTUNITIES["stage"], "won"))
    table = spark_connect.execute(
        "SELECT count(*) AS deals, sum(amount) AS revenue, "
        "CAST(min(created_at) AS DATE) AS day FROM opportunities WHERE stage = 'won'")
    assert table.schema.types == [pa.int64(), pa.float64(), pa.date32()]
    got = table.to_pylist()[0]
    assert got["deals"] == won.num_rows
    assert got["day"] == pc.min(won["created_at"]).as_py().date()
    assert got["revenue"] == pytest.approx(pc.sum(won["amount"]).as_py(), rel=1e-12)


@pytest.mark.parametrize("statement", [
    "DROP VIEW opportunities",
    "SELECT 1; DROP VIEW opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "INSERT INTO stolen SELECT * FROM opportunities",
])
def test_writes_are_refused_and_nothing_changes(spark_connect, statement):
    before = scalar(spark_connect, "SELECT count(*) AS n FROM opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        spark_connect.execute(statement)
    assert scalar(spark_connect, "SELECT count(*) AS n FROM opportunities") == before
    assert "stolen" not in spark_connect.tables(None)


def test_sql_errors_are_one_clean_line(spark_connect):
    with pytest.raises(engine.AdapterError) as raised:
        spark_connect.execute("SELECT no_such_column FROM opportunities")
    assert "\n" not in str(raised.value) and "no_such_column" in str(raised.value)
