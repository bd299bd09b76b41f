"""Where the two cores go when wrk loads 1 and then 2 wopgraph workers with one lookup.

    .venv/bin/python bench/cores.py [--size 100k] [--duration 5] [--rounds 3]

Why. On a 2-core machine the load generator runs on the cores the servers use, so the
throughput of 2 workers over 1 is also a measure of what the generator leaves them. This
script starts wopgraph (no cache, no access log) with 1 and with 2 workers and, once both are
idle, loads each in turn with wrk (one thread, 4 connections, the `DESCRIBE` of an ordinary
operator, as ``bench/run.py`` does). For each round it reads: requests a second, the CPU time
of the server's processes (``/proc``), of wrk (its rusage), and of the whole machine
(``/proc/stat``: busy, softirq, steal). It prints one line a round and the medians; nothing
is written.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import wrk  # noqa: E402
from report import corpus  # noqa: E402
from systems import Wopgraph, wait_until_idle  # noqa: E402

from wopgraph import synthetic  # noqa: E402

BUILD = HERE.parent / "build" / "bench"
TICK = os.sysconf("SC_CLK_TCK")


def machine() -> list[float]:
    """Seconds the machine's cores spent so far in each state of ``/proc/stat``'s first
    line: user, nice, system, idle, iowait, irq, softirq, steal."""
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(v) / TICK for v in stat.readline().split()[1:9]]


def children_cpu() -> float:
    """CPU seconds used so far by this process's reaped children (wrk)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def load(server: Wopgraph, lua: Path, seconds: int) -> dict:
    """One round of wrk on ``server``: throughput and where the CPU went (cores)."""
    url = f"http://{server.endpoint.host}:{server.endpoint.port}{server.endpoint.path}"
    cpu0, wrk0, states0, t0 = server.cpu(), children_cpu(), machine(), time.perf_counter()
    done = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu1, wrk1, states1, t1 = server.cpu(), children_cpu(), machine(), time.perf_counter()
    requests, took, failed = wrk.parse(done.stdout)
    wall = t1 - t0
    states = [b - a for a, b in zip(states0, states1, strict=True)]
    return {
        "rps": requests / took,
        "failed": failed,
        "server": (cpu1 - cpu0) / wall,
        "wrk": (wrk1 - wrk0) / wall,
        "busy": (sum(states) - states[3] - states[4]) / wall,
        "softirq": states[6] / wall,
        "steal": states[7] / wall,
        "cpu_ms": (cpu1 - cpu0) / requests * 1e3,
    }


def main() -> None:
    """Parse the options, run the rounds, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="100k", help="synthetic corpus size (default 100k)")
    ap.add_argument("--duration", type=int, default=5, help="seconds of load a round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not wrk.available():
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    path, summary = corpus(synthetic.parse_size(args.size), synthetic.DEFAULT_SEED, BUILD)
    query = f"DESCRIBE <{summary['ordinary_operator']}>"
    servers = {n: Wopgraph(path, BUILD / "logs", n, 30.0) for n in (1, 2)}
    rounds: dict[int, list[dict]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "request.lua"
        lua.write_text(wrk.script(query), encoding="utf-8")
        try:
            for server in servers.values():
                server.start()
            for server in servers.values():  # a server still warming up would take cores
                wait_until_idle(server.cpu, 1.0, 120.0)
            for i in range(args.rounds):
                for n, server in servers.items():
                    r = load(server, lua, args.duration)
                    rounds[n].append(r)
                    print(
                        f"round {i + 1}, {n} worker(s): {r['rps']:,.0f} req/s ({r['failed']} "
                        f"failed); cores: server {r['server']:.2f}, wrk {r['wrk']:.2f}, machine "
                        f"busy {r['busy']:.2f} of {os.cpu_count()} (softirq {r['softirq']:.2f}, "
                        f"steal {r['steal']:.2f}); server CPU {r['cpu_ms']:.3f} ms a request",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.stop()
    med = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in rounds.items()}
    for n, m in med.items():
        print(
            f"median, {n} worker(s): {m['rps']:,.0f} req/s; cores: server {m['server']:.2f}, "
            f"wrk {m['wrk']:.2f}, machine busy {m['busy']:.2f}; server CPU {m['cpu_ms']:.3f} ms"
        )
    print(f"2 workers / 1: {med[2]['rps'] / med[1]['rps']:.2f}")


if __name__ == "__main__":
    main()
