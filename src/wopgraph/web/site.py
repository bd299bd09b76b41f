"""What the browsing pages share within one process: the base, the backend and the caches.

The graph does not change while the server runs (it is read-only), so what every page needs
and is the same for all (the model's terms, the shapes' layout, counts, the search index, the
map) is computed once per process on first use and kept. Each gunicorn worker fills its own
caches lazily: nothing is computed in the master, so start-up stays as fast as before.

The model's terms, the shapes' layout and the search index of an in-memory store are made in
the master before it forks (:meth:`Site.preload`), or taken from the start cache, except at a
first start of big data: a background process makes them then
(:mod:`wopgraph.startcache`), and each worker reads them from the cache on first use. A
search that finds the index still being built waits for it :data:`WAIT_FOR_SEARCH` seconds,
then answers 503 with ``Retry-After`` (:class:`SearchIndexNotReady`); if that process ended
without making it, the worker builds it itself.

:attr:`Site.fingerprint` names the served data and code; with the request it makes the ETag
of every page, so a repeated request is answered 304 before any query runs.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path

from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

from wopgraph import iris, layout, search, startcache, terms
from wopgraph.dataset import bundle_root
from wopgraph.endpoint import EndpointError
from wopgraph.journal import CHANGES_GRAPH
from wopgraph.labels import Text

WEB = Path(__file__).resolve().parent
#: Seconds a search waits for the index the background process is building, before a 503.
WAIT_FOR_SEARCH = 2.0
#: Seconds a page waits for the model's rows the background process makes (it makes them
#: first, in about a second at 1M triples) before querying them itself.
WAIT_FOR_MODEL = 10.0
#: Seconds a client is asked to wait before searching again.
RETRY_SEARCH = 5


class SearchIndexNotReady(EndpointError, ServiceUnavailable):
    """503: the search index of a first start of big data is still being built.

    An :class:`~wopgraph.endpoint.EndpointError` for ``/sparql`` (a ``SERVICE text:`` block
    needs the index) and an HTTP error for Flask (the search page), with ``Retry-After``.
    """

    MESSAGE = (
        "The search index is being built (a first start of a big dataset takes some seconds); "
        "try again shortly. SPARQL queries and the other pages are answered meanwhile."
    )

    def __init__(self) -> None:
        """With ``Retry-After``: :data:`RETRY_SEARCH`."""
        super().__init__(503, self.MESSAGE, {"Retry-After": str(RETRY_SEARCH)})
        self.retry_after = RETRY_SEARCH


def _newest_mtime(paths: list[Path]) -> float:
    """The newest modification time of the files under ``paths`` (0 when there are none)."""
    newest = 0.0
    for path in paths:
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for folder, _, files in os.walk(path):
                for name in files:
                    newest = max(newest, (Path(folder) / name).stat().st_mtime)
    return newest


class Site:
    """The browsing pages' view of the served graph, with per-process caches."""

    def __init__(self, backend, base: str):
        """``backend`` answers queries (a :class:`~wopgraph.endpoint.Backend`); IRIs: ``base``."""
        self.backend = backend
        self.base = base
        self._caches: dict[str, object] = {}
        self._head = self._backend_head()
        # Set by preload when a background process derives the site's data (see there).
        self._start: startcache.StartCache | None = None
        self._store = None
        self._start_head = self._head

    def _backend_head(self) -> int:
        head = getattr(self.backend, "head", None)
        return head() if callable(head) else 0

    def sync(self) -> None:
        """Drop what a write made stale (once per request: one small file read).

        The model (terms, shapes' layout) cannot be written while serving, so it stays;
        page caches, the search index and the fingerprint are made again on next use.
        """
        head = self._backend_head()
        if head != self._head:
            self._head = head
            self._caches.clear()
            for name in ("search_index", "fingerprint"):
                self.__dict__.pop(name, None)

    def last_change(self, iri: str) -> dict | None:
        """The newest write to a graph describing ``iri``: time, agent, change IRI (or None)."""
        if not self._head:
            return None

        def find():
            rows = self.backend.select(
                f"""SELECT ?change ?time ?agent WHERE {{
                    GRAPH ?g {{ <{iri}> ?p ?o }}
                    GRAPH <{CHANGES_GRAPH}> {{
                        ?change prov:generated/prov:specializationOf ?g ;
                                prov:endedAtTime ?time ;
                                prov:wasAssociatedWith/rdfs:label ?agent }}
                }} ORDER BY DESC(?time) DESC(?change) LIMIT 1""",
                max_rows=1,
            )
            if not rows:
                return None
            change = rows[0]["change"].value
            return {
                "time": rows[0]["time"].value,
                "agent": rows[0]["agent"].value,
                "href": self.href(change),
                "label": "#" + change.rsplit("/", 1)[-1],
            }

        return self.cached(f"last-change {iri}", find)

    @cached_property
    def terms(self) -> terms.Terms:
        """The model's terms (labels, definitions, domains, ranges)."""
        if self._start is not None:
            return self._start.terms(self._store, WAIT_FOR_MODEL)
        return terms.load(self.backend.select)

    @cached_property
    def shapes(self) -> layout.Shapes:
        """The shapes' layout."""
        if self._start is not None:
            return self._start.shapes(self._store, WAIT_FOR_MODEL)
        return layout.load(self.backend.select)

    @cached_property
    def search_index(self) -> search.SearchIndex:
        """The search index (built through the query process when not preloaded).

        While the background process of a first start builds it: the one it keeps in the
        start cache, or :class:`SearchIndexNotReady` if it is not there within
        :data:`WAIT_FOR_SEARCH` seconds (nothing is kept then: the next use asks again).
        """
        if self._start is not None and self._head == self._start_head:
            start, store = self._start, self._store
            index = start.search_index(
                lambda: search.build(start.select_on(store)), wait=WAIT_FOR_SEARCH
            )
            if index is None:
                raise SearchIndexNotReady()
            return index
        return search.build(lambda q: self.backend.select(q, max_rows=10**9))

    def preload(self, store) -> None:
        """Fill the caches straight from an in-memory ``store``, before gunicorn forks.

        The workers then share them (copy-on-write) instead of each building its own on its
        first request: at a million triples the search index takes seconds to build. They
        come from the start cache when a start of the same data made them before, and may
        have been made already while the graphs were counted (:mod:`wopgraph.startcache`).
        At a first start of big data, a background process is making them: each worker then
        takes them from the start cache on first use (the properties above).
        """
        cache = startcache.of(store)
        if cache.in_background:
            self._start, self._store, self._start_head = cache, store, self._head
            return
        made = cache.site_data(store)
        self.terms, self.shapes, self.search_index = made

    @cached_property
    def data_modified(self) -> float:
        """When the served data last changed: the newest source file (or store file)."""
        settings = self.backend.settings
        paths = [Path(p) for p in settings.data] or [
            bundle_root() / "ontology",
            bundle_root() / "data",
        ]
        if settings.store:
            paths.append(Path(settings.store))
        return _newest_mtime(paths) or 0.0

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of what the pages are made from: data, its size, code and templates.

        The data are named by the start cache's fingerprint while their graphs are being
        counted (:class:`~wopgraph.endpoint.LazySummary`), so that no page waits for that.
        """
        summary = self.backend.summary
        named = getattr(summary, "fingerprint", None)
        data = (named,) if named else (summary.graphs, summary.union_triples)
        code = _newest_mtime([WEB.parent])
        seed = repr((*data, self.data_modified, code, self.base, self._head))
        return hashlib.sha256(seed.encode()).hexdigest()[:16]

    def cached(self, key: str, make):
        """The value cached under ``key``, made by ``make()`` on first use."""
        if key not in self._caches:
            self._caches[key] = make()
        return self._caches[key]

    def href(self, iri: str) -> str:
        """Where a link to ``iri`` goes: its local path if under the base, a term's section on
        the ontology page, else the IRI itself (an outbound link)."""
        path = iris.path_for_iri(self.base, iri)
        if path is not None:
            return path
        term = self.terms.get(iri)
        if term is not None and (term.is_class or term.is_property):
            return "/ontology#" + iris.anchor(iri)
        return iri

    def is_local(self, iri: str) -> bool:
        """Whether ``iri`` has a page on this server."""
        return iri.startswith(self.base)

    def label(self, iri: str, lang: str, known=None) -> Text:
        """The label of ``iri``: from ``known`` labels if there, else from the model's terms."""
        if known is not None and known.knows(iri):
            return known.get(iri, lang)
        return self.terms.label(iri, lang)


def site() -> Site:
    """The current app's :class:`Site`."""
    return current_app.extensions["wopgraph.site"]
