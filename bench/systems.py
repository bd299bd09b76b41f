"""The systems under test: start each on a free loopback port, measure, stop it.

* ``wopgraph`` -- ``wopgraph serve --data FILE --workers N`` (gunicorn + Flask + a query
  process per worker).
* ``oxigraph`` -- the same store (pyoxigraph, in memory) behind ``refserver.py``, a bare WSGI
  handler under gunicorn with the same number of sync workers: the "no layers" reference.
* ``rdflib`` -- rdflib's in-memory SPARQL behind the same bare handler: the old baseline.
* ``virtuoso`` -- Virtuoso 7 (Debian's ``virtuoso-opensource``, started by
  :mod:`wopgraph.virtuoso`) with a throwaway database under ``build/bench/virtuoso/<size>``,
  bulk-loaded with the same N-Quads.

Every server is a process group this script started; stopping it signals that group only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from load import Endpoint, healthy, wait_until_answering

from wopgraph import virtuoso
from wopgraph.virtuoso import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (children, grandchildren...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux ``/proc``)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def server_cpu(pid: int) -> float | None:
    """CPU seconds used so far by process ``pid`` and its descendants; ``None`` without /proc.

    A process that ended moves its time into its parent's (``cutime``, ``cstime``) when reaped,
    so the sum stays whole while query processes come and go.
    """
    if not Path(f"/proc/{pid}/task").is_dir():
        return None
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            todo += _children(current)
        except OSError:  # ended meanwhile: its time is in its parent's
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_idle(cpu: Callable[[], float | None], minimum: float, limit: float) -> float:
    """Wait until a server is idle: ``cpu()`` (its CPU seconds so far) grows by under 5% of
    a core over each of two half-second samples in a row; at least ``minimum`` seconds, at
    most ``limit``. Return the seconds waited."""
    started = time.perf_counter()
    time.sleep(minimum)
    quiet, before = 0, cpu()
    while quiet < 2 and time.perf_counter() - started < limit:
        time.sleep(0.5)
        now = cpu()
        if before is None or now is None:
            break
        quiet = quiet + 1 if now - before < 0.025 else 0
        before = now
    return time.perf_counter() - started


def rss_mib(pid: int) -> float | None:
    """VmRSS of ``pid`` in MiB (None if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


class Server:
    """A server process group started by this script."""

    name = "?"
    timeout = 30.0

    def __init__(self, data: Path, log_dir: Path):
        self.data = data
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.startup: float | None = None
        self.notes: list[str] = []

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(HOST, self.port, "/sparql")

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return dict(os.environ)

    def start(self, limit: float = 600) -> float:
        """Start the server; return seconds from process start to the first answer."""
        self.port = free_port()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with open(self.log_dir / f"{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            waited = wait_until_answering(self.endpoint, limit, self.proc)
        except BaseException:  # interrupted: leave no server behind
            self.stop()
            raise
        if waited is None:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer within {limit:g} s (see its log)")
        self.startup = time.perf_counter() - t0
        return self.startup

    def cpu(self) -> float | None:
        """CPU seconds used so far by the server's processes (``None`` when not running)."""
        return server_cpu(self.proc.pid) if self.proc is not None else None

    def stop(self) -> None:
        if self.proc is None:
            return
        virtuoso.stop_group(self.proc)
        self.proc = None

    def memory(self) -> dict:
        """RSS in MiB: the main process and each process below it."""
        if self.proc is None:
            return {}
        main = self.proc.pid
        return {
            "main": rss_mib(main),
            "children": [r for r in (rss_mib(p) for p in descendants(main)) if r is not None],
        }

    def recover(self) -> None:
        """After a timed-out request: make sure every worker answers again (restart if not)."""
        deadline = time.perf_counter() + self.timeout + 40
        while time.perf_counter() < deadline:
            if healthy(self.endpoint, parallel=2, timeout=3):
                return
            time.sleep(0.5)
        self.notes.append("restarted after a timeout left it unresponsive")
        self.stop()
        self.start()


class Gunicorn(Server):
    """``refserver.py`` under gunicorn: a bare store behind a minimal WSGI handler."""

    def __init__(self, backend: str, data: Path, log_dir: Path, workers: int, timeout: float):
        super().__init__(data, log_dir)
        self.backend = backend
        self.name = backend
        self.workers = workers
        self.timeout = timeout

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(BENCH_BACKEND=self.backend, BENCH_DATA=str(self.data))
        return env

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "--pythonpath",
            str(ROOT / "bench"),
            "--preload",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            # gunicorn kills a worker stuck on one request past this: the server-side limit.
            "--timeout",
            str(int(self.timeout) + 1),
            "--graceful-timeout",
            "2",
            "--bind",
            f"{HOST}:{self.port}",
            "--log-level",
            "warning",
            "refserver:app",
        ]


class Wopgraph(Server):
    """``wopgraph serve``, without its access log (the bare endpoints write none either)."""

    name = "wopgraph"

    def __init__(
        self, data: Path, log_dir: Path, workers: int, timeout: float, cache: bool = False
    ):
        super().__init__(data, log_dir)
        self.workers = workers
        self.timeout = timeout
        self.cache = cache

    @staticmethod
    def help_text() -> str:
        out = subprocess.run(
            [str(BIN / "wopgraph"), "serve", "--help"], capture_output=True, text=True, timeout=60
        )
        return out.stdout

    @staticmethod
    def available() -> tuple[bool, str]:
        exe = BIN / "wopgraph"
        if not exe.exists():
            return False, f"{exe} is missing"
        try:
            out = subprocess.run(
                [str(exe), "serve", "--help"], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"`wopgraph serve --help` failed: {exc}"
        if out.returncode != 0:
            return False, "`wopgraph serve` does not exist yet"
        missing = [o for o in ("--data", "--workers", "--port") if o not in out.stdout]
        if missing:
            return False, f"`wopgraph serve` has no {', '.join(missing)}"
        return True, ""

    def command(self) -> list[str]:
        cmd = [
            str(BIN / "wopgraph"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--query-timeout",
            str(self.timeout),
            # The others return every row: so must wopgraph, for the same work.
            "--max-rows",
            "100000000",
            "--data",
            str(self.data),
        ]
        options = self.help_text()
        if "--access-log" in options:
            cmd += ["--access-log", "off"]
        if not self.cache and "--cache-mb" in options:
            # Measure evaluation, not the result cache.
            cmd += ["--cache-mb", "0"]
        return cmd


class Virtuoso(Server):
    """Virtuoso 7 with a throwaway database (:mod:`wopgraph.virtuoso`), bulk-loaded with the
    corpus; its query time limit is the benchmark's."""

    name = "virtuoso"

    @property
    def endpoint(self) -> Endpoint:
        # Virtuoso writes a response in pieces without TCP_NODELAY: on a keep-alive connection
        # each answer then waits ~40 ms for the client's delayed ACK (Nagle). One connection
        # per request avoids that artefact, which says nothing about its query engine.
        return Endpoint(HOST, self.port, "/sparql", keep_alive=False)

    def __init__(self, data: Path, log_dir: Path, db_dir: Path, timeout: float):
        super().__init__(data, log_dir)
        self.db_dir = db_dir
        self.timeout = timeout
        self.server = virtuoso.Virtuoso(
            db_dir,
            dataclasses.replace(virtuoso.LARGE, query_seconds=int(timeout)),
            load_dirs=[data.parent],
        )
        self.load_seconds: float | None = None
        self.server_seconds: float | None = None

    @staticmethod
    def available() -> tuple[bool, str]:
        reason = virtuoso.available()
        return (False, reason) if reason else (True, "")

    @staticmethod
    def version() -> str:
        return virtuoso.version()

    def start(self, limit: float = 1200) -> float:
        """Start on a fresh database and bulk-load; return seconds to the first answer."""
        try:
            return self._start(limit)
        except BaseException:  # interrupted or failed: leave no server behind
            self.stop()
            raise

    def _start(self, limit: float) -> float:
        t0 = time.perf_counter()
        self.server.start()
        self.proc, self.port = self.server.proc, self.server.http_port
        self.server_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        trouble = self.server.bulk_load(self.data, "urn:wopgraph:bench:unused", timeout=limit)
        if trouble:
            self.notes.append(f"bulk load reported: {trouble}")
        waited = wait_until_answering(self.endpoint, limit, self.proc)
        if waited is None:
            raise RuntimeError("virtuoso's /sparql did not answer")
        self.load_seconds = time.perf_counter() - t1
        self.startup = time.perf_counter() - t0
        return self.startup

    def stop(self) -> None:
        self.server.stop()  # SQL shutdown, then its process group if need be
        self.proc = None

    def recover(self) -> None:
        # Virtuoso stops a query itself at MaxQueryExecutionTime; give it a moment.
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            if healthy(self.endpoint, parallel=2, timeout=3):
                return
            time.sleep(0.5)
        self.notes.append("unresponsive for 60 s after a timeout")
