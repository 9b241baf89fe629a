"""What the loader read, resolved into a :class:`~.catalog.Catalog`.

Every fragment that does not parse and every name that points nowhere is reported; nothing
stops at the first problem.
"""

from __future__ import annotations


from sqlglot import exp

from . import kinds
from .access import resolved
from .catalog import Catalog, ResolvedMetric, ResolvedSource, Side
from .diagnostics import Diagnostic
from .loader import Loaded
from .model import Measure, Metric, Source
from .sides import measure_side, parse, unknown_metric


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
        return exp.to_table(source.table, dialect=loaded.project.dialect)
    if source.sql:
        query = parse(source.sql, source, ("sql",), loaded.project.dialect, out, query=True)
        return query.subquery() if query is not None else None
    path = resolved(loaded.root, source.path or "")
    reader = "read_csv_auto" if path.suffix.lower() in (".csv", ".tsv", ".gz") else "read_parquet"
    return exp.Table(this=exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(path))]))


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
