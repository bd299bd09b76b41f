"""A throwaway Virtuoso 7 on loopback: for the tests of the remote store and the benchmark.

:class:`Virtuoso` starts Debian's ``virtuoso-t`` (package ``virtuoso-opensource``) on a fresh
database in a folder of its own, with free ports of 127.0.0.1 for SQL and HTTP, in its own
process group, which :meth:`Virtuoso.stop` signals (and nothing else). ``dba`` / ``dba`` is the
admin login; :meth:`Virtuoso.store_env` gives the environment with which
:func:`wopgraph.store.open_store` writes to it (``/sparql-auth`` and the Graph Store Protocol
endpoint ``/sparql-graph-crud-auth``, both with HTTP digest login).

The two uses differ only in :class:`Tuning`: :data:`SMALL` for a test database, :data:`LARGE`
(about 1.3 GB of page buffers, the documented setting for 2 GB of RAM) for the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wopgraph.remote import VIRTUOSO_SYSTEM_GRAPHS

HOST = "127.0.0.1"
EXECUTABLES = ("virtuoso-t", "isql-vt")
PRIVATE_GRAPHS = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"


@dataclass(frozen=True)
class Tuning:
    """The settings of ``virtuoso.ini`` that depend on the use."""

    buffers: int
    """``NumberOfBuffers``: 8 KiB pages kept in memory."""
    dirty_buffers: int
    """``MaxDirtyBuffers``."""
    query_memory: str
    """``MaxQueryMem``."""
    connections: int = 10
    """``MaxClientConnections`` of the SQL and HTTP servers."""
    max_rows: int = 1_000_000
    """``ResultSetMaxRows``: the packaged default, 10000, would cut answers short."""
    query_seconds: int = 60
    """``MaxQueryExecutionTime``: a query cut by it gets a partial ("anytime") answer,
    flagged by the ``X-SQL-State`` header."""


SMALL = Tuning(buffers=10_000, dirty_buffers=6_000, query_memory="256M")
LARGE = Tuning(
    buffers=170_000, dirty_buffers=130_000, query_memory="2G", connections=20, max_rows=10**8
)

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {host}:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = {t.connections}
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
DirsAllowed = {dirs_allowed}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 200000000
MaxQueryMem = {t.query_memory}
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = {t.buffers}
MaxDirtyBuffers = {t.dirty_buffers}

[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = {t.connections}
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {t.max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {t.query_seconds}
DeferInferenceRulesInit = 0
"""


def available() -> str | None:
    """``None`` if Virtuoso can run here, else why not."""
    for exe in EXECUTABLES:
        if shutil.which(exe) is None:
            return f"{exe} not found (make test installs Debian's virtuoso-opensource)"
    return None


def version() -> str:
    """The version ``virtuoso-t`` reports ("unknown" if it does not run)."""
    try:
        out = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    found = re.search(r"Version\s+(\S+)", out.stdout + out.stderr)
    return found.group(1) if found else "unknown"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 15) -> None:
    """End ``proc``, the leader of its own process group, and everything in that group:
    SIGTERM, then SIGKILL if it is still there after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class Virtuoso:
    """Virtuoso 7 on a fresh database in ``db_dir`` (emptied at start).

    ``load_dirs`` are folders :meth:`bulk_load` may read files from (``DirsAllowed``).
    """

    user = "dba"
    password = "dba"

    def __init__(self, db_dir: Path, tuning: Tuning = SMALL, load_dirs: Sequence[Path] = ()):
        self.db_dir = Path(db_dir).resolve()
        self.tuning = tuning
        self.load_dirs = [Path(d).resolve() for d in load_dirs]
        self.proc: subprocess.Popen | None = None
        self.sql_port = 0
        self.http_port = 0

    @property
    def base(self) -> str:
        """The HTTP server's root URL."""
        return f"http://{HOST}:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        """The query endpoint (anonymous; it refuses updates)."""
        return f"{self.base}/sparql"

    def store_env(self, gsp: bool = True) -> dict[str, str]:
        """The environment with which ``open_store(self.sparql_url)`` reads and writes here:
        updates on ``/sparql-auth``, graphs by the Graph Store Protocol (unless ``gsp`` is
        False: then by SPARQL Update), digest login as ``dba``."""
        return {
            "WOPGRAPH_STORE_UPDATE": f"{self.base}/sparql-auth",
            "WOPGRAPH_STORE_GSP": f"{self.base}/sparql-graph-crud-auth" if gsp else "",
            "WOPGRAPH_STORE_USER": self.user,
            "WOPGRAPH_STORE_PASSWORD": self.password,
        }

    def isql(self, sql: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run SQL through ``isql-vt`` as ``dba``."""
        return subprocess.run(
            ["isql-vt", f"{HOST}:{self.sql_port}", self.user, self.password, f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, limit: float = 120) -> Virtuoso:
        """Start on an empty database; return when /sparql answers (or raise, leaving none)."""
        try:
            self._start(limit)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, limit: float) -> None:
        if self.db_dir.exists():
            shutil.rmtree(self.db_dir)
        self.db_dir.mkdir(parents=True)
        self.sql_port, self.http_port = free_port(), free_port()
        ini = self.db_dir / "virtuoso.ini"
        ini.write_text(
            INI.format(
                dir=self.db_dir,
                host=HOST,
                sql_port=self.sql_port,
                http_port=self.http_port,
                dirs_allowed=", ".join([".", *map(str, self.load_dirs)]),
                t=self.tuning,
            )
        )
        with open(self.db_dir / "stdout.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["virtuoso-t", "+foreground", "+configfile", str(ini)],
                cwd=self.db_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + limit
        while not self.answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"virtuoso exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso's /sparql did not answer in {limit:g} s")
            time.sleep(0.3)

    def answers(self) -> bool:
        """Whether /sparql answers a query now."""
        try:
            with urllib.request.urlopen(f"{self.sparql_url}?query=ASK%7B%7D", timeout=3) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def hide_system_graphs(self) -> None:
        """Make Virtuoso's own graphs private: the anonymous ``/sparql`` (user ``nobody``) then
        answers on the user's graphs only, as wopgraph's own store does, while other graphs
        stay public (graph-level security: ``RDF_DEFAULT_USER_PERMS_SET``)."""
        sql = (
            f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE_GRAPHS}', 1); "
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0); "
            + "".join(
                f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GRAPHS}', '{graph}'); "
                for graph in VIRTUOSO_SYSTEM_GRAPHS
            )
            + "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);"
        )
        out = self.isql(sql)
        if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
            raise RuntimeError(f"virtuoso refused to hide its graphs: {out.stdout[-400:]}")

    def bulk_load(self, path: Path, graph: str, timeout: float = 1200) -> str | None:
        """Bulk-load the N-Quads (or Turtle, into ``graph``) file ``path``, which must be in
        one of ``load_dirs``, then checkpoint; ``None`` when it went well, else what it said."""
        path = Path(path).resolve()
        out = self.isql(
            f"ld_dir('{path.parent}', '{path.name}', '{graph}'); rdf_loader_run(); checkpoint; "
            "SELECT ll_state, ll_error FROM DB.DBA.load_list;",
            timeout=timeout,
        )
        if out.returncode == 0 and "NULL" in out.stdout.split("ll_error")[-1]:
            return None
        return f"{out.stdout[-400:]} {out.stderr[-400:]}".strip()

    def log_tail(self, chars: int = 2000) -> str:
        """The end of Virtuoso's own log, for failure messages."""
        try:
            return (self.db_dir / "virtuoso.log").read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Shut the server down (SQL ``shutdown``, then its process group if need be)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                self.isql("shutdown;", timeout=60)
                self.proc.wait(60)
        stop_group(self.proc)
        self.proc = None
