"""Numerators, denominators and other sides: an aggregate written on a source, parsed.

Both the plain metrics (:mod:`.resolve`) and the other kinds (:mod:`.kinds`) build their
sides here, so neither imports the other.
"""

from __future__ import annotations

from sqlglot import exp

from . import sql
from .catalog import Side
from .diagnostics import Diagnostic, Span, did_you_mean, one_of
from .loader import Loaded
from .model import Measure, Metric, MetricBase, Source


def parse(text: str, model: Source | MetricBase | Measure, loc: tuple[str | int, ...],
          dialect: str, out: list[Diagnostic], query: bool = False) -> exp.Expression | None:
    spans = model.spans
    if loc in spans.broken:
        return None  # its template failed; that is already reported
    tree, problems = sql.parse_fragment(text, dialect, spans.value(loc),
                                        spans.quoted.get(loc, 0), query=query)
    out.extend(problems)
    return tree


def expression_side(metric: MetricBase, which: str, value: str, loaded: Loaded,
                    out: list[Diagnostic], time: str | None = None,
                    extra: tuple[exp.Expression, ...] = ()) -> Side | None:
    """A side from an aggregate written at ``metric.<which>``, with optional extra filters."""
    side = measure_side(metric, which, value, loaded, out)  # type: ignore[arg-type]
    if side is None:
        return None
    qualified = tuple(sql.qualify(f, side.source or "", {}) for f in extra)
    return Side(side.span, side.text, None, side.source, time or side.time, side.expr,
                side.filters + qualified, side.filter_spans + (side.span,) * len(extra),
                side.filter_texts + tuple(f.sql() for f in extra))


def unknown_metric(name: str, which: str, span: Span, loaded: Loaded) -> Diagnostic:
    return Diagnostic("unknown-metric", f"{which} names unknown metric '{name}'", span,
                      did_you_mean(name, loaded.metrics) or one_of(loaded.metrics))


def measure_side(metric: Metric, which: str, value: str | Measure, loaded: Loaded,
                 out: list[Diagnostic]) -> Side | None:
    dialect = loaded.project.dialect
    measure = value if isinstance(value, Measure) else None
    loc: tuple[str, ...] = (which, "expr") if measure else (which,)
    source_name = (measure and measure.source) or metric.source
    if not source_name and isinstance(value, str) and value.isidentifier():
        out.append(unknown_metric(value, which, metric.spans.value((which,)), loaded))
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
    filters = [(parse(text, metric, loc_, dialect, out), metric.spans.value(loc_))
               for text, loc_ in texts]
    expr = parse(measure.expr if measure else value, metric, loc, dialect, out)  # type: ignore
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
