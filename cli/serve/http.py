"""The HTTP front end: a Starlette app over :class:`~.service.Service`, and nothing more.

Each route authenticates, reads its parameters, calls one service method in a worker thread
and encodes the answer; errors become ``{"error": {"code", "message"}}`` with the status of
their code (:data:`STATUS`). The routes, their parameters and answers are described by
``GET /openapi.json`` (:mod:`.openapi`). Every response says which catalog answered:
``X-Metrics-Catalog: current``, or ``stale`` when the definitions on disk are broken and
the last good catalog is served; a query's says ``X-Metrics-Cache: hit`` or ``miss``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .access import Scope
from .encode import FORMATS, dumps
from .errors import BadRequest, TooLarge, Unauthorized, body, code_of
from .request import QueryRequest
from .service import Service

log = logging.getLogger("metrics.serve")
JSON = "application/json"
MAX_BODY = 1 << 20  # bytes of a request body
DRAIN = 16 << 20  # bytes of a too-large body read and dropped before the 413
STATUS = {"bad-request": 400, "cannot-compile": 400, "invalid-definitions": 400,
          "unauthorized": 401, "forbidden": 403, "not-found": 404, "not-allowed": 405,
          "too-large": 413, "too-many-rows": 422, "internal": 500, "busy": 503,
          "warehouse-unavailable": 503, "timeout": 504}
MEDIA = {media.split(";")[0]: fmt for fmt, media in FORMATS.items()}
COMPARE_FIELDS = ("metric", "start", "end", "previous_start", "previous_end", "by", "where")


def create_app(service: Service, max_body: int = MAX_BODY) -> Starlette:
    api = _Api(service, max_body)
    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route("/v1/metrics", api.metrics, methods=["GET"]),
        Route("/v1/metrics/{name}", api.metric, methods=["GET"]),
        Route("/v1/dimensions/{name}/values", api.values, methods=["GET"]),
        Route("/v1/query", api.query, methods=["POST"]),
        Route("/v1/compile", api.compile, methods=["POST"]),
        Route("/v1/compare", api.compare, methods=["POST"]),
        Route("/v1/validate", api.validate, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: api.http_error})


class _Api:
    def __init__(self, service: Service, max_body: int) -> None:
        self.service, self.max_body = service, max_body

    # ------------------------------------------------------------------ routes

    async def healthz(self, request: Request) -> Response:
        """Open to all; the details (catalog, problems) to an authenticated caller only."""
        try:
            self.service.authenticate(request.headers.get("authorization"))
            detail = True
        except Unauthorized:
            detail = False
        return await self._answer(request, lambda scope, data: _json(
            self.service.status(detail)), public=True)

    async def openapi(self, request: Request) -> Response:
        from .openapi import document

        return await self._answer(request, lambda scope, data: _json(document(self.max_body)),
                                  public=True)

    async def metrics(self, request: Request) -> Response:
        return await self._answer(request, lambda scope, data: _json(
            {"metrics": self.service.list_metrics(scope)}))

    async def metric(self, request: Request) -> Response:
        name, dialect = request.path_params["name"], request.query_params.get("dialect")
        return await self._answer(request, lambda scope, data: _json(
            self.service.describe(name, scope, dialect or None)))

    async def values(self, request: Request) -> Response:
        name = request.path_params["name"]
        search = request.query_params.get("search")
        limit = request.query_params.get("limit", "100")
        return await self._answer(request, lambda scope, data: _json(
            self.service.dimension_values(name, search, _whole(limit, "limit"), scope)))

    async def query(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")

        def work(scope: Scope, data: Any) -> Response:
            fmt = _format(data, accept)
            result = self.service.query(QueryRequest.of(data, ("format",)), scope)
            content, media = self.service.encoded(result, fmt)
            return Response(content, 200, media_type=media, headers={
                "X-Metrics-Cache": "hit" if result.cached else "miss",
                "X-Metrics-Rows": str(result.table.num_rows)})
        return await self._answer(request, work, with_body=True)

    async def compile(self, request: Request) -> Response:
        def work(scope: Scope, data: Any) -> Response:
            dialect = data.get("dialect") if isinstance(data, dict) else None
            if dialect is not None and not isinstance(dialect, str):
                raise BadRequest("'dialect' is text: duckdb, postgres, snowflake, ...")
            sql = self.service.compile(QueryRequest.of(data, ("dialect",)), dialect, scope)
            return _json({"dialect": dialect or self.service.dialect, "sql": sql})
        return await self._answer(request, work, with_body=True)

    async def compare(self, request: Request) -> Response:
        def work(scope: Scope, data: Any) -> Response:
            if not isinstance(data, dict) or set(data) - set(COMPARE_FIELDS) or \
                    not all(k in data for k in ("metric", "start", "end")):
                raise BadRequest("the body is {\"metric\", \"start\", \"end\"} and optionally "
                                 "previous_start, previous_end, by, where")
            request_ = QueryRequest.of({"metrics": [data["metric"]], "by": data.get("by"),
                                        "where": data.get("where")})
            return _json(self.service.compare_periods(
                request_.metrics[0], data["start"], data["end"], data.get("previous_start"),
                data.get("previous_end"), request_.by, request_.where, scope))
        return await self._answer(request, work, with_body=True)

    async def validate(self, request: Request) -> Response:
        return await self._answer(request, lambda scope, data: _json(self.service.validate()))

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Starlette's own errors (no such route, method not allowed) as JSON too."""
        status = getattr(exc, "status_code", 500)
        code = {404: "not-found", 405: "not-allowed"}.get(status, "bad-request")
        message = f"no route {request.method} {request.url.path}" if status == 404 else \
            f"{request.method} is not allowed on {request.url.path}" if status == 405 else \
            str(getattr(exc, "detail", "bad request"))
        return self._tagged(Response(dumps({"error": {"code": code, "message": message}}),
                                     status, media_type=JSON))

    # ------------------------------------------------------------------ plumbing

    async def _answer(self, request: Request, work: Callable[[Scope, Any], Response],
                      with_body: bool = False, public: bool = False) -> Response:
        try:
            scope = None if public else self.service.authenticate(
                request.headers.get("authorization"))
            data = await self._body(request) if with_body else None
            response = await run_in_threadpool(work, scope, data)
        except Exception as err:  # every error becomes its JSON; a bug's text stays here
            response = self._error(err, request)
        return self._tagged(response)

    async def _body(self, request: Request) -> Any:
        """The JSON body, at most ``max_body`` bytes. A larger one is read on and dropped, up
        to DRAIN bytes, so the client gets its 413 rather than a connection reset while it is
        still sending."""
        length = request.headers.get("content-length")
        too_large = length is not None and (not length.isdigit() or int(length) > self.max_body)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            too_large = too_large or size > self.max_body
            if too_large and size > DRAIN:
                break
            if not too_large:
                chunks.append(chunk)
        if too_large:
            raise TooLarge(f"the request body is over {self.max_body:,} bytes")
        if not size:
            raise BadRequest("this route takes a JSON body")
        try:
            return json.loads(b"".join(chunks))
        except (ValueError, RecursionError) as err:
            raise BadRequest(f"the body is not JSON: {str(err).splitlines()[0][:200]}") \
                from None

    def _error(self, err: Exception, request: Request) -> Response:
        code = code_of(err)
        if code == "internal":
            log.error("internal error on %s %s", request.method, request.url.path,
                      exc_info=err)
        headers = {}
        if code == "unauthorized":
            given = request.headers.get("authorization")
            headers["WWW-Authenticate"] = 'Bearer realm="metrics"' + (
                ', error="invalid_token"' if given else "")
        elif code in ("busy", "warehouse-unavailable"):
            headers["Retry-After"] = "1"
        return Response(dumps(body(err)), STATUS.get(code, 400), media_type=JSON,
                        headers=headers)

    def _tagged(self, response: Response) -> Response:
        response.headers["X-Metrics-Catalog"] = "stale" if self.service.stale else "current"
        response.headers["Cache-Control"] = "no-store"
        return response


def _json(value: Any, status: int = 200) -> Response:
    return Response(dumps(value) + "\n", status, media_type=JSON)


def _whole(text: str, name: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise BadRequest(f"{name} is a whole number, not '{text[:40]}'")
    return int(text)


def _format(data: Any, accept: str) -> str:
    """``format`` in the body, else the first media type of ``Accept`` that is one of
    ours, else JSON."""
    chosen = data.get("format") if isinstance(data, dict) else None
    if chosen is not None:
        if chosen not in FORMATS:
            raise BadRequest(f"format '{str(chosen)[:40]}' is not one of: json, csv, arrow")
        return chosen
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in MEDIA:
            return MEDIA[media]
    return "json"
