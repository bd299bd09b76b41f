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

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from wopgraph import diskstore, forked, startcache, textsearch
from wopgraph import negotiation as neg
from wopgraph.cache import ResultCache
from wopgraph.config import ConfigError, Settings
from wopgraph.dataset import Dataset, bundle_root
from wopgraph.enrich import enrichment_folder, enrichment_sources
from wopgraph.executor import Executor, ExecutorError, Job, Outcome, QueryTimeout
from wopgraph.journal import Follower, Journal, JournalError, apply_to
from wopgraph.namespaces import PREFIXES
from wopgraph.sources import Source, SourceError, bundled_sources, data_sources, load_into
from wopgraph.sparql_scan import Scan
from wopgraph.sparql_scan import scan as scan_text
from wopgraph.startcache import StartCache
from wopgraph.store import OxigraphStore, Store, open_store

T = TypeVar("T")
Term = ox.NamedNode | ox.BlankNode | ox.Literal
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
#: Deepest nesting of brackets a query may have: far beyond any real query, well below what
#: would exhaust the query process's stack in the SPARQL parser.
MAX_NESTING = 256
UPDATE_REFUSED = (
    "SPARQL Update is not accepted: this is a public, read-only endpoint. "
    "Send queries (SELECT, ASK, CONSTRUCT, DESCRIBE) only."
)
#: Longest query text whose scan is remembered (see :func:`scan`).
SCAN_MEMO_CHARS = 16_384
#: How many text-search rewrites a worker remembers (see ``Backend._rewrite_text_search``).
REWRITES_KEPT = 256
log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=512)
def _scan_with_defaults(text: str, base_iri: str | None) -> Scan:
    return scan_text(text, PREFIXES, base_iri)


def scan(text: str, prefixes, base_iri: str | None) -> Scan:
    """:func:`wopgraph.sparql_scan.scan`, remembered for the 512 latest short query texts.

    A public endpoint gets the same queries again and again (canned queries, pages); the scan
    of a typical 2 kB query costs about 0.3 ms of Python, half of what a cached answer costs.
    A :class:`Scan` is immutable, so sharing it is safe.
    """
    if prefixes is PREFIXES and len(text) <= SCAN_MEMO_CHARS:
        return _scan_with_defaults(text, base_iri)
    return scan_text(text, prefixes, base_iri)


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
    initial_summary: Summary
    executor: Executor
    allowed_services: frozenset[str] = field(default_factory=frozenset)
    cache: ResultCache[Outcome] = field(default_factory=lambda: ResultCache(0))
    journal: Journal | None = None
    """The write journal, when writes are enabled (then ``head`` moves with each write)."""
    initial_head: int = 0
    text_search: textsearch.Search | None = None
    """Answers ``SERVICE text:`` blocks (:mod:`wopgraph.textsearch`); ``None``: refused."""
    _summaries: dict = field(default_factory=dict, repr=False)
    _loaded: object = field(default=None, repr=False)
    _rewritten: dict = field(default_factory=dict, repr=False)

    def head(self) -> int:
        """The newest write served (0: none, or writes are off)."""
        return self.journal.head() if self.journal is not None else self.initial_head

    @property
    def data_version(self) -> tuple[object, int]:
        """What identifies the data served; answers cached under another version are stale.

        The data loaded are named by the start cache's fingerprint when the summary is one
        still being counted (a first start of big data, :class:`LazySummary`), so that a
        query never waits for the counts; else by the summary, as before.
        """
        loaded = self._loaded
        if loaded is None:
            # Hashing a summary hashes every graph's name and count (8,000 graphs at 1M
            # triples: about 0.1 ms), and this runs for every answer: hash it once.
            fingerprint = getattr(self.initial_summary, "fingerprint", None)
            loaded = self._loaded = fingerprint or ("summary", hash(self.initial_summary))
        return (loaded, self.head())

    def store_apply(self):
        """How a write reaches a store that keeps data itself (a remote server), or ``None``
        for the in-memory store, whose query processes replay the journal."""
        if not is_remote(self.settings):
            return None
        location = self.settings.store
        return lambda record, graphs: open_store(location).apply(graphs, record.provenance())

    @property
    def summary(self) -> Summary:
        """The graphs served and their sizes now (counted again after writes, once each)."""
        head = self.head()
        if head == self.initial_head:
            return self.initial_summary
        if head not in self._summaries:
            graphs = tuple(
                (row["g"].value, int(row["n"].value))
                for row in self.select(GRAPH_COUNTS, max_rows=10**9)
            )
            union = int(self.select(UNION_COUNT)[0]["n"].value)
            self._summaries = {head: Summary(graphs, union)}
        return self._summaries[head]

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
        if found.depth > MAX_NESTING:
            raise EndpointError(
                400,
                f"The query nests brackets {found.depth} levels deep; this endpoint accepts "
                f"at most {MAX_NESTING}. Flatten it (a query this deep is almost always made "
                "by a program gone wrong).",
            )
        if found.is_update:
            raise EndpointError(400, UPDATE_REFUSED)
        self.check_services(found.services)
        results, graph = self.formats(found.form, accept, request.formats)
        if any(service.endpoint == textsearch.SERVICE for service in found.services):
            if self.text_search is None:
                raise EndpointError(
                    400, f"SERVICE <{textsearch.SERVICE}>: text search is not available here."
                )
            text = self._rewrite_text_search(text, base_iri)
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
            lookup=found.lookup is not None and not protocol_dataset,
            describe=found.form == "DESCRIBE",
            patterns=None if protocol_dataset else found.patterns,
        )
        return Prepared(job, results, graph)

    def _rewrite_text_search(self, text: str, base_iri: str | None) -> str:
        """``text`` with its ``SERVICE text:`` blocks answered (:func:`textsearch.rewrite`).

        Remembered per data version for the latest short texts: the search is part of the
        answer's cache key, and a word matching thousands of entities costs milliseconds to
        look up again for every repeat of the query.
        """
        key = (text, base_iri, self.data_version)
        found = self._rewritten.get(key)
        if found is not None:
            return found
        try:
            found = textsearch.rewrite(text, PREFIXES, base_iri, self.text_search)
        except textsearch.TextSearchError as exc:
            raise EndpointError(400, str(exc)) from exc
        if len(text) <= SCAN_MEMO_CHARS:
            if len(self._rewritten) >= REWRITES_KEPT:
                self._rewritten.clear()
            self._rewritten[key] = found
        return found

    def check_services(self, services) -> None:
        """Refuse ``SERVICE`` clauses whose endpoint is not in the allow list (the reserved
        text search IRI, answered here, is always allowed)."""
        for service in services:
            if service.endpoint == textsearch.SERVICE:
                continue
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

    def _internal(self, sparql: str, max_rows: int | None, results: str = "json") -> Outcome:
        job = Job(
            query=sparql,
            results_format=results,
            graph_format="ntriples",
            max_rows=max_rows if max_rows is not None else self.settings.max_rows,
        )
        return self.run(Prepared(job, neg.RESULTS.default, neg.GRAPHS.default))

    def select(self, sparql: str, max_rows: int | None = None) -> list[dict[str, Term]]:
        """Run a SELECT; return its rows as {variable: pyoxigraph term} (unbound ones left out)."""
        # TSV, read value by value: a quarter of the CPU of reading SPARQL JSON by name.
        outcome = self._internal(sparql, max_rows, "tsv")
        results = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.TSV)
        names = [v.value for v in results.variables]
        rows = []
        for solution in results:
            rows.append({n: v for n, v in zip(names, solution, strict=True) if v is not None})
        return rows

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
    """The dataset to serve: the sources (see :func:`served_sources`) with the writes of the
    journal, if there is one: each graph written replaced by its newest content, and the
    changes graph (the provenance of writes) added."""
    dataset = Dataset.read(served_sources(settings))
    journal = open_journal(settings)
    if journal is None or not journal.head():
        return dataset
    records = list(journal.records(0, journal.head()))
    changes = journal.changes(records)
    parts = [
        (source, [q for q in quads if getattr(q.graph_name, "value", None) not in changes])
        for source, quads in dataset.parts
    ]
    written = [q for quads in changes.values() if quads for q in quads]
    written += [q for r in records for q in r.provenance()]
    origin = Source(journal.folder, None, ox.RdfFormat.N_QUADS)
    return Dataset([*parts, (origin, written)])


def summarize(store: Store) -> Summary:
    """Count the triples of each named graph and of their union."""
    graphs = tuple((row["g"].value, int(row["n"].value)) for row in store.query(GRAPH_COUNTS))
    union = next(iter(store.query(UNION_COUNT)))["n"]
    return Summary(graphs, int(union.value))


def summarize_alongside(store: Store, work: Callable[[], object]) -> Summary:
    """:func:`summarize` ``store`` in a thread while ``work()`` runs in this one.

    Oxigraph counts without holding the GIL, so at a first start (nothing cached) the graph
    counts cost little next to the site's search index, built meanwhile."""
    counted: list[Summary] = []
    thread = threading.Thread(
        target=lambda: counted.append(summarize(store)), name="wopgraph-counts", daemon=True
    )
    thread.start()
    try:
        work()
    finally:
        thread.join()
    return counted[0] if counted else summarize(store)  # it failed there: fail here


class LazySummary(Summary):
    """The summary of big data at their first start, counted when first needed.

    The process deriving the start cache in the background counts the graphs
    (:meth:`~wopgraph.startcache.StartCache.derive_in_background`); the first use of
    ``graphs`` or ``union_triples`` reads its counts from the cache, waiting for them up to
    :data:`WAIT_FOR_COUNTS` seconds, or counts here if that process could not. Until then
    ``fingerprint`` (the start cache's) names the data and ``quads`` (the quads loaded, at
    least the union's triples) tells their size. Equal to, and written as, the
    :class:`Summary` of the same counts.
    """

    def __init__(self, cache: StartCache, store: Store, quads: int):
        """The summary of ``store`` (whose start cache is ``cache``), holding ``quads``."""
        object.__setattr__(self, "fingerprint", cache.fingerprint)
        object.__setattr__(self, "quads", quads)
        object.__setattr__(self, "_cache", cache)
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_counted", None)
        object.__setattr__(self, "_lock", threading.Lock())

    def counted(self) -> Summary:
        """The counts: from the start cache, else counted now (then kept)."""
        with self._lock:
            if self._counted is None:
                self._cache.wait_for("summary", WAIT_FOR_COUNTS)
                counted = self._cache.remember(
                    "summary", lambda: summarize(self._store), summary_to_json, summary_from_json
                )
                object.__setattr__(self, "_counted", counted)
            return self._counted

    @property
    def graphs(self) -> tuple[tuple[str, int], ...]:  # type: ignore[override]
        """The named graphs and their sizes (counted on first use)."""
        return self.counted().graphs

    @property
    def union_triples(self) -> int:  # type: ignore[override]
        """The triples of the union of the graphs (counted on first use)."""
        return self.counted().union_triples

    @property
    def is_counted(self) -> bool:
        """Whether the counts are known here already (using them then costs nothing)."""
        return self._counted is not None

    def size_hint(self) -> int:
        """The union's triples if counted already, else the quads loaded (never fewer)."""
        return self._counted.union_triples if self._counted is not None else self.quads

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return (self.graphs, self.union_triples) == (other.graphs, other.union_triples)

    def __hash__(self) -> int:
        return hash(self.counted())

    def __repr__(self) -> str:
        return repr(self.counted())


#: Seconds a first use of a :class:`LazySummary` waits for the background process's counts
#: before counting itself (at 1M triples they take that process 1.5-2 s).
WAIT_FOR_COUNTS = 10.0


def load_memory(
    sources: list[Source],
    journal: Journal | None,
    head: int,
    lenient: frozenset[Source] = frozenset(),
) -> OxigraphStore:
    """A new in-memory store holding the ``sources`` (those in ``lenient`` parsed without
    validating IRIs and language tags) and the ``journal``'s writes up to ``head``."""
    store = OxigraphStore()
    load_into(store, sources, lenient)
    if journal is not None:
        apply_to(store, journal.records(0, head), journal)
    return store


def summarize_loaded(store: OxigraphStore, cache: StartCache) -> Summary:
    """The summary of the in-memory ``store`` just loaded: from the start cache if there.

    Else, for big data (over :data:`~wopgraph.startcache.BACKGROUND_ABOVE` quads) whose
    derived data can be kept, a :class:`LazySummary`, counted (with the site's data, see
    :meth:`~wopgraph.web.site.Site.preload`) by a background process while the server
    already answers; else counted now, alongside the site's data (as a first start always
    did).
    """
    if "summary" not in cache.found and cache.can_keep():
        quads = len(store)
        if quads > startcache.BACKGROUND_ABOVE:
            cache.derive_in_background(
                store,
                lambda: cache.remember(
                    "summary", lambda: summarize(store), summary_to_json, summary_from_json
                ),
            )
            return LazySummary(cache, store, quads)
    return cache.remember(
        "summary",
        lambda: summarize_alongside(store, lambda: cache.site_data(store)),
        summary_to_json,
        summary_from_json,
    )


def summary_to_json(summary: Summary) -> dict:
    """A summary as JSON, for the start cache."""
    return {"graphs": [list(g) for g in summary.graphs], "union_triples": summary.union_triples}


def summary_from_json(saved: dict) -> Summary:
    """The summary :func:`summary_to_json` wrote."""
    graphs = tuple((str(graph), int(size)) for graph, size in saved["graphs"])
    return Summary(graphs, int(saved["union_triples"]))


def in_child_process(work: Callable[[], T]) -> T:
    """Run ``work`` in a forked child process and return its result, or raise its error.

    Errors come back as :class:`ConfigError` with the original message (which for a
    :class:`~wopgraph.sources.SourceError` names the file and line).
    """
    try:
        return forked.call(
            work, plain=(ConfigError, SourceError), died="the process loading the store died"
        )
    except forked.ChildFailed as exc:
        raise ConfigError(str(exc)) from exc


def load_disk_store(settings: Settings) -> Summary:
    """Open the on-disk store, load the data into it if it is empty, load them again if its
    sources changed since (:mod:`wopgraph.diskstore`), and summarise it."""
    path = Path(settings.store)
    try:
        with diskstore.locked(path):
            diskstore.tidy(path)
            refresh_disk_store(settings, path)
        disk = OxigraphStore(str(path))
    except OSError as exc:
        raise ConfigError(f"cannot open the store at {path}: {exc}") from exc
    summary = summarize(disk)
    disk.flush()  # read-only openers see only what is in the files, not the write-ahead log
    return summary


def refresh_disk_store(settings: Settings, path: Path) -> None:
    """Load the store at ``path`` if it is empty, or again if the files it was loaded from
    changed; leave a store filled by other means as it is (call with its lock held)."""
    wanted = diskstore.requested(settings.data)
    disk = OxigraphStore(str(path))
    empty = next(iter(disk.quads()), None) is None
    del disk  # closed: it may be replaced
    stamp = diskstore.Stamp.read(path)
    if empty:  # new, or a first load that did not finish (then its data, unless others given)
        known = stamp is not None and stamp.data is not None and not settings.data
        data = stamp.data if known else wanted
        sources = served_sources(replace(settings, data=data))
        fresh = diskstore.Stamp(data, "")
        fresh.fingerprint = diskstore.fingerprint(sources, fresh.hashes)
        diskstore.load(path, sources, fresh)
        return
    if stamp is not None and stamp.data is None:  # damaged: what was loaded is not known
        if not settings.data:
            log.warning("the store at %s has a damaged %s: served as it is", path, diskstore.STAMP)
            return
        stamp = diskstore.Stamp(wanted, diskstore.LOADING)
    if stamp is None or (settings.data and stamp.data != wanted):
        if settings.data:
            loaded = f" from {', '.join(stamp.data) or 'the bundled data'}" if stamp else ""
            size = len(OxigraphStore(str(path)))
            raise ConfigError(
                f"the store at {path} already holds {size} quads{loaded}; serve it without "
                "--data, or give an empty or new folder to load the data into"
            )
        return  # filled by other means: served as it is
    try:
        sources = served_sources(replace(settings, data=stamp.data))
        now = diskstore.fingerprint(sources, stamp.hashes)
    except (SourceError, OSError) as exc:
        if settings.data:
            raise
        log.warning("cannot check the sources of the store at %s (%s): served as it is", path, exc)
        return
    if now == stamp.fingerprint:
        if stamp.hashes.changed:
            stamp.write(path)
        return
    what = "its sources changed since it was loaded"
    if stamp.fingerprint == diskstore.LOADING:
        what = "its last load did not finish"
    log.warning("the store at %s: %s; loading its %d files again", path, what, len(sources))
    try:
        diskstore.reload(path, sources, diskstore.Stamp(stamp.data, now, stamp.hashes))
    except OSError as exc:
        raise ConfigError(
            f"the store at {path}: {what}, but it cannot be replaced ({exc}); give a folder "
            "whose parent folder is writable, or remove this one"
        ) from exc
    log.warning("the store at %s is loaded again: it now serves what its sources hold", path)


def journal_folder(settings: Settings) -> Path:
    """Where the write journal lives: the ``journal`` setting, else ``journal/`` in the
    default build folder (``build/journal`` of the project for the bundled data)."""
    from wopgraph.publication import default_folder

    return Path(settings.journal) if settings.journal else default_folder(settings) / "journal"


def writes_enabled(settings: Settings) -> bool:
    """Whether writes are on: some write token is configured."""
    return bool(settings.write_tokens or settings.token_file)


def is_remote(settings: Settings) -> bool:
    """Whether the store is a SPARQL server (``--store http(s)://...``)."""
    return bool(settings.store) and settings.store.startswith(("http://", "https://"))


def open_journal(settings: Settings) -> Journal | None:
    """The journal: when writes are enabled, or when one exists (writes accepted earlier are
    served even when writes are now off). Refuses writes to an on-disk store (read-only)."""
    if not writes_enabled(settings):
        folder = journal_folder(settings)
        if settings.store or not (folder / "commits").is_dir():
            return None
        try:
            return Journal(folder)
        except JournalError as exc:
            raise ConfigError(str(exc)) from exc
    if settings.store and not is_remote(settings):
        raise ConfigError(
            f"writes (write tokens are configured) need the in-memory store, made durable by "
            f"the journal, or a remote SPARQL store; the on-disk store at {settings.store} is "
            "served read-only"
        )
    try:
        return Journal(journal_folder(settings))
    except JournalError as exc:
        raise ConfigError(str(exc)) from exc


def load_remote_store(settings: Settings, journal: Journal | None) -> Summary:
    """Open the SPARQL server of ``--store URL``; load the data if it is empty; summarise."""
    from wopgraph.remote import RemoteStoreError

    remote = open_store(settings.store)
    try:
        if not remote.graphs():
            read_dataset(settings).to_store(remote)
        if journal is not None:
            journal.recover(lambda record, graphs: remote.apply(graphs, record.provenance()))
        return summarize(remote)
    except RemoteStoreError as exc:
        raise ConfigError(f"the store at {settings.store}: {exc}") from exc


def load_store(
    settings: Settings, journal: Journal | None = None
) -> tuple[Callable[[], Store], Summary]:
    """Load the data; return how a query process gets the store, and the summary.

    In memory, every process shares the one store loaded here (copy-on-write after fork);
    the writes of the ``journal`` are applied to it first (the newest content of each graph
    written, and their provenance). The summary, and what the site derives from the data,
    come from the start cache when the same data were served before (:mod:`wopgraph.startcache`);
    the files an earlier load validated are parsed leniently; a first start of big data
    counts and derives in background processes (:func:`summarize_loaded`).

    On disk, a short-lived child process loads and summarises the store, and each query
    process opens it read-only. This process never opens it: RocksDB, under an on-disk
    Oxigraph store, keeps threads and global state that a later fork copies half-way, and
    gunicorn workers forked from a process that had opened it crash or hang when they exit.
    """
    if not settings.store:
        sources = served_sources(settings)
        head = journal.recover() if journal is not None else 0
        # Reads what a previous start of the same data derived, while the store loads; the
        # sources validated by an earlier load are parsed leniently (a quarter faster).
        cache = StartCache.begin(settings, sources, journal, head)
        store = None
        try:
            store = load_memory(sources, journal, head, cache.lenient)
        except SourceError:
            if not cache.lenient:
                raise
        finally:
            cache.finish()
        if store is not None and (cache.trusted or not cache.lenient):
            cache.loaded()
        else:  # a file parsed leniently changed meanwhile: never serve unvalidated bytes
            log.warning("a source changed while it was loaded: loading them again, validated")
            cache.distrust()
            store = load_memory(sources, journal, head)
        summary = summarize_loaded(store, cache)
        startcache.attach(store, cache)
        return (lambda: store), summary
    if is_remote(settings):
        location = settings.store
        summary = load_remote_store(settings, journal)
        return (lambda: open_store(location)), summary
    path = settings.store
    summary = in_child_process(lambda: load_disk_store(settings))
    return (lambda: OxigraphStore.open_read_only(path)), summary


def open_backend(settings: Settings) -> Backend:
    """Load what ``settings`` say to serve and make the backend (no query process yet)."""
    journal = open_journal(settings)
    get_store, summary = load_store(settings, journal)
    head = journal.head() if journal is not None else 0
    follower = (
        Follower(journal, head, replay=not is_remote(settings)) if journal is not None else None
    )
    # In memory, this process holds the store its query process reads: lookups may be
    # answered here (on disk, opening it here would break the workers' fork; see load_store).
    local = get_store() if not settings.store else None
    executor = Executor(get_store, settings.query_timeout, follower, local)
    return Backend(
        settings,
        summary,
        executor,
        frozenset(settings.allow_service),
        ResultCache(settings.cache_mb * 1024 * 1024),
        journal,
        head,
    )
