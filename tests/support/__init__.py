"""What every test group shares: where the repository and its sample are, and running the CLI.

Importable from any test as ``support`` (pytest puts ``tests/`` on the path for the
conftest there); the oracles and the differential helpers live beside this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "metrics"
DATA_DIR = ROOT / "examples" / "data"


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `metrics ...` as a user would: a separate process, real stdout/stderr/exit code."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "sales_metrics.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)
