"""``wopgraph build``: the dataset as dumps, plus its VoID/DCAT description, byte-for-byte stable.

Layout of the build folder::

    wopgraph.{nq,trig,ttl,nt,jsonld}        the whole dataset
    graphs/<graph>.{nq,trig,ttl,nt,jsonld}  each named graph (``case--onee-siaap``, ``shared``, ...)
    void.ttl                                 VoID statistics and DCAT distributions of the above

Two builds of the same sources write the same bytes: blank nodes get canonical labels, quads
are sorted, and the modification date is the sources' (``SOURCE_DATE_EPOCH`` when set, else
the last commit that touched them, else their newest file time), not the clock's.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

from wopgraph import void
from wopgraph.dataset import Dataset
from wopgraph.namespaces import BASE
from wopgraph.serialize import DUMP_FORMATS, canonical_quads, serialize

DUMP_NAME = "wopgraph"


@dataclass(frozen=True)
class Dump:
    """One written file with its size and SHA-256, as listed by the build."""

    path: Path
    size: int
    sha256: str
    media_type: str = ""
    graph: str | None = None


def source_date(dataset: Dataset) -> str:
    """The sources' modification time as an ``xsd:dateTime`` (UTC), reproducibly."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        stamp = int(os.environ["SOURCE_DATE_EPOCH"])
    else:
        paths = [str(s.path) for s, _ in dataset.parts]
        stamp = _git_time(paths) or max((int(Path(p).stat().st_mtime) for p in paths), default=0)
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _git_time(paths: list[str]) -> int | None:
    """Commit time of the last commit touching ``paths``, if they are in a clean git checkout."""
    if not paths:
        return None
    cwd = Path(paths[0]).parent
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )
        last = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", *paths],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if dirty.returncode or last.returncode or dirty.stdout.strip() or not last.stdout.strip():
        return None
    return int(last.stdout.strip())


def _write(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _dump_all(quads, folder: Path, name: str, graph: str | None) -> list[Dump]:
    written = []
    for fmt, (suffix, _, media_type) in DUMP_FORMATS.items():
        data = serialize(quads, fmt)
        target = folder / f"{name}{suffix}"
        _write(target, data)
        written.append(Dump(target, len(data), hashlib.sha256(data).hexdigest(), media_type, graph))
    return written


def build(dataset: Dataset, out: Path, name: str = DUMP_NAME, base: str = BASE) -> list[Dump]:
    """Write every dump and ``void.ttl`` into ``out``; return what was written.

    ``base`` is where the dumps will be served from (``<base>dumps/...``) for the DCAT
    download URLs.
    """
    quads = canonical_quads(dataset.quads())
    written = _dump_all(quads, out, name, None)
    for graph, group in groupby(quads, key=lambda q: q.graph_name):
        written += _dump_all(list(group), out / "graphs", void._slug(graph.value), graph.value)
    distributions = [
        void.Distribution(
            url=f"{base}dumps/{d.path.relative_to(out).as_posix()}",
            media_type=d.media_type,
            byte_size=d.size,
            sha256=d.sha256,
            graph=d.graph,
        )
        for d in written
    ]
    description = void.describe(
        void.statistics(dataset.to_store()), distributions, source_date(dataset), base
    )
    data = serialize(canonical_quads(description), "turtle")
    _write(out / "void.ttl", data)
    written.append(
        Dump(out / "void.ttl", len(data), hashlib.sha256(data).hexdigest(), "text/turtle")
    )
    return written
