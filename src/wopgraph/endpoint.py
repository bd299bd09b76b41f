"""The SPARQL endpoint between HTTP and the store: what is served and what a request may do.

:func:`open_backend` loads the data once (in gunicorn's master, before the workers fork) and
returns a :class:`Backend`: the settings, a summary of the graphs for the service description,
and the :class:`~wopgraph.executor.Executor` that runs queries under the time limit.

:meth:`Backend.prepare` turns the parameters of a SPARQL 1.1 Protocol request into a
:class:`~wopgraph.executor.Job`, applying the public endpoint's rules: no SPARQL Update, no
``SERVICE`` to endpoints outside the allow list, the protocol's dataset (``default-graph-uri``,
``named-graph-uri``) over the query's own (``FROM``, ``FROM NAMED``), and the answer format
from ``Accept`` or ``format``. Any refusal is an :class:`EndpointError` carrying its HTTP status.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import Pipe
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from wopgraph import negotiation as neg
from wopgraph.cache import ResultCache
from wopgraph.config import ConfigError, Settings
from wopgraph.dataset import Dataset, bundle_root
from wopgraph.enrich import enrichment_folder, enrichment_sources
from wopgraph.executor import Executor, ExecutorError, Job, Outcome, QueryTimeout
from wopgraph.namespaces import PREFIXES
from wopgraph.sources import Source, SourceError, bundled_sources, data_sources, load_into
from wopgraph.sparql_scan import scan
from wopgraph.store import OxigraphStore, Store

T = TypeVar("T")
Term = ox.NamedNode | ox.BlankNode | ox.Literal
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
UPDATE_REFUSED = (
    "SPARQL Update is not accepted: this is a public, read-only endpoint. "
    "Send queries (SELECT, ASK, CONSTRUCT, DESCRIBE) only."
)


class EndpointError(Exception):
    """A request the endpoint refuses or could not answer, with its HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        """An HTTP ``status``, the ``message`` for the client and extra response ``headers``."""
        self.status = status
        self.message = message
        self.headers = headers or {}
        super().__init__(message)


@dataclass(frozen=True)
class Summary:
    """The graphs served and their sizes, for the service description."""

    graphs: tuple[tuple[str, int], ...]
    union_triples: int


@dataclass(frozen=True)
class ProtocolRequest:
    """The SPARQL 1.1 Protocol parameters of one request, before any check."""

    queries: Sequence[str] = ()
    updates: Sequence[str] = ()
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()
    formats: Sequence[str] = ()

    @classmethod
    def from_pairs(cls, pairs: Sequence[tuple[str, str]], direct_query: str | None = None):
        """Collect the protocol parameters from (name, value) pairs, plus a direct POST body."""
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        queries = values.get("query", [])
        if direct_query is not None:
            if queries:
                raise EndpointError(
                    400,
                    "A direct POST carries the query in its body, not in a "
                    "query= parameter as well.",
                )
            queries = [direct_query]
        return cls(
            queries=queries,
            updates=values.get("update", []),
            default_graphs=values.get("default-graph-uri", []),
            named_graphs=values.get("named-graph-uri", []),
            formats=values.get("format", []),
        )


@dataclass(frozen=True)
class Prepared:
    """A job ready to run, with the formats its answer will be written in."""

    job: Job
    results_format: neg.Format
    graph_format: neg.Format


@dataclass
class Backend:
    """What the endpoint serves and how it runs queries."""

    settings: Settings
    summary: Summary
    executor: Executor
    allowed_services: frozenset[str] = field(default_factory=frozenset)
    cache: ResultCache[Outcome] = field(default_factory=lambda: ResultCache(0))

    @property
    def data_version(self) -> Summary:
        """What identifies the data served; answers cached under another version are stale."""
        return self.summary

    def prepare(
        self, request: ProtocolRequest, accept: str | None, base_iri: str | None = None
    ) -> Prepared:
        """Check a protocol request and turn it into a :class:`Prepared` job."""
        if request.updates:
            raise EndpointError(400, UPDATE_REFUSED)
        if len(request.queries) > 1:
            raise EndpointError(
                400, f"Give exactly one query parameter, not {len(request.queries)}."
            )
        if not request.queries or not request.queries[0].strip():
            raise EndpointError(
                400,
                "Missing query: give the SPARQL query as the query "
                "parameter or as the body of an application/sparql-query "
                "POST.",
            )
        text = request.queries[0]
        found = scan(text, PREFIXES, base_iri)
        if found.is_update:
            raise EndpointError(400, UPDATE_REFUSED)
        self.check_services(found.services)
        results, graph = self.formats(found.form, accept, request.formats)
        protocol_dataset = bool(request.default_graphs or request.named_graphs)
        job = Job(
            query=text,
            results_format=results.name,
            graph_format=graph.name,
            default_graphs=tuple(request.default_graphs) if protocol_dataset else None,
            named_graphs=tuple(request.named_graphs) if protocol_dataset else None,
            union_default_graph=not (protocol_dataset or found.has_dataset),
            base_iri=base_iri,
            max_rows=self.settings.max_rows,
        )
        return Prepared(job, results, graph)

    def check_services(self, services) -> None:
        """Refuse ``SERVICE`` clauses whose endpoint is not in the allow list."""
        for service in services:
            if service.endpoint is None:
                why = (
                    "a SERVICE endpoint given by a variable is not allowed on this endpoint"
                    if service.written[:1] in "?$"
                    else "its prefix is not declared"
                )
                raise EndpointError(400, f"SERVICE {service.written}: {why}.")
            if service.endpoint not in self.allowed_services:
                allowed = ", ".join(f"<{s}>" for s in sorted(self.allowed_services)) or "none"
                raise EndpointError(
                    400,
                    f"SERVICE <{service.endpoint}> is not allowed: this endpoint only calls the "
                    f"remote endpoints it is configured with (now: {allowed}; the server's "
                    "operator adds them with --allow-service URL or WOPGRAPH_ALLOW_SERVICE).",
                )

    @staticmethod
    def formats(
        form: str | None, accept: str | None, format_values: Sequence[str]
    ) -> tuple[neg.Format, neg.Format]:
        """Negotiate the results and graph formats; only the one ``form`` needs must succeed."""
        chosen = {}
        for kind in (neg.RESULTS, neg.GRAPHS):
            try:
                chosen[kind.name] = neg.negotiate(kind, accept, format_values)
            except neg.UnknownFormat as exc:
                raise EndpointError(400, str(exc)) from exc
            except neg.NotAcceptable as exc:
                needed = neg.GRAPHS if form in ("CONSTRUCT", "DESCRIBE") else neg.RESULTS
                if form is not None and kind is needed:
                    raise EndpointError(406, f"{exc} ({form} query)") from exc
                chosen[kind.name] = kind.default
        return chosen["results"], chosen["graphs"]

    def run(self, prepared: Prepared) -> Outcome:
        """Run a prepared job; time-outs, syntax errors and failures become EndpointErrors.

        Answers are cached per data version (see :mod:`wopgraph.cache`).
        """
        cached = self.cache.get(self.data_version, prepared.job)
        if cached is not None:
            return cached
        try:
            outcome = self.executor.run(prepared.job)
        except QueryTimeout as exc:
            raise EndpointError(
                503,
                f"The query was stopped after the time limit of {exc.seconds:g} s. Make it "
                "cheaper (LIMIT, more selective patterns); the server's operator sets the limit "
                "with --query-timeout S or WOPGRAPH_QUERY_TIMEOUT.",
            ) from exc
        except ExecutorError as exc:
            raise EndpointError(500, f"The query failed: {exc}.") from exc
        if outcome.status == "syntax":
            raise EndpointError(400, f"The query is not valid SPARQL: {outcome.message}")
        if outcome.status != "ok":
            raise EndpointError(500, f"The query failed: {outcome.message}")
        self.cache.put(self.data_version, prepared.job, outcome, len(outcome.body) + 200)
        return outcome

    # Internal queries, for pages and APIs built on the graph. They run in the same query
    # process as protocol requests, so the time limit holds for them too; the wopgraph
    # prefixes are predeclared.

    def _internal(self, sparql: str, max_rows: int | None) -> Outcome:
        job = Job(
            query=sparql,
            results_format="json",
            graph_format="ntriples",
            max_rows=max_rows if max_rows is not None else self.settings.max_rows,
        )
        return self.run(Prepared(job, neg.RESULTS.default, neg.GRAPHS.default))

    def select(self, sparql: str, max_rows: int | None = None) -> list[dict[str, Term]]:
        """Run a SELECT; return its rows as {variable: pyoxigraph term} (unbound ones left out)."""
        outcome = self._internal(sparql, max_rows)
        results = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in results.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in results]

    def ask(self, sparql: str) -> bool:
        """Run an ASK query."""
        outcome = self._internal(sparql, None)
        return bool(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str, max_rows: int | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE; return its triples."""
        outcome = self._internal(sparql, max_rows)
        return list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))


def served_sources(settings: Settings) -> list[Source]:
    """The files served: the ``data`` files if given, else the bundled graph plus the
    enrichment graphs ``wopgraph enrich`` wrote (``*.nq`` in ``build/enrichment/`` or the
    ``enrichment_dir`` setting), each in its own named graph, apart from the curated ones."""
    if settings.data:
        return data_sources([Path(p) for p in settings.data])
    return bundled_sources(bundle_root()) + enrichment_sources(
        enrichment_folder(settings.enrichment_dir)
    )


def read_dataset(settings: Settings) -> Dataset:
    """The dataset to serve (see :func:`served_sources`)."""
    return Dataset.read(served_sources(settings))


def summarize(store: Store) -> Summary:
    """Count the triples of each named graph and of their union."""
    graphs = tuple((row["g"].value, int(row["n"].value)) for row in store.query(GRAPH_COUNTS))
    union = next(iter(store.query(UNION_COUNT)))["n"]
    return Summary(graphs, int(union.value))


def in_child_process(work: Callable[[], T]) -> T:
    """Run ``work`` in a forked child process and return its result, or raise its error.

    Errors come back as :class:`ConfigError` with the original message (which for a
    :class:`~wopgraph.sources.SourceError` names the file and line).
    """
    receive, reply = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        try:
            receive.close()
            try:
                reply.send(("ok", work()))
            except (ConfigError, SourceError) as exc:
                reply.send(("error", str(exc)))
            except BaseException as exc:  # reported to the parent
                reply.send(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            os._exit(0)
    reply.close()
    try:
        status, value = receive.recv()
    except EOFError:
        status, value = "error", "the process loading the store died"
    finally:
        receive.close()
        os.waitpid(pid, 0)
    if status != "ok":
        raise ConfigError(value)
    return value


def load_disk_store(settings: Settings) -> Summary:
    """Open the on-disk store, load the data into it if it is empty, and summarise it."""
    path = settings.store
    try:
        disk = OxigraphStore(path)
    except OSError as exc:
        raise ConfigError(f"cannot open the store at {path}: {exc}") from exc
    size = len(disk)
    if size and settings.data:
        raise ConfigError(
            f"the store at {path} already holds {size} quads; serve it without --data, or give "
            "an empty or new folder to load the data into"
        )
    if not size:
        read_dataset(settings).to_store(disk)
    summary = summarize(disk)
    disk.flush()  # read-only openers see only what is in the files, not the write-ahead log
    return summary


def load_store(settings: Settings) -> tuple[Callable[[], Store], Summary]:
    """Load the data; return how a query process gets the store, and the summary.

    In memory, every process shares the one store loaded here (copy-on-write after fork).

    On disk, a short-lived child process loads and summarises the store, and each query
    process opens it read-only. This process never opens it: RocksDB, under an on-disk
    Oxigraph store, keeps threads and global state that a later fork copies half-way, and
    gunicorn workers forked from a process that had opened it crash or hang when they exit.
    """
    if not settings.store:
        store = OxigraphStore()
        load_into(store, served_sources(settings))
        return (lambda: store), summarize(store)
    path = settings.store
    summary = in_child_process(lambda: load_disk_store(settings))
    return (lambda: OxigraphStore.open_read_only(path)), summary


def open_backend(settings: Settings) -> Backend:
    """Load what ``settings`` say to serve and make the backend (no query process yet)."""
    open_store, summary = load_store(settings)
    executor = Executor(open_store, settings.query_timeout)
    return Backend(
        settings,
        summary,
        executor,
        frozenset(settings.allow_service),
        ResultCache(settings.cache_mb * 1024 * 1024),
    )
