"""Lint rules: each case in cases/lint.yml gives exactly the lines expected; severities come
from the project file; `validate --strict` fails on warnings; github and json forms."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest
import yaml

from sales_metrics import engine
from sales_metrics.engine.rules import RULES, lint
from support import ROOT

CASES_DIR = Path(__file__).parent / "cases"
CASES = yaml.safe_load((CASES_DIR / "lint.yml").read_text())["cases"]
PROJECT = "name: cases\nvars: {won: won}\n"
DEAL = ("metrics:\n  - name: deals\n    source: opportunities\n    numerator: count(*)\n")


def make_project(folder: Path, files: dict[str, str], only: list[str] | None = None) -> Path:
    """base_project/ with every lint rule at its default (or only those in `only` on)."""
    shutil.copytree(CASES_DIR / "base_project", folder, dirs_exist_ok=True)
    offs = [f"  {code}: off\n" for code in sorted(lint.DEFAULTS) if only and code not in only]
    (folder / "project.yml").write_text(PROJECT + ("lint:\n" + "".join(offs) if offs else ""))
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lint_case(case, tmp_path, monkeypatch):
    make_project(tmp_path, case.get("files") or {"m.yml": case["yaml"]}, case.get("only"))
    monkeypatch.chdir(tmp_path)
    project, diagnostics = engine.check_project(tmp_path)
    assert [d.render() for d in diagnostics] == case["expect"]
    assert (project is None) == any(line.split(": ", 1)[1].startswith("error[")
                                    for line in case["expect"])


def test_every_lint_code_has_a_case_and_a_documented_rule():
    tested = {line.split("[", 1)[1].split("]", 1)[0] for c in CASES for line in c["expect"]}
    assert set(lint.DEFAULTS) <= tested
    rules = [r for r in RULES if getattr(r, "lint_codes", ())]
    assert {c for r in rules for c in r.lint_codes} == set(lint.DEFAULTS)
    for rule in rules:
        doc = inspect.getdoc(rule)
        assert all(code in doc for code in rule.lint_codes), rule.__name__
        assert "bad" in doc and "good" in doc, rule.__name__
    assert lint.DEFAULTS["never-true-filter"] == "error"
    assert {lint.DEFAULTS[c] for c in lint.DEFAULTS if c != "never-true-filter"} == {"warning"}


def test_the_catalog_is_clean_with_the_default_severities():
    project, diagnostics = engine.check_project(ROOT / "metrics")
    assert project is not None and diagnostics == []
    assert project.settings.lint == {}  # clean under the defaults, not by turning rules off


@pytest.mark.parametrize("level, expect", [
    ("off", []), ("warning", ["warning"]), ("error", ["error"]), ("false", [])])
def test_severity_of_a_rule_is_set_in_the_project_file(tmp_path, level, expect):
    make_project(tmp_path, {"m.yml": DEAL}, only=["missing-owner"])
    text = (tmp_path / "project.yml").read_text().replace("missing-owner: off", "")
    (tmp_path / "project.yml").write_text(text + f"  missing-owner: {level}\n")
    project, diagnostics = engine.check_project(tmp_path)
    assert [d.severity for d in diagnostics] == expect
    assert all(d.code == "missing-owner" for d in diagnostics)
    assert (project is None) == (expect == ["error"])


def test_a_rule_turned_off_does_not_run(tmp_path, monkeypatch):
    def boom(catalog):
        raise AssertionError("ran although off")

    boom.lint_codes = ("unused-source",)
    monkeypatch.setattr("sales_metrics.engine.rules.RULES", (boom,))
    make_project(tmp_path, {"m.yml": DEAL}, only=["snake-case"])
    assert engine.check_project(tmp_path)[1] == []


@pytest.fixture
def warned(tmp_path):
    """A project whose only problems are warnings (a metric without an owner)."""
    return make_project(tmp_path, {"m.yml": DEAL}, only=["missing-owner"])


def test_warnings_do_not_fail_validate_unless_strict(cli, warned):
    result = cli("validate", str(warned))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].endswith("warning[missing-owner] metric 'deals' has no owner; add 'owner:', "
                             "the team that answers for it, e.g. 'sales-ops'")
    assert lines[1:] == ["1 warning in 1 file", "ok: 1 metrics and 2 sources are valid"]

    strict = cli("validate", str(warned), "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert strict.stderr.splitlines()[1:] == ["1 warning in 1 file",
                                              "failed: --strict fails on warnings"]


def test_strict_passes_without_warnings(cli, warned):
    text = (warned / "project.yml").read_text().replace("lint:\n", "lint:\n  missing-owner: off\n")
    (warned / "project.yml").write_text(text)
    result = cli("validate", str(warned), "--strict")
    assert result.returncode == 0 and result.stderr.startswith("ok: "), result.stderr
    assert cli("validate", "--strict").returncode == 0  # the bundled catalog


def test_errors_and_warnings_are_counted_apart(cli, warned):
    (warned / "bad.yml").write_text("metrics:\n  - name: broken\n    owner: x\n"
                                    "    source: opportunities\n    numerator: amount\n")
    result = cli("validate", str(warned))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "1 error and 1 warning in 2 files"


def test_github_annotations_carry_the_severity(cli, warned):
    (warned / "bad.yml").write_text("metrics:\n  - name: broken\n    owner: x\n"
                                    "    source: opportunities\n    numerator: amount\n")
    result = cli("validate", "--format", "github", cwd=warned)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=bad.yml,line=5,col=16,title=not-aggregate::'amount' is not an aggregate; "
        "aggregate it, e.g. 'sum(amount)' or 'count(*)'",
        "::warning file=m.yml,line=2,col=5,title=missing-owner::metric 'deals' has no owner; "
        "add 'owner:', the team that answers for it, e.g. 'sales-ops'",
    ]


def test_json_carries_the_severity(cli, warned):
    result = cli("validate", "--format", "json", "--strict", cwd=warned)
    assert result.returncode == 1
    assert json.loads(result.stdout) == [{
        "path": "m.yml", "line": 2, "column": 5, "severity": "warning", "code": "missing-owner",
        "message": "metric 'deals' has no owner",
        "hint": "add 'owner:', the team that answers for it, e.g. 'sales-ops'"}]


def test_the_benchmark_project_is_clean(tmp_path):
    """The generated project of examples/benchmark_project.py (small here) has no problem."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "benchmark_project", ROOT / "examples" / "benchmark_project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_project(tmp_path, metrics=120, sources=6)
    project, diagnostics = engine.check_project(tmp_path)
    assert [d.render() for d in diagnostics] == []
    assert len(project.catalog.metrics) == 120 and len(project.catalog.sources) == 6
