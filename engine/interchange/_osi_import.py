"""`metrics import osi FILE --output DIR`: an OSI document -> a project folder of our YAML.

A dataset or metric carrying our extension (see :mod:`.osi`) is written back as it was;
anything else is mapped from the OSI core where it has a place (a dataset is a source, a
dimension field a dimension, the first time field its time column, a relationship a join, a
metric over one dataset a metric), and every construct that has none is reported as
``file:line:col: warning: ...``. The folder is written whole or not at all, then loaded and
validated like any project.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from . import _common as common
from .osi import KEY, VENDOR
from ..diagnostics import UsageError, relpath
from ..yamlspan import SpanMap, read_yaml

_READ = {"ANSI_SQL": "", "SNOWFLAKE": "snowflake", "DATABRICKS": "databricks"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE = re.compile(r"^([A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.ya?ml$")


class _Out:
    """The files to write and the warnings found on the way."""

    def __init__(self, display: str, spans: SpanMap) -> None:
        self.display, self.spans = display, spans
        self.files: dict[str, dict[str, list]] = {}
        self.extra: dict[str, str] = {}  # other files, by path: macros
        self.project: dict[str, Any] = {}
        self.found: list[tuple[int, int, str]] = []

    def warn(self, loc: tuple, message: str) -> None:
        span = self.spans.value(loc)
        where = f"{self.display}:{span.line}:{span.col}" if span.line else self.display
        self.found.append((span.line or 0, span.col or 0, f"{where}: warning: {message}"))

    @property
    def warnings(self) -> list[str]:
        """In the order of the file."""
        return [line for _, _, line in sorted(self.found)]

    def add(self, file: str | None, section: str, item: dict, default: str) -> None:
        name = file if file and _FILE.match(file) and ".." not in file.split("/") else default
        self.files.setdefault(name, {}).setdefault(section, []).append(item)


def import_project(path: Path, output: Path, strict: bool) -> int:
    display = relpath(path)
    if not path.is_file():
        raise UsageError(f"{display}: no such file")
    data, spans, problems = read_yaml(path, display)
    if problems:
        first = problems[0]
        raise UsageError(f"{first.span}: {first.message}" if first.span else first.message)
    model = _model(data, display)
    _check_output(output)
    out = _Out(display, spans)
    _read_model(model, out)
    _write(out, output)
    for line in out.warnings:
        print(line, file=sys.stderr)
    return _validate(output) or (1 if strict and out.warnings else 0)


def _model(data: Any, display: str) -> dict:
    models = data.get("semantic_model") if isinstance(data, dict) else None
    if not isinstance(models, list) or not models or not isinstance(models[0], dict):
        raise UsageError(f"{display}: not an OSI document: expected a 'semantic_model' list")
    if not isinstance(models[0].get("name"), str) or not isinstance(
            models[0].get("datasets"), list):
        raise UsageError(f"{display}: semantic_model[0] needs a 'name' and a 'datasets' list")
    if len(models) > 1:
        raise UsageError(f"{display}: {len(models)} semantic models; a project holds one "
                         "(split the file)")
    return models[0]


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(f"--output {output}: must be a new or empty folder")
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: folder {output.parent} does not exist")


def _ours(node: dict, loc: tuple, out: _Out) -> dict | None:
    """Our extension's data on an OSI object; other vendors' extensions are reported."""
    found = None
    for i, ext in enumerate(node.get("custom_extensions") or []):
        data = _json(ext.get("data")) if isinstance(ext, dict) else None
        if isinstance(ext, dict) and ext.get("vendor_name") == VENDOR and \
                isinstance(data, dict) and isinstance(data.get(KEY), dict):
            found = data[KEY]
        else:
            vendor = ext.get("vendor_name") if isinstance(ext, dict) else "?"
            out.warn(loc + ("custom_extensions", i), f"custom extension of vendor {vendor} "
                     "has no place in this project; not imported")
    return found


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _read_model(model: dict, out: _Out) -> None:
    ours = _ours(model, ("semantic_model", 0), out) or {}
    base = ("semantic_model", 0)
    out.project = ours.get("project") or {"name": _safe_name(model["name"])}
    if not ours:
        for key in ("description", "ai_context"):
            if key in model:
                out.warn(base + (key,), f"the semantic model's {key} has no place in "
                         "project.yml; not imported")
    macros = out.project.get("macros", "macros")
    for name, text in (ours.get("macros") or {}).items():
        if _NAME.match(name.rsplit(".", 1)[0]) and isinstance(text, str):
            out.extra[f"{macros}/{name}"] = text
    for file, text in (ours.get("tests") or {}).items():
        import yaml

        for item in yaml.safe_load(text) or []:
            out.add(file, "tests", item, "kpi.test.yml")
    joins = _joins(model, out)
    for i, dataset in enumerate(model["datasets"]):
        _read_dataset(dataset, base + ("datasets", i), joins, out)
    for i, metric in enumerate(model.get("metrics") or []):
        _read_metric(metric, base + ("metrics", i), model, out)


def _safe_name(name: str) -> str:
    clean = re.sub(r"\W", "_", name) or "imported"
    return clean if not clean[0].isdigit() else f"p_{clean}"


def _expression(node: dict, loc: tuple, out: _Out, what: str) -> str | None:
    """An OSI expression in DuckDB SQL, from its ANSI, Snowflake or Databricks version."""
    dialects = (node.get("expression") or {}).get("dialects") if isinstance(
        node.get("expression"), dict) else None
    for entry in dialects or []:
        read = _READ.get(entry.get("dialect")) if isinstance(entry, dict) else None
        if read is not None and isinstance(entry.get("expression"), str):
            try:
                return common.transpile(entry["expression"], read, "duckdb")
            except common.SqlglotError:
                continue
    out.warn(loc + ("expression",), f"{what}: no ANSI_SQL, SNOWFLAKE or DATABRICKS expression "
             "that parses; not imported")
    return None


def _changed(node: dict, kept: dict, loc: tuple, out: _Out) -> None:
    for key in ("name", "description"):
        if key in node and node[key] != kept.get(key):
            out.warn(loc + (key,), f"'{key}' differs from the one in the sales_metrics "
                     "extension; the extension's definition is kept")


def _read_dataset(node: dict, loc: tuple, joins: dict, out: _Out) -> None:
    ours = _ours(node, loc, out)
    if ours and isinstance(ours.get("source"), dict):
        _changed(node, ours["source"], loc, out)
        out.add(ours.get("file"), "sources", ours["source"], "sources.yml")
        return
    name = node.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or not isinstance(
            node.get("source"), str):
        out.warn(loc, "a dataset needs a 'name' (letters, digits, _) and a 'source'; "
                 "not imported")
        return
    source: dict[str, Any] = {"name": name}
    if node.get("description"):
        source["description"] = node["description"]
    source.update(_origin(node["source"]))
    keys = node.get("primary_key") or []
    if keys:
        source["key"] = keys[0] if len(keys) == 1 else list(keys)
    times, dims = _fields(node, loc, out)
    if times:
        source["time"] = times[0][0]
    for name, where in times[1:]:
        out.warn(where, f"time field '{name}': a source has one default time column "
                 f"('{times[0][0]}'); a metric can still name it as its time: column")
    if dims:
        source["dimensions"] = dims
    if joins.get(name):
        source["joins"] = joins[name]
    for key in ("unique_keys", "ai_context"):
        if key in node:
            out.warn(loc + (key,), f"dataset {key} has no place in a source; not imported")
    out.add(None, "sources", source, "sources.yml")


def _origin(text: str) -> dict[str, str]:
    try:
        tree = sqlglot.parse_one(text)
    except common.SqlglotError:
        return {"sql": text}
    if isinstance(tree, exp.Table) or (isinstance(tree, exp.Column) and "(" not in text):
        return {"table": text}
    return {"sql": common.to_sql(tree, "duckdb")}


def _fields(node: dict, loc: tuple, out: _Out) -> tuple[list[tuple[str, tuple]],
                                                         dict[str, str]]:
    times, dims = [], {}
    for i, field in enumerate(node.get("fields") or []):
        where = loc + ("fields", i)
        name = field.get("name") if isinstance(field, dict) else None
        if not isinstance(name, str) or not _NAME.match(name):
            out.warn(where, "a field needs a name of letters, digits and _; not imported")
            continue
        text = _expression(field, where, out, f"field '{name}'")
        if text is None:
            continue
        role = field.get("dimension")
        if isinstance(role, dict) and role.get("is_time"):
            if text != name:
                out.warn(where, f"time field '{name}' is an expression; a time column must be "
                         "a column: not imported")
            else:
                times.append((name, where))
        elif role is not None or text != name:
            dims[name] = text
        for key in ("label", "ai_context", "custom_extensions"):
            if field.get(key):
                out.warn(where + (key,), f"field {key} has no place in a dimension; "
                         "not imported")
    return times, dims


def _joins(model: dict, out: _Out) -> dict[str, list[dict]]:
    joins: dict[str, list[dict]] = {}
    names = {d.get("name") for d in model["datasets"] if isinstance(d, dict)}
    for i, rel in enumerate(model.get("relationships") or []):
        loc = ("semantic_model", 0, "relationships", i)
        ok = isinstance(rel, dict) and rel.get("from") in names and rel.get("to") in names \
            and len(rel.get("from_columns") or []) == len(rel.get("to_columns") or []) > 0
        if not ok:
            out.warn(loc, "a relationship needs 'from' and 'to' datasets and as many "
                     "from_columns as to_columns; not imported")
            continue
        on = " and ".join(f"{a} = {rel['to']}.{b}"
                          for a, b in zip(rel["from_columns"], rel["to_columns"]))
        joins.setdefault(rel["from"], []).append({"to": rel["to"], "on": on})
        for key in ("ai_context", "custom_extensions"):
            if rel.get(key):
                out.warn(loc + (key,), f"relationship {key} has no place in a join; "
                         "not imported")
    return joins


def _read_metric(node: dict, loc: tuple, model: dict, out: _Out) -> None:
    ours = _ours(node, loc, out)
    if ours and isinstance(ours.get("metric"), dict):
        _changed(node, ours["metric"], loc, out)
        out.add(ours.get("file"), "metrics", ours["metric"], "metrics.yml")
        return
    name = node.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        out.warn(loc, "a metric needs a name of letters, digits and _; not imported")
        return
    text = _expression(node, loc, out, f"metric '{name}'")
    if text is None:
        return
    tree = sqlglot.parse_one(text, read="duckdb")
    tables = sorted({c.table for c in tree.find_all(exp.Column) if c.table})
    known = {d.get("name") for d in model["datasets"] if isinstance(d, dict)}
    if len(tables) != 1 or tables[0] not in known or not list(tree.find_all(exp.AggFunc)):
        out.warn(loc + ("expression",), f"metric '{name}' is not an aggregate over the "
                 "columns of one dataset (dataset.column); not imported")
        return
    metric = {"name": name, "source": tables[0],
              "numerator": common.to_sql(common.unqualify(tree, tables[0]), "duckdb")}
    if node.get("description"):
        metric["description"] = node["description"]
    if node.get("ai_context"):
        out.warn(loc + ("ai_context",), "metric ai_context has no place in a metric; "
                 "not imported")
    out.add(None, "metrics", metric, "metrics.yml")


def _write(out: _Out, output: Path) -> None:
    """Every file into a temporary folder beside ``output``, then one rename."""
    temp = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
        (temp / "project.yml").write_text(common.dump_yaml(out.project), encoding="utf-8")
        for name, sections in out.files.items():
            target = temp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            ordered = {k: common.raw_jinja(sections[k]) for k in ("sources", "metrics", "tests")
                       if k in sections}
            target.write_text(common.dump_yaml(ordered), encoding="utf-8")
        for name, text in out.extra.items():
            (temp / name).parent.mkdir(parents=True, exist_ok=True)
            (temp / name).write_text(text, encoding="utf-8")
        if output.exists():
            output.rmdir()  # checked empty above
        temp.rename(output)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _validate(output: Path) -> int:
    """Load the new project as `metrics validate` would: 1 (and the problems) if invalid."""
    from ..project import check_project

    project, diagnostics = check_project(output)
    for diagnostic in diagnostics:
        if diagnostic.severity == "error":
            print(diagnostic.render(), file=sys.stderr)
    return 0 if project is not None else 1
