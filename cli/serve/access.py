"""Who may ask what: bearer tokens, each with the metrics and dimensions it may read.

Tokens come from two places, both read once when the server starts:

- ``METRICS_SERVE_TOKEN``: one token with full access;
- a tokens file (``metrics serve --tokens FILE``, or ``METRICS_SERVE_TOKENS``)::

      tokens:
        - name: sales-dashboard                 # shown in the server's log, never the token
          token: "{{ env_var('DASHBOARD_TOKEN') }}"
          metrics: ["win_rate", "deals_*"]      # glob patterns (default: every metric)
          dimensions: [region, segment]         # what it may group and filter by (default: all)

A presented token is compared with every configured one in constant time
(:func:`hmac.compare_digest`), and is never logged or echoed. A token is at least 16
characters. With no token configured, every request has full access, and the server only
listens on a loopback address (:meth:`Tokens.check_listen`).

**Metrics computed from others.** A token may read a metric only when it may also read every
metric that one is computed from, at any depth: ``average_deal_size`` (``won_revenue /
deals_won``) needs both, since with one of them and the ratio the other is known. Such a
metric is simply absent from the token's catalog.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

ENV_TOKEN = "METRICS_SERVE_TOKEN"
ENV_FILE = "METRICS_SERVE_TOKENS"
SHORTEST = 16
LOOPBACK = {"127.0.0.1", "::1", "localhost", "[::1]"}


@dataclass(frozen=True)
class Scope:
    """What one token may read; ``None``: everything."""

    name: str
    metrics: tuple[str, ...] | None = None  # glob patterns
    dimensions: frozenset[str] | None = None

    def allows(self, project: "Project", metric: str) -> bool:
        """The metric and every metric it is computed from match the patterns."""
        if self.metrics is None:
            return True
        stack, seen = [metric], set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if not any(fnmatchcase(name, p) for p in self.metrics):
                return False
            if name in project.catalog.metrics:
                stack.extend(project.catalog.metrics[name].references())
        return True

    def allows_dimension(self, name: str) -> bool:
        """``region`` and ``reps.region`` are both the dimension ``region``."""
        return self.dimensions is None or name.rpartition(".")[2] in self.dimensions

    def check(self, project: "Project", metrics: list[str], dimensions: set[str] | list[str]
              ) -> None:
        """:class:`Forbidden` for the first metric or dimension this token may not read."""
        for name in metrics:
            if not self.allows(project, name):
                raise Forbidden(f"this token ({self.name}) may not read metric '{name}'"
                                + self._why(project, name))
        for dim in sorted(dimensions):
            if not self.allows_dimension(dim):
                raise Forbidden(f"this token ({self.name}) may not group or filter by "
                                f"dimension '{dim}'")

    def _why(self, project: "Project", name: str) -> str:
        if self.metrics is not None and any(fnmatchcase(name, p) for p in self.metrics):
            return " (it is computed from a metric this token may not read)"
        return ""


FULL = Scope("full access")


class Tokens:
    """The configured tokens; :meth:`scope` turns an ``Authorization`` header into a Scope."""

    def __init__(self, entries: list[tuple[str, Scope]]) -> None:
        self._entries = [(token.encode("utf-8"), scope) for token, scope in entries]

    @property
    def configured(self) -> bool:
        return bool(self._entries)

    def scope(self, authorization: str | None) -> Scope:
        if not self._entries:
            return FULL
        if not authorization:
            raise Unauthorized("this server needs a token: send 'Authorization: Bearer <token>'")
        kind, _, presented = authorization.strip().partition(" ")
        if kind.lower() != "bearer" or not presented.strip():
            raise Unauthorized("send the token as 'Authorization: Bearer <token>'")
        given = presented.strip().encode("utf-8", "surrogateescape")
        found = None
        for token, scope in self._entries:  # every one compared: no early exit to time
            if hmac.compare_digest(given, token) and found is None:
                found = scope
        if found is None:
            raise Unauthorized("the token is not valid for this server")
        return found

    def check_listen(self, host: str) -> None:
        """Without a token, only a loopback address: one clear line otherwise."""
        if not self.configured and host.strip().lower() not in LOOPBACK:
            from sales_metrics.engine.diagnostics import UsageError

            raise UsageError(f"refusing to listen on {host} without a token: anyone who can "
                             f"reach it could read every metric; set {ENV_TOKEN} (or --tokens "
                             "FILE), or listen on 127.0.0.1")


def load_tokens(project: "Project", tokens_file: str | Path | None = None) -> Tokens:
    """The tokens of ``METRICS_SERVE_TOKEN`` and of the tokens file."""
    from sales_metrics.engine.diagnostics import UsageError

    entries: list[tuple[str, Scope]] = []
    single = os.environ.get(ENV_TOKEN)
    if single is not None:
        entries.append((_checked(single, ENV_TOKEN), FULL))
    path = tokens_file or os.environ.get(ENV_FILE) or None
    if path is not None:
        entries += _from_file(project, Path(path))
    tokens = [t for t, _ in entries]
    if len(set(tokens)) != len(tokens):
        raise UsageError("two configured tokens are the same; give each its own")
    return Tokens(entries)


def _from_file(project: "Project", path: Path) -> list[tuple[str, Scope]]:
    import yaml

    from sales_metrics.engine.diagnostics import UsageError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"{path}: cannot read tokens: {str(err).splitlines()[0]}") from None
    items = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise UsageError(f"{path}: expected 'tokens:', a list of {{name, token, metrics, "
                         "dimensions}}")
    return [_entry(project, path, i, item) for i, item in enumerate(items, 1)]


def _entry(project: "Project", path: Path, index: int, item: Any) -> tuple[str, Scope]:
    from sales_metrics.engine.diagnostics import UsageError

    where = f"{path}: token {index}"
    if not isinstance(item, dict) or set(item) - {"name", "token", "metrics", "dimensions"}:
        raise UsageError(f"{where}: takes name, token, metrics and dimensions only")
    name, token = item.get("name"), item.get("token")
    if not isinstance(name, str) or not isinstance(token, str):
        raise UsageError(f"{where}: needs a 'name' and a 'token' (text)")
    metrics, dims = item.get("metrics"), item.get("dimensions")
    for key, value in (("metrics", metrics), ("dimensions", dims)):
        if value is not None and not (isinstance(value, list) and
                                      all(isinstance(v, str) for v in value)):
            raise UsageError(f"{where} ({name}): '{key}' is a list of names")
    rendered = _render(project, token, f"{where} ({name})")
    return (_checked(rendered, f"{where} ({name})"),
            Scope(name, tuple(metrics) if metrics is not None else None,
                  frozenset(dims) if dims is not None else None))


def _render(project: "Project", text: str, where: str) -> str:
    from sales_metrics.adapters import secrets
    from sales_metrics.engine.diagnostics import UsageError
    from sales_metrics.engine.templating import TemplateProblem

    try:
        value = project.loaded.templates.render(text, secrets=True)
    except TemplateProblem as err:
        raise UsageError(f"{where}: {err}") from None
    secrets.register(value)
    return value


def _checked(token: str, where: str) -> str:
    from sales_metrics.adapters import secrets
    from sales_metrics.engine.diagnostics import UsageError

    token = token.strip()
    if len(token) < SHORTEST:
        raise UsageError(f"{where}: a token needs at least {SHORTEST} characters")
    secrets.register(token)
    return token
