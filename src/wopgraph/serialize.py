"""Deterministic serialisation: canonical blank-node labels, sorted quads, fixed prefixes.

Two runs over the same data write the same bytes, whatever order the store returned quads
in and whatever labels the parser gave blank nodes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES

#: Dump formats: name -> (file suffix, Oxigraph format, media type).
DUMP_FORMATS: dict[str, tuple[str, ox.RdfFormat, str]] = {
    "nquads": (".nq", ox.RdfFormat.N_QUADS, "application/n-quads"),
    "trig": (".trig", ox.RdfFormat.TRIG, "application/trig"),
    "turtle": (".ttl", ox.RdfFormat.TURTLE, "text/turtle"),
    "ntriples": (".nt", ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "jsonld": (".jsonld", ox.RdfFormat.JSON_LD, "application/ld+json"),
}


def _term_key(term) -> str:
    return str(term)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Relabel blank nodes canonically and sort the quads.

    Oxigraph's dataset canonicalisation names each blank node from the whole structure around
    it (RDF lists and other linked blank nodes included), so the same data gives the same
    bytes whatever store it came from, in whatever order, under whatever blank-node labels.
    Its labels may change between Oxigraph versions (the dependency is pinned below 0.6).
    """
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(
        dataset, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
    )


def serialize(quads: list[ox.Quad], fmt: str) -> bytes:
    """Serialise already-canonical ``quads`` in dump format ``fmt`` (a :data:`DUMP_FORMATS` key).

    Triple formats (Turtle, N-Triples) get the union of all graphs, without duplicates.
    """
    _, oxformat, _ = DUMP_FORMATS[fmt]
    if fmt in ("turtle", "ntriples"):
        triples, seen = [], set()
        for q in sorted(quads, key=lambda q: (str(q.subject), str(q.predicate), str(q.object))):
            key = (str(q.subject), str(q.predicate), str(q.object))
            if key not in seen:
                seen.add(key)
                triples.append(ox.Triple(q.subject, q.predicate, q.object))
        data = triples
    else:
        data = quads
    prefixes = PREFIXES if oxformat in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    raw = (
        ox.serialize(data, format=oxformat, prefixes=prefixes)
        if prefixes
        else ox.serialize(data, format=oxformat)
    )
    if fmt == "jsonld":
        raw = (json.dumps(json.loads(raw), indent=1, ensure_ascii=False) + "\n").encode()
    return raw
