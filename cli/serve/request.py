"""The request model shared by every front end: HTTP bodies, MCP tool arguments, Python.

:meth:`QueryRequest.of` checks the shape (types, unknown keys, how many of each) once, with
one clean line per problem; what the names and filters mean is checked by the engine
(``Project.request`` and the compiler), exactly as for `metrics run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sales_metrics.engine.diagnostics import did_you_mean

from .errors import BadRequest

MOST_METRICS = 200
MOST_BY = 8
MOST_WHERE = 20
LONGEST_TEXT = 2000  # characters of one name, day or filter
FIELDS = ("metrics", "grain", "by", "start", "end", "where")


@dataclass(frozen=True)
class QueryRequest:
    """What to compute. Empty ``metrics``: every metric the token may read that this grain
    and grouping allow."""

    metrics: tuple[str, ...] = ()
    grain: str | None = None
    by: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    where: tuple[str, ...] = ()

    @classmethod
    def of(cls, data: Any, extra: tuple[str, ...] = ()) -> "QueryRequest":
        """From a JSON object; keys in ``extra`` (``format``, ``dialect``) are the caller's."""
        if not isinstance(data, dict):
            raise BadRequest("the request is a JSON object: {\"metrics\": [...], \"grain\": ...}")
        for key in data:
            if key not in FIELDS + extra:
                hint = did_you_mean(str(key), FIELDS + extra)
                raise BadRequest(f"unknown field '{str(key)[:40]}'"
                                 + (f"; {hint}" if hint else f"; expected {', '.join(FIELDS)}"))
        return cls(_names(data, "metrics", MOST_METRICS), _text(data, "grain"),
                   _names(data, "by", MOST_BY), _text(data, "start"), _text(data, "end"),
                   _names(data, "where", MOST_WHERE))

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``Project.compile`` and ``Project.runnable``."""
        return {"grain": self.grain, "by": list(self.by), "start": self.start,
                "end": self.end, "where": list(self.where)}

    def key(self) -> tuple:
        """The request, normalized, for a cache key."""
        return (self.metrics, (self.grain or "").lower(), self.by, self.start, self.end,
                self.where)


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{key}' is text, not {type(value).__name__}")
    if len(value) > LONGEST_TEXT:
        raise BadRequest(f"'{key}' is {len(value):,} characters; at most {LONGEST_TEXT:,}")
    return value


def _names(data: dict, key: str, most: int) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{key}' is a list of text")
    if len(value) > most:
        raise BadRequest(f"'{key}' has {len(value):,} items; at most {most} are allowed")
    for item in value:
        if len(item) > LONGEST_TEXT:
            raise BadRequest(f"an item of '{key}' is {len(item):,} characters; at most "
                             f"{LONGEST_TEXT:,}")
    return tuple(value)
