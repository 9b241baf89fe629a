"""`metrics import metricflow PATH --output DIR`: a dbt project's semantic layer as our YAML.

A pure transformation of definitions: it reads the dbt project's YAML (semantic models,
metrics, dbt sources) and, to know what each semantic model reads, its SQL models; it never
reads data, never runs dbt and never evaluates Jinja (see ``mf_dbt``). It writes
``project.yml``, ``sources.yml`` (``mf_sources``: one source per semantic model),
``metrics.yml`` (``mf_metrics``) and ``IMPORT_REPORT.md``, which lists what was mapped and,
one line each with the dbt file and line, every construct that was not (also on stderr).

The output folder is written whole or not at all: built in a temporary folder beside it,
checked with the engine's own validation (definitions only), then renamed into place. A
definition the engine refuses is taken out and reported, with the metrics built on it, so
the written project always validates. Exit 0; 1 with ``--strict`` when anything was not
mapped; bad input (not a dbt project, broken YAML, a model path outside it) raises
:class:`UsageError` (exit 2) with the file, line and column at fault.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..diagnostics import Span, UsageError
from ._common import raw_jinja
from .mf_dbt import DbtProject, read_project, ref_name
from .mf_metrics import Metrics
from .mf_nodes import Node, Report
from .mf_relations import Relations
from .mf_sources import Layer

REPORT_FILE = "IMPORT_REPORT.md"
_NOT_SEMANTIC = {"version", "models", "sources", "seeds", "snapshots", "macros", "exposures",
                 "analyses", "groups", "unit_tests", "data_tests"}
_ROUNDS = 10  # validation rounds that may each take out what the engine refuses


def import_project(path: Path, output: Path, strict: bool) -> int:
    output = Path(output)
    _check_output(output)
    report = Report()
    project = read_project(Path(path), report)
    files, origins = _translate(project, report, output)
    written = _write(output, files, origins, report)
    for finding in report.findings:
        print(finding.render(), file=sys.stderr)
    print(f"imported {written} metrics and {len(files['sources'])} sources into {output}; "
          f"{len(report.unmapped)} constructs not mapped (see {output / REPORT_FILE})",
          file=sys.stderr)
    return 1 if strict and report.unmapped else 0


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(f"{output}: the output folder must not exist or be empty")
    if not output.parent.is_dir():
        raise UsageError(f"{output.parent}: no such folder to write {output.name} in")


# ------------------------------------------------------------------------------- mapping

def _translate(project: DbtProject, report: Report, output: Path
               ) -> tuple[dict[str, Any], dict[str, Node]]:
    relations = Relations(project, report, {})
    layer = Layer(relations, report)
    nodes: dict[str, Node] = {}
    for doc in project.docs:
        top = Node(doc, (), doc.data)
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            report.not_mapped(top, "not a dbt properties file (expected a mapping): not read")
            continue
        for key in top.keys():
            _top_level(key, top[key], layer, nodes, report)
    for model in layer.models.values():
        name = ref_name(model.node["model"].text() or "")
        if name is not None:
            relations.model_sources.setdefault(name, model.name)
    sources = layer.sources()
    folders = [f for m in layer.models.values() for f in m.written.get("folders", ())]
    for name, relation in relations.helpers.items():  # dbt models that queries read
        sources.append({"name": name, **({"table": relation.table} if relation.table
                                         else {"sql": relation.sql})})
        folders += relation.folders
    metrics = Metrics(layer, report, nodes)
    metrics.build_all()
    _created_metrics(layer, metrics, report)
    _account_measures(layer, metrics, report)
    origins = dict(metrics.origins)
    origins.update({m.name: m.node for m in layer.models.values()})
    files = {"project": _project_file(project, output, list(dict.fromkeys(folders)), report),
             "sources": sources, "metrics": metrics.written}
    return files, origins


def _top_level(key: str, node: Node, layer: Layer, nodes: dict[str, Node],
               report: Report) -> None:
    if key in ("semantic_models", "metrics", "saved_queries", "models") and \
            node.value is not None and not isinstance(node.value, list):
        report.not_mapped(node, f"'{key}' must be a list: not read")
    elif key == "semantic_models":
        for item in node.items():
            layer.add(item)
    elif key == "metrics":
        for item in node.items():
            name = item["name"].value
            if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                report.not_mapped(item, f"metric without a valid name ({name!r})")
            elif name in nodes:
                report.not_mapped(item, f"metric '{name}' is defined twice (first at "
                                  f"{nodes[name].span}); the second is not read")
            elif item["config"]["enabled"].value is False:
                report.note(item, f"metric '{name}' is disabled (config.enabled: false)")
            else:
                nodes[name] = item
    elif key == "saved_queries":
        for item in node.items():
            report.not_mapped(item, f"saved query '{item.name}': saved queries have no "
                              "counterpart (run `metrics run -m ...` with its metrics)")
    elif key == "models":
        for item in node.items():
            if item["time_spine"].value is not None:
                report.note(item["time_spine"], f"time spine '{item.name}': not needed; the "
                            "engine makes its periods from the sources' rows")
    elif key not in _NOT_SEMANTIC:
        report.not_mapped(node, f"unknown top-level key '{key}': not read")


def _created_metrics(layer: Layer, metrics: Metrics, report: Report) -> None:
    """``create_metric: true`` on a measure: a simple metric named after it."""
    for name in layer.all_measures():
        node = layer.measure_node(name)
        if node is None or not node["create_metric"].value:
            continue
        if name in metrics.nodes:
            report.not_mapped(node["create_metric"], f"measure '{name}': create_metric, but a "
                              "metric of that name exists already")
            continue
        fake = {"name": name, "type": "simple", "type_params": {"measure": name}}
        label = node["create_metric_display_name"].text() or node["label"].text()
        if label:
            fake["label"] = label
        metrics.nodes[name] = Node(node.doc, node.loc, fake)
        metrics.try_build(name, node)


def _account_measures(layer: Layer, metrics: Metrics, report: Report) -> None:
    used: dict[str, list[str]] = {}
    for name, built in metrics.built.items():
        if not isinstance(built, Exception):
            for measure in built.measures:
                used.setdefault(measure, []).append(name)
    for name in layer.all_measures():
        node = layer.measure_node(name)
        if node is None:
            continue
        for key in ("label", "description"):
            if node[key].value is not None and not node["create_metric"].value:
                report.not_mapped(node[key], f"{key} of measure '{name}': measures are "
                                  "written into the metrics that use them, which have their own")
        if name in used:
            report.mapped_as(node, f"measure '{name}'", f"aggregate in metrics "
                             f"{', '.join(sorted(used[name]))}")
        elif not any(f.text.startswith(f"measure '{name}'") for f in report.findings):
            report.not_mapped(node, f"measure '{name}' is used by no mapped metric: our "
                              "definitions have no free-standing measures (add a metric)")


def _project_file(project: DbtProject, output: Path, folders: list[str], report: Report
                  ) -> dict[str, Any]:
    name = re.sub(r"[^A-Za-z0-9_]", "_", project.name) or "imported"
    out: dict[str, Any] = {"name": name if not name[0].isdigit() else f"p_{name}",
                           "dialect": "duckdb", "connection": {"type": "duckdb",
                                                               "database": ":memory:"}}
    if folders:
        paths = [os.path.relpath(project.root / f, output.resolve()) for f in folders]
        out["connection"]["data"] = paths[0] if len(paths) == 1 else paths
        out["allowed_paths"] = paths
        missing = [p for f, p in zip(folders, paths) if not (project.root / f).is_dir()]
        for path in missing:
            report.note(Span("dbt_project.yml"), f"the data folder {path} does not exist yet "
                        "(create the data, or set connection.data in project.yml)")
    return out


# ------------------------------------------------------------------------------- writing

class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _listing(key: str, items: list[dict[str, Any]], header: str) -> tuple[str, list[int]]:
    """A YAML file of one list, and the line each item starts on."""
    lines, starts = [header, f"{key}:" if items else f"{key}: []"], []
    for item in items:
        starts.append(len(lines) + 1)
        body = yaml.dump([raw_jinja(item)], Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=100)
        lines += ["  " + line for line in body.rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n", starts


def _write(output: Path, files: dict[str, Any], origins: dict[str, Node], report: Report) -> int:
    temp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        for _ in range(_ROUNDS):
            refused = _render(temp, files, report)
            if not refused:
                break
            for kind, name, message in refused:
                origin = origins.get(name)
                where = f"{kind} '{name}'" + (f" (from '{origin.name}')" if origin is not None
                                               and origin.name != name else "")
                report.not_mapped(origin.span if origin is not None else output,
                                  f"{where}: the engine refuses it: {message}")
                gone = {name} | {n for n, o in origins.items() if o is origin and
                                 origin is not None and kind == "metric"}
                files[kind + "s"] = [i for i in files[kind + "s"] if i["name"] not in gone]
        else:  # pragma: no cover - every round takes at least one definition out
            raise UsageError("the imported definitions do not validate")
        (temp / REPORT_FILE).write_text(_markdown(report, files), encoding="utf-8")
        if output.exists():
            output.rmdir()
        os.replace(temp, output)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return len(files["metrics"])


def _render(temp: Path, files: dict[str, Any], report: Report) -> list[tuple[str, str, str]]:
    """Write the YAML; what the engine's validation refuses, as (kind, name, message)."""
    from ..project import check_project

    header = "# Imported from a dbt MetricFlow project by `metrics import metricflow`."
    project = yaml.dump(raw_jinja(files["project"]), Dumper=_Dumper, sort_keys=False)
    (temp / "project.yml").write_text(header + "\n" + project, encoding="utf-8")
    texts, starts = {}, {}
    for kind in ("sources", "metrics"):
        texts[kind], starts[kind] = _listing(kind, files[kind], header)
        (temp / f"{kind}.yml").write_text(texts[kind], encoding="utf-8")
    _, diagnostics = check_project(temp / "project.yml")
    refused = []
    for d in diagnostics:
        if d.severity != "error" or d.span is None:
            continue
        kind = Path(d.span.path).stem
        if kind not in starts:
            raise UsageError(f"the imported project does not validate: {d.render()}")
        index = max([i for i, s in enumerate(starts[kind]) if s <= d.span.line] or [0])
        name = files[kind][index]["name"]
        refused.append((kind[:-1], name, d.message))
    return list(dict.fromkeys(refused))


def _markdown(report: Report, files: dict[str, Any]) -> str:
    lines = ["# Import report", "",
             "Paths are relative to the dbt project folder.", "",
             f"## Not mapped ({len(report.unmapped)})", ""]
    lines += [f"- {f.render()}" for f in report.unmapped] or ["- nothing"]
    notes = [f for f in report.findings if f.kind == "note"]
    lines += ["", f"## Notes ({len(notes)})", ""]
    lines += [f"- {f.render()}" for f in notes] or ["- none"]
    lines += ["", f"## Mapped ({len(report.mapped)})", ""]
    lines += [f"- {where}: {what}: {how}" for what, where, how in report.mapped]
    lines += ["", f"Written: {len(files['sources'])} sources, {len(files['metrics'])} "
              "metrics.", ""]
    return "\n".join(lines)
