"""Throughput measured by wrk, a load generator written in C (Debian's ``wrk`` package).

Why. The benchmark's own clients (:mod:`load`) are Python threads: at a few thousand requests
a second they need a large share of this machine's two cores themselves, which caps what two
server workers can show over one on cheap queries. wrk sends the same request (a POST of the
form ``query=...``, with the same ``Accept``) for a tenth of the CPU, so the servers' own
scaling shows. It measures throughput only; the latencies in the main tables stay those of
:mod:`load`, which also checks every answer.

Used by ``bench/run.py`` for the workers comparison when ``wrk`` is on the PATH
(``make bench`` installs it); without it, the Python clients measure as before.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from load import Cell, Endpoint, accept_for

REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m),", re.MULTILINE)
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0}
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def available() -> bool:
    """Whether wrk is installed."""
    return shutil.which("wrk") is not None


def script(query: str) -> str:
    """The Lua script that makes wrk send ``query`` as the benchmark's clients do."""
    body = urlencode({"query": query})  # only [A-Za-z0-9_.~%+-]: safe in a long bracket
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = [[{body}]]\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Accept"] = "{accept_for(query)}"\n'
    )


def parse(output: str) -> tuple[int, float, int]:
    """(requests, seconds, failed requests) from wrk's report."""
    found = REQUESTS.search(output)
    if found is None:
        raise ValueError(f"no request count in wrk's report: {output[:300]!r}")
    seconds = float(found.group(2)) * UNITS[found.group(3)]
    failed = sum(int(n) for n in NON_2XX.findall(output))
    errors = ERRORS.search(output)
    if errors:
        failed += int(errors.group(2)) + int(errors.group(3)) + int(errors.group(4))
    return int(found.group(1)), seconds, failed


def measure(
    endpoint: Endpoint, query: str, *, connections: int, duration: float, timeout: float
) -> Cell:
    """Requests a second over ``duration`` seconds with ``connections`` open at once."""
    cell = Cell(timeout=timeout)
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "request.lua"
        lua.write_text(script(query), encoding="utf-8")
        url = f"http://{endpoint.host}:{endpoint.port}{endpoint.path}"
        command = [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(duration))}s",
            "--timeout",
            f"{max(1, round(timeout))}s",
            "--script",
            str(lua),
            url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + timeout + 30
        )
    if done.returncode != 0:
        cell.status, cell.note = "error", f"wrk: {done.stderr.strip()[:200]}"
        return cell
    requests, seconds, failed = parse(done.stdout)
    cell.throughput = requests / seconds if seconds else None
    cell.note = "wrk"
    if failed:
        cell.status, cell.note = "error", f"wrk: {failed} of {requests} requests failed"
    return cell
