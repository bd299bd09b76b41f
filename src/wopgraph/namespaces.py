"""IRIs of the WOP model: namespaces, reused vocabularies and named-graph naming.

The canonical base is ``https://w3id.org/wop/``; see ``ontology/README.md`` for the scheme.
"""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, SOSA, TIME, XSD

BASE = "https://w3id.org/wop/"
WOP = Namespace(BASE + "ontology#")
WOPSH = Namespace(BASE + "shapes#")
ID = Namespace(BASE + "id/")
VOCAB = Namespace(BASE + "vocab/")
GRAPH = Namespace(BASE + "graph/")
SCHEMA = Namespace("https://schema.org/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")

ONTOLOGY_GRAPH = GRAPH["ontology"]
VOCAB_GRAPH = GRAPH["vocab"]
SHAPES_GRAPH = GRAPH["shapes"]
SHARED_GRAPH = GRAPH["shared"]

#: Prefixes used in query output, reports and serialisations, in a fixed order.
PREFIXES: dict[str, str] = {
    "wop": str(WOP),
    "wopsh": str(WOPSH),
    "id": str(ID),
    "vocab": str(VOCAB),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "qudt": str(QUDT),
    "unit": str(UNIT),
    "sosa": str(SOSA),
    "time": str(TIME),
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "spdx": "http://spdx.org/rdf/terms#",
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "xsd": str(XSD),
}


def case_graph(slug: str) -> str:
    """Return the IRI of the named graph that holds the case ``slug``."""
    return f"{GRAPH}case/{slug}"
