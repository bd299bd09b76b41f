"""HTTP load for the benchmark: concurrent clients sending real SPARQL Protocol requests.

Each client is a thread with its own keep-alive ``http.client`` connection (reopened when the
server closes it, as gunicorn's sync workers do after every response). A request is a POST of
an HTML form (``query=...``), which every endpoint accepts and which has no URL length limit;
the latency is from sending the request to having read the whole response body.
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

SELECT_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
GRAPH_FORM = re.compile(r"^\s*(CONSTRUCT|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


def accept_for(query: str) -> str:
    """The Accept header to send: N-Triples for graph queries, SPARQL JSON otherwise."""
    return NTRIPLES if GRAPH_FORM.search(strip_prologue_comments(query)) else SELECT_JSON


def strip_prologue_comments(query: str) -> str:
    """Drop the documentation header (leading ``#`` lines) of a query file."""
    lines = query.splitlines()
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    return "\n".join(lines[i:]) + "\n"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    path: str = "/sparql"
    #: False: one connection per request (``Connection: close``).
    keep_alive: bool = True


class Timeout(Exception):
    pass


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: dict
    seconds: float


class Client:
    """One keep-alive connection."""

    def __init__(self, endpoint: Endpoint, timeout: float):
        self.endpoint = endpoint
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, query: str, accept: str) -> Response:
        body = urlencode({"query": query}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": accept,
            "Connection": "keep-alive" if self.endpoint.keep_alive else "close",
        }
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.endpoint.host, self.endpoint.port, timeout=self.timeout
                )
            start = time.perf_counter()
            try:
                self.conn.request("POST", self.endpoint.path, body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except TimeoutError as exc:
                self.close()
                raise Timeout(str(exc)) from exc
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server had closed: retry once on a new one.
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - start
            if resp.will_close or not self.endpoint.keep_alive:
                self.close()
            return Response(
                resp.status,
                data,
                resp.getheader("Content-Type", ""),
                {k.lower(): v for k, v in resp.getheaders()},
                elapsed,
            )
        raise AssertionError("unreachable")


def count_results(resp: Response) -> int | None:
    """Rows of a SPARQL JSON answer, triples of an RDF answer (None if unreadable)."""
    ctype = resp.content_type.split(";")[0].strip().lower()
    try:
        if "json" in ctype:
            data = json.loads(resp.body)
            if "results" in data:
                return len(data["results"]["bindings"])
            return 1 if "boolean" in data else None
        fmt = ox.RdfFormat.from_media_type(ctype)
        if fmt is None:
            return None
        return sum(1 for _ in ox.parse(resp.body, format=fmt))
    except Exception:  # noqa: BLE001 - an unreadable answer just has no count
        return None


def partial(resp: Response) -> bool:
    """Virtuoso's "anytime" answers: cut by its time limit, flagged in a header."""
    return resp.headers.get("x-sql-state", "") == "S1TAT"


@dataclass
class Cell:
    """The measurement of one query on one system."""

    status: str = "ok"  # ok | timeout | error | not run
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    rows: int | None = None
    bytes: int = 0
    errors: int = 0
    note: str = ""
    timeout: float = 0.0
    single: bool = False
    #: Seconds of the first request (the warm-up, alone): for a cached system, a cache miss.
    first: float | None = None
    #: CPU seconds the server's processes spent per request of the loop (None: not measured).
    cpu: float | None = None
    #: Requests a second measured by another tool (``wrk``), which keeps no latencies.
    throughput: float | None = None

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def p50(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def p95(self) -> float | None:
        if len(self.latencies) < 10:
            return None
        ordered = sorted(self.latencies)
        return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]

    @property
    def rps(self) -> float | None:
        if self.throughput is not None:
            return self.throughput
        if not self.latencies or self.wall <= 0:
            return None
        return len(self.latencies) / self.wall

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "n": self.n,
            "p50": self.p50,
            "p95": self.p95,
            "rps": self.rps,
            "rows": self.rows,
            "bytes": self.bytes,
            "errors": self.errors,
            "note": self.note,
            "timeout": self.timeout,
            "single": self.single,
            "first": self.first,
            "cpu": self.cpu,
        }


def measure(
    endpoint: Endpoint,
    query: str,
    *,
    clients: int,
    duration: float,
    timeout: float,
    max_requests: int | None = None,
    cpu: Callable[[], float | None] | None = None,
) -> Cell:
    """Measure one query: one warm-up request, then ``clients`` concurrent clients.

    The warm-up request (alone) also gives the result count. If it takes longer than the
    measuring window, it is the only measurement (``single``): a slow query is measured once
    rather than queued up behind itself. Clients stop starting requests after ``duration``
    seconds or when ``max_requests`` have been sent. ``cpu``, when given, tells the CPU seconds
    the server has used so far: read before and after the loop, it gives the CPU per request.
    """
    accept = accept_for(query)
    cell = Cell(timeout=timeout)
    warm = Client(endpoint, timeout)
    try:
        resp = warm.send(query, accept)
    except Timeout:
        cell.status, cell.note = "timeout", f">= {timeout:g} s"
        return cell
    except OSError as exc:
        cell.status, cell.note = "error", f"{type(exc).__name__}: {exc}"
        return cell
    finally:
        warm.close()
    if resp.status != 200:
        cell.status = "error"
        cell.note = f"HTTP {resp.status}: {resp.body[:200].decode('utf-8', 'replace')}"
        return cell
    if partial(resp):
        cell.status, cell.note = "timeout", f">= {timeout:g} s (partial answer)"
        return cell
    cell.rows = count_results(resp)
    cell.bytes = len(resp.body)
    cell.first = resp.seconds
    if resp.seconds >= duration or (max_requests is not None and max_requests <= 1):
        cell.latencies = [resp.seconds]
        cell.wall = resp.seconds
        cell.single = True
        return cell

    lock = threading.Lock()
    latencies: list[float] = []
    problems: list[str] = []
    sent = [0]
    deadline = time.perf_counter() + duration

    def worker() -> None:
        client = Client(endpoint, timeout)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if max_requests is not None and sent[0] >= max_requests:
                        return
                    sent[0] += 1
                try:
                    r = client.send(query, accept)
                except Timeout:
                    with lock:
                        problems.append("timeout")
                    return
                except OSError as exc:
                    with lock:
                        problems.append(f"{type(exc).__name__}")
                    return
                with lock:
                    if r.status == 200 and not partial(r):
                        latencies.append(r.seconds)
                    else:
                        problems.append(f"HTTP {r.status}")
        finally:
            client.close()

    cpu_before = cpu() if cpu else None
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 5)
    cell.wall = time.perf_counter() - start
    cell.latencies = latencies
    cpu_after = cpu() if cpu else None
    if cpu_before is not None and cpu_after is not None and latencies:
        cell.cpu = (cpu_after - cpu_before) / len(latencies)
    cell.errors = len(problems)
    if problems:
        cell.note = f"{len(problems)} failed ({', '.join(sorted(set(problems)))})"
        if "timeout" in problems:
            cell.status = "timeout"
    if not latencies:
        cell.status = "timeout" if "timeout" in problems else "error"
    return cell


def healthy(endpoint: Endpoint, *, parallel: int = 2, timeout: float = 3.0) -> bool:
    """Whether ``parallel`` trivial queries sent at once all succeed within ``timeout``."""
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    ok = [False] * parallel

    def one(i: int) -> None:
        c = Client(endpoint, timeout)
        try:
            ok[i] = c.send(query, SELECT_JSON).status == 200
        except Exception:  # noqa: BLE001
            ok[i] = False
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 1)
    return all(ok)


def wait_until_answering(endpoint: Endpoint, limit: float, proc=None) -> float | None:
    """Poll until a trivial query succeeds; return the seconds waited (None: gave up)."""
    start = time.perf_counter()
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    while time.perf_counter() - start < limit:
        if proc is not None and proc.poll() is not None:
            return None
        c = Client(endpoint, 5.0)
        try:
            if c.send(query, SELECT_JSON).status == 200:
                return time.perf_counter() - start
        except Exception:  # noqa: BLE001 - not up yet
            pass
        finally:
            c.close()
        time.sleep(0.05)
    return None


def merge(cells: list[Cell]) -> Cell:
    """One cell from the rounds of the same query on the same system: their requests pooled
    (latencies, wall time, errors), the CPU per request averaged over all requests, the
    first request and the answer's size from the first round. Rounds that failed outright
    count only when all did: the first such round is the answer then."""
    measured = [c for c in cells if c.latencies]
    if not measured:
        return cells[0]
    pooled = Cell(timeout=measured[0].timeout)
    pooled.status = "timeout" if any(c.status == "timeout" for c in cells) else "ok"
    pooled.latencies = [x for c in measured for x in c.latencies]
    pooled.wall = sum(c.wall for c in measured)
    pooled.rows, pooled.bytes, pooled.first = measured[0].rows, measured[0].bytes, cells[0].first
    pooled.errors = sum(c.errors for c in cells)
    pooled.single = all(c.single for c in measured)
    pooled.note = "; ".join(dict.fromkeys(c.note for c in cells if c.note))
    with_cpu = [c for c in measured if c.cpu is not None]
    if with_cpu:
        pooled.cpu = sum(c.cpu * c.n for c in with_cpu) / sum(c.n for c in with_cpu)
    return pooled
