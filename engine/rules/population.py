"""Rules on an entity metric's population: the source whose rows are the entities counted."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Catalog
from ..diagnostics import Diagnostic, did_you_mean, one_of


def entity_populations(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-source, population-without-key, population-entity: `population:` names a
    source with a key that lists the entities (the entity is a dimension of its own), and the
    entity of every source the metric reads is that source's (reached by a join to it).

    bad:  ``population: quotas`` (rep comes from the join to reps)
    good: ``population: reps`` (``key: rep_id``, ``dimensions: {rep: rep_name}``)
    """
    for metric in catalog.metrics.values():
        name = getattr(metric.model, "population", None)
        if name is None:
            continue
        entity, of = metric.model.entity, metric.model.of  # type: ignore[attr-defined]
        span = metric.model.spans.value(("population",))
        source = catalog.sources.get(name)
        if source is None:
            yield Diagnostic("unknown-source", f"population '{name}' is not a defined source",
                             span, did_you_mean(name, catalog.sources) or one_of(catalog.sources))
            continue
        if not source.model.keys:
            yield Diagnostic("population-without-key", f"population '{name}' declares no "
                             f"'key', so nothing says it has one row per {entity}", span,
                             f"add 'key: <unique column>' to source '{name}'")
        own = catalog.dimension(name, entity)
        if own is None or own.path:
            where = f" (it is a dimension of '{own.path[-1].target}')" if own is not None else ""
            yield Diagnostic("population-entity", f"population '{name}' has no dimension "
                             f"'{entity}' of its own{where}, so it does not list the {entity}s",
                             span, f"name the source that defines '{entity}', or add "
                             f"'{entity}' to the dimensions of '{name}'")
            continue
        if of not in catalog.metrics:  # unknown-metric, reported where it is resolved
            continue
        for read in sorted(catalog.metric_sources(of)):
            dim = catalog.dimension(read, entity)
            if dim is None:  # unknown-dimension, reported by references.entity_dimensions
                continue
            owner = dim.path[-1].target if dim.path else read
            if owner != name:
                yield Diagnostic("population-entity", f"the '{entity}' of source '{read}' is "
                                 f"a dimension of '{owner}', not of population '{name}'", span,
                                 f"join '{read}' to '{name}' on its key and take '{entity}' "
                                 "from there, or name the population it comes from")
