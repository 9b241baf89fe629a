"""Answers as bytes: JSON with exact numbers, CSV, Arrow IPC; shared by the front ends.

Rows of a result go through :mod:`sales_metrics.cli.numbers` (the writer of `metrics run
--format json|csv`), so a DECIMAL sum is written with its own digits, never through a float.
Other answers (the catalog, dimension values, comparisons) are small Python values:
:func:`dumps` writes a :class:`~decimal.Decimal` as its digits, a date as ISO text, and a
float that is not finite as ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow


@dataclass(frozen=True)
class Result:
    """A query's answer (Service.query): the rows, and how they were got."""

    table: "pyarrow.Table"  # period, the dimensions, one column per metric
    metrics: tuple[str, ...]
    grain: str
    cached: bool  # served from the result cache
    catalog: int  # the catalog generation that answered
    stale: bool  # the definitions on disk are broken: this is the last good catalog
    key: Hashable = None  # the result cache's key (definitions, request, data)


FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "arrow": "application/vnd.apache.arrow.stream"}


def dumps(value: Any) -> str:
    """JSON text of dicts, lists, text, numbers (Decimal exact), dates, None."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (date, datetime)):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items()) \
            + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(str(value))


def result_json(result: Result) -> str:
    """``{"metrics", "grain", "columns": [{name, type}], "row_count", "rows": [...]}``."""
    from ..numbers import json_text

    table = result.table
    columns = [{"name": f.name, "type": str(f.type)} for f in table.schema]
    head = dumps({"metrics": list(result.metrics), "grain": result.grain, "columns": columns,
                  "row_count": table.num_rows, "cached": result.cached})
    return head[:-1] + ', "rows": ' + json_text(table).rstrip("\n") + "}\n"


def result_csv(result: Result) -> str:
    from ..numbers import csv_text

    return csv_text(result.table)


def result_arrow(result: Result) -> bytes:
    return arrow_stream(result.table)


def arrow_stream(table: "pyarrow.Table") -> bytes:
    """The table as Arrow IPC stream bytes (``pyarrow.ipc.open_stream`` reads them)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encoded(result: Result, fmt: str) -> tuple[bytes, str]:
    """The result in ``fmt`` (json, csv, arrow) and its media type."""
    if fmt == "csv":
        return result_csv(result).encode("utf-8"), FORMATS["csv"]
    if fmt == "arrow":
        return result_arrow(result), FORMATS["arrow"]
    return result_json(result).encode("utf-8"), FORMATS["json"]
