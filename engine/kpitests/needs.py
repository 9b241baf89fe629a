"""What a KPI test must give: the sources and columns a request reads, and the tables
each source reads, so a test that forgets one is told so before anything runs."""

from __future__ import annotations

from typing import TYPE_CHECKING
from collections.abc import Iterable, Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .. import sql
from ..model import NO_TIME, EntityMetric

if TYPE_CHECKING:
    from ..catalog import Catalog, Dimension, ResolvedSource


def source_tables(catalog: Catalog) -> dict[str, set[str]]:
    """Each table name (lower case) a source reads, with the sources reading it: a source's
    ``table:``, and every table in a ``sql:`` source's query."""
    out: dict[str, set[str]] = {}
    for name, src in catalog.sources.items():
        for table in [src.model.table] if src.model.table else tables_read(src):
            out.setdefault(table.lower(), set()).add(name)
    return out


def tables_read(src: ResolvedSource) -> list[str]:
    """The tables a ``sql:`` source's query reads (not its CTEs), as written."""
    if not isinstance(src.relation, exp.Subquery):
        return []
    ctes = {c.alias_or_name for c in src.relation.find_all(exp.CTE)}
    return sorted({_unaliased(t).sql(dialect="duckdb") for t in src.relation.find_all(exp.Table)
                   if t.name and t.name not in ctes})


def _unaliased(table: exp.Table) -> exp.Table:
    """The table as named, without the alias the query gives it (``deal_touches AS d``)."""
    table = table.copy()
    table.set("alias", None)
    return table


def needs(catalog: Catalog, metrics: Iterable[str], by: Iterable[str],
          where: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """The columns each source must have for a request: ``{source: {column: metric}}``,
    naming the first metric that reads each."""
    out: dict[str, dict[str, str]] = {}
    dims = list(by) + _where_dimensions(catalog, where)
    for root in metrics:
        for name, extra in _closure(catalog, root):
            for source, column in _columns(catalog, name, dims + extra):
                out.setdefault(source, {}).setdefault(column, root)
    return out


def _closure(catalog: Catalog, root: str) -> Iterator[tuple[str, list[str]]]:
    """A metric and every metric it is computed from, with the entity dimensions each is
    grouped by on the way."""
    stack, seen = [(root, [])], set()
    while stack:
        name, extra = stack.pop()
        metric = catalog.metrics.get(name)
        if metric is None or name in seen:
            continue
        seen.add(name)
        yield name, extra
        inner = extra + [metric.model.entity] if isinstance(metric.model, EntityMetric) \
            else extra
        stack.extend((ref, inner) for ref in metric.references())


def _columns(catalog: Catalog, name: str, dims: list[str]) -> Iterator[tuple[str, str]]:
    metric = catalog.metrics[name]
    for side in metric.sides():
        if side.metric or not side.source or side.expr is None:
            continue
        joins = {j.alias: j.to for j in catalog.sources[side.source].model.joins}
        aliases = {side.source: side.source, "": side.source, **joins}
        if side.time and side.time != NO_TIME:  # `time: none`: rows without a time column
            yield side.source, side.time
        for tree in (side.expr, *side.filters):
            yield from _named(tree, aliases)
        for dim in dims:
            found = catalog.dimension(side.source, dim)
            if found is not None:
                yield from _dimension(side.source, found)


def _dimension(source: str, dim: Dimension) -> Iterator[tuple[str, str]]:
    aliases = {source: source, "": source, **{s.alias: s.target for s in dim.path}}
    yield from _named(dim.expr, aliases)
    for step in dim.path:
        yield from _named(step.on, aliases)


def _named(tree: exp.Expression, aliases: dict[str, str]) -> Iterator[tuple[str, str]]:
    for col in tree.find_all(exp.Column):
        if isinstance(col.this, exp.Star) or not col.name:
            continue
        owner = aliases.get(col.table)
        if owner is not None:
            yield owner, col.name


def _where_dimensions(catalog: Catalog, where: Iterable[str]) -> list[str]:
    names = []
    for text in where:
        if sql.depth_problem(text, catalog.dialect, catalog.project.limits.expression_depth):
            continue  # compiling the test reports it
        try:
            tree = sqlglot.parse_one(text, read=catalog.dialect)
        except (ParseError, TokenError, RecursionError, *sql.PARSER_SLIPS):
            continue  # compiling the test reports it
        names += [".".join(p.name for p in col.parts) for col in tree.find_all(exp.Column)]
    return names
