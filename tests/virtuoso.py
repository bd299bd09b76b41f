"""A throwaway Virtuoso 7 for the tests: free loopback ports, a database under build/.

Adapted from ``bench/systems.py`` (the tests do not import from ``bench/``). The server runs
in its own process group, which :meth:`Virtuoso.stop` signals (and nothing else).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]

#: Only what a small test database needs; the HTTP server is what the tests talk to.
VIRTUOSO_INI = """\
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
MaxClientConnections = 10
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
DirsAllowed = .
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
SingleCPU = 0
PrefixResultNames = 0
MaxQueryMem = 256M
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
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

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 60
DeferInferenceRulesInit = 0
"""


def available() -> str | None:
    """``None`` if Virtuoso can run here, else why not."""
    for exe in ("virtuoso-t", "isql-vt"):
        if shutil.which(exe) is None:
            return f"{exe} not found (make test installs Debian's virtuoso-opensource)"
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Virtuoso:
    """Virtuoso 7 on a fresh database in ``db_dir``; ``dba`` / ``dba`` as the admin login."""

    user = "dba"
    password = "dba"

    def __init__(self, db_dir: Path):
        self.db_dir = Path(db_dir).resolve()
        self.proc: subprocess.Popen | None = None
        self.sql_port = 0
        self.http_port = 0

    @property
    def base(self) -> str:
        """The HTTP server's root URL."""
        return f"http://{HOST}:{self.http_port}"

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
            VIRTUOSO_INI.format(
                dir=self.db_dir, host=HOST, sql_port=self.sql_port, http_port=self.http_port
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
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"virtuoso exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"virtuoso's /sparql did not answer in {limit:g} s")
            time.sleep(0.3)

    def _answers(self) -> bool:
        url = f"{self.base}/sparql?query=ASK%7B%7D"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

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
                self.isql("shutdown;", timeout=30)
                self.proc.wait(30)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
