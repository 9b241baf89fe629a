"""MetricFlow metrics -> our metrics, one kind at a time.

- simple: the measure's aggregate on its source and agg time column, with the metric's
  filters (and the measure input's); MetricFlow shows a period without rows as empty, so a
  count or sum gets ``fill: empty`` (``fill_nulls_with: 0`` is ``fill: zero``).
- ratio: numerator over denominator, each ``{metric: name}``; an input with its own filter
  (or a ratio with a filter) is written out as the simple metric's aggregate with the extra
  filters.
- derived: a ``formula`` over the inputs; an input with an offset of one period is a
  comparison metric (``compare: previous_period, change: previous``), one with a filter a
  filtered copy of a simple metric: helper metrics named ``<metric>_<alias>``.
- cumulative: all-time (no window) is a balance (``balance: {opens: <time>}``); a
  ``grain_to_date`` is ``to_date``, a ``window`` of N periods is ``trailing: N``, over a
  helper simple metric. Only ``period_agg: last`` means the same as ours (our windows end
  with the period).
- conversion: within one semantic model whose rows carry both times (base and conversion
  agg time dimensions) for its primary entity: our conversion form.

What cannot be said the same way raises :class:`Refused` with the node to report at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from .mf_dbt import Unsupported
from .mf_filters import parse_sql, translate
from .mf_nodes import Node, Report
from .mf_sources import OUR_GRAINS, Layer, Measure

METRIC_KEYS = {"name", "label", "type", "type_params", "description", "filter",
               "time_granularity", "meta", "tags", "config"}
INPUT_MEASURE_KEYS = {"name", "filter", "alias", "join_to_timespine", "fill_nulls_with"}
INPUT_METRIC_KEYS = {"name", "filter", "alias", "offset_window", "offset_to_grain"}
_TYPE_PARAMS = {"simple": {"measure"}, "ratio": {"numerator", "denominator"},
                "derived": {"expr", "metrics"},
                "cumulative": {"measure", "window", "grain_to_date", "cumulative_type_params"},
                "conversion": {"conversion_type_params"}}
_ADDITIVE = ("sum", "count", "count_distinct", "sum_boolean")
_WINDOW = re.compile(r"^\s*(\d+)\s+([a-z_]+?)s?\s*$", re.IGNORECASE)
_RANK = {g: i for i, g in enumerate(OUR_GRAINS)}
MOST_NAME = 128


class Refused(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


@dataclass
class Built:
    name: str
    kind: str
    grain: str | None = None
    simple: dict[str, Any] | None = None  # a simple metric's fields, for filtered copies
    measure: Measure | None = None
    measures: set[str] = field(default_factory=set)


class Metrics:
    def __init__(self, layer: Layer, report: Report, nodes: dict[str, Node]) -> None:
        self.layer, self.report, self.nodes = layer, report, nodes
        self.written: list[dict[str, Any]] = []
        self.built: dict[str, Built | Refused] = {}
        self._busy: list[str] = []
        self._pending: list[dict[str, Any]] = []  # the metric being built, and its helpers
        self.origins: dict[str, Node] = {}  # each written metric -> the metric it comes from

    def _emit(self, metric: dict[str, Any]) -> None:
        self._pending.append(metric)

    def build_all(self) -> None:
        for name in list(self.nodes):
            self.try_build(name, self.nodes[name])

    def try_build(self, name: str, via: Node) -> None:
        try:
            self.build(name, via)
        except Refused:  # reported by build
            pass

    def build(self, name: str, via: Node) -> Built:
        """Our metric for MetricFlow's ``name``; raises Refused (reported once)."""
        if name not in self.built:
            if name in self._busy:
                raise Refused(via, f"metrics refer to each other in a loop: "
                              f"{' -> '.join(self._busy + [name])}")
            node = self.nodes.get(name)
            if node is None:
                raise Refused(via, f"there is no metric '{name}'")
            self._busy.append(name)
            try:
                self.built[name] = self._metric(name, node)
            except Refused as err:
                self.built[name] = err
                self.report.not_mapped(err.node, f"metric '{name}': {err}")
            finally:
                self._busy.pop()
        built = self.built[name]
        if isinstance(built, Refused):
            raise Refused(via, f"it uses metric '{name}', which is not mapped")
        return built

    # ----------------------------------------------------------------- the kinds
    def _metric(self, name: str, node: Node) -> Built:
        self.report.unknown_keys(node, METRIC_KEYS, f"metric '{name}'")
        if len(name) > MOST_NAME:
            raise Refused(node["name"], f"a name longer than {MOST_NAME} characters")
        kind = str(node["type"].value or "").lower()
        if kind not in _TYPE_PARAMS:
            raise Refused(node["type"], f"unknown metric type {node['type'].value!r} "
                          "(expected simple, ratio, derived, cumulative or conversion)")
        params = node["type_params"]
        if not isinstance(params.value, dict):
            raise Refused(node, f"a {kind} metric needs type_params")
        self.report.unknown_keys(params, _TYPE_PARAMS[kind], f"type_params of {kind} metric "
                                 f"'{name}'")
        outer, self._pending = self._pending, []
        try:
            built = getattr(self, f"_{kind}")(name, node, params)
        except Unsupported as err:
            raise Refused(node, str(err)) from None
        else:
            out = self._pending[-1]
            self._common(node, out, built)
            self.written.extend(self._pending)
            self.origins.update({m["name"]: node for m in self._pending})
        finally:
            self._pending = outer
        self.report.mapped_as(node, f"metric '{name}'", _describe(kind, out))
        return built

    def _simple(self, name: str, node: Node, params: Node) -> Built:
        measure_node = params["measure"]
        measure, filters = self._input_measure(node, measure_node)
        out = self._measured(name, measure, filters, node)
        fill = measure_node["fill_nulls_with"]
        if fill.value is not None:
            if fill.value == 0:
                out["fill"] = "zero"
            else:
                self.report.not_mapped(fill, f"fill_nulls_with: {fill.value!r} of metric "
                                       f"'{name}': our periods without rows show 0 or empty")
        if measure_node["join_to_timespine"].value:
            self.report.note(measure_node["join_to_timespine"], f"metric '{name}': "
                             "join_to_timespine needs nothing here (every period is shown)")
        self._emit(out)
        return Built(name, "simple", measure.grain, dict(out), measure, {measure.node.name})

    def _measured(self, name: str, measure: Measure, filters: list[Node], via: Node
                  ) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "source": measure.model.name}
        if measure.time_dim != measure.model.default_time:
            out["time"] = measure.time
        out["numerator"] = measure.aggregate
        translated = self._filters(filters, measure, measure.time)
        if translated:
            out["filters"] = translated
        if measure.agg in _ADDITIVE:
            out["fill"] = "empty"
        if measure.snapshot:
            out["snapshot"] = "last"
        return out

    def _ratio(self, name: str, node: Node, params: Node) -> Built:
        sides, grains, measures = {}, [], set()
        for side in ("numerator", "denominator"):
            given = params[side]
            if given.value is None:
                raise Refused(node, f"a ratio metric needs a {side}")
            built, extra = self._input_metric(given, node, offsets=False)
            grains.append(built.grain)
            measures |= built.measures
            sides[side] = self._side(built, extra, given) if extra else {"metric": built.name}
        self._emit({"name": name, **sides})
        return Built(name, "ratio", _coarsest(grains), measures=measures)

    def _side(self, built: Built, extra: list[Node], via: Node) -> dict[str, Any]:
        if built.simple is None or built.measure is None or built.simple.get("snapshot"):
            raise Refused(via, f"a filter on input '{built.name}', which is not a simple "
                          "metric, cannot be added to it")
        simple = built.simple
        side = {"expr": simple["numerator"], "source": simple["source"]}
        if "time" in simple:
            side["time"] = simple["time"]
        side["filters"] = list(simple.get("filters", [])) + self._filters(
            extra, built.measure, built.measure.time)
        return side

    def _derived(self, name: str, node: Node, params: Node) -> Built:
        expr = params["expr"].text()
        if not expr:
            raise Refused(params, "a derived metric needs an expr")
        names, grains, measures = {}, [], set()
        inputs = list(params["metrics"].items())
        if not inputs:
            raise Refused(params, "a derived metric needs its input metrics")
        for given in inputs:
            built, extra = self._input_metric(given, node, offsets=True)
            alias = given["alias"].value if isinstance(given["alias"].value, str) else None
            target = built.name
            if extra:
                target = self._helper(name, alias or built.name)
                copy = dict(built.simple or {})
                if built.simple is None or built.measure is None:
                    raise Refused(given, f"a filter on input '{built.name}', which is not a "
                                  "simple metric")
                copy.update(name=target, filters=list(copy.get("filters", [])) + self._filters(
                    extra, built.measure, built.measure.time))
                self._emit(copy)
            if given["offset_window"].value is not None or given["offset_to_grain"].value:
                target, grain = self._offset(name, alias or built.name, target, given)
                grains.append(grain)
            names[alias or built.name] = target
            grains.append(built.grain)
            measures |= built.measures
        self._emit({"name": name, "formula": self._formula(expr, names, params)})
        return Built(name, "derived", _coarsest(grains), measures=measures)

    def _offset(self, name: str, alias: str, target: str, given: Node
                ) -> tuple[str, str | None]:
        if given["offset_to_grain"].value:
            raise Refused(given["offset_to_grain"], "offset_to_grain (the value at the start "
                          "of the grain) has no counterpart")
        window = str(given["offset_window"].value)
        count, unit = _window(window)
        if (count, unit) in ((1, "year"), (12, "month"), (4, "quarter")):
            compare, grain = "previous_year", None
        elif count == 1 and unit in OUR_GRAINS:
            compare, grain = "previous_period", unit
        else:
            raise Refused(given["offset_window"], f"offset_window '{window}': only one period "
                          "back (at that grain) or one year back map to a comparison")
        helper = self._helper(name, alias)
        self._emit({"name": helper, "of": target, "compare": compare, "change": "previous",
                    **({"grain": grain} if grain else {})})
        self.report.note(given["offset_window"], f"metric '{name}': offset_window '{window}' "
                         f"is '{helper}' ({compare}), the same as MetricFlow's at grain "
                         f"{grain}; at other grains it compares with the previous period of "
                         "that grain" if compare == "previous_period" else
                         f"metric '{name}': offset_window '{window}' is '{helper}' "
                         "(previous_year: 12 months, 4 quarters, 52 weeks or 364 days back)")
        return helper, grain

    def _formula(self, expr: str, names: dict[str, str], at: Node) -> str:
        try:
            tree = parse_sql(expr, "expr")
        except Unsupported as err:
            raise Refused(at["expr"], str(err)) from None
        unknown = sorted({c.name for c in tree.find_all(exp.Column)} - set(names))
        if unknown:
            raise Refused(at["expr"], f"the expr names {', '.join(unknown)}, which are not "
                          "among its input metrics")

        def rename(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and node.name in names:
                return exp.column(names[node.name])
            return node
        return tree.transform(rename).sql(dialect="duckdb")

    def _cumulative(self, name: str, node: Node, params: Node) -> Built:
        measure, filters = self._input_measure(node, params["measure"])
        nested = params["cumulative_type_params"]
        self.report.unknown_keys(nested, {"window", "grain_to_date", "period_agg"},
                                 f"cumulative_type_params of metric '{name}'")
        window = nested["window"] if nested["window"].value is not None else params["window"]
        to_date = nested["grain_to_date"] if nested["grain_to_date"].value is not None \
            else params["grain_to_date"]
        agg = str(nested["period_agg"].value or "first").lower()
        shape = (f"window '{window.value}'" if window.value is not None else
                 f"grain_to_date '{to_date.value}'" if to_date.value is not None else
                 "no window (all time)")
        if window.value is not None and to_date.value is not None:
            raise Refused(node, "a cumulative metric with both a window and a grain_to_date")
        if agg != "last":
            raise Refused(nested["period_agg"] if nested["period_agg"].value else node,
                          f"cumulative metric with {shape} and period_agg: {agg}: its value "
                          f"is the running total on the {agg} day of each period, and ours "
                          "end with the period (period_agg: last)")
        if measure.snapshot or measure.agg not in ("sum", "count"):
            raise Refused(params["measure"], f"a cumulative {measure.agg} (only sums and "
                          "counts accumulate)")
        measures = {measure.node.name}
        if window.value is None and to_date.value is None:
            out = {"name": name, "source": measure.model.name, "measure": measure.aggregate,
                   "balance": {"opens": measure.time}}
            translated = self._filters(filters, measure, measure.time)
            if translated:
                out["filters"] = translated
            self._emit(out)
            return Built(name, "cumulative", measure.grain, measures=measures)
        base = self._helper(name, measure.node.name)
        helper = self._measured(base, measure, filters, node)
        helper.pop("fill", None)
        self._emit(helper)
        if to_date.value is not None:
            grain = str(to_date.value).lower()
            if grain not in OUR_GRAINS:
                raise Refused(to_date, f"grain_to_date '{to_date.value}' is not one of "
                              f"{', '.join(OUR_GRAINS)}")
            # our to-date totals need a finer grain than their window to be shown at
            finer = "day" if grain in ("day", "week", "month") else None
            if finer:
                self.report.note(to_date, f"metric '{name}': grain_to_date {grain} is shown "
                                 f"at grains finer than {grain} (its default grain is day); "
                                 f"at {grain} MetricFlow's value is the period's total")
            self._emit({"name": name, "of": base, "to_date": grain})
            return Built(name, "cumulative", measure.grain or finer, measures=measures)
        count, unit = _window(str(window.value))
        if unit not in OUR_GRAINS:
            raise Refused(window, f"window '{window.value}': the unit must be one of "
                          f"{', '.join(OUR_GRAINS)}")
        self._emit({"name": name, "of": base, "trailing": count})
        self.report.note(window, f"metric '{name}': window '{window.value}' is trailing: "
                         f"{count} periods, the same as MetricFlow's at grain {unit} only")
        return Built(name, "cumulative", _coarsest([measure.grain, unit]), measures=measures)

    def _conversion(self, name: str, node: Node, params: Node) -> Built:
        spec = params["conversion_type_params"]
        self.report.unknown_keys(spec, {"base_measure", "conversion_measure", "entity",
                                        "calculation", "window", "constant_properties"},
                                 f"conversion_type_params of metric '{name}'")
        base, base_filters = self._input_measure(node, spec["base_measure"])
        end, end_filters = self._input_measure(node, spec["conversion_measure"])
        entity = spec["entity"].value
        model = base.model
        calculation = str(spec["calculation"].value or "conversion_rate").lower()
        if calculation != "conversion_rate":
            raise Refused(spec["calculation"], f"calculation '{calculation}': only "
                          "conversion_rate has a counterpart (a share of the cohort)")
        if spec["constant_properties"].value:
            raise Refused(spec["constant_properties"], "constant_properties have no "
                          "counterpart")
        if end.model is not model or entity not in model.own or entity not in model.columns:
            raise Refused(spec, f"a conversion from '{base.model.name}' to '{end.model.name}' "
                          f"on entity '{entity}': ours follows one row from a start time to "
                          "an end time, so both measures must be in one semantic model whose "
                          f"primary entity is '{entity}'")
        key = model.columns[entity]
        if base_filters or end_filters or node["filter"].value is not None:
            raise Refused(node, "filters on a conversion metric or its measures")
        for measure, allowed in ((base, {key}), (end, {key, end.time})):
            expr = measure.node["expr"].text() or measure.node.name
            if measure.agg not in ("count", "count_distinct") or expr not in allowed:
                raise Refused(measure.node, f"measure '{measure.node.name}' of conversion "
                              f"metric '{name}' must count '{key}' (one row per entity)")
        conversion: dict[str, Any] = {"start": base.time, "end": end.time}
        if spec["window"].value is not None:
            count, unit = _window(str(spec["window"].value))
            days = {"day": 1, "week": 7}.get(unit)
            if days is None:
                raise Refused(spec["window"], f"window '{spec['window'].value}': only days "
                              "and weeks are whole numbers of days")
            conversion["within"] = {"days": count * days, "count": "elapsed"}
        self._emit({"name": name, "source": model.name, "conversion": conversion})
        return Built(name, "conversion", base.grain, measures={base.node.name, end.node.name})

    # ----------------------------------------------------------------- parts
    def _input_measure(self, metric: Node, given: Node) -> tuple[Measure, list[Node]]:
        if isinstance(given.value, dict):
            self.report.unknown_keys(given, INPUT_MEASURE_KEYS, "a measure input")
            name = given["name"].value
        else:
            name = given.value
        if not isinstance(name, str):
            raise Refused(given if given.value is not None else metric, "no measure named")
        try:
            measure = self.layer.measure(name)
        except Unsupported as err:
            raise Refused(given, str(err)) from None
        return measure, _filter_nodes(metric["filter"]) + _filter_nodes(given["filter"])

    def _input_metric(self, given: Node, metric: Node, offsets: bool) -> tuple[Built, list[Node]]:
        if isinstance(given.value, dict):
            self.report.unknown_keys(given, INPUT_METRIC_KEYS, "a metric input")
            name = given["name"].value
            if not offsets and (given["offset_window"].value or given["offset_to_grain"].value):
                raise Refused(given, "an offset on a ratio's input has no counterpart")
        else:
            name = given.value
        if not isinstance(name, str):
            raise Refused(given, "an input metric without a name")
        built = self.build(name, given)
        return built, _filter_nodes(metric["filter"]) + _filter_nodes(given["filter"])

    def _filters(self, nodes: list[Node], measure: Measure, time: str) -> list[str]:
        out = []
        resolver = self.layer.resolver(measure.model, time)
        for node in nodes:
            try:
                out.append(translate(node.value, resolver))
            except Unsupported as err:
                raise Refused(node, f"filter \"{str(node.value)[:120]}\": {err}") from None
        return out

    def _helper(self, metric: str, part: str) -> str:
        name = f"{metric}_{part}"[:MOST_NAME]
        taken = {m["name"] for m in self.written + self._pending} | set(self.nodes)
        while name in taken:
            name += "_"
        return name

    def _common(self, node: Node, out: dict[str, Any], built: Built) -> None:
        label, description = node["label"].text(), node["description"].text()
        fields: dict[str, Any] = {}
        if label:
            fields["label"] = label
        if description:
            fields["description"] = description.strip()
        owner = self._owner(node, out["name"])
        if owner:
            fields["owner"] = owner
        grain = node["time_granularity"].value
        if grain is not None:
            if str(grain).lower() in OUR_GRAINS:
                built.grain = _coarsest([built.grain, str(grain).lower()])
            else:
                self.report.not_mapped(node["time_granularity"], f"time_granularity "
                                       f"'{grain}' of metric '{out['name']}': not one of ours")
        if built.grain and built.grain != "month":
            fields["grain"] = built.grain
        if node["tags"].value:
            self.report.not_mapped(node["tags"], f"tags of metric '{out['name']}': not mapped")
        rest = {k: v for k, v in out.items() if k not in fields and k != "grain"}
        out.clear()
        out.update(name=rest.pop("name"), **fields, **rest)

    def _owner(self, node: Node, name: str) -> str | None:
        owner = None
        config = node["config"]
        for key in config.keys():
            if key not in ("meta", "enabled"):
                self.report.not_mapped(config[key], f"config.{key} of metric '{name}': not "
                                       "mapped")
        for meta in (node["meta"], config["meta"]):
            for key in meta.keys():
                if key == "owner" and isinstance(meta[key].value, str):
                    owner = meta[key].value
                else:
                    self.report.not_mapped(meta[key], f"meta.{key} of metric '{name}': only "
                                           "meta.owner has a counterpart (owner)")
        return owner


def _filter_nodes(node: Node) -> list[Node]:
    if node.value is None:
        return []
    if isinstance(node.value, str):
        return [node]
    items = list(node.items())
    bad = [i for i in items if not isinstance(i.value, str)] or ([] if items else [node])
    if bad:
        raise Refused(bad[0], "a filter must be a string or a list of strings")
    return items


def _window(text: str) -> tuple[int, str]:
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) < 1:
        raise Unsupported(f"'{text}' is not a window like '7 days' or '1 month'")
    return int(match.group(1)), match.group(2).lower()


def _coarsest(grains: list[str | None]) -> str | None:
    known = [g for g in grains if g in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


def _describe(kind: str, out: dict[str, Any]) -> str:
    shown = {k: v for k, v in out.items() if k not in ("name", "label", "description",
                                                        "owner")}
    parts = [f"{k}: {v}" for k, v in shown.items()]
    return f"{kind} -> {out['name']} ({'; '.join(parts)})"
