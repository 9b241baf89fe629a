"""The one Jinja environment: renders string fields before sqlglot parses them.

Sandboxed, with ``StrictUndefined`` so an unknown variable fails instead of becoming empty
SQL. Definitions see project ``var()`` values and the macros folder; ``env_var()`` is
offered only to connection settings, because environment variables are for secrets, and a
KPI must not mean different things on different machines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

import jinja2

from . import inputs
from .diagnostics import Diagnostic, Span
from .sandbox import LimitedEnvironment, TemplateProblem

if TYPE_CHECKING:
    from .model import Limits

__all__ = ["TemplateProblem", "Templates"]
_MISSING = object()
# What evaluating a user's expression can raise: {{ 1/0 }}, {{ 'a' * 'b' }}, a macro calling itself
_EVALUATION = (ArithmeticError, ValueError, TypeError, LookupError, RecursionError)


def _var(values: dict[str, Any]) -> Callable[..., Any]:
    def var(name: str, default: Any = _MISSING) -> Any:
        if name in values:
            return values[name]
        if default is not _MISSING:
            return default
        raise TemplateProblem(f"var('{name}') is not defined in the project's 'vars'")
    return var


def _env_var(name: str, default: Any = _MISSING) -> str:
    value = os.environ.get(name)
    inputs.env(name, value)
    if value is not None:
        return value
    if default is not _MISSING:
        return str(default)
    raise TemplateProblem(f"environment variable '{name}' is not set")


def _no_env_var(name: str, default: Any = None) -> str:
    raise TemplateProblem("env_var() is only available in connection settings "
                          "(it is for secrets; definitions must not depend on the machine)")


class Templates:
    """Renders strings with project vars and macros. Cheap when a string has no Jinja."""

    def __init__(self, variables: dict[str, Any], macro_dir: Path | None,
                 limits: Limits | None = None) -> None:
        if limits is None:
            from .model import Limits
            limits = Limits()
        self.env = LimitedEnvironment(limits.template_output, limits.template_loop,
                                      undefined=jinja2.StrictUndefined, autoescape=False,
                                      keep_trailing_newline=False)
        self.env.globals.update(var=_var(variables), env_var=_no_env_var)
        self.problems: list[Diagnostic] = []
        self._compiled: dict[str, jinja2.Template] = {}
        if macro_dir and macro_dir.is_dir():
            for file in sorted(macro_dir.glob("*.sql")) + sorted(macro_dir.glob("*.jinja")):
                self._load_macros(file)

    def _load_macros(self, file: Path) -> None:
        try:
            self.env.start()
            module = self.env.from_string(file.read_text(encoding="utf-8")).module
        except jinja2.TemplateError as err:
            line = getattr(err, "lineno", None) or 0
            self.problems.append(Diagnostic("template-error", f"macro file: {err}",
                                            Span(str(file), line, 1 if line else 0)))
            return
        except TemplateProblem as err:
            self.problems.append(Diagnostic(err.code, f"macro file: {err}",
                                            Span(str(file), err.line, 1), err.hint))
            return
        for name in dir(module):
            if not name.startswith("_"):
                self.env.globals[name] = getattr(module, name)

    def render(self, text: str, secrets: bool = False) -> str:
        """Render one string; raises :class:`TemplateProblem` with a line inside it."""
        if "{{" not in text and "{%" not in text:
            return text
        try:
            template = self._compiled.get(text) or self._compiled.setdefault(
                text, self.env.from_string(text))  # the same filter recurs in many metrics
            extra = {"env_var": _env_var} if secrets else {}
            self.env.start()
            rendered = template.render(**extra)
        except TemplateProblem:
            raise
        except jinja2.TemplateSyntaxError as err:
            raise TemplateProblem(f"template syntax: {err.message}", err.lineno or 1) from None
        except jinja2.UndefinedError as err:
            raise TemplateProblem(f"template: {err.message}") from None
        except jinja2.TemplateError as err:  # includes sandbox SecurityError
            raise TemplateProblem(f"template: {err}") from None
        except _EVALUATION as err:
            raise TemplateProblem(f"template: {_evaluation(err)}") from None
        self.env.check_size(len(rendered))
        return rendered


def _evaluation(err: Exception) -> str:
    if isinstance(err, RecursionError):
        return "macros call each other too deeply (a macro that calls itself?)"
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'failed'}"
