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

*Lenient parsing.* A source whose bytes an earlier load parsed with full validation (its
SHA-256, remembered with its file state, is in ``validated.json``; see
:class:`~wopgraph.fingerprints.Validated`) is parsed without validating IRIs and language
tags, a quarter faster. That is decided before the load from the file states alone (no file
is read); a changed or new file is parsed strictly, so its errors are reported as always.
If a file leniently parsed changes while it is loaded, :attr:`StartCache.trusted` is false
and the caller loads everything again, strictly.

*A first start of big data* (over :data:`BACKGROUND_ABOVE` quads) does not derive anything
before it serves: :meth:`StartCache.derive_in_background` forks two processes (sharing the
loaded store copy-on-write), one counting the graphs, one building the site's data, each
writing into the cache, and the server answers queries meanwhile. Whoever needs a part
(the workers' pages, the service description) reads it from the cache, waiting a bounded
time while the process making it runs (:meth:`StartCache.wait_for`), and makes it itself if
that process ended without it.

Every file is whole or ignored: written under a temporary name then renamed, with a header
giving its fingerprint and the size and SHA-256 of its content, all checked on reading. A
cache that cannot be read is built again; one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import select
import threading
import time
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
    Validated,
    file_states,
    journal_digest,
    sources_digest,
    validation_key,
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
#: Which sources' bytes were parsed with full validation, in the cache folder.
VALIDATED = "validated.json"
#: Above this many quads, a first start derives the site's data and the graph counts in a
#: background process while it already serves (at 1M quads they take 5-7 s).
BACKGROUND_ABOVE = 100_000
#: Seconds between two looks for a cache file the background process is making.
POLL = 0.05
#: How much lower the priority of the process building the site's data is (see ``nice``).
SITE_NICE = 10
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


def rows_name(query: str) -> str:
    """The name of the cache file holding the rows of SELECT ``query``."""
    return "rows-" + hashlib.sha256(query.encode()).hexdigest()[:24]


class Background:
    """A process forked to derive what the start cache keeps, while the server serves.

    The processes forked from this one later (gunicorn's workers) see it end, however it
    ends, through a pipe: it holds the only writing end, which closes when it exits.
    """

    def __init__(self, pid: int, ended: int):
        """The process ``pid``; ``ended``: the reading end of its pipe."""
        self.pid = pid
        self._ended = ended

    @classmethod
    def start(cls, work: Callable[[], object], nice: int = 0) -> Background:
        """Fork a process that runs ``work()`` and exits (without running this one's code),
        ``nice`` steps below this one's priority; it leaves as soon as this one is gone."""
        ended, end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(ended)
                threading.Thread(target=_leave_without, args=(parent,), daemon=True).start()
                if nice:
                    os.nice(nice)
                work()
                code = 0
            except BaseException:  # logged; the others make what is missing themselves
                log.exception("deriving the start cache in the background failed")
            finally:
                os._exit(code)
        os.close(end)
        return cls(pid, ended)

    def running(self) -> bool:
        """Whether the process still runs (its pipe is not at its end yet)."""
        readable, _, _ = select.select([self._ended], [], [], 0)
        if not readable:
            return True
        # Reap it if it is ours (in gunicorn's workers it is not; the master may reap first).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)
        return False


def _leave_without(parent: int) -> None:
    """End this process once ``parent`` is gone: what it derives is for that server only
    (stopping the server stops it, at the latest a second later)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


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
        self._validated = Validated()
        #: The sources to parse leniently: their bytes were validated by an earlier load.
        self.lenient: frozenset[Source] = frozenset()
        #: Whether the sources were unchanged from :meth:`begin` to :meth:`finish`.
        self.trusted = True
        #: The background processes deriving, by what they make ("summary", "site").
        self._background: dict[str, Background] = {}

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
        assert cache.folder is not None
        cache._hashes = Hashes.read(cache.folder / HASHES)
        cache._validated = Validated.read(cache.folder / VALIDATED)
        cache.lenient = frozenset(s for s in sources if cache._validated_before(s))
        cache._thread = threading.Thread(
            target=cache._prepare, args=(journal, head), name="wopgraph-start-cache", daemon=True
        )
        cache._thread.start()
        return cache

    def _validation_key(self, source: Source) -> str | None:
        """The :func:`~wopgraph.fingerprints.validation_key` of ``source``'s bytes as they
        were at :meth:`begin`, if their hash is known without reading them."""
        path = source.path.resolve()
        state = self._states[path]
        sha256 = self._hashes.known_sha256(path, state) if state.settled() else None
        return validation_key(source, sha256) if sha256 is not None else None

    def _validated_before(self, source: Source) -> bool:
        """Whether ``source``'s bytes, as they are now, passed a strict parse before."""
        key = self._validation_key(source)
        return key is not None and key in self._validated.keys

    def _prepare(self, journal, head: int) -> None:
        """Compute the fingerprint, then read and decode what the folder holds for it."""
        assert self.folder is not None
        try:
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
        self.trusted = unchanged
        if not (unchanged and self._settled):
            if self.fingerprint is not None:
                log.info("a source changed just before or during the load: no start cache")
            self.fingerprint, self.found = None, {}
        if self.fingerprint is not None and self._hashes.changed and self.folder is not None:
            self._put_file(HASHES, lambda path: self._hashes.write(path))
        return self

    def distrust(self) -> None:
        """Keep nothing from this start (what was loaded is not what was fingerprinted)."""
        self.trusted = False
        self.fingerprint, self.found = None, {}

    def loaded(self) -> None:
        """Note that the sources were loaded: those parsed strictly passed the validation, so
        the next load of the same bytes may be lenient (only sources unchanged since
        :meth:`begin`, whose hash is known, are noted)."""
        if self.folder is None or not self.trusted:
            return
        keys = {key for key in map(self._validation_key, self._sources) if key is not None}
        if keys != self._validated.keys:
            self._validated = Validated(keys)
            self._put_file(VALIDATED, self._validated.write)

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

    def fetch(self, name: str) -> Any | None:
        """What the cache holds as ``name``, decoded: found at :meth:`begin`, else read from
        the folder now (the background process may have written it since)."""
        if name in self.found:
            return self.found[name]
        decode = DECODERS.get(name.split("-", 1)[0])
        if self.fingerprint is None or self.folder is None or decode is None:
            return None
        payload = read_entry(self.folder / name, self.fingerprint)
        if payload is None:
            return None
        try:
            self.found[name] = decode(payload)
        except (ValueError, SyntaxError, TypeError, KeyError) as exc:
            log.warning("ignoring the start cache file %s (%s)", self.folder / name, exc)
            return None
        return self.found[name]

    def wait_for(self, name: str, timeout: float) -> Any | None:
        """:meth:`fetch` ``name``, waiting up to ``timeout`` seconds while the background
        process (if any) runs; ``None`` if it is not there (see :meth:`deriving`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.fetch(name)
            if found is not None:
                return found
            if not self.deriving(name):
                return self.fetch(name)  # it may have been written as the process ended
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL)

    @property
    def in_background(self) -> bool:
        """Whether a background process was started to derive the site's data and counts."""
        return bool(self._background)

    def deriving(self, name: str = "search") -> bool:
        """Whether the background process that makes cache file ``name`` still runs."""
        process = self._background.get("summary" if name == "summary" else "site")
        return process is not None and process.running()

    def can_keep(self) -> bool:
        """Whether what is derived can be kept: a fingerprint, and a folder to write in."""
        if self.fingerprint is None or self.folder is None:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(self.folder, os.W_OK)

    def derive_in_background(self, store, count: Callable[[], object]) -> None:
        """Fork the processes that derive, from the in-memory ``store`` (shared with them
        copy-on-write), the site's data (the model's rows first: every page needs them) and
        ``count()`` (which keeps the graph counts), each kept in the cache as soon as made.
        Call only when :meth:`can_keep`.

        Two processes, not two threads: pyoxigraph holds the GIL while it evaluates a query,
        so a thread counting beside the site's data took as long as both one after the other.
        The site's process runs at a lower priority: the queries served, and the counts (the
        service description's), come first.
        """
        self._background = {
            "summary": Background.start(count),
            "site": Background.start(lambda: self.site_data(store), nice=SITE_NICE),
        }
        pids = ", ".join(str(p.pid) for p in self._background.values())
        log.info("deriving the graph counts and the site's data in the background (%s)", pids)

    def rows(
        self, query: str, run: Callable[[str], ox.QuerySolutions], wait: float = 0.0
    ) -> list[dict[str, Any]]:
        """The rows of SELECT ``query``: cached (waiting up to ``wait`` seconds while the
        background process runs), else ``run(query)``'s (then kept)."""
        name = rows_name(query)
        found = self.wait_for(name, wait) if wait else self.found.get(name)
        if found is not None:
            return found
        data = run(query).serialize(format=JSON_RESULTS)
        self.put(name, data)
        return parse_rows(data)

    def search_index(
        self, build: Callable[[], SearchIndex], wait: float = 0.0
    ) -> SearchIndex | None:
        """The search index: cached, else ``build()``'s (then kept). With ``wait``: the one
        the background process makes, waited for up to ``wait`` seconds; ``None`` if it is
        still making it then (``build()`` only if it ended without)."""
        found = self.wait_for("search", wait) if wait else self.found.get("search")
        if found is not None:
            return found
        if wait and self.deriving("search"):
            return None
        index = build()
        if self.fingerprint is not None:
            self.put("search", index.dump())
        return index

    @staticmethod
    def _runner(store) -> Callable[[str], ox.QuerySolutions]:
        """How the site's queries run on the in-memory ``store``."""

        def run(query: str) -> ox.QuerySolutions:
            return store.query(query, union_default_graph=True, use_default_prefixes=True)

        return run

    def select_on(self, store) -> Callable[..., list[dict[str, Any]]]:
        """A ``select(query, max_rows)`` running straight on the in-memory ``store``."""
        run = self._runner(store)

        def select(query: str, max_rows: int | None = None) -> list[dict[str, Any]]:
            result = run(query)
            names = [v.value for v in result.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in result]

        return select

    def _cached_select(self, store, wait: float) -> Callable[..., list[dict[str, Any]]]:
        """A ``select`` whose rows are cached (see :meth:`rows`)."""
        run = self._runner(store)

        def cached_select(query: str, max_rows: int | None = None) -> list[dict[str, Any]]:
            return self.rows(query, run, wait)

        return cached_select

    def terms(self, store, wait: float = 0.0) -> terms.Terms:
        """The model's terms, from cached rows (see :meth:`rows`) or the ``store``."""
        return terms.load(self._cached_select(store, wait))

    def shapes(self, store, wait: float = 0.0) -> layout.Shapes:
        """The shapes' layout, from cached rows (see :meth:`rows`) or the ``store``."""
        return layout.load(self._cached_select(store, wait))

    def site_data(self, store) -> SiteData:
        """What the site derives from the data in the in-memory ``store``: the model's terms,
        the shapes' layout (from their queries' rows) and the search index, taken from the
        cache where it holds them, else built and kept. Made once per start."""
        if self._site is not None:
            return self._site
        # The model first: every page needs it, the search pages only the index.
        model, shapes = self.terms(store), self.shapes(store)
        index = self.search_index(lambda: search.build(self.select_on(store)))
        assert index is not None
        self._site = SiteData(model, shapes, index)
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
