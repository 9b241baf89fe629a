"""The MCP front end: the catalog's tools for an assistant, over :class:`~.service.Service`.

Seven tools, each a few lines that check the shape of their arguments and call one service
method: ``list_metrics``, ``describe_metric``, ``dimension_values``, ``query_metrics``,
``compile_sql``, ``compare_periods``, ``validate``. All are read-only (the service sends
only SELECTs), and say so in their annotations.

**Descriptions come from the definitions.** ``tools/list`` is answered from the catalog
being served, for the caller's token: ``query_metrics`` lists every metric it may read
(label, format, grains when not all, the first sentence of its description), the grains and
the dimensions; the metric and dimension parameters are enums of those names. When the
definition files change and reload (:meth:`Service.generation`, polled once a second), the
server tells its clients ``notifications/tools/list_changed`` (handshake sessions directly;
2026-07-28 clients through ``subscriptions/listen``), and the next ``tools/list`` describes
the new catalog.

**Answers.** A tool's result is its JSON as one text block, written by :mod:`.encode`
(exact numbers: a DECIMAL keeps its digits; the same bytes as the HTTP routes), and the
same object as ``structuredContent`` (parsed from that text: JSON numbers). An error is a
tool error (``isError``) whose text is ``error[<code>]: <message>``, the CLI's one line,
and whose structured content is ``{"error": {"code", "message"}}`` (:mod:`.errors`); a bug
of ours is logged to stderr with its traceback and answered ``internal`` only.

**Transports.** stdio (the default: the client starts ``metrics mcp`` itself; full access,
as the user who starts it can read the project anyway; stdout carries protocol messages
only, the log goes to stderr) and streamable HTTP at ``/mcp``, where every request carries
``Authorization: Bearer <token>`` when tokens are configured (the same tokens, scopes and
loopback-only rule as `metrics serve`); a missing or wrong token is a 401 before any MCP
message is read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp import types
from mcp.server import NotificationOptions, Server
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from sales_metrics.engine.diagnostics import did_you_mean

from .access import FULL, Scope
from .encode import dumps
from .errors import INTERNAL, BadRequest, body, code_of
from .request import LONGEST_TEXT, MOST_BY, MOST_METRICS, MOST_WHERE, QueryRequest
from .service import GRAINS, Service

log = logging.getLogger("metrics.serve")
PATH = "/mcp"
MOST_SESSIONS = 1000  # connections told of a change (the oldest are forgotten)
LONGEST_SUMMARY = 120  # characters of a metric's description in query_metrics' one
INSTRUCTIONS = (
    "Sales KPIs, each defined once in reviewed YAML and computed by the same SQL everywhere. "
    "Find a metric with list_metrics or describe_metric, a filter value with "
    "dimension_values, then compute numbers with query_metrics or compare_periods. "
    "Everything is read-only.")


class MetricsMcp:
    """One MCP server over one service: ``run_stdio()``, or ``http_app(host)`` for uvicorn."""

    def __init__(self, service: Service, poll: float = 1.0) -> None:
        self.service, self.poll = service, poll
        self.over_http = False  # then a message without its HTTP request has no scope
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        # the latest session object of each handshake-era connection (stdio: one, None),
        # to tell it when the tools change
        self.sessions: dict[str | None, Any] = {}
        self.server = _Server("sales-metrics", version=_version(), instructions=INSTRUCTIONS,
                              lifespan=self._lifespan, on_list_tools=self._list_tools,
                              on_call_tool=self._call_tool, on_subscriptions_listen=self.listen)

    async def run_stdio(self) -> None:
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read, write):
            await self.server.run(read, write, self.server.create_initialization_options())

    def http_app(self, host: str) -> Callable:
        """The streamable HTTP app at ``/mcp``, behind the service's bearer tokens."""
        self.over_http = True
        return _Bearer(self.server.streamable_http_app(streamable_http_path=PATH, host=host),
                       self.service)

    # ------------------------------------------------------------------ handlers

    async def _list_tools(self, ctx, params) -> types.ListToolsResult:
        scope = self._scope(ctx)
        self._remember(ctx)
        try:
            listed = await anyio.to_thread.run_sync(self.service.list_metrics, scope)
            return types.ListToolsResult(tools=tools(listed, self.service.dialect))
        except Exception as err:  # a bug of ours: its text stays in the log
            log.error("internal error listing the tools", exc_info=err)
            raise MCPError(types.INTERNAL_ERROR, INTERNAL) from None

    async def _call_tool(self, ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = TOOLS.get(params.name)
        if tool is None:
            hint = did_you_mean(params.name[:80], TOOLS) or f"the tools are {', '.join(TOOLS)}"
            raise MCPError(types.INVALID_PARAMS, f"unknown tool '{params.name[:80]}'; {hint}")
        scope = self._scope(ctx)
        self._remember(ctx)
        try:
            text = await anyio.to_thread.run_sync(tool, self.service, params.arguments or {},
                                                  scope)
        except Exception as err:  # every error is a tool error; a bug's text stays here
            return _tool_error(err, params.name)
        return types.CallToolResult(content=[types.TextContent(text=text)],
                                    structured_content=json.loads(text))

    def _scope(self, ctx) -> Scope:
        """The caller's scope: its HTTP request's token, or full access on stdio."""
        headers = getattr(ctx.request, "headers", None)
        if headers is None and not self.over_http:
            return FULL
        try:
            return self.service.authenticate(None if headers is None else
                                             headers.get("authorization"))
        except Exception as err:  # refused by the HTTP layer already, unless it slipped by
            raise MCPError(types.INVALID_REQUEST, body(err)["error"]["message"]) from None

    # ------------------------------------------------------------------ the catalog's changes

    def _remember(self, ctx) -> None:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return  # told through subscriptions/listen
        headers = getattr(ctx.request, "headers", None)
        key = headers.get("mcp-session-id") if headers is not None else None
        self.sessions.pop(key, None)
        self.sessions[key] = ctx.session
        while len(self.sessions) > MOST_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))

    @asynccontextmanager
    async def _lifespan(self, server):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._watch)
            try:
                yield {}
            finally:
                self.listen.close()
                tasks.cancel_scope.cancel()

    async def _watch(self) -> None:
        """Tell every client when a reload changed the catalog its tools describe."""
        seen = await anyio.to_thread.run_sync(self.service.generation)
        while True:
            await anyio.sleep(self.poll)
            now = await anyio.to_thread.run_sync(self.service.generation)
            if now == seen:
                continue
            seen = now
            log.info("catalog %d: the tools' descriptions changed", now)
            await self.bus.publish(ToolsListChanged())
            for key, session in list(self.sessions.items()):
                try:
                    await session.send_tool_list_changed()
                except Exception:  # a connection that has gone away
                    self.sessions.pop(key, None)


class _Server(Server):
    """The SDK's low-level server, announcing ``tools.listChanged`` on every transport."""

    def create_initialization_options(self, notification_options=None, *args, **kwargs):
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True), *args, **kwargs)


class _Bearer:
    """ASGI: refuse an HTTP request without a valid token (401, the error's JSON)."""

    def __init__(self, app: Callable, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"authorization")
            try:
                self.service.authenticate(header.decode("latin-1") if header else None)
            except Exception as err:
                await _refuse(err, header is not None, scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(err: Exception, given: bool, scope, receive, send) -> None:
    from starlette.responses import Response

    realm = 'Bearer realm="metrics"' + (', error="invalid_token"' if given else "")
    status = 401 if code_of(err) == "unauthorized" else 500
    response = Response(dumps(body(err)) + "\n", status, media_type="application/json",
                        headers={"WWW-Authenticate": realm, "Cache-Control": "no-store"})
    await response(scope, receive, send)


def _tool_error(err: Exception, tool: str) -> types.CallToolResult:
    code = code_of(err)
    if code == "internal":
        log.error("internal error in tool %s", tool, exc_info=err)
    error = body(err)
    return types.CallToolResult(
        content=[types.TextContent(text=f"error[{code}]: {error['error']['message']}")],
        structured_content=error, is_error=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sales-metrics")
    except PackageNotFoundError:
        return ""


# ----------------------------------------------------------------------------- the tools


def _fields(args: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(args, dict):
        raise BadRequest("the arguments are a JSON object")
    for key in args:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise BadRequest(f"unknown argument '{str(key)[:40]}'; " + (
                hint or (f"expected {', '.join(allowed)}" if allowed else "it takes none")))
    for key in required:
        if args.get(key) is None:
            raise BadRequest(f"'{key}' is required")
    return args


def _text(args: dict, key: str) -> str | None:
    value = args.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"'{key}' is text, not {type(value).__name__}")
    if value is not None and len(value) > LONGEST_TEXT:
        raise BadRequest(f"'{key}' is {len(value):,} characters; at most {LONGEST_TEXT:,}")
    return value


def list_metrics(service: Service, args: dict, scope: Scope) -> str:
    _fields(args, ())
    return dumps({"metrics": service.list_metrics(scope)})


def describe_metric(service: Service, args: dict, scope: Scope) -> str:
    _fields(args, ("name", "dialect"), ("name",))
    return dumps(service.describe(_text(args, "name"), scope, _text(args, "dialect")))


def dimension_values(service: Service, args: dict, scope: Scope) -> str:
    _fields(args, ("dimension", "search", "limit"), ("dimension",))
    limit = 100 if args.get("limit") is None else args["limit"]
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise BadRequest(f"'limit' is a whole number, not {type(limit).__name__}")
    return dumps(service.dimension_values(_text(args, "dimension"), _text(args, "search"),
                                          limit, scope))


def query_metrics(service: Service, args: dict, scope: Scope) -> str:
    return service.encoded(service.query(QueryRequest.of(args), scope), "json")[0].decode()


def compile_sql(service: Service, args: dict, scope: Scope) -> str:
    request = QueryRequest.of(args, ("dialect",))
    dialect = _text(args, "dialect")
    sql = service.compile(request, dialect, scope)
    return dumps({"dialect": dialect or service.dialect, "sql": sql})


COMPARE = ("metric", "start", "end", "previous_start", "previous_end", "by", "where")


def compare_periods(service: Service, args: dict, scope: Scope) -> str:
    _fields(args, COMPARE, ("metric", "start", "end"))
    request = QueryRequest.of({"metrics": [_text(args, "metric")], "by": args.get("by"),
                               "where": args.get("where")})
    return dumps(service.compare_periods(
        request.metrics[0], args["start"], args["end"], args.get("previous_start"),
        args.get("previous_end"), request.by, request.where, scope))


def validate(service: Service, args: dict, scope: Scope) -> str:
    _fields(args, ())
    return dumps(service.validate())


TOOLS: dict[str, Callable[[Service, dict, Scope], str]] = {
    f.__name__: f for f in (list_metrics, describe_metric, dimension_values, query_metrics,
                            compile_sql, compare_periods, validate)}


# ----------------------------------------------------------------------------- descriptions


def tools(listed: list[dict[str, Any]], dialect: str) -> list[types.Tool]:
    """The tools as the catalog ``listed`` (one scope's :meth:`Service.list_metrics`)
    describes them."""
    names = [m["name"] for m in listed]
    dims = sorted({d for m in listed for d in m["dimensions"]})
    metric = {"type": "string", "enum": names, "description": "A metric's name."}
    date = {"type": "string", "format": "date", "maxLength": 10}
    request = {
        "metrics": {"type": "array", "items": metric, "maxItems": MOST_METRICS,
                    "description": "Metrics to compute together; default: every metric this "
                                   "grain and grouping allow."},
        "grain": {"type": "string", "enum": list(GRAINS),
                  "description": "Time grain; default: the first metric's own. 'all': one "
                                 "row for the whole range."},
        "by": _by(dims), "start": {**date, "description": "First day, YYYY-MM-DD (inclusive)."},
        "end": {**date, "description": "Last day, YYYY-MM-DD (inclusive)."},
        "where": _where()}
    catalog = "; ".join(f"{m['name']} ({m['label']})" for m in listed) or "none"
    return [
        _tool("list_metrics", f"List the KPI catalog ({len(listed)} metrics): each metric's "
              "name, label, description, kind, format, default grain, grains, dimensions, "
              f"target and owner. The metrics: {catalog}.", {}),
        _tool("describe_metric", "Explain one metric: its facts, its definition in words "
              "(numerator, denominator, filters), what it reads and uses, what uses it, and "
              f"its SQL (in {dialect} unless 'dialect' says another).",
              {"name": metric, "dialect": _dialect(dialect)}, ["name"]),
        _tool("dimension_values", "The distinct values of a dimension, sorted, from the "
              "data: use them in 'where' filters. Dimensions: " + (", ".join(dims) or "none")
              + ".", {"dimension": {"type": "string", "enum": dims},
                      "search": {"type": "string", "maxLength": 200,
                                 "description": "Only values containing this, in any case."},
                      "limit": {"type": "integer", "minimum": 1, "default": 100}},
              ["dimension"]),
        _tool("query_metrics", _query_description(listed, dims, dialect), request),
        _tool("compile_sql", "The SQL query_metrics would run for the same arguments, in "
              f"{dialect} or 'dialect' (no query is run).",
              {**request, "dialect": _dialect(dialect)}),
        _tool("compare_periods", "A metric over a range and over the range before it (or "
              "previous_start..previous_end), with the change and relative change, per 'by' "
              "group. Without a previous range: as long a range just before (whole months: "
              "as many months).",
              {"metric": metric, "start": request["start"], "end": request["end"],
               "previous_start": date, "previous_end": date, "by": _by(dims),
               "where": _where()}, ["metric", "start", "end"]),
        _tool("validate", "Check the definition files on disk: {valid, diagnostics (file, "
              "line, code, message, hint), serving (the catalog answering)}.", {}),
    ]


def _query_description(listed: list[dict[str, Any]], dims: list[str], dialect: str) -> str:
    lines = [f"Compute KPIs from their reviewed definitions (read-only: one SELECT, on "
             f"{dialect}). Answers {{metrics, grain, columns, row_count, cached, rows}}: a row "
             "per period (and per 'by' group), a column per metric, exact numbers.", "",
             "Metrics (name: label [format; grains when not every one]: description):"]
    for m in listed:
        grains = "" if m["grains"] == list(GRAINS) else f"; {', '.join(m['grains'])}"
        lines.append(f"- {m['name']}: {m['label']} [{m['format']}{grains}]"
                     + (f": {_short(m['description'])}" if m["description"] else ""))
    lines += ["", f"Grains: {', '.join(GRAINS)}.",
              f"Dimensions (for by and where): {', '.join(dims) or 'none'}; a metric is "
              "grouped only by its own (list_metrics has them).",
              "where: SQL conditions over dimensions, ANDed, e.g. \"region = 'EMEA'\"."]
    return "\n".join(lines)


def _short(text: str) -> str:
    from .service import headline

    first = headline(text).rstrip(".")
    if len(first) <= LONGEST_SUMMARY:
        return first
    return first[:LONGEST_SUMMARY].rsplit(" ", 1)[0] + "..."


def _by(dims: list[str]) -> dict:
    return {"type": "array", "items": {"type": "string", "enum": dims}, "maxItems": MOST_BY,
            "description": "Dimensions to group by."}


def _where() -> dict:
    return {"type": "array", "items": {"type": "string", "maxLength": LONGEST_TEXT},
            "maxItems": MOST_WHERE,
            "description": "Row filters over dimensions, ANDed, e.g. \"region = 'EMEA'\"."}


def _dialect(dialect: str) -> dict:
    return {"type": "string", "description": f"SQL dialect (default {dialect}): duckdb, "
            "postgres, snowflake, bigquery, spark, databricks, trino, ..."}


def _tool(name: str, description: str, properties: dict, required: list[str] | None = None
          ) -> types.Tool:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = required
    return types.Tool(name=name, description=description, input_schema=schema,
                      annotations=types.ToolAnnotations(read_only_hint=True,
                                                        destructive_hint=False,
                                                        idempotent_hint=True,
                                                        open_world_hint=False))
