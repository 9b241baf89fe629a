"""Read YAML into plain Python data while remembering where every key and value came from.

PyYAML's ``compose`` keeps a start mark on every node; we walk the node tree once, build the
data, and record a :class:`Span` per path (``("metrics", 3, "numerator")``). Duplicate keys,
which PyYAML silently overwrites, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, Span

Loc = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SpanMap:
    """Spans of values and of mapping keys, by their path in the document."""

    path: str
    values: dict[Loc, Span] = field(default_factory=dict)
    keys: dict[Loc, Span] = field(default_factory=dict)
    quoted: dict[Loc, int] = field(default_factory=dict)
    broken: set[Loc] = field(default_factory=set)  # strings whose template failed to render
    _index: dict[int, tuple] = field(default_factory=dict, repr=False, compare=False)

    def value(self, loc: Loc) -> Span:
        """The span of the value at ``loc``, or of its nearest enclosing value."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.values:
                return self.values[loc[:end]]
        return Span(self.path)

    def key(self, loc: Loc) -> Span:
        return self.keys.get(loc) or self.value(loc)

    def sub(self, prefix: Loc) -> SpanMap:
        """The spans under ``prefix``, with paths made relative to it.

        From an index of the spans by their first ``len(prefix)`` steps, built once (and
        again if spans were added since): a file of a thousand metrics asks for a thousand
        of these, and cutting the whole map each time made loading it quadratic."""
        n = len(prefix)
        size = (len(self.values), len(self.keys), len(self.quoted), len(self.broken))
        if n not in self._index or self._index[n][0] != size:
            self._index[n] = (size, self._group(n))
        values, keys, quoted, broken = self._index[n][1].get(prefix) or ({}, {}, {}, set())
        return SpanMap(self.path, dict(values), dict(keys), dict(quoted), set(broken))

    def _group(self, n: int) -> dict[Loc, tuple[dict, dict, dict, set]]:
        groups: dict[Loc, tuple[dict, dict, dict, set]] = {}

        def group(loc: Loc) -> tuple[dict, dict, dict, set]:
            found = groups.get(loc[:n])
            if found is None:
                found = groups[loc[:n]] = ({}, {}, {}, set())
            return found
        for part, spans in enumerate((self.values, self.keys, self.quoted)):
            for loc, span in spans.items():
                if len(loc) >= n:
                    group(loc)[part][loc[n:]] = span
        for loc in self.broken:
            if len(loc) >= n:
                group(loc)[3].add(loc[n:])
        return groups


def _span(path: str, node: yaml.Node) -> Span:
    return Span(path, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, path: str) -> None:
        self.spans = SpanMap(path)
        self.diagnostics: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.spans.values[loc] = _span(self.spans.path, node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        if node.style in ("'", '"', "|", ">"):
            self.spans.quoted[loc] = 1 if node.style in ("'", '"') else -1
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Keys are field names, taken as written: YAML 1.1 would read `on:` as True.
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            key_span = _span(self.spans.path, key_node)
            if key in out:
                first = self.spans.keys[loc + (key,)]
                self.diagnostics.append(Diagnostic(
                    "duplicate-key", f"key '{key}' appears twice in this mapping",
                    key_span, f"keep one of them (the first is on line {first.line})"))
                continue
            self.spans.keys[loc + (key,)] = key_span
            out[key] = self.build(value_node, loc + (key,))
        return out


def read_yaml(file: Path, display: str) -> tuple[Any, SpanMap, list[Diagnostic]]:
    """Parse one YAML file; a syntax error becomes a diagnostic, never an exception."""
    builder = _Builder(display)
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        span = Span(display, mark.line + 1, mark.column + 1) if mark else Span(display)
        problem = err.problem or err.context or "invalid YAML"
        hint = "check the indentation and quote values that contain ':' or '#'"
        return None, builder.spans, [Diagnostic("yaml-syntax", problem, span, hint)]
    except (OSError, UnicodeDecodeError) as err:
        return None, builder.spans, [Diagnostic("unreadable-file", str(err), Span(display))]
    if node is None:
        return None, builder.spans, []
    data = builder.build(node, ())
    return data, builder.spans, builder.diagnostics
