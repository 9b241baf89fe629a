"""What a project lets the DuckDB connection it opens read (see :mod:`.duckdb`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.access import folders, outside, resolved

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project


@dataclass(frozen=True)
class Sandbox:
    """What a project lets its DuckDB connection read, and for how long a query may run."""

    folders: tuple[Path, ...] = ()  # where `data:` may be: the project folder, allowed_paths
    files: tuple[Path, ...] = ()  # the `path:` sources inside those folders, resolved
    timeout: float | None = None

    @classmethod
    def of(cls, project: "Project") -> "Sandbox":
        allowed = tuple(folders(project.root, project.settings.allowed_paths))
        paths = [resolved(project.root, s.model.path)
                 for s in project.catalog.sources.values() if s.model.path]
        return cls(allowed, tuple(p for p in paths if not outside(p, allowed)),
                   project.settings.limits.timeout)

    def saved(self) -> dict[str, Any]:
        return {"folders": [str(p) for p in self.folders], "files": [str(p) for p in self.files],
                "timeout": self.timeout}

    @classmethod
    def restored(cls, saved: dict[str, Any]) -> "Sandbox":
        return cls(tuple(Path(p) for p in saved["folders"]),
                   tuple(Path(p) for p in saved["files"]), saved["timeout"])
