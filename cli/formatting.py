"""How values and periods read in a terminal: percent, currency, days; months, quarters.

Decimals follow a KPI's ``decimals:`` when it declares them (for a percentage, the digits of
the percentage: 2 shows 27.13%). Otherwise they follow its format and its values: percent,
days and hours one; currency none, or cents when every value is under 100 and some have
cents; numbers none when every value is whole, else two. :func:`digits` decides once for a
column of values, so a column reads alike (``$0`` beside ``$5,986,321``, not ``$0.00``);
:func:`value` alone decides for its one value.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from sales_metrics.engine.vocabulary import Format

if TYPE_CHECKING:
    from sales_metrics.engine.model import Target

EMPTY = "–"  # no value: nothing to divide, or no rows
INSUFFICIENT = "not enough data"  # below the KPI's min_denominator
_UNITS = {Format.percent: "%", Format.days: " d", Format.hours: " h"}


def _number(x: object) -> float | None:
    if x is None:
        return None
    x = float(x)  # type: ignore[arg-type]
    return None if math.isnan(x) or math.isinf(x) else x


def digits(values: list, fmt: Format, decimals: int | None = None) -> int:
    """The decimals one column of values is shown with (empty values are left out)."""
    if decimals is not None:
        return decimals
    if fmt in _UNITS:
        return 1
    xs = [abs(x) for x in map(_number, values) if x is not None]
    fractional = any(not x.is_integer() for x in xs)
    if fmt is Format.currency:
        return 2 if fractional and max(xs) < 100 else 0
    return 2 if fractional else 0


def value(x: float | int | None, fmt: Format, currency: str = "$", *,
          decimals: int | None = None) -> str:
    """One value as it reads: ``27.1%``, ``$1,200``, ``3.0 d``, ``12``; ``–`` when empty.
    ``decimals``: the digits after the point (default: as :func:`digits` picks for it)."""
    n = _number(x)
    if n is None:
        return EMPTY
    places = digits([n], fmt, decimals)
    if places == 0 and fmt in (Format.number, Format.currency) and _whole(x):
        return f"{'-' if x < 0 else ''}{currency * (fmt is Format.currency)}{abs(int(x)):,}"
    return _text(n, fmt, currency, places, signed=False)


def _whole(x) -> bool:
    """An integer or an integral decimal (a HUGEINT or DECIMAL sum): shown digit for digit,
    never through a float."""
    return not isinstance(x, float) and x == int(x)


def signed(x: float | None, fmt: Format, currency: str = "$", *,
           decimals: int | None = None) -> str:
    """A difference in the KPI's unit, with its sign: ``+2.1 pts``, ``-$1,200``, ``+3.0 d``
    (``+0.0 pts`` when it is above zero yet rounds to nothing); ``""`` when there is none."""
    n = _number(x)
    if n is None:
        return ""
    return _text(n, fmt, currency, digits([n], fmt, decimals), signed=True)


def _text(x: float, fmt: Format, currency: str, places: int, signed: bool) -> str:
    size = abs(x) * 100 if fmt is Format.percent else abs(x)
    body = f"{size:,.{places}f}" if fmt is not Format.percent else f"{size:.{places}f}"
    if signed:  # a difference keeps its direction when it rounds to nothing: +0.0 pts
        sign = "" if x == 0 else "-" if x < 0 else "+"
    else:  # a value that rounds to nothing is no negative: 0.0%, not -0.0%
        sign = "-" if x < 0 and float(body.replace(",", "")) else ""
    if fmt is Format.currency:
        return f"{sign}{currency}{body}"
    unit = " pts" if signed and fmt is Format.percent else _UNITS.get(fmt, "")
    return f"{sign}{body}{unit}"


def target(t: Target, fmt: Format, currency: str = "$", *, decimals: int | None = None) -> str:
    sign = "≥" if t.direction == "higher" else "≤"
    return f"target {sign} {value(t.value, fmt, currency, decimals=decimals)}"


def on_target(x: float | int | None, t: Target) -> bool | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x >= t.value if t.direction == "higher" else x <= t.value


def period(day: date, grain: str, project, *, short: bool = False) -> str:
    """A period's name from its first day (2025-03, 2025 Q1, 2025-W03 (Mon 13 Jan), FY2026 Q1);
    ``short``: weeks named by the ISO week alone, or by their first day (a sparkline's ends)."""
    from sales_metrics.engine.calendar import Calendar, period_label
    from sales_metrics.engine.vocabulary import Grain

    return period_label(day, Grain(grain), Calendar.of(project), short=short)
