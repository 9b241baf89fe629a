"""A result as JSON or CSV text for tools, numbers written as numbers.

DuckDB's ``sum`` of integers is a HUGEINT and of DECIMALs a DECIMAL(38, s); warehouses return
NUMERIC. They come through Arrow as decimals, which ``json.dumps(default=str)`` wrote as strings
(``"12000"``), and Arrow's CSV writer writes ``1E-10`` and ``-6.692647873169096e+13``. Here each
column is rendered by its Arrow type:

- integers (int64 beyond 2**53 too): their digits;
- float64: Python's ``repr``, the shortest text that reads back to the same float; float32 and
  float16: the shortest text that reads back to the same float32;
- decimals: their own digits, positional (``0.0000000001``, ``12300`` for ``1.23E+4``), never
  through a float; the column's scale is kept (``12000.00`` in a DECIMAL(38, 2));
- null, NaN and ±inf (no number a reader could use): ``null`` in JSON, an empty CSV cell.

Everything else is written as before: JSON strings (dates as ISO days), CSV cells as Arrow's
writer renders them (strings quoted, ``"`` doubled; days ``2025-01-31``; ``true``/``false``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow


def json_text(table: "pyarrow.Table") -> str:
    """The rows as a JSON array of objects, laid out as ``json.dumps(rows, indent=2)``."""
    keys = [json.dumps(name) for name in table.column_names]
    cells = [_json_cells(table.column(i)) for i in range(table.num_columns)]
    if table.num_rows == 0:
        return "[]\n"
    if not keys:
        return "[\n" + ",\n".join(["  {}"] * table.num_rows) + "\n]\n"
    rows = ("  {\n" + ",\n".join(f"    {k}: {c[i]}" for k, c in zip(keys, cells)) + "\n  }"
            for i in range(table.num_rows))
    return "[\n" + ",\n".join(rows) + "\n]\n"


def csv_text(table: "pyarrow.Table") -> str:
    """The rows as CSV: a header of quoted names, then one line per row, ``\\n`` after each."""
    header = ",".join(_quoted(name) for name in table.column_names)
    cells = [_csv_cells(table.column(i)) for i in range(table.num_columns)]
    return "".join([header, "\n", *(",".join(row) + "\n" for row in zip(*cells))])


def number_texts(column: "pyarrow.ChunkedArray | pyarrow.Array") -> list[str | None] | None:
    """Each value of a numeric column as number text (``None`` for null, NaN, ±inf); ``None``
    for a column that is not numeric."""
    import pyarrow as pa

    column = _decoded(column)
    kind = column.type
    write: Callable[[object], str | None]
    if pa.types.is_integer(kind):  # Arrow's own text of an integer is its digits
        return column.cast(pa.string()).to_pylist()
    if pa.types.is_floating(kind) and kind.bit_width == 64:
        write = _float64
    elif pa.types.is_floating(kind):
        column, write = column.cast(pa.float32()), _float32
    elif pa.types.is_decimal(kind):
        write = _decimal
    else:
        return None
    return [None if v is None else write(v) for v in column.to_pylist()]


def _float64(value: float) -> str | None:
    return repr(value) if math.isfinite(value) else None


def _float32(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    import numpy as np

    return repr(float(str(np.float32(value))))  # numpy: the shortest digits of the float32


def _decimal(value: Decimal) -> str | None:
    return format(value, "f") if value.is_finite() else None


def _decoded(column):
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _json_cells(column) -> list[str]:
    numbers = number_texts(column)
    if numbers is not None:
        return ["null" if n is None else n for n in numbers]
    return [json.dumps(v, default=str, allow_nan=False) for v in _decoded(column).to_pylist()]


def _csv_cells(column) -> list[str]:
    import pyarrow as pa

    numbers = number_texts(column)
    if numbers is not None:
        return ["" if n is None else n for n in numbers]
    column = _decoded(column)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_string_view(kind):
        return ["" if v is None else _quoted(v) for v in column.to_pylist()]
    try:  # what Arrow's CSV writer does: the column cast to text (days, times, booleans)
        texts = column.cast(pa.string()).to_pylist()
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        texts = [None if v is None else str(v) for v in column.to_pylist()]
    return ["" if t is None else _quoted(t) if _needs_quotes(t) or _is_binary(kind) else t
            for t in texts]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _needs_quotes(text: str) -> bool:
    return any(c in text for c in ',"\r\n')


def _is_string_view(kind) -> bool:
    import pyarrow as pa

    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))


def _is_binary(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind) \
        or pa.types.is_fixed_size_binary(kind)
