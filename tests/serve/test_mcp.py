"""`metrics mcp` through the MCP SDK's own client: over stdio (the client spawns
`python -m sales_metrics.cli mcp -p <project>`) and over streamable HTTP (a real server on a
loopback port, with the same tokens as the HTTP tests).

The tool descriptions are held against the YAML read with pyyaml, the numbers against the
pandas oracle (tests/support/oracle_kpis.py) and pandas sums, as in test_http.py, whose
helpers these tests reuse. Hostile arguments are tool errors (isError) with the CLI's code
and one line, never a traceback; a missing or wrong token is a 401.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from serve_helpers import FULL_TOKEN, LIMITED_TOKEN, ServerProcess
from support import PROJECT_DIR, ROOT
from support.oracle_kpis import enrich, expected, mismatches
from test_http import HOSTILE, QUARTER, from_json, limited_visible, yaml_metrics
from test_reload import eventually

anyio = pytest.importorskip("anyio")
mcp = pytest.importorskip("mcp", reason="the MCP SDK is not installed: pip install -e '.[test]'")
from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

TOOLS = {"list_metrics", "describe_metric", "dimension_values", "query_metrics",
         "compile_sql", "compare_periods", "validate"}


# ----------------------------------------------------------------------------- clients


class Client:
    """The SDK's ClientSession on an event loop of its own, called synchronously."""

    def __init__(self, portal, session: ClientSession, notes: list) -> None:
        self.portal, self.session, self.notes = portal, session, notes

    def tools(self) -> dict[str, types.Tool]:
        return {t.name: t for t in self.portal.call(self.session.list_tools).tools}

    def call(self, name: str, arguments: dict | None = None) -> types.CallToolResult:
        return self.portal.call(self.session.call_tool, name, arguments or {})

    def ok(self, name: str, arguments: dict | None = None) -> dict:
        result = self.call(name, arguments)
        assert not result.is_error, result.content[0].text
        # the text block is the exact JSON; the structured content is the same object
        text = result.content[0].text
        assert json.loads(text) == result.structured_content
        return result.structured_content

    def error(self, name: str, arguments: dict | None = None, code: str | None = None) -> dict:
        """A tool error: one line, the CLI's code and message, no traceback."""
        result = self.call(name, arguments)
        assert result.is_error, result.structured_content
        text = result.content[0].text
        assert text.startswith("error[") and "\n" not in text, text
        assert "Traceback" not in text and 'File "' not in text
        error = result.structured_content["error"]
        assert text == f"error[{error['code']}]: {error['message']}"
        if code:
            assert error["code"] == code, error
        return error


@contextmanager
def connected(transport):
    """A Client over ``transport()`` (an async context manager of the stream pair)."""
    notes: list = []

    async def note(message) -> None:
        notes.append(getattr(message, "root", message))

    @asynccontextmanager
    async def session():
        async with transport() as (read, write):
            async with ClientSession(read, write, message_handler=note) as opened:
                await opened.initialize()
                yield opened

    with anyio.from_thread.start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(session()) as opened:
            yield Client(portal, opened, notes)


def over_stdio(project: Path, errlog):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "sales_metrics.cli", "mcp", "-p", str(project)],
        cwd=str(ROOT), env={k: v for k, v in os.environ.items()
                            if not k.startswith("METRICS_SERVE")})
    return lambda: stdio_client(params, errlog=errlog)


def over_http(url: str, token: str | None):
    import httpx2

    @asynccontextmanager
    async def transport():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                yield streams
    return transport


class McpHttpServer(ServerProcess):
    """`metrics mcp --transport http` in a subprocess on a free loopback port."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        super().__init__(["mcp", "--transport", "http"], args, env, log)
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        if not eventually(self._up, 60):
            self.stop()
            raise AssertionError(f"the MCP server did not start: {self.stderr()}")

    def _up(self) -> bool:
        assert self.process.poll() is None, self.stderr()
        try:
            return self.post(b"{}").status > 0  # any answer: it listens
        except OSError:
            return False

    def post(self, data: bytes, headers: dict[str, str] | None = None):
        request = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return SimpleNamespace(status=response.status, headers=response.headers,
                                       body=response.read())
        except urllib.error.HTTPError as err:
            return SimpleNamespace(status=err.code, headers=err.headers, body=err.read())



@pytest.fixture(scope="module")
def stdio_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mcp-stdio") / "stderr.log"


@pytest.fixture(scope="module")
def stdio(stdio_log):
    with open(stdio_log, "w") as errlog, connected(over_stdio(PROJECT_DIR, errlog)) as client:
        yield client


@pytest.fixture(scope="module")
def http_server(tokens_file, tmp_path_factory):
    server = McpHttpServer(["--project", str(PROJECT_DIR), "--tokens", str(tokens_file)],
                           {"METRICS_SERVE_TOKEN": FULL_TOKEN,
                            "TEST_LIMITED_TOKEN": LIMITED_TOKEN},
                           tmp_path_factory.mktemp("mcp-http") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http(http_server):
    with connected(over_http(http_server.url, FULL_TOKEN)) as client:
        yield client


@pytest.fixture(scope="module")
def limited(http_server):
    with connected(over_http(http_server.url, LIMITED_TOKEN)) as client:
        yield client


@pytest.fixture(scope="module")
def src(frames):
    return enrich(frames)


@pytest.fixture(params=["stdio", "http"])
def client(request):
    return request.getfixturevalue(request.param)


def rows_table(answer: dict):
    return from_json(SimpleNamespace(json=lambda: answer))


# ----------------------------------------------------------------------------- the tools


def test_the_tools_are_described_by_the_definitions(client):
    tools = client.tools()
    assert set(tools) == TOOLS
    written = yaml_metrics()
    query = tools["query_metrics"].description
    for name, m in written.items():
        label = m.get("label", name)
        line = next(x for x in query.splitlines() if x.startswith(f"- {name}: "))
        assert line.startswith(f"- {name}: {label} [{m.get('format', 'number')}"), line
        assert label in tools["list_metrics"].description
    assert "quarter, year, all]" in next(x for x in query.splitlines()
                                         if x.startswith("- quota: "))  # not every grain
    assert "Grains: day, week, month, quarter, year, all." in query
    assert "region" in query and "lead_source" in query
    described = tools["describe_metric"].input_schema
    assert set(described["properties"]["name"]["enum"]) == set(written)
    assert described["required"] == ["name"] and described["additionalProperties"] is False
    grains = tools["query_metrics"].input_schema["properties"]["grain"]["enum"]
    assert grains == ["day", "week", "month", "quarter", "year", "all"]
    dims = set(tools["dimension_values"].input_schema["properties"]["dimension"]["enum"])
    assert {"region", "segment", "lead_source", "product"} <= dims
    for tool in tools.values():
        assert tool.annotations.read_only_hint is True and tool.input_schema["type"] == "object"


def test_list_metrics_shows_every_metric_as_written(client):
    listed = {m["name"]: m for m in client.ok("list_metrics")["metrics"]}
    written = yaml_metrics()
    assert set(listed) == set(written)
    for name, m in written.items():
        assert listed[name]["label"] == m.get("label", name)
        assert listed[name]["owner"] == m.get("owner")


def test_describe_metric(stdio):
    about = stdio.ok("describe_metric", {"name": "win_rate", "dialect": "postgres"})
    assert about["name"] == "win_rate" and about["dialect"] == "postgres"
    assert "DATE_TRUNC" in about["sql"] and "pipeline_velocity" in about["used_by"]
    assert about["text"].startswith("win_rate: ")


def test_dimension_values_come_from_the_data(client, frames):
    regions = sorted(frames["reps"]["region"].dropna().unique())
    assert client.ok("dimension_values", {"dimension": "region"}) == {
        "dimension": "region", "values": regions, "more": False}
    assert client.ok("dimension_values", {"dimension": "region", "search": "a", "limit": 1}
                     )["values"] == [r for r in regions if "a" in r.lower()][:1]


def test_query_numbers_match_the_oracle(client, src):
    answer = client.ok("query_metrics", QUARTER)
    assert answer["metrics"] == QUARTER["metrics"] and answer["grain"] == "quarter"
    want = expected(src, QUARTER["metrics"], "quarter", ["region"], QUARTER["start"],
                    QUARTER["end"])
    assert mismatches(rows_table(answer), want) == []
    assert answer["row_count"] == len(want) == 6 * 4


def test_the_text_block_is_the_http_answer_exactly(stdio):
    """The same bytes as POST /v1/query's JSON: encode.py's writer, every digit kept."""
    text = stdio.call("query_metrics", {"metrics": ["won_revenue"], "grain": "year"}
                      ).content[0].text
    exact = json.loads(text, parse_float=Decimal)
    assert [type(r["won_revenue"]) for r in exact["rows"]] == [Decimal] * len(exact["rows"])
    assert json.loads(text)["rows"] == [{k: float(v) if isinstance(v, Decimal) else v
                                         for k, v in r.items()} for r in exact["rows"]]


def test_a_where_filter(stdio, src):
    answer = stdio.ok("query_metrics", {"metrics": ["deals_won"], "grain": "year",
                                        "where": ["region = 'EMEA'"]})
    want = expected(src, ["deals_won"], "year", where=lambda d: d["region"] == "EMEA")
    assert mismatches(rows_table(answer), want) == []


def test_compiled_sql_gives_the_oracle_numbers(stdio, src):
    import duckdb

    from support import DATA_DIR

    answer = stdio.ok("compile_sql", QUARTER)
    assert answer["dialect"] == "duckdb"
    con = duckdb.connect()
    for file in DATA_DIR.glob("*.parquet"):
        con.execute(f"CREATE VIEW {file.stem} AS SELECT * FROM read_parquet('{file}')")
    table = con.sql(answer["sql"]).arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    want = expected(src, QUARTER["metrics"], "quarter", ["region"], QUARTER["start"],
                    QUARTER["end"])
    assert mismatches(table, want) == []
    other = stdio.ok("compile_sql", {**QUARTER, "dialect": "snowflake"})
    assert other["dialect"] == "snowflake" and other["sql"] != answer["sql"]


@pytest.mark.parametrize("by", [[], ["region"]])
def test_compare_periods_against_pandas_sums(client, src, by):
    answer = client.ok("compare_periods", {"metric": "won_revenue", "start": "2025-04-01",
                                           "end": "2025-06-30", "by": by})
    assert answer["previous"] == {"start": "2025-01-01", "end": "2025-03-31"}
    opps = src["opportunities"]
    won = opps[opps["stage"] == "won"]
    assert answer["rows"] and len(answer["rows"]) == (won["region"].nunique() if by else 1)
    for row in answer["rows"]:
        def total(lo, hi):
            part = won[(won["closed_at"] >= lo) & (won["closed_at"] < hi)]
            return (part[part["region"] == row["region"]] if by else part)["amount"].sum()
        now, then = total("2025-04-01", "2025-07-01"), total("2025-01-01", "2025-04-01")
        assert row["current"] == pytest.approx(now) and row["previous"] == pytest.approx(then)
        assert row["change"] == pytest.approx(now - then)
        assert row["relative_change"] == pytest.approx((now - then) / then)


def test_compare_with_a_previous_range(stdio, src):
    answer = stdio.ok("compare_periods", {
        "metric": "deals_won", "start": "2025-01-01", "end": "2025-06-30",
        "previous_start": "2024-01-01", "previous_end": "2024-06-30"})
    opps = src["opportunities"]
    won = opps[opps["stage"] == "won"]

    def count(lo, hi):
        return int(((won["closed_at"] >= lo) & (won["closed_at"] < hi)).sum())
    now, then = count("2025-01-01", "2025-07-01"), count("2024-01-01", "2024-07-01")
    assert answer["previous"] == {"start": "2024-01-01", "end": "2024-06-30"}
    assert answer["rows"] == [{"current": now, "previous": then, "change": now - then,
                               "relative_change": pytest.approx((now - then) / then)}]


def test_validate(client):
    answer = client.ok("validate")
    assert answer["valid"] is True and answer["serving"] >= 1
    assert all(d["severity"] == "warning" for d in answer["diagnostics"])


# ----------------------------------------------------------------------------- hostile input

# The HTTP tests' hostile query bodies that an MCP client can send as arguments (an object;
# MCP has no 'format').
QUERIES = [(body, said) for body, said in HOSTILE
           if isinstance(body, dict) and "format" not in body]
OTHERS = [
    ("describe_metric", {"name": "win_rat"}, "did you mean 'win_rate'"),
    ("describe_metric", {"name": 3}, "is text"),
    ("describe_metric", {}, "'name' is required"),
    ("describe_metric", {"name": "win_rate", "dialect": "cobol"}, "cobol"),
    ("dimension_values", {"dimension": "regio"}, "unknown dimension"),
    ("dimension_values", {"dimension": "region", "limit": "x"}, "whole number"),
    ("dimension_values", {"dimension": "region", "limit": True}, "whole number"),
    ("dimension_values", {"dimension": "region", "limit": 0}, "limit"),
    ("dimension_values", {"dimension": "region", "search": "a" * 201}, "search"),
    ("compare_periods", {"metric": "won_revenue", "start": "yesterday", "end": "2025-01-01"},
     "not a date"),
    ("compare_periods", {"metric": "won_revenue", "start": "2025-02-01", "end": "2025-01-01"},
     "before"),
    ("compare_periods", {"metric": ["won_revenue"], "start": "2025-01-01",
                         "end": "2025-02-01"}, "is text"),
    ("compare_periods", {"metric": "nope", "start": "2025-01-01", "end": "2025-02-01"},
     "unknown metric"),
    ("compare_periods", {"metric": "won_revenue", "start": "2025-01-01", "end": "2025-02-01",
                         "previous_start": "2024-01-01"}, "both"),
    ("compare_periods", {"metric": "won_revenue", "start": "2025-01-01", "end": "2025-02-01",
                         "where": ["1=1; drop table x"]}, "several statements"),
    ("compile_sql", {"metrics": ["win_rate"], "dialect": 7}, "is text"),
    ("compile_sql", {"metrics": ["win_rate"], "by": [f"d{i}" for i in range(1000)]}, "at most 8"),
    ("list_metrics", {"metrics": ["x"]}, "takes none"),
    ("validate", {"strict": True}, "takes none"),
    ("query_metrics", {"metrics": ["win_rate"], "formt": "csv"}, "unknown field 'formt'"),
]


@pytest.mark.parametrize("arguments, said", QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_hostile_queries_are_clean_tool_errors(stdio, arguments, said):
    error = stdio.error("query_metrics", arguments, "bad-request")
    assert said in error["message"], error


@pytest.mark.parametrize("tool, arguments, said", OTHERS, ids=[f"{t}-{i}" for i, (t, _, _)
                                                               in enumerate(OTHERS)])
def test_hostile_arguments_are_clean_tool_errors(stdio, tool, arguments, said):
    error = stdio.error(tool, arguments)
    assert said in error["message"], error
    assert error["code"] in ("bad-request", "not-found", "cannot-compile"), error


def test_an_unknown_tool_is_a_protocol_error(stdio):
    with pytest.raises(MCPError, match="unknown tool 'drop_table'"):
        stdio.call("drop_table", {})


def test_stdout_carried_protocol_only_and_stderr_no_traceback(stdio, stdio_log):
    """Run last of the stdio tests: every answer above parsed as protocol (the SDK would
    have failed on a stray line), and nothing above was a bug of ours."""
    assert stdio.ok("validate")["valid"]
    assert [n for n in stdio.notes if isinstance(n, Exception)] == []  # unparsable lines
    log = stdio_log.read_text()
    assert "metrics over MCP on stdio" in log
    assert "Traceback" not in log


# ----------------------------------------------------------------------------- HTTP and access


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "test", "version": "0"}}}).encode()


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", "Basic abc",
                                    f"Bearer {FULL_TOKEN[:-1]}", FULL_TOKEN])
def test_http_without_a_valid_token_is_401(http_server, header):
    answer = http_server.post(INITIALIZE, {"Authorization": header} if header else {})
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="metrics"')
    error = json.loads(answer.body)["error"]
    assert error["code"] == "unauthorized" and FULL_TOKEN not in answer.body.decode()
    assert (', error="invalid_token"' in answer.headers["WWW-Authenticate"]) == bool(header)


def test_the_sdk_client_with_a_wrong_token_cannot_connect(http_server):
    with pytest.raises(Exception) as caught:
        with connected(over_http(http_server.url, "wrong-token-0123456789")):
            pass

    def leaves(err):
        return [x for e in err.exceptions for x in leaves(e)] \
            if isinstance(err, BaseExceptionGroup) else [err]
    assert any(isinstance(e, MCPError) for e in leaves(caught.value)), caught.value


def test_http_with_the_token_answers(http_server):
    assert http_server.post(INITIALIZE, {"Authorization": f"Bearer {FULL_TOKEN}"}
                            ).status == 200


def test_a_limited_token_sees_only_its_metrics(limited):
    visible = limited_visible()
    assert {m["name"] for m in limited.ok("list_metrics")["metrics"]} == visible
    tools = limited.tools()
    assert set(tools["describe_metric"].input_schema["properties"]["name"]["enum"]) == visible
    assert tools["dimension_values"].input_schema["properties"]["dimension"]["enum"] == [
        "region"]
    assert "calls_made" not in tools["query_metrics"].description
    answer = limited.ok("query_metrics", {"metrics": ["average_deal_size"], "by": ["region"]})
    assert answer["metrics"] == ["average_deal_size"]
    assert limited.ok("describe_metric", {"name": "win_rate"})["used_by"] == []


@pytest.mark.parametrize("tool, arguments, said", [
    ("query_metrics", {"metrics": ["calls_made"]}, "metric 'calls_made'"),
    ("query_metrics", {"metrics": ["pipeline_velocity"]}, "computed from a metric"),
    ("query_metrics", {"metrics": ["win_rate"], "by": ["segment"]}, "dimension 'segment'"),
    ("query_metrics", {"metrics": ["win_rate"], "where": ["segment = 'x'"]},
     "dimension 'segment'"),
    ("compile_sql", {"metrics": ["nps"]}, "metric 'nps'"),
    ("describe_metric", {"name": "calls_made"}, "metric 'calls_made'"),
    ("dimension_values", {"dimension": "segment"}, "dimension 'segment'"),
    ("compare_periods", {"metric": "calls_made", "start": "2025-01-01", "end": "2025-02-01"},
     "metric 'calls_made'"),
])
def test_a_limited_token_is_refused_the_rest(limited, tool, arguments, said):
    error = limited.error(tool, arguments, "forbidden")
    assert said in error["message"]


def test_the_http_server_logged_no_traceback(http_server, http, limited):
    assert http.ok("validate")["valid"]
    assert "Traceback" not in http_server.stderr()
    assert FULL_TOKEN not in http_server.stderr() and LIMITED_TOKEN not in http_server.stderr()


def test_no_token_means_loopback_only():
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_SERVE")}
    done = subprocess.run([sys.executable, "-m", "sales_metrics.cli", "mcp", "--transport",
                           "http", "--host", "0.0.0.0", "--port", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "refusing to listen on 0.0.0.0" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- reloads


def relabel_and_wait(project_copy: Path, client) -> None:
    """Edit win_rate's label in the project, and wait for the server to announce new tools."""
    file = project_copy / "conversion.yml"
    file.write_text(file.read_text().replace("label: Opportunity win rate",
                                             "label: Win rate (edited)"))
    assert eventually(lambda: any(isinstance(n, types.ToolListChangedNotification)
                                  for n in client.notes))


def test_an_edit_changes_the_tools_and_is_announced(project_copy, tmp_path):
    with open(tmp_path / "stderr.log", "w") as errlog, \
            connected(over_stdio(project_copy, errlog)) as client:
        assert "Opportunity win rate" in client.tools()["query_metrics"].description
        relabel_and_wait(project_copy, client)
        query = client.tools()["query_metrics"].description
        assert "- win_rate: Win rate (edited) [percent]" in query
        assert "Opportunity win rate" not in query


def test_an_edit_is_announced_over_http_too(project_copy, tmp_path):
    server = McpHttpServer(["--project", str(project_copy)], {}, tmp_path / "server.log")
    try:
        with connected(over_http(server.url, None)) as client:
            assert "Opportunity win rate" in client.tools()["query_metrics"].description
            relabel_and_wait(project_copy, client)
            assert "Win rate (edited)" in client.tools()["query_metrics"].description
    finally:
        server.stop()
