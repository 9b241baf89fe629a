"""The Jinja sandbox, bounded: what one template may render and loop through.

Jinja's own sandbox keeps templates away from Python internals but not from building a
gigabyte string (``'x' * 10**9``) or looping a hundred million times. This environment uses
the sandbox's hooks (``intercepted_binops``, ``call``) and two rewrites of each parsed
template (every ``for`` loop, the ``loop()`` of a recursive one, and every ``~`` goes through
a guard) to refuse those before they happen, with the ``limits.*`` setting to raise. ``{% include %}``, ``{% import %}`` and
``{% extends %}`` are refused when a template is parsed: there is no loader to read other files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

_SIZED = (str, list, tuple, bytes)
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "batch", "truncate")
_NO_LOADER = {nodes.Include: "include", nodes.Import: "import",
              nodes.FromImport: "from ... import", nodes.Extends: "extends"}
_FORMATS = re.compile(r"%[^a-zA-Z%]*|\{[^{}]*\}")  # printf specs and str.format fields
_DIGITS = re.compile(r"\d+")


class TemplateProblem(Exception):
    """A template failed; ``line`` is 1-based within the rendered string."""

    def __init__(self, message: str, line: int = 1, code: str = "template-error",
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.line, self.code, self.hint = line, code, hint


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """A sandbox that refuses output longer than ``output`` characters and loops (or
    ``range()``) of more than ``loop`` items in all, per render."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, output: int, loop: int, **options: Any) -> None:
        super().__init__(**options)
        self.most_output, self.most_items, self.items = output, loop, 0
        self.globals["range"] = self.bounded_range
        for name in _WIDTH_FILTERS:
            if name in self.filters:
                self.filters[name] = self._sized_filter(self.filters[name])
        self.filters["replace"] = self._replace
        self.filters["format"] = self._sized_filter(self.filters["format"], formats=True)

    def start(self) -> None:
        """Begin a render: the loop budget is per template."""
        self.items = 0

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Guards().visit(super()._parse(source, name, filename))

    # -- refusals -----------------------------------------------------------------------------
    def too_large(self, size: int | float | None = None) -> TemplateProblem:
        what = f"{int(size):,} characters" if size is not None else "too much"
        return TemplateProblem(
            f"the template would render {what}, more than limits.template_output "
            f"({self.most_output:,}) in project.yml allows", code="template-too-large",
            hint="render less, or raise limits.template_output")

    def too_long(self, items: int) -> TemplateProblem:
        return TemplateProblem(
            f"the template loops over {items:,} items, more than limits.template_loop "
            f"({self.most_items:,}) in project.yml allows", code="template-loop-too-long",
            hint="loop over less, or raise limits.template_loop")

    def check_size(self, size: int | float) -> None:
        if size > self.most_output:
            raise self.too_large(size)

    # -- hooks --------------------------------------------------------------------------------
    def bounded_range(self, *args: int) -> range:
        items = range(*args)
        if len(items) > self.most_items:
            raise self.too_long(len(items))
        return items

    def guard_loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.items += 1
            if self.items > self.most_items:
                raise self.too_long(self.items)
            yield item

    def guard_concat(self, *parts: Any) -> str:
        texts = [str(part) for part in parts]
        self.check_size(sum(map(len, texts)))
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            self._check_repeat(left, right)
            self._check_repeat(right, left)
        elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
            self.check_size(len(left) + len(right))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right > 0:
                self.check_size(right * abs(left).bit_length() * 0.302)  # decimal digits
        elif operator == "%" and isinstance(left, str):
            self._check_widths(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if isinstance(__obj, LoopContext) and args:  # {{ loop(children) }} in a recursive loop
            args = (__self.guard_loop(args[0]), *args[1:])
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # str.format
        if isinstance(owner, _SIZED):  # 'x'.ljust(10**9), 'x'.zfill(10**9), '{:>9999999}'
            __self._check_ints(args, kwargs)
            if isinstance(owner, str) and getattr(__obj, "__name__", "") in (
                    "format", "format_map"):
                __self._check_widths(owner)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, _SIZED):
            __self.check_size(len(result))
        return result

    # -- helpers ------------------------------------------------------------------------------
    def _check_repeat(self, sized: Any, times: Any) -> None:
        if isinstance(sized, _SIZED) and isinstance(times, int) and not isinstance(times, bool):
            self.check_size(len(sized) * max(times, 0))

    def _check_ints(self, args: Iterable[Any], kwargs: dict[str, Any]) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool):
                self.check_size(value)

    def _check_widths(self, text: str) -> None:
        for digits in _DIGITS.findall(" ".join(_FORMATS.findall(text))):
            if len(digits) > 18 or int(digits) > self.most_output:
                raise self.too_large()

    def _sized_filter(self, function: Callable[..., Any], formats: bool = False
                      ) -> Callable[..., Any]:
        def sized(value: Any, *args: Any, **kwargs: Any) -> Any:
            self._check_ints(args, kwargs)
            if formats and isinstance(value, str):
                self._check_widths(value)
            result = function(value, *args, **kwargs)
            if isinstance(result, _SIZED):
                self.check_size(len(result))
            return result
        sized.__name__ = getattr(function, "__name__", "filter")
        for attr in ("jinja_pass_arg",):
            if hasattr(function, attr):
                setattr(sized, attr, getattr(function, attr))
        return sized

    def _replace(self, value: Any, old: str, new: str, count: int | None = None) -> str:
        text = str(value)
        times = text.count(str(old)) if old else len(text) + 1
        if count is not None:
            times = min(times, max(count, 0))
        self.check_size(len(text) + times * max(len(str(new)) - len(str(old)), 0))
        return text.replace(str(old), str(new), -1 if count is None else count)


class _Guards(NodeTransformer):
    """Route every loop and every ``~`` through the environment's guards; refuse the tags
    that would need a loader."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        kind = _NO_LOADER.get(type(node))
        if kind is not None:
            raise TemplateProblem(
                f"{{% {kind} %}} is not available: templates here have no loader to read "
                "other files", node.lineno, "template-no-loader",
                "put shared SQL in a macro in the macros folder and call it by name")
        return super().generic_visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = _guard("guard_loop", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return _guard("guard_concat", node.nodes, node.lineno)


def _guard(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None,
                      lineno=lineno)
