"""The values a KPI test writes: input rows typed as table columns, and expected values.

Column types are inferred from the YAML values (``12`` an integer, ``2025-01-10`` a date,
``2025-01-10 09:30:00`` a timestamp, ``won`` text) or declared per column under ``types:``.
Every value that does not fit its column is reported where it is written.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from ..diagnostics import Diagnostic, Span

TYPES = ("boolean", "integer", "double", "varchar", "date", "timestamp")
ALIASES = {"bool": "boolean", "int": "integer", "bigint": "integer", "int64": "integer",
           "long": "integer", "float": "double", "real": "double", "numeric": "double",
           "decimal": "double", "number": "double", "text": "varchar", "string": "varchar",
           "str": "varchar", "datetime": "timestamp"}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos}


@dataclass(frozen=True)
class Column:
    """One column of a test table: a type from :data:`TYPES` and one value per row."""

    name: str
    type: str
    values: tuple[Any, ...]


def type_name(text: str) -> str | None:
    """A declared type, normalised (``int`` -> ``integer``); None when unknown."""
    name = str(text).strip().lower()
    return name if name in TYPES else ALIASES.get(name)


def kind(value: Any) -> str:
    """The column type a single YAML value suggests."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    return "varchar"


def infer(values: list[tuple[Any, Span]], default: str = "varchar") -> tuple[str, Span | None]:
    """The type of a column from its values; with the span of a value that does not fit.

    Text gives way to any other type (``"2025-01-10"`` in a date column is read as a date;
    ``soon`` is then reported as not a date); integers widen to doubles, dates to timestamps.
    A column of text alone is ``default`` (a timestamp for a time column).
    """
    found: str | None = None
    for value, span in values:
        this = kind(value)
        if value is None or this == "varchar":
            continue
        if found is None or found == this:
            found = this
        elif {found, this} == {"integer", "double"}:
            found = "double"
        elif {found, this} == {"date", "timestamp"}:
            found = "timestamp"
        else:
            return found, span
    return found or default, None


def coerce(value: Any, to: str) -> Any:
    """A YAML value as a value of a column type; ValueError when it cannot be one."""
    if value is None:
        return None
    if to == "varchar":
        return value.isoformat(sep=" ") if isinstance(value, datetime) else \
            value.isoformat() if isinstance(value, date) else str(value)
    if to == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
    elif to == "integer" and not isinstance(value, bool):
        number = float(value) if isinstance(value, (int, float)) else float(str(value))
        if number.is_integer():
            return int(number)
    elif to == "double" and not isinstance(value, bool):
        return float(value) if isinstance(value, (int, float)) else float(str(value))
    elif to in ("date", "timestamp") and not isinstance(value, (bool, int, float)):
        return _moment(value, to)
    raise ValueError(value)


def _moment(value: Any, to: str) -> date | datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # timestamps are stored as UTC
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if to == "date":
            if value.time() != datetime.min.time():
                raise ValueError(value)
            return value.date()
        return value
    if isinstance(value, date):
        return value if to == "date" else datetime(value.year, value.month, value.day)
    raise ValueError(value)


def column(name: str, declared: str | None, cells: list[tuple[Any, Span]], where: str,
           out: list[Diagnostic], default: str = "varchar") -> Column:
    """A typed column from its cells (None where a row leaves it out)."""
    to, odd = (declared, None) if declared else infer(cells, default)
    if odd is not None:
        out.append(Diagnostic("wrong-type", f"column '{name}' of {where} mixes {to} and "
                              f"{kind(_value_at(cells, odd))} values", odd,
                              f"declare its type under 'types:' (one of: {', '.join(TYPES)})"
                              " or write every value the same way"))
    values = []
    for value, span in cells:
        try:
            values.append(coerce(value, to))
        except (ValueError, TypeError, OverflowError):
            values.append(None)
            if odd is None:
                article = "an" if to[0] in "aeiou" else "a"
                out.append(Diagnostic("wrong-type", f"{value!r} is not {article} {to} (column "
                                      f"'{name}' of {where})", span,
                                      _hint(to)))
    return Column(name, to, tuple(values))


def _value_at(cells: list[tuple[Any, Span]], span: Span) -> Any:
    return next(value for value, s in cells if s is span)


def _hint(to: str) -> str:
    return {"date": "write it as YYYY-MM-DD",
            "timestamp": "write it as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
            "boolean": "write true or false",
            }.get(to, "change the value or the column's type under 'types:'")


def expected(value: Any) -> float | None:
    """An expected KPI value: a number, null (empty), or arithmetic such as ``2/3``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(_arithmetic(ast.parse(value.strip(), mode="eval").body))
        except (SyntaxError, ZeroDivisionError, TypeError, ValueError, KeyError):
            pass
    raise ValueError(value)


def _arithmetic(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    if isinstance(node, ast.UnaryOp):
        return _ARITHMETIC[type(node.op)](_arithmetic(node.operand))
    raise ValueError(node)


def period(value: Any) -> date | str | None:
    """An expected period: its first day (a date), or its name as `metrics run` prints it
    (``2025-03``, ``2025 Q1``, ``FY2026 Q1``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (float, dict, list)):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text or None
