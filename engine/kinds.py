"""Resolve the metric kinds beyond numerator/denominator into the same few parts.

A conversion becomes a ratio of two counts on its source; a balance becomes the rows that
open and the rows that close; a formula keeps its parsed tree, whose column names are
metrics; cumulative, comparison and entity metrics keep the name of the metric they are of.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from sqlglot import exp

from . import sides, sql
from .catalog import ResolvedMetric
from .diagnostics import Diagnostic, did_you_mean, one_of
from .model import ShareMetric
from .model import (BalanceMetric, ComparisonMetric, ConversionMetric, ConversionWindow,
                    CumulativeMetric, EntityMetric, FormulaMetric, MetricBase)

if TYPE_CHECKING:
    from .loader import Loaded

VALUE = "value"  # the placeholder an entity condition compares


def resolve(metric: MetricBase, loaded: Loaded, out: list[Diagnostic]):
    if isinstance(metric, ConversionMetric):
        return _conversion(metric, loaded, out)
    if isinstance(metric, BalanceMetric):
        return _balance(metric, loaded, out)
    if isinstance(metric, FormulaMetric):
        return _formula(metric, loaded, out)
    if isinstance(metric, (CumulativeMetric, ComparisonMetric, EntityMetric)):
        return _derived(metric, loaded, out)
    if isinstance(metric, ShareMetric):
        return _share(metric, loaded, out)
    raise TypeError(f"unexpected metric kind {type(metric).__name__}")


def _conversion(metric: ConversionMetric, loaded: Loaded, out: list[Diagnostic]):
    """Rows reaching ``end`` (in the window, if any) over all rows, both on ``start``'s time.

    ``end`` may be a column of a source the metric's source joins (``accounts.x``): the
    condition names the join, and the scan adds that join as for any filter that names one.
    """
    conv = metric.conversion
    start, end = exp.column(conv.start), _column(conv.end)
    if not _joined(metric, end.table, loaded, out):
        return None
    # said even with a window (which no empty end is in): lint reads it against the filters
    reached: list[exp.Expression] = [exp.Not(this=exp.Is(this=end, expression=exp.Null()))]
    window = conv.window
    if window is not None:
        zones = (_zone(loaded, metric.source, None), _zone(loaded, metric.source, end.table))
        reached += _in_window(window, start, end, *zones)
    num = sides.expression_side(metric, "conversion", "count(*)", loaded, out,
                                  time=conv.start, extra=tuple(reached))
    den = sides.expression_side(metric, "conversion", "count(*)", loaded, out, time=conv.start)
    if num is None or den is None:
        return None
    return ResolvedMetric(metric, numerator=num, denominator=den)


def _column(name: str) -> exp.Column:
    """``col`` or ``join.col``, as a column of the source or of the join."""
    table, _, column = name.rpartition(".")
    return exp.column(column, table=table or None)


def _joined(metric: ConversionMetric, table: str, loaded: Loaded,
            out: list[Diagnostic]) -> bool:
    """Whether ``end``'s ``join.`` names one of the source's joins (or the source itself)."""
    source = loaded.sources.get(metric.source)
    if not table or source is None or table == source.name:
        return True  # an unknown source is reported with the numerator
    known = {source.name} | {j.alias for j in source.joins}
    if table in known:
        return True
    out.append(Diagnostic("unknown-join", f"'{table}' is not joined to source "
                          f"'{source.name}'", metric.spans.value(("conversion", "end")),
                          did_you_mean(table, known) or f"add a join to '{source.name}' or "
                          "use one of: " + ", ".join(sorted(known))))
    return False


def _zone(loaded: Loaded, source: str, table: str | None) -> str | None:
    """The time zone a column of the source (or of its join ``table``) is read in, as the
    scans read the time column (compile/scans.py ``_local_time``): the project's, unless
    the column's source says its times are already local (``timezone: none``)."""
    zone = loaded.project.timezone
    owner = loaded.sources.get(source)
    if owner is not None and table and table != source:
        join = next((j for j in owner.joins if j.alias == table), None)
        owner = loaded.sources.get(join.to) if join else None
    if not zone or owner is None or owner.timezone == "none":
        return None
    return zone


def _local(column: exp.Expression, zone: str | None) -> exp.Expression:
    """The column in local time (stored as UTC): the same expression the scans group by."""
    if zone is None:
        return column.copy()
    return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"),
                               target_tz=exp.Literal.string(zone), timestamp=column.copy())


def _in_window(window: ConversionWindow, start: exp.Column, end: exp.Column,
               start_zone: str | None, end_zone: str | None) -> list[exp.Expression]:
    """The end within the window after the start (never before it).

    calendar: ``0 <= end date - start date <= days``, each a local date (the day the period
    of the start is counted in), whatever the time of day; elapsed: ``start <= end <=
    start + days`` on the stored instants (both in local time when only one is stored as
    UTC, so that they compare).
    """
    days = exp.Literal.number(window.days)
    if window.count == "calendar":
        diff = exp.DateDiff(this=sql.cast(_local(end, end_zone), "DATE", copy=False),
                            expression=sql.cast(_local(start, start_zone), "DATE", copy=False),
                            unit=exp.var("DAY"))
        return [exp.Between(this=diff, low=exp.Literal.number(0), high=days)]
    if start_zone != end_zone:
        start, end = _local(start, start_zone), _local(end, end_zone)  # type: ignore[assignment]
    limit = exp.DateAdd(this=start.copy(), expression=days, unit=exp.var("DAY"))
    return [exp.GTE(this=end.copy(), expression=start.copy()),
            exp.LTE(this=end.copy(), expression=limit)]


def _balance(metric: BalanceMetric, loaded: Loaded, out: list[Diagnostic]):
    spec = metric.balance
    opens = sides.expression_side(metric, "measure", metric.measure, loaded, out,
                                    time=spec.opens)
    closes = sides.expression_side(metric, "measure", metric.measure, loaded, out,
                                     time=spec.closes) if spec.closes else None
    if opens is None or (spec.closes and closes is None):
        return None
    if spec.days:  # a row closes `days` after it opens: the same column, shifted
        closes = dataclasses.replace(opens, shift_days=spec.days)
    return ResolvedMetric(metric, opens=opens, closes=closes)


def _formula(metric: FormulaMetric, loaded: Loaded, out: list[Diagnostic]):
    tree = sides.parse(metric.formula, metric, ("formula",), loaded.project.dialect, out)
    if tree is None:
        return None
    names = []
    for col in tree.find_all(exp.Column):
        if col.table or col.name not in loaded.metrics:
            name = col.sql()
            out.append(Diagnostic("unknown-metric", f"formula names unknown metric '{name}'",
                                  metric.spans.value(("formula",)),
                                  did_you_mean(name, loaded.metrics) or one_of(loaded.metrics)))
            return None
        names.append(col.name)
    if tree.find(exp.AggFunc, exp.Window):
        out.append(Diagnostic("aggregate-in-formula", "a formula combines metrics; it cannot "
                              "aggregate", metric.spans.value(("formula",)),
                              "write the aggregate as a metric and name it here"))
        return None
    return ResolvedMetric(metric, formula=tree, refs=tuple(dict.fromkeys(names)))


def _share(metric: ShareMetric, loaded: Loaded, out: list[Diagnostic]):
    """A share keeps the name of the metric it shares (checked by rules/shares.py)."""
    if metric.share_of not in loaded.metrics:
        out.append(Diagnostic("unknown-metric", f"'share_of' names unknown metric "
                              f"'{metric.share_of}'", metric.spans.value(("share_of",)),
                              did_you_mean(metric.share_of, loaded.metrics)
                              or one_of(loaded.metrics)))
        return None
    return ResolvedMetric(metric, refs=(metric.share_of,))


def _derived(metric: CumulativeMetric | ComparisonMetric | EntityMetric, loaded: Loaded,
             out: list[Diagnostic]):
    if metric.of not in loaded.metrics:
        out.append(Diagnostic("unknown-metric", f"'of' names unknown metric '{metric.of}'",
                              metric.spans.value(("of",)),
                              did_you_mean(metric.of, loaded.metrics) or one_of(loaded.metrics)))
        return None
    condition = None
    if isinstance(metric, EntityMetric) and metric.condition:
        condition = sides.parse(f"{VALUE} {metric.condition}", metric, ("condition",),
                                  loaded.project.dialect, out)
        if condition is None:
            return None
        if not isinstance(condition, exp.Predicate) or \
                {c.sql() for c in condition.find_all(exp.Column)} != {VALUE}:
            out.append(Diagnostic("invalid-condition", f"condition '{metric.condition}' must "
                                  "compare the per-entity value", metric.spans.value(
                                      ("condition",)), "write it like '>= 1' or '> 1000'"))
            return None
    return ResolvedMetric(metric, condition=condition, refs=(metric.of,))
