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


def select_problem(sql: str, dialect: str) -> str | None:
    """Why ``sql`` is not a single read-only SELECT in ``dialect``, or None when it is."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except (ParseError, TokenError) as err:
        return f"the SQL does not parse as {dialect}: {str(err).splitlines()[0]}"
    if len(trees) != 1:
        return f"{len(trees)} statements found"
    tree = trees[0]
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
