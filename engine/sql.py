"""SQL fragments from YAML, parsed once by sqlglot and checked before any warehouse sees them.

A fragment is an expression (a measure, a filter, a dimension) or, for a ``sql:`` source,
one SELECT. Anything that could write (DML, DDL, several statements, commands) is refused
here, at parse time. Parse errors are mapped back to the YAML scalar's line and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from .diagnostics import Diagnostic, Span
from .model import Limits

_WRITES = tuple(getattr(exp, name) for name in (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "TruncateTable",
    "Copy", "Grant", "Revoke", "Set", "Use", "Transaction", "Commit", "Rollback", "LoadData",
    "Pragma", "Attach", "Detach", "Execute", "Describe", "Analyze") if hasattr(exp, name))
WINDOW = exp.Window
# How deep a fragment may nest (limits.expression_depth); check_project sets it per project.
DEPTH: ContextVar[int] = ContextVar("expression_depth",
                                    default=Limits.model_fields["expression_depth"].default)
_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.CASE}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.END}
_PREFIX = {TokenType.NOT, TokenType.DASH, TokenType.PLUS, TokenType.TILDE}


@contextmanager
def depth_limit(most: int) -> Iterator[None]:
    """Parse fragments with ``most`` as the deepest nesting allowed."""
    token = DEPTH.set(most)
    try:
        yield
    finally:
        DEPTH.reset(token)


def nesting(text: str, dialect: str) -> int:
    """How deep a fragment nests (brackets, CASE, runs of NOT or signs), from its tokens alone:
    sqlglot's parser recurses once per level, so this is checked before it runs."""
    lowered = text.lower()
    if sum(map(text.count, "([{-+~")) + lowered.count("not") + lowered.count("case") < 20:
        return 0  # too few of them to nest deep (most fragments)
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except (TokenError, ValueError):
        return 0  # the parser reports it
    depth = deepest = run = 0
    for token in tokens:
        run = run + 1 if token.token_type in _PREFIX else 0
        if token.token_type in _OPEN:
            depth += 1
        elif token.token_type in _CLOSE:
            depth = max(depth - 1, 0)
        deepest = max(deepest, depth + run)
    return deepest


def depth_problem(text: str, dialect: str, most: int | None = None) -> str | None:
    """Why a fragment is refused before parsing (too deep), or None."""
    most = DEPTH.get() if most is None else most
    found = nesting(text, dialect)
    if found <= most:
        return None
    return (f"the expression nests {found} levels deep, more than limits.expression_depth "
            f"({most}) in project.yml allows")


# What sqlglot's parser raises, besides ParseError, on some malformed text (a bug of its own
# that must not become ours): '->' gives a TypeError.
PARSER_SLIPS = (TypeError, ValueError, IndexError, AttributeError)


class TooDeep(Exception):
    """A fragment nests deeper than the limit (or than Python's stack)."""


def parse_fragment(text: str, dialect: str, span: Span, quoted: int = 0,
                   query: bool = False) -> tuple[exp.Expression | None, list[Diagnostic]]:
    """Parse an expression (or with ``query=True`` one SELECT) and check it is read-only."""
    parsed, problem = _parse(text, dialect, query, DEPTH.get())
    if isinstance(parsed, TooDeep):
        return None, [Diagnostic("expression-too-deep", str(parsed), span,
                                 "simplify it, or raise limits.expression_depth")]
    if isinstance(parsed, Exception):
        return None, [_syntax(parsed, text, span, quoted)]
    if problem:
        return None, [Diagnostic("not-read-only", problem, span,
                                 "definitions may only read data" if query else
                                 "write one expression; a query belongs in a source's 'sql:'")]
    return parsed.copy(), []


@lru_cache(maxsize=4096)
def _parse(text: str, dialect: str, query: bool, most: int
           ) -> tuple[exp.Expression | ParseError | TokenError | TooDeep, str | None]:
    """One parse and check per distinct fragment (``count(*)`` and the same filters recur in
    many metrics); callers get a copy, never the cached tree."""
    problem = depth_problem(text, dialect, most)
    if problem:
        return TooDeep(problem), None
    try:
        tree = sqlglot.parse_one(text, read=dialect)
        return tree, read_only_problem(tree, query)
    except (ParseError, TokenError) as err:
        return err, None
    except RecursionError:  # the check above should make this unreachable: a last resort
        return TooDeep("the expression nests too deep to parse; simplify it"), None
    except PARSER_SLIPS as err:  # sqlglot fails this way on some odd text, e.g. '->'
        return ParseError(f"sqlglot cannot read it ({type(err).__name__})"), None


def read_only_problem(tree: exp.Expression, query: bool = False) -> str | None:
    if isinstance(tree, (exp.Block, exp.Semicolon)):
        return "several statements found; only one is allowed"
    write = next(iter(tree.find_all(*_WRITES)), None)
    if write is not None:
        return f"{type(write).__name__.upper()} is not allowed: only SELECT is ever run"
    if query and not isinstance(tree, exp.Query):
        return "a source's 'sql' must be one SELECT query"
    if not query and isinstance(tree, exp.Query):
        return "a query is not allowed here"
    if not query and tree.find(exp.Query, exp.Subquery):
        return "a subquery is not allowed in an expression"
    return None


def _syntax(err: Exception, text: str, span: Span, quoted: int) -> Diagnostic:
    info = (getattr(err, "errors", None) or [{}])[0]
    line, col = info.get("line") or 1, info.get("col") or 1
    highlight = info.get("highlight") or ""
    start = max(1, col - len(highlight) + 1)
    what = info.get("description") or str(err).splitlines()[0]
    if quoted < 0:  # a block scalar: its text starts on the next line
        where = span.shifted(lines=line, cols=start + 1)
    elif line > 1:
        where = span.shifted(lines=line - 1, cols=start - span.col)
    else:
        where = span.shifted(cols=start - 1 + quoted)
    near = f" near '{highlight}'" if highlight else ""
    return Diagnostic("sql-syntax", f"SQL does not parse{near}: {what}", where,
                      "check parentheses, quotes and commas")


def aggregates(tree: exp.Expression) -> list[exp.AggFunc]:
    """The outermost aggregate calls in an expression."""
    return [node for node in tree.find_all(exp.AggFunc)
            if not any(isinstance(p, exp.AggFunc) for p in _ancestors(node))]


def _ancestors(node: exp.Expression) -> Iterable[exp.Expression]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def bare_columns(tree: exp.Expression) -> list[exp.Column]:
    """Columns used outside any aggregate: not allowed in a measure."""
    return [col for col in tree.find_all(exp.Column)
            if not any(isinstance(p, exp.AggFunc) for p in _ancestors(col))]


def additive(tree: exp.Expression) -> bool:
    """True when no rows means zero (counts and sums), not empty (averages, medians)."""
    found = aggregates(tree)
    return bool(found) and all(isinstance(a, (exp.Count, exp.Sum, exp.CountIf)) for a in found)


def conditional(tree: exp.Expression, condition: exp.Expression | None) -> exp.Expression:
    """Apply a filter inside every aggregate: ``sum(x)`` -> ``sum(CASE WHEN c THEN x END)``.

    This is what lets metrics with different filters share one scan of their source.
    The result is a new tree; ``condition`` becomes part of it (pass a copy to keep one).
    """
    tree = tree.copy()  # always a copy: the result goes into a query tree, never the catalog's
    if condition is None:
        return tree
    for i, agg in enumerate(aggregates(tree)):
        cond = condition if i == 0 else condition.copy()
        arg = agg.this
        if isinstance(agg, exp.CountIf):
            agg.set("this", exp.and_(cond, arg, copy=False))
        elif isinstance(arg, exp.Star) or arg is None:
            agg.set("this", _case(cond, exp.Literal.number(1)))
        elif isinstance(arg, exp.Distinct):
            arg.set("expressions", [_case(cond if j == 0 else cond.copy(), e)
                                    for j, e in enumerate(arg.expressions)])
        else:
            agg.set("this", _case(cond, arg))
    return tree


def cast(tree: exp.Expression, to: str, copy: bool = True) -> exp.Expression:
    """``CAST(tree AS to)`` with ``to`` a DataType.Type name: sqlglot's ``exp.cast`` parses a
    type given as text, which cost more than the rest of the cast (hundreds per compile)."""
    return exp.cast(tree, exp.DataType.Type[to], copy=copy)


def float_avg(tree: exp.Expression) -> exp.Expression:
    """``AVG(x)`` -> ``AVG(CAST(x AS DOUBLE))`` for engines whose AVG of integers truncates.
    Changes ``tree`` in place: pass a tree of your own (:func:`conditional` returns one)."""
    for avg in tree.find_all(exp.Avg):
        avg.set("this", cast(avg.this, "DOUBLE", copy=False))
    return tree


def _case(condition: exp.Expression, value: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def qualify(tree: exp.Expression, alias: str, joins: dict[str, str],
            copy: bool = True) -> exp.Expression:
    """Give unqualified columns the source's alias; map ``join.col`` to the join's alias.
    ``copy=False`` changes a tree that is the caller's own (a fresh parse) in place."""
    tree = tree.copy() if copy else tree
    for col in tree.find_all(exp.Column):
        table = col.table
        if not table:
            col.set("table", exp.to_identifier(alias))
        elif table in joins:
            col.set("table", exp.to_identifier(joins[table]))
    return tree


def tables_used(tree: exp.Expression) -> set[str]:
    return {col.table for col in tree.find_all(exp.Column) if col.table}


def conjunction(conditions: Iterable[exp.Expression], copy: bool = True
                ) -> exp.Expression | None:
    """The conditions ANDed; ``copy=False`` for conditions made for it (no copies made)."""
    items = [c.copy() for c in conditions] if copy else list(conditions)
    if not items:
        return None
    return exp.and_(*items, copy=False) if len(items) > 1 else items[0]
