"""The catalog a server answers from, reloaded when its definition files change.

At most once per ``interval`` seconds, on a request, the YAML files under the project folder
and the macro files are listed with their sizes and modification times. When that differs
from what the current catalog was loaded from, one request loads and validates the project
again (``check_project``) while the others keep answering from the current one. A valid
load replaces the catalog: a new immutable :class:`Generation`, swapped under a lock, so a
request already running keeps the one it started with. An invalid load changes nothing but
:attr:`Definitions.problems`: the last good catalog is still served, and health says why.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import DefinitionError, MetricsError

if TYPE_CHECKING:
    from sales_metrics.engine.diagnostics import Diagnostic
    from sales_metrics.engine.project import Project

log = logging.getLogger("metrics.serve")
Listing = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, eq=False)
class Generation:
    """One valid load of the project: never changed once made."""

    project: "Project"
    diagnostics: tuple["Diagnostic", ...]  # its warnings (errors would have stopped it)
    digest: str  # of the definition files' contents: part of every cache key
    number: int
    loaded_at: float
    facts: dict[str, Any] = field(default_factory=dict)  # what is computed once per load
    lock: threading.Lock = field(default_factory=threading.Lock)


class Definitions:
    """The current :class:`Generation`, and why the files on disk are not it (if so)."""

    def __init__(self, path: str | Path | None, interval: float = 1.0) -> None:
        from sales_metrics.engine.loader import find_project

        self.file = find_project(Path(path) if path else None)
        self.interval = interval
        self.problems: list[str] = []  # the lines of the last failed load; [] when current
        self.failed: tuple["Diagnostic", ...] = ()
        self._reloading = threading.Lock()
        self._checked = time.monotonic()
        listing = self._listing()
        generation = self._load(listing, 1)
        if generation is None:
            if not self.failed:
                raise MetricsError("; ".join(self.problems))
            raise DefinitionError([d for d in self.failed if d.severity == "error"])
        self._current, self._listed = generation, listing

    def current(self) -> Generation:
        """The catalog to answer from, after a reload when the files changed."""
        now = time.monotonic()
        if now - self._checked >= self.interval and self._reloading.acquire(blocking=False):
            try:
                self._checked = now
                listing = self._listing()
                if listing != self._listed:
                    self._reload(listing)
            finally:
                self._reloading.release()
        return self._current

    @property
    def stale(self) -> bool:
        return bool(self.problems)

    def _reload(self, listing: Listing) -> None:
        generation = self._load(listing, self._current.number + 1)
        self._listed = listing  # a broken file is not loaded again until it changes
        if generation is None:
            log.warning("definitions changed but are invalid; still serving the catalog "
                        "loaded %s", time.strftime("%H:%M:%S", time.localtime(
                            self._current.loaded_at)))
            return
        self._current = generation
        log.info("definitions reloaded: %d metrics", len(generation.project.catalog.metrics))

    def _load(self, listing: Listing, number: int) -> Generation | None:
        from sales_metrics.engine.project import check_project

        digest = _digest(listing)
        try:
            project, diagnostics = check_project(self.file)
        except MetricsError as err:  # not a definition problem of a file: the project's own
            self.failed, self.problems = (), err.lines()
            return None
        except (OSError, UnicodeDecodeError) as err:  # a file gone or half-written mid-load
            self.failed, self.problems = (), [f"error: cannot read the definitions: {err}"]
            return None
        if project is None:
            self.failed = tuple(diagnostics)
            self.problems = [d.render() for d in diagnostics if d.severity == "error"]
            return None
        self.failed, self.problems = (), []
        return Generation(project, tuple(diagnostics), digest, number, time.time())

    def _listing(self) -> Listing:
        """Every file that makes the catalog: path, size and modification time."""
        root = self.file.parent
        found = [self.file, *root.rglob("*.y*ml")]
        current = getattr(self, "_current", None)
        macros = root / (current.project.settings.macros if current else "macros")
        if macros.is_dir():
            found += sorted(macros.glob("*.sql")) + sorted(macros.glob("*.jinja"))
        out = []
        for path in sorted(set(found)):
            try:
                info = path.stat()
            except OSError:
                continue
            out.append((str(path), info.st_size, info.st_mtime_ns))
        return tuple(out)


def _digest(listing: Listing) -> str:
    """The contents of the files listed (definition files are small)."""
    hashed = hashlib.sha256()
    for path, _, _ in listing:
        hashed.update(path.encode("utf-8", "surrogateescape") + b"\0")
        try:
            hashed.update(Path(path).read_bytes())
        except OSError:
            hashed.update(b"(gone)")
        hashed.update(b"\0")
    return hashed.hexdigest()
