"""Snowflake through the real connector against fakesnow's server (an emulator over DuckDB):
Arrow fetches, folded names, the guard, clean failures, URLs. Weaker evidence than Snowflake
itself: DuckDB computes the results. Snowflake has no read-only session, so nothing here can
show the engine refusing a write past the guard; a read-only role is the protection there.
Expected values come from the Parquet files, read with pyarrow."""

from __future__ import annotations

from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sales_metrics import adapters, engine
from sales_metrics.adapters.snowflake import SnowflakeAdapter
from support import DATA_DIR, PROJECT_DIR, run_cli

pytestmark = pytest.mark.snowflake
OPPORTUNITIES = pq.read_table(DATA_DIR / "opportunities.parquet")


def scalar(conn, sql: str):
    return conn.execute(sql).column(0)[0].as_py()


def url_of(server: dict, password: str | None = None) -> str:
    query = urlencode({"host": server["host"], "port": server["port"],
                       "protocol": server["protocol"]})
    who = f"{server['user']}:{password or server['password']}"
    return f"snowflake://{who}@{server['account']}/{server['database']}/{server['schema']}?{query}"


def test_every_sample_table_is_there_with_all_its_rows(snowflake):
    files = {p.stem: pq.read_metadata(p).num_rows for p in DATA_DIR.glob("*.parquet")}
    assert snowflake.tables(None) == set(files)
    for name, rows in files.items():
        assert scalar(snowflake, f"SELECT count(*) AS n FROM {name}") == rows, name


def test_results_are_arrow_with_unfolded_names(snowflake):
    won = OPPORTUNITIES.filter(pc.equal(OPPORTUNITIES["stage"], "won"))
    table = snowflake.execute(
        "SELECT count(*) AS deals, sum(amount) AS revenue, min(stage) AS first_stage, "
        "CAST(min(created_at) AS DATE) AS day, CAST(1.25 AS NUMBER(10, 2)) AS exact, "
        "1 AS \"Quoted\" FROM opportunities WHERE stage = 'won'")
    assert table.column_names == ["deals", "revenue", "first_stage", "day", "exact", "Quoted"]
    assert table.schema.types[:5] == [pa.int64(), pa.float64(), pa.string(), pa.date32(),
                                      pa.decimal128(10, 2)]
    assert all(not f.metadata for f in table.schema)
    got = table.to_pylist()[0]
    assert got["deals"] == won.num_rows and got["first_stage"] == "won"
    assert got["day"] == pc.min(won["created_at"]).as_py().date()
    assert got["revenue"] == pytest.approx(pc.sum(won["amount"]).as_py(), rel=1e-12)


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities",
    "SELECT 1; DELETE FROM opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "UPDATE opportunities SET amount = 0",
    "INSERT INTO opportunities (opportunity_id) VALUES (-1)",
    "DROP TABLE opportunities",
    "COPY INTO @%opportunities FROM opportunities",
    "PUT 'file:///etc/hostname' @%opportunities",
    "CALL system$wait(1)",
])
def test_writes_are_refused_and_nothing_changes(snowflake, statement):
    before = scalar(snowflake, "SELECT count(*) FROM opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        snowflake.execute(statement)
    assert scalar(snowflake, "SELECT count(*) FROM opportunities") == before
    assert "stolen" not in snowflake.tables(None)


def test_sql_errors_are_one_clean_line(snowflake):
    with pytest.raises(engine.AdapterError) as raised:
        snowflake.execute("SELECT no_such_column FROM opportunities")
    text = str(raised.value)
    assert "\n" not in text and "NO_SUCH_COLUMN" in text.upper()
    assert text.startswith("snowflake: ")
    assert scalar(snowflake, "SELECT 1") == 1


def test_columns(snowflake):
    cols = snowflake.columns("opportunities")
    assert cols["amount"] == "double" and cols["stage"] == "string"
    assert cols["opportunity_id"] == "int64"


def test_refused_connection_is_one_line_with_the_password_masked():
    url = "snowflake://analyst:s3cr3t-pw@acct/db/sch?host=127.0.0.1&port=1&protocol=http"
    with pytest.raises(engine.AdapterError) as raised:
        SnowflakeAdapter(url=url, connect_timeout=2)
    text = str(raised.value)
    assert "s3cr3t-pw" not in text and "\n" not in text
    assert text.startswith("snowflake: cannot connect")


def test_a_bad_url_option_is_a_usage_error():
    with pytest.raises(engine.UsageError, match="unknown option in the URL: colour"):
        SnowflakeAdapter(url="snowflake://u@acct/db?colour=blue")


def test_connection_url_reaches_the_adapter(project, snowflake, fakesnow_server):
    with adapters.connect(project, connection=url_of(fakesnow_server)) as conn:
        assert isinstance(conn, SnowflakeAdapter)
        assert scalar(conn, "SELECT count(*) FROM reps") == pq.read_metadata(
            DATA_DIR / "reps.parquet").num_rows
    result = run_cli("validate", str(PROJECT_DIR), "--against", url_of(fakesnow_server))
    assert result.returncode == 0, result.stderr
    assert "are valid" in result.stdout + result.stderr


def test_a_refused_url_on_the_cli_is_one_line_masked():
    url = "snowflake://analyst:Pw-0f-Snow@acct/db/sch?host=127.0.0.1&port=1&protocol=http"
    result = run_cli("validate", str(PROJECT_DIR), "--against", url, "--connect-timeout", "2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line, = result.stderr.strip().splitlines()
    assert line.startswith("error: snowflake target") and "Pw-0f-Snow" not in result.stderr
