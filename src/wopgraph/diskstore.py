"""The on-disk store (``--store PATH``) and the sources it was loaded from.

An empty on-disk store is loaded with the served data at start, then served as it is. The
load leaves a stamp in the store's folder, :data:`STAMP`: which data were loaded (the ``data``
setting, resolved, or none: the bundled data) and their fingerprint (every file's path,
graph, format and SHA-256, as :mod:`wopgraph.fingerprints` computes it, hashes remembered by
file state). At the next start, when those files are no longer what was loaded (a file
changed, was added to or removed from a folder), the data are loaded again: into a new
folder beside the store, which then takes the store's place in one atomic exchange of names
(Linux ``renameat2(RENAME_EXCHANGE)``; where that is missing, two renames), and the server
log says so. A lock beside the store keeps two starting servers from loading it at once.

A store without a stamp was filled by other means (``wopgraph load``, Oxigraph's own tools):
it is served as it is.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wopgraph.fingerprints import Hashes, file_states, sources_digest, write_atomic
from wopgraph.sources import Source, load_into
from wopgraph.store import OxigraphStore

log = logging.getLogger(__name__)

#: The stamp's file name, in the store's folder (RocksDB leaves files it does not know alone).
STAMP = "wopgraph-sources.json"
#: The fingerprint of a store whose load has not finished: never the sources' fingerprint.
LOADING = "loading"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


@dataclass
class Stamp:
    """What a store was loaded from: the data asked for, and their fingerprint."""

    data: list[str] | None
    """The ``data`` setting, resolved ([]: the bundled data; ``None``: not known, the stamp
    is damaged)."""
    fingerprint: str
    hashes: Hashes = field(default_factory=Hashes)

    @classmethod
    def read(cls, folder: Path) -> Stamp | None:
        """The stamp in ``folder``: ``None`` if there is none."""
        try:
            raw = (folder / STAMP).read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return cls(None, LOADING)
        try:
            saved = json.loads(raw)
            return cls(
                [str(p) for p in saved["data"]],
                str(saved["fingerprint"]),
                Hashes.from_json(saved.get("files")),
            )
        except (ValueError, KeyError, TypeError):
            return cls(None, LOADING)

    def write(self, folder: Path) -> None:
        """Leave the stamp in ``folder`` (whole or not at all)."""
        saved = {"data": self.data, "fingerprint": self.fingerprint, "files": self.hashes.to_json()}
        write_atomic(folder / STAMP, json.dumps(saved, indent=1).encode(), durable=True)


def requested(data: list[str]) -> list[str]:
    """The ``data`` setting as the stamp records it: resolved paths."""
    return [str(Path(p).resolve()) for p in data]


def fingerprint(sources: list[Source], hashes: Hashes) -> str:
    """The fingerprint of ``sources`` now (hashes reused from ``hashes`` and added to it)."""
    return sources_digest(sources, file_states(sources), hashes)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock of the store at ``path``: a file beside it, else (no writable parent)
    one inside it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(f".{path.name}.wopgraph-lock"), "w")  # noqa: SIM115
    except OSError:
        path.mkdir(parents=True, exist_ok=True)
        handle = open(path / "wopgraph.lock", "w")  # noqa: SIM115
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _beside(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.wopgraph-{kind}-{os.getpid()}")


def tidy(path: Path) -> None:
    """Undo what a start killed half-way through a reload left (call with the lock held):
    put the old store back if the new one never took its place, remove the leftovers."""
    prefixes = (f".{path.name}.wopgraph-new-", f".{path.name}.wopgraph-old-")
    try:
        leftovers = sorted(p for p in path.parent.iterdir() if p.name.startswith(prefixes))
    except OSError:
        return
    for leftover in leftovers:
        if not path.exists() and "-old-" in leftover.name:
            os.rename(leftover, path)
            log.warning("put back the store at %s that an interrupted reload had moved", path)
        elif leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names of ``a`` and ``b`` in one step; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return done == 0


def _fill(folder: Path, sources: list[Source], stamp: Stamp) -> None:
    """Load ``sources`` into the store in ``folder`` and leave ``stamp`` there: first as
    LOADING (a load killed half-way is done again at the next start), then the real one,
    unless a source changed during the load."""
    before = file_states(sources)
    Stamp(stamp.data, LOADING).write(folder)
    store = OxigraphStore(str(folder))
    load_into(store, sources)
    store.flush()
    del store  # closed: RocksDB writes nothing more into the folder
    changed = file_states(sources) != before
    Stamp(stamp.data, LOADING if changed else stamp.fingerprint, stamp.hashes).write(folder)


def load(path: Path, sources: list[Source], stamp: Stamp) -> None:
    """Load ``sources`` into the empty store at ``path`` (nothing served from it yet)."""
    path.mkdir(parents=True, exist_ok=True)
    _fill(path, sources, stamp)


def reload(path: Path, sources: list[Source], stamp: Stamp) -> None:
    """Replace the store at ``path`` by one loaded with ``sources``, in one step: loaded
    beside it, then swapped in. :class:`OSError` if that cannot be done."""
    fresh = _beside(path, "new")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        fresh.mkdir()
        _fill(fresh, sources, stamp)
        if _exchange(fresh, path):
            shutil.rmtree(fresh, ignore_errors=True)  # now the old store
            return
        old = _beside(path, "old")
        os.rename(path, old)
        os.rename(fresh, path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
