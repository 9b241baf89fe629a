"""Connections and results: a small pool of adapters, and a cache of Arrow tables.

**The pool.** At most ``size`` queries run at once (a semaphore; a request waits up to
``wait`` seconds for a slot, then is told the server is busy). Each adapter is used by one
thread at a time: it is taken from the idle list (or opened) for one query and given back
after it. DuckDB gets one in-memory engine per connection, each with the project's views and
sandbox; a warehouse gets one session per connection. An adapter that failed is closed, not
given back, so the next query opens a new one: a warehouse that dropped the session (a
restart, ``pg_terminate_backend``) costs one reconnection. A query that failed on a
connection taken from the idle list is tried once more on a new one, since the failure may
be the old session's and not the query's (never after a timeout). Connections opened for an
older catalog are closed when next seen (the DuckDB sandbox depends on the definitions).

**The cache.** Results are kept for ``ttl`` seconds (0: never), at most ``entries`` of
them, under a key of the definitions' digest, the normalized request and the data's
fingerprint (see :func:`data_fingerprint`), so a change to either is a miss.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import AdapterError

from .errors import Busy, timed_out

if TYPE_CHECKING:
    import pyarrow

log = logging.getLogger("metrics.serve")


class Pool:
    def __init__(self, opener: Callable[[Any], Any], size: int, wait: float = 30.0) -> None:
        self._open = opener  # project -> a new adapter
        self._slots = threading.BoundedSemaphore(size)
        self._wait = wait
        self._idle: list[tuple[int, Any]] = []  # (catalog generation, adapter)
        self._lock = threading.Lock()

    def run(self, project: Any, generation: int, sql_for: Callable[[str], str]
            ) -> "pyarrow.Table":
        """Run the SQL that ``sql_for(dialect)`` returns on a pooled connection."""
        for attempt in (1, 2):
            if not self._slots.acquire(timeout=self._wait):
                raise Busy(f"every query slot stayed busy for {self._wait:g} s; try again")
            try:
                conn, reused = self._take(project, generation)
                try:
                    table = conn.execute(sql_for(conn.dialect))
                except AdapterError as err:
                    self._drop(conn)
                    if reused and attempt == 1 and not timed_out(err):
                        log.warning("query failed on a pooled connection (%s); retrying on a "
                                    "new one", err)
                        continue
                    raise
                except BaseException:
                    self._drop(conn)
                    raise
                self._give_back(generation, conn)
                return table
            finally:
                self._slots.release()
        raise AssertionError("unreachable")  # pragma: no cover

    def prime(self, project: Any, generation: int) -> None:
        self._give_back(generation, self._open(project))

    def _take(self, project: Any, generation: int) -> tuple[Any, bool]:
        old = []
        with self._lock:
            while self._idle:
                made_for, conn = self._idle.pop()
                if made_for == generation:
                    break
                old.append(conn)
            else:
                conn = None
        for stale in old:
            self._drop(stale)
        if conn is not None:
            return conn, True
        return self._open(project), False

    def _give_back(self, generation: int, conn: Any) -> None:
        with self._lock:
            self._idle.append((generation, conn))

    def _drop(self, conn: Any) -> None:
        try:
            conn.close()
        except Exception as err:  # a session already gone: closing it is best effort
            log.info("closing a dropped connection: %s", type(err).__name__)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, conn in idle:
            self._drop(conn)


class ResultCache:
    def __init__(self, ttl: float, entries: int = 256) -> None:
        self.ttl, self.entries = ttl, entries
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


def data_files(project: Any, settings: dict[str, Any]) -> tuple[Path, ...] | None:
    """The files a local DuckDB connection reads (its ``data:`` folders, ``path:`` sources
    and database file), or None when the data is elsewhere (a warehouse: only the TTL)."""
    from sales_metrics.engine.access import data_folders, resolved

    if str(settings.get("type", "duckdb")).lower() != "duckdb":
        return None
    values = [*data_folders(settings.get("data")), settings.get("database") or ":memory:"]
    if any(not isinstance(v, str) or "{{" in v or "{%" in v for v in values):
        return None  # rendered at connection time: not known here
    found = [resolved(project.root, v) for v in values if v not in (":memory:", "")]
    found += [resolved(project.root, s.model.path) for s in project.catalog.sources.values()
              if s.model.path]
    return tuple(found)


def data_fingerprint(paths: tuple[Path, ...] | None) -> Hashable | None:
    """Names, sizes and modification times of the files (a folder: of the files in it).
    Read on every cached answer, so with ``os.scandir`` and plain strings (sorting Path
    objects took most of a cached answer's time)."""
    if paths is None:
        return None
    out: list[tuple[str, int, int]] = []
    for path in paths:
        text = str(path)
        try:
            with os.scandir(text) as entries:
                found = sorted((entry.path, entry) for entry in entries)
        except NotADirectoryError:
            found = [(text, None)]
        except OSError:
            out.append((text, -1, -1))
            continue
        for name, entry in found:
            try:
                info = entry.stat() if entry is not None else os.stat(name)
                out.append((name, info.st_size, info.st_mtime_ns))
            except OSError:
                out.append((name, -1, -1))
    return tuple(out)
