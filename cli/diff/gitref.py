"""A project as it was at a git ref, read without touching the working tree.

`git archive REF -- <project folder>` is unpacked into a temporary folder and loaded like any
project. Relative data paths are resolved against the working tree's project folder, so both
versions read the same data.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sales_metrics.engine.diagnostics import MetricsError, UsageError, relpath

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project


@dataclass(frozen=True)
class Base:
    ref: str  # as the user wrote it
    commit: str  # its abbreviated hash
    project: "Project | None"  # None: the project folder did not exist at the ref


class InvalidBase(MetricsError):
    """The definitions at the ref do not load; every problem, placed at REF:path."""

    def __init__(self, ref: str, lines: list[str]) -> None:
        self.ref, self._lines = ref, lines
        super().__init__(f"the definitions at {ref} are not valid, so they cannot be compared")

    def lines(self) -> list[str]:
        return [f"error: {self}", *self._lines]


def load_base(ref: str, head_root: Path) -> Base:
    """The project in ``head_root``'s folder as it was at ``ref``."""
    from sales_metrics.engine.project import check_project

    top = Path(_git(["rev-parse", "--show-toplevel"], head_root,
                    f"{relpath(head_root)} is not in a git repository; `metrics diff` compares "
                    "the working tree with a git ref").decode().strip())
    if not ref or ref.startswith("-"):
        raise UsageError(f"'{ref}' is not a git ref")
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top,
                  f"unknown git ref '{ref}'; name a branch, tag or commit (in CI, fetch the "
                  "base first, e.g. `git fetch origin main` and `--base origin/main`)"
                  ).decode().strip()
    short = _git(["rev-parse", "--short", commit], top, "git rev-parse failed").decode().strip()
    folder = head_root.resolve().relative_to(top.resolve()).as_posix()
    project_file = "project.yml" if folder == "." else f"{folder}/project.yml"
    if _run(["cat-file", "-e", f"{commit}:{project_file}"], top).returncode != 0:
        return Base(ref, short, None)
    archive = _git(["archive", "--format=tar", commit, "--", folder], top,
                   f"git archive {ref} failed")
    with tempfile.TemporaryDirectory(prefix="metrics-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse odd members
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - git archive writes plain files and folders only
                tar.extractall(tmp)
        project, diagnostics = check_project(Path(tmp) / project_file, data_root=head_root)
        if project is None:
            shown = Path(tmp).resolve()
            raise InvalidBase(ref, [d.render().replace(f"{shown}/", f"{ref}:")
                                    for d in diagnostics if d.severity == "error"])
    return Base(ref, short, project)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; `metrics diff` reads the base version "
                         "with git") from None


def _git(args: list[str], cwd: Path, message: str) -> bytes:
    done = _run(args, cwd)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        detail = said[0].removeprefix("fatal: ") if said else ""
        if detail and "not a git repository" not in detail:
            message += f" (git: {detail})"
        raise UsageError(message)
    return done.stdout
