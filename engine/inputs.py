"""What a command read from outside the process: files, folder listings, environment
variables, and data files an engine opened by itself.

The CLI replays a command's recorded output (:mod:`sales_metrics.cli.entry`) only when every
input it read is unchanged, as ``make`` and ``ccache`` do. Files the Python process opens and
folders it lists are seen through an audit hook (:func:`sys.addaudithook`), so no reader can
be forgotten; what it cannot see is told here by the code that reads it: environment variables
(``env_var()``), the files DuckDB opens itself (:func:`data_file`) and paths looked
for (:func:`probe`).

A file is fingerprinted by its content when small (definitions), by size, modification time
and inode when large (data); a folder by its sorted names. Standard library only: the fast
path imports this before anything else.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import time

_SMALL = 4 << 20  # files up to this size are hashed; larger ones are compared by stat
_RACY = 2.0  # a file changed this recently may change again within the clock's resolution
_IGNORED_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth", ".dist-info")

_recording: dict[str, set[str] | dict[str, str | None]] | None = None
_hooked = False
_ignored_roots: tuple[str, ...] = ()


def start(ignore: tuple[str, ...] = ()) -> None:
    """Record from now on (the files under ``ignore`` aside: the cache's own folder)."""
    global _recording, _hooked, _ignored_roots
    _recording = {"files": set(), "folders": set(), "data": set(), "env": {}}
    _ignored_roots = tuple(os.path.abspath(p) for p in ignore) + _library_roots()
    if not _hooked:  # a hook cannot be removed: one per process, idle unless recording
        sys.addaudithook(_hook)
        _hooked = True


def stop() -> dict[str, list] | None:
    """What was read since :func:`start`, as fingerprints; None if nothing was recording or
    an input changed too recently to be told apart from a later change."""
    global _recording
    seen, _recording = _recording, None
    if seen is None:
        return None
    files = {p: fingerprint(p) for p in sorted(seen["files"])}  # type: ignore[union-attr]
    data = {p: fingerprint(p, by_stat=True) for p in sorted(seen["data"])}  # type: ignore
    now = time.time()
    for path in [*files, *data]:
        try:
            if now - os.stat(path).st_mtime < _RACY:
                return None
        except OSError:
            pass
    return {"files": [[p, f] for p, f in files.items()],
            "data": [[p, f] for p, f in data.items()],
            "folders": [[p, listing(p)] for p in sorted(seen["folders"])],  # type: ignore
            "env": sorted([k, v] for k, v in seen["env"].items())}  # type: ignore[union-attr]


def unchanged(recorded: dict[str, list]) -> bool:
    """Whether every input in ``recorded`` (from :func:`stop`) is still as it was."""
    return (all(fingerprint(p) == f for p, f in recorded["files"])
            and all(fingerprint(p, by_stat=True) == f for p, f in recorded["data"])
            and all(listing(p) == f for p, f in recorded["folders"])
            and all(_digest(os.environ.get(k)) == v for k, v in recorded["env"]))


def env(name: str, value: str | None) -> None:
    """An environment variable a template read (its value is kept only as a digest)."""
    if _recording is not None:
        _recording["env"][name] = _digest(value)  # type: ignore[index]


def data_file(path: str | os.PathLike) -> None:
    """A file an engine reads by itself (DuckDB opening a Parquet file)."""
    if _recording is not None:
        _recording["data"].add(os.path.abspath(path))  # type: ignore[union-attr]


def probe(path: str | os.PathLike) -> None:
    """A path looked for, found or not (``project.yml`` above the working folder): its
    appearing or going away later is a change."""
    data_file(path)


def fingerprint(path: str, by_stat: bool = False) -> str | None:
    try:
        info = os.stat(path)
    except OSError:
        return None  # absent: appearing later is a change too
    if stat.S_ISDIR(info.st_mode):
        return "dir"
    if by_stat or info.st_size > _SMALL:
        return f"stat:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def listing(path: str) -> str | None:
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _digest(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode("utf-8", "surrogateescape")
                                                     ).hexdigest()


def _library_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    roots |= {p for p in sys.path if "site-packages" in p or "dist-packages" in p}
    return tuple(os.path.abspath(r) for r in roots if r)


def _hook(event: str, args: tuple) -> None:
    if _recording is None or event not in ("open", "os.listdir", "os.scandir", "glob.glob"):
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    path = os.path.abspath(os.fspath(path))
    if path.endswith(_IGNORED_SUFFIXES) or path.startswith(_ignored_roots):
        return
    if event == "open":
        mode, flags = args[1], args[2]
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) \
            else bool(flags & (os.O_WRONLY | os.O_RDWR))
        if not writing:
            _recording["files"].add(path)  # type: ignore[union-attr]
    elif event == "glob.glob":
        _recording["folders"].add(os.path.dirname(path) or ".")  # type: ignore[union-attr]
    else:
        _recording["folders"].add(path)  # type: ignore[union-attr]
