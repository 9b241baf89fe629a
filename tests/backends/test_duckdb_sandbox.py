"""The DuckDB sandbox: what the engine itself refuses, even for SQL that got past every check.

The adapter is driven directly here with hostile SQL (and its connection with statements the
adapter would never send), so each case shows the engine's own lock, not the validator's.
A secret file outside the project holds a marker that must never come back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import duckdb
import pytest

from sales_metrics import adapters, engine
from sales_metrics.adapters.duckdb import DuckDBAdapter

from support import ROOT, run_cli

MARKER = f"SECRET-{uuid.uuid4().hex}"
SLOW = "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b"


@pytest.fixture
def place(tmp_path):
    """A project folder with data/deals.csv, and a secret folder beside it."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text(MARKER + "\n")
    (secret / "secret.csv").write_text(f"word\n{MARKER}\n")
    project = tmp_path / "proj"
    (project / "data").mkdir(parents=True)
    (project / "data" / "deals.csv").write_text("deal_id,amount\n1,10\n2,32\n")
    (project / "data" / "leak.csv").symlink_to(secret / "secret.csv")
    return project, secret


@pytest.fixture
def conn(place):
    project, _ = place
    with DuckDBAdapter(root=project, data="data") as opened:
        yield opened


def test_declared_data_is_readable(conn):
    assert conn.execute("SELECT sum(amount) AS s FROM deals").column("s")[0].as_py() == 42


HOSTILE_SELECTS = [
    "SELECT * FROM read_text('{s}/secret.txt')",
    "SELECT * FROM read_blob('{s}/secret.txt')",
    "SELECT * FROM read_csv('{s}/secret.csv')",
    "SELECT * FROM read_csv_auto('{s}/secret.csv', header=false)",
    "SELECT * FROM '{s}/secret.csv'",
    "SELECT * FROM glob('{s}/*')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_text('{d}/../../outside/secret.txt')",
    "SELECT * FROM read_text('{d}/leak.csv')",
    "SELECT * FROM sniff_csv('{s}/secret.csv')",
    "SELECT * FROM read_json_objects('{s}/secret.txt')",
    "SELECT * FROM parquet_metadata('{s}/secret.txt')",
    "SELECT * FROM read_parquet('https://example.com/x.parquet')",
    "SELECT * FROM read_text('/proc/self/environ')",
    "SELECT * FROM query('SELECT * FROM read_text(''{s}/secret.txt'')')",
    "SELECT getenv('HOME') AS h",
]


@pytest.mark.parametrize("sql", HOSTILE_SELECTS)
def test_hostile_selects_fail_at_the_engine(sql, conn, place):
    project, secret = place
    with pytest.raises(engine.AdapterError) as raised:
        conn.execute(sql.format(s=secret, d=project / "data"))
    assert "\n" not in str(raised.value) and MARKER not in str(raised.value)


def test_a_symlink_out_of_the_data_folder_is_not_a_table(conn):
    with pytest.raises(engine.AdapterError, match="leak"):
        conn.execute("SELECT * FROM leak")


HOSTILE_STATEMENTS = [
    "ATTACH '{s}/other.duckdb' AS other",
    "COPY (SELECT 1) TO '{s}/written.csv'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "SET allowed_paths = ['{s}/secret.txt']",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
]


@pytest.mark.parametrize("statement", HOSTILE_STATEMENTS)
def test_statements_are_refused_by_the_adapter_and_by_the_engine(statement, conn, place):
    _, secret = place
    sql = statement.format(s=secret)
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        conn.execute(sql)
    with pytest.raises(duckdb.Error):  # sent around the adapter: the engine's own lock
        conn.con.execute(sql)
    assert sorted(p.name for p in secret.iterdir()) == ["secret.csv", "secret.txt"]
    with pytest.raises(engine.AdapterError):
        conn.execute(f"SELECT * FROM read_text('{secret}/secret.txt')")


def test_a_data_folder_outside_the_project_is_refused(place):
    """As a profile or the Python API would give it; project.yml's own is a diagnostic."""
    project, secret = place
    (project / "project.yml").write_text("name: p\nconnection: {type: duckdb, data: data}\n")
    loaded = engine.load_project(project)
    with pytest.raises(engine.UsageError, match="allowed_paths"):
        adapters.connect(loaded, {"type": "duckdb", "data": str(secret)})
    (project / "project.yml").write_text(
        f"name: p\nallowed_paths: [{secret}]\nconnection: {{type: duckdb, data: data}}\n")
    with adapters.connect(engine.load_project(project),
                          {"type": "duckdb", "data": str(secret)}) as conn:
        assert conn.execute("SELECT * FROM secret").num_rows == 1  # allowed explicitly


def test_the_database_file_opened_is_readable_and_nothing_else(tmp_path, place):
    _, secret = place
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    con.execute("CREATE TABLE deals AS SELECT 42 AS amount")
    con.close()
    with DuckDBAdapter(root=tmp_path, database="crm.duckdb") as conn:
        assert conn.execute("SELECT amount FROM deals").column("amount")[0].as_py() == 42
        with pytest.raises(engine.AdapterError):
            conn.execute(f"SELECT * FROM read_text('{secret}/secret.txt')")


def test_statement_timeout_stops_a_long_query():
    with DuckDBAdapter(statement_timeout=1) as conn:
        started = time.monotonic()
        with pytest.raises(engine.AdapterError, match="statement_timeout"):
            conn.execute(SLOW)
        assert time.monotonic() - started < 15
        assert conn.execute("SELECT 1 AS one").num_rows == 1  # usable afterwards


def test_ctrl_c_interrupts_a_long_query(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from sales_metrics.adapters.duckdb import DuckDBAdapter
        with DuckDBAdapter() as conn:
            print("started", flush=True)
            try:
                conn.execute({SLOW!r})
            except KeyboardInterrupt:
                print("interrupted", flush=True)
                sys.exit(7)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 7
    assert proc.stdout.read().strip() == "interrupted"
    assert time.monotonic() - sent < 15


def _slow_project(tmp_path, limits: str = ""):
    (tmp_path / "project.yml").write_text("name: slow\n" + limits)
    (tmp_path / "m.yml").write_text(textwrap.dedent("""
        sources:
          - name: big
            sql: "select timestamp '2024-01-01' as t, a.range * b.range as x
                  from range(1000000) a, range(1000000) b"
            time: t
        metrics:
          - name: total
            source: big
            numerator: sum(x)
    """))
    return tmp_path


def test_the_cli_stops_at_the_project_timeout(tmp_path):
    project = _slow_project(tmp_path, "limits: {timeout: 1}\n")
    out = tmp_path / "result.csv"
    started = time.monotonic()
    result = run_cli("run", "-m", "total", "--project", str(project), "--format", "csv",
                     "--output", str(out))
    assert time.monotonic() - started < 60
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "statement_timeout (1 s" in lines[0]
    assert "Traceback" not in result.stderr and not out.exists()


def test_the_cli_stops_on_ctrl_c_with_one_line(tmp_path):
    project = _slow_project(tmp_path)
    out = tmp_path / "result.csv"
    proc = subprocess.Popen([sys.executable, "-m", "sales_metrics.cli", "run", "-m", "total",
                             "--project", str(project), "--format", "csv", "--output", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    time.sleep(4)  # loading, compiling and starting the query, on a slow machine
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "interrupted" and stdout == "" and not out.exists()
