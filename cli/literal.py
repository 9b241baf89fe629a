"""Text from data and definitions, shown on a terminal exactly as written.

Dimension values, labels, descriptions, names and error messages may come from people who did
not write the project (a CRM export, a pull request). Nothing of theirs is read as Rich markup
(``[red]``, ``[link=...]``) or as an emoji code (``:x:``): the consoles here parse neither, and
cells are :class:`rich.text.Text`. Control characters, which a terminal would obey (an ANSI
escape ``\\x1b[31m`` turns the rest of the screen red, ``\\r`` overwrites a line), are shown
escaped, as ``\\x1b``; newlines and tabs stay.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# C0 and C1 controls but tab and newline; DEL; the bidirectional overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(value: Any) -> str:
    """``value`` as text a terminal prints and does not obey: controls become ``\\xNN``."""
    return _CONTROL.sub(_escaped, str(value))


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: Any, style: str = "") -> "Text":
    """A Rich cell that shows ``value`` literally, in ``style``."""
    from rich.text import Text

    return Text(visible(value), style=style)


def join(*parts: "Text | str") -> "Text":
    """Pieces side by side; a plain ``str`` piece is user text, shown literally."""
    from rich.text import Text

    return Text.assemble(*(p if isinstance(p, Text) else visible(p) for p in parts))


def console(**options: Any) -> "Console":
    """A console that reads no markup, substitutes no emoji and highlights nothing."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **options)
