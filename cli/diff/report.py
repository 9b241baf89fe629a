"""The records of a `metrics diff` report: what changed, and how values moved.

The comparison (:mod:`.command`), the values (:mod:`.values`) and the renderers
(:mod:`.render`) all read and write these; they import nothing of each other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Row:
    period: date
    before: float | None
    after: float | None
    change: float | None
    relative: float | None


@dataclass
class Moved:
    grain: str
    periods: int = 0  # periods compared
    moved: int = 0  # periods whose value changed
    rows: list[Row] = field(default_factory=list)  # the largest changes, at most --top
    note: str | None = None  # why the versions could not be compared


@dataclass
class Entry:
    name: str
    label: str


@dataclass
class Change:
    """One metric present in both versions whose definition or SQL differs."""

    name: str  # its name in the working tree
    label: str
    old_name: str | None = None  # when renamed
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # field: (before, after)
    sql_diff: list[str] = field(default_factory=list)  # unified diff of the compiled SQL
    through: list[str] = field(default_factory=list)  # what it uses that changed
    breaking: list[str] = field(default_factory=list)  # why consumers may break


@dataclass
class Report:
    base: str
    commit: str
    project: str
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    renamed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)  # (name, what happened)
    settings: dict[str, tuple[str, str]] = field(default_factory=dict)
    values: dict[str, Moved] = field(default_factory=dict)
    missing: bool = False  # the project did not exist at the base: every metric is new

    @property
    def breaking(self) -> list[str]:
        out = [f"{e.name}: removed; anything that asks for it fails" for e in self.removed]
        out += [f"{c.name}: {why}" for c in self.renamed + self.changed for why in c.breaking]
        if "currency_symbol" in self.settings:
            out.append("project: currency symbol changed; every currency KPI reads differently")
        return out

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed or self.sources
                    or self.settings)
