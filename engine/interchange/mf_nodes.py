"""YAML nodes that know where they were written, and the import report.

A :class:`Node` is a value read from one of the dbt project's YAML files together with its
path in the document, so anything the importer says about it carries ``file:line:col``
(the spans come from :func:`engine.yamlspan.read_yaml`). Reading a missing key gives a node
whose value is None, never an exception: the files are untrusted and any shape may come.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Span
from ..yamlspan import Loc, SpanMap


@dataclass(frozen=True)
class Doc:
    """One YAML file of the dbt project: its path as shown (relative to the project)."""

    rel: str
    data: Any
    spans: SpanMap


@dataclass(frozen=True)
class Node:
    doc: Doc
    loc: Loc
    value: Any

    def __getitem__(self, key: str) -> Node:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(self.doc, self.loc + (key,), value)

    def __contains__(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    @property
    def span(self) -> Span:
        """Where it was written: the key of a mapping entry, else the value."""
        if self.loc and isinstance(self.loc[-1], str) and self.loc in self.doc.spans.keys:
            return self.doc.spans.keys[self.loc]
        return self.doc.spans.value(self.loc)

    def items(self) -> Iterator[Node]:
        """The entries of a list (nothing when it is not one)."""
        if isinstance(self.value, list):
            for i, item in enumerate(self.value):
                yield Node(self.doc, self.loc + (i,), item)

    def keys(self) -> list[str]:
        return list(self.value) if isinstance(self.value, dict) else []

    def text(self) -> str | None:
        """A scalar as text (YAML may read `expr: 1` as an int), or None."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, (str, int, float)):
            return str(self.value)
        return None

    @property
    def name(self) -> str:
        found = self["name"].value
        return found if isinstance(found, str) else "?"


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``kind`` is 'not mapped' (counts for --strict) or 'note'."""

    span: Span
    kind: str
    text: str

    def render(self) -> str:
        return f"{self.span}: {self.kind}: {self.text}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    mapped: list[tuple[str, str, str]] = field(default_factory=list)  # (what, where, how)

    def not_mapped(self, node: Node | Span, text: str) -> None:
        self._add(node, "not mapped", text)

    def note(self, node: Node | Span, text: str) -> None:
        self._add(node, "note", text)

    def mapped_as(self, node: Node, what: str, how: str) -> None:
        self.mapped.append((what, str(node.span), how))

    def unknown_keys(self, node: Node, known: set[str], what: str) -> None:
        """Report each key of a mapping that no rule reads."""
        for key in node.keys():
            if key not in known:
                self.not_mapped(node[key], f"unknown key '{key}' in {what}: MetricFlow "
                                "does not define it, so its meaning is unknown")

    def _add(self, node: Node | Span, kind: str, text: str) -> None:
        span = node.span if isinstance(node, Node) else node
        finding = Finding(span, kind, text)
        if finding not in self.findings:
            self.findings.append(finding)

    @property
    def unmapped(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "not mapped"]
