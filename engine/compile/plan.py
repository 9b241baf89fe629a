"""Plan a request: which aggregates to compute, grouped into one scan per (source, time column).

Every side of every requested metric (and of the metrics they name) becomes a :class:`Leaf`:
one aggregate column. Leaves reading the same source on the same time column share a
:class:`Group`, which the builder turns into one aggregate query with conditional aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .. import sql
from ..catalog import Catalog, Dimension, ResolvedMetric, Side
from ..diagnostics import UsageError, did_you_mean, one_of
from ..dialects import Capabilities
from ..model import Grain
from ..rules.references import dimension_problem


@dataclass(frozen=True)
class Request:
    """What to compute: metrics, at a grain, grouped by dimensions, over a range."""

    metrics: tuple[str, ...]
    grain: Grain | None = None
    by: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class Leaf:
    alias: str
    side: Side
    additive: bool


@dataclass
class Group:
    """One scan: every leaf on the same source and time column."""

    source: str
    time: str
    leaves: dict[str, Leaf] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"agg_{self.source}_{self.time}"


@dataclass
class Plan:
    catalog: Catalog
    request: Request
    grain: Grain
    metrics: list[ResolvedMetric]
    dialect: str = "duckdb"
    can: Capabilities = field(default_factory=Capabilities)
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    where: list[exp.Expression] = field(default_factory=list)

    def leaf_group(self, alias: str) -> Group:
        return next(g for g in self.groups.values() if alias in g.leaves)

    def dimension(self, source: str, name: str) -> Dimension:
        found = self.catalog.dimension(source, name)
        assert found is not None, "checked when planning"
        return found


def plan(catalog: Catalog, request: Request, dialect: str, can: Capabilities) -> Plan:
    if not request.metrics:
        raise UsageError("no metrics requested; name at least one (see `metrics list`)")
    metrics = [_metric(catalog, name) for name in request.metrics]
    grain = request.grain or metrics[0].model.grain
    result = Plan(catalog, request, grain, metrics, dialect, can)
    for metric in metrics:
        _check_by(catalog, metric, request.by)
        _add_leaves(result, metric)
    result.where = [_where(catalog, text, metrics) for text in request.where]
    return result


def _metric(catalog: Catalog, name: str) -> ResolvedMetric:
    metric = catalog.metrics.get(name)
    if metric is None:
        hint = did_you_mean(name, catalog.metrics) or one_of(catalog.metrics)
        raise UsageError(f"unknown metric '{name}'; {hint}")
    return metric


def _check_by(catalog: Catalog, metric: ResolvedMetric, by: tuple[str, ...]) -> None:
    if len(set(by)) != len(by):
        raise UsageError("a dimension is repeated in --by")
    allowed = metric.model.dimensions
    for name in by:
        if allowed is not None and name not in allowed:
            raise UsageError(f"metric '{metric.name}' cannot be grouped by '{name}'; "
                             f"its dimensions are: {', '.join(allowed) or 'none'}")
        problem = dimension_problem(catalog, metric, name)
        if problem:
            raise UsageError(f"cannot group '{metric.name}' by '{name}': {problem[1]}; "
                             f"{problem[2]}")


def _add_leaves(result: Plan, metric: ResolvedMetric) -> None:
    for which, side in (("num", metric.numerator), ("den", metric.denominator)):
        if side is None:
            continue
        if side.metric:
            _add_leaves(result, result.catalog.metrics[side.metric])
            continue
        assert side.source and side.time and side.expr is not None
        group = result.groups.setdefault((side.source, side.time),
                                         Group(side.source, side.time))
        alias = f"{metric.name}__{which}"
        group.leaves[alias] = Leaf(alias, side, sql.additive(side.expr))


def _where(catalog: Catalog, text: str, metrics: list[ResolvedMetric]) -> exp.Expression:
    """A --where filter: row-level SQL over dimension names, checked like any filter."""
    try:
        tree = sqlglot.parse_one(text, read=catalog.dialect)
    except (ParseError, TokenError) as err:
        raise UsageError(f"--where '{text}' does not parse: {str(err).splitlines()[0]}") from None
    problem = sql.read_only_problem(tree)
    if problem or tree.find(exp.AggFunc, exp.Window):
        why = problem or "it aggregates; --where filters rows"
        raise UsageError(f"--where '{text}' is not a row filter: {why}")
    for col in tree.find_all(exp.Column):
        name = ".".join(p for p in (col.table, col.name) if p)
        for metric in metrics:
            problem_ = dimension_problem(catalog, metric, name)
            if problem_:
                raise UsageError(f"--where uses '{name}', which is not a dimension of "
                                 f"'{metric.name}': {problem_[1]}; {problem_[2]}")
    return tree
