"""Reading a dbt project as untrusted input: its YAML files, and its SQL models' Jinja.

Only files inside the project folder are read (model paths that leave it are refused, links
that point out of it are skipped and reported). Jinja is never evaluated: each ``{{ ... }}``
is parsed with Python's ``ast`` and only ``ref``, ``source``, ``var``, ``env_var`` and
``config`` calls with literal arguments are understood; anything else (``{% if %}``, a
macro, an attribute) is reported. ``env_var()`` gives its default: the importer never
reads the environment, so a definition cannot carry a secret into the written project.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..diagnostics import Span, UsageError
from ..yamlspan import FILE_BYTES, read_yaml
from .mf_nodes import Doc, Node, Report

PROJECT_FILE = "dbt_project.yml"
MOST_FILES = 10_000  # YAML and SQL files under the model paths
_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}|\{#(.*?)#\}", re.DOTALL)
_PATH_KEYS = ("model-paths", "source-paths")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class Unsupported(Exception):
    """A Jinja construct we do not evaluate."""


@dataclass
class DbtProject:
    root: Path
    name: str
    vars: dict[str, Any]
    docs: list[Doc] = field(default_factory=list)
    sql_files: dict[str, Path] = field(default_factory=dict)  # model name -> file

    def rel(self, file: Path) -> str:
        return file.relative_to(self.root).as_posix()

    def var(self, name: str, default: Any) -> Any:
        scoped = self.vars.get(self.name)
        if name in self.vars and not isinstance(self.vars[name], dict):
            return self.vars[name]
        if isinstance(scoped, dict) and name in scoped:
            return scoped[name]
        if default is not _NONE:
            return default
        raise Unsupported(f"var('{name}') has no value in dbt_project.yml and no default")


_NONE = object()


def read_project(path: Path, report: Report) -> DbtProject:
    """The project's YAML files and SQL models; bad input raises :class:`UsageError`."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder; pass the dbt project folder (the one with "
                         f"{PROJECT_FILE})")
    root = path.resolve()
    if not (root / PROJECT_FILE).is_file():
        raise UsageError(f"{path}: not a dbt project: there is no {PROJECT_FILE} in it")
    config = _load(root / PROJECT_FILE, PROJECT_FILE, report)
    top = Node(config, (), config.data)
    if not isinstance(config.data, dict):
        raise UsageError(f"{PROJECT_FILE}:1:1: not a dbt project file: expected a mapping of "
                         "settings (name, model-paths, ...)")
    name = top["name"].text() or root.name
    variables = top["vars"].value if isinstance(top["vars"].value, dict) else {}
    project = DbtProject(root, name, variables)
    for folder in _model_paths(top, root):
        _walk(project, folder, report)
    return project


def _model_paths(top: Node, root: Path) -> list[Path]:
    paths: list[Node] = []
    for key in _PATH_KEYS:
        if key in top:
            value = top[key]
            if not isinstance(value.value, list):
                raise UsageError(f"{value.span}: '{key}' must be a list of folders")
            paths += list(value.items())
    if not paths:
        return [root / "models"]
    out = []
    for node in paths:
        text = node.value
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"{node.span}: a model path must be a folder name, not {text!r}")
        folder = (root / text).resolve()
        if Path(text).is_absolute() or not _inside(folder, root):
            raise UsageError(f"{node.span}: model path '{text}' is outside the dbt project "
                             "folder; the importer reads only files inside it")
        out.append(folder)
    return out


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _walk(project: DbtProject, folder: Path, report: Report) -> None:
    if not folder.is_dir():
        report.note(Span(PROJECT_FILE), f"model path '{project.rel(folder)}' does not exist")
        return
    count = 0
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and _kept(project, Path(here) / d, report))
        for name in sorted(files):
            file = Path(here) / name
            if not name.endswith((".yml", ".yaml", ".sql")) or not _kept(project, file, report):
                continue
            count += 1
            if count > MOST_FILES:
                raise UsageError(f"{project.rel(folder)}: more than {MOST_FILES:,} files under "
                                 "the model path; import a smaller project")
            if name.endswith(".sql"):
                _sql_file(project, file, report)
            else:
                project.docs.append(_load(file, project.rel(file), report))


def _kept(project: DbtProject, path: Path, report: Report) -> bool:
    """A link is followed only when it stays inside the project."""
    if path.is_symlink() and not _inside(path.resolve(), project.root):
        report.not_mapped(Span(project.rel(path)), "a link to a file outside the dbt project: "
                          "not read (the importer reads only files inside the project)")
        return False
    return True


def _sql_file(project: DbtProject, file: Path, report: Report) -> None:
    model = file.stem
    if model in project.sql_files:
        report.not_mapped(Span(project.rel(file)), f"a second SQL model named '{model}' (the "
                          f"first is {project.rel(project.sql_files[model])}): not read")
        return
    project.sql_files[model] = file


def read_sql(file: Path) -> str:
    size = file.stat().st_size
    if size > FILE_BYTES:
        raise UsageError(f"{file.name}: the SQL model has {size:,} bytes, more than the "
                         f"{FILE_BYTES:,} the importer reads")
    return file.read_text(encoding="utf-8")


def _load(file: Path, display: str, report: Report) -> Doc:
    data, spans, diagnostics = read_yaml(file, display)
    for d in diagnostics:
        if d.code in ("duplicate-key", "yaml-value"):
            report.not_mapped(d.span or Span(display), f"{d.message} ({d.hint})" if d.hint
                              else d.message)
        else:
            raise UsageError(f"{d.span or display}: {d.message}" + (f"; {d.hint}" if d.hint
                                                                    else ""))
    return Doc(display, data, spans)


# ------------------------------------------------------------------------------- Jinja

@dataclass
class Rendered:
    text: str
    notes: list[tuple[int, str]]  # (offset in the template, what was assumed)


Calls = dict[str, Callable[..., str]]


def render(text: str, calls: Calls, project: DbtProject) -> Rendered:
    """Replace each known ``{{ call(...) }}``; raise :class:`Unsupported` with the offset."""
    out, notes, last = [], [], 0
    for match in _TAG.finditer(text):
        out.append(text[last:match.start()])
        last = match.end()
        if match.group(3) is not None:  # {# a comment #}
            continue
        if match.group(2) is not None:
            word = (match.group(2).strip().split() or ["?"])[0].lstrip("-")
            raise _at(match.start(), f"Jinja statement {{% {word} ... %}} is not evaluated "
                      "by the importer")
        try:
            value, note = _evaluate(match.group(1).strip().strip("-").strip(), calls, project)
        except Unsupported as err:
            raise _at(match.start(), str(err)) from None
        out.append(value)
        if note:
            notes.append((match.start(), note))
    out.append(text[last:])
    return Rendered("".join(out), notes)


def _at(offset: int, message: str) -> Unsupported:
    err = Unsupported(message)
    err.offset = offset  # type: ignore[attr-defined]
    return err


def offset_span(display: str, text: str, offset: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(display, line, col)


def _evaluate(expr: str, calls: Calls, project: DbtProject) -> tuple[str, str | None]:
    if len(expr) > 2_000:
        raise Unsupported("a Jinja expression longer than 2,000 characters")
    try:
        tree = ast.parse(expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        raise Unsupported(f"'{{{{ {expr[:60]} }}}}' is not a Jinja call the importer "
                          "understands") from None
    notes: list[str] = []
    value = _value(tree, calls, project, notes)
    return ("" if value is None else str(value)), ("; ".join(notes) or None)


def _value(node: ast.AST, calls: Calls, project: DbtProject, notes: list[str]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.List):
        return [_value(e, calls, project, notes) for e in node.elts]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise Unsupported(f"'{_shown(node)}' is not a call of ref, source, var or env_var")
    name = node.func.id
    args = [_value(a, calls, project, notes) for a in node.args]
    kwargs = {k.arg: _value(k.value, calls, project, notes) for k in node.keywords if k.arg}
    if name == "var" and 1 <= len(args) <= 2 and isinstance(args[0], str):
        return project.var(args[0], args[1] if len(args) > 1 else _NONE)
    if name == "env_var" and 1 <= len(args) <= 2 and isinstance(args[0], str):
        if len(args) < 2:
            raise Unsupported(f"env_var('{args[0]}') has no default, and the importer never "
                              "reads the environment")
        notes.append(f"env_var('{args[0]}') read as its default '{args[1]}' (the importer "
                     "never reads the environment)")
        return args[1]
    if name == "config":
        return None
    if name in calls and all(isinstance(a, str) for a in args) and not kwargs:
        return calls[name](*args)
    raise Unsupported(f"'{_shown(node)}' is not a call the importer understands (ref, "
                      "source, var, env_var or config with literal arguments)")


def _shown(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:60]
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        return "?"


def ref_name(text: str) -> str | None:
    """The model a semantic model's ``model:`` names: ``ref('x')`` or ``{{ ref('x') }}``."""
    inner = text.strip()
    if inner.startswith("{{") and inner.endswith("}}"):
        inner = inner[2:-2].strip()
    found: list[str] = []

    def ref(*args: str) -> str:
        found.append(args[-1])
        return ""
    try:
        tree = ast.parse(inner, mode="eval").body
        if not (isinstance(tree, ast.Call) and getattr(tree.func, "id", None) == "ref"):
            return None
        _value(tree, {"ref": ref}, DbtProject(Path("."), "", {}), [])
    except (SyntaxError, ValueError, RecursionError, Unsupported):
        return None
    return found[0] if found and IDENTIFIER.match(found[0]) else None
