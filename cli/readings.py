"""What a KPI's value says: against its target, against the period before, and why it is empty.

One reading per cell, shared by every view of a result (the terminal table and trend lines,
the HTML charts and images, the workbook), so they agree on what "on target", "gap" and
"change" mean:

- ``state``: ``"value"``; ``"insufficient"`` when the KPI declares a ``min_denominator`` and the
  value is empty (its denominator was below that minimum, zero included: not enough data);
  ``"empty"`` for any other empty value (no data: nothing to divide, or no rows);
- ``gap``: value minus target, in the KPI's own unit (a fraction for percentages, which reads
  as points: 0.021 is "+2.1 pts");
- ``change``: value minus the previous period's value of the same group, when both exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow

PERIOD = "period"


@dataclass(frozen=True)
class Reading:
    value: float | None
    state: str  # "value", "insufficient" or "empty"
    on_target: bool | None  # None: no target, or no value
    gap: float | None
    change: float | None


def number(x: Any) -> float | None:
    """A cell as a float; None for an empty cell, NaN or an infinity."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def state(value: float | None, metric: Any) -> str:
    if value is not None:
        return "value"
    return "insufficient" if getattr(metric, "min_denominator", None) is not None else "empty"


def read(value: Any, metric: Any, previous: Any = None) -> Reading:
    x, before = number(value), number(previous)
    target = getattr(metric, "target", None)
    hit = gap = None
    if x is not None and target is not None:
        hit = x >= target.value if target.direction == "higher" else x <= target.value
        gap = x - target.value
    change = x - before if x is not None and before is not None else None
    return Reading(x, state(x, metric), hit, gap, change)


def keys(table: "pyarrow.Table", metrics: list[str]) -> list[str]:
    """The dimension columns of a result: everything but the period and the metrics."""
    return [c for c in table.column_names if c != PERIOD and c not in metrics]


def series(table: "pyarrow.Table", name: str, metric: Any, metrics: list[str]
           ) -> dict[tuple, list[tuple[Any, Reading]]]:
    """Per group (a tuple of dimension values; ``()`` without --by), the periods of column
    ``name`` (the definition ``metric``) in the result's order with each one's reading;
    ``change`` is against the group's previous row. ``metrics``: every metric column."""
    dims = keys(table, metrics)
    columns = {c: table.column(c).to_pylist() for c in dims + [name]}
    periods = table.column(PERIOD).to_pylist() if PERIOD in table.column_names \
        else [None] * table.num_rows
    out: dict[tuple, list[tuple[Any, Reading]]] = {}
    last: dict[tuple, Any] = {}
    for i in range(table.num_rows):
        group = tuple(columns[d][i] for d in dims)
        value = columns[name][i]
        out.setdefault(group, []).append((periods[i], read(value, metric, last.get(group))))
        last[group] = value
    return out
