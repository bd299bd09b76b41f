"""What a start derives from the served data, kept for the next start of the same data.

After the load, a start at a million triples spends seconds on what depends on the data
alone: the graph counts of the service description (:func:`wopgraph.endpoint.summarize`),
and what the browsing site derives (:meth:`StartCache.site_data`, taken by
:meth:`wopgraph.web.site.Site.preload`): the search index, and the rows the model's terms
and the shapes' layout are read from. They are written to ``start-cache/`` in the build
folder (the ``build_dir`` setting, else :func:`wopgraph.publication.default_folder`), each
file stamped with the *fingerprint* of the data loaded, and read back at the next start
while the fingerprint is the same.

The fingerprint covers the code that derives (every module of the package, the pyoxigraph
version), every source file (its path, target graph, format and the SHA-256 of its bytes,
remembered by file state: :mod:`wopgraph.fingerprints`) and the writes of the journal
replayed (every record up to its head). A source that changes while it is loaded, or that
changed just before, makes the start build everything and keep nothing.

While the store loads (in Oxigraph's Rust code, which lets other threads run), a thread
computes the fingerprint and reads and decodes whatever the cache holds for it, so a warm
start costs little more than the load.

Every file is whole or ignored: written under a temporary name then renamed, with a header
giving its fingerprint and the size and SHA-256 of its content, all checked on reading. A
cache that cannot be read is built again; one that cannot be written is skipped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox

from wopgraph import __version__, layout, search, terms
from wopgraph.config import Settings
from wopgraph.fingerprints import (
    FileState,
    Hashes,
    file_states,
    journal_digest,
    sources_digest,
    write_atomic,
)
from wopgraph.search import SearchIndex
from wopgraph.sources import Source

log = logging.getLogger(__name__)

#: The version of the cache's layout (part of the fingerprint).
CACHE_FORMAT = 1
#: The cache's folder, in the build folder.
FOLDER = "start-cache"
#: Where the hashes of the source files are remembered, in the cache folder.
HASHES = "sources.json"
MAGIC = b"wopgraph start cache\n"
PACKAGE = Path(__file__).resolve().parent
JSON_RESULTS = ox.QueryResultsFormat.JSON


@functools.cache
def code_digest() -> str:
    """What identifies the code deriving things from the data: every module of the package."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {__version__} {ox.__version__}\n".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(f"{path.relative_to(PACKAGE)}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def write_entry(path: Path, fingerprint: str, payload: bytes) -> None:
    """Write a cache file: a header stamping ``payload`` with ``fingerprint``, then it."""
    header = {
        "fingerprint": fingerprint,
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    write_atomic(path, MAGIC + json.dumps(header).encode() + b"\n" + payload)


def read_entry(path: Path, fingerprint: str) -> bytes | None:
    """The content of a cache file if it is whole and stamped with ``fingerprint``."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                return None
            header = json.loads(handle.readline(4096))
            if header.get("fingerprint") != fingerprint:
                return None
            payload = handle.read()
    except (OSError, ValueError, AttributeError):
        return None
    if len(payload) != header.get("size") or (
        hashlib.sha256(payload).hexdigest() != header.get("sha256")
    ):
        log.warning("ignoring the damaged start cache file %s (it is built again)", path)
        return None
    return payload


def parse_rows(data: bytes) -> list[dict[str, Any]]:
    """SPARQL JSON results as rows of {variable: term} (unbound variables left out)."""
    results = ox.parse_query_results(data, format=JSON_RESULTS)
    names = [v.value for v in results.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in results]


#: How each kind of cache file is decoded; ``rows-*`` files hold query results.
DECODERS: dict[str, Callable[[bytes], Any]] = {
    "summary": json.loads,
    "search": SearchIndex.load,
    "rows": parse_rows,
}


def cache_folder(settings: Settings) -> Path:
    """Where the start cache of what ``settings`` serve is kept."""
    from wopgraph.publication import default_folder

    build = Path(settings.build_dir) if settings.build_dir else default_folder(settings)
    return build / FOLDER


class StartCache:
    """The cache of one start: its folder, the fingerprint of the data loaded, and what the
    folder held for that fingerprint, decoded. Without a fingerprint nothing is kept."""

    def __init__(self, folder: Path | None = None):
        """A cache in ``folder``; ``None``: a cache that keeps nothing."""
        self.folder = folder
        self.fingerprint: str | None = None
        self.found: dict[str, Any] = {}
        self._sources: list[Source] = []
        self._states: dict[Path, FileState] = {}
        self._hashes = Hashes()
        self._settled = True
        self._thread: threading.Thread | None = None
        self._warned = False
        self._site: SiteData | None = None

    @classmethod
    def begin(cls, settings: Settings, sources: list[Source], journal, head: int) -> StartCache:
        """Note the state of the ``sources`` before they are loaded and start reading the
        cache for them and the ``journal``'s writes up to ``head``, in a thread; call
        :meth:`finish` once they are loaded."""
        cache = cls(cache_folder(settings))
        try:
            cache._states = file_states(sources)
        except OSError:
            return cls()  # the load reports the file
        cache._sources = sources
        cache._settled = all(state.settled() for state in cache._states.values())
        cache._thread = threading.Thread(
            target=cache._prepare, args=(journal, head), name="wopgraph-start-cache", daemon=True
        )
        cache._thread.start()
        return cache

    def _prepare(self, journal, head: int) -> None:
        """Compute the fingerprint, then read and decode what the folder holds for it."""
        assert self.folder is not None
        try:
            self._hashes = Hashes.read(self.folder / HASHES)
            digest = hashlib.sha256(code_digest().encode())
            digest.update(sources_digest(self._sources, self._states, self._hashes).encode())
            if journal is not None:
                digest.update(journal_digest(journal, head).encode())
            fingerprint = digest.hexdigest()
        except Exception as exc:  # noqa: BLE001 - without a fingerprint, nothing is kept
            log.info("no start cache this time: %s", exc)
            return
        try:
            names = [p.name for p in self.folder.iterdir() if not p.name.startswith(".")]
        except OSError:
            names = []
        for name in names:
            decode = DECODERS.get(name.split("-", 1)[0])
            payload = read_entry(self.folder / name, fingerprint) if decode else None
            if payload is None:
                continue
            try:
                self.found[name] = decode(payload)
            except (ValueError, SyntaxError, TypeError, KeyError) as exc:
                log.warning("ignoring the start cache file %s (%s)", self.folder / name, exc)
        self.fingerprint = fingerprint

    def finish(self) -> StartCache:
        """Wait for the fingerprint; drop it if a source changed since :meth:`begin`."""
        if self._thread is None:
            return self
        self._thread.join()
        self._thread = None
        try:
            unchanged = file_states(self._sources) == self._states
        except OSError:
            unchanged = False
        if not (unchanged and self._settled):
            if self.fingerprint is not None:
                log.info("a source changed just before or during the load: no start cache")
            self.fingerprint, self.found = None, {}
        if self.fingerprint is not None and self._hashes.changed and self.folder is not None:
            self._put_file(HASHES, lambda path: self._hashes.write(path))
        return self

    def _put_file(self, name: str, write: Callable[[Path], None]) -> None:
        """Write one file of the cache, or warn (once) that the folder cannot be written."""
        assert self.folder is not None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write(self.folder / name)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot keep the start cache in %s: %s", self.folder, exc)
                self._warned = True

    def put(self, name: str, payload: bytes) -> None:
        """Keep ``payload`` as ``name`` for the next start of the same data."""
        fingerprint = self.fingerprint
        if fingerprint is None or self.folder is None:
            return
        self._put_file(name, lambda path: write_entry(path, fingerprint, payload))

    def remember(self, name: str, make: Callable[[], Any], to_json, from_json) -> Any:
        """The value cached as ``name`` (read back with ``from_json``), else ``make()``'s,
        kept (as ``to_json`` makes it) for the next start."""
        if name in self.found:
            try:
                return from_json(self.found[name])
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                log.warning("ignoring the start cache's %s (%s)", name, exc)
        value = make()
        self.put(name, json.dumps(to_json(value)).encode())
        return value

    def rows(self, query: str, run: Callable[[str], ox.QuerySolutions]) -> list[dict[str, Any]]:
        """The rows of SELECT ``query``: cached, else ``run(query)``'s (then kept)."""
        name = "rows-" + hashlib.sha256(query.encode()).hexdigest()[:24]
        if name in self.found:
            return self.found[name]
        data = run(query).serialize(format=JSON_RESULTS)
        self.put(name, data)
        return parse_rows(data)

    def search_index(self, build: Callable[[], SearchIndex]) -> SearchIndex:
        """The search index: cached, else ``build()``'s (then kept)."""
        found = self.found.get("search")
        if found is not None:
            return found
        index = build()
        if self.fingerprint is not None:
            self.put("search", index.dump())
        return index

    def site_data(self, store) -> SiteData:
        """What the site derives from the data in the in-memory ``store``: the model's terms,
        the shapes' layout (from their queries' rows) and the search index, taken from the
        cache where it holds them, else built and kept. Made once per start."""
        if self._site is not None:
            return self._site

        def run(query: str) -> ox.QuerySolutions:
            return store.query(query, union_default_graph=True, use_default_prefixes=True)

        def select(query: str, max_rows: int | None = None) -> list[dict[str, Any]]:
            result = run(query)
            names = [v.value for v in result.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in result]

        def cached_select(query: str, max_rows: int | None = None) -> list[dict[str, Any]]:
            return self.rows(query, run)

        self._site = SiteData(
            terms.load(cached_select),
            layout.load(cached_select),
            self.search_index(lambda: search.build(select)),
        )
        return self._site


class SiteData(NamedTuple):
    """What the browsing site derives from the data at start."""

    terms: terms.Terms
    shapes: layout.Shapes
    search_index: SearchIndex


_attached: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach(store, cache: StartCache) -> None:
    """Note that ``cache`` belongs to the data just loaded into ``store``."""
    _attached[store] = cache


def of(store) -> StartCache:
    """The cache of the data loaded into ``store`` (one keeping nothing if none)."""
    return _attached.get(store) or StartCache()
