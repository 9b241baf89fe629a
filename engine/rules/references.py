"""Rules on names that point at other definitions: sources, joins, time columns, metrics."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from .. import sql
from ..catalog import Catalog, ResolvedMetric
from ..diagnostics import Diagnostic, did_you_mean, one_of


def join_targets(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-source: a join goes to a defined source."""
    for source in catalog.sources.values():
        for i, join in enumerate(source.model.joins):
            if join.to not in catalog.sources:
                yield Diagnostic("unknown-source", f"join to unknown source '{join.to}'",
                                 source.model.spans.value(("joins", i, "to")),
                                 did_you_mean(join.to, catalog.sources) or one_of(catalog.sources))


def joins_many_to_one(catalog: Catalog) -> Iterator[Diagnostic]:
    """join-not-many-to-one: a join must match the target's whole key, so it cannot fan out.

    bad:  ``on: region = reps.region``   good: ``on: owner_rep_id = reps.rep_id`` (reps.key: rep_id)
    """
    for source in catalog.sources.values():
        for i, join in enumerate(source.model.joins):
            target = catalog.sources.get(join.to)
            on = source.joins.get(join.alias)
            if target is None or on is None:
                continue
            span = source.model.spans.value(("joins", i, "on"))
            keys = target.model.keys
            if not keys:
                yield Diagnostic("join-not-many-to-one", f"join to '{join.to}' cannot be checked: "
                                 f"source '{join.to}' declares no 'key'", span,
                                 f"add 'key: <unique column>' to source '{join.to}'")
                continue
            matched = {side.name for eq in on.find_all(exp.EQ) for side in (eq.this, eq.expression)
                       if isinstance(side, exp.Column) and side.table == join.alias}
            if missing := [k for k in keys if k not in matched]:
                yield Diagnostic("join-not-many-to-one", f"join to '{join.to}' does not match its "
                                 f"key ({', '.join(missing)}), so it could multiply rows", span,
                                 f"join on {join.alias}.{missing[0]} = <column>")


def unknown_tables(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-join: ``x.col`` in a measure or filter names the source or one of its joins."""
    for metric in catalog.metrics.values():
        for side in metric.sides():
            source = catalog.sources.get(side.source or "")
            if source is None or side.expr is None:
                continue
            known = {side.source} | set(source.joins)
            for tree, span in [(side.expr, side.span), *zip(side.filters, side.filter_spans)]:
                for table in sorted(sql.tables_used(tree) - known):
                    yield Diagnostic("unknown-join", f"'{table}' is not joined to source "
                                     f"'{side.source}'", span, did_you_mean(table, known)
                                     or f"add a join to '{side.source}' or use one of: "
                                     + ", ".join(sorted(known)))


def unknown_dimension_tables(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-join: a dimension of a source reads only the source and its own joins; a
    column further along the joins (a join of a join) belongs to a dimension declared on the
    source that has it, which the first source then groups by through its joins."""
    for name, source in catalog.sources.items():
        known = {name} | set(source.joins)
        for dim, expr in source.dimensions.items():
            for table in sorted(sql.tables_used(expr) - known):
                owner = next((s for s in catalog.sources if s == table), None)
                hint = (f"declare '{dim}' on source '{owner}' instead (a dimension of a joined "
                        f"source can be grouped by from '{name}')" if owner else
                        did_you_mean(table, known) or "use one of: " + ", ".join(sorted(known)))
                yield Diagnostic("unknown-join", f"dimension '{dim}' of source '{name}' reads "
                                 f"'{table}', which is not joined to '{name}'",
                                 source.model.spans.value(("dimensions", dim)), hint)


def time_columns(catalog: Catalog) -> Iterator[Diagnostic]:
    """missing-time: every measure needs a time column to bucket by grain."""
    for metric in catalog.metrics.values():
        for side in metric.sides():
            if side.source and not side.time:
                yield Diagnostic("missing-time", f"metric '{metric.name}' has no time column",
                                 metric.model.spans.value(("name",)), "add 'time: <column>' to "
                                 f"the metric or to source '{side.source}' ('time: none' for "
                                 "rows without time, such as a roster)")


def metric_cycles(catalog: Catalog) -> Iterator[Diagnostic]:
    """metric-cycle: metrics that name each other in a loop, spelled out in full.

    bad:  ``a: {formula: b + 1}``, ``b: {formula: a - 1}``   good: one of them reads a source.
    :func:`~sales_metrics.engine.project.check_project` runs it before any other rule and
    takes the metrics it names out of the catalog, so no rule ever walks a loop.
    """
    reported: set[frozenset[str]] = set()
    looping = in_cycles(catalog)
    for metric in catalog.metrics.values():
        cycle = _cycle_from(catalog, metric.name, looping) if metric.name in looping else None
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            first = next((k for k in ("numerator", "formula", "of") if k in
                          type(metric.model).model_fields), "name")
            yield Diagnostic("metric-cycle", "metrics refer to each other in a cycle: "
                             + " -> ".join(cycle), metric.model.spans.value((first,)),
                             "one of them must be defined from a source, not from the others")


def in_cycles(catalog: Catalog) -> set[str]:
    """The metrics on a cycle or computed from one: what is left after taking away, again
    and again, every metric whose inputs have all been taken away (no recursion)."""
    refs = {name: {r for r in m.references() if r in catalog.metrics}
            for name, m in catalog.metrics.items()}
    users: dict[str, set[str]] = {name: set() for name in refs}
    for name, inner in refs.items():
        for ref in inner:
            users[ref].add(name)
    waiting = {name: len(inner) for name, inner in refs.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    while ready:
        for user in users[ready.pop()]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return {name for name, count in waiting.items() if count > 0}


def depths(catalog: Catalog) -> dict[str, int]:
    """How many metrics deep each metric is built (1: from a source alone), in the order of
    the metrics' inputs, without recursion; metrics on a cycle are left out."""
    refs = {name: [r for r in m.references() if r in catalog.metrics]
            for name, m in catalog.metrics.items()}
    depth: dict[str, int] = {}
    for start in refs:
        stack = [start]
        while stack:
            name = stack[-1]
            if name in depth:
                stack.pop()
                continue
            waiting = [r for r in refs[name] if r not in depth and r not in stack]
            if waiting:
                stack.extend(waiting)
                continue
            if any(r not in depth for r in refs[name]):  # on a cycle
                stack.pop()
                depth.setdefault(name, 0)
                continue
            depth[name] = 1 + max((depth[r] for r in refs[name]), default=0)
            stack.pop()
    return {name: d for name, d in depth.items() if d > 0}


def too_deep(catalog: Catalog, most: int) -> tuple[list[Diagnostic], set[str]]:
    """metric-too-deep: metrics built on more than ``most`` levels of other metrics. Each
    chain is reported once, at its first metric past the limit; every metric past it is
    returned, to be taken out of the catalog (so that no rule walks a chain that deep)."""
    found = depths(catalog)
    over = {name for name, d in found.items() if d - 1 > most}  # levels below it: d - 1
    diagnostics = []
    for name in over:
        metric = catalog.metrics[name]
        if found[name] == most + 2:
            first = next((k for k in ("formula", "numerator", "of") if k in
                          type(metric.model).model_fields), "name")
            diagnostics.append(Diagnostic(
                "metric-too-deep", f"metric '{name}' is built on {most + 1} levels of other "
                f"metrics, more than limits.metric_depth ({most}) in project.yml allows",
                metric.model.spans.value((first,)),
                "compute it from fewer steps, or raise limits.metric_depth"))
    return diagnostics, over


def _cycle_from(catalog: Catalog, start: str, within: set[str]) -> list[str] | None:
    """A path from ``start`` back to itself, searched depth first without recursion."""
    parent: dict[str, str | None] = {start: None}
    stack = [start]
    while stack:
        current = stack.pop()
        names = list(catalog.metrics[current].references())
        if start in names:
            path = [current]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            return path[::-1] + [start]
        for name in reversed(names):
            if name in within and name not in parent:
                parent[name] = current
                stack.append(name)
    return None


def metric_dimensions(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-dimension: a metric's declared dimensions exist on every source it reads."""
    for metric in catalog.metrics.values():
        for i, name in enumerate(metric.model.dimensions or []):
            problem = dimension_problem(catalog, metric, name)
            if problem:
                yield Diagnostic(problem[0], problem[1], metric.model.spans.value(("dimensions", i)),
                                 problem[2])


def dimension_problem(catalog: Catalog, metric: ResolvedMetric,
                      name: str) -> tuple[str, str, str] | None:
    """Why a metric cannot be grouped by a dimension, as (code, message, hint), or None."""
    for source in sorted(catalog.metric_sources(metric.name)):
        if catalog.dimension(source, name) is not None:
            continue
        known = catalog.dimensions(source)
        if len(known.get(name, [])) > 1:
            paths = ", ".join(".".join([s.name for s in d.path] + [name]) for d in known[name])
            return ("ambiguous-dimension", f"dimension '{name}' is reachable from source "
                    f"'{source}' in more than one way", f"name the path: {paths}")
        return ("unknown-dimension", f"source '{source}' has no dimension '{name}'",
                did_you_mean(name, known) or one_of(known))
    return None


def entity_dimensions(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-dimension: an entity metric's entity is a dimension of what it aggregates.

    bad:  ``entity: reps``   good: ``entity: rep`` (a dimension of every source it reads)
    """
    for metric in catalog.metrics.values():
        entity = getattr(metric.model, "entity", None)
        if entity is None or metric.model.of not in catalog.metrics:  # type: ignore
            continue
        of = metric.model.of  # type: ignore[union-attr]
        problem = dimension_problem(catalog, catalog.metrics[of], entity)
        allowed = catalog.allowed_dimensions(of)
        if not problem and allowed is not None and entity not in allowed:
            problem = ("unknown-dimension", f"metric '{of}' may not be grouped by '{entity}'",
                       f"add '{entity}' to the dimensions of '{of}'")
        if problem:
            yield Diagnostic(problem[0], problem[1], metric.model.spans.value(("entity",)),
                             problem[2])
