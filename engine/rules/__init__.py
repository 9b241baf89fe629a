"""Validation rules, registered in one tuple and run over a resolved catalog.

A rule is a small stateless function ``(catalog) -> diagnostics`` with a stable code that is
never renumbered. Every rule runs; validation reports every problem, not the first.
Lint rules (:mod:`.lint`) take their severity from the project file's ``lint:``; one whose
codes are all ``off`` does not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..catalog import Catalog
from ..diagnostics import Diagnostic
from . import access, aggregation, lint, population, references, shares, windows

Rule = Callable[[Catalog], Iterable[Diagnostic]]

RULES: tuple[Rule, ...] = (
    references.join_targets,
    references.joins_many_to_one,
    references.unknown_tables,
    references.unknown_dimension_tables,
    references.time_columns,
    references.metric_cycles,
    references.metric_dimensions,
    references.entity_dimensions,
    population.entity_populations,
    shares.shared_totals,
    shares.share_dimensions,
    aggregation.measures_aggregate,
    aggregation.filters_row_level,
    aggregation.dimensions_row_level,
    windows.accumulated_inputs,
    windows.to_date_grains,
    windows.whole_range_windows,
    access.file_access,
    access.paths_inside,
    lint.settings,
    lint.snake_case,
    lint.documented,
    lint.formatted,
    lint.unused_sources,
    lint.unused_dimensions,
    lint.never_true_filters,
    lint.ratios_are_subsets,
)


def check(catalog: Catalog) -> list[Diagnostic]:
    levels = lint.levels(catalog.project)
    return [d for rule in RULES if lint.enabled(rule, levels)
            for d in lint.leveled(rule(catalog), levels)]
