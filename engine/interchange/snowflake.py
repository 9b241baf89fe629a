"""A Snowflake semantic view (the YAML of ``SYSTEM$CREATE_SEMANTIC_VIEW_FROM_YAML``).

One semantic view per project, named after it. Each source with a table is a logical table:
``base_table`` (see below), ``primary_key`` from its key, its dimensions, its time columns as
``time_dimensions``, the columns its exported metrics read as ``facts``, and those metrics as
table metrics; each join whose condition is an equality of columns is a relationship. A
metric built on metrics (a formula, a ratio of two metrics) is a view-level derived metric
over ``table.metric``. Filters go inside the aggregates as ``CASE WHEN`` (Snowflake has no
``FILTER`` clause); expressions are transpiled from the project's dialect by sqlglot. Labels
become synonyms, descriptions stay descriptions, and each metric's description ends with
the time column it is bucketed by, which a semantic view cannot bind to a metric.

Where the tables live: ``vars: {snowflake_database: ..., snowflake_schema: ...}`` in
project.yml, else the parts of a qualified ``table: db.schema.name``, else the project's
name in capitals and ``PUBLIC`` (reported). Nothing reads the warehouse: no ``data_type``
is written (Snowflake infers it from the base table).

Metrics of the kinds a semantic view cannot hold are reported on stderr, one line each.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sqlglot import exp

from . import _common as common
from ._common import Home, Report
from ..catalog import Catalog
from ..model import FormulaMetric

DIALECT = "snowflake"


def export_project(project, output: Path | None) -> int:
    document, report = build(project)
    common.write_text(output, common.dump_yaml(document))
    report.emit()
    return 0


def build(project) -> tuple[dict, Report]:
    report = Report("snowflake-semantic-view")
    catalog: Catalog = project.catalog
    tables = [name for name in catalog.sources if catalog.sources[name].model.table]
    for name in catalog.sources:
        if name not in tables:
            report.notes.append(f"source {name} is a query or a file: a logical table needs a "
                                "base table; not exported")
    homes, reasons = common.expressible(catalog, partial(_refusal, catalog, tables))
    view = _View(catalog, homes, report, project.settings)
    for name, why in reasons.items():
        report.skip(name, why)
    document: dict = {"name": project.settings.name,
                      "tables": [view.table(name) for name in tables]}
    document["relationships"] = [r for name in tables for r in view.relationships(name, tables)]
    document["metrics"] = [m for m in (view.derived(n) for n in homes if view.is_derived(n))
                           if m]
    for key in ("relationships", "metrics"):
        if not document[key]:
            del document[key]
    report.notes.append("owners, targets, formats, grains and each metric's allowed "
                        "dimensions have no field in a semantic view; not exported")
    return document, report


def _refusal(catalog: Catalog, tables: list[str], name: str, home: Home) -> str | None:
    """A logical table is a base table, and a table metric aggregates its own table's facts:
    one whose expression reads a column of a joined table (a filter on ``locations.channel``)
    has no place in it."""
    if home.source not in tables:
        return f"its source {home.source} is not a table"
    metric = catalog.metrics[name]
    if isinstance(metric.model, FormulaMetric) or any(s.metric for s in metric.sides()):
        return None  # built on other metrics: each was asked on its own
    tree = common.metric_tree(catalog, name, "case")
    foreign = sorted({f"{c.table}.{c.name}" for c in tree.find_all(exp.Column)
                      if c.table and c.table != home.source})
    if foreign:
        return (f"it reads {', '.join(foreign)} of a joined table; a semantic view's table "
                "metric aggregates its own table's facts")
    return None


class _View:
    def __init__(self, catalog: Catalog, homes: dict[str, Home], report: Report,
                 settings) -> None:
        self.catalog, self.homes, self.report = catalog, homes, report
        self.vars = settings.vars
        self.default_database = str(self.vars.get("snowflake_database")
                                    or settings.name.upper())
        self.default_schema = str(self.vars.get("snowflake_schema") or "PUBLIC")
        if "snowflake_database" not in self.vars or "snowflake_schema" not in self.vars:
            report.notes.append(f"base tables without a database or schema of their own are "
                                f"placed in {self.default_database}.{self.default_schema}; "
                                "set vars snowflake_database and snowflake_schema in "
                                "project.yml to choose")
        self.facts: dict[str, dict[str, str]] = {}  # table -> column -> fact name

    def is_derived(self, name: str) -> bool:
        metric = self.catalog.metrics[name]
        sides = list(metric.sides())
        return isinstance(metric.model, FormulaMetric) or bool(
            sides and all(s.metric for s in sides))

    def table(self, name: str) -> dict:
        src = self.catalog.sources[name]
        model = src.model
        out: dict = {"name": name}
        if model.description:
            out["description"] = model.description
        out["base_table"] = self._base(model.table)
        if model.keys:
            out["primary_key"] = {"columns": model.keys}
        taken = set(src.dimensions)
        dims = [{"name": dim, "expr": common.to_sql(common.unqualify(tree.copy(), name),
                                                     DIALECT)}
                for dim, tree in src.dimensions.items()]
        times = [t for t in common.time_columns(self.catalog, name) if t not in taken]
        taken |= set(times)
        metrics = [m for m in (self._metric(n) for n, h in self.homes.items()
                               if h.source == name and not self.is_derived(n)) if m]
        facts = self.facts.get(name, {})
        for key, items in (("dimensions", dims), ("time_dimensions", [
                {"name": t, "expr": t} for t in times]), ("facts", [
                {"name": fact, "expr": column} for column, fact in facts.items()]),
                ("metrics", metrics)):
            if items:
                out[key] = items
        return out

    def _base(self, table: str) -> dict:
        parsed = exp.to_table(table, dialect=self.catalog.dialect)
        return {"database": parsed.catalog or self.default_database,
                "schema": parsed.db or self.default_schema, "table": parsed.name}

    def _fact(self, table: str, column: str) -> str:
        """The fact a metric reads a column through: named after it, unless a dimension, a
        time dimension or a metric already has that name (names are unique in a table)."""
        facts = self.facts.setdefault(table, {})
        if column not in facts:
            src = self.catalog.sources[table]
            taken = set(src.dimensions) | set(common.time_columns(self.catalog, table)) \
                | set(self.catalog.metrics)
            facts[column] = f"{column}_fact" if column in taken else column
        return facts[column]

    def _metric(self, name: str) -> dict | None:
        home = self.homes[name]
        tree = common.metric_tree(self.catalog, name, "case")
        for col in tree.find_all(exp.Column):
            if col.table == home.source:
                col.set("this", exp.to_identifier(self._fact(home.source, col.name)))
        return self._entry(name, tree)

    def derived(self, name: str) -> dict | None:
        return self._entry(name, self._derived_tree(name))

    def _derived_tree(self, name: str) -> exp.Expression:
        def ref(other: str) -> exp.Expression:
            if self.is_derived(other):
                return self._derived_tree(other)
            return exp.column(other, table=self.homes[other].source)
        return common.metric_tree(self.catalog, name, "case", ref=ref)

    def _entry(self, name: str, tree: exp.Expression) -> dict | None:
        try:
            expr = common.to_sql(tree, DIALECT)
        except common.SqlglotError as err:
            self.report.skip(name, f"its expression does not transpile to Snowflake "
                             f"({str(err).splitlines()[0]})")
            return None
        model = self.catalog.metrics[name].model
        home = self.homes[name]
        out: dict = {"name": name}
        if model.label:
            out["synonyms"] = [model.label]
        text = (model.description or model.label or name).rstrip()
        out["description"] = f"{text} Time: {home.source}.{home.time}." if home.time else text
        out["expr"] = expr
        return out

    def relationships(self, name: str, tables: list[str]) -> list[dict]:
        out = []
        seen = set()
        for alias, step in self.catalog.direct_joins(name).items():
            pairs = common.equi_pairs(step.on, name, alias)
            target = self.catalog.sources[step.target].model
            problem = None
            if step.target not in tables:
                problem = f"{step.target} is not a logical table"
            elif not pairs:
                problem = "its condition is not an equality of columns"
            elif {b for _, b in pairs} != set(target.keys):
                problem = f"it does not match {step.target}'s primary key"
            elif (name, step.target) in seen:
                problem = f"{name} already has a relationship to {step.target}"
            if problem:
                self.report.notes.append(f"join {name} -> {alias} is not a relationship: "
                                         f"{problem}")
                continue
            seen.add((name, step.target))
            out.append({"name": f"{name}_to_{alias}", "left_table": name,
                        "right_table": step.target, "relationship_columns": [
                            {"left_column": a, "right_column": b} for a, b in pairs]})
        return out
