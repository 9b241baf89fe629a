"""The views `metrics publish` creates for BI tools: pure, from a project and a dialect to DDL.

Which views: one per grain (``publish.grains`` in project.yml; default: the grains the
metrics declare), named ``kpis_<grain>``, holding every KPI that grain allows
(:meth:`Project.runnable`, then the target dialect: a KPI it cannot express, such as an exact
median on MySQL, is left out with a note); then each view ``publish.views`` declares, at its
grain, grouped ``by`` its dimensions, holding its ``metrics`` (default: all it allows).

What a view is: the SELECT :meth:`Project.compile` gives for that request in the target's
dialect, with no --start/--end, so the view stays live over the data (its range comes from the
data when it is read). Its columns are ``period``, the dimensions, then the KPIs, named after
them. The body is the compiled text itself, byte for byte, wrapped in a ``CREATE VIEW`` built
by sqlglot (quoted identifiers): re-rendering a parsed tree is not always the same SQL (on
PostgreSQL sqlglot turns ``DATE_PART('epoch', x)``, double precision, into ``EXTRACT(EPOCH
FROM x)``, numeric since PostgreSQL 14). DuckDB is the exception: it binds a view's table names
when the view is read, not when it is created, so a target schema given (``schema:``) is
written into each table name, or a BI tool's session (whose search path is ``main``) would not
find the tables.

Comments (PostgreSQL, DuckDB): the view's says what it holds; each KPI column's is the
metric's label, description and format; ``period`` and the dimensions say what they are.
MySQL and MariaDB have no comments on views or on view columns (COMMENT is a table option
there), so none are written; ``metrics docs`` is the catalog to point BI users to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .diagnostics import CompileError, UsageError
from .vocabulary import Grain

if TYPE_CHECKING:
    from sqlglot import exp

    from .project import Project

PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MOST = 63  # characters of a name: PostgreSQL's limit (MySQL's is 64)


@dataclass(frozen=True)
class ViewDialect:
    """What a dialect's views can carry, as data."""

    comments: bool  # COMMENT ON VIEW / COMMENT ON COLUMN of a view
    replace_by_drop: bool  # CREATE OR REPLACE VIEW cannot drop or retype columns (PostgreSQL)
    binds_when_read: bool  # table names resolved when the view is read (DuckDB): qualify them


DIALECTS = {
    "postgres": ViewDialect(comments=True, replace_by_drop=True, binds_when_read=False),
    "duckdb": ViewDialect(comments=True, replace_by_drop=False, binds_when_read=True),
    "mysql": ViewDialect(comments=False, replace_by_drop=False, binds_when_read=False),
}


@dataclass(frozen=True)
class Wanted:
    """One view asked for: by grain (``publish.grains``) or declared (``publish.views``)."""

    name: str
    grain: str
    by: tuple[str, ...] = ()
    metrics: tuple[str, ...] | None = None  # None: every KPI the request allows
    description: str | None = None


@dataclass(frozen=True)
class View:
    name: str
    grain: str
    by: tuple[str, ...]
    metrics: tuple[str, ...]
    sql: str  # the compiled SELECT
    comment: str
    columns: dict[str, str] = field(default_factory=dict)  # column -> comment, in order


@dataclass(frozen=True)
class Publication:
    """The views of one publish, in one schema and dialect, and what was left out."""

    schema: str
    dialect: str
    views: tuple[View, ...]
    skipped: tuple[tuple[str, str, str], ...] = ()  # (view, metric or "", why)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.views]

    @property
    def notes(self) -> list[str]:
        return [f"note: {view}: skipped {metric}: {why}" if metric else
                f"note: {view}: not created: {why}" for view, metric, why in self.skipped]

    def left_out(self) -> dict[str, int]:
        """View name -> how many metrics it leaves out (:attr:`notes` say which and why)."""
        counts: dict[str, int] = {}
        for view, metric, _ in self.skipped:
            if metric:
                counts[view] = counts.get(view, 0) + 1
        return counts

    def statements(self, replace: bool = False) -> list[str]:
        """The DDL, in order: the schema if missing, then each view and its comments."""
        return [s.sql(dialect=self.dialect, pretty=True) for s in ddl(self, replace)]


def plan(project: "Project", dialect: str, schema: str | None = None,
         tables_schema: str | None = None) -> Publication:
    """The views to publish on a ``dialect`` target; ``tables_schema``: the schema the
    target reads the tables from (written into the views where the dialect needs it)."""
    kind = DIALECTS.get(dialect)
    if kind is None:
        raise UsageError(f"publish does not support the {dialect} dialect; it creates views on "
                         f"{', '.join(sorted(DIALECTS))} targets")
    schema = check_name(project.settings.publish.schema_ if schema is None else schema,
                        "--schema")
    views: list[View] = []
    notes: list[tuple[str, str, str]] = []
    for wanted in wanted_views(project):
        view = _view(project, dialect, wanted, notes)
        if view is not None:
            views.append(_qualified(view, tables_schema) if kind.binds_when_read and
                         tables_schema else view)
    if not views:
        raise UsageError("nothing to publish: no view has a metric this target can compute")
    return Publication(schema, dialect, tuple(views), tuple(notes))


def check_name(name: str, what: str) -> str:
    """A schema or view name: a plain identifier (it is quoted all the same)."""
    if not PLAIN.match(name) or len(name) > MOST:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise UsageError(f"{what} {shown!r} is not a plain name: use at most {MOST} letters, "
                         "digits and underscores, starting with a letter or underscore")
    return name


def wanted_views(project: "Project") -> list[Wanted]:
    """The views project.yml asks for, grain views first; a name used twice is refused."""
    settings = project.settings.publish
    grains = settings.grains if settings.grains is not None else _declared_grains(project)
    wanted = [Wanted(f"kpis_{g.value}", g.value) for g in grains]
    wanted += [Wanted(v.name, v.grain.value, tuple(v.by),
                      tuple(v.metrics) if v.metrics is not None else None, v.description)
               for v in settings.views]
    seen: set[str] = set()
    for item in wanted:
        check_name(item.name, "view")
        if item.name in seen:
            raise UsageError(f"publish: two views are named '{item.name}' (a grain view is "
                             "named kpis_<grain>); rename one under publish.views in "
                             "project.yml")
        seen.add(item.name)
    return wanted


def _declared_grains(project: "Project") -> list[Grain]:
    declared = {m.model.grain for m in project.catalog.metrics.values()}
    return [g for g in Grain if g in declared]


def _view(project: "Project", dialect: str, wanted: Wanted,
          notes: list[tuple[str, str, str]]) -> View | None:
    options = {"grain": wanted.grain, "by": list(wanted.by)}
    if wanted.metrics is None:
        names, skipped = project.runnable(project.catalog.metrics, **options)
        notes += [(wanted.name, n, why) for n, why in skipped.items()]
    else:
        names = _explicit(project, wanted, options)
    names, sql = _expressible(project, dialect, wanted, names, options, notes)
    if sql is None:
        if wanted.metrics is not None:
            raise UsageError(f"publish view '{wanted.name}': none of its metrics can be "
                             f"computed on {dialect}")
        notes.append((wanted.name, "", "no metric can be computed at this grain and "
                      "grouping"))
        return None
    return View(wanted.name, wanted.grain, wanted.by, tuple(names), sql,
                wanted.description or _view_comment(project, wanted, len(names)),
                _column_comments(project, sql, dialect, wanted, names))


def _explicit(project: "Project", wanted: Wanted, options: dict) -> list[str]:
    """A declared view's own metrics: each must exist and allow the grain and grouping."""
    names = list(wanted.metrics or ())
    _, skipped = project.runnable(names, **options)
    if skipped:
        name, why = next(iter(skipped.items()))
        raise UsageError(f"publish view '{wanted.name}': metric '{name}': {why}")
    return names


def _expressible(project: "Project", dialect: str, wanted: Wanted, names: list[str],
                 options: dict, notes: list[tuple[str, str, str]]
                 ) -> tuple[list[str], str | None]:
    """The metrics the target dialect can compute and their SQL (None: none can): all at
    once when it can (one compile), else each on its own, the others left out with a note."""
    if not names:
        return names, None
    try:
        return names, project.compile(names, dialect=dialect, **options)
    except CompileError:
        pass
    kept = []
    for name in names:
        try:
            project.compile([name], dialect=dialect, **options)
            kept.append(name)
        except CompileError as err:
            if wanted.metrics is not None:
                raise UsageError(f"publish view '{wanted.name}': metric '{name}': {err}") \
                    from None
            notes.append((wanted.name, name, str(err)))
    return kept, (project.compile(kept, dialect=dialect, **options) if kept else None)


def _view_comment(project: "Project", wanted: Wanted, count: int) -> str:
    by = f", by {', '.join(wanted.by)}" if wanted.by else ""
    return (f"KPIs per {wanted.grain}{by}: {count} metrics of project "
            f"{project.settings.name}, published by `metrics publish` (republish to change "
            "it, do not edit).")


def _column_comments(project: "Project", sql: str, dialect: str, wanted: Wanted,
                     names: list[str]) -> dict[str, str]:
    import sqlglot

    columns = sqlglot.parse_one(sql, read=dialect).named_selects
    metrics = project.metrics
    out = {}
    for column in columns:
        if column in names:
            out[column] = metric_comment(metrics[column])
        elif column == "period":
            out[column] = _period_comment(project, wanted.grain)
        else:
            out[column] = f"Dimension {column}: one row per value in each period."
    return out


def metric_comment(metric) -> str:
    """A KPI column's comment: its label, description and format."""
    text = metric.label or metric.name
    if metric.description:
        text += f": {metric.description.strip()}"
    if metric.format.value != "number":
        text += f" ({metric.format.value})"
    return text


def _period_comment(project: "Project", grain: str) -> str:
    if grain == Grain.all.value:
        return "The whole range of the data: one row, period left empty."
    if grain == Grain.day.value:
        return "The day."
    week = f" (weeks start on {project.settings.week_start.value})" if grain == "week" else ""
    return f"First day of the {grain}{week}."


def _qualified(view: View, schema: str) -> View:
    """The view with every table it reads named in ``schema`` (DuckDB; see the module)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(view.sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and not table.args.get("db") and \
                table.name not in ctes:
            table.set("db", exp.to_identifier(schema, quoted=True))
    sql = tree.sql(dialect="duckdb", pretty=True)
    return View(view.name, view.grain, view.by, view.metrics, sql, view.comment, view.columns)


def ddl(publication: Publication, replace: bool = False) -> list["exp.Expression"]:
    """The statements as sqlglot trees: ``CREATE SCHEMA IF NOT EXISTS``, then per view
    ``CREATE VIEW`` (``--replace``: ``CREATE OR REPLACE VIEW``, or on PostgreSQL
    ``DROP VIEW IF EXISTS`` then ``CREATE VIEW``, in one transaction) and its comments."""
    from sqlglot import exp

    kind = DIALECTS[publication.dialect]
    schema = exp.to_identifier(publication.schema, quoted=True)
    out: list[exp.Expression] = [exp.Create(this=exp.Table(db=schema.copy()), kind="SCHEMA",
                                            exists=True)]
    for view in publication.views:
        name = exp.Table(this=exp.to_identifier(view.name, quoted=True), db=schema.copy())
        if replace and kind.replace_by_drop:
            out.append(exp.Drop(tables=[name.copy()], kind="VIEW", exists=True))
        body = exp.Var(this=view.sql)  # the compiled text as it is (see the module docstring)
        out.append(exp.Create(this=name.copy(), kind="VIEW", expression=body,
                              replace=replace and not kind.replace_by_drop))
        if kind.comments:
            out += _comments(name, view)
    return out


def _comments(name: "exp.Table", view: View) -> list["exp.Expression"]:
    from sqlglot import exp

    out: list[exp.Expression] = [exp.Comment(this=name.copy(), kind="VIEW",
                                             expression=exp.Literal.string(view.comment))]
    for column, text in view.columns.items():
        target = exp.Column(this=exp.to_identifier(column, quoted=True),
                            table=name.this.copy(), db=name.args["db"].copy())
        out.append(exp.Comment(this=target, kind="COLUMN",
                               expression=exp.Literal.string(text)))
    return out
