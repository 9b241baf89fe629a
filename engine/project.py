"""The Python API: load a project, compile metrics to SQL, query them through an adapter.

    >>> from sales_metrics import adapters, engine
    >>> project = engine.load_project("metrics")
    >>> print(project.compile(["win_rate"], grain="month", by=["region"], dialect="postgres"))
    >>> with adapters.connect(project) as conn:
    ...     table = project.query(["win_rate"], grain="month", connection=conn)  # pyarrow.Table
"""

from __future__ import annotations

import functools
import gc
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from collections.abc import Iterable

from . import loader, rules, sql
from .catalog import Catalog
from .resolve import resolve
from .rules import references
from .diagnostics import DefinitionError, Diagnostic, UsageError, check_rows
from .model import Grain, Metric

if TYPE_CHECKING:
    import pyarrow

    from .compile import Request


def _paused_gc(function):
    """Run without the cyclic garbage collector, then restore it. Every sqlglot node points to
    its parent, so while trees are built the collector walks them over and over and finds
    nothing to free: loading and compiling a 1,000-metric project took about twice as long
    with it on. What becomes garbage is collected as usual afterwards."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return run


class Connection(Protocol):
    """What :meth:`Project.query` needs from an adapter."""

    dialect: str

    def execute(self, sql: str) -> "pyarrow.Table": ...


class Project:
    """A loaded, valid project."""

    def __init__(self, resolved: Catalog, loaded: loader.Loaded) -> None:
        self.catalog = resolved
        self.loaded = loaded
        self.settings = resolved.project
        self.root = resolved.root

    @property
    def metrics(self) -> dict[str, Metric]:
        return {name: m.model for name, m in self.catalog.metrics.items()}

    def request(self, metrics: Iterable[str], grain: str | Grain | None = None,
                by: Iterable[str] = (), start: date | str | None = None,
                end: date | str | None = None, where: Iterable[str] = ()) -> Request:
        from .compile import Request  # the compiler is loaded when first needed, not by validate

        return Request(tuple(metrics), _grain(grain), tuple(by), _day(start, "start"),
                       _day(end, "end"), tuple(where))

    @_paused_gc
    @_paused_gc
    def compile(self, metrics: Iterable[str], dialect: str | None = None, **options) -> str:
        """The SQL for a request, in ``dialect`` (default: the project's)."""
        from .compile import compile_tree, render

        target = dialect or self.settings.dialect
        tree = compile_tree(self.catalog, self.request(metrics, **options), target)
        return render(tree, target, copy=False)  # the tree is this request's own

    @_paused_gc
    def runnable(self, metrics: Iterable[str], **options) -> tuple[list[str], dict[str, str]]:
        """Split metrics into those a request can compute and, for the others, why not
        (a quota kept per quarter cannot be shown by month)."""
        from .compile.plan import plan
        from .dialects import capabilities

        self.request([], **options)  # a bad grain, day or filter is the request's, not a metric's
        ok, skipped = [], {}
        for name in metrics:
            try:
                plan(self.catalog, self.request([name], **options), self.settings.dialect,
                     capabilities(self.settings.dialect))
                ok.append(name)
            except UsageError as err:
                skipped[name] = str(err)
        return ok, skipped

    @_paused_gc
    def untimed(self, metrics: Iterable[str], dialect: str | None = None,
                **options) -> tuple[str, dict[str, tuple[str, str, str]]] | None:
        """One SELECT counting the rows a request leaves out because their time is empty, and
        what each of its columns counts: ``{column: (metric, source, time column)}``; None
        when there is nothing to count. One row: a single-row count per (source, time column)
        read, side by side. Not counted: balances (an empty close date is a row still open),
        conversions (an empty start is a row that never started), sources that say
        ``empty_time: quiet``, rows without time at all (``time: none``)."""
        from sqlglot import exp

        from .compile import check_dialect, render
        from .compile.plan import plan
        from .compile.scans import join, untimed
        from .dialects import capabilities
        from .model import BalanceMetric, ConversionMetric

        target = check_dialect(dialect or self.settings.dialect)
        pending = [plan(self.catalog, self.request(metrics, **options), target,
                        capabilities(target))]
        counts: list[exp.Select] = []
        owners: dict[str, tuple[str, str, str]] = {}
        while pending:
            current = pending.pop()
            pending += [e.inner for e in current.entities.values()]
            for group in current.groups.values():
                if group.timeless or self.catalog.sources[group.source].model.empty_time \
                        == "quiet":
                    continue
                leaves = [leaf for leaf in group.leaves.values() if not leaf.history and
                          not isinstance(self.catalog.metrics[_owner(leaf.alias)].model,
                                         (BalanceMetric, ConversionMetric))]
                if not leaves:
                    continue
                select = untimed(current, group, leaves)
                for column, leaf in zip(select.expressions, leaves):
                    name = f"u{len(counts)}_{leaf.alias}"  # the same leaf in two plans
                    column.set("alias", exp.to_identifier(name))
                    owners[name] = (_owner(leaf.alias), group.source, group.time)
                counts.append(select)
        if not counts:
            return None
        query = exp.select(exp.Star(), copy=False).from_(
            counts[0].subquery("u0", copy=False), copy=False)
        for i, part in enumerate(counts[1:], 1):
            join(query, part.subquery(f"u{i}", copy=False), None, "cross")
        return render(query, target, copy=False), owners

    def query(self, metrics: Iterable[str], connection: Connection, **options) -> "pyarrow.Table":
        """Run a request on an adapter; one SELECT, results as an Arrow table of at most
        ``limits.max_rows`` rows (project.yml): more is refused, not cut."""
        table = connection.execute(self.compile(metrics, dialect=connection.dialect, **options))
        return self.check_rows(table)

    def dimension_values_sql(self, dimension: str, search: str | None = None, limit: int = 100,
                             dialect: str | None = None) -> str:
        """One SELECT of a dimension's distinct values (at most ``limit`` + 1 rows, sorted;
        ``search``: only values containing that text, any case), from the sources that
        declare it; ``reps.region`` names the source. See :mod:`.values_sql`."""
        from .values_sql import dimension_values_sql

        return dimension_values_sql(self.catalog, dimension, search, limit, dialect)

    def filter_dimensions(self, where: Iterable[str]) -> set[str]:
        """The dimensions ``where`` filters read (each filter already accepted by compile)."""
        from .values_sql import filter_dimensions

        return filter_dimensions(where, self.settings.dialect)

    def check_rows(self, table: "pyarrow.Table") -> "pyarrow.Table":
        """The table, unless it has more rows than ``limits.max_rows`` allows."""
        check_rows(table.num_rows, self.settings.limits.max_rows)
        return table


@_paused_gc
def check_project(path: str | Path | None = None, *, data_root: str | Path | None = None
                  ) -> tuple[Project | None, list[Diagnostic]]:
    """Load and validate; every problem found, and the project when there are no errors.

    ``data_root`` resolves relative data paths (``path:`` sources) against another folder than
    the project's own: `metrics diff` loads a past version from a temporary folder, but reads
    today's data."""
    loaded = loader.load(Path(path) if path else None)
    if data_root is not None:
        loaded.root = Path(data_root)
    with sql.depth_limit(loaded.project.limits.expression_depth):
        resolved, problems = resolve(loaded)
    problems += _without_cycles(resolved)
    diagnostics = list(dict.fromkeys(loaded.diagnostics + problems + rules.check(resolved)))
    if data_root is not None:  # a past version, read against today's data: its paths are
        # today's project's, which is checked (and sandboxed) on its own
        diagnostics = [d for d in diagnostics if d.code != "path-outside-project"]
    diagnostics.sort(key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else ("", 0, 0))
    errors = any(d.severity == "error" for d in diagnostics)
    return (None if errors else Project(resolved, loaded)), diagnostics


def _without_cycles(catalog: Catalog) -> list[Diagnostic]:
    """Report metrics that refer to each other in a loop, or build on others too deep, and
    take them (and the metrics computed from them) out of the catalog before any rule walks
    their references."""
    found = list(references.metric_cycles(catalog))
    for name in references.in_cycles(catalog):
        del catalog.metrics[name]
    deep, over = references.too_deep(catalog, catalog.project.limits.metric_depth)
    for name in over:
        del catalog.metrics[name]
    return found + deep


def load_project(path: str | Path | None = None) -> Project:
    """A valid project, or :class:`DefinitionError` listing every problem."""
    project, diagnostics = check_project(path)
    if project is None:
        raise DefinitionError([d for d in diagnostics if d.severity == "error"])
    return project


def _owner(alias: str) -> str:
    """The metric a scan column belongs to (``win_rate__num`` -> ``win_rate``)."""
    return alias.rsplit("__", 1)[0]


def _grain(value: str | Grain | None) -> Grain | None:
    if value is None or isinstance(value, Grain):
        return value
    try:
        return Grain(value.lower())
    except ValueError:
        raise UsageError(f"unknown grain '{value}'; expected one of: "
                         + ", ".join(g.value for g in Grain)) from None


SHOWN = 40  # characters of a bad --start/--end repeated in its message


def _day(value: date | str | None, name: str) -> date | None:
    """A request's day: a real one, YYYY-MM-DD, in the years a request may name."""
    if value is None:
        return None
    from .calendar import check_year

    day = value if isinstance(value, date) else _parse_day(value, name)
    check_year(day, name)
    return day


def _parse_day(text: str, name: str) -> date:
    try:
        if len(text) <= SHOWN:
            return date.fromisoformat(text)
    except ValueError:
        pass
    shown = text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text):,} characters)"
    raise UsageError(f"--{name} '{shown}' is not a date; write it as YYYY-MM-DD")
