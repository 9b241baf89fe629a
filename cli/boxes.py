"""Boxed text tables for the terminal, drawn directly: the result of `metrics run`.

Rich drew these before; laying out the whole catalog (about 60 columns in 14 tables) took it
0.3-0.5 s, more than many queries. The columns here never wrap (the caller splits metrics
into tables that fit the width), so a table is one pass over the cells: measure, pad, join.
Every text is shown literally (:func:`literal.visible`); colour only on a terminal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .literal import visible

_STYLES = {"bold": "1", "dim": "2", "green": "32", "red": "31"}


@dataclass
class Column:
    header: str  # may hold a newline: a header of two lines
    right: bool = False  # numbers are right-aligned, keys left


@dataclass
class Table:
    columns: list[Column]
    title: str | None = None
    rows: list[list[tuple[str, str]]] = field(default_factory=list)  # (text, style) per cell

    def add_row(self, *cells: tuple[str, str] | str) -> None:
        self.rows.append([c if isinstance(c, tuple) else (c, "") for c in cells])

    def render(self, color: bool = False) -> str:
        heads = [visible(c.header).split("\n") for c in self.columns]
        height = max((len(h) for h in heads), default=1)
        heads = [[""] * (height - len(h)) + h for h in heads]  # headers sit on the rule
        cells = [[(visible(text), style) for text, style in row] for row in self.rows]
        widths = [max([width(line) for line in head] + [width(row[i][0]) for row in cells])
                  for i, head in enumerate(heads)]

        def line(texts: list[tuple[str, str]], edge: str, inner: str) -> str:
            parts = [_pad(text, widths[i], self.columns[i].right, style, color)
                     for i, (text, style) in enumerate(texts)]
            return edge + inner.join(f" {p} " for p in parts) + edge

        def rule(left: str, cross: str, right: str, fill: str) -> str:
            return left + cross.join(fill * (w + 2) for w in widths) + right

        out = []
        if self.title:
            total = sum(widths) + 3 * len(widths) + 1
            out.append(_pad(visible(self.title), total, False, "bold", color))
        out.append(rule("┏", "┳", "┓", "━"))
        out += [line([(h[k], "bold") for h in heads], "┃", "┃") for k in range(height)]
        out.append(rule("┡", "╇", "┩", "━"))
        out += [line(row, "│", "│") for row in cells]
        out.append(rule("└", "┴", "┘", "─"))
        return "\n".join(out) + "\n"


def width(text: str) -> int:
    """Terminal cells: wide (East Asian) characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def paint(text: str, style: str, color: bool) -> str:
    """``text`` in a style ("bold", "dim", "green", "red", or several) when colour is on."""
    if not (color and style and text):
        return text
    return f"\x1b[{';'.join(_STYLES[s] for s in style.split())}m{text}\x1b[0m"


def _pad(text: str, size: int, right: bool, style: str, color: bool) -> str:
    gap = " " * (size - width(text))
    text = paint(text, style, color)
    return gap + text if right else text + gap
