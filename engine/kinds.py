"""Resolve the metric kinds beyond numerator/denominator into the same few parts.

A conversion becomes a ratio of two counts on its source; a balance becomes the rows that
open and the rows that close; a formula keeps its parsed tree, whose column names are
metrics; cumulative, comparison and entity metrics keep the name of the metric they are of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import sides
from .catalog import ResolvedMetric
from .diagnostics import Diagnostic, did_you_mean, one_of
from .model import (BalanceMetric, ComparisonMetric, ConversionMetric, CumulativeMetric,
                    EntityMetric, FormulaMetric, MetricBase)

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
    raise TypeError(f"unexpected metric kind {type(metric).__name__}")


def _conversion(metric: ConversionMetric, loaded: Loaded, out: list[Diagnostic]):
    conv = metric.conversion
    start, end = exp.column(conv.start), exp.column(conv.end)
    reached: list[exp.Expression] = [exp.Not(this=exp.Is(this=end, expression=exp.Null()))]
    if conv.within_days is not None:
        limit = exp.DateAdd(this=start.copy(), expression=exp.Literal.number(conv.within_days),
                            unit=exp.var("DAY"))
        reached.append(exp.LTE(this=end.copy(), expression=limit))
    num = sides.expression_side(metric, "conversion", "count(*)", loaded, out,
                                  time=conv.start, extra=tuple(reached))
    den = sides.expression_side(metric, "conversion", "count(*)", loaded, out, time=conv.start)
    if num is None or den is None:
        return None
    return ResolvedMetric(metric, numerator=num, denominator=den)


def _balance(metric: BalanceMetric, loaded: Loaded, out: list[Diagnostic]):
    spec = metric.balance
    opens = sides.expression_side(metric, "measure", metric.measure, loaded, out,
                                    time=spec.opens)
    closes = sides.expression_side(metric, "measure", metric.measure, loaded, out,
                                     time=spec.closes) if spec.closes else None
    if opens is None or (spec.closes and closes is None):
        return None
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
