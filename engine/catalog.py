"""Definitions resolved: every SQL fragment parsed once, qualified, and linked by name.

:func:`resolve` turns what the loader read into a :class:`Catalog`, reporting every fragment
that does not parse and every name that points nowhere. The rules then check the catalog,
and the compiler builds queries from it without parsing anything again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator

from sqlglot import exp

from . import kinds, sql
from .diagnostics import Diagnostic, Span, did_you_mean, one_of
from .loader import Loaded
from .model import Measure, Metric, MetricBase, Project, Source

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
        (None: anything its sources offer)."""
        metric = self.metrics.get(name)
        if metric is None:
            return None
        if metric.model.dimensions is not None:
            return set(metric.model.dimensions)
        inner = [self.allowed_dimensions(r) for r in metric.references()]
        known = [s for s in inner if s is not None]
        entity = getattr(metric.model, "entity", None)
        common = set.intersection(*known) if known else None
        return common - {entity} if common is not None and entity else common

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


def resolve(loaded: Loaded) -> tuple[Catalog, list[Diagnostic]]:
    catalog = Catalog(loaded.root, loaded.project, files=loaded.files)
    out: list[Diagnostic] = []
    for source in loaded.sources.values():
        catalog.sources[source.name] = _source(source, loaded, out)
    for metric in loaded.metrics.values():
        resolved = _metric(metric, loaded, out) if isinstance(metric, Metric) \
            else kinds.resolve(metric, loaded, out)
        if resolved is not None:
            catalog.metrics[metric.name] = resolved
    return catalog, out


def _parse(text: str, model: Source | MetricBase | Measure, loc: tuple[str | int, ...],
           dialect: str, out: list[Diagnostic], query: bool = False) -> exp.Expression | None:
    spans = model.spans
    if loc in spans.broken:
        return None  # its template failed; that is already reported
    tree, problems = sql.parse_fragment(text, dialect, spans.value(loc),
                                        spans.quoted.get(loc, 0), query=query)
    out.extend(problems)
    return tree


def _source(source: Source, loaded: Loaded, out: list[Diagnostic]) -> ResolvedSource:
    dialect = loaded.project.dialect
    dims = {name: _parse(text, source, ("dimensions", name), dialect, out)
            for name, text in source.dimensions.items()}
    joins = {j.alias: _parse(j.on, source, ("joins", i, "on"), dialect, out)
             for i, j in enumerate(source.joins)}
    return ResolvedSource(source, _relation(source, loaded, out),
                          {k: v for k, v in dims.items() if v is not None},
                          {k: v for k, v in joins.items() if v is not None})


def _relation(source: Source, loaded: Loaded, out: list[Diagnostic]) -> exp.Expression | None:
    if source.table:
        return exp.to_table(source.table, dialect=loaded.project.dialect)
    if source.sql:
        query = _parse(source.sql, source, ("sql",), loaded.project.dialect, out, query=True)
        return query.subquery() if query is not None else None
    path = Path(source.path or "")
    path = path if path.is_absolute() else (loaded.root / path).resolve()
    reader = "read_csv_auto" if path.suffix.lower() in (".csv", ".tsv", ".gz") else "read_parquet"
    return exp.Table(this=exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(path))]))


def parse(text: str, model: Source | MetricBase | Measure, loc: tuple[str | int, ...],
          dialect: str, out: list[Diagnostic]) -> exp.Expression | None:
    return _parse(text, model, loc, dialect, out)


def expression_side(metric: MetricBase, which: str, value: str, loaded: Loaded,
                    out: list[Diagnostic], time: str | None = None,
                    extra: tuple[exp.Expression, ...] = ()) -> Side | None:
    """A side from an aggregate written at ``metric.<which>``, with optional extra filters."""
    side = _expression_side(metric, which, value, loaded, out)  # type: ignore[arg-type]
    if side is None:
        return None
    qualified = tuple(sql.qualify(f, side.source or "", {}) for f in extra)
    return Side(side.span, side.text, None, side.source, time or side.time, side.expr,
                side.filters + qualified, side.filter_spans + (side.span,) * len(extra),
                side.filter_texts + tuple(f.sql() for f in extra))


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
            out.append(_unknown_metric(value.metric, which, metric.spans.value((which, "metric")),
                                       loaded))
            return None
        return Side(span, value.metric, metric=value.metric)
    return _expression_side(metric, which, value, loaded, out)


def _unknown_metric(name: str, which: str, span: Span, loaded: Loaded) -> Diagnostic:
    return Diagnostic("unknown-metric", f"{which} names unknown metric '{name}'", span,
                      did_you_mean(name, loaded.metrics) or one_of(loaded.metrics))


def _check_no_filters(metric: Metric, which: str, out: list[Diagnostic]) -> None:
    own = f"{which}_filters"
    for key in ("filters", own):
        if getattr(metric, key):
            out.append(Diagnostic(
                "filters-on-reference", f"'{key}' cannot narrow the metric that '{which}' names",
                metric.spans.key((key,)), "write the filter in that metric, or write this "
                f"{which} as an aggregate expression with its own filters"))


def _expression_side(metric: Metric, which: str, value: str | Measure, loaded: Loaded,
                     out: list[Diagnostic]) -> Side | None:
    dialect = loaded.project.dialect
    measure = value if isinstance(value, Measure) else None
    loc: tuple[str, ...] = (which, "expr") if measure else (which,)
    source_name = (measure and measure.source) or metric.source
    if not source_name and isinstance(value, str) and value.isidentifier():
        out.append(_unknown_metric(value, which, metric.spans.value((which,)), loaded))
        return None
    if not source_name:
        out.append(Diagnostic("missing-source", f"{which} is an expression but the metric has "
                              "no 'source'", metric.spans.value((which,)),
                              "add 'source: <name>' to the metric or to this measure"))
        return None
    source = loaded.sources.get(source_name)
    if source is None:
        where = (which, "source") if measure and measure.source else ("source",)
        out.append(Diagnostic("unknown-source", f"source '{source_name}' is not defined",
                              metric.spans.value(where), did_you_mean(source_name, loaded.sources)
                              or one_of(loaded.sources)))
        return None
    time = (measure and measure.time) or getattr(metric, "time", None) or source.time
    texts = _filter_texts(metric, which, measure)
    filters = [(_parse(text, metric, loc_, dialect, out), metric.spans.value(loc_))
               for text, loc_ in texts]
    expr = _parse(measure.expr if measure else value, metric, loc, dialect, out)  # type: ignore
    if expr is None or any(f is None for f, _ in filters):
        return None
    alias = {source_name: source_name}
    return Side(metric.spans.value(loc), measure.expr if measure else value,  # type: ignore
                None, source_name, time, sql.qualify(expr, source_name, alias, copy=False),
                tuple(sql.qualify(f, source_name, alias, copy=False)  # type: ignore
                      for f, _ in filters),  # each parsed just above: a tree of its own
                tuple(s for _, s in filters), tuple(t for t, _ in texts))


def _filter_texts(metric: Metric, which: str,
                  measure: Measure | None) -> list[tuple[str, tuple[str | int, ...]]]:
    texts = [(t, ("filters", i)) for i, t in enumerate(getattr(metric, "filters", []))]
    texts += [(t, (f"{which}_filters", i))
              for i, t in enumerate(getattr(metric, f"{which}_filters", []))]
    if measure:
        texts += [(t, (which, "filters", i)) for i, t in enumerate(measure.filters)]
    return texts
