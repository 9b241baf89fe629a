"""MetricFlow filters -> our SQL filters.

A MetricFlow filter is SQL with Jinja templates in it: ``{{ Dimension('opportunity__stage')
}} = 'won'``, ``{{ TimeDimension('metric_time', 'day') }} >= '2024-01-01'``, ``{{
Entity('account') }} is not null``. Each template is parsed with Python's ``ast`` (never
evaluated) into a :class:`Ref`; the resolver turns it into a sqlglot expression over the
source's columns (or a joined source's, qualified by the join). The SQL around the
templates is parsed with sqlglot, with a placeholder column for each template, and the
placeholders are replaced in the tree: the output is one SQL expression, rendered once.

:class:`ModelResolver` resolves in the metric's semantic model: ``Dimension('e__d')`` is
``d`` of that model when ``e`` is its own (primary, unique or ``primary_entity``) entity,
else ``d`` of the model where the foreign entity ``e`` is primary, through our join
(``reps.region``); a time dimension is ``DATE_TRUNC(grain, column)`` (its own granularity
unless a grain is given), ``metric_time`` the metric's time column; ``Entity('e')`` is the
entity's expression. Multi-hop paths (``entity_path``, ``a__b__d``) and ``Metric()`` filters
are not mapped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .mf_dbt import Unsupported

DIALECT = "duckdb"
GRAINS = ("nanosecond", "microsecond", "millisecond", "second", "minute", "hour", "day",
          "week", "month", "quarter", "year")
_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}|\{#(.*?)#\}", re.DOTALL)
_FUNCTIONS = ("Dimension", "TimeDimension", "Entity", "Metric")
_PLACEHOLDER = "__mf_template_{}__"


@dataclass
class Ref:
    """One template: its function, the name it refers to, and the options it was given."""

    function: str
    name: str
    grain: str | None = None
    options: dict[str, object] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return f"{self.function}('{self.name}')"


class Resolver(Protocol):
    def resolve(self, ref: Ref) -> exp.Expression:
        """The expression a template stands for; raises Unsupported when there is none."""


def translate(text: str, resolver: Resolver) -> str:
    """Our SQL for one MetricFlow filter; raises :class:`Unsupported` saying why not."""
    pieces, replacements, last = [], {}, 0
    for i, match in enumerate(_TAG.finditer(text)):
        pieces.append(text[last:match.start()])
        last = match.end()
        if match.group(1) is None:
            raise Unsupported("Jinja statements and comments ({% %}, {# #}) are not "
                              "MetricFlow filter templates")
        ref = parse_template(match.group(1))
        replacements[_PLACEHOLDER.format(i)] = resolver.resolve(ref)
        pieces.append(_PLACEHOLDER.format(i))
    pieces.append(text[last:])
    sql = "".join(pieces)
    if "{{" in sql or "}}" in sql:
        raise Unsupported("an unclosed '{{' template")
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except (ParseError, TokenError) as err:
        raise Unsupported(f"the SQL around the templates does not parse: "
                          f"{str(err).splitlines()[0][:120]}") from None
    if tree is None or isinstance(tree, exp.Query):
        raise Unsupported("a filter must be a condition, not a query")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in replacements:
            return replacements[node.name].copy()
        return node
    return tree.transform(swap).sql(dialect=DIALECT)


def parse_template(inner: str) -> Ref:
    """``Dimension('a__b').grain('month')`` -> Ref; only literal arguments are accepted."""
    text = inner.strip()
    if len(text) > 1_000:
        raise Unsupported("a template longer than 1,000 characters")
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        raise Unsupported(f"'{{{{ {text[:60]} }}}}' is not a MetricFlow template") from None
    chained: list[tuple[str, list, dict]] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chained.append((node.func.attr, *_arguments(node)))
        node = node.func.value
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise Unsupported(f"'{{{{ {text[:60]} }}}}' is not a call of "
                          f"{', '.join(_FUNCTIONS)}")
    function = node.func.id
    if function not in _FUNCTIONS:
        raise Unsupported(f"unknown template function '{function}' (MetricFlow filters use "
                          f"{', '.join(_FUNCTIONS)})")
    args, kwargs = _arguments(node)
    if not args or not isinstance(args[0], str):
        raise Unsupported(f"{function}() needs a name as its first argument")
    ref = Ref(function, args[0], options=dict(kwargs))
    if function == "TimeDimension":
        grain = args[1] if len(args) > 1 else kwargs.pop("time_granularity_name", None)
        ref.grain = grain
        ref.options.pop("time_granularity_name", None)
    for method, margs, _ in reversed(chained):
        if method == "grain" and margs and isinstance(margs[0], str):
            ref.grain = margs[0]
        else:
            ref.options[method] = margs[0] if margs else True
    if ref.grain is not None and str(ref.grain).lower() not in GRAINS:
        raise Unsupported(f"{ref.shown}: unknown time grain '{ref.grain}'")
    ref.grain = str(ref.grain).lower() if ref.grain is not None else None
    return ref


def _arguments(call: ast.Call) -> tuple[list, dict]:
    def literal(node: ast.AST) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [literal(e) for e in node.elts]
        raise Unsupported("template arguments must be literals")
    return ([literal(a) for a in call.args],
            {k.arg: literal(k.value) for k in call.keywords if k.arg})


def truncated(column: exp.Expression, grain: str) -> exp.Expression:
    """What MetricFlow compares for a time dimension at a grain: DATE_TRUNC(grain, col)."""
    return exp.func("date_trunc", exp.Literal.string(grain), column, dialect=DIALECT)


def parse_sql(text: str, what: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
    except (ParseError, TokenError) as err:
        raise Unsupported(f"{what} '{text[:80]}' does not parse as SQL: "
                          f"{str(err).splitlines()[0][:120]}") from None
    if tree is None or isinstance(tree, exp.Query):
        raise Unsupported(f"{what} '{text[:80]}' is not an expression")
    return tree


def qualified(tree: exp.Expression, alias: str) -> exp.Expression:
    """Columns of a joined source, as the join names them (``reps.region``)."""
    def add(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(node.name, table=alias, quoted=node.this.quoted or None)
        return node
    return tree.copy().transform(add)


@dataclass
class ModelResolver:
    """Templates resolved in one semantic model: its dimensions, and through its joins."""

    layer: Any  # mf_sources.Layer (which imports this module)
    model: Any  # mf_sources.Model
    time_column: str

    def resolve(self, ref: Ref) -> exp.Expression:
        if ref.function == "Metric":
            raise Unsupported(f"{ref.shown}: a metric used in a filter has no counterpart")
        extra = {k: v for k, v in ref.options.items() if k not in ("descending",)}
        if extra.get("entity_path"):
            raise Unsupported(f"{ref.shown} with entity_path (a dimension reached through "
                              "more than one join)")
        extra.pop("entity_path", None)
        if extra:
            raise Unsupported(f"{ref.shown} with {', '.join(extra)}: not mapped")
        parts = ref.name.split("__")
        if ref.function == "Entity":
            if len(parts) != 1:
                raise Unsupported(f"{ref.shown}: an entity reached through another entity")
            return self._entity(ref.name)
        if parts[-1] in GRAINS and len(parts) > 1:
            ref.grain, parts = ref.grain or parts[-1], parts[:-1]
        if parts == ["metric_time"]:
            return truncated(exp.column(self.time_column), ref.grain or "day")
        if len(parts) != 2:
            raise Unsupported(f"{ref.shown}: expected 'entity__dimension'")
        return self._dimension(ref, *parts)

    def _entity(self, name: str) -> exp.Expression:
        item = self.model.entities.get(name)
        if item is None:
            raise Unsupported(f"Entity('{name}'): semantic model '{self.model.name}' has no "
                              f"entity '{name}'")
        return parse_sql(item["expr"].text() or name, f"the expr of entity '{name}'")

    def _dimension(self, ref: Ref, entity: str, name: str) -> exp.Expression:
        model, alias = self.model, None
        if entity not in model.own or (name not in model.dim_sql and entity in model.joins):
            if entity not in model.joins:
                raise Unsupported(f"{ref.shown}: semantic model '{model.name}' has no entity "
                                  f"'{entity}' that reaches a dimension '{name}'")
            alias = model.joins[entity]
            model = self.layer.owners[entity]
        if name not in model.dim_sql:
            raise Unsupported(f"{ref.shown}: semantic model '{model.name}' has no mapped "
                              f"dimension '{name}'")
        tree = model.dim_sql[name]
        tree = qualified(tree, alias) if alias else tree.copy()
        if name in model.times:
            declared = str(model.times[name]["type_params"]["time_granularity"].value).lower()
            return truncated(tree, ref.grain or declared)
        if ref.grain:
            raise Unsupported(f"{ref.shown}: a time grain on a categorical dimension")
        return tree
