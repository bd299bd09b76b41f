"""The dataset describes itself: VoID statistics and DCAT distributions, as RDF.

:func:`statistics` asks a :class:`~wopgraph.store.Store` for the numbers (triples, entities,
classes and properties overall, per class and per named graph, links to Wikidata and
GeoNames); :func:`describe` turns them and the list of dumps into quads for the
``https://w3id.org/wop/graph/void`` graph, written to ``build/void.ttl`` and served at
``/.well-known/void``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph.namespaces import BASE, GRAPH

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FOAF_PAGE = ox.NamedNode("http://xmlns.com/foaf/0.1/homepage")

DATASET = ox.NamedNode(BASE + "dataset")
VOID_GRAPH = ox.NamedNode(str(GRAPH) + "void")
LICENSE = ox.NamedNode("https://creativecommons.org/licenses/by/4.0/")

#: Link targets counted as VoID linksets: name -> (IRI prefix of the target, its homepage).
LINK_TARGETS: dict[str, tuple[str, str]] = {
    "wikidata": ("http://www.wikidata.org/entity/", "https://www.wikidata.org/"),
    "geonames": ("https://sws.geonames.org/", "https://www.geonames.org/"),
    "french-atlas": (
        "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/",
        "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/",
    ),
}

TOTALS = """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
  (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"""
ENTITIES = f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s a ?c FILTER STRSTARTS(STR(?s), "{BASE}id/") }}"""
CLASSES = f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s a ?class FILTER STRSTARTS(STR(?s), "{BASE}id/") }} GROUP BY ?class ORDER BY ?class"""
GRAPHS = """SELECT ?g (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects)
WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"""
LINKS = """SELECT ?p (COUNT(*) AS ?n) WHERE {{
  ?s ?p ?o FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{prefix}")) }} GROUP BY ?p ORDER BY ?p"""


@dataclass(frozen=True)
class Distribution:
    """One downloadable dump: where it is, what it holds, its size and checksum."""

    url: str
    media_type: str
    byte_size: int
    sha256: str
    graph: str | None = None  # None: the whole dataset


@dataclass
class Statistics:
    """VoID numbers for the whole dataset, per class, per graph and per link target."""

    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    properties: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    graphs: dict[str, tuple[int, int]] = field(default_factory=dict)  # triples, subjects
    links: dict[tuple[str, str], int] = field(default_factory=dict)  # (target, predicate)


def _int(term) -> int:
    return int(term.value)


def statistics(store) -> Statistics:
    """Count what VoID describes, with one query per figure family."""
    stats = Statistics()
    row = next(iter(store.query(TOTALS)))
    stats.triples, stats.distinct_subjects = _int(row["triples"]), _int(row["subjects"])
    stats.properties, stats.distinct_objects = _int(row["properties"]), _int(row["objects"])
    stats.entities = _int(next(iter(store.query(ENTITIES)))["n"])
    stats.classes = {r["class"].value: _int(r["n"]) for r in store.query(CLASSES)}
    stats.graphs = {r["g"].value: (_int(r["n"]), _int(r["subjects"])) for r in store.query(GRAPHS)}
    for name, (prefix, _) in LINK_TARGETS.items():
        for r in store.query(LINKS.format(prefix=prefix)):
            stats.links[(name, r["p"].value)] = _int(r["n"])
    return stats


def _lit(value, datatype: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(value)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def describe(
    stats: Statistics, distributions: Sequence[Distribution], modified: str, base: str = BASE
) -> list[ox.Quad]:
    """The VoID + DCAT description of the dataset, as quads in the void graph.

    ``modified`` is an ``xsd:dateTime`` string; ``base`` is where the service answers (the
    canonical ``https://w3id.org/wop/`` by default), for the endpoint and download IRIs.
    """
    quads: list[ox.Quad] = []

    def add(s, p: str, o) -> None:
        quads.append(ox.Quad(s, _n(p) if isinstance(p, str) else p, o, VOID_GRAPH))

    d = DATASET
    add(d, RDF_TYPE, _n(VOID + "Dataset"))
    add(d, RDF_TYPE, _n(DCAT + "Dataset"))
    add(d, DCT + "title", ox.Literal("wopgraph: Water Operators' Partnerships", language="en"))
    add(
        d,
        DCT + "title",
        ox.Literal("wopgraph : partenariats entre opérateurs d'eau", language="fr"),
    )
    add(
        d,
        DCT + "description",
        ox.Literal(
            "A knowledge graph of Water Operators' Partnerships (WOPs): partners and their roles, "
            "how each partnership arose and is financed, phases, improvement tracks and results, "
            "motivations, challenges, success factors, quotations and figures, each fact traced "
            "to its source document.",
            language="en",
        ),
    )
    add(d, DCT + "license", LICENSE)
    add(d, DCT + "modified", _lit(modified, "dateTime"))
    add(d, FOAF_PAGE, _n(base))
    add(d, VOID + "sparqlEndpoint", _n(base + "sparql"))
    add(d, VOID + "uriSpace", ox.Literal(BASE + "id/"))
    add(d, VOID + "vocabulary", _n(BASE + "ontology"))
    add(d, VOID + "triples", _lit(stats.triples))
    add(d, VOID + "entities", _lit(stats.entities))
    add(d, VOID + "distinctSubjects", _lit(stats.distinct_subjects))
    add(d, VOID + "distinctObjects", _lit(stats.distinct_objects))
    add(d, VOID + "properties", _lit(stats.properties))
    add(d, VOID + "classes", _lit(len(stats.classes)))
    add(d, SD + "feature", _n(SD + "UnionDefaultGraph"))
    for cls, count in sorted(stats.classes.items()):
        part = _n(f"{BASE}dataset/class/{_slug(cls)}")
        add(d, VOID + "classPartition", part)
        add(part, VOID + "class", _n(cls))
        add(part, VOID + "entities", _lit(count))
    for graph, (triples, subjects) in sorted(stats.graphs.items()):
        sub = _n(f"{BASE}dataset/graph/{_slug(graph)}")
        add(d, VOID + "subset", sub)
        add(sub, RDF_TYPE, _n(VOID + "Dataset"))
        add(sub, SD + "name", _n(graph))
        add(sub, VOID + "triples", _lit(triples))
        add(sub, VOID + "distinctSubjects", _lit(subjects))
    for (target, predicate), count in sorted(stats.links.items()):
        linkset = _n(f"{BASE}dataset/linkset/{target}/{_slug(predicate)}")
        add(d, VOID + "subset", linkset)
        add(linkset, RDF_TYPE, _n(VOID + "Linkset"))
        add(linkset, VOID + "subjectsTarget", d)
        add(linkset, VOID + "objectsTarget", _n(f"{BASE}dataset/external/{target}"))
        add(linkset, VOID + "linkPredicate", _n(predicate))
        add(linkset, VOID + "triples", _lit(count))
        add(_n(f"{BASE}dataset/external/{target}"), FOAF_PAGE, _n(LINK_TARGETS[target][1]))
    for dist in distributions:
        node = _n(dist.url)
        owner = d if dist.graph is None else _n(f"{BASE}dataset/graph/{_slug(dist.graph)}")
        add(owner, DCAT + "distribution", node)
        if dist.graph is None:
            add(d, VOID + "dataDump", node)
        add(node, RDF_TYPE, _n(DCAT + "Distribution"))
        add(node, DCAT + "downloadURL", node)
        add(
            node,
            DCAT + "mediaType",
            _n("https://www.iana.org/assignments/media-types/" + dist.media_type),
        )
        add(node, DCAT + "byteSize", _lit(dist.byte_size, "nonNegativeInteger"))
        add(node, DCT + "modified", _lit(modified, "dateTime"))
        add(node, DCT + "license", LICENSE)
        checksum = ox.BlankNode(f"sha256{dist.sha256[:16]}")
        add(node, SPDX + "checksum", checksum)
        add(checksum, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", _lit(dist.sha256, "hexBinary"))
    return quads


def _slug(iri: str) -> str:
    """A path-safe name for an IRI: the part after the wopgraph base, or after # or /."""
    if iri.startswith(str(GRAPH)):
        return iri[len(str(GRAPH)) :].replace("/", "--")
    tail = iri.rstrip("/#")
    for sep in ("#", "/"):
        if sep in tail:
            prefix, _, local = tail.rpartition(sep)
            host = prefix.split("//", 1)[-1].split("/", 1)[0].replace(".", "-")
            return f"{host}--{local}"
    return tail
