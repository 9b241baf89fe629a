"""Read YAML into plain Python data while remembering where every key and value came from.

PyYAML's ``compose`` keeps a start mark on every node; we walk the node tree once, build the
data, and record a :class:`Span` per path (``("metrics", 3, "numerator")``). Duplicate keys,
which PyYAML silently overwrites, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from .diagnostics import Diagnostic, Span

FILE_BYTES = 2_000_000  # the defaults of limits.file_bytes, .yaml_aliases, .yaml_depth (model.py)
YAML_ALIASES = 200
YAML_DEPTH = 64  # mappings and lists inside each other; definitions need fewer than ten
YAML_DEPTH_MOST = 200  # what limits.yaml_depth may be raised to (the reader recurses per level)


class Limits(Protocol):
    """What reading a file is bounded by: ``model.Limits`` (kept there, read here)."""

    file_bytes: int
    yaml_aliases: int
    yaml_depth: int


@dataclass(frozen=True)
class _Defaults:
    file_bytes: int = FILE_BYTES
    yaml_aliases: int = YAML_ALIASES
    yaml_depth: int = YAML_DEPTH

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
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as err:  # 2024-13-45, !!python/...
            self.diagnostics.append(Diagnostic(
                "yaml-value", f"'{str(node.value)[:40]}' cannot be read as {node.tag}: "
                f"{getattr(err, 'problem', None) or err}", self.spans.values[loc],
                "quote it to use it as text"))
            return None

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


def read_yaml(file: Path, display: str, limits: Limits | None = None
              ) -> tuple[Any, SpanMap, list[Diagnostic]]:
    """Parse one YAML file; a syntax error or a limit hit becomes a diagnostic, never an
    exception. The limits (``limits.file_bytes``, ``.yaml_aliases``, ``.yaml_depth``) are
    checked before the file is read and before any alias is expanded."""
    limits = limits or _Defaults()
    builder = _Builder(display)
    try:
        text = _read(file, display, limits.file_bytes)
        node = _compose(text, display, limits.yaml_aliases, limits.yaml_depth)
    except _Refused as refused:
        return None, builder.spans, [refused.diagnostic]
    except yaml.reader.ReaderError as err:
        return None, builder.spans, [Diagnostic(
            "yaml-syntax", f"character {err.character!r} is not allowed in YAML",
            Span(display), "remove control characters from the file")]
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


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _read(file: Path, display: str, most: int) -> str:
    size = file.stat().st_size
    if size > most:
        raise _Refused(Diagnostic(
            "file-too-large", f"the file has {size:,} bytes, more than limits.file_bytes "
            f"({most:,}) in project.yml allows", Span(display),
            "split it into several files or raise limits.file_bytes"))
    with file.open("rb") as handle:  # it may have grown since: never read more than allowed
        data = handle.read(most + 1)
    if len(data) > most:
        raise _Refused(Diagnostic("file-too-large", f"the file has more than limits.file_bytes "
                                  f"({most:,}) bytes", Span(display)))
    return data.decode("utf-8")


def _compose(text: str, display: str, aliases: int, depth: int) -> yaml.Node | None:
    """Check the event stream first (cheap: aliases are not expanded there), then compose."""
    _check_events(text, display, aliases, depth)
    return yaml.compose(text, Loader=_Loader)


def _check_events(text: str, display: str, most: int, depth: int) -> None:
    """Refuse a file that nests too deep or whose aliases would expand too much.

    An alias counts once, plus the aliases inside the value it repeats: a "billion laughs"
    file of ten levels of ten aliases counts ten billion, and is refused at its first alias
    past the limit, before anything is built."""
    weights: dict[str, int] = {}
    stack: list[list] = [[None, 0]]  # [anchor, aliases inside] per open collection
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            stack[-1][1] += 1 + weights.get(event.anchor, 0)
            if sum(entry[1] for entry in stack) > most:
                raise _Refused(_too_many_aliases(display, event, most))
        elif isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 0])
            if len(stack) > depth + 1:
                raise _Refused(Diagnostic(
                    "yaml-too-deep", f"mappings and lists nest more than limits.yaml_depth "
                    f"({depth}) in project.yml allows", _mark(display, event),
                    "definitions need only a few levels; flatten it, or raise "
                    "limits.yaml_depth"))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, count = stack.pop()
            stack[-1][1] += count
            if anchor is not None:
                weights[anchor] = count
        elif isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            weights[event.anchor] = 0


def _too_many_aliases(display: str, event: yaml.Event, most: int) -> Diagnostic:
    return Diagnostic("too-many-aliases", f"too many YAML aliases: with *{event.anchor} the file "
                      f"uses more than limits.yaml_aliases ({most:,}) in project.yml allows "
                      "(counting the aliases inside the values they repeat)",
                      _mark(display, event), "write the values out, or raise limits.yaml_aliases")


def _mark(display: str, event: yaml.Event) -> Span:
    return Span(display, event.start_mark.line + 1, event.start_mark.column + 1)
