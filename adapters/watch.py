"""Run a query on a worker thread so that Ctrl-C and a timeout can stop it.

Embedded engines (DuckDB, SQLite, chdb) run a query inside this process, in C, where Python's
signal handler cannot run until the query returns. So the query runs on a worker thread while
the calling thread waits in short steps; on Ctrl-C, or when the timeout passes, the caller's
``stop`` is called (DuckDB's and SQLite's ``interrupt()``) until the worker returns.

An engine that cannot be stopped from Python (chdb) passes ``stop=None``: on Ctrl-C its query
is left running and :data:`ABANDONED` is set, so that the CLI ends the process at once
(``os._exit``) instead of waiting for the query, or tearing down an engine still at work.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, TypeVar

T = TypeVar("T")
STEP = 0.05  # how often the waiting thread looks at the clock
ABANDONED = threading.Event()  # a query was left running: exit without finalizing


class TimedOut(Exception):
    """The query ran longer than its timeout and was stopped."""


def watched(run: Callable[[], T], stop: Callable[[], None] | None,
            timeout: float | None = None) -> T:
    """``run()`` on a worker thread; its result, or what it raised, here.

    Raises :class:`TimedOut` after ``timeout`` seconds, ``KeyboardInterrupt`` on Ctrl-C, each
    once the query has stopped (or, with ``stop=None``, been left running)."""
    box: dict[str, Any] = {}
    done = threading.Event()  # waited on, not joined: a join cut by Ctrl-C misreports

    def work() -> None:
        try:
            box["value"] = run()
        except BaseException as err:  # handed to the waiting thread, which raises it
            box["error"] = err
        finally:
            done.set()

    threading.Thread(target=work, daemon=True, name="metrics-query").start()
    started = time.monotonic()
    try:
        while not done.wait(STEP):
            if timeout and time.monotonic() - started > timeout:
                if stop is None:
                    ABANDONED.set()
                else:
                    _stop(stop, done)
                raise TimedOut()
    except KeyboardInterrupt:
        if stop is None:
            ABANDONED.set()
        else:
            _stop(stop, done)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def _stop(stop: Callable[[], None], done: threading.Event) -> None:
    for _ in range(50):  # until the engine notices, however busy the machine is
        stop()
        if done.wait(0.2):
            return
