"""ClickHouse: the embedded engine (chdb) for real, sandboxed; the server adapter
(clickhouse-connect) only as far as it goes without a server: its clean connection errors
and the URL that reaches it. Expected values come from the Parquet files, read with pyarrow."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sales_metrics import adapters, engine
from sales_metrics.adapters.clickhouse import ClickHouseAdapter, sandbox_problem
from support import DATA_DIR, PROJECT_DIR, ROOT, run_cli

pytestmark = pytest.mark.clickhouse
OPPORTUNITIES = pq.read_table(DATA_DIR / "opportunities.parquet")
SECRET = "/etc/hostname"  # a file any process may read: the sandbox must not let SQL do it


def scalar(conn, sql: str):
    return conn.execute(sql).column(0)[0].as_py()


def test_every_sample_table_is_there_with_all_its_rows(chdb_conn):
    files = {p.stem: pq.read_metadata(p).num_rows for p in DATA_DIR.glob("*.parquet")}
    assert chdb_conn.tables(None) == set(files)
    for name, rows in files.items():
        assert scalar(chdb_conn, f"SELECT count(*) AS n FROM {name}") == rows, name


def test_results_are_typed_arrow(chdb_conn):
    won = OPPORTUNITIES.filter(pc.equal(OPPORTUNITIES["stage"], "won"))
    first = pc.min(won["created_at"]).as_py()
    table = chdb_conn.execute(
        "SELECT count(*) AS deals, sum(amount) AS revenue, min(stage) AS first_stage, "
        "toDate(min(created_at)) AS day, toDecimal64(1.25, 2) AS exact FROM opportunities "
        "WHERE stage = 'won'")
    assert table.schema.types == [pa.int64(), pa.float64(), pa.string(), pa.date32(),
                                  pa.decimal128(18, 2)]
    got = table.to_pylist()[0]
    assert got["deals"] == won.num_rows and got["day"] == first.date()
    assert got["revenue"] == pytest.approx(pc.sum(won["amount"]).as_py(), rel=1e-12)
    empty = chdb_conn.execute("SELECT opportunity_id, amount FROM opportunities WHERE 0")
    assert empty.num_rows == 0 and empty.schema.types == [pa.int64(), pa.float64()]


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities WHERE 1",
    "SELECT 1; DROP TABLE opportunities",
    "CREATE TABLE stolen ENGINE = Memory AS SELECT * FROM opportunities",
    "INSERT INTO opportunities (opportunity_id) VALUES (-1)",
    "ALTER TABLE opportunities UPDATE amount = 0 WHERE 1",
    "DROP TABLE opportunities",
    "SET readonly = 0",
    "SELECT * FROM opportunities INTO OUTFILE '/tmp/stolen.csv'",
])
def test_writes_are_refused_and_nothing_changes(chdb_conn, statement):
    before = scalar(chdb_conn, "SELECT count(*) FROM opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        chdb_conn.execute(statement)
    assert scalar(chdb_conn, "SELECT count(*) FROM opportunities") == before
    assert "stolen" not in chdb_conn.tables(None)


@pytest.mark.parametrize("statement, why", [
    (f"SELECT * FROM file('{SECRET}', 'LineAsString')", "table function file"),
    (f"SELECT file('{SECRET}') AS stolen", "function file"),
    ("SELECT * FROM url('http://127.0.0.1:1/x', CSV)", "table function url"),
    ("SELECT * FROM s3('http://127.0.0.1:1/bucket/x.csv')", "table function s3"),
    ("SELECT * FROM remote('127.0.0.1:1', system.one)", "table function remote"),
    ("SELECT * FROM Python(OPPORTUNITIES)", "table function Python"),
    ("SELECT o.stage FROM opportunities AS o JOIN executable('x.sh', CSV, 'a String') AS e "
     "ON 1 = 1", "table function executable"),
    ("SELECT hostName() AS h", "function hostName"),
    ("SELECT name FROM system.tables", "system tables"),
    ("SELECT 1 AS one SETTINGS readonly = 0", "SETTINGS"),
    ("SELECT 1 AS one FORMAT CSV", "FORMAT"),
])
def test_the_sandbox_refuses_what_reads_beyond_the_tables(chdb_conn, statement, why):
    with pytest.raises(engine.AdapterError, match="only a single SELECT") as raised:
        chdb_conn.execute(statement)
    assert why in str(raised.value)


def test_the_generators_the_engine_emits_pass():
    for sql in ("SELECT number FROM numbers(3)", "SELECT * FROM generate_series(1, 3)",
                "SELECT * FROM generateSeries(1, 3) AS g",
                "SELECT arrayJoin(range(3)) AS x", "SELECT * FROM UNNEST([1, 2]) AS u(x)"):
        assert sandbox_problem(sql) is None, sql
    assert scalar_rows("SELECT number FROM numbers(3)") == 3


def scalar_rows(sql: str) -> int:
    from sales_metrics.adapters.clickhouse import ChdbAdapter

    with ChdbAdapter() as conn:
        return conn.execute(sql).num_rows


def test_the_engine_itself_is_read_only_past_the_guard(chdb_conn):
    """On the raw session: writes, DDL, table functions (file() among them) and setting
    changes are refused by ClickHouse's readonly = 1."""
    for statement in ["INSERT INTO opportunities (opportunity_id) VALUES (-1)",
                      "DROP TABLE opportunities", "CREATE TABLE stolen (x Int8) ENGINE = Memory",
                      f"SELECT * FROM file('{SECRET}', 'LineAsString')", "SET readonly = 0"]:
        with pytest.raises(RuntimeError, match="readonly"):
            chdb_conn.session.query(statement)
    assert scalar(chdb_conn, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows


def test_sql_errors_are_one_clean_line(chdb_conn):
    with pytest.raises(engine.AdapterError) as raised:
        chdb_conn.execute("SELECT no_such_column FROM opportunities")
    text = str(raised.value)
    assert "\n" not in text and "no_such_column" in text and text.startswith("chdb: ")
    assert scalar(chdb_conn, "SELECT 1") == 1


def test_columns(chdb_conn):
    cols = chdb_conn.columns("opportunities")
    assert cols["amount"] == "double" and cols["stage"] == "string"
    assert cols["opportunity_id"] == "int64" and cols["closed_at"].startswith("timestamp")


def test_a_data_folder_is_read_in_place(chdb_conn):
    """`data:` makes each Parquet file a File(Parquet) table; the files are not copied."""
    from sales_metrics.adapters.clickhouse import ChdbAdapter

    with ChdbAdapter(data=str(DATA_DIR)) as conn:
        assert scalar(conn, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows
        engines = conn.session.query("SELECT DISTINCT engine FROM system.tables WHERE "
                                     "database = currentDatabase()", "TabSeparated")
        assert str(engines).split() == ["File"]


SEED_FOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sales_metrics.adapters.clickhouse import ChdbAdapter
    from sales_metrics.adapters.seed import seed
    with ChdbAdapter(database=sys.argv[1], writable=True) as writer:
        seed(writer, Path(sys.argv[2]), None)
""")


def test_a_chdb_folder_url_reaches_the_adapter(tmp_path):
    """A folder seeded in one process (chdb runs one engine per process, on one folder) is
    read through `--against chdb:////folder` by the CLI in another."""
    folder = tmp_path / "chdb"
    subprocess.run([sys.executable, "-c", SEED_FOLDER, str(folder), str(DATA_DIR)],
                   check=True, cwd=ROOT, timeout=120)
    result = run_cli("validate", str(PROJECT_DIR), "--against", f"chdb:///{folder}")
    assert result.returncode == 0, result.stderr
    assert "are valid" in result.stdout + result.stderr
    empty = run_cli("validate", str(PROJECT_DIR), "--against", "chdb://")
    assert empty.returncode == 1 and "opportunities" in empty.stdout + empty.stderr
    absent = run_cli("validate", str(PROJECT_DIR), "--against", f"chdb:///{tmp_path}/none")
    assert absent.returncode == 2 and "does not exist" in absent.stderr
    assert not (tmp_path / "none").exists()


def test_server_refused_connection_is_one_line_with_the_password_masked():
    with pytest.raises(engine.AdapterError) as raised:
        ClickHouseAdapter(url="clickhouse://analyst:s3cr3t-pw@127.0.0.1:1/sales",
                          connect_timeout=2)
    text = str(raised.value)
    assert text == "clickhouse: cannot connect to 127.0.0.1:1: Connection refused"


def test_server_url_reaches_the_adapter(project):
    with pytest.raises(engine.AdapterError) as raised:
        adapters.connect(project, connection="clickhouse://bob:pw-4-clickhouse@127.0.0.1:1/db",
                         connect_timeout=2)
    assert str(raised.value).startswith("clickhouse target 'clickhouse://bob:****@127.0.0.1:1")
    result = run_cli("validate", str(PROJECT_DIR), "--against",
                     "clickhouse://bob:pw-4-clickhouse@127.0.0.1:1/db", "--connect-timeout", "2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line, = result.stderr.strip().splitlines()
    assert "Connection refused" in line and "pw-4-clickhouse" not in result.stderr
