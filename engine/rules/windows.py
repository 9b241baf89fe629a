"""Rules on windows over periods: what a running or trailing total may accumulate, at which
grain a to-date total can be shown, and that one period (``grain: all``) has no window.

`metrics run` refuses these when it compiles (engine/compile/values.py ``_cumulative``,
engine/compile/plan.py ``_check_to_date`` and ``_check_whole_range``), with the tests and
words defined here; here they are found from the definitions alone, at the field to change.
No compiler is imported: validate stays light.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import sql
from ..catalog import Catalog, ResolvedMetric
from ..diagnostics import Diagnostic
from ..model import (BalanceMetric, ComparisonMetric, ConversionMetric, CumulativeMetric,
                     EntityMetric, FormulaMetric, Grain, Metric, MetricBase)

_ORDER = [g.value for g in Grain]  # finest first: the enum's order, as the compiler ranks them


def not_flat(name: str, of: str) -> str:
    """run's words (engine/compile/values.py) for a window over a windowed value."""
    return (f"'{name}' accumulates '{of}', which is not built from counts and sums of rows; "
            "accumulate the metrics it is made of")


def not_additive(name: str, of: str) -> str:
    """run's words (engine/compile/values.py) for a window over an average or a median."""
    return (f"'{name}' accumulates '{of}', whose aggregate is not a count or a sum; a running "
            "total of averages or medians is not meaningful")


def to_date_too_coarse(name: str, within: str, grain: str) -> str:
    """run's words (engine/compile/plan.py) for a to-date total at too coarse a grain."""
    return (f"'{name}' accumulates to date within a {within}; ask for a grain finer than "
            f"{within}, not {grain}")


def accumulated_inputs(catalog: Catalog) -> Iterator[Diagnostic]:
    """cannot-accumulate: a trailing or to-date total adds up counts and sums of rows.

    A running total of an average is not an average over the window, and a window over a
    value that is itself a window (a comparison, a balance, another running total, a
    per-entity aggregate) is not computed. A ratio of sums accumulates its two sides.

    bad:  ``{name: avg_deal_t3, of: average_deal_size, trailing: 3}`` (avg(amount))
    good: ``of:`` a ratio, ``numerator: sum(amount)``, ``denominator: count(*)``
    """
    for metric in catalog.metrics.values():
        model = metric.model
        if not isinstance(model, CumulativeMetric) or model.of not in catalog.metrics:
            continue
        span = model.spans.value(("of",))
        if not flat(catalog, model.of):
            yield Diagnostic("cannot-accumulate", not_flat(model.name, model.of), span,
                             "name in 'of' a metric built from counts and sums of rows; a "
                             "comparison, a balance, an entity metric or another cumulative "
                             "metric cannot be accumulated again")
        elif not all(sql.additive(s.expr) for s in _leaves(catalog, model.of)):
            yield Diagnostic("cannot-accumulate", not_additive(model.name, model.of), span,
                             "accumulate a ratio of sums instead, e.g. numerator: sum(amount) "
                             "and denominator: count(*) for a trailing average")


def to_date_grains(catalog: Catalog) -> Iterator[Diagnostic]:
    """to-date-grain: a metric's own grain is finer than every to-date total it shows.

    A month-to-date total by month is only the month's total; `metrics run` without
    ``--grain`` asks for the metric's own grain (default month), and refuses it.

    bad:  ``{name: won_mtd, of: won_revenue, to_date: month}`` (grain: month, the default)
    good: ``{name: won_mtd, of: won_revenue, to_date: month, grain: day}``
    """
    for metric in catalog.metrics.values():
        model, grain = metric.model, metric.model.grain
        if grain.value == "all":
            continue  # whole_range_windows
        for total in _needed(catalog, metric):
            if not isinstance(total, CumulativeMetric) or total.to_date is None \
                    or fits(total.to_date, grain):
                continue
            written = ("grain",) in model.spans.values
            where = ("grain",) if written else ("to_date",) if model is total else ("of",)
            yield Diagnostic("to-date-grain",
                             to_date_too_coarse(total.name, total.to_date.value, grain.value),
                             model.spans.value(where), _grain_hint(total, grain, written))
            break


_OVER_PERIODS = {ComparisonMetric: "compares periods", CumulativeMetric: "accumulates over "
                 "periods", BalanceMetric: "is a balance at each period's start or end"}


def whole_range(name: str, kind: type) -> str:
    """run's words (engine/compile/plan.py) for a window at ``--grain all``."""
    return (f"'{name}' {_OVER_PERIODS[kind]}; --grain all has one period, the whole range: "
            "ask for a grain such as month")


def whole_range_windows(catalog: Catalog) -> Iterator[Diagnostic]:
    """grain-all-window: a metric shown over the whole range (``grain: all``) is not, and
    is not built from, a comparison, a cumulative total or a balance: one period has no
    period before it.

    bad:  ``{name: won_ytd, of: won_revenue, to_date: year, grain: all}``
    good: ``{name: won_ytd, of: won_revenue, to_date: year}`` and ``--grain all`` on won_revenue
    """
    for metric in catalog.metrics.values():
        if metric.model.grain.value != "all":
            continue
        windowed = next((m for m in _needed(catalog, metric) if type(m) in _OVER_PERIODS),
                        None)
        if windowed is not None:
            yield Diagnostic("grain-all-window", whole_range(windowed.name, type(windowed)),
                             metric.model.spans.value(("grain",)),
                             "set 'grain:' to a grain such as month (the default)")


def _grain_hint(total: CumulativeMetric, grain: Grain, written: bool) -> str:
    finer = [g for g in _ORDER if fits(total.to_date, Grain(g))]  # type: ignore[arg-type]
    if not finer:
        return "no grain is finer than a day: accumulate to date within a week or longer"
    own = "" if written else f"its grain is {grain.value} (the default): "
    within = total.to_date.value  # type: ignore[union-attr]
    return f"{own}set a grain finer than {within}, e.g. 'grain: {finer[-1]}'"


def fits(within: Grain, grain: Grain) -> bool:
    """A to-date total within ``within`` shown at ``grain``: a finer grain, and no weeks in a
    month (the compiler's test too, engine/compile/plan.py)."""
    return _ORDER.index(within.value) > _ORDER.index(grain.value) and not (
        grain is Grain.week and within is Grain.month)


def _needed(catalog: Catalog, metric: ResolvedMetric) -> Iterator[MetricBase]:
    """The metrics a request for ``metric`` computes, itself first, each once, in the order
    the compiler plans them."""
    seen: set[str] = set()
    stack = [metric.name]
    while stack:
        current = catalog.metrics.get(stack.pop())
        if current is None or current.name in seen:
            continue
        seen.add(current.name)
        yield current.model
        stack.extend(reversed(list(current.references())))


def flat(catalog: Catalog, name: str) -> bool:
    """A metric made of aggregated columns by arithmetic alone (what a window may read; the
    compiler's test too, engine/compile/values.py)."""
    metric = catalog.metrics.get(name)
    if metric is None:
        return True  # reported where it is named
    if isinstance(metric.model, (Metric, ConversionMetric)):
        return all(s.metric is None or flat(catalog, s.metric) for s in metric.sides())
    if isinstance(metric.model, FormulaMetric):
        return all(flat(catalog, r) for r in metric.refs)
    return False


def _leaves(catalog: Catalog, name: str) -> Iterator:
    """The sides a flat metric aggregates from a source, through the metrics it names."""
    metric = catalog.metrics.get(name)
    if metric is None or isinstance(metric.model, EntityMetric):
        return
    for side in metric.sides():
        if side.metric:
            yield from _leaves(catalog, side.metric)
        elif side.expr is not None:
            yield side
    for ref in metric.refs:
        yield from _leaves(catalog, ref)
