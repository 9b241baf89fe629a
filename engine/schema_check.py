"""`metrics validate --against TARGET`: do the tables and columns the definitions use exist in
the warehouse, with types that fit?

The engine never talks to a warehouse: :func:`relations` says what to describe (one relation
per source, in the target's dialect), the caller describes each one through an adapter, and
:func:`check` compares the definitions with that plain ``{source: {column: type}}`` schema.
Every problem is a :class:`Diagnostic` at the definition's file:line:col:

- ``missing-table``: the source's table (or query) cannot be read;
- ``unknown-column``: a column used by a key, time, dimension, join, measure or filter;
- ``column-type``: ``sum``/``avg`` over a column that is not a number, a time column that is
  not a date or timestamp, a bare-column filter that is not a boolean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterator

from sqlglot import exp

from .catalog import Catalog, ResolvedMetric, Side
from .diagnostics import Diagnostic, Span, did_you_mean, one_of
from .dialects import to_sql
from .model import NO_TIME

Schema = dict[str, "dict[str, str] | str"]  # source -> {column: type}, or why it is missing
NUMERIC_AGGREGATES = (exp.Sum, exp.Avg, exp.Stddev, exp.StddevPop, exp.StddevSamp,
                      exp.Variance, exp.VariancePop)
_KINDS = (
    ("boolean", r"^bool"),
    ("time", r"^(date|time|datetime|smalldatetime)"),
    ("number", r"^(u?(tiny|small|big|huge|medium)?int|integer|serial|float|double|real|"
               r"decimal|numeric|number|money|long|short|byte)"),
    ("text", r"^(text|(n|national )?(var)?char|character|string|bpchar|name|citext|"
             r"large_string|utf8|clob|uuid|enum)"),
)


def kind_of(type_name: str) -> str:
    """A warehouse type as one of: number, text, boolean, time, other."""
    name = type_name.strip().strip('"').lower()
    for kind, pattern in _KINDS:
        if re.match(pattern, name):
            return kind
    return "other"


@dataclass(frozen=True)
class Use:
    """One column a definition reads: where it is written and what it must be."""

    source: str
    column: str
    span: Span
    role: str  # "time", "filter", a function name ("sum"), or "" for any type
    text: str = ""


def relations(catalog: Catalog, dialect: str) -> dict[str, str]:
    """What to describe per source: a table name, or a parenthesised query."""
    out = {}
    for name, src in catalog.sources.items():
        if src.relation is None or src.model.path:
            continue
        if isinstance(src.relation, exp.Subquery):
            out[name] = f"({to_sql(src.relation.this, dialect)})"
        else:
            out[name] = to_sql(src.relation, dialect)
    return out


def check(catalog: Catalog, schema: Schema, target: str) -> list[Diagnostic]:
    """Every problem between the definitions and the warehouse's schema."""
    out = [_missing_table(catalog, name, why, target)
           for name, why in schema.items() if isinstance(why, str)]
    seen: set[tuple] = set()
    for use in uses(catalog):
        columns = schema.get(use.source)
        if not isinstance(columns, dict):
            continue
        problem = _problem(use, columns, target)
        key = (use.span, use.column, use.role)
        if problem and key not in seen:
            seen.add(key)
            out.append(problem)
    return sorted(out, key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else
                  ("", 0, 0))


def uses(catalog: Catalog) -> Iterator[Use]:
    """Every column every source and metric reads, attributed to the source it belongs to."""
    for name, src in catalog.sources.items():
        spans = src.model.spans
        for key in src.model.keys:
            yield Use(name, key, spans.value(("key",)), "")
        if src.model.time and src.model.time != NO_TIME:
            yield Use(name, src.model.time, spans.value(("time",)), "time")
        for dim, tree in src.dimensions.items():
            yield from _columns(catalog, name, tree, spans.value(("dimensions", dim)), "")
        for i, join in enumerate(src.model.joins):
            if join.alias in src.joins:
                yield from _columns(catalog, name, src.joins[join.alias],
                                    spans.value(("joins", i, "on")), "")
    for metric in catalog.metrics.values():
        for side in metric.sides():
            yield from _side_uses(catalog, metric, side)


def _side_uses(catalog: Catalog, metric: ResolvedMetric, side: Side) -> Iterator[Use]:
    if not side.source or side.expr is None:
        return
    if side.time and side.time != NO_TIME:
        yield Use(side.source, side.time, _time_span(catalog, metric, side), "time")
    yield from _columns(catalog, side.source, side.expr, side.span, "")
    for tree, span in zip(side.filters, side.filter_spans):
        if isinstance(tree, exp.Column):
            yield from _columns(catalog, side.source, tree, span, "filter")
        else:
            yield from _columns(catalog, side.source, tree, span, "")


def _time_span(catalog: Catalog, metric: ResolvedMetric, side: Side) -> Span:
    model, spans = metric.model, metric.model.spans
    for loc in (("time",), ("conversion", "start"), ("balance", "opens"),
                ("balance", "closes")):
        if loc in spans.values and _field(model, loc) == side.time:
            return spans.values[loc]
    src = catalog.sources[side.source].model  # type: ignore[index]
    return src.spans.value(("time",)) if src.time == side.time else side.span


def _field(model: object, loc: tuple[str, ...]) -> object:
    for part in loc:
        model = getattr(model, part, None)
    return model


def _columns(catalog: Catalog, source: str, tree: exp.Expression, span: Span,
             role: str) -> Iterator[Use]:
    joins = {j.alias: j.to for j in catalog.sources[source].model.joins}
    for col in tree.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            continue
        owner = source if col.table in ("", source) else joins.get(col.table)
        if owner is None or owner not in catalog.sources:
            continue
        agg = col.find_ancestor(exp.AggFunc)
        need = role
        if isinstance(agg, NUMERIC_AGGREGATES) and _argument(agg) is col:
            need = agg.key
        yield Use(owner, col.name, span, need, tree.sql())


def _argument(agg: exp.Expression) -> exp.Expression | None:
    """The column an aggregate reads directly: sum(x), sum(DISTINCT x), sum(CASE..THEN x)."""
    arg = agg.this
    if isinstance(arg, exp.Distinct):
        arg = arg.expressions[0] if arg.expressions else None
    if isinstance(arg, exp.Case) and len(arg.args.get("ifs") or []) == 1:
        arg = arg.args["ifs"][0].args.get("true")
    return arg


def _problem(use: Use, columns: dict[str, str], target: str) -> Diagnostic | None:
    found = _lookup(columns, use.column)
    if found is None:
        return Diagnostic("unknown-column", f"column '{use.column}' does not exist in "
                          f"source '{use.source}' on {target}", use.span,
                          did_you_mean(use.column, columns) or one_of(columns))
    name, type_name = found
    kind = kind_of(type_name)
    if kind == "other":
        return None
    if use.role == "time" and kind != "time":
        return Diagnostic("column-type", f"time column '{name}' of source '{use.source}' is "
                          f"{type_name} on {target}, not a date or timestamp", use.span,
                          "use a date or timestamp column, or cast it in the source's 'sql:'")
    if use.role == "filter" and kind != "boolean":
        return Diagnostic("column-type", f"filter '{name}' is a {type_name} column on "
                          f"{target}, not true or false", use.span,
                          f"compare it, e.g. \"{name} = 'yes'\" or \"{name} is not null\"")
    if use.role not in ("", "time", "filter") and kind != "number":
        return Diagnostic("column-type", f"{use.role}({name}) over a {type_name} column "
                          f"on {target}; {use.role} needs numbers", use.span,
                          f"use count(...) or a numeric column, or cast: "
                          f"{use.role}(cast({name} as double))")
    return None


def _lookup(columns: dict[str, str], name: str) -> tuple[str, str] | None:
    if name in columns:
        return name, columns[name]
    folded = {k.lower(): k for k in columns}
    key = folded.get(name.lower())
    return (key, columns[key]) if key else None


def _missing_table(catalog: Catalog, source: str, why: str, target: str) -> Diagnostic:
    model = catalog.sources[source].model
    where = "table" if model.table else "sql"
    what = f"table '{model.table}'" if model.table else "the query"
    return Diagnostic("missing-table", f"{what} of source '{source}' cannot be read on "
                      f"{target}: {why}", model.spans.value((where,)),
                      "create or seed it (metrics seed), or fix the name")
