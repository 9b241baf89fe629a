"""`metrics validate` and `metrics compile` replay their output when nothing they read has
changed (cli/entry.py), and run again when anything has: a definition, a new file, a data
file, an environment variable a profile reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support import DATA_DIR, PROJECT_DIR, ROOT


def metrics(*args: str, cwd: Path, cache: Path, env: dict | None = None,
            importtime: bool = False) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "METRICS_NO_CACHE"}
    full |= {"COLUMNS": "200", "METRICS_CACHE_DIR": str(cache), **(env or {})}
    python = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    return subprocess.run([*python, "-m", "sales_metrics.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=120)


def imported(done: subprocess.CompletedProcess) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:")}


def output(done: subprocess.CompletedProcess) -> tuple[str, str, int]:
    err = "".join(line + "\n" for line in done.stderr.splitlines()
                  if not line.startswith("import time:"))
    return done.stdout, err, done.returncode


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The bundled project and its data in a folder of the test's own (old timestamps kept,
    so the first run may record)."""
    shutil.copytree(PROJECT_DIR, tmp_path / "metrics")
    shutil.copytree(DATA_DIR, tmp_path / "data")
    project = tmp_path / "metrics" / "project.yml"
    text = project.read_text().replace("../examples/data", "../data")
    stamp = project.stat()
    project.write_text(text)
    os.utime(project, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    return tmp_path


def test_second_run_replays_without_the_heavy_libraries(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    first = metrics("validate", "metrics", cwd=copy, cache=cache, importtime=True)
    second = metrics("validate", "metrics", cwd=copy, cache=cache, importtime=True)
    assert first.returncode == 0, first.stderr[-2000:]
    assert output(second) == output(first)
    assert "ok: 63 metrics" in output(second)[1] or "ok:" in output(second)[1]
    assert {"typer", "sqlglot", "duckdb", "pydantic"} <= imported(first)
    assert not {"typer", "sqlglot", "duckdb", "pydantic", "jinja2", "yaml"} & imported(second)
    assert len(list(cache.glob("*.json"))) == 1


def test_an_edited_definition_runs_again(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    assert metrics("validate", "metrics", cwd=copy, cache=cache).returncode == 0
    file = copy / "metrics" / "activity.yml"
    text = file.read_text()
    assert "activity_type = 'call'" in text
    file.write_text(text.replace("activity_type = 'call'", "activity_typ = 'call'", 1))
    done = metrics("validate", "metrics", cwd=copy, cache=cache)
    assert done.returncode == 1 and "activity_typ" in done.stderr and "activity.yml:" in done.stderr


def test_a_new_file_in_the_project_runs_again(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    metrics("validate", "metrics", cwd=copy, cache=cache)
    (copy / "metrics" / "extra.yml").write_text("metrics:\n  - name: broken\n")
    done = metrics("validate", "metrics", cwd=copy, cache=cache)
    assert done.returncode == 1 and "extra.yml" in done.stderr


def test_a_changed_data_file_runs_again(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    assert metrics("validate", "metrics", cwd=copy, cache=cache).returncode == 0
    assert metrics("validate", "metrics", cwd=copy, cache=cache).returncode == 0
    reps = pq.read_table(copy / "data" / "reps.parquet")
    pq.write_table(reps.drop_columns(["region"]), copy / "data" / "reps.parquet")
    done = metrics("validate", "metrics", cwd=copy, cache=cache)
    assert done.returncode == 1 and "region" in done.stderr, done.stderr


def test_an_environment_variable_the_connection_reads(copy: Path, tmp_path: Path):
    """The data folder comes from env_var(): pointing it elsewhere is a new answer."""
    cache = tmp_path / "cache"
    (copy / "other").mkdir()
    pq.write_table(pa.table({"x": [1]}), copy / "other" / "unrelated.parquet")
    project = copy / "metrics" / "project.yml"
    text = project.read_text()
    project.write_text(text.replace("  data: ../data", "  data: \"{{ env_var('SAMPLE_DATA') }}\"")
                       .replace("allowed_paths: [../data]", "allowed_paths: [../data, ../other]"))
    old = time.time() - 60
    for path in (project, copy / "other" / "unrelated.parquet"):
        os.utime(path, (old, old))
    good = metrics("validate", "metrics", cwd=copy, cache=cache, env={"SAMPLE_DATA": "../data"})
    again = metrics("validate", "metrics", cwd=copy, cache=cache, env={"SAMPLE_DATA": "../data"},
                    importtime=True)
    moved = metrics("validate", "metrics", cwd=copy, cache=cache, env={"SAMPLE_DATA": "../other"})
    assert good.returncode == 0 and output(again) == output(good), good.stderr[-1500:]
    assert "typer" not in imported(again)
    assert moved.returncode == 1 and "opportunities" in moved.stderr, moved.stderr[-1500:]
    entries = [json.loads(p.read_text()) for p in cache.glob("*.json")]
    assert entries and all("../data" not in json.dumps(e["inputs"]["env"]) for e in entries)


def test_no_cache_when_asked_or_reaching_a_warehouse(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    metrics("validate", "metrics", cwd=copy, cache=cache, env={"METRICS_NO_CACHE": "1"})
    metrics("validate", "metrics", "--against", "duckdb:///:memory:", cwd=copy, cache=cache)
    metrics("validate", "metrics", "-v", cwd=copy, cache=cache)
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_compile_replays_the_same_sql(tmp_path: Path):
    cache = tmp_path / "cache"
    first = metrics("compile", "win_rate", "--grain", "quarter", "-p", str(PROJECT_DIR),
                    cwd=ROOT, cache=cache)
    second = metrics("compile", "win_rate", "--grain", "quarter", "-p", str(PROJECT_DIR),
                     cwd=ROOT, cache=cache, importtime=True)
    assert first.returncode == 0 and "SELECT" in first.stdout
    assert output(second) == output(first) and "sqlglot" not in imported(second)


RUN = ("run", "-p", "metrics", "--grain", "quarter", "-m", "deals_won", "-m", "won_revenue",
       "-f", "csv")


def test_a_kept_run_plan_reads_the_data_fresh_without_the_engine(copy: Path, tmp_path: Path):
    """`metrics run` keeps its plan, not its result: after the data changes, the kept plan
    gives the new numbers, the same ones a run that makes a new plan gives."""
    cache = tmp_path / "cache"
    first = metrics(*RUN, cwd=copy, cache=cache, importtime=True)
    second = metrics(*RUN, cwd=copy, cache=cache, importtime=True)
    assert first.returncode == 0, first.stderr[-2000:]
    assert output(second) == output(first)
    assert len(list(cache.glob("*.plan.json"))) == 1
    assert {"sqlglot", "pydantic", "jinja2", "yaml"} <= imported(first)
    assert not {"sqlglot", "pydantic", "jinja2", "yaml", "typer"} & imported(second)

    deals = pq.read_table(copy / "data" / "opportunities.parquet")
    pq.write_table(deals.slice(0, deals.num_rows // 2), copy / "data" / "opportunities.parquet")
    kept = metrics(*RUN, cwd=copy, cache=cache, importtime=True)
    fresh = metrics(*RUN, cwd=copy, cache=cache, env={"METRICS_NO_CACHE": "1"})
    assert not {"sqlglot", "pydantic"} & imported(kept)
    assert kept.returncode == 0 and output(kept) == output(fresh)
    assert kept.stdout != first.stdout  # half the deals: other numbers


def test_an_edited_definition_makes_a_new_plan(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    table = ("run", "-p", "metrics", "--grain", "year", "-m", "deals_won")
    assert metrics(*table, cwd=copy, cache=cache).returncode == 0
    file = copy / "metrics" / "revenue.yml"
    file.write_text(file.read_text().replace("label: Deals won", "label: Deals closed won", 1))
    done = metrics(*table, cwd=copy, cache=cache)
    assert done.returncode == 0 and "Deals closed won" in done.stdout, done.stderr[-1500:]


def test_no_plan_is_kept_for_settings_from_the_environment(copy: Path, tmp_path: Path):
    """A setting rendered from env_var() may be a secret: it is never written to the cache."""
    cache = tmp_path / "cache"
    project = copy / "metrics" / "project.yml"
    project.write_text(project.read_text().replace(
        "  data: ../data", "  data: \"{{ env_var('SAMPLE_DATA') }}\""))
    old = time.time() - 60
    os.utime(project, (old, old))
    done = metrics(*RUN, cwd=copy, cache=cache, env={"SAMPLE_DATA": "../data"})
    assert done.returncode == 0, done.stderr[-1500:]
    assert not list(cache.glob("*.plan.json"))


def test_a_kept_plan_whose_data_is_gone_fails_in_one_line(copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    assert metrics(*RUN, cwd=copy, cache=cache).returncode == 0
    assert len(list(cache.glob("*.plan.json"))) == 1
    (copy / "data" / "opportunities.parquet").unlink()
    done = metrics(*RUN, cwd=copy, cache=cache)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "opportunities" in done.stderr
