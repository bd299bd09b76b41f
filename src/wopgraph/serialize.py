"""Deterministic serialisation: canonical blank-node labels, sorted quads, fixed prefixes.

Two runs over the same data write the same bytes, whatever order the store returned quads
in and whatever labels the parser gave blank nodes.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
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
    """Relabel blank nodes from what surrounds them and sort the quads.

    A blank node's label is a hash of its first-degree neighbourhood (the quads it is in, with
    blank nodes masked), as in the first step of RDF Dataset Canonicalization. Two blank nodes
    with the same neighbourhood are interchangeable for output, so ties need no further step.
    """
    quads = list(quads)
    around: dict[str, list[str]] = defaultdict(list)
    for q in quads:
        terms = (q.subject, q.predicate, q.object, q.graph_name)
        for term in terms:
            if isinstance(term, ox.BlankNode):
                masked = " ".join(
                    ("_:a" if t == term else "_:z") if isinstance(t, ox.BlankNode) else str(t)
                    for t in terms
                )
                around[term.value].append(masked)
    labels: dict[str, ox.BlankNode] = {}
    seen: dict[str, int] = defaultdict(int)
    for old, lines in sorted(around.items(), key=lambda kv: sorted(kv[1])):
        digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]
        seen[digest] += 1
        labels[old] = ox.BlankNode(f"b{digest}" + (f"n{seen[digest]}" if seen[digest] > 1 else ""))

    def relabel(term):
        return labels[term.value] if isinstance(term, ox.BlankNode) else term

    out = [
        ox.Quad(relabel(q.subject), q.predicate, relabel(q.object), relabel(q.graph_name))
        for q in quads
    ]
    out.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    return out


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
