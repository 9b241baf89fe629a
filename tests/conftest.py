"""Shared fixtures: the bundled project, a DuckDB connection to the sample data, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "metrics"
DATA_DIR = ROOT / "examples" / "data"


@pytest.fixture(scope="session")
def project():
    import engine

    return engine.load_project(PROJECT_DIR)


@pytest.fixture(scope="session")
def duck(project):
    import adapters

    with adapters.connect(project) as conn:
        yield conn


@pytest.fixture(scope="session")
def frames():
    """The sample data as pandas DataFrames, read independently of the engine."""
    import pandas as pd

    return {p.stem: pd.read_parquet(p) for p in DATA_DIR.glob("*.parquet")}


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `metrics ...` as a user would: a separate process, real stdout/stderr/exit code."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli():
    return run_cli
