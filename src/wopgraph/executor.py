"""Run queries in a child process that can be killed: the per-query time limit that holds.

Why a process. pyoxigraph evaluates a query in Rust while holding the GIL and has no timeout
or cancellation, so neither a signal handler nor a watchdog thread in the same process can stop
it. Only another process can: by killing the one doing the work.

Design.

* Each process that answers HTTP requests (a gunicorn worker) owns one :class:`Executor`. On
  first use, or from gunicorn's ``post_fork`` hook, the executor forks a *child*: a copy of the
  worker, which already holds the store the gunicorn master loaded before forking the workers.
  The child shares that memory copy-on-write, so it starts in about a millisecond whatever the
  size of the data. (An on-disk store is opened read-only by each child instead.)
* Parent and child talk over a socket pair (:func:`multiprocessing.Pipe`): the parent sends a
  :class:`Job` (a pickle of a few hundred bytes); the child evaluates the query *and* writes the
  answer in the negotiated format, and sends back an :class:`Outcome` holding the bytes. Writing
  in the child means that an answer slow to write is under the time limit too, and that result
  objects never enter the worker.
* The parent waits with ``poll(timeout)``. If no answer comes in time it kills the child with
  SIGKILL (the only way to stop Rust code mid-loop), reaps it, forks a fresh one and raises
  :class:`QueryTimeout`; the next query finds a ready child. A child that dies on its own (out
  of memory, a crash) shows as a closed socket: that query gets :class:`ExecutorError` and the
  next one a new child.
* A child dies with its parent: Linux's ``PR_SET_PDEATHSIG``, and elsewhere the closed socket.

Cost: one pickle round trip over a local socket per query: a median 0.05-0.2 ms more than a
direct ``store.query`` on a tiny query, depending on machine load
(``tests/test_sparql_executor.py`` measures it).

Lookups in the worker. A query that is one ``DESCRIBE <iri>`` and nothing more (no ``WHERE``,
no dataset) does work in proportion to the rows it returns, and the rows are found one by one:
stopped after ``n`` rows, it has done ``n`` rows' work. When the worker holds the very store
the child would read (in memory, with writes off, so no journal to replay first),
:meth:`Executor.run` answers such a job in the worker itself, and saves the round trip, which
costs about as much CPU as the lookup. It stops after :meth:`Executor.lookup_rows` rows, a
number whose worst case (:data:`LOOKUP_ROW_SECONDS` a row) stays within a quarter of the time
limit; a resource with more rows than that goes to the child as any other query, having cost
this bounded try first. (The rows are those read: the answer writes a triple once, where
Oxigraph gives it once for each graph that holds it.)

Pattern lookups in the worker. A CONSTRUCT that returns the triples matching a few triple
patterns, as an entity page asks (``CONSTRUCT { <e> ?p ?o . ?s ?q <e> } WHERE { { <e> ?p ?o }
UNION { ?s ?q <e> } }``, see :func:`~wopgraph.sparql_scan.pattern_lookup`), is answered in the
worker when its patterns match at most :data:`PATTERN_QUADS` quads, counted first in the
store's index (:func:`matches_at_most`, which reads at most one quad more). The count is what
bounds the work: Oxigraph's CONSTRUCT drops a triple repeated in several graphs, so it may
read many quads for one row, and unlike a DESCRIBE's, its rows do not bound its work.

Concurrency: a gunicorn sync worker answers one request at a time, so one child per worker is
enough; ``--workers N`` slow queries can run at once while further requests wait for a free
worker. A lock keeps the executor correct if threads share it (Flask's development server), at
the price of running their queries one after the other.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection, Pipe

from wopgraph.sparql_scan import Pattern
from wopgraph.store import Store
from wopgraph.writers import ReadTooMuch, write_result

#: Signals the child restores to their defaults: gunicorn's handlers must not run in it.
_RESET_SIGNALS = (
    "SIGTERM",
    "SIGINT",
    "SIGQUIT",
    "SIGHUP",
    "SIGUSR1",
    "SIGUSR2",
    "SIGWINCH",
    "SIGCHLD",
    "SIGTTIN",
    "SIGTTOU",
    "SIGABRT",
)
_PR_SET_PDEATHSIG = 1
#: The most a lookup may cost per row it returns, found and written (seconds): 2.5 times the
#: worst measured here, 4 us (a chain of blank nodes written as RDF/XML).
LOOKUP_ROW_SECONDS = 10e-6
#: The most rows a lookup is given in the worker, whatever the time limit: 40 ms at worst.
LOOKUP_ROWS = 10_000
#: The most quads a pattern lookup (a CONSTRUCT of matching triples) may match to be
#: answered in the worker. Counting them costs 0.3 us a quad, the round trip to the child
#: about 200 us: a lookup that matches more wasted at most about 0.1 ms counting, on an answer
#: that takes 1 ms or more to evaluate and send.
PATTERN_QUADS = 256


@dataclass(frozen=True)
class Job:
    """One query to run, with everything needed to write its answer."""

    query: str
    results_format: str = "json"
    graph_format: str = "turtle"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = True
    base_iri: str | None = None
    max_rows: int = 10_000
    use_default_prefixes: bool = True
    lookup: bool = False
    """Whether the query is a lookup whose work is bounded by its rows (``DESCRIBE <iri>``)."""
    describe: bool = False
    """Whether the query is a DESCRIBE (a lookup is one): its answer is written with each
    triple once, where Oxigraph gives a triple once for each graph that holds it."""
    patterns: tuple[Pattern, ...] | None = None
    """The triple patterns whose matches are the answer, when the query is a CONSTRUCT of
    nothing else (:func:`~wopgraph.sparql_scan.pattern_lookup`)."""


@dataclass(frozen=True)
class Outcome:
    """What the child answers: ``ok`` with the written bytes, or an error with its message."""

    status: str
    """``ok``, ``syntax`` (the query is not valid SPARQL), ``error``, or ``over`` (more to
    read than the ``most`` allowed, see :func:`run_job`)."""
    body: bytes = b""
    kind: str = ""
    """``boolean``, ``solutions`` or ``triples`` for ``ok``."""
    count: int = 0
    truncated: bool = False
    message: str = ""


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""

    def __init__(self, seconds: float):
        """``seconds`` is the limit that was reached."""
        self.seconds = seconds
        super().__init__(f"the query ran longer than {seconds:g} s and was stopped")


class ExecutorError(Exception):
    """The query process died while running a query."""


def run_job(store: Store, job: Job, most: int | None = None) -> Outcome:
    """Evaluate ``job`` on ``store`` and write its answer (this is what the child does).

    Given ``most``, a DESCRIBE reads at most that many triples: past them, the outcome is
    ``over`` and has no answer (the worker's bound on a lookup, see :meth:`Executor.run`).
    """

    def evaluate():
        return store.query(
            job.query,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            union_default_graph=job.union_default_graph,
            base_iri=job.base_iri,
            use_default_prefixes=job.use_default_prefixes,
        )

    try:
        result = evaluate()
        kind = type(result).__name__.removeprefix("Query").lower()
        written = write_result(
            result,
            job.results_format,
            job.graph_format,
            job.max_rows,
            evaluate,
            job.describe or job.lookup,
            most,
        )
    except ReadTooMuch:
        return Outcome("over")
    except SyntaxError as exc:
        return Outcome("syntax", message=str(exc))
    except Exception as exc:  # any failure is reported to the client
        return Outcome("error", message=f"{type(exc).__name__}: {exc}")
    return Outcome("ok", written.body, kind, written.count, written.truncated)


def matches_at_most(store: Store, patterns: tuple[Pattern, ...], quads: int) -> bool:
    """Whether ``patterns`` match at most ``quads`` quads of ``store`` in all (reading at most
    one more): then a CONSTRUCT of them reads no more than that many. ``False`` for an IRI
    the store refuses (``<http://x/%zz>``): the query's own evaluation reports it."""
    left = quads + 1
    try:
        for pattern in patterns:
            left -= sum(1 for _ in islice(store.matching(*pattern), left))
            if not left:
                return False
    except ValueError:  # an IRI the store refuses: the query process says what is wrong
        return False
    return True


def _child_main(conn: Connection, open_store: Callable[[], Store], follower=None) -> None:
    """The child's loop: receive jobs, answer them, until the parent goes away."""
    for name in _RESET_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the closed socket ends the loop instead
    store = open_store()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if follower is None:
            conn.send(run_job(store, job))
            continue
        follower.catch_up(store)  # writes committed since the last job: see them all
        with follower.reading():
            outcome = run_job(store, job)
        conn.send(outcome)


class Executor:
    """Runs jobs in a child process of the current process, killing it on timeout."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        timeout: float,
        follower=None,
        local: Store | None = None,
    ):
        """``open_store`` gives the child its store; ``timeout`` is in seconds; ``follower``
        (a :class:`~wopgraph.journal.Follower`) brings the child's store up to date with the
        write journal before each job; ``local`` is the store this process may answer lookups
        from itself, the same the child reads (``None``: every job goes to the child)."""
        self.open_store = open_store
        self.timeout = timeout
        self.follower = follower
        self.local = local if follower is None else None
        self._pid: int | None = None
        self._owner: int | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether this process has a live child."""
        return self._pid is not None and self._owner == os.getpid()

    def start(self) -> None:
        """Fork the child if this process has none (a forked copy of an executor has none)."""
        if self.running:
            return
        parent_end, child_end = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            status = 0
            try:
                parent_end.close()
                _child_main(child_end, self.open_store, self.follower)
            except BaseException:  # whatever happens, never return into the parent's code
                status = 1
            finally:
                os._exit(status)
        child_end.close()
        self._pid, self._owner, self._conn = pid, os.getpid(), parent_end

    def stop(self) -> None:
        """Kill the child and reap it (no-op when there is none)."""
        if not self.running:
            self._pid = self._conn = None
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        if self._conn is not None:
            self._conn.close()
        self._pid = self._conn = None

    def lookup_rows(self, job: Job) -> int:
        """How many rows of ``job`` this process may read itself (0: none, the child runs it):
        a lookup, over a local store, within :data:`LOOKUP_ROWS` and a quarter of the limit.

        Rows read, not rows written: a triple held in several graphs is read once for each.
        """
        return self._within_limit(LOOKUP_ROWS) if job.lookup else 0

    def pattern_quads(self, job: Job) -> int:
        """How many quads a pattern lookup may read in this process (0: the child runs it):
        :data:`PATTERN_QUADS`, over a local store, within a quarter of the limit."""
        return self._within_limit(PATTERN_QUADS) if job.patterns else 0

    def _within_limit(self, rows: int) -> int:
        """At most ``rows``, and as many as fit in a quarter of the time limit at the worst
        cost a row (:data:`LOOKUP_ROW_SECONDS`); 0 without a local store."""
        if self.local is None:
            return 0
        return min(rows, int(self.timeout / 4 / LOOKUP_ROW_SECONDS))

    def run(self, job: Job) -> Outcome:
        """Run ``job`` in the child, or a lookup here (see :meth:`lookup_rows` and
        :meth:`pattern_quads`); raise :class:`QueryTimeout` or :class:`ExecutorError`."""
        quads = self.pattern_quads(job)
        if quads and matches_at_most(self.local, job.patterns, quads):
            return run_job(self.local, job)
        rows = self.lookup_rows(job)
        if rows:
            outcome = run_job(self.local, job, rows)
            if outcome.status != "over":
                return outcome
            # More to read than a lookup may cost here: the child reads it, under the limit.
        with self._lock:
            self.start()
            try:
                self._conn.send(job)
            except OSError:  # the idle child died: start another and try once more
                self.stop()
                self.start()
                self._conn.send(job)
            try:
                ready = self._conn.poll(self.timeout)
                outcome = self._conn.recv() if ready else None
            except (EOFError, OSError) as exc:
                self.stop()
                self.start()
                raise ExecutorError("the query process died while running the query") from exc
            if outcome is None:
                self.stop()
                self.start()
                raise QueryTimeout(self.timeout)
            return outcome
