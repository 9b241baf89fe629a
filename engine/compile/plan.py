"""Plan a request: which aggregates to compute, grouped into one scan per (source, time column).

Every side of every metric the request needs (requested, or used by one that is) becomes a
:class:`Leaf`: one aggregate column. Leaves reading the same source on the same time column
share a :class:`Group`, which the builder turns into one aggregate query with conditional
aggregation. Entity metrics (an aggregate of a per-entity metric) plan a request of their own.
The plan also works out how far before the requested start the data must be read, so a
comparison or a trailing window has its earlier periods.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..access import file_access_problem
from .. import sql
from ..catalog import Catalog, Dimension, ResolvedMetric, Side
from ..diagnostics import UsageError, did_you_mean, one_of
from ..dialects import Capabilities
from ..model import (NO_TIME, BalanceMetric, ComparisonMetric, ConversionMetric,
                     CumulativeMetric, EntityMetric, FormulaMetric, Grain, Metric, ShareMetric)
from ..rules import windows
from ..rules.references import dimension_problem
from ..calendar import Calendar, period_start, previous_period

GRAIN_ORDER = list(Grain)  # finest first
# The one period of `--grain all`, in every scan and the spine: the range's first day when the
# request names one; else this placeholder, shown as an empty period (see build.py).
ALL_PERIOD = date(1900, 1, 1)


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
    fill_zero: bool
    history: bool = False  # a balance flow: rows before the range count too


@dataclass
class Group:
    """One scan: every leaf on the same source and time column (and snapshot mode).

    Where the dialect says so, distinct counts get a scan of their own (``rows``): DuckDB
    otherwise copies every row the scan reads to aggregate them apart. Medians and
    percentiles join them there when that lets the rest aggregate in two stages
    (:func:`stages.split_rows`).
    """

    source: str
    time: str
    last: bool = False  # snapshot rows: keep each period's last snapshot
    rows: bool = False  # leaves that read rows apart: distinct counts, medians, percentiles
    leaves: dict[str, Leaf] = field(default_factory=dict)
    shift_days: int = 0  # rows are timed this many days after `time` (a balance's `days`)

    @property
    def name(self) -> str:
        return f"agg_{self.source}_{self.time}" + ("_last" if self.last else "") \
            + ("_rows" if self.rows else "") \
            + (f"_plus_{self.shift_days}d" if self.shift_days else "")

    def shared_filters(self) -> dict[exp.Expression, exp.Expression]:
        """Filters every leaf of the scan has: pushed into WHERE, so fewer rows are read.
        (sqlglot trees compare by structure; the text orders them, for stable SQL.)"""
        per_leaf = [set(leaf.side.filters) for leaf in self.leaves.values()]
        common = set.intersection(*per_leaf) if per_leaf else set()
        return {f: f for f in sorted(common, key=lambda f: f.sql())}

    @property
    def history(self) -> bool:
        return any(leaf.history for leaf in self.leaves.values())

    @property
    def timeless(self) -> bool:
        """Rows without time (``time: none``): one value per group, the same every period."""
        return self.time == NO_TIME


@dataclass
class EntityPlan:
    """An entity metric: its `of` planned per entity (``inner``), over a population.

    ``population`` is the roster source (`population: reps`), or None: the entities with rows
    in the sources of `of` (``sources``). Either way the population ignores the range, so an
    entity's value in a period does not depend on --start/--end. ``by``: the request's
    dimensions; with a roster the inner request groups by the entity alone, and each entity
    is placed in the groups of its roster row.
    """

    metric: ResolvedMetric
    inner: Plan
    population: str | None = None
    by: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"ent_{self.metric.name}"


@dataclass
class Plan:
    catalog: Catalog
    request: Request
    grain: Grain
    metrics: list[ResolvedMetric]
    dialect: str = "duckdb"
    can: Capabilities = field(default_factory=Capabilities)
    groups: dict[tuple, Group] = field(default_factory=dict)
    entities: dict[str, EntityPlan] = field(default_factory=dict)
    where: list[exp.Expression] = field(default_factory=list)
    read_from: date | None = None  # the requested start, moved back for lookbacks
    sparse: bool = False  # rows only where the scan found some: no spine, no grid
    keyed: dict[str, str | None] = field(default_factory=dict)  # entity -> its roster

    @property
    def calendar(self) -> Calendar:
        return Calendar.of(self.catalog.project)

    def group(self, source: str, time: str, last: bool = False, rows: bool = False,
              shift_days: int = 0) -> Group:
        """The scan of ``source`` by ``time`` of that kind, made when first asked for."""
        key = (source, time, last, rows) + ((shift_days,) if shift_days else ())
        return self.groups.setdefault(key, Group(source, time, last, rows,
                                                 shift_days=shift_days))

    def leaf_group(self, alias: str) -> Group:
        return next(g for g in self.groups.values() if alias in g.leaves)

    def dimension(self, source: str, name: str) -> Dimension:
        found = self.catalog.dimension(source, name)
        assert found is not None, "checked when planning"
        return found

    def grouping(self, source: str, name: str) -> Dimension:
        """What the plan groups a source's rows by for a dimension: an entity of ``keyed`` by
        its key (:meth:`Catalog.identity`), anything else by its value."""
        if name in self.keyed:
            found = self.catalog.identity(source, name, own=source == self.keyed[name])
            assert found is not None, "checked when planning"
            return found
        return self.dimension(source, name)


def plan(catalog: Catalog, request: Request, dialect: str, can: Capabilities) -> Plan:
    if not request.metrics:
        raise UsageError("no metrics requested; name at least one (see `metrics list`)")
    metrics = [_metric(catalog, name) for name in request.metrics]
    grain = request.grain or metrics[0].model.grain
    result = Plan(catalog, request, grain, metrics, dialect, can)
    for metric in metrics:
        _check_by(catalog, metric, request.by)
    for metric in _needed(catalog, metrics):
        if grain is Grain.all:
            _check_whole_range(metric)
        if isinstance(metric.model, ShareMetric):
            _check_share(metric.model, request.by)
        if isinstance(metric.model, CumulativeMetric) and metric.model.to_date:
            _check_to_date(metric.model, grain)  # with or without a range
        _add(result, metric)
    result.where = [_where(catalog, text, metrics) for text in request.where]
    _check_grains(result)
    if request.start:
        result.read_from = min(_read_from(result, m, request.start) for m in metrics)
    return result


def _metric(catalog: Catalog, name: str) -> ResolvedMetric:
    metric = catalog.metrics.get(name)
    if metric is None:
        hint = did_you_mean(name, catalog.metrics) or one_of(catalog.metrics)
        raise UsageError(f"unknown metric '{name}'; {hint}")
    return metric


def _needed(catalog: Catalog, metrics: list[ResolvedMetric]) -> list[ResolvedMetric]:
    """The requested metrics and every metric they are computed from, each once, in order."""
    out: dict[str, ResolvedMetric] = {}

    def visit(metric: ResolvedMetric) -> None:
        if metric.name in out:
            return
        out[metric.name] = metric
        if not isinstance(metric.model, EntityMetric):  # its input is planned on its own
            for name in metric.references():
                visit(catalog.metrics[name])
    for metric in metrics:
        visit(metric)
    return list(out.values())


def _check_by(catalog: Catalog, metric: ResolvedMetric, by: tuple[str, ...]) -> None:
    if len(set(by)) != len(by):
        raise UsageError("a dimension is repeated in --by")
    allowed = catalog.allowed_dimensions(metric.name)
    for name in by:
        if allowed is not None and name not in allowed:
            raise UsageError(f"metric '{metric.name}' cannot be grouped by '{name}'; "
                             f"its dimensions are: {', '.join(sorted(allowed)) or 'none'}")
        problem = dimension_problem(catalog, metric, name)
        if problem:
            raise UsageError(f"cannot group '{metric.name}' by '{name}': {problem[1]}; "
                             f"{problem[2]}")
        if name in catalog.metrics:
            raise UsageError(f"'{name}' names both a metric and a dimension; rename one")


def _add(result: Plan, metric: ResolvedMetric) -> None:
    model = metric.model
    if isinstance(model, EntityMetric):
        _add_entity(result, metric)
        return
    last = isinstance(model, Metric) and model.snapshot == "last"
    for role in ("num", "den", "opens", "closes"):
        side = getattr(metric, ROLES[role])
        if side is None or side.metric:
            continue
        assert side.source and side.time and side.expr is not None
        rows = result.can.split_distinct and any(
            isinstance(agg.this, exp.Distinct) for agg in sql.aggregates(side.expr))
        group = result.group(side.source, side.time, last, rows, side.shift_days)
        alias = f"{metric.name}__{role}"
        group.leaves[alias] = Leaf(alias, side, sql.additive(side.expr),
                                   _fill_zero(metric, side), role in ("opens", "closes"))


ROLES = {"num": "numerator", "den": "denominator", "opens": "opens", "closes": "closes"}
UNKNOWN = object()  # an empty period's value that cannot be known when compiling
_COMPARE = {exp.GT: operator.gt, exp.GTE: operator.ge, exp.LT: operator.lt,
            exp.LTE: operator.le, exp.EQ: operator.eq, exp.NEQ: operator.ne}


def _add_entity(result: Plan, metric: ResolvedMetric) -> None:
    """Plan an entity metric: `of` as a request of its own, grouped by the entity as well.

    Who counts is the population, never the range: with `population:` every entity of that
    source (grouped by the dimensions of its own row there), else every entity with rows in
    the sources of `of` (whatever its filters, at any time). The inner request starts where
    the request needs this metric from (a comparison of it looks a period back)."""
    model = metric.model
    assert isinstance(model, EntityMetric)
    request, catalog = result.request, result.catalog
    population = model.population
    if model.entity in request.by:
        raise UsageError(f"cannot group '{metric.name}' by '{model.entity}': it aggregates "
                         f"over each {model.entity}; group '{model.of}' by {model.entity} instead")
    if population is not None:
        _check_population(result, metric, population)
        by = (model.entity,)
    else:
        by = request.by + (model.entity,)
    inner = Request((model.of,), result.grain, by, _entity_start(result, metric), request.end,
                    request.where)
    inner_plan = plan(catalog, inner, result.dialect, result.can)
    inner_plan.sparse = _grid_unneeded(catalog, metric, inner_plan)
    if _keyed(catalog, model.entity, catalog.metric_sources(model.of), population):
        inner_plan.keyed = {**inner_plan.keyed, model.entity: population}
    sources = (population,) if population else tuple(sorted(catalog.metric_sources(model.of)))
    _check_file_sources(result, sources)
    result.entities[metric.name] = EntityPlan(metric, inner_plan, population, request.by,
                                              sources)


def _keyed(catalog: Catalog, entity: str, sources: set[str], population: str | None) -> bool:
    """Whether the entities can be told apart by their key from every source the per-entity
    query reads (and the roster), one owner's key for all: then two accounts of the same name
    are two accounts, a reference that matches no account row is an account of its own, and
    the join to the owner is left out. Else (no single-column key, a join on something else,
    an entity that is a column of the rows themselves) they are told apart by name."""
    owners = set()
    for source in sorted(sources | ({population} if population else set())):
        if catalog.identity(source, entity, own=source == population) is None:
            return False
        owners.add(catalog.owner(source, entity))
    return len(owners) == 1


def _check_population(result: Plan, metric: ResolvedMetric, population: str) -> None:
    """Every --by dimension must place an entity of the population in one group: a dimension
    of the population source (the rep's own region), not of the rows it aggregates."""
    catalog, entity = result.catalog, metric.model.entity  # type: ignore[attr-defined]
    if population not in catalog.sources:  # refused by validation; a clear line regardless
        raise UsageError(f"'{metric.name}': population '{population}' is not a source")
    for name in result.request.by:
        if catalog.dimension(population, name) is not None:
            continue
        known = catalog.dimensions(population)
        if len(known.get(name, [])) > 1:
            why = f"dimension '{name}' is reachable from '{population}' in more than one way"
            hint = "name the path: " + ", ".join(
                ".".join([s.name for s in d.path] + [name]) for d in known[name])
        else:
            why = f"its population '{population}' has no dimension '{name}'"
            hint = "group by one of its dimensions: " + ", ".join(
                sorted(n for n in known if n != entity and "." not in n))
        raise UsageError(f"cannot group '{metric.name}' by '{name}': {why}, so a {entity} "
                         f"cannot be placed in one group; {hint}")


def _check_file_sources(result: Plan, sources: tuple[str, ...]) -> None:
    from ..diagnostics import UnsupportedFeature

    for name in sources:
        source = result.catalog.sources[name].model
        if source.path and not result.can.file_sources:
            raise UnsupportedFeature(result.dialect, f"file sources (source '{name}' reads "
                                     f"'{source.path}')", "load the file into a table and "
                                     "use 'table:'")


def _entity_start(result: Plan, metric: ResolvedMetric) -> date | None:
    """The start of an entity metric's inner request: the requested start, or earlier when a
    requested metric built on this one looks back (its change on the previous period)."""
    start = result.request.start
    if start is None or result.grain.value == "all":  # one period: nothing to look back on
        return start
    users = [m for m in result.metrics if _reaches(result.catalog, m.name, metric.name)]
    earliest = min(_read_from(result, m, start) for m in users) if users else start
    return earliest if earliest < period_start(start, result.grain, result.calendar) else start


def _reaches(catalog: Catalog, name: str, target: str) -> bool:
    """Whether a metric is, or is computed from, ``target`` (within its own plan: not
    through another entity metric, whose input is planned apart)."""
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current == target:
            return True
        if current in seen or current not in catalog.metrics:
            continue
        seen.add(current)
        if not isinstance(catalog.metrics[current].model, EntityMetric):
            stack.extend(catalog.metrics[current].references())
    return False


def _grid_unneeded(catalog: Catalog, metric: ResolvedMetric, inner: Plan) -> bool:
    """Whether an entity aggregate can read only the (period, entity) rows the scan found.

    The full grid (every period x every entity seen) only adds rows holding the inner
    metric's value for an empty period: empty for averages and ratios, which no aggregate
    counts, or 0 for counts and sums, which only a count whose condition 0 fails ignores
    (accounts with more than one win). Skipping it saves a join of periods x entities.
    """
    if len(inner.groups) != 1 or inner.entities:
        return False
    empty = _empty_value(catalog, metric.model.of)  # type: ignore[attr-defined]
    if empty is None:
        return True
    condition = metric.condition
    return empty == 0 and metric.model.aggregate == "count" and condition is not None \
        and _holds(condition, 0) is False  # type: ignore[attr-defined]


def _empty_value(catalog: Catalog, name: str) -> object:
    """The value a flat metric takes in a period without rows: 0, None (empty) or UNKNOWN."""
    metric = catalog.metrics[name]
    if not isinstance(metric.model, (Metric, ConversionMetric)) or metric.numerator is None:
        return UNKNOWN
    if metric.denominator is not None:
        den = _side_empty(catalog, metric, metric.denominator)
        return None if den in (0, None) else UNKNOWN  # x / NULLIF(0, 0) is empty
    return _side_empty(catalog, metric, metric.numerator)


def _side_empty(catalog: Catalog, metric: ResolvedMetric, side: Side) -> object:
    if side.metric:
        return _empty_value(catalog, side.metric)
    return 0 if _fill_zero(metric, side) else None


def _holds(condition: exp.Expression, value: float) -> bool | None:
    """``value <op> number`` evaluated for a value, or None when it is not that simple."""
    compare = _COMPARE.get(type(condition))
    left, right = condition.this, condition.expression
    if compare is None:
        return None
    if isinstance(left, exp.Column) and _number(right) is not None:
        return compare(value, _number(right))
    if isinstance(right, exp.Column) and _number(left) is not None:
        return compare(_number(left), value)
    return None


def _number(node: exp.Expression) -> float | None:
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return -inner if inner is not None else None
    if isinstance(node, exp.Literal) and node.is_number:
        return float(node.this)
    return None


def _fill_zero(metric: ResolvedMetric, side: Side) -> bool:
    fill = getattr(metric.model, "fill", None)
    return fill.value == "zero" if fill is not None else sql.additive(side.expr)  # type: ignore


def _check_grains(result: Plan) -> None:
    """A source kept per quarter (quotas) cannot be asked for by month."""
    rank = GRAIN_ORDER.index(result.grain)
    for group in result.groups.values():
        native = result.catalog.sources[group.source].model.grain
        if native is None or native is result.grain or native is Grain.day:
            continue
        fits = rank > GRAIN_ORDER.index(native) and native is not Grain.week \
            and result.grain is not Grain.week
        if not fits:
            raise UsageError(f"source '{group.source}' holds one row per {native.value}; "
                             f"ask for {native.value} or a coarser grain, not {result.grain.value}")


def _read_from(result: Plan, metric: ResolvedMetric, start: date,
               within: frozenset[str] = frozenset()) -> date:
    """How far back a metric needs data so that its first requested period is complete.
    (``within``: the metrics on the way here; a valid catalog has no loops, but a loop
    must never make this recurse without end.)"""
    calendar, grain = result.calendar, result.grain
    first = period_start(start, grain, calendar)
    model = metric.model
    within = within | {metric.name}
    refs = [result.catalog.metrics[r] for r in metric.references() if r not in within]
    if isinstance(model, ComparisonMetric):
        first = _back(first, lookback_periods(model, grain), grain, calendar)
    elif isinstance(model, CumulativeMetric) and model.trailing:
        first = _back(first, model.trailing - 1, grain, calendar)
    elif isinstance(model, CumulativeMetric) and model.to_date:
        _check_to_date(model, grain)
        first = period_start(first, model.to_date, calendar)
    elif isinstance(model, BalanceMetric):
        first = _back(first, 1, grain, calendar)  # where the rows opened earlier are counted
    if isinstance(model, (FormulaMetric, ComparisonMetric, CumulativeMetric)):
        return min([first] + [_read_from(result, ref, first, within) for ref in refs])
    return first


def _check_share(model: ShareMetric, by: tuple[str, ...]) -> None:
    """A share is across dimensions of the request: without them it has no groups."""
    across = model.across if model.across is not None else list(by)
    missing = [d for d in across if d not in by]
    if missing or not across:
        wanted = " ".join(f"--by {d}" for d in (missing or ["<dimension>"]))
        raise UsageError(f"'{model.name}' is a share of '{model.share_of}' across "
                         f"{', '.join(across) or 'the groups of a request'}; group by "
                         f"{'them' if len(missing) > 1 else 'it'}: {wanted}")


def _check_whole_range(metric: ResolvedMetric) -> None:
    """At ``--grain all`` there is one period: nothing before it to compare with, accumulate
    over or carry a balance from."""
    model = metric.model
    if isinstance(model, (ComparisonMetric, CumulativeMetric, BalanceMetric)):
        raise UsageError(windows.whole_range(model.name, type(model)))


def all_period(plan: "Plan") -> date:
    return plan.request.start or ALL_PERIOD


def _check_to_date(model: CumulativeMetric, grain: Grain) -> None:
    assert model.to_date is not None
    if not windows.fits(model.to_date, grain):
        raise UsageError(windows.to_date_too_coarse(model.name, model.to_date.value,
                                                    grain.value))


def lookback_periods(model: ComparisonMetric, grain: Grain) -> int:
    """How many periods back the compared period is: 1, or a year's worth at this grain."""
    if model.compare == "previous_period":
        return 1
    return {Grain.day: 364, Grain.week: 52, Grain.month: 12, Grain.quarter: 4,
            Grain.year: 1}[grain]


def _back(first: date, periods: int, grain: Grain, calendar: Calendar) -> date:
    for _ in range(periods):
        first = previous_period(first, grain, calendar)
    return first


def _where(catalog: Catalog, text: str, metrics: list[ResolvedMetric]) -> exp.Expression:
    """A --where filter: row-level SQL over dimension names, checked like any filter."""
    too_deep = sql.depth_problem(text, catalog.dialect, catalog.project.limits.expression_depth)
    if too_deep:
        raise UsageError(f"--where: {too_deep}; simplify it")
    try:
        tree = sqlglot.parse_one(text, read=catalog.dialect)
    except (ParseError, TokenError) as err:
        raise UsageError(f"--where '{text}' does not parse: {str(err).splitlines()[0]}") from None
    except RecursionError:  # a last resort: the depth check above should prevent it
        raise UsageError("--where nests too deep to parse; simplify it") from None
    except sql.PARSER_SLIPS as err:  # sqlglot fails this way on some odd text, e.g. '->'
        raise UsageError(f"--where '{text}' does not parse ({type(err).__name__})") from None
    problem = sql.read_only_problem(tree) or file_access_problem(tree)
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
