"""Ctrl-C and the query timeout on the engines not covered elsewhere: SQLite, chdb and
Snowflake (DuckDB: test_duckdb_sandbox.py; PostgreSQL, MariaDB, Spark: their own files).

Each Ctrl-C is a real SIGINT sent to a separate process while its query runs; the time from
the signal to the process's exit is measured, and the query is one that would run far
longer than the test waits."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from sales_metrics import engine
from support import ROOT, run_cli

SQLITE_SLOW = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
               "WHERE n < 100000000000) SELECT count(*) AS n FROM c")
CHDB_SLOW = ("select date '2024-01-01' as t, number as x from numbers(100000000000) "
             "where sipHash64(number) % 7 = 1")
# About ten seconds of DuckDB work inside fakesnow's server (it cannot cancel: see below).
SNOWFLAKE_SLOW = ("SELECT count(*) AS n FROM activities x, activities y "
                  "WHERE (length(x.activity_id) * 7 + length(y.activity_id)) % 13 = 1")


def interrupted(args: list[str], wait: float) -> tuple[int, str, float]:
    """Start ``args``, send SIGINT once it printed 'started' (or after ``wait`` s), and return
    the exit code, stderr, and the seconds from the signal to the exit."""
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                         signal.SIG_DFL))
    try:
        if wait:
            time.sleep(wait)
        else:
            assert proc.stdout.readline().strip() == "started"
            time.sleep(1.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        return proc.returncode, stderr, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()


def script(setup: str, sql: str) -> list[str]:
    body = setup + textwrap.dedent(f"""
        with conn:
            print("started", flush=True)
            try:
                conn.execute({sql!r})
            except KeyboardInterrupt:
                raise SystemExit(7)
    """)
    return [sys.executable, "-c", body]

# ----------------------------------------------------------------------------- SQLite


@pytest.mark.sqlite
def test_sqlite_timeout_interrupts_the_query(sqlite_file):
    from sales_metrics.adapters.sqlite import SQLiteAdapter

    with SQLiteAdapter(database=str(sqlite_file), statement_timeout=1) as conn:
        started = time.monotonic()
        with pytest.raises(engine.AdapterError, match=r"statement_timeout \(1 s"):
            conn.execute(SQLITE_SLOW)
        assert time.monotonic() - started < 10
        assert conn.execute("SELECT count(*) AS n FROM opportunities").column(0)[0].as_py() \
            == 4000  # the connection works afterwards


@pytest.mark.sqlite
def test_sqlite_ctrl_c_interrupts_the_query(sqlite_file):
    setup = ("from sales_metrics.adapters.sqlite import SQLiteAdapter\n"
             f"conn = SQLiteAdapter(database={str(sqlite_file)!r})")
    code, stderr, seconds = interrupted(script(setup, SQLITE_SLOW), 0)
    assert code == 7, stderr
    assert seconds < 3


# ----------------------------------------------------------------------------- chdb


def _chdb_project(tmp_path):
    (tmp_path / "project.yml").write_text("name: slow\n")
    (tmp_path / "m.yml").write_text(textwrap.dedent(f"""
        sources:
          - name: big
            sql: "{CHDB_SLOW}"
            time: t
        metrics:
          - name: total
            source: big
            numerator: sum(x)
    """))
    return tmp_path


@pytest.mark.clickhouse
def test_chdb_stops_at_the_timeout(tmp_path, chdb_conn):
    project = _chdb_project(tmp_path)
    started = time.monotonic()
    result = run_cli("run", "-m", "total", "--project", str(project), "--connection", "chdb:",
                     "--timeout", "1")
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: chdb: query stopped: it ran longer than statement_timeout (1 s; "
        "limits.timeout in project.yml, --timeout)"]


@pytest.mark.clickhouse
def test_chdb_ctrl_c_ends_the_cli_at_once(tmp_path, chdb_conn):
    """chdb cannot stop a query from Python: the CLI returns at once and ends the process
    without waiting for it (or tearing the engine down under it, which crashes)."""
    project = _chdb_project(tmp_path)
    out = tmp_path / "result.csv"
    code, stderr, seconds = interrupted(
        [sys.executable, "-m", "sales_metrics.cli", "run", "-m", "total", "--project",
         str(project), "--connection", "chdb:", "--format", "csv", "--output", str(out)], 5)
    assert (code, stderr) == (130, "interrupted\n")
    assert seconds < 3 and not out.exists()


# ----------------------------------------------------------------------------- Snowflake


class _Requests(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.paths.append(record.getMessage())


@pytest.mark.snowflake
def test_snowflake_ctrl_c_sends_the_cancel_request(snowflake, fakesnow_server):
    """The connector's own SIGINT handler asks the server to abort the query and raises
    KeyboardInterrupt. fakesnow acknowledges the abort but its DuckDB query runs to its end
    (an emulator: that the query stops is Snowflake's part, not checked here)."""
    access = logging.getLogger("uvicorn.access")
    seen = _Requests()
    access.addHandler(seen)
    level = access.level
    access.setLevel(logging.INFO)
    setup = ("from sales_metrics.adapters.snowflake import SnowflakeAdapter\n"
             f"conn = SnowflakeAdapter(**{fakesnow_server!r})")
    try:
        code, stderr, seconds = interrupted(script(setup, SNOWFLAKE_SLOW), 0)
    finally:
        access.removeHandler(seen)
        access.setLevel(level)
    assert code == 7, stderr
    assert seconds < 3
    assert any("/queries/v1/abort-request" in line for line in seen.paths), seen.paths
