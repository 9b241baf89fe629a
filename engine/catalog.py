"""Definitions resolved: every SQL fragment parsed once, qualified, and linked by name.

:class:`Catalog` is the unit the rules check and the compiler reads; :mod:`.resolve` makes
one from what the loader read (with :mod:`.sides` for numerators and denominators and
:mod:`.kinds` for the other metric kinds). This module holds the records only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator

from sqlglot import exp

from . import sql
from .diagnostics import Span
from .model import MetricBase, Project, Source

MAX_JOIN_DEPTH = 3


@dataclass(frozen=True)
class JoinStep:
    """One many-to-one join on the way to a dimension: ``LEFT JOIN target AS alias ON on``."""

    alias: str  # unique in the query: the join names on the way, joined by "__"
    name: str  # the join's own name (its `name:` or its target)
    target: str
    on: exp.Expression
    parent: str


@dataclass(frozen=True)
class Dimension:
    """A dimension as reachable from one source: its SQL and the joins it needs."""

    name: str
    expr: exp.Expression
    path: tuple[JoinStep, ...] = ()
    span: Span | None = None


@dataclass(frozen=True)
class Side:
    """A numerator or denominator: an aggregate on a source, or another metric."""

    span: Span
    text: str = ""
    metric: str | None = None
    source: str | None = None
    time: str | None = None
    expr: exp.Expression | None = None
    filters: tuple[exp.Expression, ...] = ()
    filter_spans: tuple[Span, ...] = ()
    filter_texts: tuple[str, ...] = ()
    shift_days: int = 0  # rows are timed this many days after `time` (a balance's `days`)


@dataclass(frozen=True)
class ResolvedSource:
    model: Source
    relation: exp.Expression | None
    dimensions: dict[str, exp.Expression]
    joins: dict[str, exp.Expression]


@dataclass(frozen=True)
class ResolvedMetric:
    """A metric of any kind, resolved: the sides it aggregates and the metrics it uses.

    Ratio and conversion metrics have a numerator (and a denominator); a balance has
    `opens` (and `closes`) sides; a formula has its parsed `formula`, whose columns name
    metrics; cumulative, comparison and entity metrics name the metric they are `of`.
    """

    model: MetricBase
    numerator: Side | None = None
    denominator: Side | None = None
    opens: Side | None = None
    closes: Side | None = None
    formula: exp.Expression | None = None
    condition: exp.Expression | None = None
    refs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.model.name

    def sides(self) -> Iterator[Side]:
        for side in (self.numerator, self.denominator, self.opens, self.closes):
            if side is not None:
                yield side

    def references(self) -> Iterator[str]:
        """Every metric this one is computed from, directly."""
        yield from self.refs
        for side in self.sides():
            if side.metric:
                yield side.metric


@dataclass
class Catalog:
    """A whole project, resolved. The unit the rules check and the compiler reads."""

    root: Path
    project: Project
    sources: dict[str, ResolvedSource] = field(default_factory=dict)
    metrics: dict[str, ResolvedMetric] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    _dims: dict[str, dict[str, list[Dimension]]] = field(default_factory=dict, repr=False)

    @property
    def dialect(self) -> str:
        return self.project.dialect

    def dimensions(self, source: str) -> dict[str, list[Dimension]]:
        """Every dimension reachable from a source by name, nearest first.

        Own dimensions come first, then those of joined sources (``region`` of the rep who
        owns an opportunity). Each is also reachable by its path, ``reps.region``.
        """
        if source not in self._dims:
            found: dict[str, list[Dimension]] = {}
            for dim in self._walk(source, (), source, {source}):
                dotted = ".".join([s.name for s in dim.path] + [dim.name])
                found.setdefault(dim.name, []).append(dim)
                if dim.path:
                    found.setdefault(dotted, []).append(dim)
            self._dims[source] = found
        return self._dims[source]

    def dimension(self, source: str, name: str) -> Dimension | None:
        """The dimension a name means on a source; None when unknown or ambiguous."""
        candidates = self.dimensions(source).get(name, [])
        if not candidates:
            return None
        nearest = [d for d in candidates if len(d.path) == len(candidates[0].path)]
        return candidates[0] if len(nearest) == 1 else None

    def identity(self, source: str, name: str, own: bool = False) -> Dimension | None:
        """What tells apart the entities a dimension names, as reachable from a source: the
        single-column key of the source that owns the dimension, read from the column that
        references it when the last join is on that key (``account`` from opportunities:
        ``opportunities.account_id``, no join to accounts). ``own``: the source is a roster of
        the entities (one row each), so a dimension of its own is told apart by its own key.
        None where neither holds: the entity is then told apart by the dimension's value."""
        dim, owner = self.dimension(source, name), self.owner(source, name)
        if dim is None or owner is None:
            return None
        keys = self.sources[owner].model.keys if owner in self.sources else []
        if len(keys) != 1:
            return None
        if not dim.path:
            return Dimension(name, exp.column(keys[0], table=source), (), dim.span) if own \
                else None
        last = dim.path[-1]
        if not isinstance(last.on, exp.EQ):
            return None
        sides = (last.on.this, last.on.expression)
        for theirs, mine in (sides, sides[::-1]):
            if (isinstance(theirs, exp.Column) and isinstance(mine, exp.Column)
                    and theirs.table == last.alias and theirs.name == keys[0]
                    and mine.table == last.parent):
                return Dimension(name, mine.copy(), dim.path[:-1], dim.span)
        return None

    def owner(self, source: str, name: str) -> str | None:
        """The source whose dimension a name is, as reached from a source."""
        dim = self.dimension(source, name)
        return None if dim is None else dim.path[-1].target if dim.path else source

    def direct_joins(self, source: str) -> dict[str, JoinStep]:
        """The source's own joins, by name, as steps a query can add."""
        src = self.sources[source]
        return {j.alias: JoinStep(j.alias, j.alias, j.to, sql.qualify(
            src.joins[j.alias], source, {j.alias: j.alias, source: source}), source)
            for j in src.model.joins if j.alias in src.joins and j.to in self.sources}

    def _walk(self, name: str, path: tuple[JoinStep, ...], alias: str,
              seen: set[str]) -> Iterator[Dimension]:
        src = self.sources.get(name)
        if src is None:
            return
        for dim, expr in src.dimensions.items():
            yield Dimension(dim, sql.qualify(expr, alias, {}), path,
                            src.model.spans.value(("dimensions", dim)))
        if len(path) >= MAX_JOIN_DEPTH:
            return
        for join in src.model.joins:
            if join.to in seen or join.to not in self.sources or join.alias not in src.joins:
                continue
            step_alias = join.alias if not path else f"{alias}__{join.alias}"
            on = sql.qualify(src.joins[join.alias], alias, {join.alias: step_alias, name: alias})
            step = JoinStep(step_alias, join.alias, join.to, on, alias)
            yield from self._walk(join.to, path + (step,), step_alias, seen | {join.to})

    def allowed_dimensions(self, name: str) -> set[str] | None:
        """What a metric may be grouped by: its own list, else what all its inputs allow
        (None: anything its sources offer). No recursion, and a loop of metrics (refused by
        validation) cannot make it run forever."""
        allowed: dict[str, set[str] | None] = {}
        for current in self._inputs_first(name):
            metric = self.metrics[current]
            if metric.model.dimensions is not None:
                allowed[current] = set(metric.model.dimensions)
                continue
            known = [s for r in metric.references() if (s := allowed.get(r)) is not None]
            entity = getattr(metric.model, "entity", None)
            common = set.intersection(*known) if known else None
            allowed[current] = common - {entity} if common is not None and entity else common
        return allowed.get(name)

    def _inputs_first(self, name: str) -> list[str]:
        """A metric and those it is computed from, each after its own inputs (depth first,
        on a stack; a reference back to a metric still being visited is skipped)."""
        order: list[str] = []
        seen: set[str] = set()
        stack: list[tuple[str, bool]] = [(name, False)]
        while stack:
            current, done = stack.pop()
            if done:
                order.append(current)
            elif current not in seen and current in self.metrics:
                seen.add(current)
                stack.append((current, True))
                stack.extend((r, False) for r in self.metrics[current].references())
        return order

    def metric_sources(self, name: str) -> set[str]:
        """The sources a metric reads, through the metrics it names."""
        out: set[str] = set()
        stack, seen = [name], set()
        while stack:
            current = self.metrics.get(stack.pop())
            if current is None or current.name in seen:
                continue
            seen.add(current.name)
            stack.extend(current.references())
            out.update(side.source for side in current.sides() if side.source)
        return out
