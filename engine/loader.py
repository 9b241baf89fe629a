"""YAML files -> typed definitions, each remembering the file:line:col of its fields.

The loader never stops at the first problem: it collects a diagnostic for every unreadable
file, template error, unknown key, wrong type and duplicate name, and keeps every definition
that is valid so the rules can check those too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import inputs
from .diagnostics import Diagnostic, Span, UsageError, did_you_mean, relpath
from .model import (Balance, Calendar, Connection, Conversion, ConversionWindow, Definition,
                    Join, Measure, MetricBase, MetricsFile, Project, Source, Target,
                    metric_kind)
from .templating import TemplateProblem, Templates
from .yamlspan import Loc, SpanMap, read_yaml

PROJECT_FILE = "project.yml"
# Connection profiles (adapters/profiles.py reads them): never definitions, wherever they are.
PROFILE_FILES = ("profiles.yml", "profiles.yaml")
D = TypeVar("D", bound=Definition)
_NESTED: dict[str, type[BaseModel]] = {
    "numerator": Measure, "denominator": Measure, "target": Target, "joins": Join,
    "connection": Connection, "calendar": Calendar, "conversion": Conversion,
    "balance": Balance, "within": ConversionWindow,
}


@dataclass
class Loaded:
    """Everything read from a project folder, valid or not."""

    root: Path
    project: Project
    templates: Templates
    sources: dict[str, Source] = field(default_factory=dict)
    metrics: dict[str, MetricBase] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # KPI test cases as written (rendered, not validated): `metrics test` checks them, so a
    # broken test never stops `metrics run`. See sales_metrics.engine.kpitests.
    tests: list[tuple[Any, SpanMap]] = field(default_factory=list)


def find_project(path: Path | None = None) -> Path:
    """The project file for a path: the file itself, or project.yml in it or in metrics/,
    looking upward from the path (or the working directory) like git does."""
    start = path or Path.cwd()
    if not start.exists():
        raise UsageError(f"{start}: no such file or folder")
    if start.is_file() and start.name == PROJECT_FILE:
        return start
    folder = start.parent if start.is_file() else start
    for parent in (folder, *folder.resolve().parents):
        for candidate in (parent / PROJECT_FILE, parent / "metrics" / PROJECT_FILE):
            inputs.probe(candidate)
            if candidate.is_file():
                return candidate
    raise UsageError(f"no {PROJECT_FILE} in {relpath(folder)}, its metrics/ folder or any "
                     "folder above; pass the project folder, or create a project.yml (see README)")


def load(path: Path | None = None) -> Loaded:
    project_file = find_project(path)
    root = project_file.parent
    project, diagnostics = _load_project(project_file)
    templates = Templates(project.vars, root / project.macros, project.limits)
    loaded = Loaded(root, project, templates, diagnostics=diagnostics + templates.problems)
    if diagnostics:  # definitions depend on the project's vars and macros: fix it first
        return loaded
    for file in definition_files(root, project_file, project.macros):
        _load_file(loaded, file)
    return loaded


def definition_files(root: Path, project_file: Path, macros: str) -> list[Path]:
    """The YAML files under the project folder that hold definitions: not the project file,
    not a connection profile file, nothing in the macros folder."""
    macro_dir = (root / macros).resolve()
    return [file for file in sorted(root.rglob("*.y*ml"))
            if file.suffix in (".yml", ".yaml") and file != project_file
            and file.name not in PROFILE_FILES and macro_dir not in file.resolve().parents]


def _load_project(file: Path) -> tuple[Project, list[Diagnostic]]:
    display = relpath(file)
    data, spans, problems = read_yaml(file, display)
    if problems or not isinstance(data, dict):
        if not problems:
            problems = [Diagnostic("wrong-type", "the project file must be a mapping",
                                   Span(display, 1, 1), "start with 'name: my_project'")]
        return _fallback_project(file), problems
    project = _validate(Project, data, spans, problems)
    return project or _fallback_project(file), problems


def _fallback_project(file: Path) -> Project:
    """Settings to keep checking definitions with when the project file itself is broken."""
    name = "".join(c if c.isalnum() else "_" for c in file.parent.name) or "project"
    return _attach(Project(name=name if not name[0].isdigit() else f"p_{name}"), SpanMap(""))


def _load_file(loaded: Loaded, file: Path) -> None:
    display = relpath(file)
    loaded.files.append(display)
    data, spans, problems = read_yaml(file, display, loaded.project.limits)
    loaded.diagnostics += problems
    if data is None:
        return
    data = _render(data, (), spans, loaded.templates, loaded.diagnostics)
    if _validate(MetricsFile, data, spans, loaded.diagnostics) is None:
        return
    for i, item in enumerate(data.get("sources", [])):
        _add(loaded.sources, _validate(Source, item, spans.sub(("sources", i)),
                                       loaded.diagnostics), "source", loaded.diagnostics)
    for i, item in enumerate(data.get("metrics", [])):
        kind = metric_kind(item) if isinstance(item, dict) else MetricBase
        _add(loaded.metrics, _validate(kind, item, spans.sub(("metrics", i)),
                                       loaded.diagnostics), "metric", loaded.diagnostics)
    loaded.tests += [(item, spans.sub(("tests", i)))
                     for i, item in enumerate(data.get("tests", []))]


def _add(table: dict[str, D], item: D | None, kind: str, out: list[Diagnostic]) -> None:
    if item is None:
        return
    first = table.get(item.name)
    if first is not None:
        out.append(Diagnostic("duplicate-name", f"{kind} '{item.name}' is defined twice",
                              item.spans.value(("name",)),
                              f"rename one; the first is at {first.spans.value(('name',))}"))
        return
    table[item.name] = item


def _render(value: Any, loc: Loc, spans: SpanMap, templates: Templates,
            out: list[Diagnostic]) -> Any:
    """Render every string with Jinja, reporting errors at the string's own position."""
    if isinstance(value, str):
        try:
            return templates.render(value)
        except TemplateProblem as err:
            span = spans.value(loc)
            line = span.shifted(lines=err.line - 1) if err.line > 1 else span
            out.append(Diagnostic(err.code, str(err), line, err.hint or
                                  "define it under 'vars' in project.yml or fix the template"))
            spans.broken.add(loc)
            return value
    if isinstance(value, dict):
        return {k: _render(v, loc + (k,), spans, templates, out) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, loc + (i,), spans, templates, out) for i, v in enumerate(value)]
    return value


def _validate(model: type[D], data: Any, spans: SpanMap, out: list[Diagnostic]) -> D | None:
    if not isinstance(data, dict):
        out.append(Diagnostic("wrong-type", f"expected a mapping of {model.__name__.lower()} "
                              "fields", spans.value(()), "write 'key: value' lines"))
        return None
    try:
        item = model.model_validate(data)
    except ValidationError as err:
        out.extend(_explain(model, err, data, spans))
        return None
    return _attach(item, spans)


def _attach(item: D, spans: SpanMap) -> D:
    """Give a definition and the definitions nested in it their spans."""
    object.__setattr__(item, "_spans", spans)
    for name in type(item).model_fields:
        value = getattr(item, name)
        for i, child in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(child, Definition):
                _attach(child, spans.sub((name, i) if isinstance(value, list) else (name,)))
    return item


def _explain(model: type[BaseModel], err: ValidationError, data: dict[str, Any],
             spans: SpanMap) -> list[Diagnostic]:
    """Turn pydantic's errors into one diagnostic each, at the offending key or value."""
    found: dict[tuple[Loc, str], Diagnostic] = {}
    for error in err.errors(include_url=False):
        loc, value = _in_data(error["loc"], data, error["type"])
        if error["type"] in ("string_type", "model_type", "dict_type") and isinstance(
                value, dict) and len(error["loc"]) > len(loc):
            continue  # the other member of a `str | Measure` union; the dict one explains it
        diagnostic = _one(model, error, loc, value, spans)
        found.setdefault((loc, diagnostic.code), diagnostic)
    return list(found.values())


def _in_data(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[Loc, Any]:
    """Pydantic's location without its union and validator tags, and the value there."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(data, dict) and part in data or isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif kind == "missing" and i == len(loc) - 1:
            data = None
        else:
            continue
        out.append(part)
    return tuple(out), data


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel]:
    for part in loc:
        if isinstance(part, str) and part in _NESTED:
            model = _NESTED[part]
    return model


def _one(model: type[BaseModel], error: dict[str, Any], loc: Loc, value: Any,
         spans: SpanMap) -> Diagnostic:
    kind, msg = error["type"], error["msg"]
    field = str(loc[-1]) if loc else model.__name__.lower()
    owner = _model_at(model, loc[:-1])
    noun = getattr(owner, "noun", None) or ("project" if owner is Project else
                                            "metric" if issubclass(owner, MetricBase)
                                            else owner.__name__.lower())
    if kind == "extra_forbidden":
        fields = list(owner.model_fields)
        hint = did_you_mean(field, fields) or f"the {noun} fields are: {', '.join(fields)}"
        return Diagnostic("unknown-key", f"'{field}' is not a {noun} field", spans.key(loc), hint)
    if kind == "missing":
        return Diagnostic("missing-key", f"this {noun} has no '{field}'", spans.value(loc[:-1]),
                          f"add '{field}:'")
    if kind == "string_pattern_mismatch":
        return Diagnostic("invalid-name", f"'{value}' is not a valid name for '{field}'",
                          spans.value(loc), "use letters, digits and underscores, "
                          "starting with a letter (snake_case)")
    if kind == "value_error":
        return Diagnostic("invalid-definition", msg.removeprefix("Value error, "),
                          spans.value(loc), None)
    return Diagnostic("wrong-type", f"'{field}': {msg[0].lower()}{msg[1:]}",
                      spans.value(loc), f"got {value!r}" if value is not None else None)
