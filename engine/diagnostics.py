"""Where a problem is, what it is, and how to fix it; and the exception tree.

Every user-facing problem is a :class:`Diagnostic`. Errors meant for users derive from
:class:`MetricsError` and print as one clean line; any other exception is a bug in this
package and is allowed to show its traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from collections.abc import Iterable

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Span:
    """A position in a definition file; line and column are 1-based."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"

    def shifted(self, lines: int = 0, cols: int = 0) -> Span:
        return Span(self.path, self.line + lines, self.col + cols)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: a stable code (kebab-case), a message, where it is and how to fix it."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = "error"

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity}[{self.code}] {self.message}"
        return f"{text}; {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        span = self.span or Span("")
        return {
            "path": span.path or None,
            "line": span.line or None,
            "column": span.col or None,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }

    def github(self) -> str:
        """A GitHub Actions workflow command that annotates the file in a pull request."""
        span = self.span or Span("")
        props = [f"file={span.path}"] if span.path else []
        if span.line:
            props += [f"line={span.line}", f"col={span.col}"]
        props.append(f"title={self.code}")
        body = self.message + (f"; {self.hint}" if self.hint else "")
        body = body.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{self.severity} {','.join(props)}::{body}"


class MetricsError(Exception):
    """Base of every error meant for a user; printed as one line, never as a traceback."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [f"error: {self}"]


@dataclass
class DefinitionError(MetricsError):
    """The definitions are invalid; carries every diagnostic found, not just the first."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def lines(self) -> list[str]:
        return [d.render() for d in self.diagnostics]


class UsageError(MetricsError):
    """A request that cannot be answered as asked (unknown metric, bad option value)."""

    exit_code = 2


class CompileError(MetricsError):
    """The definitions are valid but this request cannot be compiled."""


class UnsupportedFeature(CompileError):
    """The target dialect cannot express something the request needs."""

    def __init__(self, dialect: str, feature: str, hint: str = "") -> None:
        self.dialect, self.feature = dialect, feature
        text = f"the {dialect} dialect does not support {feature}"
        super().__init__(f"{text}; {hint}" if hint else text)


class AdapterError(MetricsError):
    """A backend failed: connection refused, query rejected. Secrets are masked."""

    exit_code = 2

    def __init__(self, adapter: str, message: str, sql: str | None = None) -> None:
        self.adapter, self.sql = adapter, sql
        super().__init__(f"{adapter}: {message}")


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def one_of(choices: Iterable[str]) -> str:
    names = sorted(set(choices))
    if not names:
        return "none are defined"
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"expected one of: {shown}"


def relpath(path: Path, root: Path | None = None) -> str:
    """A path as a user would type it: relative to the working directory when possible."""
    base = root or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def check_rows(rows: int, most: int) -> None:
    """Refuse a result of more than ``most`` rows (``limits.max_rows``): more is refused,
    not cut."""
    if rows > most:
        raise UsageError(f"the result has {rows:,} rows, more than limits.max_rows ({most:,}) "
                         "in project.yml allows; narrow the request (--start/--end, a coarser "
                         "--grain, fewer --by) or raise the limit")
