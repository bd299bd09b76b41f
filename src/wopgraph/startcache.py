"""What a start derives from the served data, kept for the next start of the same data.

After the load, a start at a million triples spends seconds on what depends on the data
alone: the graph counts of the service description (:func:`wopgraph.endpoint.summarize`),
the search index, and the rows the model's terms and the shapes' layout are read from
(:meth:`wopgraph.web.site.Site.preload`). They are written to ``start-cache/`` in the build
folder (the ``build_dir`` setting, else :func:`wopgraph.publication.default_folder`), each
file stamped with the *fingerprint* of the data loaded, and read back at the next start
while the fingerprint is the same.

The fingerprint covers the code that derives (every module of the package, the pyoxigraph
version), every source file (its path, target graph, format and the SHA-256 of its bytes)
and the writes of the journal replayed (every record up to its head). Hashing costs about
half a second per 100 MB, so a file's hash is remembered with what :class:`FileState` says
of it (size, times, inode) and reused while that is the same, as ``git``'s index does; like
``git``, a file changed less than :data:`RACY` seconds before it was hashed is hashed again,
since a change within the same clock tick would leave its state as it was. A source that
changes while it is loaded makes the start build everything and keep nothing.

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
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from wopgraph import __version__
from wopgraph.config import Settings
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
#: Seconds a file must have been left alone before its hash is hashed to be remembered.
RACY = 2.0
PACKAGE = Path(__file__).resolve().parent
JSON_RESULTS = ox.QueryResultsFormat.JSON


@dataclass(frozen=True)
class FileState:
    """What tells that a file is unchanged without reading it."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        """The state of ``path`` now (:class:`OSError` if it cannot be read)."""
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)

    def settled(self) -> bool:
        """Whether the file was last changed long enough ago for a change now to show."""
        return time.time() - max(self.mtime_ns, self.ctime_ns) / 1e9 > RACY


class Hashes:
    """The SHA-256 of files, remembered with their state; a file is read only when its
    state is not the one remembered."""

    def __init__(self, known: dict[str, tuple[FileState, str]] | None = None):
        """Start from ``known``: path -> (state, SHA-256)."""
        self.known = dict(known or {})
        self.changed = False

    @classmethod
    def from_json(cls, saved: Any) -> Hashes:
        """The hashes :meth:`to_json` gave (none if ``saved`` is not that)."""
        try:
            known = {
                name: (FileState(**entry["state"]), str(entry["sha256"]))
                for name, entry in saved.items()
            }
        except (KeyError, TypeError, AttributeError):
            return cls()
        return cls(known)

    def to_json(self) -> dict:
        """The hashes as JSON: path -> {state, sha256}."""
        return {
            name: {"state": asdict(state), "sha256": digest}
            for name, (state, digest) in sorted(self.known.items())
        }

    @classmethod
    def read(cls, path: Path) -> Hashes:
        """The hashes remembered in ``path`` (none if it is missing or damaged)."""
        try:
            return cls.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError):
            return cls()

    def write(self, path: Path) -> None:
        """Remember the hashes in ``path`` (whole or not at all)."""
        write_atomic(path, json.dumps(self.to_json(), indent=1).encode())

    def sha256(self, path: Path, state: FileState) -> str:
        """The SHA-256 of ``path``, whose state is ``state`` (:class:`StaleSource` if the
        file changes meanwhile)."""
        name = str(path)
        known = self.known.get(name)
        if known is not None and known[0] == state:
            return known[1]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
        if FileState.of(path) != state:
            raise StaleSource(f"{path} changed while it was read")
        found = digest.hexdigest()
        if state.settled():
            self.known[name] = (state, found)
            self.changed = True
        return found

    def keep_only(self, paths: set[str]) -> None:
        """Forget the files not in ``paths``."""
        for name in set(self.known) - paths:
            del self.known[name]
            self.changed = True


class StaleSource(OSError):
    """A source file changed while it was hashed."""


def file_states(sources: list[Source]) -> dict[Path, FileState]:
    """The state of every source file now."""
    return {s.path.resolve(): FileState.of(s.path.resolve()) for s in sources}


def sources_digest(sources: list[Source], states: dict[Path, FileState], hashes: Hashes) -> str:
    """What identifies the sources: each one's path, graph, format and bytes, in order."""
    digest = hashlib.sha256()
    for source in sources:
        path = source.path.resolve()
        entry = [str(path), source.graph, source.format.media_type]
        digest.update(json.dumps(entry).encode() + b"\n")
        digest.update(hashes.sha256(path, states[path]).encode() + b"\n")
    hashes.keep_only({str(s.path.resolve()) for s in sources})
    return digest.hexdigest()


def journal_digest(journal, head: int) -> str:
    """What identifies the writes replayed: every record of ``journal`` up to ``head``."""
    digest = hashlib.sha256(f"head {head}\n".encode())
    for seq in range(1, head + 1):
        record = journal.record(seq).to_json()
        digest.update(json.dumps(record, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


@functools.cache
def code_digest() -> str:
    """What identifies the code deriving things from the data: every module of the package."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {__version__} {ox.__version__}\n".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(f"{path.relative_to(PACKAGE)}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one whole.

    Not fsync'ed: a cache file torn by a crash fails its checksum and is built again.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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


_attached: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach(store, cache: StartCache) -> None:
    """Note that ``cache`` belongs to the data just loaded into ``store``."""
    _attached[store] = cache


def of(store) -> StartCache:
    """The cache of the data loaded into ``store`` (one keeping nothing if none)."""
    return _attached.get(store) or StartCache()
