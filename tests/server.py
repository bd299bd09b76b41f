"""Start the real ``wopgraph serve`` (gunicorn) on a free port of 127.0.0.1, for tests.

Usage, in a test module::

    from server import LiveServer

    @pytest.fixture(scope="module")
    def server():
        with LiveServer("--query-timeout", "1") as live:
            yield live

The server runs as ``python -m wopgraph serve --host 127.0.0.1 --port <free port> ...``; its
stderr goes to a file (a pipe nobody reads could fill up and stall it), which
:meth:`LiveServer.wait_for_server` prints when the server does not come up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class LiveServer:
    """One ``wopgraph serve`` process: start it, wait for it, read its log, stop it."""

    #: Start the server as the leader of a session (and process group) of its own.
    new_session = False

    def __init__(self, *args: str, env: dict[str, str] | None = None, port: int | None = None):
        """``args`` are extra ``wopgraph serve`` arguments; ``env`` extra environment."""
        self.port = port or free_port()
        self.args = list(args)
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        # Closed by stop(), which every way out of the server's life goes through.
        self._log = tempfile.NamedTemporaryFile(prefix="wopgraph-serve-", suffix=".log")  # noqa: SIM115

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{HOST}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The SPARQL endpoint's URL."""
        return f"{self.url}/sparql"

    def command(self) -> list[str]:
        """The command line that starts the server."""
        return [
            sys.executable,
            "-m",
            "wopgraph",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            *self.args,
        ]

    def start(self) -> LiveServer:
        """Start the process (without waiting for it to listen)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WOPGRAPH_")}
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env={**env, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=self.new_session,
        )
        return self

    def log(self) -> str:
        """Everything the server wrote so far."""
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def wait_for_server(self, timeout: float = 30.0) -> LiveServer:
        """Wait until the endpoint answers; on failure print the server's output and raise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.endpoint, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        code = None if self.process is None else self.process.poll()
        output = self.log()
        print(f"--- wopgraph serve output ({' '.join(self.command())}) ---", file=sys.stderr)
        print(output, file=sys.stderr)
        self.stop()
        raise RuntimeError(
            f"the server did not come up at {self.endpoint} (exit code {code}):\n{output}"
        )

    def stop(self) -> None:
        """Stop the server (TERM, then KILL after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()

    def __enter__(self) -> LiveServer:
        """Start and wait for the server."""
        return self.start().wait_for_server()

    def __exit__(self, *exc) -> None:
        """Stop the server."""
        self.stop()
