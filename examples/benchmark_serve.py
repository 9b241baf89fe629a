"""Load benchmark of `metrics serve`: concurrent clients, cached and uncached, on demand.

    python examples/benchmark_serve.py [--clients 32] [--requests 500] [--opportunities N]

It starts `metrics serve` on a free loopback port over the bundled project (or, with
``--opportunities N``, over a copy of it reading data generated at that scale by
``examples/generate.py``), then runs two phases, each against a server of its own:

- **cached**: a few query requests (:data:`REQUESTS`), each sent once to warm the result
  cache, then repeated: what a dashboard refreshing the same tiles costs;
- **uncached**: the same requests against a server started with ``--cache-ttl 0``, so every
  request compiles nothing new but runs its SELECT on DuckDB.

In each phase ``--clients`` threads each send ``--requests`` requests (so 32 x 500 = 16,000
requests per phase by default), one after the other on one keep-alive connection
(``http.client``), cycling through the requests from a different starting point each. A
request counts as an error unless it answers 200 with a JSON body. It prints, as a Markdown
table, each phase's throughput (requests per second over the phase's wall time), median and
99th-percentile latency, the slowest request and the error count, then the machine: CPUs,
Python, DuckDB, the server's settings.

The goal (issue 16): no error at all, and a cached p99 under 50 ms on a 2-core machine. The
clients run in this process, under its GIL, on the same CPUs as the server: on a small
machine they take a share of the CPU the server would otherwise have, so the numbers are an
upper bound on the server's own latency. Each client sends its next request as soon as the
last one answers, so the median latency is about clients / throughput (Little's law): 32
clients under 50 ms need over 640 requests a second, nearer 1,000 for the 99th percentile.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REQUESTS = [  # what a sales dashboard asks: a few tiles, each one request
    {"metrics": ["win_rate", "deals_won", "won_revenue"], "grain": "quarter", "by": ["region"],
     "start": "2024-01-01", "end": "2025-06-30"},
    {"metrics": ["calls_made", "emails_sent", "meetings_scheduled"], "grain": "month",
     "by": ["team"]},
    {"metrics": ["lead_conversion_rate", "leads_created"], "grain": "month",
     "by": ["lead_source"]},
    {"metrics": ["mrr", "net_new_mrr", "customer_churn_rate"], "grain": "quarter"},
    {"metrics": ["average_deal_size", "sales_cycle_length"], "grain": "year",
     "where": ["region = 'EMEA'"]},
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`metrics serve` in a subprocess on a free loopback port, no token."""

    def __init__(self, project: Path, extra: list[str]) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_SERVE")}
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sales_metrics.cli", "serve", "--port", str(self.port),
             "--project", str(project), *extra], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: {self.stderr()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                if request(conn, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the server did not start: {self.stderr()}")

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None
            ) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def client(port: int, bodies: list[bytes], count: int, start: int, latencies: list[float],
           errors: list[str], ready: threading.Barrier) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    ready.wait()
    for i in range(count):
        body = bodies[(start + i) % len(bodies)]
        began = time.perf_counter()
        try:
            status, answer = request(conn, "POST", "/v1/query", body)
            if status != 200 or not answer.startswith(b"{"):
                errors.append(f"{status}: {answer[:200]!r}")
        except (OSError, http.client.HTTPException) as err:
            errors.append(f"{type(err).__name__}: {err}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies.append(time.perf_counter() - began)
    conn.close()


def phase(port: int, clients: int, requests: int) -> dict:
    bodies = [json.dumps(r).encode() for r in REQUESTS]
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for body in bodies:  # fill the cache (and the server's first-query costs) beforehand
        status, answer = request(warm, "POST", "/v1/query", body)
        if status != 200:
            raise SystemExit(f"a benchmark request fails: {status} {answer[:300]!r}")
    warm.close()
    latencies: list[float] = []  # list.append is atomic under the GIL
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client, args=(port, bodies, requests, i, latencies,
                                                     errors, ready)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": len(errors), "wall": wall,
            "rps": len(ordered) / wall, "p50": percentile(ordered, 50),
            "p99": percentile(ordered, 99), "max": ordered[-1], "first_errors": errors[:3]}


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def project_at_scale(opportunities: int, folder: Path) -> Path:
    """metrics/ and generated data side by side, as in the repository (../examples/data)."""
    shutil.copytree(ROOT / "metrics", folder / "metrics")
    data = folder / "examples" / "data"
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--opportunities",
                    str(opportunities), "--out", str(data)], check=True)
    return folder / "metrics"


def machine(max_concurrent: int) -> list[str]:
    import duckdb

    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return [f"- CPUs: {cpus} ({usable} usable); load average {load}",
            f"- Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.machine()}",
            f"- DuckDB {duckdb.__version__}",
            f"- server: one uvicorn process, --max-concurrent {max_concurrent}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=500,
                        help="requests each client sends, per phase")
    parser.add_argument("--max-concurrent", type=int, default=4,
                        help="the server's --max-concurrent (queries at once)")
    parser.add_argument("--opportunities", type=int, default=None,
                        help="generate data at this scale (default: the bundled sample)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = (project_at_scale(args.opportunities, Path(tmp)) if args.opportunities
                   else ROOT / "metrics")
        results = {}
        for name, extra in (("cached", []), ("uncached", ["--cache-ttl", "0"])):
            server = Server(project, ["--max-concurrent", str(args.max_concurrent), *extra])
            try:
                results[name] = phase(server.port, args.clients, args.requests)
            finally:
                server.stop()
            if "Traceback" in server.stderr():
                print(server.stderr(), file=sys.stderr)
    scale = f"{args.opportunities:,} opportunities" if args.opportunities else "the sample"
    print(f"`metrics serve` on {scale}: {args.clients} clients x {args.requests} requests each "
          f"per phase, {len(REQUESTS)} distinct query requests\n")
    print("| phase | requests | errors | req/s | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['requests']:,} | {r['errors']} | {r['rps']:,.0f} | "
              f"{r['p50'] * 1000:.1f} | {r['p99'] * 1000:.1f} | {r['max'] * 1000:.1f} |")
    print()
    print("\n".join(machine(args.max_concurrent)))
    for name, r in results.items():
        for error in r["first_errors"]:
            print(f"{name} error: {error}", file=sys.stderr)
    if any(r["errors"] for r in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
