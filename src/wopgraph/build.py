"""``wopgraph build``: write the dataset as dumps into a build folder, byte-for-byte stable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from wopgraph.dataset import Dataset
from wopgraph.serialize import DUMP_FORMATS, canonical_quads, serialize

DUMP_NAME = "wopgraph"


@dataclass(frozen=True)
class Dump:
    """One written file with its size and SHA-256, as listed by the build."""

    path: Path
    size: int
    sha256: str


def build(dataset: Dataset, out: Path, name: str = DUMP_NAME) -> list[Dump]:
    """Write ``name`` + suffix in every dump format into ``out`` and return what was written.

    Files are written to a temporary name first and renamed, so a reader never sees half a dump.
    """
    out.mkdir(parents=True, exist_ok=True)
    quads = canonical_quads(dataset.quads())
    written = []
    for fmt, (suffix, _, _) in DUMP_FORMATS.items():
        data = serialize(quads, fmt)
        target = out / f"{name}{suffix}"
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(Dump(target, len(data), hashlib.sha256(data).hexdigest()))
    return written
