"""Reasoning about row filters: can they all be true at once, and does one imply another.

A small solver over sqlglot trees, for the lint rules. It is sound but incomplete: when it
cannot tell, it answers "can be true" (a lint must not cry wolf). It knows SQL's three-valued
logic (a filter keeps a row only when it is TRUE, so ``x = NULL``, ``x <> x`` and
``x NOT IN (1, NULL)`` are never true) and tracks, per term (a column or any expression
compared with literals): the values it must take (``=``, ``IN``), the values it must not
(``<>``, ``NOT IN``), a numeric range (``<``, ``>=``, ``BETWEEN``) and whether it is NULL.
Anything else is an opaque predicate, in contradiction only with its own negation.

sqlglot's optimizer ``simplify`` folds constants (``1 = 0``) but keeps ``x = 'a' AND x = 'b'``
as it is, and costs about a millisecond per filter; this walks each tree once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from sqlglot import exp

Value = tuple[str, object]  # ("num", Decimal) | ("str", str) | ("bool", bool)
Todo = list[tuple[exp.Expression, bool]]  # a condition, and whether it must be TRUE or FALSE
_NEGATE = {exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.GT: exp.LTE, exp.LTE: exp.GT,
           exp.GTE: exp.LT, exp.LT: exp.GTE}
_FLIP = {exp.EQ: exp.EQ, exp.NEQ: exp.NEQ, exp.GT: exp.LT, exp.LT: exp.GT,
         exp.GTE: exp.LTE, exp.LTE: exp.GTE}
_BRANCHES = 64  # disjunctions explored before giving up (and answering "can be true")


class _Never(Exception):
    """The conditions seen so far cannot all be true."""


@dataclass
class _Term:
    allowed: frozenset[Value] | None = None
    excluded: frozenset[Value] = frozenset()
    low: tuple[Decimal, bool] | None = None  # (bound, strict)
    high: tuple[Decimal, bool] | None = None
    null: bool | None = None  # True: must be NULL; False: must not be
    kind: str | None = None  # the type of the literals it is compared with
    mixed: bool = False  # compared with literals of several types: draw no conclusion


@dataclass
class _State:
    terms: dict[object, _Term] = field(default_factory=dict)
    atoms: dict[object, bool] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State({k: replace(v) for k, v in self.terms.items()}, dict(self.atoms))


def never_true(conditions: Iterable[exp.Expression]) -> bool:
    """True when no row can satisfy all the conditions together (AND)."""
    return _unsat([(c, True) for c in conditions], _State(), [_BRANCHES])


def implies(premises: Sequence[exp.Expression], conclusion: exp.Expression) -> bool:
    """True when every row the premises keep, the conclusion keeps too."""
    todo: Todo = [(p, True) for p in premises]
    if not _unsat(todo + [(conclusion, False)], _State(), [_BRANCHES]):
        return False
    # `conclusion` is not TRUE when FALSE, or when NULL: its columns must be non-NULL then
    for col in conclusion.find_all(exp.Column):
        state = _State()
        _null(_term(state, col), True)
        if not _unsat(todo, state, [_BRANCHES]):
            return False
    return True


def _unsat(todo: Todo, state: _State, budget: list[int]) -> bool:
    todo = list(todo)
    while todo:
        node, true = todo.pop()
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Not):
            todo.append((node.this, not true))
        elif isinstance(node, exp.And if true else exp.Or):  # every part must hold
            todo += [(node.this, true), (node.expression, true)]
        elif isinstance(node, exp.Or if true else exp.And):  # one part must hold
            budget[0] -= 1
            if budget[0] < 0:
                return False
            return all(_unsat(todo + [(part, true)], state.copy(), budget)
                       for part in (node.this, node.expression))
        else:
            try:
                _add(state, node, true)
            except _Never:
                return True
    return False


def _add(state: _State, node: exp.Expression, true: bool) -> None:
    if isinstance(node, exp.Boolean):
        if node.this is not true:
            raise _Never
    elif isinstance(node, exp.Null):
        raise _Never  # NULL is never TRUE, and NOT NULL is NULL
    elif type(node) in _NEGATE:
        _compare(state, type(node) if true else _NEGATE[type(node)], node.this, node.expression)
    elif isinstance(node, exp.In):
        _in(state, node, true)
    elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        _null(_term(state, node.this), true)
    elif isinstance(node, exp.Between) and true:
        term = _term(state, node.this)
        _bound(term, exp.GTE, _value(node.args["low"]))
        _bound(term, exp.LTE, _value(node.args["high"]))
    else:
        _atom(state, _key(node), true)
        if isinstance(node, exp.Column):  # a boolean column, TRUE or FALSE, is not NULL
            _null(_term(state, node), False)


def _compare(state: _State, op: type, left: exp.Expression, right: exp.Expression) -> None:
    if _is_null(left) or _is_null(right):
        raise _Never  # `x = NULL` is NULL whatever x is
    lval, rval = _value(left), _value(right)
    if lval is not None and rval is not None:
        if _holds(op, lval, rval) is False:
            raise _Never
        return
    if lval is not None:
        op, left, right, rval = _FLIP[op], right, left, lval
    if rval is None:  # two expressions
        same = _key(left) == _key(right)
        if same and op in (exp.NEQ, exp.GT, exp.LT):
            raise _Never
        _null(_term(state, left), False)
        _null(_term(state, right), False)
        if not same:
            _atom(state, (op.key, _key(left), _key(right)), True)
        return
    term = _term(state, left)
    if op is exp.EQ:
        _allow(term, frozenset([rval]))
    elif op is exp.NEQ:
        _exclude(term, frozenset([rval]))
    else:
        _bound(term, op, rval)


def _in(state: _State, node: exp.In, true: bool) -> None:
    items = node.expressions
    values = [_value(v) for v in items]
    if node.args.get("query") or not items or any(
            v is None and not _is_null(e) for v, e in zip(values, items)):
        _atom(state, _key(node), true)
        return
    if not true and any(_is_null(e) for e in items):
        raise _Never  # `x NOT IN (1, NULL)` is never TRUE
    found = frozenset(v for v in values if v is not None)
    term = _term(state, node.this)
    _allow(term, found) if true else _exclude(term, found)


def _atom(state: _State, key: object, true: bool) -> None:
    if state.atoms.get(key, true) is not true:
        raise _Never
    state.atoms[key] = true


def _term(state: _State, node: exp.Expression) -> _Term:
    return state.terms.setdefault(_key(node), _Term())


def _key(node: exp.Expression) -> object:
    """What identifies a term or predicate: a column by its name, anything else by sqlglot's
    structural hash (cached on the node; generating SQL text would cost 50x more) and its
    string literals, which that hash compares without case ('A%' and 'a%' stay apart)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return (node.table, node.name)
    return (hash(node), tuple(x.this for x in node.find_all(exp.Literal) if x.is_string))


def _null(term: _Term, null: bool) -> None:
    if term.null is not None and term.null is not null:
        raise _Never
    term.null = null
    if null and (term.allowed is not None or term.excluded or term.low or term.high):
        raise _Never


def _typed(term: _Term, values: Iterable[Value]) -> bool:
    """Record the literals' type; False when the term is compared with several types."""
    _null(term, False)
    for kind, _ in values:
        term.mixed = term.mixed or (term.kind is not None and term.kind != kind)
        term.kind = kind
    return not term.mixed


def _allow(term: _Term, values: frozenset[Value]) -> None:
    if _typed(term, values):
        term.allowed = values if term.allowed is None else frozenset(
            a for a in term.allowed if any(_same(a, b) for b in values))
        _check(term)


def _exclude(term: _Term, values: frozenset[Value]) -> None:
    if _typed(term, values):
        term.excluded |= values
        _check(term)


def _bound(term: _Term, op: type, value: Value | None) -> None:
    if value is None or not _typed(term, [value]) or value[0] != "num":
        return
    bound = (value[1], op in (exp.GT, exp.LT))
    if op in (exp.GT, exp.GTE):  # the tighter bound: a larger value, or as large and strict
        if term.low is None or bound > term.low:
            term.low = bound
    elif term.high is None or (bound[0], not bound[1]) < (term.high[0], not term.high[1]):
        term.high = bound
    _check(term)


def _check(term: _Term) -> None:
    low, high = term.low, term.high
    if low and high and (low[0] > high[0] or low[0] == high[0] and (low[1] or high[1])):
        raise _Never
    if term.allowed is not None and not any(
            v not in term.excluded and _in_range(term, v) for v in term.allowed):
        raise _Never


def _in_range(term: _Term, value: Value) -> bool:
    if value[0] != "num":
        return True
    number = value[1]
    if term.low and (number < term.low[0] or number == term.low[0] and term.low[1]):
        return False
    return not (term.high and (number > term.high[0] or number == term.high[0] and term.high[1]))


def _same(a: Value, b: Value) -> bool:
    """Could these two literals be equal? Strings compare case-insensitively here, as some
    dialects' collations do, so ``x = 'Won' AND x = 'won'`` is not called a contradiction."""
    if a[0] == "str" and b[0] == "str":
        return str(a[1]).casefold() == str(b[1]).casefold()
    return a == b


def _holds(op: type, a: Value, b: Value) -> bool | None:
    if a[0] != b[0] or (a[0] == "str" and op is not exp.EQ and op is not exp.NEQ):
        return None
    if op is exp.EQ:
        return _same(a, b) if a[0] == "str" else a == b
    if op is exp.NEQ:
        return None if a[0] == "str" else a != b
    x, y = a[1], b[1]
    return {exp.GT: x > y, exp.GTE: x >= y, exp.LT: x < y, exp.LTE: x <= y}[op]  # type: ignore


def _value(node: exp.Expression) -> Value | None:
    while isinstance(node, exp.Paren):
        node = node.this
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if isinstance(node, exp.Boolean) and not negative:
        return ("bool", bool(node.this))
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        return None if negative else ("str", node.this)
    try:
        number = Decimal(node.this)
    except InvalidOperation:
        return None
    return ("num", -number if negative else number)


def _is_null(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Null)
