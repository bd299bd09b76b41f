"""``wopgraph serve``: the endpoint under gunicorn, a production WSGI server.

The app (and with it the data) is built in gunicorn's master process before it forks the
workers (``preload_app``), so the workers share the loaded store copy-on-write and start at
once. Workers are gunicorn's ``sync`` kind: one request at a time per worker, each with its own
query process (:mod:`wopgraph.executor`), which that worker starts when it boots and stops when
it exits. A slow query holds one worker; the others keep answering.
"""

from __future__ import annotations

import sys

from flask import Flask
from gunicorn.app.base import BaseApplication

from wopgraph.config import Settings

#: Seconds gunicorn lets a worker be silent beyond the query time limit before killing it.
WORKER_GRACE = 30
#: Longest request line (URL) gunicorn reads: its maximum; longer queries go in a POST body.
MAX_REQUEST_LINE = 8190


def _executor(worker):
    """The executor of the app a gunicorn worker runs (``None`` before the app is there)."""
    app = getattr(worker, "wsgi", None)
    return app.extensions["wopgraph"].executor if app is not None else None


def post_worker_init(worker) -> None:
    """Start the worker's query process as soon as the worker is ready."""
    executor = _executor(worker)
    if executor is not None:
        executor.start()


def worker_exit(server, worker) -> None:
    """Stop the worker's query process with the worker."""
    executor = _executor(worker)
    if executor is not None:
        executor.stop()


class Server(BaseApplication):
    """A gunicorn application serving an already built Flask app."""

    def __init__(self, app: Flask, settings: Settings):
        """Serve ``app`` as ``settings`` say (host, port, workers, time limit)."""
        self.app = app
        self.settings = settings
        super().__init__()

    def gunicorn_options(self) -> dict:
        """The gunicorn settings derived from ours."""
        s = self.settings
        return {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "worker_class": "sync",
            "preload_app": True,
            "timeout": int(s.query_timeout) + WORKER_GRACE,
            "graceful_timeout": 5,
            "limit_request_line": MAX_REQUEST_LINE,
            "accesslog": None if s.access_log == "off" else s.access_log,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "wopgraph",
            "post_worker_init": post_worker_init,
            "worker_exit": worker_exit,
        }

    def load_config(self) -> None:
        """Give gunicorn our settings (not its own command line: ``wopgraph serve`` owns it)."""
        for key, value in self.gunicorn_options().items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1
            # No runtime control socket: it would sit in $HOME, shared by every instance.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        """The WSGI app: the one built before gunicorn started."""
        return self.app


def served(summary) -> str:
    """What the start line says is served: the triples and graphs, or, while a first start
    of big data counts them in the background (:class:`~wopgraph.endpoint.LazySummary`),
    the quads loaded (the line must not wait for the counts)."""
    if getattr(summary, "is_counted", True):
        return f"{summary.union_triples} triples in {len(summary.graphs)} graphs"
    return f"{summary.quads} quads (the graphs are being counted)"


def serve(settings: Settings) -> int:
    """Load the data, then serve it until stopped; return the exit code.

    Errors in the data (:class:`~wopgraph.sources.SourceError`) or the settings
    (:class:`~wopgraph.config.ConfigError`) propagate before anything listens.
    """
    from wopgraph.web import create_app

    app = create_app(settings)
    print(
        f"wopgraph: serving {served(app.extensions['wopgraph'].summary)} at "
        f"http://{settings.host}:{settings.port}/sparql with {settings.workers} workers",
        file=sys.stderr,
        flush=True,
    )
    Server(app, settings).run()
    return 0
