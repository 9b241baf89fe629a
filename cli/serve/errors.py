"""What went wrong, as a stable code and the CLI's own one-line message, for any protocol.

Every error a front end sends is ``{"error": {"code": ..., "message": ...}}`` (plus
``"lines"`` when a definition error has several). The code is stable; HTTP maps it to a
status (:data:`sales_metrics.cli.serve.http.STATUS`), MCP to a tool error. Anything that is
not a :class:`MetricsError` is our bug: it is logged with its traceback on the server and
answered with :data:`INTERNAL` only, never with its text.
"""

from __future__ import annotations

from sales_metrics.engine.diagnostics import (AdapterError, CompileError, DefinitionError,
                                              MetricsError, UsageError)

INTERNAL = "internal error; the server's log has the details"


class ServeError(MetricsError):
    """A request the service refuses; ``code`` names why."""

    code = "bad-request"
    exit_code = 2


class BadRequest(ServeError, UsageError):
    code = "bad-request"


class NotFound(ServeError, UsageError):
    """An unknown metric or dimension named where a resource is named (a URL path)."""

    code = "not-found"


class Unauthorized(ServeError):
    """No token, or a token that is not one of the configured ones."""

    code = "unauthorized"


class Forbidden(ServeError):
    """A token that may not read this metric or dimension."""

    code = "forbidden"


class TooLarge(ServeError):
    """A request body over the size limit."""

    code = "too-large"


class TooManyRows(ServeError, UsageError):
    """A result with more rows than the server sends: narrow the request."""

    code = "too-many-rows"


class Busy(ServeError):
    """Every query slot stayed taken for as long as a request may wait."""

    code = "busy"


def code_of(err: BaseException) -> str:
    """The stable code of an error (``internal`` for anything that is not a user error)."""
    if isinstance(err, ServeError):
        return err.code
    if isinstance(err, AdapterError):
        return "timeout" if timed_out(err) else "warehouse-unavailable"
    if isinstance(err, DefinitionError):
        return "invalid-definitions"
    if isinstance(err, CompileError):
        return "cannot-compile"
    if isinstance(err, UsageError):
        return "bad-request"
    if isinstance(err, MetricsError):
        return "bad-request"
    return "internal"


def timed_out(err: AdapterError) -> bool:
    """A query stopped by ``statement_timeout`` (the adapters' own words, or the server's)."""
    text = str(err).lower()
    return "statement_timeout" in text or "statement timeout" in text


def body(err: BaseException) -> dict[str, object]:
    """The error as the JSON object every front end sends."""
    code = code_of(err)
    if code == "internal":
        return {"error": {"code": code, "message": INTERNAL}}
    assert isinstance(err, MetricsError)
    lines = err.lines()
    text = "\n".join(lines) if isinstance(err, DefinitionError) else str(err)
    out: dict[str, object] = {"code": code, "message": text}
    if isinstance(err, DefinitionError) and len(lines) > 1:
        out["lines"] = lines
    return {"error": out}
