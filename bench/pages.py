"""Benchmark the browsing pages through HTTP: entity pages of ordinary and hub entities, the
partnership page, search, home, at a million synthetic triples, with concurrent clients.

    .venv/bin/python bench/pages.py [--size 1m] [--clients 4] [--duration 10] [--workers 2]

Starts ``wopgraph serve`` on a free port of 127.0.0.1 with the synthetic corpus
(``python -m wopgraph.synthetic``, cached in ``build/bench/``) and the shapes, warms every
page up once (the caches of both workers: terms, shapes, search index), then for each page
kind runs ``--clients`` threads, each with its own keep-alive connection, sending GETs for
``--duration`` seconds. It prints p50, p95 and pages per second per kind against the targets
of the entity-pages issue, and writes them to ``build/bench/pages.json``. Each request asks
for HTML with ``Accept-Encoding: gzip`` (as a browser does) and without validators, so no
answer is a 304.

On Linux it also reports the server's CPU time per page (the gunicorn master, its workers and
their query processes, from ``/proc``): on a machine shared with other work the latencies move
with the neighbours' load, the CPU a page costs much less, so it is the figure to compare
before and after a change.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from systems import server_cpu, wait_until_idle

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "bench"
#: Page kind -> (p50 target ms, p95 target ms), from the issue.
TARGETS = {
    "ordinary": (10, 25),
    "partnership": (None, 50),
    "hub": (None, 50),
    "search": (None, 50),
}
TARGET_PAGES_PER_SECOND = 300


def free_port() -> int:
    """A free TCP port of 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def corpus(size: str) -> tuple[Path, dict]:
    """The synthetic corpus of ``size`` triples and its summary (generated when missing)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / f"synthetic-{size}.nq"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "wopgraph.synthetic", "--triples", size, "--out", str(path)],
            check=True,
            cwd=ROOT,
        )
    return path, json.loads(Path(str(path) + ".json").read_text())


def start(data: list[str], port: int, workers: int) -> subprocess.Popen:
    """Start ``wopgraph serve`` and wait until it answers."""
    log = open(BUILD / "pages-serve.log", "w")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "wopgraph", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--data", *data]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited; see {BUILD / 'pages-serve.log'}")
        try:
            status, _ = get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/sparql")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up in 10 minutes")


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """One GET of a page as a browser asks for it; the status and body."""
    conn.request(
        "GET", path, headers={"Accept": "text/html", "Accept-Encoding": "gzip",
                              "Accept-Language": "en"}
    )  # fmt: skip
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, paths: list[str], clients: int, duration: float, pid: int = 0) -> dict:
    """``clients`` threads GET ``paths`` round-robin for ``duration`` s; latency statistics
    (and the CPU time of server ``pid`` per page, where it can be read)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, i = [], offset
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            try:
                status, _ = get(conn, path)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - began
            if status == 200:
                mine.append(elapsed)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    cpu_before = server_cpu(pid) if pid else None
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    cpu_after = server_cpu(pid) if pid else None
    ordered = sorted(latencies) or [float("nan")]
    cpu = None
    if cpu_before is not None and cpu_after is not None and latencies:
        cpu = 1000 * (cpu_after - cpu_before) / (len(latencies) + errors[0])
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "pages_per_s": len(latencies) / wall,
        "server_cpu_ms_per_page": cpu,
    }


def page_paths(summary: dict) -> dict[str, list[str]]:
    """The pages measured, per kind (several ordinary entities, so caches do not flatter)."""
    base = "https://w3id.org/wop/"
    ordinary_op = summary["ordinary_operator"][len(base) - 1 :]
    number = int(ordinary_op.rsplit("-", 1)[1])
    operators = [f"/id/synthetic/operator/op-{n:06d}" for n in range(number, number + 40)]
    partnership = summary["ordinary_partnership"][len(base) - 1 :]
    p_number = int(partnership.rsplit("-", 1)[1])
    partnerships = [
        f"/id/synthetic/partnership/wop-{n:06d}" for n in range(p_number, p_number + 40)
    ]
    return {
        "ordinary": operators,
        "partnership": partnerships,
        "hub": [h["iri"][len(base) - 1 :] for h in summary["hubs"]],
        "search": [f"/search?q={quote(summary['search_term'])}", "/search?q=water+board",
                   "/search?q=sanitation+office", "/search?q=hub+alpha"],
        "home": ["/"],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1m")
    parser.add_argument(
        "--clients", default="2,4", help="concurrent clients, comma-separated for several runs"
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    path, summary = corpus(args.size)
    port = free_port()
    print(f"loading {path.name} ({summary['triples']} triples) ...", file=sys.stderr)
    began = time.monotonic()
    server = start([str(path), str(ROOT / "ontology" / "shapes.ttl")], port, args.workers)
    print(f"ready in {time.monotonic() - began:.0f} s", file=sys.stderr)
    results = {}
    try:
        kinds = page_paths(summary)
        # Let start-up work in the background finish (a first start of new data builds the
        # search index and the dumps after it answers), then warm up every worker's caches.
        wait_until_idle(lambda: server_cpu(server.pid), 1.0, 180.0)
        for paths in kinds.values():
            for p in paths:
                for _ in range(args.workers * 2):
                    get(http.client.HTTPConnection("127.0.0.1", port, timeout=600), p)
        for clients in [int(c) for c in args.clients.split(",")]:
            for kind, paths in kinds.items():
                r = results.setdefault(str(clients), {})[kind] = load(
                    port, paths, clients, args.duration, server.pid
                )
                cpu = r["server_cpu_ms_per_page"]
                print(
                    f"{clients} clients {kind:12} p50 {r['p50_ms']:7.1f} ms  "
                    f"p95 {r['p95_ms']:7.1f} ms  {r['pages_per_s']:7.1f} pages/s  "
                    + (f"server CPU {cpu:5.2f} ms/page  " if cpu is not None else "")
                    + f"({r['requests']} requests, {r['errors']} errors)"
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    report = {"size": args.size, "triples": summary["triples"], "clients": args.clients,
              "workers": args.workers, "duration_s": args.duration, "cpus": os.cpu_count(),
              "results": results, "targets": TARGETS,
              "target_pages_per_second": TARGET_PAGES_PER_SECOND}  # fmt: skip
    (BUILD / "pages.json").write_text(json.dumps(report, indent=1) + "\n")
    for clients, per_kind in results.items():
        for kind, (p50, p95) in TARGETS.items():
            r = per_kind.get(kind)
            if r:
                ok = (p50 is None or r["p50_ms"] <= p50) and r["p95_ms"] <= p95
                print(f"{clients} clients: target {kind:12} {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
