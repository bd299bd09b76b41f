"""A :class:`~wopgraph.store.Store` on any SPARQL 1.1 server, over HTTP.

Queries go to the server's SPARQL 1.1 Protocol endpoint (HTTP POST), updates to its update
endpoint, and whole graphs, when a Graph Store Protocol endpoint is configured, to that (one
``PUT`` replaces a graph in one request). Answers come back as pyoxigraph objects, as from the
embedded store: SELECT and ASK results are parsed by :func:`pyoxigraph.parse_query_results`;
CONSTRUCT and DESCRIBE answers are N-Triples, loaded into a scratch in-memory Oxigraph store
and returned as its genuine ``QueryTriples`` (which Python cannot construct directly), so
writers and renderers need not know where an answer came from.

Writes of several graphs (:meth:`RemoteStore.apply`, what a write through ``wopgraph serve``
does) go in one SPARQL Update request, which the protocol says a server SHOULD run atomically:
a request the server refuses or cannot parse changes nothing.

Virtuoso 7 (Debian's ``virtuoso-opensource``), as tested in ``tests/test_remote_store.py`` and
``tests/test_backends.py``:

* ``/sparql`` answers queries; its default graph, with no ``FROM``, is the union of all
  graphs, as wopgraph's own store does. Anonymous updates there are refused (HTTP 500).
* ``/sparql-auth`` (HTTP digest, user ``dba`` or one with the ``SPARQL_UPDATE`` role) runs
  updates; ``/sparql-graph-crud-auth`` is the Graph Store Protocol endpoint (digest too);
  ``/sparql-graph-crud`` without login is read-only.
* Its own system graphs (:data:`VIRTUOSO_SYSTEM_GRAPHS`) are hidden from :meth:`graphs` and
  :meth:`quads`; queries see them (in the union default graph, in ``GRAPH ?g``, in the
  service description's list of graphs) unless the server makes them private to its
  anonymous user, as :meth:`wopgraph.virtuoso.Virtuoso.hide_system_graphs` does. (Even then
  ``SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`` still names them; its
  ``input:*-graph-exclude`` pragmas are no way out: with them ``GRAPH <iri>`` finds nothing.)
* It commits an update request operation by operation: a request that fails half-way (a
  server error, not a refusal at parse time) keeps its first operations, and a reader may see
  a multi-graph write (or a Graph Store ``PUT``) half done. No client can do better over HTTP.
* ``INSERT DATA`` takes fewer than about 4,990 triples (its parser runs out of stack), no
  blank node ("not allowed in a constant clause") and no ``xsd:duration`` (SR553, at run
  time). Triples go ``chunk_size`` at a time; those it refuses go in ``INSERT { ... } WHERE
  { }``, ``template_size`` at a time, whole groups of linked blank nodes (Virtuoso turns a
  template into SQL of at most 10,000 lines), their typed literals made by ``STRDT`` (in a
  template it reads ``"70"^^xsd:decimal`` back as an integer, and refuses ``xsd:time``).
* Asked for an "anytime" query (a ``timeout`` parameter, say in the query URL), it answers
  200 with what it found before the limit, flagged only by an ``X-SQL-State`` header: such
  a partial answer is an error here, never served as the answer.
* Blank nodes come back labelled ``nodeID://b10000``: relabelled to valid labels here.
* Results are asked for as XML: Virtuoso's JSON writes ``true`` booleans as ``"1"``.
* ``xsd:duration`` values are stored as a number (``"P12Y"`` comes back as ``"144"``): a
  loss on Virtuoso's side that no client can undo.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES
from wopgraph.sparql_scan import scan
from wopgraph.store import Store

#: Graphs a fresh Virtuoso 7 holds for itself (its RDF views, LDP and service description).
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)
#: Stands for "no graph at all" in the protocol's dataset parameters (which cannot be empty).
EMPTY_GRAPH = "urn:wopgraph:empty-graph"
SELECT_MEDIA_TYPE = "application/sparql-results+xml"
GRAPH_MEDIA_TYPE = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_]+")
_BNODE_ELEMENT = re.compile(rb"<bnode>([^<]*)</bnode>")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TEMPLATE_DATATYPES = frozenset({_XSD + "duration", _XSD + "yearMonthDuration"})
_TEXT_DATATYPES = frozenset(
    {_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
)


class RemoteStoreError(Exception):
    """A SPARQL server that failed or could not be reached: names the endpoint and status."""

    def __init__(self, endpoint: str, status: int | None, message: str):
        self.endpoint = endpoint
        self.status = status
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "unreachable"
        return f"{self.endpoint}: {status}: {self.message}"


def _bnode_label(value: str) -> str:
    """A valid blank node label for a server's label (Virtuoso's ``nodeID://b1`` -> ``b1``)."""
    value = value.removeprefix("nodeID://")
    return value if _PLAIN_LABEL.fullmatch(value) else "x" + value.encode().hex()


def _fix_xml_results(body: bytes) -> bytes:
    """Make a server's XML results readable by Oxigraph: valid blank node labels."""
    return _BNODE_ELEMENT.sub(
        lambda m: b"<bnode>" + _bnode_label(m.group(1).decode()).encode() + b"</bnode>", body
    )


def _triples_result(ntriples: bytes):
    """N-Triples as a pyoxigraph ``QueryTriples`` (via a scratch in-memory store)."""
    scratch = ox.Store()
    scratch.load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")


def _ntriples(quads) -> bytes:
    """The triples of ``quads`` as N-Triples (the graph names dropped)."""
    return ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads],
        format=ox.RdfFormat.N_TRIPLES,
    )


def _templated(quad: ox.Quad) -> bool:
    """Whether ``quad`` must be written by ``INSERT { ... } WHERE { }``: Virtuoso takes no blank
    node in ``INSERT DATA``, nor an ``xsd:duration`` there (SR553), but both in a template."""
    o = quad.object
    return (
        isinstance(quad.subject, ox.BlankNode)
        or isinstance(o, ox.BlankNode)
        or (isinstance(o, ox.Literal) and o.datatype.value in _TEMPLATE_DATATYPES)
    )


def _blank_groups(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """``quads`` grouped so that quads sharing a blank node (directly or through others) are
    in one group, each group with fresh labels of its own; a quad without one is alone."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    alone: list[list[ox.Quad]] = []
    linked = []
    for q in quads:
        blanks = [t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        if not blanks:
            alone.append([q])
            continue
        linked.append((q, blanks[0]))
        if len(blanks) == 2:
            parent[root(blanks[0])] = root(blanks[1])
    groups: dict[ox.BlankNode, list[ox.Quad]] = defaultdict(list)
    for q, blank in linked:
        groups[root(blank)].append(q)
    fresh: dict[ox.BlankNode, ox.BlankNode] = defaultdict(ox.BlankNode)

    def own(term):
        return fresh[term] if isinstance(term, ox.BlankNode) else term

    return alone + [
        [ox.Quad(own(q.subject), q.predicate, own(q.object), q.graph_name) for q in group]
        for group in groups.values()
    ]


def _packed(groups: list[list[ox.Quad]], size: int) -> Iterator[list[ox.Quad]]:
    """Whole groups packed into parts of at most ``size`` quads (a bigger group alone)."""
    part: list[ox.Quad] = []
    for group in groups:
        if part and len(part) + len(group) > size:
            yield part
            part = []
        part += group
    if part:
        yield part


def _template_insert(graph: str, quads: list[ox.Quad]) -> str:
    """``INSERT { GRAPH <graph> { ... } } WHERE { ... }`` adding ``quads``'s triples.

    Typed literals are made by ``STRDT`` in the ``WHERE`` clause: Virtuoso, which reads a
    template's literals as SQL values, would turn ``"70"^^xsd:decimal`` into an
    ``xsd:integer`` and refuse an ``xsd:time`` or an ``xsd:dayTimeDuration``.
    """
    made: dict[ox.Literal, str] = {}

    def term(t) -> str:
        if isinstance(t, ox.Literal) and t.datatype.value not in _TEXT_DATATYPES:
            return made.setdefault(t, f"?v{len(made)}")
        return str(t)

    lines = [f"{term(q.subject)} {q.predicate} {term(q.object)} ." for q in quads]
    binds = [
        f"BIND(STRDT({ox.Literal(lit.value)}, {lit.datatype}) AS {var})"
        for lit, var in made.items()
    ]
    return (
        f"INSERT {{ GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n} }\n"
        "WHERE {\n" + "\n".join(binds) + "\n}"
    )


class RemoteStore(Store):
    """A SPARQL 1.1 server: query, update and (optionally) Graph Store Protocol endpoints.

    Without ``gsp_url``, graphs are written with SPARQL Update, ``chunk_size`` triples per
    ``INSERT DATA`` and ``template_size`` per ``INSERT { ... } WHERE { }`` (blank nodes), in
    requests of at most ``request_size`` triples (``replace_graph`` and ``add`` are then
    atomic only up to that size, and only if the server runs one request as one
    transaction). ``user`` / ``password`` are sent as HTTP basic or digest authentication,
    whichever the server asks for. Graphs in ``hidden_graphs`` are not listed by
    :meth:`graphs` nor returned by :meth:`quads` (nor, on Virtuoso, seen by queries on the
    default dataset).
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        gsp_url: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 120.0,
        page_size: int = 10000,
        chunk_size: int = 2000,
        template_size: int = 400,
        request_size: int = 50000,
        hidden_graphs: Sequence[str] = VIRTUOSO_SYSTEM_GRAPHS,
    ):
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.timeout = timeout
        self.page_size = page_size
        self.chunk_size = chunk_size
        self.template_size = template_size
        self.request_size = request_size
        self.hidden_graphs = frozenset(hidden_graphs)
        handlers: list = []
        if user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.query_url, self.update_url, self.gsp_url} - {None}:
                passwords.add_password(None, url, user, password or "")
            handlers = [
                urllib.request.HTTPDigestAuthHandler(passwords),
                urllib.request.HTTPBasicAuthHandler(passwords),
            ]
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"RemoteStore({self.query_url!r})"

    # -- HTTP --------------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        data: bytes,
        content_type: str,
        accept: str = "*/*",
        method: str = "POST",
        syntax_errors: bool = False,
        whole_answer: bool = False,
    ) -> bytes:
        """Send one request; HTTP errors become :class:`RemoteStoreError` (or SyntaxError), and
        so does, with ``whole_answer``, a partial answer to a query."""
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": content_type, "Accept": accept}
        )
        endpoint = url.split("?", 1)[0]
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                headers = response.headers
        except urllib.error.HTTPError as exc:
            message = exc.read().decode("utf-8", "replace").strip() or exc.reason
            if syntax_errors and exc.code == 400:
                # The protocol answers 400 for a malformed query; the interface says SyntaxError.
                raise SyntaxError(f"{endpoint}: HTTP 400: {message}") from exc
            raise RemoteStoreError(endpoint, exc.code, message[:2000]) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteStoreError(endpoint, None, f"cannot connect: {reason}") from exc
        state = headers.get("X-SQL-State")
        if whole_answer and state:
            # Virtuoso's "anytime" answer: cut at its MaxQueryExecutionTime, yet a 200.
            detail = headers.get("X-SQL-Message", "").strip()
            raise RemoteStoreError(
                endpoint,
                200,
                f"the server sent a partial answer (X-SQL-State: {state} {detail}): it stopped "
                "the query at a time limit of its own (Virtuoso: an anytime query's timeout)",
            )
        return body

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update on the update endpoint."""
        self._request(
            self.update_url,
            urllib.parse.urlencode({"update": sparql}).encode(),
            FORM,
            syntax_errors=True,
        )

    # -- Store: queries ----------------------------------------------------------------------

    def query(
        self,
        sparql,
        *,
        default_graphs=None,
        named_graphs=None,
        union_default_graph=None,
        base_iri=None,
        use_default_prefixes=False,
    ):
        found = scan(sparql, PREFIXES, base_iri)
        prologue = f"BASE <{base_iri}>\n" if base_iri else ""
        if use_default_prefixes:
            # A prologue may declare a prefix again: the query's own declaration wins.
            prologue += "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        params: list[tuple[str, str]] = []
        if default_graphs is not None:
            params += [("default-graph-uri", g) for g in default_graphs or [EMPTY_GRAPH]]
        elif union_default_graph is False and not found.has_dataset:
            params.append(("default-graph-uri", EMPTY_GRAPH))
        if named_graphs is not None:
            params += [("named-graph-uri", g) for g in named_graphs or [EMPTY_GRAPH]]
        graph_form = found.form in ("CONSTRUCT", "DESCRIBE")
        body = self._request(
            self.query_url,
            urllib.parse.urlencode([("query", prologue + sparql), *params]).encode(),
            FORM,
            accept=GRAPH_MEDIA_TYPE if graph_form else SELECT_MEDIA_TYPE,
            syntax_errors=True,
            whole_answer=True,
        )
        if graph_form:
            return _triples_result(body)
        try:
            return ox.parse_query_results(_fix_xml_results(body), format=ox.QueryResultsFormat.XML)
        except (ValueError, SyntaxError) as exc:
            raise RemoteStoreError(self.query_url, 200, f"unreadable results: {exc}") from exc

    def quads(self, graph=None):
        if graph is None:
            return (q for g in self.graphs() for q in self.quads(g))
        return self._graph_quads(graph)

    def _graph_quads(self, graph: str) -> Iterator[ox.Quad]:
        """The quads of one graph, ``page_size`` at a time (ordered, so pages do not overlap)."""
        name = ox.NamedNode(graph)
        offset = 0
        while True:
            page = self.query(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                f"ORDER BY ?s ?p ?o LIMIT {self.page_size} OFFSET {offset}"
            )
            count = 0
            for row in page:
                count += 1
                yield ox.Quad(row["s"], row["p"], row["o"], name)
            if count < self.page_size:
                return
            offset += self.page_size

    def graphs(self):
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(
            row["g"].value
            for row in rows
            if isinstance(row["g"], ox.NamedNode) and row["g"].value not in self.hidden_graphs
        )

    # -- Store: writes -----------------------------------------------------------------------

    def add(self, quads):
        by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
        for q in quads:
            if not isinstance(q.graph_name, ox.NamedNode):
                raise ValueError(f"RemoteStore holds named graphs only, not {q}")
            by_graph[q.graph_name.value].append(q)
        if self.gsp_url:
            for graph, part in by_graph.items():
                self._gsp("POST", graph, part)
            return
        self._run([op for graph, part in by_graph.items() for op in self._inserts(graph, part)])

    def replace_graph(self, graph, quads):
        quads = list(quads)
        if self.gsp_url and quads:
            self._gsp("PUT", graph, quads)  # one request: the server swaps the graph
            return
        self.apply({graph: quads})

    def apply(self, graphs, extra=()):
        """Replace each graph of ``graphs`` (``None`` or empty: drop it) and add ``extra``,
        in one SPARQL Update request when it holds at most ``request_size`` triples (atomic
        then, if the server runs a request as one transaction; Virtuoso does not)."""
        operations: list[tuple[str, int]] = []
        for graph, quads in graphs.items():
            operations.append((f"DROP SILENT GRAPH <{graph}>", 0))
            operations += self._inserts(graph, quads or [])
        by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
        for q in extra:
            by_graph[q.graph_name.value].append(q)
        for graph, quads in by_graph.items():
            operations += self._inserts(graph, quads)
        self._run(operations)

    def _inserts(self, graph: str, quads: list[ox.Quad]) -> list[tuple[str, int]]:
        """The operations that add ``quads``'s triples to ``graph``, with their sizes.

        Most triples go in ``INSERT DATA``, ``chunk_size`` at a time; those Virtuoso refuses
        there (see :func:`_templated`) in ``INSERT { ... } WHERE { }``, ``template_size`` at
        a time, whole groups of linked blank nodes, so that a blank node stays one node.
        """
        plain = [q for q in quads if not _templated(q)]
        operations = []
        for start in range(0, len(plain), self.chunk_size):
            part = plain[start : start + self.chunk_size]
            triples = _ntriples(part).decode()
            operations.append((f"INSERT DATA {{ GRAPH <{graph}> {{\n{triples}}} }}", len(part)))
        templated = [q for q in quads if _templated(q)]
        for part in _packed(_blank_groups(templated), self.template_size):
            operations.append((_template_insert(graph, part), len(part)))
        return operations

    def _run(self, operations: Sequence[tuple[str, int]]) -> None:
        """Send ``operations`` in order, as few requests of at most ``request_size`` triples."""
        request: list[str] = []
        size = 0
        for text, triples in operations:
            if request and size + triples > self.request_size:
                self.update(" ;\n".join(request))
                request, size = [], 0
            request.append(text)
            size += triples
        if request:
            self.update(" ;\n".join(request))

    def _gsp(self, method: str, graph: str, quads: list[ox.Quad]) -> None:
        """Send the triples of ``quads`` to the Graph Store Protocol endpoint for ``graph``."""
        separator = "&" if "?" in self.gsp_url else "?"
        url = self.gsp_url + separator + urllib.parse.urlencode({"graph": graph})
        self._request(url, _ntriples(quads), GRAPH_MEDIA_TYPE, method=method)
