"""The README's commands and Python snippet run as written, so the documentation cannot rot."""

from __future__ import annotations

import re
import shlex

import pytest
from support import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)
COMMANDS = [line.split("  #")[0].strip() for lang, body in BLOCKS if lang in ("", "bash")
            for line in body.splitlines() if line.startswith("metrics ")]
# `$ metrics ...` followed by the rows it printed: each row shown must be printed as shown
SHOWN = [(body.splitlines()[0][2:], [r for r in body.splitlines()[1:]
                                     if r.startswith("│") and "│ ..." not in r])
         for lang, body in BLOCKS if body.startswith("$ metrics ")]


def test_readme_opens_with_the_two_commands():
    first, second = [body.strip() for lang, body in BLOCKS[:2]]
    assert first.endswith("metrics run --grain=month") and "pip install -e ." in first
    assert second.endswith("-m pytest") and "pip install -e \".[test]\"" in second
    ci = (ROOT / ".ci" / "run").read_text()
    assert second in ci  # CI runs exactly the README's test command


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(cli, command):
    result = cli(*shlex.split(command)[1:])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_readme_python_api_runs(capsys, monkeypatch):
    code = next(body for lang, body in BLOCKS if lang == "python")
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "win_rate" in out and "won_revenue" in out and "region" in out


@pytest.mark.parametrize("command, rows", SHOWN, ids=[c for c, _ in SHOWN])
def test_readme_output_is_what_the_command_prints(cli, command, rows):
    result = cli(*shlex.split(command)[1:])
    assert result.returncode == 0, result.stderr
    printed = {" ".join(line.split()) for line in result.stdout.splitlines()}
    for row in rows:
        assert " ".join(row.split()) in printed, f"README shows a row not printed: {row}"


def test_readme_catalog_table_names_every_metric():
    """The catalog table lists every KPI of metrics/ (read with PyYAML, not the engine)."""
    import yaml

    listed = set(re.findall(r"^\| `[a-z_]+\.yml` \| `([a-z0-9_]+)` \|", README, flags=re.M))
    defined = {m["name"] for f in (ROOT / "metrics").glob("*.yml")
               if not f.name.endswith(".test.yml") and f.name != "project.yml"
               for m in (yaml.safe_load(f.read_text()) or {}).get("metrics", []) or []}
    assert defined and listed == defined
