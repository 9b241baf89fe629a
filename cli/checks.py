"""Flags checked before anything runs: the output file and its format (the days of a request
are checked by the engine, ``Project.request``, for every front end).

An ``--output`` file is refused, in one line, when its folder is missing or cannot be written, when
it is a folder or a device, or when its suffix and the format disagree: without ``--format`` the
format follows the suffix (``.csv``, ``.json``, ``.parquet``, ``.html``, ``.png``, ``.svg``,
``.xlsx``; ``.txt`` or none: the table, or with ``--format spark`` the trend view).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sales_metrics.engine.diagnostics import UsageError

SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".html": "html",
            ".png": "png", ".svg": "svg", ".xlsx": "xlsx", ".txt": "table", "": "table"}
ALSO = {"spark": (".txt", "")}  # formats that write a suffix another format names first


def output_format(chosen: str | None, out: Path | None) -> str:
    """The format to write: as given, else from the suffix; a mismatch is refused."""
    if out is None:
        return chosen or "table"
    suffix = out.suffix.lower()
    implied = SUFFIXES.get(suffix)
    if chosen is None and implied is None:
        raise UsageError(f"cannot tell the format of {out}: name a {_names()} file, or give "
                         "--format")
    if chosen is not None and implied != chosen and suffix not in ALSO.get(chosen, ()):
        wanted = next(s for s, f in SUFFIXES.items() if f == chosen) if chosen in \
            SUFFIXES.values() else ALSO[chosen][0]
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
