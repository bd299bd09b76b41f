"""Writes: parse, scope, validate with the SHACL shapes, then commit to the journal, or refuse.

HTTP lives in :mod:`wopgraph.web.graphs`; this module knows nothing of requests. A
:class:`Curator` turns one write (a Graph Store Protocol ``PUT``/``POST``/``DELETE`` of a named
graph, or a SPARQL Update) into the new content of each graph it changes, validates that
content, and commits it to the :class:`~wopgraph.journal.Journal`, all under the journal's lock
so that writes happen one at a time and each is checked against the data as it is.

Validation sees the written graphs' new content with their context: the model (ontology and
vocabularies) and what the rest of the store says about every entity the write refers to (its
triples there, its blank nodes, and the types of what they point at). Only the write's own
subjects are validated, so the cost follows the size of the write, not of the store.

A SPARQL Update runs on a scratch in-memory store holding only the graphs it names (see
:func:`~wopgraph.update_scope.update_graphs`); the graphs whose content it changed are the write.
Any refusal is a :class:`WriteError` with its HTTP status, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import pyoxigraph as ox
import rdflib

from wopgraph import forked
from wopgraph.journal import CHANGES_GRAPH, Journal, Record, ntriples
from wopgraph.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH, VOCAB_GRAPH
from wopgraph.queryfiles import QueryFile
from wopgraph.sparql_scan import scan
from wopgraph.update_scope import UpdateScopeError, update_graphs, update_reads_default_graph
from wopgraph.validation import WriteReport, to_rdflib, validate_write

#: Graphs a write may not change: the model (changed through source files and a restart) and
#: the provenance of writes, which only the journal writes.
PROTECTED_GRAPHS = frozenset(
    {str(ONTOLOGY_GRAPH), str(VOCAB_GRAPH), str(SHAPES_GRAPH), CHANGES_GRAPH}
)

#: Formats a graph may be written in (media type -> pyoxigraph format). Triples only: the
#: graph is named by ``?graph=``; quad formats would name graphs of their own.
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
MAX_REFERENCES = 5000
#: A write's update and validation may take this many times the query time limit.
WRITE_TIME_FACTOR = 6
#: Deepest bracket nesting of an update (as for queries on /sparql).
MAX_NESTING = 256
T = TypeVar("T")
ALL_ROWS = 10**9


class WriteError(Exception):
    """A write refused, with the HTTP status and a message naming what is wrong and where."""

    def __init__(self, status: int, message: str, report: WriteReport | None = None):
        self.status = status
        self.message = message
        self.report = report
        super().__init__(message)

    def __reduce__(self):
        """Picklable, to come back from the child process that ran the update."""
        return (WriteError, (self.status, self.message, self.report))


@dataclass(frozen=True)
class Outcome:
    """What a write did: the journal record (``None``: nothing changed) and whether it created
    a graph that did not exist (HTTP 201)."""

    record: Record | None
    created: bool = False


def check_graph_iri(graph: str | None) -> str:
    """The ``graph`` parameter of a write, checked: an absolute IRI, not a protected graph."""
    if not graph:
        raise WriteError(
            400,
            "Name the graph to write with ?graph=IRI (the default graph is the union of the "
            "named graphs and is not written).",
        )
    try:
        ox.NamedNode(graph)
    except ValueError as exc:
        raise WriteError(400, f"graph={graph!r} is not a valid IRI: {exc}") from exc
    if ":" not in graph.split("/")[0]:
        raise WriteError(400, f"graph={graph!r} is not an absolute IRI")
    if graph in PROTECTED_GRAPHS:
        raise WriteError(
            403,
            f"The graph <{graph}> cannot be written here: the ontology, vocabularies and shapes "
            "change through their source files, and the provenance of writes only through writes.",
        )
    return graph


def parse_graph(body: bytes, media_type: str, graph: str) -> list[ox.Quad]:
    """Parse a request body holding a graph's triples into quads of ``graph``.

    Raises :class:`WriteError`: 415 for a format not accepted, 400 for an empty body, text
    that is not UTF-8, a syntax error (with the parser's line and column), a body holding no
    triples, or one naming graphs of its own (JSON-LD).
    """
    fmt = GRAPH_FORMATS.get(media_type)
    if fmt is None:
        accepted = ", ".join(sorted(set(GRAPH_FORMATS) - {"text/plain", "application/x-turtle"}))
        given = f"Content-Type {media_type}" if media_type else "no Content-Type"
        raise WriteError(
            415, f"A graph must be sent as one of {accepted}; this request has {given}."
        )
    if not body.strip():
        raise WriteError(
            400, "The request body is empty: send the graph's triples (DELETE removes a graph)."
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WriteError(
            400, f"The request body is not UTF-8: byte {exc.start} (0x{body[exc.start]:02x})."
        ) from exc
    name = ox.NamedNode(graph)
    try:
        triples = list(ox.parse(body, format=fmt, base_iri=graph, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise WriteError(400, f"The {media_type} body is not valid: {exc}") from exc
    except ValueError as exc:
        raise WriteError(400, f"The {media_type} body cannot be read: {exc}") from exc
    if not triples:
        # Else a body of comments or prefixes alone would be "accepted" (201, a journal
        # record, a PROV activity) and leave no graph behind.
        raise WriteError(
            400,
            f"The {media_type} body holds no triples (only comments, prefixes or an empty "
            "document): send the graph's triples (DELETE removes a graph).",
        )
    # JSON-LD may name graphs of its own (@graph with an @id), as quad formats do: their
    # triples would silently land in ``graph``.
    named = sorted({t.graph_name.value for t in triples if isinstance(t.graph_name, ox.NamedNode)})
    if named:
        raise WriteError(
            400,
            f"The {media_type} body names graphs of its own (<{named[0]}>"
            f"{f' and {len(named) - 1} more' if len(named) > 1 else ''}): send the triples of "
            "the one graph named by ?graph=IRI, without @graph named by an @id.",
        )
    return [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]


class Curator:
    """Runs writes against a backend's data (read through its query process) and journal."""

    def __init__(
        self,
        backend,
        journal: Journal,
        checks: Sequence[QueryFile] = (),
        apply=None,
    ):
        """``backend`` answers queries (a :class:`~wopgraph.endpoint.Backend`); ``apply``
        tells a store that keeps data itself (a remote server) of each commit."""
        self.backend = backend
        self.journal = journal
        self.checks = list(checks)
        self.apply = apply

    # What the store holds

    def graph_quads(self, graph: str) -> list[ox.Quad]:
        """The current content of ``graph`` (empty when it does not exist)."""
        name = ox.NamedNode(graph)
        triples = self.backend.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            max_rows=ALL_ROWS,
        )
        return [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]

    def exists(self, graph: str) -> bool:
        return self.backend.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    @cached_property
    def shapes(self) -> rdflib.Graph:
        """The shapes, as served (graph ``shapes``; they do not change while serving), or the
        bundled ``ontology/shapes.ttl`` when the served data has none (``--data``): a write
        is never accepted unchecked."""
        served = self.graph_quads(str(SHAPES_GRAPH))
        return to_rdflib(served or _bundled(str(SHAPES_GRAPH)))

    @cached_property
    def model(self) -> list[ox.Quad]:
        """The ontology and vocabularies, context of every validation (the bundled ones when
        the served data has none)."""
        graphs = (str(ONTOLOGY_GRAPH), str(VOCAB_GRAPH))
        served = [q for g in graphs for q in self.graph_quads(g)]
        return served or [q for g in graphs for q in _bundled(g)]

    def context(self, written: list[ox.Quad], targets: Sequence[str]) -> list[ox.Quad]:
        """What the rest of the store says about the entities ``written`` refers to."""
        iris = sorted(
            {t.value for q in written for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
        )
        if not iris:
            return []
        if len(iris) > MAX_REFERENCES:
            raise WriteError(
                413,
                f"The write refers to {len(iris)} entities; at most {MAX_REFERENCES} are "
                "checked in one write: split it into several graphs.",
            )
        skip = ", ".join(f"<{g}>" for g in (*targets, CHANGES_GRAPH, str(SHAPES_GRAPH)))
        values = " ".join(f"<{i}>" for i in iris)
        triples = self.backend.construct(
            f"""CONSTRUCT {{ ?x ?p ?o . ?o ?q ?v }} WHERE {{
                VALUES ?x {{ {values} }}
                GRAPH ?g {{ ?x ?p ?o }} FILTER(?g NOT IN ({skip}))
                OPTIONAL {{
                    GRAPH ?h {{ ?o ?q ?v }} FILTER(?h NOT IN ({skip}))
                    FILTER(isBLANK(?o) || ?q = rdf:type)
                }}
            }}""",
            max_rows=ALL_ROWS,
        )
        fresh = ox.NamedNode("urn:wopgraph:context")
        return [ox.Quad(t.subject, t.predicate, t.object, fresh) for t in triples]

    # Writes

    @property
    def time_limit(self) -> float:
        """Seconds a write's update or validation may take: :data:`WRITE_TIME_FACTOR` times
        the query time limit."""
        return WRITE_TIME_FACTOR * self.backend.settings.query_timeout

    def validate(self, graphs: Mapping[str, list[ox.Quad] | None]) -> None:
        """Refuse (422, with the report) new graph contents that break the shapes or checks."""
        written = [q for quads in graphs.values() if quads for q in quads]
        if not written:
            return
        context = self.model + self.context(written, list(graphs))
        shapes, checks = self.shapes, self.checks
        findings, turtle = within(
            self.time_limit,
            lambda: _validated(written, context, shapes, checks),
            "validating it",
        )
        report = WriteReport(findings, rdflib.Graph().parse(data=turtle, format="turtle"))
        if not report.conforms:
            count = sum(1 for f in report.findings if f.severity == "Violation")
            raise WriteError(
                422,
                f"The write breaks {count} constraint(s) of the shapes; nothing was changed.",
                report,
            )

    def _commit(self, graphs, agent: str, operation: str) -> Record:
        self.validate(graphs)
        return self.journal.commit(graphs, agent, operation, self.apply)

    def put(self, graph: str, quads: list[ox.Quad], agent: str) -> Outcome:
        """Replace ``graph`` by ``quads`` (Graph Store Protocol PUT)."""
        with self.journal.locked():
            created = not self.exists(graph)
            return Outcome(self._commit({graph: quads}, agent, "PUT"), created)

    def post(self, graph: str, quads: list[ox.Quad], agent: str) -> Outcome:
        """Add ``quads`` to ``graph`` (Graph Store Protocol POST: merge)."""
        with self.journal.locked():
            current = self.graph_quads(graph)
            merged = list(dict.fromkeys([*current, *quads]))
            return Outcome(self._commit({graph: merged}, agent, "POST"), not current)

    def delete(self, graph: str, agent: str) -> Outcome:
        """Remove ``graph`` (Graph Store Protocol DELETE); 404 when there is no such graph."""
        with self.journal.locked():
            if not self.exists(graph):
                raise WriteError(404, f"There is no graph <{graph}> to delete.")
            return Outcome(self.journal.commit({graph: None}, agent, "DELETE", self.apply))

    def update(self, text: str, agent: str) -> Outcome:
        """Run a SPARQL Update on the graphs it names; commit the graphs it changed."""
        if not text.strip():
            raise WriteError(400, "Missing update: send it as the update= parameter or the body.")
        try:
            named = update_graphs(text)
        except UpdateScopeError as exc:
            raise WriteError(400, f"This update is not accepted: {exc}.") from exc
        if update_reads_default_graph(text):
            raise WriteError(
                400,
                "This update's WHERE matches patterns outside GRAPH blocks, against the default "
                "graph; in an update that graph is empty here (on /sparql it is the union of the "
                "named graphs), so it would change nothing. Put the patterns in "
                "GRAPH <iri> { ... }, or name the graph with WITH <iri> or USING <iri>.",
            )
        if scan(text).depth > MAX_NESTING:
            raise WriteError(400, f"The update nests brackets more than {MAX_NESTING} deep.")
        with self.journal.locked():
            before = {g: self.graph_quads(g) for g in sorted(named)}
            outcome = within(
                self.time_limit, lambda: _run_update(before, text), "running the update"
            )
            if isinstance(outcome, WriteError):
                raise outcome
            changed = {
                graph: None
                if data is None
                else [
                    ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                    for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=True)
                ]
                for graph, data in outcome.items()
            }
            for graph in changed:
                check_graph_iri(graph)
            if not changed:
                return Outcome(None)
            return Outcome(self._commit(changed, agent, "UPDATE"))


def _run_update(before: Mapping[str, list[ox.Quad]], text: str):
    """Run ``text`` on a scratch store holding ``before``; the new N-Triples of each graph it
    changed (``None``: emptied), or a :class:`WriteError` (this runs in a child process)."""
    scratch = ox.Store()
    scratch.extend(q for quads in before.values() for q in quads)
    try:
        scratch.update(text)
    except SyntaxError as exc:
        return WriteError(400, f"The update is not valid SPARQL: {exc}")
    except (ValueError, OSError) as exc:
        return WriteError(400, f"The update failed: {exc}")
    if next(iter(scratch.quads_for_pattern(None, None, None, ox.DefaultGraph())), None):
        return WriteError(
            400,
            "The update writes to the default graph, which is the union of the named "
            "graphs and is not written: put the triples in GRAPH <iri> { ... }.",
        )
    changed: dict[str, bytes | None] = {}
    for graph in sorted(set(before) | _graphs_of(scratch)):
        after = list(scratch.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        if set(after) != set(before.get(graph, [])):
            changed[graph] = ntriples(after) if after else None
    return changed


def within(seconds: float, work: Callable[[], T], doing: str) -> T:
    """Run ``work`` in a forked child process and return what it returns (pickled back);
    kill it after ``seconds`` (a write's update and validation hold the writers' lock, so
    they must end), raising a 503 :class:`WriteError` that says what was being done."""
    try:
        return forked.call(work, seconds, died=f"the process {doing} died")
    except forked.ChildTimeout as exc:
        raise WriteError(
            503,
            f"The write was stopped after {seconds:g} s while {doing}; nothing was changed. "
            "Split it into smaller writes.",
        ) from exc
    except forked.ChildFailed as exc:
        raise WriteError(
            500, f"The write failed while {doing}: {exc}; nothing was changed."
        ) from exc


def _bundled(graph: str) -> list[ox.Quad]:
    """The quads the bundled sources put in ``graph``."""
    from wopgraph.dataset import Dataset, bundle_root
    from wopgraph.sources import bundled_sources

    sources = [s for s in bundled_sources(bundle_root()) if s.graph == graph]
    return Dataset.read(sources).quads()


def _validated(written, context, shapes, checks):
    """The findings and the Turtle SHACL report of a write (runs in a child process)."""
    report = validate_write(written, context, shapes, checks)
    return report.findings, report.graph.serialize(format="turtle")


def _graphs_of(store: ox.Store) -> set[str]:
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
