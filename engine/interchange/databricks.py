"""Databricks metric views (Unity Catalog metric view YAML, version 1.1), one per source.

A metric view reads one ``source``, so each source with at least one exported metric gets
its own view, written as ``<source>.yml`` into the ``--output`` folder (on stdout: YAML
documents separated by ``---``). Its joins are the source's joins (nested for the joins of
joined sources, each ``on`` over ``source.`` and the join's name); its dimensions are the
source's own, those reachable through its joins (``reps.rep_name``) and its time columns;
its measures are the metrics on it: filters as ``FILTER (WHERE ...)`` inside each aggregate,
a ratio or formula over other metrics as ``MEASURE(name)`` arithmetic (composability).
Labels become ``display_name``, descriptions ``comment`` (ending with the time column the
metric is bucketed by, which a measure cannot bind). Expressions are transpiled from the
project's dialect by sqlglot.

Where the tables live: ``vars: {databricks_catalog: ..., databricks_schema: ...}`` in
project.yml, else the parts of a qualified ``table: catalog.schema.name``, else ``main`` and
``default`` (Unity Catalog's defaults; reported).

Window measures (cumulative, trailing, period over period) are Experimental in Databricks and
their ``trailing`` ranges leave the current period out, unlike ours: those metrics are
reported, one line each, with every other kind a metric view cannot hold.
"""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp

from . import _common as common
from ._common import Home, Report
from ..catalog import MAX_JOIN_DEPTH, Catalog
from ..model import ComparisonMetric, CumulativeMetric

DIALECT = "databricks"
VERSION = "1.1"


def export_project(project, output: Path | None) -> int:
    files, report = build(project)
    common.write_files(output, {f"{name}.yml": common.dump_yaml(view)
                                for name, view in files.items()})
    report.emit()
    return 0


def build(project) -> tuple[dict[str, dict], Report]:
    """The metric views by source name, and the report."""
    report = Report("databricks-metric-view")
    catalog: Catalog = project.catalog
    homes, reasons = common.expressible(catalog)
    places = _Places(project.settings, report)
    views: dict[str, dict] = {}
    for source in dict.fromkeys(h.source for h in homes.values()):
        names = [n for n, h in homes.items() if h.source == source]
        model = catalog.sources[source].model
        if model.path:
            for name in names:
                reasons[name] = f"its source {source} is a file; a metric view reads a table "
            continue
        views[source] = _view(catalog, source, names, homes, places, report)
    for name, why in reasons.items():
        report.skip(name, why)
    if any(isinstance(catalog.metrics[n].model, (CumulativeMetric, ComparisonMetric))
           for n in reasons):
        report.notes.append("window measures (cumulative, trailing, period over period) are "
                            "Experimental in Databricks and their trailing ranges leave the "
                            "current period out; such metrics are not exported")
    report.notes.append("owners, targets, formats, grains and each metric's allowed "
                        "dimensions are not exported")
    return views, report


class _Places:
    def __init__(self, settings, report: Report) -> None:
        self.dialect = settings.dialect
        self.catalog = str(settings.vars.get("databricks_catalog") or "main")
        self.schema = str(settings.vars.get("databricks_schema") or "default")
        if "databricks_catalog" not in settings.vars or "databricks_schema" not in settings.vars:
            report.notes.append(f"tables without a catalog or schema of their own are read "
                                f"from {self.catalog}.{self.schema}; set vars "
                                "databricks_catalog and databricks_schema in project.yml to "
                                "choose")

    def table(self, text: str) -> str:
        parsed = exp.to_table(text, dialect=self.dialect)
        return ".".join([parsed.catalog or self.catalog, parsed.db or self.schema, parsed.name])

    def origin(self, model) -> str:
        if model.table:
            return self.table(model.table)
        return common.transpile(model.sql, self.dialect, DIALECT)


def _view(catalog: Catalog, source: str, names: list[str], homes: dict[str, Home],
          places: _Places, report: Report) -> dict:
    model = catalog.sources[source].model
    view: dict = {"version": VERSION}
    if model.description:
        view["comment"] = model.description
    view["source"] = places.origin(model)
    joins = _joins(catalog, source, "source", places, report, {source}, 1)
    if joins:
        view["joins"] = joins
    view["dimensions"] = _dimensions(catalog, source, report)
    measures = [m for m in (_measure(catalog, n, homes[n], report) for n in names) if m]
    view["measures"] = measures
    return view


def _joins(catalog: Catalog, name: str, parent: str, places: _Places, report: Report,
           seen: set[str], depth: int) -> list[dict]:
    out = []
    src = catalog.sources[name]
    for join in src.model.joins:
        target = catalog.sources.get(join.to)
        if target is None or join.alias not in src.joins or join.to in seen:
            continue
        if not target.model.table:
            report.notes.append(f"join {name} -> {join.alias}: {join.to} is not a table; "
                                "not exported")
            continue
        on = src.joins[join.alias].copy()
        for col in on.find_all(exp.Column):
            if not col.table or col.table == name:
                col.set("table", exp.to_identifier(parent))
        entry: dict = {"name": join.alias, "source": places.table(target.model.table),
                       "on": common.to_sql(on, DIALECT)}
        if depth < MAX_JOIN_DEPTH:
            nested = _joins(catalog, join.to, join.alias, places, report, seen | {join.to},
                            depth + 1)
            if nested:
                entry["joins"] = nested
        out.append(entry)
    return out


def _dimensions(catalog: Catalog, source: str, report: Report) -> list[dict]:
    """Own dimensions, then those of joined sources (nearest first), then time columns."""
    out: dict[str, dict] = {}
    for name in catalog.dimensions(source):
        if "." in name:
            continue
        dim = catalog.dimension(source, name)
        if dim is None:
            report.notes.append(f"{source}: dimension '{name}' is reachable by two joins; "
                                "not exported")
            continue
        tree = dim.expr.copy()
        parts = [step.name for step in dim.path]
        for col in tree.find_all(exp.Column):
            if dim.path:
                col.set("table", exp.to_identifier(parts[-1]))
                if len(parts) > 1:
                    col.set("db", exp.to_identifier(parts[-2]))
                if len(parts) > 2:
                    col.set("catalog", exp.to_identifier(parts[-3]))
            else:
                col.set("table", None)
        out[name] = {"name": name, "expr": common.to_sql(tree, DIALECT)}
    for column in common.time_columns(catalog, source):
        out.setdefault(column, {"name": column, "expr": column})
    return list(out.values())


def _measure(catalog: Catalog, name: str, home: Home, report: Report) -> dict | None:
    def ref(other: str) -> exp.Expression:
        return exp.Anonymous(this="MEASURE", expressions=[exp.column(other)])

    tree = common.unqualify(common.metric_tree(catalog, name, "filter", ref=ref), home.source)
    for node in list(tree.find_all(exp.PercentileCont)):
        # sqlglot writes PERCENTILE_CONT(x, q), which Databricks does not take; its exact,
        # interpolating percentile is PERCENTILE(x, q)
        node.replace(exp.Anonymous(this="PERCENTILE", expressions=[
            node.this.copy(), node.expression.copy()]))
    try:
        expr = common.to_sql(tree, DIALECT)
    except common.SqlglotError as err:
        report.skip(name, f"its expression does not transpile to Databricks SQL "
                    f"({str(err).splitlines()[0]})")
        return None
    model = catalog.metrics[name].model
    out: dict = {"name": name, "expr": expr}
    if model.label:
        out["display_name"] = model.label
    text = (model.description or model.label or name).rstrip()
    out["comment"] = f"{text} Time: {home.time}." if home.time else text
    return out
