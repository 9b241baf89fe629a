"""Bad definitions: each case in cases/bad_definitions.yml gives exactly the diagnostics expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sales_metrics import engine

CASES_DIR = Path(__file__).parent / "cases"
CASES = yaml.safe_load((CASES_DIR / "bad_definitions.yml").read_text())["cases"]


def make_project(tmp_path: Path, files: dict[str, str]) -> Path:
    shutil.copytree(CASES_DIR / "base_project", tmp_path, dirs_exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_definition(case, tmp_path, monkeypatch):
    make_project(tmp_path, case.get("files") or {"m.yml": case["yaml"]})
    monkeypatch.chdir(tmp_path)
    project, diagnostics = engine.check_project(tmp_path)
    assert project is None
    assert [d.render() for d in diagnostics] == case["expect"]


def test_base_project_is_valid(tmp_path):
    project, diagnostics = engine.check_project(make_project(tmp_path, {}))
    assert diagnostics == [] and project is not None


def test_load_project_raises_with_every_problem(tmp_path, monkeypatch):
    case = next(c for c in CASES if c["name"].startswith("several problems"))
    make_project(tmp_path, {"m.yml": case["yaml"]})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(engine.DefinitionError) as raised:
        engine.load_project(tmp_path)
    assert raised.value.lines() == case["expect"]


def test_json_and_github_forms_carry_the_same_facts(tmp_path, monkeypatch):
    make_project(tmp_path, {"m.yml": CASES[0]["yaml"]})
    monkeypatch.chdir(tmp_path)
    _, [diagnostic] = engine.check_project(tmp_path)
    assert diagnostic.to_dict() == {
        "path": "m.yml", "line": 5, "column": 5, "severity": "error", "code": "unknown-key",
        "message": "'denominater' is not a metric field", "hint": "did you mean 'denominator'?"}
    assert diagnostic.github() == ("::error file=m.yml,line=5,col=5,title=unknown-key::"
                                   "'denominater' is not a metric field; did you mean "
                                   "'denominator'?")
