"""Open Semantic Interchange (OSI, now Apache Ossie) core format, version 0.1.1, both ways.

Export: a source is a dataset (its dimensions, time columns and the columns metrics read are
fields), a join is a relationship, a metric is a metric whose expression is one aggregate over
``dataset.column`` (ANSI SQL as sqlglot writes it, plus Snowflake and Databricks). What the core
has no field for -- grains, time columns, filters, kinds, targets, owners, the project's
settings and KPI tests -- travels whole in ``custom_extensions`` (vendor ``COMMON``: the 0.1.1
vendor list has no entry for this tool; the data is a JSON object under the key
``sales_metrics``), so importing our own export gives back equal definitions. A metric whose
core expression cannot say what it computes (a balance, a window, a conversion window) is
reported on stderr: other tools see an approximation, we see the definition.

Import: our extension when present; otherwise the core mapped to sources and metrics, and
every construct that has no place reported with its file, line and column.

Definitions are exported as loaded: Jinja already rendered (``{{ is_won() }}`` becomes
``stage = 'won'``); the macros folder travels too, for later edits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlglot import exp

from . import _common as common
from ._common import Report
from ..catalog import Catalog
from ..model import (BalanceMetric, ComparisonMetric, ConversionMetric, CumulativeMetric,
                     EntityMetric, FormulaMetric, Metric, ShareMetric)

SPEC_VERSION = "0.1.1"
VENDOR = "COMMON"
KEY = "sales_metrics"
FORMAT = 1  # of the data under KEY
DIALECTS = (("ANSI_SQL", ""), ("SNOWFLAKE", "snowflake"), ("DATABRICKS", "databricks"))
_SECRET = re.compile(r"pass|pwd|secret|token|private_key|api_key|credential", re.I)
_ENV_ONLY = re.compile(r"^\s*\{\{\s*env_var\([^{}]*\)\s*\}\}\s*$")


def export_project(project, output: Path | None) -> int:
    document, report = build(project)
    common.write_text(output, common.dump_yaml(document))
    report.emit()
    return 0


def build(project) -> tuple[dict, Report]:
    """The OSI document of a project, and the report of what only the extension says."""
    report = Report("osi", "approximate in the OSI core")
    catalog: Catalog = project.catalog
    files = _Files(project.root)
    model: dict = {"name": project.settings.name}
    model["datasets"] = [_dataset(catalog, name, files, report) for name in catalog.sources]
    model["relationships"] = [r for name in catalog.sources
                              for r in _relationships(catalog, name, report)]
    core = _Core(catalog)
    model["metrics"] = [_metric(catalog, name, core, files, report) for name in catalog.metrics]
    model["custom_extensions"] = [_extension({
        "format": FORMAT, "project": _settings(project.settings, report),
        "macros": _macros(project), "tests": _tests(project, files)})]
    report.notes.append("grains, time columns, filters, kinds, targets, owners and formats "
                        f"have no OSI core field: each travels in custom_extensions "
                        f"(vendor {VENDOR}, key '{KEY}')")
    return {"version": SPEC_VERSION, "semantic_model": [model]}, report


def _extension(data: dict) -> dict:
    return {"vendor_name": VENDOR, "data": json.dumps({KEY: data}, ensure_ascii=False)}


def _dump(model) -> dict:
    """The fields written, in the order they were written (so an import reads the same)."""
    data = model.model_dump(mode="json", exclude_unset=True)
    spans = getattr(model, "_spans", None)
    written = [loc[0] for loc in (spans.keys if spans else ()) if len(loc) == 1]
    order = {key: i for i, key in enumerate(dict.fromkeys(written))}
    return dict(sorted(data.items(), key=lambda item: order.get(item[0], len(order))))


class _Files:
    """Where each definition was written, relative to the project folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def of(self, spans_path: str) -> str | None:
        path = Path(spans_path)
        path = path if path.is_absolute() else Path.cwd() / path
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None


def _expression(tree: exp.Expression, report: Report, what: str) -> dict:
    dialects = []
    for name, dialect in DIALECTS:
        try:
            dialects.append({"dialect": name, "expression": common.to_sql(tree, dialect)})
        except common.SqlglotError as err:
            report.notes.append(f"{what}: no {name} expression ({str(err).splitlines()[0]})")
    return {"dialects": dialects}


def _dataset(catalog: Catalog, name: str, files: _Files, report: Report) -> dict:
    src = catalog.sources[name]
    model = src.model
    out: dict = {"name": name, "source": model.table or model.sql or model.path}
    if model.keys:
        out["primary_key"] = model.keys
    if model.description:
        out["description"] = model.description
    fields: dict[str, dict] = {}
    for dim, tree in src.dimensions.items():
        fields[dim] = {"name": dim, "expression": _expression(
            common.unqualify(tree.copy(), name), report, f"{name}.{dim}"),
            "dimension": {"is_time": False}}
    for column in common.time_columns(catalog, name):
        fields.setdefault(column, _column(column, report, name, {"is_time": True}))
    for column in _columns(catalog, name):
        fields.setdefault(column, _column(column, report, name))
    out["fields"] = list(fields.values())
    out["custom_extensions"] = [_extension({"source": _dump(model),
                                            "file": files.of(model.spans.path)})]
    return out


def _column(column: str, report: Report, source: str, dimension: dict | None = None) -> dict:
    field = {"name": column, "expression": _expression(exp.column(column), report,
                                                       f"{source}.{column}")}
    if dimension is not None:
        field["dimension"] = dimension
    return field


def _columns(catalog: Catalog, source: str) -> list[str]:
    """Key and join columns, and the columns the metrics' aggregates and filters read."""
    src = catalog.sources[source]
    found = list(src.model.keys)
    for step in catalog.direct_joins(source).values():
        found += common.columns_of(step.on, source)
    for metric in catalog.metrics.values():
        for side in metric.sides():
            if side.source == source and side.expr is not None:
                for tree in (side.expr, *side.filters):
                    found += common.columns_of(tree, source)
    return list(dict.fromkeys(found))


def _relationships(catalog: Catalog, name: str, report: Report) -> list[dict]:
    out = []
    for alias, step in catalog.direct_joins(name).items():
        pairs = common.equi_pairs(step.on, name, alias)
        if not pairs:
            report.notes.append(f"join {name} -> {alias}: its condition is not an equality of "
                                "columns, so it has no OSI relationship (the extension keeps it)")
            continue
        out.append({"name": f"{name}_to_{alias}", "from": name, "to": step.target,
                    "from_columns": [a for a, _ in pairs], "to_columns": [b for _, b in pairs]})
    return out


class _Core:
    """Each metric's core expression, and whether it computes what the metric does."""

    APPROXIMATE = (ConversionMetric, BalanceMetric, CumulativeMetric, ComparisonMetric,
                   EntityMetric, ShareMetric)

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.trees: dict[str, exp.Expression] = {}
        self.exact: dict[str, bool] = {}

    def tree(self, name: str) -> exp.Expression:
        if name not in self.trees:
            self.trees[name] = self._build(name)
        return self.trees[name].copy()

    def _build(self, name: str) -> exp.Expression:
        metric = self.catalog.metrics[name]
        model = metric.model
        if isinstance(model, (Metric, FormulaMetric)):
            used = [s.metric for s in metric.sides() if s.metric] + list(metric.refs)
            tree = common.metric_tree(self.catalog, name, ref=self.tree)
            self.exact[name] = not getattr(model, "snapshot", None) and all(
                self.exact[u] for u in used)
            return tree
        self.exact[name] = False
        if isinstance(model, ConversionMetric):
            return common.ratio(common.side_tree(metric.numerator),
                                common.side_tree(metric.denominator), model.min_denominator)
        if isinstance(model, BalanceMetric):
            return common.side_tree(metric.opens)
        assert isinstance(model, self.APPROXIMATE), type(model).__name__
        return self.tree(getattr(model, "share_of", None) or getattr(model, "of"))


def _metric(catalog: Catalog, name: str, core: _Core, files: _Files, report: Report) -> dict:
    model = catalog.metrics[name].model
    out: dict = {"name": name, "expression": _expression(core.tree(name), report, name)}
    if model.description:
        out["description"] = model.description
    if model.label:
        out["ai_context"] = {"synonyms": [model.label]}
    out["custom_extensions"] = [_extension({"metric": _dump(model),
                                            "file": files.of(model.spans.path)})]
    if not core.exact[name]:
        report.skip(name, f"a {_kind(model)}: the core expression is only the aggregate it "
                    "is built from; the whole definition travels in custom_extensions")
    return out


def _kind(model) -> str:
    if isinstance(model, Metric) and model.snapshot:
        return "snapshot metric (last snapshot of each period)"
    return {ConversionMetric: "conversion within a window", BalanceMetric: "balance",
            CumulativeMetric: "cumulative or rolling window",
            ComparisonMetric: "period-over-period comparison", EntityMetric:
            "per-entity aggregate", ShareMetric: "share of a total"}.get(
                type(model), "metric built on one that OSI cannot express")


def _settings(settings, report: Report) -> dict:
    """project.yml as written, without a secret written in it (an env_var() reference is
    kept: it names a secret, it does not hold one)."""
    data = _dump(settings)
    connection = data.get("connection", {})
    for key in list(connection):
        value = connection[key]
        if _SECRET.search(key) and not (isinstance(value, str) and _ENV_ONLY.match(value)):
            del connection[key]
            report.notes.append(f"connection setting '{key}' looks like a secret and is left "
                                "out; write it as {{ env_var('...') }} to carry the reference")
    return data


def _macros(project) -> dict[str, str]:
    folder = project.root / project.settings.macros
    if not folder.is_dir():
        return {}
    return {f.name: f.read_text(encoding="utf-8")
            for f in sorted(folder.glob("*.sql")) + sorted(folder.glob("*.jinja"))}


def _tests(project, files: _Files) -> dict[str, str]:
    """KPI test cases as YAML text, by file: YAML keeps their dates and timestamps typed."""
    grouped: dict[str, list] = {}
    for item, spans in project.loaded.tests:
        grouped.setdefault(files.of(spans.path) or "kpi.test.yml", []).append(item)
    return {file: common.dump_yaml(items) for file, items in grouped.items()}
