"""The write journal: every accepted write, durable before it is answered, replayed at start.

Why. The embedded store is served from memory (several times faster than Oxigraph on disk on
scanning queries, see ``BENCHMARKS.md``), copied into every gunicorn worker and query process
by ``fork``. Memory alone would lose accepted writes in a crash, and one process's write would
not reach the others. The journal solves both: it is the single durable record of writes, and
every query process follows it.

Layout of the folder::

    commits/000000000042.json   one record per accepted write: sequence number, time, agent,
                                operation, and for each graph written the SHA-256 of its new
                                content (or null: the graph was deleted)
    content/<sha256>.nt         a graph's whole new content, N-Triples, named by its hash
    HEAD                        the sequence number of the newest write that readers may see
    lock                        taken (flock) by the one writer at a time

Commit protocol (:meth:`Journal.commit`): under the lock, write each content file (temporary
name, ``fsync``, ``rename``), then the record the same way, then ``fsync`` the folders; only
then is the write *durable*. The rename of the record is the commit point: a crash (``kill
-9``, power loss) before it leaves no record and the write never happened (a content file
without a record is ignored); after it, the write is there at restart. Then the store is told
(:meth:`Journal.apply` for a store that keeps data itself, such as a remote SPARQL server), and
last ``HEAD`` moves on, which makes the write visible to readers.

Readers (:class:`Follower`): before each query, a query process reads ``HEAD`` (one small
file, a few microseconds) and, when it moved, applies the records it has not seen to its
in-memory copy, all of a record's graphs in one store transaction, so a query sees a write
whole or not at all.

Each record names whole graphs with their whole new content, so at start only the newest
record of each graph needs loading: start-up grows with the size of the written graphs, not
with the number of writes. Every record also becomes a PROV-O activity in the changes graph
(:data:`CHANGES_GRAPH`): who wrote which graph when, with the content's hash.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from wopgraph.namespaces import BASE, GRAPH

#: The named graph holding the provenance of writes; it is written only by the journal.
CHANGES_GRAPH = str(GRAPH["changes"])
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCTERMS = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_RECORD = re.compile(r"^(\d{12})\.json$")


class JournalError(Exception):
    """The journal folder cannot be used (unreadable, or a record is damaged)."""


@dataclass(frozen=True)
class Record:
    """One accepted write."""

    seq: int
    time: str
    """When it was committed: ISO 8601, UTC, to the second."""
    agent: str
    """Who wrote it: the name of the write token used."""
    operation: str
    """``PUT``, ``POST``, ``DELETE`` (Graph Store Protocol) or ``UPDATE`` (SPARQL Update)."""
    graphs: tuple[tuple[str, str | None], ...]
    """(graph IRI, SHA-256 of its new content, or ``None`` when the graph was deleted)."""

    def to_json(self) -> dict:
        """The record as written in its file."""
        return {
            "seq": self.seq,
            "time": self.time,
            "agent": self.agent,
            "operation": self.operation,
            "graphs": {graph: digest for graph, digest in self.graphs},
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Record:
        """Read a record back (``KeyError``/``TypeError`` when it is not one)."""
        return cls(
            seq=int(data["seq"]),
            time=str(data["time"]),
            agent=str(data["agent"]),
            operation=str(data["operation"]),
            graphs=tuple(sorted((str(g), d) for g, d in data["graphs"].items())),
        )

    @property
    def iri(self) -> str:
        """The IRI of this write as a PROV-O activity."""
        return f"{BASE}id/change/{self.seq}"

    def provenance(self) -> list[ox.Quad]:
        """The record as PROV-O quads in :data:`CHANGES_GRAPH`."""
        g = ox.NamedNode(CHANGES_GRAPH)
        activity = ox.NamedNode(self.iri)
        agent = ox.NamedNode(f"{BASE}id/agent/{_slug(self.agent)}")

        def quad(s, p, o):
            return ox.Quad(s, ox.NamedNode(p), o, g)

        names = ", ".join(graph for graph, _ in self.graphs)
        quads = [
            quad(activity, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
            quad(activity, RDFS_LABEL, ox.Literal(f"{self.operation} {names} by {self.agent}")),
            quad(
                activity,
                PROV + "endedAtTime",
                ox.Literal(self.time, datatype=ox.NamedNode(XSD + "dateTime")),
            ),
            quad(activity, PROV + "wasAssociatedWith", agent),
            quad(activity, DCTERMS + "type", ox.Literal(self.operation)),
            quad(agent, RDF_TYPE, ox.NamedNode(PROV + "Agent")),
            quad(agent, RDFS_LABEL, ox.Literal(self.agent)),
        ]
        for i, (graph, digest) in enumerate(self.graphs, 1):
            if digest is None:
                quads.append(quad(activity, PROV + "invalidated", ox.NamedNode(graph)))
                continue
            version = ox.NamedNode(f"{self.iri}/{i}")
            checksum = ox.NamedNode(f"{self.iri}/{i}#sha256")
            quads += [
                quad(activity, PROV + "generated", version),
                quad(version, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
                quad(version, PROV + "specializationOf", ox.NamedNode(graph)),
                quad(
                    version,
                    PROV + "generatedAtTime",
                    ox.Literal(self.time, datatype=ox.NamedNode(XSD + "dateTime")),
                ),
                quad(version, SPDX + "checksum", checksum),
                quad(checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256")),
                quad(checksum, SPDX + "checksumValue", ox.Literal(digest)),
            ]
        return quads


def _slug(name: str) -> str:
    """An agent name made safe for an IRI path segment."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name) or "anonymous"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` so that the file is either absent/old or whole: never torn."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def ntriples(quads) -> bytes:
    """The triples of ``quads`` as N-Triples bytes (graph names dropped)."""
    return ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES
    )


def now() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Journal:
    """The journal in ``folder`` (created when missing)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.commits = self.folder / "commits"
        self.content = self.folder / "content"
        self.head_file = self.folder / "HEAD"
        try:
            self.commits.mkdir(parents=True, exist_ok=True)
            self.content.mkdir(exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot use the journal folder {self.folder}: {exc}") from exc

    # Reading

    def head(self) -> int:
        """The newest write readers may see (0: none)."""
        try:
            return int(self.head_file.read_bytes() or b"0")
        except FileNotFoundError:
            return 0
        except ValueError as exc:
            raise JournalError(f"{self.head_file}: not a sequence number") from exc

    def last_committed(self) -> int:
        """The newest record on disk (may be ahead of :meth:`head` after a crash)."""
        found = [int(m.group(1)) for m in map(_RECORD.match, os.listdir(self.commits)) if m]
        return max(found, default=0)

    def record(self, seq: int) -> Record:
        """The record ``seq``."""
        path = self.commits / f"{seq:012d}.json"
        try:
            return Record.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise JournalError(f"{path}: damaged or missing write record ({exc})") from exc

    def records(self, after: int = 0, upto: int | None = None) -> Iterator[Record]:
        """The records after ``after`` up to ``upto`` (default: the newest committed)."""
        last = self.last_committed() if upto is None else upto
        for seq in range(after + 1, last + 1):
            yield self.record(seq)

    def graph_quads(self, graph: str, digest: str) -> list[ox.Quad]:
        """The content ``digest`` of ``graph``, as quads in that graph."""
        path = self.content / f"{digest}.nt"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise JournalError(f"{path}: content of a committed write is missing") from exc
        if hashlib.sha256(data).hexdigest() != digest:
            raise JournalError(f"{path}: content does not match its hash")
        name = ox.NamedNode(graph)
        return [
            ox.Quad(t.subject, t.predicate, t.object, name)
            for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=True)
        ]

    def changes(self, records) -> dict[str, list[ox.Quad] | None]:
        """The newest content of each graph written by ``records`` (``None``: deleted)."""
        newest: dict[str, str | None] = {}
        for record in records:
            newest.update(record.graphs)
        return {
            graph: None if digest is None else self.graph_quads(graph, digest)
            for graph, digest in newest.items()
        }

    # Writing

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writer's lock (one writer at a time, across processes)."""
        with open(self.folder / "lock", "a+b") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def _apply_lock(self, mode: int) -> Iterator[None]:
        """The lock between a store's readers (shared) and a write being applied (exclusive).

        A remote SPARQL server may not apply one request atomically (Virtuoso commits
        operation by operation), so wopgraph's own readers wait while a write is applied.
        """
        with open(self.folder / "apply.lock", "a+b") as f:
            fcntl.flock(f.fileno(), mode)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def reading(self):
        """Hold while answering a query from a store that keeps data itself."""
        return self._apply_lock(fcntl.LOCK_SH)

    def commit(
        self,
        graphs: Mapping[str, list[ox.Quad] | None],
        agent: str,
        operation: str,
        apply=None,
    ) -> Record:
        """Make a write durable, let ``apply(record, graphs)`` tell the store, then publish it.

        Call with :meth:`locked` held. ``graphs`` maps each graph written to its whole new
        content (``None``: delete it).
        """
        digests: list[tuple[str, str | None]] = []
        for graph in sorted(graphs):
            quads = graphs[graph]
            if quads is None:
                digests.append((graph, None))
                continue
            data = ntriples(quads)
            digest = hashlib.sha256(data).hexdigest()
            path = self.content / f"{digest}.nt"
            if not path.exists():
                _write_atomic(path, data)
            digests.append((graph, digest))
        _fsync_dir(self.content)
        record = Record(self.last_committed() + 1, now(), agent, operation, tuple(digests))
        _write_atomic(
            self.commits / f"{record.seq:012d}.json",  # the record's file
            json.dumps(record.to_json(), indent=1, sort_keys=True).encode(),
        )
        record_path = self.commits / f"{record.seq:012d}.json"
        _fsync_dir(self.commits)  # the commit point: from here the write survives a crash
        if apply is not None:
            try:
                with self._apply_lock(fcntl.LOCK_EX):
                    apply(record, graphs)
            except BaseException:
                # The store refused or failed: take the record back (no reader has seen it,
                # HEAD has not moved, the lock is held), so the write did not happen.
                record_path.unlink(missing_ok=True)
                _fsync_dir(self.commits)
                raise
        self._set_head(record.seq)
        return record

    def _set_head(self, seq: int) -> None:
        _write_atomic(self.head_file, str(seq).encode())
        _fsync_dir(self.folder)

    def recover(self, apply=None) -> int:
        """After a crash: publish records committed but not yet published; return the head.

        ``apply(record, graphs)`` is called for each, for a store that keeps data itself.
        """
        with self.locked():
            for folder in (self.commits, self.content, self.folder):
                for stale in folder.glob(".*.tmp"):  # half-written by a process that died
                    stale.unlink(missing_ok=True)
            head, last = self.head(), self.last_committed()
            for record in self.records(head, last):
                if apply is not None:
                    apply(record, self.changes([record]))
                self._set_head(record.seq)
            return self.head()


def apply_to(store, records, journal: Journal) -> None:
    """Apply ``records`` to ``store``: each graph's newest content, and their provenance."""
    records = list(records)
    if not records:
        return
    changes = journal.changes(records)
    prov = [q for r in records for q in r.provenance()]
    store.apply(changes, prov)


class Follower:
    """Keeps a query process's in-memory store up to date with the journal."""

    def __init__(self, journal: Journal, seen: int, replay: bool = True):
        """``seen``: the newest write the store already holds; ``replay``: whether to apply
        writes to it (False for a store that keeps data itself, such as a remote server)."""
        self.journal = journal
        self.seen = seen
        self.replay = replay

    def reading(self):
        """What to hold while a query runs: for a store that keeps data itself (a remote
        server), the journal's shared lock, so no write is half-applied meanwhile."""
        return nullcontext() if self.replay else self.journal.reading()

    def catch_up(self, store) -> int:
        """Apply the writes published since the last call; return the version now held."""
        head = self.journal.head()
        if head > self.seen:
            if self.replay:
                apply_to(store, self.journal.records(self.seen, head), self.journal)
            self.seen = head
        return self.seen
