"""The CI examples run as written: the commands the GitHub Actions workflow and the
pre-commit hooks run are taken from the files themselves and run here, on the bundled
project and on a project fresh from `metrics init`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from support import ROOT

CI = ROOT / "examples" / "ci"


def workflow_commands() -> list[str]:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    lines = [line.strip() for job in workflow["jobs"].values() for step in job["steps"]
             if "run" in step for line in step["run"].splitlines() if line.strip()]
    installs = [line for line in lines if not line.startswith("metrics ")]
    # the only other step installs the tool, which the test suite already has
    assert installs == ['pip install "$METRICS_PACKAGE"'], installs
    return [line for line in lines if line.startswith("metrics ")]


def hook_commands() -> list[str]:
    config = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(h["language"] == "system" and h["pass_filenames"] is False for h in hooks)
    return [" ".join([h["entry"], *h.get("args", [])]) for h in hooks]


COMMANDS = [("workflow", c) for c in workflow_commands()] + \
    [("pre-commit", c) for c in hook_commands()]


def test_both_examples_validate_and_test():
    for source in ("workflow", "pre-commit"):
        run = [c.split()[1] for s, c in COMMANDS if s == source]
        assert run == ["validate", "test"], (source, run)
    assert "metrics validate --format github" in [c for _, c in COMMANDS]


@pytest.mark.parametrize("source, command", COMMANDS, ids=[f"{s}: {c}" for s, c in COMMANDS])
def test_the_command_passes_on_the_bundled_project(cli, source, command):
    result = cli(*shlex.split(command)[1:])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if "--format github" in command:
        assert "::error" not in result.stdout


@pytest.fixture(scope="module")
def new_project(tmp_path_factory) -> Path:
    from support import run_cli

    folder = tmp_path_factory.mktemp("adopt") / "repo"
    result = run_cli("init", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


@pytest.mark.parametrize("source, command", COMMANDS, ids=[f"{s}: {c}" for s, c in COMMANDS])
def test_the_command_passes_on_a_new_project(cli, new_project, source, command):
    """Copied into a repository made by `metrics init`, the examples work unchanged: the
    commands find metrics/project.yml from the repository's root, and the hooks' `files`
    pattern matches the definitions."""
    result = cli(*shlex.split(command)[1:], cwd=new_project)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    for hook in (h for repo in config["repos"] for h in repo["hooks"]):
        assert re.search(hook["files"], "metrics/sales.yml")
