"""The triple store behind one interface.

This is the only module that touches a triple store. Everything else asks a :class:`Store`
for query results or quads; results and terms are pyoxigraph objects, whichever backend holds
the data, so that serialisers and renderers need not know where the answer came from.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES
from wopgraph.sparql_scan import scan

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class Store(abc.ABC):
    """What wopgraph needs from a triple store."""

    @abc.abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        union_default_graph: bool | None = None,
        base_iri: str | None = None,
        use_default_prefixes: bool = False,
    ) -> QueryResult:
        """Run a SPARQL query on the dataset given, as the SPARQL 1.1 Protocol requires.

        A list of ``default_graphs`` / ``named_graphs`` replaces that part of the dataset,
        even when empty; ``None`` leaves it to the query's ``FROM`` / ``FROM NAMED`` clauses,
        or else to the store: all named graphs, and as default graph the union of all graphs.
        ``union_default_graph`` forces (True) or forbids (False) that union; ``None`` (the
        default) uses it unless the query has ``FROM`` clauses. Relative IRIs resolve
        against ``base_iri``. With ``use_default_prefixes`` the usual wopgraph prefixes need
        not be declared. Raises :class:`SyntaxError` for a malformed query.
        """

    @abc.abstractmethod
    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads (atomically)."""

    @abc.abstractmethod
    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Replace the content of the named graph ``graph`` with ``quads`` (atomically)."""

    def apply(
        self, graphs: Mapping[str, list[ox.Quad] | None], extra: Sequence[ox.Quad] = ()
    ) -> None:
        """Replace each graph of ``graphs`` by its new content (``None``: drop it) and add the
        ``extra`` quads, atomically where the backend can (one transaction)."""
        for graph, quads in graphs.items():
            self.replace_graph(graph, quads or [])
        if extra:
            self.add(extra)

    @abc.abstractmethod
    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Iterate over all quads, or those of one named graph."""

    @abc.abstractmethod
    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""

    def matching(
        self, subject: str | None, predicate: str | None, object: str | None
    ) -> Iterator[ox.Quad]:
        """The quads of every graph, default and named, with these IRIs where given
        (``None``: any term): what a triple pattern matches in the union default graph.

        This default asks :meth:`query` (and so gives each triple once, in the default
        graph); a store with its own index reads the quads one by one.
        """
        given = {"s": subject, "p": predicate, "o": object}
        terms = " ".join(f"<{iri}>" if iri else f"?{name}" for name, iri in given.items())
        for row in self.query(f"SELECT * WHERE {{ {terms} }}", union_default_graph=True):
            yield ox.Quad(*(ox.NamedNode(iri) if iri else row[name] for name, iri in given.items()))

    def __len__(self) -> int:
        return sum(1 for _ in self.quads())


class OxigraphStore(Store):
    """The embedded store: Oxigraph in memory, or on disk when given a path."""

    def __init__(self, path: str | None = None):
        self._store = ox.Store(path) if path else ox.Store()

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
        kwargs: dict = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            if union_default_graph is None:
                # Oxigraph's union flag would override the query's own FROM clauses.
                union_default_graph = not scan(sparql, PREFIXES, base_iri).has_dataset
            if union_default_graph:
                kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if base_iri:
            kwargs["base_iri"] = base_iri
        if use_default_prefixes:
            kwargs["prefixes"] = PREFIXES
        return self._store.query(sparql, **kwargs)

    def add(self, quads):
        self._store.extend(list(quads))

    def replace_graph(self, graph, quads):
        triples = ox.serialize(
            [ox.Triple(q.subject, q.predicate, q.object) for q in quads],
            format=ox.RdfFormat.N_TRIPLES,
        ).decode()
        # One SPARQL Update is one transaction: readers never see the graph half-replaced.
        self._store.update(
            f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"
        )

    def apply(self, graphs, extra=()):
        # One SPARQL Update is one transaction: a reader never sees half of a write.
        parts = []
        for graph, quads in graphs.items():
            parts.append(f"DROP SILENT GRAPH <{graph}>")
            if quads:
                parts.append(_insert_data(graph, quads))
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in extra:
            by_graph.setdefault(q.graph_name.value, []).append(q)
        parts += [_insert_data(g, qs) for g, qs in by_graph.items()]
        if parts:
            self._store.update(" ;\n".join(parts))

    def load_file(
        self,
        path: str,
        format: ox.RdfFormat,
        graph: str | None = None,
        base_iri: str | None = None,
        lenient: bool = False,
    ) -> None:
        """Parse the file at ``path`` straight into the store (triples into ``graph``).

        Faster and leaner than parsing into Python quads first: 1M N-Quads load in about 3 s
        and 0.4 GiB, against 4.6 s and 1.1 GiB. Raises :class:`SyntaxError` on bad input.
        ``lenient`` skips the validation of IRIs and language tags (about a quarter faster):
        only for bytes that passed it before, since invalid ones would then be loaded as
        they are instead of being reported.
        """
        self._store.load(
            path=str(path),
            format=format,
            base_iri=base_iri,
            to_graph=ox.NamedNode(graph) if graph else None,
            lenient=lenient,
        )

    def quads(self, graph=None):
        if graph is None:
            return iter(self._store)
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def graphs(self):
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def matching(self, subject, predicate, object):
        terms = [ox.NamedNode(iri) if iri else None for iri in (subject, predicate, object)]
        return self._store.quads_for_pattern(*terms, None)  # lazily, from the index

    def __len__(self):
        return len(self._store)

    def flush(self) -> None:
        """Write what an on-disk store holds in memory to its files, for read-only openers."""
        self._store.flush()

    @classmethod
    def open_read_only(cls, path: str) -> OxigraphStore:
        """Open the on-disk store at ``path`` read-only (several processes may do so at once)."""
        store = cls.__new__(cls)
        store._store = ox.Store.read_only(str(path))
        return store


def _insert_data(graph: str, quads: Iterable[ox.Quad]) -> str:
    """An ``INSERT DATA`` of ``quads``'s triples into ``graph``.

    Blank nodes get fresh labels: SPARQL Update forbids one label in two blocks of a request,
    and a graph is a document of its own (a blank node is never shared between graphs).
    """
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def own(term):
        if isinstance(term, ox.BlankNode):
            if term not in fresh:
                fresh[term] = ox.BlankNode()
            return fresh[term]
        return term

    triples = ox.serialize(
        [ox.Triple(own(q.subject), q.predicate, own(q.object)) for q in quads],
        format=ox.RdfFormat.N_TRIPLES,
    ).decode()
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"


def open_store(location: str | None = None) -> Store:
    """Open the store at ``location``: ``None`` for memory, a folder path for Oxigraph on disk,
    an ``http://`` or ``https://`` URL for a SPARQL server (the URL of its query endpoint).

    A server's other endpoints and login come from the environment: ``WOPGRAPH_STORE_UPDATE``
    (the update endpoint; default: the query URL), ``WOPGRAPH_STORE_GSP`` (a Graph Store
    Protocol endpoint; default: none, graphs are written with SPARQL Update),
    ``WOPGRAPH_STORE_USER`` and ``WOPGRAPH_STORE_PASSWORD`` (HTTP basic or digest login).
    """
    if location and location.startswith(("http://", "https://")):
        from wopgraph.remote import RemoteStore

        env = os.environ
        return RemoteStore(
            location,
            env.get("WOPGRAPH_STORE_UPDATE") or None,
            env.get("WOPGRAPH_STORE_GSP") or None,
            user=env.get("WOPGRAPH_STORE_USER") or None,
            password=env.get("WOPGRAPH_STORE_PASSWORD") or None,
        )
    return OxigraphStore(location)
