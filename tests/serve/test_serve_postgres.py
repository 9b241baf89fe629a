"""`metrics serve` on PostgreSQL: the numbers, and a warehouse that drops the connection.

The server reaches PostgreSQL through a TCP relay of the test's own, so the test can see
which server-side sessions are the server's (by the relay's ports) and can cut the network:
a session ended on the server (``pg_terminate_backend``) costs one transparent reconnection;
the warehouse unreachable is a clean 503, and the next request after it is back succeeds.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from serve_helpers import FULL_TOKEN, Server
from support import PROJECT_DIR
from support.oracle_kpis import enrich, expected, mismatches

from test_http import QUARTER, clean, from_json

pytestmark = pytest.mark.postgres


class Relay:
    """A TCP relay from a local port to PostgreSQL; :meth:`cut` closes every connection and
    stops listening, :meth:`resume` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.ports: set[int] = set()  # local ports of the relay's connections to PostgreSQL
        self.lock = threading.Lock()
        self._serve()

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
                self.ports.add(server.getsockname()[1])
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        try:  # wakes the accepting thread: a close alone leaves it listening on Linux
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.sockets = []

    def resume(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._serve()


@pytest.fixture(scope="module")
def relay(pg_url):
    parts = urlsplit(pg_url)
    relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    yield relay
    relay.cut()


@pytest.fixture(scope="module")
def pg_server(pg_url, pg_schema, relay, tmp_path_factory):
    parts = urlsplit(pg_url)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{relay.port}"
    folder = tmp_path_factory.mktemp("pg-profiles")
    (folder / "profiles.yml").write_text(yaml.safe_dump({"acme_sales": {
        "target": "pg", "outputs": {"pg": {
            "type": "postgres", "url": urlunsplit((parts.scheme, netloc, parts.path, "", "")),
            "schema": pg_schema, "connect_timeout": 3}}}}))
    server = Server(["--project", str(PROJECT_DIR), "--profiles-dir", str(folder),
                     "--cache-ttl", "0", "--max-concurrent", "2", "--timeout", "30"],
                    env={"METRICS_SERVE_TOKEN": FULL_TOKEN}, log=folder / "server.log")
    yield server
    server.stop()


def sessions(pg_url: str, relay: Relay) -> list[int]:
    """The server's sessions on PostgreSQL: backends whose client is one of the relay's
    connections."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid, client_port FROM pg_stat_activity WHERE "
                            "client_port IS NOT NULL").fetchall()
    with relay.lock:
        return sorted(pid for pid, port in rows if port in relay.ports)


def test_numbers_on_postgres_match_the_oracle(pg_server, frames):
    answer = pg_server.post("/v1/query", QUARTER)
    assert answer.status == 200, answer.text
    want = expected(enrich(frames), QUARTER["metrics"], "quarter", ["region"],
                    QUARTER["start"], QUARTER["end"])
    assert mismatches(from_json(answer), want) == []
    values = pg_server.get("/v1/dimensions/region/values?search=a").json()["values"]
    assert values == sorted(r for r in frames["reps"]["region"].dropna().unique()
                            if "a" in r.lower())


def test_a_terminated_session_is_replaced(pg_server, pg_url, relay):
    import psycopg

    assert pg_server.post("/v1/query", QUARTER).status == 200
    before = sessions(pg_url, relay)
    assert before, "the server keeps its connection open between queries"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for pid in before:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    answer = pg_server.post("/v1/query", QUARTER)  # retried once on a new connection
    assert answer.status == 200, answer.text
    after = sessions(pg_url, relay)
    assert after and not set(after) & set(before)


def test_an_unreachable_warehouse_is_503_then_the_server_recovers(pg_server, pg_url, relay):
    assert pg_server.post("/v1/query", QUARTER).status == 200
    relay.cut()
    try:
        answer = pg_server.post("/v1/query", QUARTER)
        error = clean(answer, 503, "warehouse-unavailable")
        assert answer.headers["retry-after"] == "1"
        assert "postgres" in error["message"]
        clean(pg_server.get("/v1/dimensions/region/values"), 503, "warehouse-unavailable")
        assert pg_server.get("/v1/metrics").status == 200  # the catalog needs no warehouse
    finally:
        relay.resume()
    answer = pg_server.post("/v1/query", QUARTER)
    assert answer.status == 200, answer.text
    assert "Traceback" not in pg_server.stderr()
