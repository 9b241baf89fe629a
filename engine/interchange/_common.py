"""What the exporters share: the report, whole-or-nothing output, and metrics as one aggregate.

A metric a warehouse's semantic layer can hold is one aggregate expression over the rows of
one source, bucketed by one time column: a plain metric, a ratio of two such sides (or of
metrics that are such), a formula over them. :func:`expressible` decides it, once, for every
metric of a catalog, with the reason when a metric is not (a balance, a window, a mix of
sources or time columns...). Each exporter then renders the expressions in its own dialect.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from ..catalog import Catalog, ResolvedMetric, Side
from ..diagnostics import UsageError
from ..model import (NO_TIME, BalanceMetric, ComparisonMetric, ConversionMetric, CumulativeMetric,
                     EntityMetric, FormulaMetric, Metric, ShareMetric)

# Why a kind has no place in a semantic view / metric view (one aggregate over rows).
KIND_REASONS = {
    ConversionMetric: "a conversion within N days counts, per cohort, rows that reach a "
                      "second step in time; a measure aggregates rows, not windows",
    BalanceMetric: "a balance is what is open at each period's start or end, computed from "
                   "the period's boundaries; a measure aggregates the rows of the period",
    CumulativeMetric: "a cumulative or rolling window runs over periods; a measure "
                      "aggregates the rows of one period",
    ComparisonMetric: "a period-over-period comparison needs the earlier period's value; a "
                      "measure has no offset in time",
    EntityMetric: "an aggregate of a per-entity aggregate needs two levels of grouping",
    ShareMetric: "a share of the total across groups depends on the request's grouping",
}


@dataclass
class Report:
    """Lines for stderr: one per metric not exported, then notes on what has no slot."""

    target: str
    verb: str = "not exported"
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.setdefault(name, reason)

    def lines(self) -> list[str]:
        return ([f"{self.target}: {self.verb}: {name}: {why}"
                 for name, why in self.skipped.items()]
                + [f"{self.target}: note: {note}" for note in self.notes])

    def emit(self) -> None:
        for line in self.lines():
            print(line, file=sys.stderr)


def to_sql(tree: exp.Expression, dialect: str) -> str:
    """Render for a dialect; something it cannot express raises instead of a warning."""
    return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)


def transpile(text: str, read: str, write: str) -> str:
    return to_sql(sqlglot.parse_one(text, read=read), write)


def write_text(output: Path | None, text: str) -> None:
    """stdout, or the file written whole or not at all (a temporary file, then a rename)."""
    if output is None:
        sys.stdout.write(text)
        return
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; name a file")
    _atomic(output, text)


def write_files(output: Path | None, files: dict[str, str]) -> None:
    """Several files: into the folder ``output`` (each written whole), or to stdout as YAML
    documents separated by ``---``."""
    if output is None:
        sys.stdout.write("---\n".join(files.values()))
        return
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; this export writes one file per view "
                         "into a folder")
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        _atomic(output / name, text)


def _atomic(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise UsageError(f"--output {path}: folder {path.parent} does not exist")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def raw_jinja(value: Any) -> Any:
    """``value`` with every string that holds a Jinja opener (``{{``, ``{%``, ``{#``) wrapped
    in ``{% raw %}``: the project's files are rendered by Jinja, and what was imported must
    read as it was written."""
    if isinstance(value, str) and ("{{" in value or "{%" in value or "{#" in value):
        return "{% raw %}" + value + "{% endraw %}"
    if isinstance(value, dict):
        return {k: raw_jinja(v) for k, v in value.items()}
    if isinstance(value, list):
        return [raw_jinja(v) for v in value]
    return value


def dump_yaml(data: object) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# -- which metrics are one aggregate over one source and time column -----------------------

@dataclass(frozen=True)
class Home:
    """The source and time column every leaf aggregate of a metric reads."""

    source: str
    time: str | None


Refusal = Callable[[str, Home], "str | None"]


def expressible(catalog: Catalog, refuse: Refusal | None = None
                ) -> tuple[dict[str, Home], dict[str, str]]:
    """Every metric as one aggregate: ``{name: Home}``, and ``{name: reason}`` for the rest.

    ``refuse(name, home)`` lets a format turn down a metric this module would keep (a reason,
    or None); a metric built on one that is turned down is reported too."""
    homes: dict[str, Home] = {}
    reasons: dict[str, str] = {}
    for name in catalog.metrics:
        _settle(catalog, name, homes, reasons, (), refuse)
    return homes, reasons


def _settle(catalog: Catalog, name: str, homes: dict[str, Home], reasons: dict[str, str],
            path: tuple[str, ...], refuse: Refusal | None) -> None:
    if name in homes or name in reasons:
        return
    metric = catalog.metrics[name]
    found: set[Home] = set()
    for kind, why in KIND_REASONS.items():
        if isinstance(metric.model, kind):
            reasons[name] = why
            return
    if isinstance(metric.model, Metric) and metric.model.snapshot:
        reasons[name] = ("'snapshot: last' takes the last snapshot of each period "
                         "(semi-additive); a measure sums or counts every row")
        return
    if isinstance(metric.model, FormulaMetric) and metric.model.min_denominator is not None:
        reasons[name] = "a formula's min_denominator has no place in a measure"
        return
    for side in metric.sides():
        if side.metric is None:  # a timeless side (time: none) has no column to bucket by
            found.add(Home(side.source or "", None if side.time == NO_TIME else side.time))
    for ref in metric_refs(metric):
        if ref in path:
            continue
        _settle(catalog, ref, homes, reasons, path + (name,), refuse)
        if ref in reasons:
            reasons[name] = f"it is built on '{ref}', which is not exported"
            return
        found.add(homes[ref])
    if len(found) != 1:
        parts = ", ".join(sorted(f"{h.source}.{h.time}" for h in found))
        reasons[name] = (f"it combines aggregates on different sources or time columns "
                         f"({parts}); one measure reads one table, bucketed by one time column")
        return
    home = found.pop()
    why = refuse(name, home) if refuse else None
    if why:
        reasons[name] = why
        return
    homes[name] = home


def metric_refs(metric: ResolvedMetric) -> list[str]:
    refs = [side.metric for side in metric.sides() if side.metric]
    return refs + [r for r in metric.refs if r not in refs]


# -- the expression of a metric --------------------------------------------------------------

def side_tree(side: Side, style: str = "case") -> exp.Expression:
    """A side's aggregate with its filters applied inside: CASE WHEN (as the engine does),
    or ``FILTER (WHERE ...)`` for dialects that have it."""
    condition = _and(side.filters)
    if style == "case" or condition is None:
        from ..sql import conditional

        return conditional(side.expr, condition.copy() if condition else None)
    from ..sql import aggregates

    tree = side.expr.copy()
    for agg in aggregates(tree):
        filtered = exp.Filter(this=agg.copy(), expression=exp.Where(this=condition.copy()))
        if agg is tree:
            return filtered
        agg.replace(filtered)
    return tree


def filled(metric: ResolvedMetric, side: Side, tree: exp.Expression) -> exp.Expression:
    """A side's value as the engine shows it: 0 where a count or sum found no rows (or as
    the metric's ``fill`` says), empty for a 0 it must not show."""
    from ..sql import additive, aggregates

    fill = getattr(metric.model, "fill", None)
    zero = fill.value == "zero" if fill is not None else additive(side.expr)
    if zero:
        if all(isinstance(a, exp.Count) for a in aggregates(tree)):
            return tree  # COUNT is never NULL
        return exp.Coalesce(this=tree, expressions=[exp.Literal.number(0)])
    if additive(side.expr):
        return exp.Nullif(this=tree, expression=exp.Literal.number(0))
    return tree


def _and(filters: tuple[exp.Expression, ...]) -> exp.Expression | None:
    from ..sql import conjunction

    return conjunction(filters)


def ratio(numerator: exp.Expression, denominator: exp.Expression,
          minimum: float | None) -> exp.Expression:
    """``num / NULLIF(den, 0)``, empty below ``min_denominator`` as the engine shows it."""
    from ..sql import cast

    safe = exp.Div(this=cast(numerator, "DOUBLE", copy=False),
                   expression=exp.Nullif(this=exp.paren(denominator.copy(), copy=False),
                                         expression=exp.Literal.number(0)))
    if minimum is None:
        return safe
    enough = exp.GTE(this=exp.paren(denominator, copy=False),
                     expression=_number(minimum))
    return exp.Case(ifs=[exp.If(this=enough, true=safe)])


def _number(value: float) -> exp.Expression:
    return exp.Literal.number(int(value) if float(value).is_integer() else value)


def formula_tree(metric: ResolvedMetric, ref: Callable[[str], exp.Expression]
                 ) -> exp.Expression:
    """The formula with each metric it names replaced by ``ref(name)`` and every division
    made safe (empty, not an error, when dividing by 0), as the engine computes it."""
    tree = metric.formula.copy()
    for div in list(tree.find_all(exp.Div)):
        div.set("expression", exp.Nullif(this=div.expression.copy(),
                                          expression=exp.Literal.number(0)))
    for col in list(tree.find_all(exp.Column)):
        if not col.table and col.name in metric.refs:
            col.replace(exp.paren(ref(col.name), copy=False))
    return tree


def metric_tree(catalog: Catalog, name: str, style: str = "case",
                ref: Callable[[str], exp.Expression] | None = None) -> exp.Expression:
    """A plain metric or a formula as one expression over its sources' columns (qualified
    by source name). A metric it is built on is inlined, or ``ref(name)`` when given."""
    metric = catalog.metrics[name]

    def part(side: Side | None) -> exp.Expression | None:
        if side is None:
            return None
        if side.metric is None:
            return filled(metric, side, side_tree(side, style))
        return ref(side.metric) if ref else metric_tree(catalog, side.metric, style)

    if isinstance(metric.model, FormulaMetric):
        return formula_tree(metric, ref or (lambda n: metric_tree(catalog, n, style)))
    assert isinstance(metric.model, Metric), f"{name} is a {type(metric.model).__name__}"
    numerator, denominator = part(metric.numerator), part(metric.denominator)
    if denominator is None:
        return numerator
    return ratio(numerator, denominator, metric.model.min_denominator)


def time_columns(catalog: Catalog, source: str) -> list[str]:
    """The source's time column and every other one a metric on it buckets or counts by."""
    found = [catalog.sources[source].model.time]
    for metric in catalog.metrics.values():
        found += [s.time for s in metric.sides() if s.source == source]
        model = metric.model
        if getattr(model, "source", None) == source:
            if isinstance(model, BalanceMetric):
                found += [model.balance.opens, model.balance.closes]
            if isinstance(model, ConversionMetric):
                found += [model.conversion.start, model.conversion.end]
    return [t for t in dict.fromkeys(found) if t and t != "none" and "." not in t]


def unqualify(tree: exp.Expression, table: str) -> exp.Expression:
    for col in tree.find_all(exp.Column):
        if col.table == table:
            col.set("table", None)
    return tree


def columns_of(tree: exp.Expression, table: str) -> list[str]:
    """The columns of ``table`` an expression reads, in order of appearance."""
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column) if c.table == table))


def equi_pairs(on: exp.Expression, left: str, right: str) -> list[tuple[str, str]] | None:
    """``a.x = b.y AND a.z = b.w`` as ``[(x, y), (z, w)]``; None for any other condition."""
    parts = list(on.flatten()) if isinstance(on, exp.And) else [on]
    pairs = []
    for part in parts:
        part = part.unnest()
        if not isinstance(part, exp.EQ):
            return None
        a, b = part.this, part.expression
        if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
            return None
        if a.table == right and b.table == left:
            a, b = b, a
        if a.table != left or b.table != right:
            return None
        pairs.append((a.name, b.name))
    return pairs


__all__ = ["Home", "KIND_REASONS", "Report", "SqlglotError", "columns_of", "dump_yaml",
           "equi_pairs", "expressible", "formula_tree", "metric_refs", "metric_tree", "ratio",
           "side_tree", "time_columns", "to_sql", "transpile", "unqualify", "write_files",
           "write_text"]
