"""Semantic models -> our sources; measures -> the aggregates metrics are made of.

One source per semantic model, named after it. Its relation comes from ``mf_relations``;
``defaults.agg_time_dimension`` is its time column; the primary entity is its key;
categorical dimensions are its dimensions; each foreign entity that is the primary (or
unique) entity of another semantic model is a many-to-one join to that model's source. A
time dimension or a primary entity whose ``expr`` is an expression rather than a column
becomes a column of a ``sql:`` source (``select *, <expr> as <name> from ...``), so it can
be a time column or a key. A measure is an aggregate over its ``expr`` (or the column named
like it) on its agg time dimension; ``non_additive_dimension`` on that time dimension with
``window_choice: max`` and no groupings is our ``snapshot: last``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from .mf_dbt import Unsupported, ref_name
from .mf_filters import GRAINS, ModelResolver, parse_sql
from .mf_nodes import Node, Report
from .mf_relations import DIALECT, Relation, Relations

SM_KEYS = {"name", "model", "description", "label", "defaults", "entities", "dimensions",
           "measures", "primary_entity", "config"}
ENTITY_KEYS = {"name", "type", "description", "label", "role", "expr", "config"}
DIMENSION_KEYS = {"name", "type", "description", "label", "is_partition", "type_params",
                  "expr", "config"}
MEASURE_KEYS = {"name", "agg", "description", "label", "expr", "agg_params",
                "non_additive_dimension", "agg_time_dimension", "create_metric", "config",
                "create_metric_display_name"}
OUR_GRAINS = ("day", "week", "month", "quarter", "year")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AGGREGATES = {"sum": "sum({})", "count": "count({})", "count_distinct": "count(distinct {})",
               "average": "avg({})", "min": "min({})", "max": "max({})",
               "median": "median({})", "sum_boolean": "sum(case when {} then 1 else 0 end)"}


@dataclass
class Model:
    node: Node
    name: str
    entities: dict[str, Node] = field(default_factory=dict)
    dimensions: dict[str, Node] = field(default_factory=dict)  # categorical
    times: dict[str, Node] = field(default_factory=dict)
    measures: dict[str, Node] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # time dim or key entity -> column
    computed: dict[str, exp.Expression] = field(default_factory=dict)  # column -> expression
    dim_sql: dict[str, exp.Expression] = field(default_factory=dict)
    joins: dict[str, str] = field(default_factory=dict)  # foreign entity -> join alias
    own: set[str] = field(default_factory=set)  # entities it is the primary/unique model of
    default_time: str | None = None
    written: dict[str, Any] = field(default_factory=dict)
    broken: bool = False  # no relation: no source is written for it


@dataclass
class Measure:
    node: Node
    model: Model
    agg: str
    aggregate: str
    time_dim: str
    time: str
    grain: str | None  # of the agg time dimension, when coarser than a day
    snapshot: bool = False


class Layer:
    """The semantic models as read, and the sources written for them."""

    def __init__(self, relations: Relations, report: Report) -> None:
        self.relations, self.report = relations, report
        self.models: dict[str, Model] = {}
        self.owners: dict[str, Model] = {}  # entity -> the model it is primary/unique in
        self._measures: dict[str, tuple[Node, Model]] = {}
        self._built: dict[str, Measure | Unsupported] = {}

    # ----------------------------------------------------------------- reading
    def add(self, node: Node) -> None:
        name = node["name"].value
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            self.report.not_mapped(node, f"semantic model without a valid name ({name!r})")
            return
        if name in self.models:
            self.report.not_mapped(node, f"semantic model '{name}' is defined twice; the "
                                   "second is not read")
            return
        if node["config"]["enabled"].value is False:
            self.report.note(node, f"semantic model '{name}' is disabled (config.enabled: "
                             "false): not imported")
            return
        model = Model(node, name)
        self.report.unknown_keys(node, SM_KEYS, f"semantic model '{name}'")
        for kind, target in (("entities", model.entities), ("dimensions", None),
                             ("measures", model.measures)):
            if node[kind].value is not None and not isinstance(node[kind].value, list):
                self.report.not_mapped(node[kind], f"{kind} of semantic model '{name}' must "
                                       "be a list: not read")
            for item in node[kind].items():
                item_name = item["name"].value
                if not isinstance(item_name, str) or not _IDENTIFIER.match(item_name):
                    self.report.not_mapped(item, f"an entry of {kind} of semantic model "
                                           f"'{name}' without a valid name")
                elif kind == "dimensions":
                    typ = str(item["type"].value or "").lower()
                    (model.times if typ == "time" else model.dimensions)[item_name] = item
                else:
                    target[item_name] = item  # type: ignore[index]
        for entity, item in model.entities.items():
            if str(item["type"].value or "").lower() in ("primary", "unique"):
                model.own.add(entity)
                self.owners.setdefault(entity, model)
        if isinstance(node["primary_entity"].value, str):
            model.own.add(node["primary_entity"].value)
        for measure, item in model.measures.items():
            if measure in self._measures:
                self.report.not_mapped(item, f"measure '{measure}' is defined twice (also in "
                                       f"'{self._measures[measure][1].name}'); not read")
            else:
                self._measures[measure] = (item, model)
        self.models[name] = model

    # ----------------------------------------------------------------- sources
    def sources(self) -> list[dict[str, Any]]:
        for model in self.models.values():
            self._columns(model)
        written = [self._source(model) for model in self.models.values()]
        return [s for s, m in zip(written, self.models.values()) if not m.broken]

    def _columns(self, model: Model) -> None:
        for name, item in model.times.items():
            self._time_dimension(model, name, item)
        for name, item in model.dimensions.items():
            self._dimension(model, name, item)
        for name, item in model.entities.items():
            self._entity_column(model, name, item)

    def _time_dimension(self, model: Model, name: str, item: Node) -> None:
        self.report.unknown_keys(item, DIMENSION_KEYS, f"dimension '{model.name}.{name}'")
        self._documentation(item, f"time dimension '{model.name}.{name}'")
        self.report.unknown_keys(item["type_params"], {"time_granularity", "validity_params"},
                                 f"type_params of '{model.name}.{name}'")
        grain = str(item["type_params"]["time_granularity"].value or "").lower()
        if grain not in GRAINS:
            self.report.not_mapped(item, f"time dimension '{model.name}.{name}' without a "
                                   "valid type_params.time_granularity: not mapped")
            return
        if item["type_params"]["validity_params"].value is not None:
            self.report.not_mapped(item["type_params"]["validity_params"], "validity_params "
                                   f"of '{model.name}.{name}' (a slowly changing dimension): "
                                   "our joins are plain many-to-one")
        try:
            column = self._column(model, name, item["expr"].text(), "time dimension")
        except Unsupported as err:
            self.report.not_mapped(item, f"time dimension '{model.name}.{name}': {err}")
            return
        model.columns[name] = column
        model.dim_sql[name] = exp.column(column)
        self.report.mapped_as(item, f"time dimension '{model.name}.{name}'",
                              f"time column '{column}' of source '{model.name}'")

    def _dimension(self, model: Model, name: str, item: Node) -> None:
        what = f"dimension '{model.name}.{name}'"
        self.report.unknown_keys(item, DIMENSION_KEYS, what)
        self._documentation(item, what)
        if str(item["type"].value or "").lower() != "categorical":
            self.report.not_mapped(item["type"], f"{what} of type {item['type'].value!r}: "
                                   "expected categorical or time")
            return
        text = item["expr"].text() or name
        try:
            model.dim_sql[name] = parse_sql(text, f"the expr of {what}")
        except Unsupported as err:
            self.report.not_mapped(item, str(err))
            return
        model.written.setdefault("dimensions", {})[name] = text
        self.report.mapped_as(item, what, f"dimension '{name}' of source '{model.name}'")

    def _entity_column(self, model: Model, name: str, item: Node) -> None:
        what = f"entity '{name}' of semantic model '{model.name}'"
        self.report.unknown_keys(item, ENTITY_KEYS, what)
        self._documentation(item, what)
        kind = str(item["type"].value or "").lower()
        if item["role"].value is not None:
            self.report.not_mapped(item["role"], f"role of {what}: roles have no counterpart")
        if kind == "natural":
            self.report.not_mapped(item, f"natural {what}: joins on validity windows have no "
                                   "counterpart (our joins are many-to-one on keys)")
        elif kind not in ("primary", "unique", "foreign"):
            self.report.not_mapped(item, f"{what} of unknown type {item['type'].value!r}")
        elif kind != "foreign":
            try:
                model.columns[name] = self._column(model, name, item["expr"].text(), "entity")
            except Unsupported as err:
                self.report.not_mapped(item, f"{what}: {err}")
                return
            if kind == "primary":
                model.written["key"] = model.columns[name]
            self.report.mapped_as(item, what, f"key '{model.columns[name]}' of source "
                                  f"'{model.name}'" if kind == "primary" else
                                  f"join target (column '{model.columns[name]}')")

    def _column(self, model: Model, name: str, expr: str | None, what: str) -> str:
        """The column of a time dimension or entity; an expression becomes a computed one."""
        if expr is None or expr == name:
            return name
        tree = parse_sql(expr, f"the expr of {what} '{name}'")
        if isinstance(tree, exp.Column) and not tree.table and _IDENTIFIER.match(tree.name):
            return tree.name
        model.computed[name] = tree
        return name

    def _documentation(self, item: Node, what: str) -> None:
        for key in ("label", "description"):
            if item[key].value is not None:
                self.report.not_mapped(item[key], f"{key} of {what}: our sources do not keep "
                                       f"{key}s of their columns")
        for key in item["config"].keys():
            if key != "meta" or item["config"]["meta"].value:
                self.report.not_mapped(item["config"][key], f"config.{key} of {what}: not "
                                       "mapped")
        if item["is_partition"].value:
            self.report.note(item["is_partition"], f"is_partition of {what}: a hint for "
                             "MetricFlow's SQL, not needed here")

    def _source(self, model: Model) -> dict[str, Any]:
        node, out = model.node, {"name": model.name}
        description = node["description"].text()
        if description:
            out["description"] = description.strip()
        if node["label"].value is not None:
            self.report.not_mapped(node["label"], f"label of semantic model '{model.name}': "
                                   "our sources have a description, not a label")
        for key in node["config"].keys():
            if key != "enabled":
                self.report.not_mapped(node["config"][key], f"config.{key} of semantic model "
                                       f"'{model.name}': not mapped")
        out.update(self._relation(model))
        default = node["defaults"]["agg_time_dimension"].value
        self.report.unknown_keys(node["defaults"], {"agg_time_dimension"},
                                 f"defaults of semantic model '{model.name}'")
        if isinstance(default, str):
            if default in model.columns and default in model.times:
                model.default_time = default
                out["time"] = model.columns[default]
                grain = self._grain(model, default)
                if grain:
                    out["grain"] = grain
            else:
                self.report.not_mapped(node["defaults"]["agg_time_dimension"], "defaults."
                                       f"agg_time_dimension '{default}' of '{model.name}' is "
                                       "not one of its time dimensions")
        for key in ("key", "dimensions"):
            if key in model.written:
                out[key] = model.written[key]
        joins = self._joins(model)
        if joins:
            out["joins"] = joins
        return out

    def _relation(self, model: Model) -> dict[str, str]:
        ref = model.node["model"]
        name = ref_name(ref.text() or "") if ref.value is not None else None
        if name is None:
            self.report.not_mapped(ref, f"semantic model '{model.name}': 'model' must be "
                                   f"ref('<model>'), not {ref.value!r}; the source reads the "
                                   f"table '{model.name}'")
            relation = Relation(table=model.name)
        else:
            relation = self.relations.model(name, ref)
        if relation.table is None and relation.sql is None:
            self.report.not_mapped(ref, f"semantic model '{model.name}' reads nothing that "
                                   "could be mapped (see the lines above): no source for it")
            model.broken = True
            return {}
        if model.computed:
            base = (exp.to_table(relation.table, dialect=DIALECT) if relation.table else
                    sqlglot.parse_one(relation.sql or "", read=DIALECT).subquery("t"))
            extra = [tree.as_(column) for column, tree in model.computed.items()]
            query = exp.select(exp.Star(), *extra).from_(base)
            relation = Relation(sql=query.sql(dialect=DIALECT, pretty=True),
                                folders=relation.folders)
        model.written["folders"] = relation.folders
        return {"table": relation.table} if relation.table else {"sql": relation.sql or ""}

    def _joins(self, model: Model) -> list[dict[str, str]]:
        joins: list[dict[str, str]] = []
        for name, item in model.entities.items():
            if str(item["type"].value or "").lower() != "foreign":
                continue
            what = f"foreign entity '{name}' of semantic model '{model.name}'"
            target = self.owners.get(name)
            if target is None or target is model or name not in target.columns:
                self.report.not_mapped(item, f"{what}: no other semantic model has '{name}' "
                                       "as its primary or unique entity, so there is nothing "
                                       "to join to")
                continue
            try:
                local = parse_sql(item["expr"].text() or name, f"the expr of {what}")
            except Unsupported as err:
                self.report.not_mapped(item, str(err))
                continue
            alias = target.name
            join: dict[str, str] = {"to": target.name}
            if any(j["to"] == target.name for j in joins):
                alias = join["name"] = f"{target.name}_{name}"
            condition = exp.EQ(this=local, expression=exp.column(target.columns[name], alias))
            join["on"] = condition.sql(dialect=DIALECT)
            joins.append(join)
            model.joins[name] = alias
            self.report.mapped_as(item, what, f"join of source '{model.name}' to "
                                  f"'{target.name}' on {join['on']}")
        return joins

    def _grain(self, model: Model, time_dim: str) -> str | None:
        grain = str(model.times[time_dim]["type_params"]["time_granularity"].value).lower()
        return grain if grain in OUR_GRAINS and grain != "day" else None

    # ----------------------------------------------------------------- measures
    def measure(self, name: str) -> Measure:
        """The measure ``name``; raises Unsupported (and reports it once) when unmappable."""
        if name not in self._built:
            try:
                self._built[name] = self._measure(name)
            except Unsupported as err:
                self._built[name] = err
                if name in self._measures:
                    self.report.not_mapped(self._measures[name][0], f"measure '{name}': {err}")
        built = self._built[name]
        if isinstance(built, Unsupported):
            raise Unsupported(f"its measure '{name}' is not mapped ({built})")
        return built

    def measure_node(self, name: str) -> Node | None:
        found = self._measures.get(name)
        return found[0] if found else None

    def all_measures(self) -> list[str]:
        return list(self._measures)

    def _measure(self, name: str) -> Measure:
        if name not in self._measures:
            raise Unsupported(f"no semantic model has a measure '{name}'")
        node, model = self._measures[name]
        self.report.unknown_keys(node, MEASURE_KEYS, f"measure '{name}'")
        for key in node["config"].keys():
            if key != "meta" or node["config"]["meta"].value:
                self.report.not_mapped(node["config"][key], f"config.{key} of measure "
                                       f"'{name}': not mapped")
        if model.broken:
            raise Unsupported(f"its semantic model '{model.name}' is not mapped")
        agg = str(node["agg"].value or "").lower()
        expr = node["expr"].text() or name
        column = parse_sql(expr, f"the expr of measure '{name}'")
        aggregate = self._aggregate(node, agg, column.sql(dialect=DIALECT))
        time_dim = node["agg_time_dimension"].value or model.default_time
        if not isinstance(time_dim, str) or time_dim not in model.columns \
                or time_dim not in model.times:
            raise Unsupported(f"its agg_time_dimension {time_dim!r} is not a mapped time "
                              f"dimension of '{model.name}'")
        measure = Measure(node, model, agg, aggregate, time_dim, model.columns[time_dim],
                          self._grain(model, time_dim))
        measure.snapshot = self._non_additive(node, measure)
        return measure

    def _aggregate(self, node: Node, agg: str, expr: str) -> str:
        params = node["agg_params"]
        self.report.unknown_keys(params, {"percentile", "use_discrete_percentile",
                                          "use_approximate_percentile"},
                                 f"agg_params of measure '{node.name}'")
        if agg in _AGGREGATES:
            if params.value:
                self.report.not_mapped(params, f"agg_params of measure '{node.name}': only "
                                       "percentile measures take them")
            return _AGGREGATES[agg].format(expr)
        if agg != "percentile":
            raise Unsupported(f"unknown agg {node['agg'].value!r}")
        share = params["percentile"].value
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
            raise Unsupported("a percentile measure needs agg_params.percentile between 0 "
                              "and 1")
        if params["use_approximate_percentile"].value:
            self.report.note(params["use_approximate_percentile"], f"measure '{node.name}': "
                             "computed exactly, not approximated")
        function = "quantile_disc" if params["use_discrete_percentile"].value else \
            "quantile_cont"
        return f"{function}({expr}, {share})"

    def _non_additive(self, node: Node, measure: Measure) -> bool:
        spec = node["non_additive_dimension"]
        if spec.value is None:
            return False
        self.report.unknown_keys(spec, {"name", "window_choice", "window_groupings"},
                                 f"non_additive_dimension of measure '{node.name}'")
        choice = str(spec["window_choice"].value or "min").lower()
        if spec["name"].value != measure.time_dim or choice != "max" \
                or spec["window_groupings"].value:
            raise Unsupported("non_additive_dimension maps to 'snapshot: last' only on the "
                              "measure's own agg_time_dimension with window_choice: max and "
                              "no window_groupings")
        if measure.agg not in ("sum", "count", "count_distinct", "sum_boolean"):
            raise Unsupported("a snapshot of a non-additive aggregate")
        return True

    # ----------------------------------------------------------------- filters
    def resolver(self, model: Model, time_column: str) -> ModelResolver:
        return ModelResolver(self, model, time_column)
