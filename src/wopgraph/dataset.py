"""Assemble the dataset: which sources make it up, loaded into a store or an rdflib graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from wopgraph import sources as src
from wopgraph.store import OxigraphStore, Store


def bundle_root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``.

    A wheel carries them in ``wopgraph/_bundle``; an editable install or a checkout uses the
    repository root.
    """
    here = Path(__file__).resolve().parent
    bundled = here / "_bundle"
    return bundled if bundled.is_dir() else here.parents[1]


@dataclass
class Dataset:
    """Parsed sources: the quads of each file, kept apart so reports can name the file."""

    parts: list[tuple[src.Source, list[ox.Quad]]] = field(default_factory=list)

    @classmethod
    def read(cls, sources: Iterable[src.Source]) -> Dataset:
        """Parse every source; the first unreadable one raises :class:`SourceError`."""
        return cls(list(src.read_all(sources)))

    def quads(self) -> list[ox.Quad]:
        """All quads, in source order."""
        return [q for _, quads in self.parts for q in quads]

    def files_by_subject(self) -> dict[str, list[str]]:
        """Map each term (as N-Triples text) to the labels of the files that describe it.

        A term is found in the files where it is a subject; a term that is never a subject
        (an undeclared predicate, say) in the files that use it.
        """
        described: dict[str, list[str]] = defaultdict(list)
        used: dict[str, list[str]] = defaultdict(list)
        for source, quads in self.parts:
            for subject in {str(q.subject) for q in quads}:
                described[subject].append(source.label)
            for term in {str(t) for q in quads for t in (q.predicate, q.object)}:
                used[term].append(source.label)
        return {**used, **described}

    def to_store(self, store: Store | None = None) -> Store:
        """Load into ``store`` (default: a new in-memory Oxigraph store) and return it."""
        store = OxigraphStore() if store is None else store
        store.add(self.quads())
        return store

    def to_rdflib(self) -> rdflib.Graph:
        """Merge all graphs into one rdflib graph (blank nodes kept distinct per file)."""
        graph = rdflib.Graph()
        for _, quads in self.parts:
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            graph.parse(data=data, format="nt")
        return graph


def bundled(root: Path | None = None) -> Dataset:
    """Read the bundled ontology, vocabularies, shapes and data."""
    return Dataset.read(src.bundled_sources(root or bundle_root()))
