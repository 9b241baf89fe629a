"""`metrics diff`: what a change to the definitions does, for a reviewer and for CI.

The project at a git ref (see :mod:`.gitref`) is compared with the working tree, metric by
metric: added, removed, renamed (the same computation under a new name) or changed (which
fields, and whether the compiled SQL changed, also through a metric or source it uses).
Changes that break consumers are flagged: a removed or renamed metric, a changed default
grain, a dimension it can no longer be grouped by, a changed format (its unit).
With `--values`, both versions run on the same data (see :mod:`.values`).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import MetricsError

from .. import lineage
from .report import Change, Entry, Report

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

    from ..connections import Where

PRESENTATION = ("name", "label", "description", "owner")  # not part of the computation
SQL_DIFF_LINES = 40


def compare(base: Project | None, head: Project, ref: str, commit: str,
            project: str) -> Report:
    report = Report(ref, commit, project, missing=base is None)
    old = _Version(base) if base else None
    new = _Version(head)
    before = set(old.metrics) if old else set()
    added = [n for n in head.catalog.metrics if n not in before]
    removed = [n for n in (old.metrics if old else {}) if n not in head.catalog.metrics]
    renames = _renames(old, new, removed, added) if old else {}
    report.added = [Entry(n, new.label(n)) for n in added if n not in renames.values()]
    report.removed = [Entry(n, old.label(n)) for n in removed if n not in renames]  # type: ignore
    if old is None:
        return report
    report.settings = _fields(_settings(old.project), _settings(head))
    report.sources = _sources(old.project, head)
    pairs = [(n, n) for n in head.catalog.metrics if n in before] + list(renames.items())
    changes = [c for a, b in pairs if (c := _change(old, new, a, b, renames)) is not None]
    _explain_through(changes, report, head)
    report.renamed = [c for c in changes if c.old_name]
    report.changed = [c for c in changes if not c.old_name]
    return report


class _Version:
    """One version of the project, with each metric's definition and compiled SQL."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.metrics = project.catalog.metrics
        self._sql: dict[tuple[str, str | None], str] = {}

    def label(self, name: str) -> str:
        return self.metrics[name].model.title

    def dump(self, name: str) -> dict[str, Any]:
        model = self.metrics[name].model
        return {"kind": _kind(model), **model.model_dump(mode="json", exclude={"name"})}

    def computation(self, name: str) -> str:
        dump = {k: v for k, v in self.dump(name).items() if k not in PRESENTATION}
        return json.dumps(dump, sort_keys=True)

    def sql(self, name: str, grain: str | None = None) -> str:
        """The metric's SQL at a grain (default: its own), in its project's dialect."""
        if (name, grain) not in self._sql:
            try:
                self._sql[name, grain] = self.project.compile([name], grain=grain)
            except MetricsError as err:
                self._sql[name, grain] = f"-- does not compile: {err}"
        return self._sql[name, grain]

    def dimensions(self, name: str) -> list[str]:
        return lineage.dimensions(self.project, name)


def _kind(model: Any) -> str:
    name = type(model).__name__.removesuffix("Metric").lower()
    return name or ("ratio" if getattr(model, "denominator", None) else "simple")


def _renames(old: _Version, new: _Version, removed: list[str],
             added: list[str]) -> dict[str, str]:
    """Old name -> new name, for each removed metric computed exactly like an added one.

    The same computation (every field but the name and presentation) decides; failing that,
    the same SQL once the name is replaced. A label kept across the rename breaks ties.
    """
    found: dict[str, str] = {}
    for old_name in removed:
        same = [n for n in added if n not in found.values()
                and old.computation(old_name) == new.computation(n)]
        same = same or [n for n in added if n not in found.values()
                         and _renamed_sql(old.sql(old_name), {old_name: n}) == new.sql(n)]
        if same:
            found[old_name] = next((n for n in same if new.label(n) == old.label(old_name)),
                                   same[0])
    return found


def _renamed_sql(sql: str, renames: dict[str, str]) -> str:
    for a, b in renames.items():  # aliases are metric names, alone or as `name__num`
        sql = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?=__|(?![A-Za-z0-9_]))", b, sql)
    return sql


def _change(old: _Version, new: _Version, old_name: str, name: str,
            renames: dict[str, str]) -> Change | None:
    change = Change(name, new.label(name), old_name if old_name != name else None)
    change.fields = _fields(old.dump(old_name), new.dump(name))
    before, after = old.dimensions(old_name), new.dimensions(name)
    change.fields.pop("dimensions", None)
    if before != after:
        dropped = sorted(set(before) - set(after))
        change.fields["dimensions"] = (", ".join(before) or "-", ", ".join(after) or "-")
        if dropped:
            change.breaking.append(f"can no longer be grouped by {', '.join(dropped)}")
    old_sql = _renamed_sql(old.sql(old_name), renames)
    if "grain" in change.fields:  # compare what it computes, at the grain it now has
        grain = new.metrics[name].model.grain.value
        at_new_grain = old.sql(old_name, grain)
        if not at_new_grain.startswith("-- does not compile"):
            old_sql = _renamed_sql(at_new_grain, renames)
    if old_sql != new.sql(name):
        change.sql_diff = _sql_diff(old_sql, new.sql(name))
    if change.old_name:
        change.breaking.insert(0, f"renamed from {old_name}; anything that asks for "
                                  f"{old_name} fails")
    for key, what in (("grain", "default grain"), ("format", "format (its unit)")):
        if key in change.fields:
            a, b = change.fields[key]
            change.breaking.append(f"{what} changed from {a} to {b}")
    if not (change.fields or change.sql_diff or change.old_name):
        return None
    return change


def _sql_diff(a: str, b: str) -> list[str]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))[2:]
    if len(lines) > SQL_DIFF_LINES:
        lines = lines[:SQL_DIFF_LINES] + [f"... ({len(lines) - SQL_DIFF_LINES} more lines)"]
    return lines


def _fields(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {k: (_show(a.get(k)), _show(b.get(k))) for k in dict.fromkeys([*a, *b])
            if a.get(k) != b.get(k)}


def _show(value: Any, width: int = 100) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _settings(project: Project) -> dict[str, Any]:
    """Project settings that change what a KPI means (the connection does not)."""
    return project.settings.model_dump(mode="json", exclude={"connection", "name", "macros"})


def _sources(old: Project, new: Project) -> list[tuple[str, str]]:
    a, b = old.catalog.sources, new.catalog.sources
    out = [(n, "added") for n in b if n not in a] + [(n, "removed") for n in a if n not in b]
    for name in (n for n in b if n in a):
        fields = _fields(a[name].model.model_dump(mode="json"),
                         b[name].model.model_dump(mode="json"))
        if fields:
            out.append((name, "changed: " + "; ".join(f"{k}: {x} -> {y}"
                                                      for k, (x, y) in fields.items())))
    return out


def _explain_through(changes: list[Change], report: Report, head: Project) -> None:
    """For a metric whose SQL changed, what it uses that changed: metrics, sources, settings."""
    own = {c.name for c in changes if c.fields and c.sql_diff}  # changed what it computes
    sources = {name for name, _ in report.sources}
    for change in changes:
        if not change.sql_diff:
            continue
        uses = _uses(head, change.name)
        change.through = sorted(uses & own) + [f"source {s}" for s in sorted(
            head.catalog.metric_sources(change.name) & sources)]
        if report.settings:
            change.through.append("project settings")


def _uses(project: Project, name: str) -> set[str]:
    """Every metric a metric is computed from, directly or not."""
    seen: set[str] = set()
    stack = list(project.catalog.metrics[name].references())
    while stack:
        current = stack.pop()
        if current in seen or current not in project.catalog.metrics:
            continue
        seen.add(current)
        stack.extend(project.catalog.metrics[current].references())
    return seen


def command(path: Path | None, ref: str, fmt: str, values: bool, options: dict[str, Any],
            top: int, fail_on_breaking: bool, where: Where) -> int:
    """`metrics diff`: print the report; 1 when asked to fail on breaking changes and some are."""
    import typer

    from sales_metrics.engine.diagnostics import relpath
    from sales_metrics.engine.project import load_project

    from ..literal import visible
    from . import render as renderers
    from .gitref import load_base

    head = load_project(path)
    head.request([], **options)  # a bad --grain, --start or --end fails before any work
    base = load_base(ref, head.root)
    report = compare(base.project, head, base.ref, base.commit, relpath(head.root))
    if values and base.project is not None:
        from .values import compare_values

        with where.open(head) as conn:
            compare_values(report, base.project, head, conn, options, top)
    render = renderers.markdown if fmt == "markdown" else renderers.text
    typer.echo(visible(render(report, head)), nl=False)
    return 1 if fail_on_breaking and report.breaking else 0
