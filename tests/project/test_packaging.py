"""The wheel a user installs: one import namespace, and a project from `metrics init` runs.

A wheel is built from a copy of the repository (with the test environment's setuptools, no
download), installed without dependencies into a fresh venv that borrows the test
environment's libraries (the repository is not on its path), and used from an empty folder as
a new user would: `metrics --version`, `metrics init demo`, `metrics run --grain=month`.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from support import ROOT

SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                              "spark-warehouse", "metastore_db", "tests", "examples")


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "sales-metrics"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                "--no-index", "-w", out, src, cwd=src)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("sales_metrics-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    home = tmp_path_factory.mktemp("venv") / "fresh"
    made = run(sys.executable, "-m", "venv", home, cwd=home.parent)
    assert made.returncode == 0, made.stderr
    # The test environment's libraries (duckdb, sqlglot, ...) without its .pth files, so an
    # editable install of this checkout there is not seen: only the wheel provides us.
    (site,) = (home / "lib").glob("python3*/site-packages")
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = run(home / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index",
                    wheel, cwd=home.parent)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home


def test_the_wheel_holds_one_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"sales_metrics", wheel.name.split("-py")[0] + ".dist-info"}, tops
    for module in ("engine/project.py", "engine/kpitests/cases.py", "adapters/duckdb.py",
                   "cli/main.py", "cli/diff/command.py", "engine/compile/build.py"):
        assert f"sales_metrics/{module}" in names
    assert "sales_metrics/__init__.py" not in names  # a namespace: nothing of its own


def test_the_wheel_holds_the_crm_starters(wheel):
    """`metrics init --from <crm>` reads its definitions and sample from package data."""
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT / "cli").as_posix()
               for p in (ROOT / "cli" / "starters").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.endswith(".parquet") for p in shipped) and any(p.endswith(".sql") for p in shipped)
    assert [p for p in shipped if f"sales_metrics/cli/{p}" not in names] == []


def test_installed_names_are_distinct(venv, tmp_path):
    python = venv / "bin" / "python"
    code = ("import importlib.util as u, sales_metrics.engine as e\n"
            "print([n for n in ('engine', 'adapters', 'cli') if u.find_spec(n)])\n"
            "print(e.__file__)")
    shown = run(python, "-c", code, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    bare, where = shown.stdout.splitlines()
    assert bare == "[]"
    assert where.startswith(str(venv)) and str(ROOT) not in where


def test_a_new_project_runs_from_the_wheel(venv, tmp_path):
    metrics = venv / "bin" / "metrics"
    version = run(metrics, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout == "metrics (sales-metrics) 0.1.0\n"
    made = run(metrics, "init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    demo = tmp_path / "demo"
    table = run(metrics, "run", "--grain=month", cwd=demo)
    assert table.returncode == 0, table.stderr
    assert "Won revenue" in table.stdout and "2025-03" in table.stdout
    result = run(metrics, "run", "--grain=month", "--format", "csv", cwd=demo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [f"{m},{w:g},{r!r}" for m, w, r in by_hand(demo)]


def test_a_crm_starter_runs_from_the_wheel(venv, tmp_path):
    metrics = venv / "bin" / "metrics"
    made = run(metrics, "init", "crm", "--from", "hubspot", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for command in (["validate"], ["test"], ["run", "--grain=month"]):
        result = run(metrics, *command, cwd=tmp_path / "crm")
        assert result.returncode == 0, (command, result.stdout + result.stderr)
    assert "Won revenue" in result.stdout and "2025-12" in result.stdout


def by_hand(demo: Path) -> list[tuple[str, float, float]]:
    """Won revenue and win rate per close month, read from the sample with the csv module."""
    won, closed, revenue = defaultdict(int), defaultdict(int), defaultdict(float)
    with open(demo / "data" / "deals.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["stage"] in ("won", "lost") and row["closed_at"]:
                month = row["closed_at"][:7] + "-01"
                closed[month] += 1
                won[month] += row["stage"] == "won"
                revenue[month] += float(row["amount"]) if row["stage"] == "won" else 0
    return [(m, revenue[m], won[m] / closed[m]) for m in sorted(closed)]
