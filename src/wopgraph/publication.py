"""The served dataset's dumps and VoID/DCAT description, built into a folder at start.

:func:`prepare` runs once, when the web app is made (in gunicorn's master, before the workers
fork). It computes a fingerprint of what is served (the bytes of every source file, or the
on-disk store's path and graph sizes) and compares it with the stamp the last build left in
the folder. When they agree and the files are still as built, the build is reused; otherwise
:func:`wopgraph.build.build` writes every dump and ``void.ttl`` again (from the served data,
enrichment graphs included). A lock keeps two servers from building into one folder at once.
If no folder can be written, the description is computed in memory, without dumps.

The description is built with the canonical base ``https://w3id.org/wop/``;
:meth:`Publication.description_for` moves its download URLs, endpoint and home page to the
base a request is served from.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox

from wopgraph import __version__, void
from wopgraph.build import build, source_date
from wopgraph.config import Settings
from wopgraph.dataset import Dataset, bundle_root
from wopgraph.fingerprints import FileState, Hashes
from wopgraph.namespaces import BASE, PREFIXES
from wopgraph.sources import Source
from wopgraph.writers import GRAPH_FORMATS, PREFIXED

STAMP = ".wopgraph-published.json"
LOCK = ".wopgraph-build.lock"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedFile:
    """One downloadable dump: its path in the folder, size, checksum, media type, graph."""

    name: str
    size: int
    sha256: str
    media_type: str
    graph: str | None = None
    mtime_ns: int = 0


@dataclass
class Publication:
    """What ``/dumps/`` and ``/.well-known/void`` serve."""

    folder: Path | None
    modified: str
    description: list[ox.Quad]
    files: dict[str, PublishedFile] = field(default_factory=dict)

    def path(self, name: str) -> Path | None:
        """The file of dump ``name``, if it is one."""
        if self.folder is None or name not in self.files:
            return None
        return self.folder / name

    @property
    def modified_at(self) -> datetime:
        """The dataset's modification time (that of its sources)."""
        return datetime.fromisoformat(self.modified.replace("Z", "+00:00"))

    def description_for(self, base: str) -> list[ox.Triple]:
        """The description with its locations (dumps, endpoint, home page) under ``base``."""

        def move(term):
            """``term`` moved under ``base`` if it is a location."""
            if not isinstance(term, ox.NamedNode) or base == BASE:
                return term
            iri = term.value
            if iri.startswith(BASE + "dumps/") or iri in (BASE + "sparql", BASE):
                return ox.NamedNode(base + iri[len(BASE) :])
            return term

        return [ox.Triple(move(q.subject), q.predicate, move(q.object)) for q in self.description]


def default_folder(settings: Settings) -> Path:
    """``build/`` of the project for the bundled data, else a folder per data set in /tmp."""
    if not settings.data and not settings.store:
        return bundle_root() / "build"
    key = hashlib.sha256(
        json.dumps([settings.store, sorted(str(Path(p).resolve()) for p in settings.data)]).encode()
    ).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "wopgraph-published" / key


def size_of(summary: object) -> int:
    """How big the served data are, to choose where to build the dumps: the triples of the
    union, or, while a first start of big data still counts them in the background
    (:class:`~wopgraph.endpoint.LazySummary`), the quads loaded (never fewer), so that the
    choice never waits for the counts."""
    hint = getattr(summary, "size_hint", None)
    return hint() if callable(hint) else getattr(summary, "union_triples", 0)


def fingerprint(
    sources: list[Source] | None, store_summary: object = None, hashes: Hashes | None = None
) -> str:
    """What identifies the served data: every source's path and bytes, or the store's summary.

    A source's bytes count by their SHA-256, taken from ``hashes`` while the file's size, times
    and inode are those it was hashed with (:class:`~wopgraph.fingerprints.Hashes`), so that
    an unchanged 200 MB source is not read again at every start and every look for a build.
    """
    hashes = hashes if hashes is not None else Hashes()
    digest = hashlib.sha256(f"wopgraph {__version__}\n".encode())
    for source in sources or []:
        path = source.path.resolve()
        digest.update(f"{path}\t{source.graph}\n".encode())
        digest.update(bytes.fromhex(hashes.sha256(path, FileState.of(path))))
    if store_summary is not None:
        digest.update(repr(store_summary).encode())
    return digest.hexdigest()


#: The hashes of source files this process knows, per build folder (see :func:`known_hashes`).
_HASHES: dict[Path, Hashes] = {}


def known_hashes(folder: Path) -> Hashes:
    """The source hashes of this process for the build ``folder``: at first use, those the
    start cache of that folder remembers (:mod:`wopgraph.startcache`), then what this process
    hashed itself."""
    if folder not in _HASHES:
        from wopgraph.startcache import FOLDER, HASHES

        _HASHES[folder] = Hashes.read(folder / FOLDER / HASHES)
    return _HASHES[folder]


@contextmanager
def _locked(folder: Path):
    """Hold an exclusive lock on ``folder`` (created if needed) while building in it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load(folder: Path, stamp: str) -> Publication | None:
    """The publication a previous build left in ``folder``, if it matches ``stamp``."""
    try:
        saved = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("fingerprint") != stamp:
        return None
    files = [PublishedFile(**f) for f in saved["files"]]
    for f in files:
        stat = (folder / f.name).stat() if (folder / f.name).exists() else None
        if stat is None or stat.st_size != f.size or stat.st_mtime_ns != f.mtime_ns:
            return None
    try:
        quads = list(ox.parse(path=str(folder / "void.ttl"), format=ox.RdfFormat.TURTLE))
    except (OSError, SyntaxError):
        return None
    description = [ox.Quad(q.subject, q.predicate, q.object, void.VOID_GRAPH) for q in quads]
    dumps = {f.name: f for f in files if f.name != "void.ttl"}
    return Publication(folder, saved["modified"], description, dumps)


def _build(dataset: Dataset, folder: Path, stamp: str) -> Publication:
    """Build every dump and ``void.ttl`` into ``folder`` and leave a stamp."""
    modified = source_date(dataset)
    written = build(dataset, folder)
    files = []
    for dump in written:
        stat = dump.path.stat()
        name = dump.path.relative_to(folder).as_posix()
        files.append(
            PublishedFile(
                name, dump.size, dump.sha256, dump.media_type, dump.graph, stat.st_mtime_ns
            )
        )
    saved = {"fingerprint": stamp, "modified": modified, "files": [asdict(f) for f in files]}
    (folder / STAMP).write_text(json.dumps(saved, indent=1), encoding="utf-8")
    built = _load(folder, stamp)
    if built is None:  # another process changed the files meanwhile: try the next folder
        raise OSError(f"the build in {folder} changed while it was being written")
    return built


def _store_dataset(path: str) -> Dataset:
    """The content of an on-disk store as a dataset (read in a child process only)."""
    from wopgraph.store import OxigraphStore

    store = OxigraphStore.open_read_only(path)
    return Dataset([(Source(Path(path), None, ox.RdfFormat.N_QUADS), list(store.quads()))])


def _in_memory(dataset: Dataset) -> Publication:
    """The description without dumps, when no folder can be written."""
    modified = source_date(dataset)
    stats = void.statistics(dataset.to_store())
    return Publication(None, modified, void.describe(stats, [], modified))


def prepare(settings: Settings, summary: object = None) -> Publication:
    """Reuse or build the publication of what ``settings`` serve (module docstring)."""
    from wopgraph.endpoint import in_child_process, is_remote, read_dataset, served_sources

    # A remote store is published like the in-memory one, from the served files.
    on_disk_only = bool(settings.store) and not settings.data and not is_remote(settings)
    folder = Path(settings.build_dir) if settings.build_dir else default_folder(settings)
    sources = None if on_disk_only else served_sources(settings)
    stamp = fingerprint(sources, summary, known_hashes(folder))
    fallback = Path(tempfile.gettempdir()) / "wopgraph-published" / stamp[:16]
    for candidate in dict.fromkeys([folder, fallback]):
        try:
            with _locked(candidate):
                found = _load(candidate, stamp)
                if found is not None:
                    return found
                if on_disk_only:  # never open the store in this process (see load_store)
                    return in_child_process(
                        lambda folder=candidate: _build(
                            _store_dataset(settings.store), folder, stamp
                        )
                    )
                return _build(read_dataset(settings), candidate, stamp)
        except OSError as exc:
            log.warning("cannot write the dumps to %s: %s", candidate, exc)
    if on_disk_only:
        store = settings.store
        return in_child_process(lambda: _in_memory(_store_dataset(store)))
    return _in_memory(read_dataset(settings))


@dataclass
class Pending:
    """A publication being built by a child process; :meth:`poll` picks it up when done."""

    settings: Settings
    summary: object
    pid: int
    checked: float = 0.0

    #: Seconds between two looks for the finished build.
    POLL_EVERY = 2.0

    #: How much lower the builder's priority is: the queries served come first.
    NICE = 10

    @classmethod
    def start(cls, settings: Settings, summary: object) -> Pending:
        """Fork a child that runs :func:`prepare` (which writes the stamp) and exits."""
        pid = os.fork()
        if pid == 0:  # the child: build, then leave without running the parent's code
            code = 0
            try:
                os.nice(cls.NICE)
                prepare(settings, summary)
            except BaseException:  # logged; the site keeps answering 503 for the dumps
                log.exception("building the dumps failed")
                code = 1
            finally:
                os._exit(code)
        return cls(settings, summary, pid)

    def poll(self) -> Publication | None:
        """The finished publication, or ``None`` while the build is still running."""
        now = time.monotonic()
        if now - self.checked < self.POLL_EVERY:
            return None
        self.checked = now
        # Reap the builder if it is ours (under gunicorn, the master's reaper may be first).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)
        from wopgraph.endpoint import is_remote, served_sources

        on_disk_only = (
            bool(self.settings.store) and not self.settings.data and not is_remote(self.settings)
        )
        folder = (
            Path(self.settings.build_dir)
            if self.settings.build_dir
            else default_folder(self.settings)
        )
        sources = None if on_disk_only else served_sources(self.settings)
        stamp = fingerprint(sources, self.summary, known_hashes(folder))
        fallback = Path(tempfile.gettempdir()) / "wopgraph-published" / stamp[:16]
        for candidate in dict.fromkeys([folder, fallback]):
            found = _load(candidate, stamp)
            if found is not None:
                return found
        return None


def render(triples: list[ox.Triple], fmt: str) -> bytes:
    """Write the description in ``fmt`` (a graph format name: turtle, jsonld, ...)."""
    oxformat = GRAPH_FORMATS[fmt]
    if oxformat in PREFIXED:
        return ox.serialize(triples, format=oxformat, prefixes=PREFIXES)
    return ox.serialize(triples, format=oxformat)
