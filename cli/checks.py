"""Flags checked before anything runs: the days of a request, the output file and its format.

A request names days from 1900-01-01 to 2200-12-31 (``engine.compile.grains.YEARS``). An
``--output`` file is refused, in one line, when its folder is missing or cannot be written, when
it is a folder or a device, or when its suffix and the format disagree: without ``--format`` the
format follows the suffix (``.csv``, ``.json``, ``.parquet``; ``.txt`` or none: the table).
"""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

from sales_metrics.engine.diagnostics import UsageError

SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".txt": "table", "": "table"}
SHOWN = 40  # characters of a bad flag repeated in its message


def day(value: str | None, name: str) -> date | None:
    """``--start``/``--end``: a real day, YYYY-MM-DD, in the years a request may name."""
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value) if len(value) <= SHOWN else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise UsageError(f"--{name} '{_short(value)}' is not a date; write it as YYYY-MM-DD")
    from sales_metrics.engine.compile.grains import check_year

    check_year(parsed, name)
    return parsed


def _short(value: str) -> str:
    from .literal import visible

    shown = visible(value)
    return shown if len(shown) <= SHOWN else shown[:SHOWN] + f"... ({len(value):,} characters)"


def output_format(chosen: str | None, out: Path | None) -> str:
    """The format to write: as given, else from the suffix; a mismatch is refused."""
    if out is None:
        return chosen or "table"
    suffix = out.suffix.lower()
    implied = SUFFIXES.get(suffix)
    if chosen is None and implied is None:
        raise UsageError(f"cannot tell the format of {out}: name a {_names()} file, or give "
                         "--format")
    if chosen is not None and implied != chosen:
        wanted = next(s for s, f in SUFFIXES.items() if f == chosen)
        raise UsageError(f"--format {chosen} writes a {wanted} file, not {out.name}: rename "
                         "the --output or change --format")
    return chosen or implied  # type: ignore[return-value]


def _names() -> str:
    return ", ".join(s for s in SUFFIXES if s)


def writable(out: Path) -> None:
    """Refuse an --output path that cannot take a file, before any query runs."""
    target = out.expanduser().absolute()
    folder = target.parent
    if not folder.exists():
        raise UsageError(f"cannot write {out}: folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"cannot write {out}: {folder} is a file, not a folder")
    if target.is_dir():
        raise UsageError(f"cannot write {out}: it is a folder; name a file inside it")
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise UsageError(f"cannot write {out}: it is not a regular file (a device or a pipe)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {out}: folder {folder} is not writable")
