"""The warehouse side of the CLI as a user runs it: targets, one-off URLs, failures that name
the target without its secret (exit 2), --verbose, progress on a terminal only, Ctrl-C,
`validate --against` and `seed`."""

from __future__ import annotations

import io
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import DATA_DIR, PROJECT_DIR, ROOT, run_cli

RUN = ["run", "-m", "win_rate", "-m", "won_revenue", "--grain", "quarter", "--by", "region"]


def profiles(folder: Path, outputs: dict, default: str | None = None) -> Path:
    data = {"acme_sales": {"outputs": outputs} | ({"target": default} if default else {})}
    (folder / "profiles.yml").write_text(yaml.safe_dump(data))
    return folder


def copy_project(tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(PROJECT_DIR, dest)
    text = (dest / "project.yml").read_text().replace("data: ../examples/data",
                                                     f"data: {DATA_DIR}")
    text = text.replace("[../examples/data]", f"[{DATA_DIR}]")  # allowed_paths
    (dest / "project.yml").write_text(text)
    return dest


def locate(path: Path, needle: str) -> tuple[int, int]:
    text = path.read_text()
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def frame(csv_text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(csv_text)).sort_values(["period", "region"]).reset_index(drop=True)


def assert_one_clean_line(result, code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ----------------------------------------------------------------------------- failures


def test_refused_connection_names_the_target_and_masks_the_password():
    result = run_cli(*RUN, "--connection", "postgresql://analyst:Sup3r-Secret@127.0.0.1:1/crm")
    line = assert_one_clean_line(result)
    assert line.startswith("error: postgres target 'postgresql://analyst:****@127.0.0.1:1/crm'")
    assert "Sup3r-Secret" not in result.stderr and "refused" in line.lower()


def test_env_var_password_is_masked_in_errors_and_verbose_output(tmp_path):
    profiles(tmp_path, {"broken": {"type": "postgres", "host": "127.0.0.1", "port": 1,
                                   "user": "analyst", "dbname": "crm",
                                   "password": "{{ env_var('CRM_PASSWORD') }}"}})
    env = {"CRM_PASSWORD": "pw-from-the-env-42"}
    result = run_cli(*RUN, "--target", "broken", "--profiles-dir", str(tmp_path), env=env)
    line = assert_one_clean_line(result)
    assert "target 'broken'" in line and "pw-from-the-env-42" not in result.stderr
    verbose = run_cli(*RUN, "--target", "broken", "--profiles-dir", str(tmp_path), "-v", env=env)
    assert verbose.returncode == 2 and "pw-from-the-env-42" not in verbose.stderr
    assert "-- connecting to target 'broken'" in verbose.stderr and "password=****" in verbose.stderr


def test_a_silent_server_times_out(tmp_path):
    """Something listens but never answers: --connect-timeout ends it with one line."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = server.getsockname()[1]
        started = time.monotonic()
        result = run_cli(*RUN, "--connection", f"postgresql://u:hush-hush@127.0.0.1:{port}/db",
                         "--connect-timeout", "1")
        assert time.monotonic() - started < 20
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    line = assert_one_clean_line(result)
    assert "timeout" in line.lower() and "hush-hush" not in result.stderr


def test_unknown_target_is_a_usage_error(tmp_path):
    profiles(tmp_path, {"dev": {"type": "duckdb"}}, default="dev")
    result = run_cli(*RUN, "--target", "dve", "--profiles-dir", str(tmp_path))
    assert "did you mean 'dev'" in assert_one_clean_line(result)


# ----------------------------------------------------------------------------- progress


def run_on_terminal(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    """Run the CLI with stdout and stderr on pseudo-terminals, as in an interactive shell."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    full_env = {**os.environ, "COLUMNS": "200", "TERM": "xterm", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "sales_metrics.cli", *args], cwd=ROOT, env=full_env,
                            stdout=out_slave, stderr=err_slave, stdin=subprocess.DEVNULL)
    os.close(out_slave)
    os.close(err_slave)
    chunks: dict[int, bytearray] = {out_master: bytearray(), err_master: bytearray()}

    def drain(fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            chunks[fd] += data

    readers = [threading.Thread(target=drain, args=(fd,)) for fd in chunks]
    for reader in readers:
        reader.start()
    code = proc.wait(timeout=120)
    for reader in readers:
        reader.join(timeout=10)
    for fd in chunks:
        os.close(fd)
    return code, chunks[out_master].decode(errors="replace"), chunks[err_master].decode(
        errors="replace")


def test_progress_shows_on_a_terminal_only():
    code, out, err = run_on_terminal(*RUN)
    assert code == 0 and "Won revenue" in out
    assert "target 'project': query 1 of " in err  # the KPIs, then the data's range
    piped = run_cli(*RUN)
    assert piped.returncode == 0 and piped.stderr == ""
    code, out, err = run_on_terminal(*RUN, "--format", "csv")
    assert code == 0 and "query 1 of" not in err


# ----------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_profiles(tmp_path, pg_url, pg_schema):
    return profiles(tmp_path, {"pg": {"type": "postgres", "url": pg_url, "schema": pg_schema},
                               "local": {"type": "duckdb", "data": str(DATA_DIR)}})


@pytest.mark.postgres
def test_run_on_a_postgres_target_equals_duckdb(pg_profiles):
    on_pg = run_cli(*RUN, "-f", "csv", "--target", "pg", "--profiles-dir", str(pg_profiles))
    on_duck = run_cli(*RUN, "-f", "csv", "--target", "local", "--profiles-dir", str(pg_profiles))
    assert on_pg.returncode == 0 and on_duck.returncode == 0, on_pg.stderr + on_duck.stderr
    pd.testing.assert_frame_equal(frame(on_pg.stdout), frame(on_duck.stdout), rtol=1e-9)


@pytest.mark.postgres
def test_verbose_logs_the_sql_and_timing(pg_profiles):
    result = run_cli(*RUN, "-f", "csv", "--target", "pg", "--profiles-dir", str(pg_profiles),
                     "--verbose")
    assert result.returncode == 0, result.stderr
    assert "-- SQL:" in result.stderr and "COPY" not in result.stderr
    assert "-- target 'pg': query 1 of 2 done in" in result.stderr
    assert "-- target 'pg' (rows without a time): query 2 of 2 done in" in result.stderr


def _backend_queries(pg_url: str, needle: str) -> list[str]:
    from sales_metrics.adapters.postgres import PostgresAdapter

    with PostgresAdapter(url=pg_url) as watcher:
        rows = watcher.execute("SELECT query FROM pg_stat_activity WHERE state = 'active' "
                               "AND application_name = 'metrics'")
    return [q for q in rows.column("query").to_pylist() if needle.lower() in q.lower()]


@pytest.mark.postgres
def test_ctrl_c_cancels_the_query_on_the_server(tmp_path, pg_profiles, pg_url):
    project = copy_project(tmp_path)
    sleep = f"pg_sleep(60.{os.getpid()})"  # this run's own, to find it on the server
    (project / "slow.yml").write_text(
        "sources:\n  - name: slow\n    sql: \"select current_date as day, "
        f"{sleep} as slept\"\n    time: day\n"
        "metrics:\n  - name: slow_count\n    source: slow\n    numerator: count(*)\n")
    proc = subprocess.Popen([sys.executable, "-m", "sales_metrics.cli", "run", "-m", "slow_count",
                             "--project", str(project), "--target", "pg", "--profiles-dir",
                             str(pg_profiles)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if _backend_queries(pg_url, sleep):
                break
            time.sleep(0.1)
        assert _backend_queries(pg_url, sleep), "the query never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and err.strip() == "interrupted", err
    assert _backend_queries(pg_url, sleep) == []


@pytest.mark.postgres
def test_validate_against_a_valid_warehouse(pg_profiles):
    result = run_cli("validate", "--against", "pg", "--profiles-dir", str(pg_profiles))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("ok:")


def broken_project(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, int]]]:
    """A project whose definitions are valid but do not fit the warehouse."""
    project = copy_project(tmp_path)
    sources = project / "sources.yml"
    sources.write_text(sources.read_text().replace("product: product", "product: produkt", 1))
    (project / "wrong.yml").write_text(
        "metrics:\n"
        "  - name: stage_total\n    source: opportunities\n    numerator: sum(stage)\n"
        "  - name: typo_count\n    source: leads\n    numerator: count(*)\n"
        "    filters: [\"lead_sorce = 'web'\"]\n")
    where = {"unknown-column": locate(sources, "produkt"),
             "column-type": locate(project / "wrong.yml", "sum(stage)"),
             "typo": locate(project / "wrong.yml", "\"lead_sorce")}
    return project, where


def _check_broken(result, project: Path, where: dict, target: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = [l for l in result.stderr.strip().splitlines() if ": warning[" not in l]
    sources, wrong = project / "sources.yml", project / "wrong.yml"
    line, col = where["unknown-column"]
    assert any(l.startswith(f"{sources}:{line}:{col}: error[unknown-column] column 'produkt' "
                            f"does not exist in source 'opportunities' on target '{target}'")
               and "did you mean 'product'" in l for l in lines), lines
    line, col = where["column-type"]
    assert any(l.startswith(f"{wrong}:{line}:{col}: error[column-type] sum(stage) over a ")
               for l in lines), lines
    line, col = where["typo"]
    assert any(l.startswith(f"{wrong}:{line}:{col}: error[unknown-column] column 'lead_sorce'")
               for l in lines), lines
    assert re.match(r"3 errors( and \d+ warnings?)? in 2 files", lines[-1]), lines[-1]


@pytest.mark.postgres
def test_validate_against_postgres_finds_wrong_columns_and_types(tmp_path, pg_profiles):
    project, where = broken_project(tmp_path)
    result = run_cli("validate", str(project), "--against", "pg", "--profiles-dir",
                     str(pg_profiles))
    _check_broken(result, project, where, "pg")


def test_validate_against_duckdb_finds_wrong_columns_and_types(tmp_path):
    project, where = broken_project(tmp_path)
    folder = profiles(tmp_path, {"local": {"type": "duckdb", "data": str(DATA_DIR)}})
    result = run_cli("validate", str(project), "--against", "local", "--profiles-dir",
                     str(folder))
    _check_broken(result, project, where, "local")
    as_json = run_cli("validate", str(project), "--against", "local", "--profiles-dir",
                      str(folder), "--format", "json")
    assert as_json.returncode == 1 and '"code": "column-type"' in as_json.stdout


def test_validate_against_a_missing_table(tmp_path):
    project = copy_project(tmp_path)
    sources = project / "sources.yml"
    sources.write_text(sources.read_text().replace("table: reps", "table: rep_list", 1))
    line, col = locate(sources, "rep_list")
    folder = profiles(tmp_path, {"local": {"type": "duckdb", "data": str(DATA_DIR)}})
    result = run_cli("validate", str(project), "--against", "local", "--profiles-dir",
                     str(folder))
    assert result.returncode == 1
    assert f"{sources}:{line}:{col}: error[missing-table] table 'rep_list' of source 'reps'" \
        in result.stderr


@pytest.mark.postgres
def test_seed_writes_only_the_sample_tables_and_says_so(tmp_path, pg_url):
    from sales_metrics.adapters.postgres import PostgresAdapter

    schema = f"metrics_seed_{os.getpid()}"
    folder = profiles(tmp_path, {"pg": {"type": "postgres", "url": pg_url, "schema": schema}})
    args = ["--target", "pg", "--profiles-dir", str(folder)]
    try:
        first = run_cli("seed", *args, "--schema", schema)
        assert first.returncode == 0, first.stderr
        assert first.stderr.startswith("seed writes to target 'pg': creates ")
        again = run_cli("seed", *args, "--schema", schema)
        assert "pass --replace" in assert_one_clean_line(again)
        assert run_cli("seed", *args, "--schema", schema, "--replace").returncode == 0
        ran = run_cli(*RUN, "-f", "csv", *args)
        assert ran.returncode == 0 and len(frame(ran.stdout)) > 0, ran.stderr
        with PostgresAdapter(url=pg_url) as conn:
            assert conn.tables(schema) == {p.stem for p in DATA_DIR.glob("*.parquet")}
    finally:
        with PostgresAdapter(url=pg_url, writable=True) as conn:
            conn.conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_seed_a_duckdb_file(tmp_path):
    path = tmp_path / "crm.duckdb"
    result = run_cli("seed", "--connection", f"duckdb:///{path}", "--schema", "sample")
    assert result.returncode == 0, result.stderr
    folder = profiles(tmp_path, {"file": {"type": "duckdb", "database": str(path),
                                          "schema": "sample"}})
    ran = run_cli(*RUN, "-f", "csv", "--target", "file", "--profiles-dir", str(folder))
    assert ran.returncode == 0 and len(frame(ran.stdout)) > 0, ran.stderr
