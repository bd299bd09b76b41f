"""Fingerprints of source files and of the journal: what identifies the data served.

Hashing a file costs about a quarter of a second per 100 MB, so :class:`Hashes` remembers
each file's SHA-256 with what :class:`FileState` says of it (size, times, inode) and reuses
it while that is the same, as ``git``'s index does. Like ``git`` with "racily clean" files,
a file changed less than :data:`RACY` seconds before it was hashed is hashed again next time:
a change within the same clock tick would leave its state as it was. Used by the start cache
(:mod:`wopgraph.startcache`) and by the on-disk store's stamp (:mod:`wopgraph.diskstore`).

:class:`Validated` keeps which bytes passed a strict parse (:func:`validation_key`), so that
a later load of the same bytes may skip that validation.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from wopgraph.sources import Source

#: Seconds a file must have been left alone for its state to stand for its content.
RACY = 2.0


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

    def known_sha256(self, path: Path, state: FileState) -> str | None:
        """The SHA-256 of ``path`` if remembered for the state ``state`` (no file read)."""
        known = self.known.get(str(path))
        return known[1] if known is not None and known[0] == state else None

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


def validation_key(source: Source, sha256: str) -> str:
    """What names one successful strict parse of ``source``'s bytes: its path (the base of
    its relative IRIs), graph, format, the SHA-256 of its bytes and the parser's version."""
    entry = [
        str(source.path.resolve()),
        source.graph,
        source.format.media_type,
        sha256,
        ox.__version__,
    ]
    return hashlib.sha256(json.dumps(entry).encode()).hexdigest()


class Validated:
    """The sources whose bytes were parsed with full validation by an earlier load, by
    :func:`validation_key`: those may be parsed leniently (without validating IRIs and
    language tags) while their bytes are the same."""

    def __init__(self, keys: set[str] | None = None):
        """Start from ``keys``."""
        self.keys = set(keys or ())

    @classmethod
    def read(cls, path: Path) -> Validated:
        """The keys kept in ``path`` (none if it is missing or damaged: all parsed strictly)."""
        try:
            saved = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return cls()
        keys = saved.get("validated") if isinstance(saved, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return cls()
        return cls(set(keys))

    def write(self, path: Path) -> None:
        """Keep the keys in ``path`` (whole or not at all)."""
        write_atomic(path, json.dumps({"validated": sorted(self.keys)}, indent=1).encode())


def journal_digest(journal, head: int) -> str:
    """What identifies the writes replayed: every record of ``journal`` up to ``head``."""
    digest = hashlib.sha256(f"head {head}\n".encode())
    for seq in range(1, head + 1):
        record = journal.record(seq).to_json()
        digest.update(json.dumps(record, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes, durable: bool = False) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one whole.

    ``durable``: fsync'ed before the rename, so that a power cut cannot leave it torn either
    (a cache file needs no such care: a torn one fails its checksum and is built again).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
