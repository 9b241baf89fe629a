"""What the loader read, resolved into a :class:`~.catalog.Catalog`.

Every fragment that does not parse and every name that points nowhere is reported; nothing
stops at the first problem.

**Sources that build on sources.** In a ``sql:`` source's query, a table name that is the
name of another source of the project (unqualified, and not the name of one of the query's
CTEs) reads that source: the resolver puts the source's relation in its place (its table,
its file reader for a ``path:`` source, its query as a subquery for a ``sql:`` source, built
on sources in turn), keeping the alias (``FROM deals_file`` reads it ``AS deals_file``). So
the same definitions compile for DuckDB and for every warehouse. A source's own name in its
own ``sql:`` is the table of that name (``name: opportunities``, ``sql: select * from
opportunities where ...``). Sources that read each other in a loop are reported
(``source-cycle``) at the name that closes the loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError

from . import kinds
from .access import INLINED, is_inlined, resolved
from .catalog import Catalog, ResolvedMetric, ResolvedSource, Side
from .diagnostics import Diagnostic, Span
from .loader import Loaded
from .model import Measure, Metric, Source
from .sides import measure_side, parse, unknown_metric

MOST_INLINED = 1_000  # relations one source's query may be built from, counted with repeats


def resolve(loaded: Loaded) -> tuple[Catalog, list[Diagnostic]]:
    catalog = Catalog(loaded.root, loaded.project, files=loaded.files)
    out: list[Diagnostic] = []
    for source in loaded.sources.values():
        catalog.sources[source.name] = _source(source, loaded, out)
    _build_on_sources(catalog, out)
    for metric in loaded.metrics.values():
        resolved = _metric(metric, loaded, out) if isinstance(metric, Metric) \
            else kinds.resolve(metric, loaded, out)
        if resolved is not None:
            catalog.metrics[metric.name] = resolved
    return catalog, out


def _source(source: Source, loaded: Loaded, out: list[Diagnostic]) -> ResolvedSource:
    dialect = loaded.project.dialect
    dims = {name: parse(text, source, ("dimensions", name), dialect, out)
            for name, text in source.dimensions.items()}
    joins = {j.alias: parse(j.on, source, ("joins", i, "on"), dialect, out)
             for i, j in enumerate(source.joins)}
    return ResolvedSource(source, _relation(source, loaded, out),
                          {k: v for k, v in dims.items() if v is not None},
                          {k: v for k, v in joins.items() if v is not None})


def _relation(source: Source, loaded: Loaded, out: list[Diagnostic]) -> exp.Expression | None:
    if source.table:
        try:
            return exp.to_table(source.table, dialect=loaded.project.dialect)
        except (ValueError, SqlglotError):  # `../x`, `a b c d`: not a table's name
            out.append(Diagnostic(
                "bad-table", f"'{source.table}' is not a table name", source.spans.value(
                    ("table",)), "name a table (table, schema.table or catalog.schema.table), "
                "or declare a file of the project's folder with `path:`"))
            return None
    if source.sql:
        query = parse(source.sql, source, ("sql",), loaded.project.dialect, out, query=True)
        return query.subquery() if query is not None else None
    path = resolved(loaded.root, source.path or "")
    reader = "read_csv_auto" if path.suffix.lower() in (".csv", ".tsv", ".gz") else "read_parquet"
    return exp.Table(this=exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(path))]))


# ----------------------------------------------------------------- sources built on sources

def _build_on_sources(catalog: Catalog, out: list[Diagnostic]) -> None:
    """Put each source a `sql:` source names in its query in place of the name, recursively."""
    sources = catalog.sources
    by_lower: dict[str, list[str]] = {}
    for name in sources:
        by_lower.setdefault(name.lower(), []).append(name)
    done: dict[str, _Built] = {}
    stack: list[str] = []
    depth = catalog.project.limits.metric_depth

    def expand(name: str) -> _Built:
        if name in done:
            return done[name]
        src = sources[name]
        if not (src.model.sql and isinstance(src.relation, exp.Subquery)) \
                or not any(True for _ in references(src.relation, name, sources, by_lower)):
            done[name] = _Built(src.relation, broken=src.relation is None)
            return done[name]
        stack.append(name)
        built = _Built(src.relation.copy(), levels=1)
        for table, target in list(references(built.relation, name, sources, by_lower)):
            where = located(src.model, ("sql",), table)
            problem = _reference_problem(src.model, table, target, stack, where)
            if problem is None and len(stack) > depth:  # a chain this long is refused below:
                problem = _too_deep(name, depth, where)  # no need to recurse all the way
            if problem is None:
                inner = expand(target)
                if inner.broken:  # it did not parse, or is in a loop: reported already
                    built.broken = True
                    continue
                if inner.levels + 1 > depth:
                    problem = _too_deep(name, depth, where)
                elif built.count + 1 + inner.count > MOST_INLINED:
                    problem = Diagnostic(
                        "source-too-deep", f"source '{name}' is built from more than "
                        f"{MOST_INLINED:,} sources (counted each time one is read)", where,
                        "read fewer sources, or read a table that holds what they compute")
                else:
                    table.replace(_inlined(inner.relation, table, target))
                    built.count += 1 + inner.count
                    built.levels = max(built.levels, inner.levels + 1)
                    continue
            out.append(problem)
            built.broken = True
        stack.pop()
        done[name] = built
        return built

    for name in list(sources):
        relation = expand(name).relation
        if relation is not sources[name].relation:
            sources[name] = dataclasses.replace(sources[name], relation=relation)


def references(tree: exp.Expression, own: str, sources: dict[str, ResolvedSource],
               by_lower: dict[str, list[str]] | None = None
               ) -> Iterator[tuple[exp.Table, str]]:
    """The table names in a `sql:` source's query that name another source, with the source
    each names: unqualified, not one of the query's CTEs, not the source's own name, and not
    already put in place by the resolver."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in _tables(tree):
        target = source_named(table, sources, by_lower)
        if target is not None and target != own and table.name.lower() not in ctes:
            yield table, target


def _tables(tree: exp.Expression) -> Iterator[exp.Table]:
    """Every plain name used as a table in the query the user wrote (not in the relations
    the resolver put in it)."""
    for node in tree.walk(prune=is_inlined):
        if isinstance(node, exp.Table) and not is_inlined(node) \
                and isinstance(node.this, exp.Identifier) and not node.args.get("db") \
                and not node.args.get("catalog"):
            yield node


def source_named(table: exp.Table, sources: dict[str, object],
                 by_lower: dict[str, list[str]] | None = None) -> str | None:
    """The source a table name means: the same name, or (unquoted) the one source whose name
    differs only in case, as SQL reads unquoted names."""
    name = table.name
    if name in sources:
        return name
    if table.this.args.get("quoted"):
        return None
    same = by_lower.get(name.lower(), []) if by_lower is not None else \
        [n for n in sources if n.lower() == name.lower()]
    return same[0] if len(same) == 1 else None


@dataclass
class _Built:
    """A source's relation with the sources it names put in place, as far as they could be."""

    relation: exp.Expression | None
    count: int = 0  # relations put in it, counted with repeats
    levels: int = 0  # the longest chain of sources under it (0: it reads no source)
    broken: bool = False  # a name in it could not be put in place; sources reading it skip it


def _too_deep(name: str, depth: int, where: Span) -> Diagnostic:
    return Diagnostic("source-too-deep", f"source '{name}' is built on more than {depth} "
                      "levels of sources", where, "read fewer levels, or raise "
                      "limits.metric_depth")


def _reference_problem(model: Source, table: exp.Table, target: str, stack: list[str],
                       where: Span) -> Diagnostic | None:
    if target in stack:
        members = stack[stack.index(target):]  # from the source read to this one
        loop = [model.name, *members[:-1], model.name]
        return Diagnostic("source-cycle", f"sources read each other in a loop: "
                          f"{' -> '.join(loop)}", where, "read a table (or a file) in one "
                          "of them; a source's own name in its sql: is the table of that "
                          "name")
    moved = [k for k, v in table.args.items() if v and k not in ("this", "alias", "db",
                                                                  "catalog")]
    if moved:
        return Diagnostic("source-reference", f"'{table.name}' names source '{target}', "
                          f"which cannot take the table options written after it "
                          f"({table.sql(dialect='duckdb')})", where, "apply them in a "
                          "query over the source, or read the table itself")
    return None


def _inlined(relation: exp.Expression, table: exp.Table, target: str) -> exp.Expression:
    """``relation`` (a copy) read under the alias the name had (its own name if none)."""
    new = relation.copy()
    alias = table.args.get("alias")
    new.set("alias", alias.copy() if alias is not None
            else exp.TableAlias(this=table.this.copy()))
    new.meta[INLINED] = target
    return new


def located(model: Source, loc: tuple[str | int, ...], node: exp.Expression) -> Span:
    """Where a name in a source's SQL is written in its file (line and column of the name,
    as for a syntax error: exact on one line, close in a folded or block scalar)."""
    span = model.spans.value(loc)
    ident = node.this if isinstance(node, exp.Table) else node
    start = ident.meta_get("start") if isinstance(ident, exp.Expression) else None
    text = getattr(model, str(loc[0]), None) if len(loc) == 1 else None
    if start is None or not isinstance(text, str) or not span.line:
        return span
    line = text.count("\n", 0, start)  # 0-based
    col = start - (text.rfind("\n", 0, start) + 1) + 1  # 1-based
    quoted = model.spans.quoted.get(loc, 0)
    if quoted < 0:  # a block scalar: its text starts on the next line, indented two
        key = model.spans.key(loc)  # columns more than its key, as YAML is written
        return Span(span.path, span.line + line + 1, key.col + 1 + col)
    if line:
        return span.shifted(lines=line, cols=col - span.col)
    return span.shifted(cols=col - 1 + quoted)


def _metric(metric: Metric, loaded: Loaded, out: list[Diagnostic]) -> ResolvedMetric | None:
    num = _side(metric, "numerator", loaded, out)
    den = _side(metric, "denominator", loaded, out) if metric.denominator is not None else None
    if num is None or (metric.denominator is not None and den is None):
        return None
    return ResolvedMetric(metric, num, den)


def _side(metric: Metric, which: str, loaded: Loaded, out: list[Diagnostic]) -> Side | None:
    value: str | Measure = getattr(metric, which)
    span = metric.spans.value((which,))
    if isinstance(value, str) and value.isidentifier() and value in loaded.metrics:
        value = Measure.model_construct(metric=value, filters=[])
    if isinstance(value, Measure) and value.metric:
        _check_no_filters(metric, which, out)
        if value.metric not in loaded.metrics:
            out.append(unknown_metric(value.metric, which, metric.spans.value((which, "metric")),
                                       loaded))
            return None
        return Side(span, value.metric, metric=value.metric)
    return measure_side(metric, which, value, loaded, out)


def _check_no_filters(metric: Metric, which: str, out: list[Diagnostic]) -> None:
    own = f"{which}_filters"
    for key in ("filters", own):
        if getattr(metric, key):
            out.append(Diagnostic(
                "filters-on-reference", f"'{key}' cannot narrow the metric that '{which}' names",
                metric.spans.key((key,)), "write the filter in that metric, or write this "
                f"{which} as an aggregate expression with its own filters"))
