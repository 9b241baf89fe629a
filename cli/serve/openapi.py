"""The OpenAPI 3.1 description of the HTTP front end, written by hand beside its routes.

tests/serve/test_http.py holds it against the app: every route and method is described,
every schema is a valid JSON Schema (2020-12, which OpenAPI 3.1 uses), and answers match it.
"""

from __future__ import annotations

from typing import Any

REF = "#/components/schemas/"
ERRORS = {"400": "A bad request: an unknown metric, grain, dimension or field, a filter "
                 "that is not a row filter over dimensions, a day that is not YYYY-MM-DD",
          "401": "No token, or not a valid one (WWW-Authenticate: Bearer)",
          "403": "The token may not read this metric or dimension",
          "500": "Our bug: a generic message (the server's log has the details)",
          "503": "The warehouse cannot be reached, or every query slot is busy (Retry-After)"}
QUERY_ERRORS = {**ERRORS, "413": "The request body is over the size limit",
                "422": "The result has more rows than the server sends: narrow the request",
                "504": "The query ran longer than the timeout"}


def _error_responses(which: dict[str, str]) -> dict[str, Any]:
    return {code: {"description": text, "content": {"application/json": {
        "schema": {"$ref": REF + "Error"}}}} for code, text in which.items()}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {
        "schema": {"$ref": REF + schema}}}}}


def _op(summary: str, schema: str, answer: str, errors: dict[str, str] = ERRORS,
        parameters: list | None = None, body: str | None = None,
        public: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**_ok(schema, answer),
                                                             **_error_responses(errors)}}
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF + body}}}}
    if public:
        op["security"] = []
    return op


def _param(name: str, where: str, schema: dict, description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema}


TEXT_LIST = {"type": "array", "items": {"type": "string"}}
REQUEST_PROPERTIES = {
    "metrics": {**TEXT_LIST, "maxItems": 200,
                "description": "Metric names (empty or absent: every metric the token may "
                               "read that the grain and grouping allow)."},
    "grain": {"type": "string", "enum": ["day", "week", "month", "quarter", "year", "all"]},
    "by": {**TEXT_LIST, "maxItems": 8, "description": "Dimensions to group by."},
    "start": {"type": "string", "format": "date", "description": "First day (inclusive)."},
    "end": {"type": "string", "format": "date", "description": "Last day (inclusive)."},
    "where": {**TEXT_LIST, "maxItems": 20,
              "description": "Row filters over dimensions, ANDed: \"region = 'EMEA'\"."},
}
SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": [
                "bad-request", "cannot-compile", "invalid-definitions", "unauthorized",
                "forbidden", "not-found", "not-allowed", "too-large", "too-many-rows",
                "internal", "busy", "warehouse-unavailable", "timeout"]},
            "message": {"type": "string"},
            "lines": TEXT_LIST}}}},
    "Health": {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "catalog": {"type": "object"}, "problems": TEXT_LIST}},
    "Metric": {"type": "object", "required": ["name", "label", "kind", "format", "grain",
                                              "grains", "dimensions"], "properties": {
        "name": {"type": "string"}, "label": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "kind": {"type": "string", "enum": ["simple", "ratio", "conversion", "balance",
                                            "formula", "cumulative", "comparison", "entity",
                                            "share"]},
        "format": {"type": "string"}, "grain": {"type": "string"}, "grains": TEXT_LIST,
        "dimensions": TEXT_LIST, "owner": {"type": ["string", "null"]},
        "target": {"type": ["object", "null"], "properties": {
            "value": {"type": "number"}, "direction": {"enum": ["higher", "lower"]}}}}},
    "MetricList": {"type": "object", "required": ["metrics"], "properties": {
        "metrics": {"type": "array", "items": {"$ref": REF + "Metric"}}}},
    "MetricDetail": {"allOf": [{"$ref": REF + "Metric"}, {"type": "object", "required": [
        "definition", "summary", "reads", "uses", "used_by", "sql"], "properties": {
        "definition": TEXT_LIST, "summary": {"type": "string"},
        "reads": {"type": "object", "additionalProperties": TEXT_LIST},
        "uses": TEXT_LIST, "used_by": TEXT_LIST, "dialect": {"type": "string"},
        "sql": {"type": "string"},
        "text": {"type": "string", "description": "What `metrics show` prints (full-access "
                 "tokens only)."}}}]},
    "DimensionValues": {"type": "object", "required": ["dimension", "values", "more"],
                        "properties": {"dimension": {"type": "string"},
                                       "values": {"type": "array"},
                                       "more": {"type": "boolean"}}},
    "QueryRequest": {"type": "object", "additionalProperties": False, "properties": {
        **REQUEST_PROPERTIES, "format": {"type": "string", "enum": ["json", "csv", "arrow"],
                                         "description": "Default: from Accept, else json."}}},
    "CompileRequest": {"type": "object", "additionalProperties": False, "properties": {
        **REQUEST_PROPERTIES, "dialect": {"type": "string"}}},
    "CompareRequest": {"type": "object", "additionalProperties": False,
                       "required": ["metric", "start", "end"], "properties": {
        "metric": {"type": "string"}, "start": REQUEST_PROPERTIES["start"],
        "end": REQUEST_PROPERTIES["end"],
        "previous_start": {"type": "string", "format": "date"},
        "previous_end": {"type": "string", "format": "date"},
        "by": REQUEST_PROPERTIES["by"], "where": REQUEST_PROPERTIES["where"]}},
    "QueryResult": {"type": "object", "required": ["metrics", "grain", "columns", "row_count",
                                                   "rows"], "properties": {
        "metrics": TEXT_LIST, "grain": {"type": "string"}, "cached": {"type": "boolean"},
        "columns": {"type": "array", "items": {"type": "object", "required": ["name", "type"],
                                               "properties": {"name": {"type": "string"},
                                                              "type": {"type": "string"}}}},
        "row_count": {"type": "integer"},
        "rows": {"type": "array", "items": {"type": "object"}, "description": "One object "
                 "per row: period (YYYY-MM-DD), the dimensions, one number per metric; "
                 "numbers exact (a decimal with its own digits)."}}},
    "Compiled": {"type": "object", "required": ["dialect", "sql"], "properties": {
        "dialect": {"type": "string"}, "sql": {"type": "string"}}},
    "Comparison": {"type": "object", "required": ["metric", "current", "previous", "rows"],
                   "properties": {"metric": {"type": "string"}, "current": {"type": "object"},
                                  "previous": {"type": "object"},
                                  "rows": {"type": "array", "items": {"type": "object"}}}},
    "Validation": {"type": "object", "required": ["valid", "serving", "diagnostics"],
                   "properties": {"valid": {"type": "boolean"}, "serving": {"type": "integer"},
                                  "diagnostics": {"type": "array", "items": {
                                      "type": "object"}}}},
}


def document(max_body: int) -> dict[str, Any]:
    query = _op("Run a request: metrics by period (and dimensions), as JSON, CSV or Arrow",
                "QueryResult", "The rows. text/csv and application/vnd.apache.arrow.stream "
                "(Arrow IPC stream) when asked for by `format` or Accept; "
                "X-Metrics-Cache: hit|miss.", QUERY_ERRORS, body="QueryRequest")
    query["responses"]["200"]["content"].update({
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.apache.arrow.stream": {"schema": {"type": "string",
                                                           "contentMediaType":
                                                           "application/vnd.apache.arrow.stream"}}})
    name = _param("name", "path", {"type": "string"}, "Metric name.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "sales-metrics", "version": "1",
                 "description": "The KPI catalog and its numbers. Every answer carries "
                                "X-Metrics-Catalog: current|stale (stale: the definitions "
                                f"on disk are invalid; the last good catalog answers). "
                                f"Request bodies: at most {max_body:,} bytes."},
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": _op("Health: ok, or degraded (serving the last good catalog); "
                                    "details for an authenticated caller", "Health",
                                    "Health", {}, public=True)},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {
                                                                "schema": {"type": "object"}}}}}}},
            "/v1/metrics": {"get": _op("The metrics this token may read", "MetricList",
                                       "The catalog")},
            "/v1/metrics/{name}": {"get": _op(
                "One metric: facts, definition in words, lineage, SQL", "MetricDetail",
                "The metric", {**ERRORS, "404": "No metric of that name"},
                [name, _param("dialect", "query", {"type": "string"},
                              "Dialect of the SQL shown (default: the project's).")])},
            "/v1/dimensions/{name}/values": {"get": _op(
                "A dimension's distinct values, sorted", "DimensionValues", "The values",
                {**ERRORS, "404": "No dimension of that name"},
                [_param("name", "path", {"type": "string"},
                        "Dimension name (region), or source.dimension (reps.region)."),
                 _param("search", "query", {"type": "string", "maxLength": 200},
                        "Only values containing this text, in any case."),
                 _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000,
                                           "default": 100}, "At most this many values.")])},
            "/v1/query": {"post": query},
            "/v1/compile": {"post": _op("The SQL of a request, in any dialect", "Compiled",
                                        "The SQL", {**ERRORS, "413": QUERY_ERRORS["413"]},
                                        body="CompileRequest")},
            "/v1/compare": {"post": _op("A metric over two ranges, and the change",
                                        "Comparison", "Both values and the change per group",
                                        QUERY_ERRORS, body="CompareRequest")},
            "/v1/validate": {"get": _op("The definitions on disk, validated", "Validation",
                                        "The diagnostics")},
        },
    }
