"""Lint rules: style and likely mistakes for CI, each with a severity the project can set.

The other rules find definitions that cannot work and are always errors. These find
definitions that work but should not pass review; each code has a default severity, and the
project file may change it (``off``, ``warning`` or ``error``)::

    # project.yml
    lint:
      missing-owner: off
      ratio-not-subset: error

A warning is reported but does not fail `metrics validate` (unless ``--strict``), nor stop
`metrics run`; an error does both. Codes are stable and never renumbered; `DEFAULTS` lists
them with their default severities. An unknown code under ``lint:`` is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from sqlglot import exp

from .. import conditions
from ..catalog import Catalog, ResolvedMetric, Side
from ..diagnostics import Diagnostic, Severity, Span, did_you_mean, one_of
from ..model import Format, Metric, Project

DEFAULTS: dict[str, Severity] = {}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def lint(*codes: str, default: Severity = "warning") -> Callable:
    """Register a rule's codes with their default severity."""
    def register(rule: Callable) -> Callable:
        DEFAULTS.update(dict.fromkeys(codes, default))
        rule.lint_codes = codes  # type: ignore[attr-defined]
        return rule
    return register


def levels(project: Project) -> dict[str, str]:
    """The severity of every lint code: its default, or what the project file says."""
    return {**DEFAULTS, **{k: v for k, v in project.lint.items() if k in DEFAULTS}}


def enabled(rule: Callable, levels_: dict[str, str]) -> bool:
    codes = getattr(rule, "lint_codes", ())
    return not codes or any(levels_[c] != "off" for c in codes)


def leveled(found: Iterable[Diagnostic], levels_: dict[str, str]) -> Iterator[Diagnostic]:
    """Each diagnostic at its configured severity; lint codes turned off are dropped."""
    for d in found:
        level = levels_.get(d.code)
        if level is None:
            yield d
        elif level != "off":
            yield d if d.severity == level else replace(d, severity=level)  # type: ignore


def settings(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-lint-rule: every key under ``lint:`` is a lint code (always an error).

    bad:   ``lint: {missing-ower: off}``
    good:  ``lint: {missing-owner: off}``
    """
    for code in catalog.project.lint:
        if code not in DEFAULTS:
            yield Diagnostic("unknown-lint-rule", f"'{code}' is not a lint rule",
                             catalog.project.spans.key(("lint", code)),
                             did_you_mean(code, DEFAULTS) or one_of(DEFAULTS))


@lint("snake-case")
def snake_case(catalog: Catalog) -> Iterator[Diagnostic]:
    """snake-case: metric, source and dimension names are lower_snake_case.

    bad::

        metrics:
          - name: WinRate

    good::

        metrics:
          - name: win_rate
    """
    for source in catalog.sources.values():
        yield from _snake(source.model.name, "source", source.model.spans.value(("name",)))
        for dim in source.model.dimensions:
            yield from _snake(dim, "dimension", source.model.spans.key(("dimensions", dim)))
    for metric in catalog.metrics.values():
        yield from _snake(metric.name, "metric", metric.model.spans.value(("name",)))


def _snake(name: str, kind: str, span: Span) -> Iterator[Diagnostic]:
    if not SNAKE_CASE.match(name):
        fixed = re.sub(r"_+", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)).strip("_")
        yield Diagnostic("snake-case", f"{kind} name '{name}' is not snake_case", span,
                         f"rename it '{fixed.lower()}'")


@lint("missing-label", "missing-description", "missing-owner")
def documented(catalog: Catalog) -> Iterator[Diagnostic]:
    """missing-label, missing-description, missing-owner: every metric says what it is and
    who answers for it (blank text counts as missing).

    bad::

        - name: win_rate
          source: opportunities
          numerator: count(*)

    good::

        - name: win_rate
          label: Opportunity win rate
          description: Won opportunities over all opportunities closed in the period.
          owner: sales-ops
          source: opportunities
          numerator: count(*)
    """
    hints = {"label": "a short title for tables, e.g. 'Opportunity win rate'",
             "description": "one sentence on what it counts and over which rows",
             "owner": "the team that answers for it, e.g. 'sales-ops'"}
    for metric in catalog.metrics.values():
        for key, hint in hints.items():
            if not (getattr(metric.model, key) or "").strip():
                yield Diagnostic(f"missing-{key}", f"metric '{metric.name}' has no {key}",
                                 metric.model.spans.value(()), f"add '{key}:', {hint}")


@lint("missing-format")
def formatted(catalog: Catalog) -> Iterator[Diagnostic]:
    """missing-format: every metric writes its ``format`` out, even ``number``.

    This is what "a format on every KPI" means here: every metric is shown by its format
    (45.2%, $1,200, 12.0 d), and the default, ``number``, is right for counts only; without
    the key, a win rate silently shows as 0.452.

    bad::

        - name: win_rate
          numerator: count(*)
          denominator: count(*)

    good::

        - name: win_rate
          numerator: count(*)
          denominator: count(*)
          format: percent
    """
    for metric in catalog.metrics.values():
        if "format" not in metric.model.model_fields_set:
            guess = "percent" if metric.denominator is not None else "number"
            others = ", ".join(f.value for f in Format if f.value != guess)
            yield Diagnostic("missing-format", f"metric '{metric.name}' has no format",
                             metric.model.spans.value(()), f"add 'format: {guess}' (or "
                             f"{others}), even for plain numbers")


@lint("unused-source")
def unused_sources(catalog: Catalog) -> Iterator[Diagnostic]:
    """unused-source: every source is read by a metric, directly or through a join.

    bad::

        sources:
          - {name: leads, table: leads, time: created_at}    # no metric reads leads

    good::

        metrics:
          - {name: leads_created, source: leads, numerator: count(*)}
    """
    used = _used_sources(catalog)
    for name, source in catalog.sources.items():
        if name not in used:
            yield Diagnostic("unused-source", f"source '{name}' is not read by any metric, "
                             "directly or through a join", source.model.spans.value(("name",)),
                             "define a metric on it, join it from a source in use, or remove it")


def _used_sources(catalog: Catalog) -> set[str]:
    used = {side.source for m in catalog.metrics.values() for side in m.sides() if side.source}
    todo = list(used)
    while todo:
        source = catalog.sources.get(todo.pop())
        for join in source.model.joins if source else ():
            if join.to not in used:
                used.add(join.to)
                todo.append(join.to)
    return used


@lint("unused-dimension")
def unused_dimensions(catalog: Catalog) -> Iterator[Diagnostic]:
    """unused-dimension: every dimension of a source in use can group some metric.

    A metric may be grouped by the dimensions it lists (or, without a list, by every
    dimension its sources reach); a dimension no metric can be grouped by is dead code
    (`--where` may still filter on it; turn this rule off if that is what it is for).

    bad::

        sources:
          - name: reps
            dimensions: {region: region, manager: manager}
        metrics:
          - {name: quota, source: quotas, numerator: sum(quota), dimensions: [region]}

    good::

        metrics:
          - {name: quota, source: quotas, numerator: sum(quota), dimensions: [region, manager]}
    """
    reachable, used = _used_sources(catalog), _used_dimensions(catalog)
    for name, source in catalog.sources.items():
        if name not in reachable:
            continue  # unused-source says it
        for dim in source.model.dimensions:
            if (name, dim) not in used:
                yield Diagnostic("unused-dimension", f"no metric can be grouped by dimension "
                                 f"'{dim}' of source '{name}'",
                                 source.model.spans.key(("dimensions", dim)),
                                 "add it to the 'dimensions' of the metrics it should group, "
                                 "or remove it")


def _used_dimensions(catalog: Catalog) -> set[tuple[str, str]]:
    """(source, dimension) pairs that some metric can be grouped by."""
    used: set[tuple[str, str]] = set()
    for metric in catalog.metrics.values():
        allowed = catalog.allowed_dimensions(metric.name)
        for source in catalog.metric_sources(metric.name):
            reach = catalog.dimensions(source)
            for name in reach if allowed is None else allowed:
                dims = reach.get(name, []) if allowed is None else \
                    [d for d in [catalog.dimension(source, name)] if d is not None]
                used.update((d.path[-1].target if d.path else source, d.name) for d in dims)
    return used


@lint("never-true-filter", default="error")
def never_true_filters(catalog: Catalog) -> Iterator[Diagnostic]:
    """never-true-filter: a filter, alone or with the others on its side, can keep some row.

    Checked over each side's filters together: the metric's ``filters`` (both sides) and the
    side's own (``numerator_filters``, a measure's ``filters``). ``x = NULL``, ``1 = 0``,
    ``x <> x``, ``x = 'a' AND x = 'b'`` and ranges that do not meet are all never true.

    bad::

        filters: ["stage in ('won', 'lost')"]
        numerator_filters: ["stage = 'open'"]

    good::

        filters: ["stage in ('won', 'lost')"]
        numerator_filters: ["stage = 'won'"]
    """
    for metric in catalog.metrics.values():
        for side in metric.sides():
            yield from _never_true(side)


def _never_true(side: Side) -> Iterator[Diagnostic]:
    """Each filter that keeps no row alone, then each that keeps none with those before it."""
    kept: list[int] = []
    for i, tree in enumerate(side.filters):
        if conditions.never_true([tree]):
            hint = "compare with NULL using 'is null' or 'is not null'" if _compares_null(
                tree) else "no row passes it, so nothing is ever counted; fix or remove it"
            yield Diagnostic("never-true-filter", f"filter '{side.filter_texts[i]}' is never "
                             "true", side.filter_spans[i], hint)
        elif conditions.never_true([side.filters[j] for j in kept] + [tree]):
            yield _contradiction(side, i, kept)
        else:
            kept.append(i)


def _contradiction(side: Side, i: int, before: list[int]) -> Diagnostic:
    texts, spans = side.filter_texts, side.filter_spans
    other = next((j for j in before if conditions.never_true([side.filters[j],
                                                               side.filters[i]])), None)
    if other is None:
        return Diagnostic("never-true-filter", f"filter '{texts[i]}' can never be true together "
                          "with the filters before it", spans[i],
                          "no row passes them all; fix or remove one of them")
    if spans[i] == side.span:  # a condition the engine adds (a conversion's): blame the user's
        i, other = other, i
    return Diagnostic("never-true-filter", f"filter '{texts[i]}' can never be true together "
                      f"with '{texts[other]}'", spans[i],
                      f"no row passes both (at {spans[other]}); fix or remove one of them")


def _compares_null(tree: exp.Expression) -> bool:
    return any(isinstance(node.this, exp.Null) or isinstance(node.expression, exp.Null)
               for node in tree.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE))


@lint("ratio-not-subset")
def ratios_are_subsets(catalog: Catalog) -> Iterator[Diagnostic]:
    """ratio-not-subset: a ratio's numerator counts only rows its denominator counts.

    When both sides aggregate the same source on the same time column, every denominator
    filter must also hold for the numerator (``filters`` apply to both sides; a filter in
    ``denominator_filters`` must be repeated, or implied, in ``numerator_filters``).
    Otherwise the numerator counts rows the denominator does not: a win rate over 100%
    waiting to happen.

    bad::

        numerator: count(*)
        denominator: count(*)
        numerator_filters: ["stage = 'won'"]
        denominator_filters: ["closed_at >= '2024-01-01'"]

    good::

        numerator: count(*)
        denominator: count(*)
        filters: ["closed_at >= '2024-01-01'"]
        numerator_filters: ["stage = 'won'"]
    """
    for metric in catalog.metrics.values():
        if isinstance(metric.model, Metric):
            yield from _not_subset(metric)


def _not_subset(metric: ResolvedMetric) -> Iterator[Diagnostic]:
    num, den = metric.numerator, metric.denominator
    if num is None or den is None or num.expr is None or den.expr is None \
            or (num.source, num.time) != (den.source, den.time):
        return
    for tree, span, text in zip(den.filters, den.filter_spans, den.filter_texts):
        if not conditions.implies(num.filters, tree):
            yield Diagnostic("ratio-not-subset", f"denominator filter '{text}' does not apply "
                             "to the numerator, which can then count rows the denominator "
                             "does not (a share over 100%)", span,
                             "move it to 'filters' (both sides) or repeat it in "
                             "'numerator_filters'")
