"""How values and periods read in a terminal: percent, currency, days; months, quarters."""

from __future__ import annotations

import math
from datetime import date

from sales_metrics.engine.model import Format, Target


def value(x: float | int | None, fmt: Format, currency: str = "$") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if fmt is Format.percent:
        return f"{x * 100:.1f}%"
    if fmt is Format.currency:
        return f"{'-' if x < 0 else ''}{currency}{abs(x):,.0f}" if abs(x) >= 100 \
            else f"{'-' if x < 0 else ''}{currency}{abs(x):,.2f}"
    if fmt is Format.days:
        return f"{x:,.1f} d"
    if fmt is Format.hours:
        return f"{x:,.1f} h"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}"


def target(t: Target, fmt: Format, currency: str = "$") -> str:
    sign = "≥" if t.direction == "higher" else "≤"
    return f"target {sign} {value(t.value, fmt, currency)}"


def on_target(x: float | int | None, t: Target) -> bool | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x >= t.value if t.direction == "higher" else x <= t.value


def period(day: date, grain: str, project) -> str:
    """A period's name from its first day (2025-03, 2025 Q1, FY2026 Q1, FY2025 P07)."""
    from sales_metrics.engine.compile.grains import Calendar, period_label
    from sales_metrics.engine.model import Grain

    return period_label(day, Grain(grain), Calendar.of(project))
