"""A :class:`~wopgraph.store.Store` on any SPARQL 1.1 server, over HTTP.

Queries go to the server's SPARQL 1.1 Protocol endpoint (HTTP POST), updates to its update
endpoint, and whole graphs, when a Graph Store Protocol endpoint is configured, to that (one
``PUT`` replaces a graph in one request). Answers come back as pyoxigraph objects, as from the
embedded store: SELECT and ASK results are parsed by :func:`pyoxigraph.parse_query_results`;
CONSTRUCT and DESCRIBE answers are N-Triples, loaded into a scratch in-memory Oxigraph store
and returned as its genuine ``QueryTriples`` (which Python cannot construct directly), so
writers and renderers need not know where an answer came from.

Virtuoso 7 (Debian's ``virtuoso-opensource``), as tested in ``tests/test_remote_store.py``:

* ``/sparql`` answers queries; its default graph, with no ``FROM``, is the union of all
  graphs, as wopgraph's own store does. Anonymous updates there are refused (HTTP 500).
* ``/sparql-auth`` (HTTP digest, user ``dba`` or one with the ``SPARQL_UPDATE`` role) runs
  updates; ``/sparql-graph-crud-auth`` is the Graph Store Protocol endpoint (digest too);
  ``/sparql-graph-crud`` without login is read-only.
* Its own system graphs (:data:`VIRTUOSO_SYSTEM_GRAPHS`) are hidden from :meth:`graphs` and
  :meth:`quads`; they still take part in the union default graph of queries.
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
from collections.abc import Iterator, Sequence

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
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_]+")
_BNODE_ELEMENT = re.compile(rb"<bnode>([^<]*)</bnode>")


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


class RemoteStore(Store):
    """A SPARQL 1.1 server: query, update and (optionally) Graph Store Protocol endpoints.

    Without ``gsp_url``, graphs are written with SPARQL Update (``INSERT DATA``, in chunks of
    ``chunk_size`` triples; ``replace_graph`` is then atomic only if the server runs one
    request as one transaction). ``user`` / ``password`` are sent as HTTP basic or digest
    authentication, whichever the server asks for. Graphs in ``hidden_graphs`` are not
    listed by :meth:`graphs` nor returned by :meth:`quads`.
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
        chunk_size: int = 5000,
        hidden_graphs: Sequence[str] = VIRTUOSO_SYSTEM_GRAPHS,
    ):
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.timeout = timeout
        self.page_size = page_size
        self.chunk_size = chunk_size
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
    ) -> bytes:
        """Send one request; HTTP errors become :class:`RemoteStoreError` (or SyntaxError)."""
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": content_type, "Accept": accept}
        )
        endpoint = url.split("?", 1)[0]
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            message = exc.read().decode("utf-8", "replace").strip() or exc.reason
            if syntax_errors and exc.code == 400:
                # The protocol answers 400 for a malformed query; the interface says SyntaxError.
                raise SyntaxError(f"{endpoint}: HTTP 400: {message}") from exc
            raise RemoteStoreError(endpoint, exc.code, message[:2000]) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteStoreError(endpoint, None, f"cannot connect: {reason}") from exc

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update on the update endpoint."""
        self._request(
            self.update_url,
            urllib.parse.urlencode({"update": sparql}).encode(),
            "application/x-www-form-urlencoded",
            syntax_errors=True,
        )

    # -- Store -------------------------------------------------------------------------------

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
        form = scan(sparql, PREFIXES, base_iri).form
        prologue = f"BASE <{base_iri}>\n" if base_iri else ""
        if use_default_prefixes:
            # A prologue may declare a prefix again: the query's own declaration wins.
            prologue += "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        params: list[tuple[str, str]] = [("query", prologue + sparql)]
        if default_graphs is not None:
            params += [("default-graph-uri", g) for g in default_graphs or [EMPTY_GRAPH]]
        elif union_default_graph is False and not scan(sparql, PREFIXES, base_iri).has_dataset:
            params.append(("default-graph-uri", EMPTY_GRAPH))
        if named_graphs is not None:
            params += [("named-graph-uri", g) for g in named_graphs or [EMPTY_GRAPH]]
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        body = self._request(
            self.query_url,
            urllib.parse.urlencode(params).encode(),
            "application/x-www-form-urlencoded",
            accept=GRAPH_MEDIA_TYPE if graph_form else SELECT_MEDIA_TYPE,
            syntax_errors=True,
        )
        if graph_form:
            return _triples_result(body)
        try:
            return ox.parse_query_results(_fix_xml_results(body), format=ox.QueryResultsFormat.XML)
        except (ValueError, SyntaxError) as exc:
            raise RemoteStoreError(self.query_url, 200, f"unreadable results: {exc}") from exc

    def add(self, quads):
        by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
        for q in quads:
            if not isinstance(q.graph_name, ox.NamedNode):
                raise ValueError(f"RemoteStore holds named graphs only, not {q}")
            by_graph[q.graph_name.value].append(q)
        for graph, part in by_graph.items():
            if self.gsp_url:
                self._gsp("POST", graph, part)
            else:
                self._insert(graph, part)

    def replace_graph(self, graph, quads):
        quads = list(quads)
        if not quads:  # Virtuoso rejects an empty INSERT DATA
            self.update(f"DROP SILENT GRAPH <{graph}>")
            return
        if self.gsp_url:
            self._gsp("PUT", graph, quads)  # one request: the server swaps the graph
            return
        first, rest = quads[: self.chunk_size], quads[self.chunk_size :]
        triples = _ntriples(first).decode()
        self.update(
            f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"
        )
        if rest:
            self._insert(graph, rest)

    def _gsp(self, method: str, graph: str, quads: list[ox.Quad]) -> None:
        """Send the triples of ``quads`` to the Graph Store Protocol endpoint for ``graph``."""
        separator = "&" if "?" in self.gsp_url else "?"
        url = self.gsp_url + separator + urllib.parse.urlencode({"graph": graph})
        self._request(url, _ntriples(quads), GRAPH_MEDIA_TYPE, method=method)

    def _insert(self, graph: str, quads: list[ox.Quad]) -> None:
        """``INSERT DATA`` into ``graph``, ``chunk_size`` triples per request.

        A blank node split across two chunks becomes two blank nodes: chunks are cut between
        subjects where possible, so a blank node's own triples stay together.
        """
        quads = sorted(quads, key=lambda q: str(q.subject))
        start = 0
        while start < len(quads):
            end = min(start + self.chunk_size, len(quads))
            while end < len(quads) and quads[end].subject == quads[end - 1].subject:
                end += 1
            triples = _ntriples(quads[start:end]).decode()
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}")
            start = end

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
