"""A real `metrics serve` for the tests: a uvicorn server in a subprocess on a free loopback
port, reached over HTTP with the standard library's client (what any tool would do).

:class:`Server` starts one (`python -m sales_metrics.cli serve ...`), waits until
``/healthz`` answers, and keeps its stderr (the server's log) for the tests to read.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from support import ROOT

FULL_TOKEN = "full-access-token-0123456789"
LIMITED_TOKEN = "limited-token-abcdefghijklmno"
# The limited token: four metrics and the formula over them, grouped by region only.
# average_deal_size (won_revenue / deals_won) is readable; pipeline_velocity, which is also
# computed from opportunities_created and sales_cycle_length, is not.
LIMITED = {"name": "regional-dashboard", "token": "{{ env_var('TEST_LIMITED_TOKEN') }}",
           "metrics": ["win_rate", "deals_*", "won_revenue", "average_deal_size",
                       "pipeline_velocity"], "dimensions": ["region"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class ServerProcess:
    """`python -m sales_metrics.cli <command> --port <free port> ...` in a subprocess, its
    stderr (the server's log) kept in a file for the tests to read."""

    def __init__(self, command: list[str], args: list[str], env: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        self.port = free_port()
        self.log = log or Path(os.environ.get("TMPDIR", "/tmp")) / f"serve-{self.port}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_SERVE")}
        full_env.update(env or {})
        self._err = open(self.log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sales_metrics.cli", *command, "--port", str(self.port),
             *args], cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=self._err)

    def stderr(self) -> str:
        if not self._err.closed:
            self._err.flush()
        return self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._err.close()


class Server(ServerProcess):
    def __init__(self, args: list[str], env: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        super().__init__(["serve"], args, env, log)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped: {self.stderr()}")
            try:
                self.call("GET", "/healthz")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the server did not start: {self.stderr()}")

    def call(self, method: str, path: str, body=None, token: str | None = None,
             headers: dict[str, str] | None = None) -> Answer:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                              response.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())

    def get(self, path: str, token: str | None = FULL_TOKEN, **kw) -> Answer:
        return self.call("GET", path, token=token, **kw)

    def post(self, path: str, body, token: str | None = FULL_TOKEN, **kw) -> Answer:
        return self.call("POST", path, body, token=token, **kw)


