"""`metrics serve` and `metrics mcp`: build the service, check where it may listen, run
uvicorn (or the MCP server on stdio)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sales_metrics.engine.diagnostics import UsageError


def serve(project: Path | None, host: str, port: int, *, target: str | None,
          connection: str | None, profiles_dir: Path | None, tokens: Path | None,
          max_concurrent: int, cache_ttl: float, max_rows: int, timeout: float | None,
          connect_timeout: float, max_body: int, verbose: bool) -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ModuleNotFoundError as err:
        raise UsageError(f"metrics serve needs the '{err.name}' package: pip install "
                         "'sales-metrics[serve]'") from None
    from .http import create_app
    service = _service(project, verbose, target=target, connection=connection,
                       profiles_dir=profiles_dir, tokens_file=tokens,
                       connect_timeout=connect_timeout, timeout=timeout,
                       max_concurrent=max_concurrent, max_rows=max_rows, cache_ttl=cache_ttl)
    try:
        service.check_listen(host)
        service.check_connection()
        count = len(service.list_metrics())
        print(_serving_line(f"{count} metrics", service, host, port), file=sys.stderr,
              flush=True)
        uvicorn.run(create_app(service, max_body), host=host, port=port,
                    log_level="info" if verbose else "warning", access_log=verbose,
                    server_header=False)
    finally:
        service.close()


def _service(project: Path | None, verbose: bool, **settings):
    """The service both servers share, its log set up first (a bad project is logged too)."""
    from .service import Service

    _logging(verbose)
    return Service(project, **settings)


def _serving_line(what: str, service, host: str, port: int, path: str = "") -> str:
    shown = f"[{host}]" if ":" in host else host
    guard = "tokens required" if service.tokens.configured else "no token: loopback only"
    return f"serving {what} on http://{shown}:{port}{path} ({guard}); Ctrl-C stops"


def _logging(verbose: bool) -> None:
    """The service's log to stderr, every line masked: warnings and errors (with a bug's
    traceback, which no response carries), and with --verbose each query too."""
    from sales_metrics.adapters.secrets import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(MaskingFilter())
    for name in ("metrics.serve", "metrics"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
        logger.propagate = False


def serve_mcp(project: Path | None, transport: str, host: str, port: int, *,
              target: str | None, connection: str | None, profiles_dir: Path | None,
              tokens: Path | None, max_concurrent: int, cache_ttl: float, max_rows: int,
              timeout: float | None, connect_timeout: float, verbose: bool) -> None:
    """`metrics mcp`: the MCP server (cli/serve/mcp.py) over stdio, or streamable HTTP on
    uvicorn. On stdio, stdout carries protocol messages only: this writes to stderr."""
    try:
        import mcp.server  # noqa: F401
        if transport == "http":
            import uvicorn
    except ModuleNotFoundError as err:
        raise UsageError(f"metrics mcp needs the '{err.name}' package: pip install "
                         "'sales-metrics[serve]'") from None
    from .mcp import PATH, MetricsMcp
    service = _service(project, verbose, target=target, connection=connection,
                       profiles_dir=profiles_dir, tokens_file=tokens,
                       connect_timeout=connect_timeout, timeout=timeout,
                       max_concurrent=max_concurrent, max_rows=max_rows, cache_ttl=cache_ttl)
    try:
        if transport == "http":
            service.check_listen(host)
        service.check_connection()
        server = MetricsMcp(service)
        count = len(service.list_metrics())
        if transport == "stdio":
            print(f"serving {count} metrics over MCP on stdio", file=sys.stderr, flush=True)
            import anyio

            anyio.run(server.run_stdio)
            return
        print(_serving_line(f"{count} metrics over MCP", service, host, port, PATH),
              file=sys.stderr, flush=True)
        uvicorn.run(server.http_app(host), host=host, port=port,
                    log_level="info" if verbose else "warning", access_log=verbose,
                    server_header=False)
    finally:
        service.close()
