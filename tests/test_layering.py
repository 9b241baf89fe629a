"""The layers stay apart: engine imports neither adapters nor cli; nothing imports cli."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for file in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                found |= {(str(file.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(file.relative_to(ROOT)), node.module.split(".")[0]))
    return found


def test_engine_does_not_import_adapters_or_cli():
    assert [f for f, mod in imports("engine") if mod in ("adapters", "cli")] == []


def test_nothing_imports_cli():
    for package in ("engine", "adapters", "examples", "tests"):
        assert [f for f, mod in imports(package) if mod == "cli"] == []


def test_cli_start_up_does_not_load_heavy_modules():
    """`metrics --help` must not pay for DuckDB, sqlglot, pyarrow or pydantic."""
    code = ("import sys, cli.main as m\n"
            "heavy = {'duckdb', 'sqlglot', 'pyarrow', 'pydantic', 'pandas'} & set(sys.modules)\n"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_metrics_help_loads_no_heavy_module():
    """Not only importing the CLI: running `metrics --help` itself (start-up budget, issue 6)."""
    code = ("import sys\nsys.argv = ['metrics', '--help']\nimport cli.main as m\n"
            "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'duckdb', 'sqlglot', 'pyarrow', 'pydantic', 'pandas', 'jinja2', 'rich'}\n"
            "print(sorted(heavy & set(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr
    assert "Usage: metrics" in out.stdout
