"""Write a small set of triples (an entity's RDF) in one of the entity formats.

Turtle gets the wopgraph prefixes; JSON-LD is indented so that a reader can follow it; blank
nodes are relabelled from their neighbourhood (:func:`wopgraph.serialize.canonical_quads`) and
triples sorted, so the same data gives the same bytes.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES
from wopgraph.serialize import canonical_quads

#: Format name -> (Oxigraph format, media type).
FORMATS: dict[str, tuple[ox.RdfFormat, str]] = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
}


def canonical(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples with stable blank-node labels, sorted."""
    quads = canonical_quads(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """The wopgraph prefixes whose namespace some IRI of ``triples`` is in."""
    namespaces = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                value = term.value
                cut = max(value.rfind("#"), value.rfind("/")) + 1
                namespaces.add(value[:cut])
    return {prefix: ns for prefix, ns in PREFIXES.items() if ns in namespaces}


def write(triples: list[ox.Triple], fmt: str) -> bytes:
    """Serialise ``triples`` in format ``fmt`` (a :data:`FORMATS` key)."""
    oxformat, _ = FORMATS[fmt]
    data = canonical(triples)
    if oxformat == ox.RdfFormat.TURTLE:
        return ox.serialize(data, format=oxformat, prefixes=used_prefixes(data))
    raw = ox.serialize(data, format=oxformat)
    if oxformat == ox.RdfFormat.JSON_LD:
        return (json.dumps(json.loads(raw), indent=1, ensure_ascii=False) + "\n").encode()
    return raw


def script_json(triples: list[ox.Triple]) -> str:
    """JSON-LD to embed in an HTML ``<script>``: ``<``, ``>`` and ``&`` escaped as ``\\u00XX``."""
    raw = ox.serialize(triples, format=ox.RdfFormat.JSON_LD).decode()
    compact = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    return compact.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
