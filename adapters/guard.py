"""Only a single SELECT is ever sent: every adapter checks the SQL with sqlglot first.

The engine only emits one SELECT, and definitions that could write are refused when they are
parsed; this is the last check before a warehouse sees the text, for SQL that reaches an
adapter by any other way (the Python API). It refuses several statements, anything that is
not a query, any write hidden in a query (``SELECT ... INTO``, a data-modifying CTE) and row
locks. Backends that can also enforce it (DuckDB ``read_only``, PostgreSQL read-only
transactions) do so as well.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from sales_metrics.engine.sql import read_only_problem

REFUSED = "refused: only a single SELECT statement is ever run"


def _one_statement(sql: str, dialect: str) -> exp.Expression | str:
    """The one statement ``sql`` holds, or why it does not hold exactly one."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except (ParseError, TokenError) as err:
        return f"the SQL does not parse as {dialect}: {str(err).splitlines()[0]}"
    if len(trees) != 1:
        return f"{len(trees)} statements found"
    return trees[0]


def select_problem(sql: str, dialect: str) -> str | None:
    """Why ``sql`` is not a single read-only SELECT in ``dialect``, or None when it is."""
    tree = _one_statement(sql, dialect)
    if isinstance(tree, str):
        return tree
    if not isinstance(tree, exp.Query):
        return f"{type(tree).__name__.upper()} is not a SELECT"
    problem = read_only_problem(tree, query=True)
    if problem:
        return problem
    if tree.find(exp.Into):
        return "SELECT ... INTO writes a table"
    if tree.find(exp.Lock):
        return "row locks (FOR UPDATE/SHARE) are not reads"
    return None


# ----------------------------------------------------------------------------- publishing

DDL_REFUSED = ("refused: publishing runs only CREATE SCHEMA IF NOT EXISTS, CREATE VIEW, DROP "
               "VIEW and COMMENT ON VIEW/COLUMN statements on its own views")
# The arguments each statement may carry (any other one set, e.g. CASCADE, MATERIALIZED,
# TEMPORARY, DEFINER, a column list, is refused).
_ALLOWED = {("Create", "SCHEMA"): {"this", "kind", "exists"},  # and exists it must be
            ("Create", "VIEW"): {"this", "kind", "expression", "replace"},
            ("Drop", "VIEW"): {"tables", "kind", "exists"},
            ("Comment", "VIEW"): {"this", "kind", "expression"},
            ("Comment", "COLUMN"): {"this", "kind", "expression"}}


def ddl_problem(sql: str, dialect: str, schema: str, views: set[str]) -> str | None:
    """Why ``sql`` is not one of the statements `metrics publish` sends, or None: ``CREATE
    SCHEMA IF NOT EXISTS schema``; ``CREATE [OR REPLACE] VIEW schema.view AS <one read-only
    SELECT>``; ``DROP VIEW [IF EXISTS] schema.view`` (no CASCADE); ``COMMENT ON VIEW
    schema.view`` / ``COMMENT ON COLUMN schema.view.column`` with a string; where ``view`` is
    one of ``views`` and every name is quoted (compared exactly, never case-folded)."""
    tree = _one_statement(sql, dialect)
    if isinstance(tree, str):
        return tree
    kind = str(tree.args.get("kind") or "").upper()
    allowed = _ALLOWED.get((type(tree).__name__, kind))
    if allowed is None:
        return f"{type(tree).__name__.upper()} {kind} is not allowed".replace("  ", " ")
    extra = sorted(k for k, v in tree.args.items() if v and k not in allowed)
    if extra:
        return f"{type(tree).__name__.upper()} {kind} with {', '.join(extra)} is not allowed"
    if kind == "SCHEMA":
        if not tree.args.get("exists"):
            return "CREATE SCHEMA must say IF NOT EXISTS"
        return _in_schema(tree.this, schema, None, schema_only=True)
    if isinstance(tree, exp.Drop):
        tables = tree.args.get("tables") or []
        return "DROP names one view" if len(tables) != 1 else _in_schema(tables[0], schema,
                                                                         views)
    if isinstance(tree, exp.Comment):
        return _comment_problem(tree, schema, views)
    problem = _in_schema(tree.this, schema, views)
    if problem:
        return problem
    body = tree.expression
    if not isinstance(body, exp.Query):
        return "a view's body must be one SELECT"
    return read_only_problem(body, query=True) or (
        "SELECT ... INTO writes a table" if body.find(exp.Into) else None) or (
        "row locks (FOR UPDATE/SHARE) are not reads" if body.find(exp.Lock) else None)


def _comment_problem(tree: exp.Comment, schema: str, views: set[str]) -> str | None:
    if not isinstance(tree.expression, exp.Literal) or not tree.expression.is_string:
        return "a comment must be a string"
    target = tree.this
    if str(tree.args["kind"]).upper() == "VIEW":
        return _in_schema(target, schema, views)
    if not isinstance(target, exp.Column) or target.args.get("catalog") or \
            not _quoted(target.this):
        return "COMMENT ON COLUMN names a quoted schema.view.column"
    return _in_schema(exp.Table(this=target.args.get("table"), db=target.args.get("db")),
                      schema, views)


def _in_schema(table: object, schema: str, views: set[str] | None,
               schema_only: bool = False) -> str | None:
    """Whether ``table`` is exactly ``schema``.view (a view of ``views``), quoted; with
    ``schema_only``, the schema itself."""
    if not isinstance(table, exp.Table) or table.args.get("catalog"):
        return "the name must be schema.view, quoted"
    db, name = table.args.get("db"), table.args.get("this")
    if not _quoted(db) or db.name != schema:
        return f"only schema {schema!r} may be written to"
    if schema_only:
        return None if name is None else "CREATE SCHEMA names a schema"
    if not _quoted(name) or name.name not in (views or set()):
        return f"only the views of this publish ({', '.join(sorted(views or ()))}) may be " \
               "written"
    return None


def _quoted(node: object) -> bool:
    return isinstance(node, exp.Identifier) and bool(node.args.get("quoted"))


def check_ddl(adapter, statements: list[str], schema: str, views: set[str]) -> None:
    """Refuse the whole batch, before any of it is sent, when one statement is not allowed."""
    for sql in statements:
        problem = ddl_problem(sql, adapter.dialect, schema, views)
        if problem:
            raise adapter.fail(f"{DDL_REFUSED} ({problem})", sql)


def check_existing(schema: str, existing: dict[str, str], replace: bool) -> None:
    """``existing``: name -> what it is ('view', 'table', ...) for the objects of ``schema``
    that have a view's name. Anything but a view is never replaced; a view only with
    --replace. Raises a UsageError (nothing has been written yet)."""
    from sales_metrics.engine.diagnostics import UsageError

    others = {n: k for n, k in sorted(existing.items()) if k != "view"}
    if others:
        shown = ", ".join(f"{n} (a {k})" for n, k in others.items())
        raise UsageError(f"schema '{schema}' already has {shown}: publish creates only views "
                         "and never replaces anything else; rename the view (publish.views "
                         "in project.yml) or choose another --schema. Nothing was written")
    views = sorted(existing)
    if views and not replace:
        raise UsageError(f"schema '{schema}' already has view{'s' * (len(views) > 1)} "
                         f"{', '.join(views)}; pass --replace to replace "
                         f"{'them' if len(views) > 1 else 'it'}. Nothing was written")


def without_schema(statements: list[str]) -> list[str]:
    """The statements but ``CREATE SCHEMA``, for a schema that exists already."""
    return [s for s in statements if not s.lstrip().upper().startswith("CREATE SCHEMA")]
