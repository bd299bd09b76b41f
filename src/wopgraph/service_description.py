"""The SPARQL 1.1 Service Description of the endpoint, with VoID sizes of its graphs.

A GET on the endpoint without a query returns it (SPARQL 1.1 Service Description, section 2).
It says where the endpoint is (``sd:endpoint``, the URL the client used), the language
(SPARQL 1.1 Query; no Update), every result format, that the default graph is the union of all
named graphs (``sd:UnionDefaultGraph``), and the default dataset: each named graph with its
triple count (``void:triples``), and ``rdfs:seeAlso`` the VoID description at
``/.well-known/void`` (whose dataset names this endpoint as its ``void:sparqlEndpoint``);
and, when the text index is there, the full-text search ``SERVICE``
(:mod:`wopgraph.textsearch`) as an ``sd:feature``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

import pyoxigraph as ox

from wopgraph.endpoint import Summary
from wopgraph.namespaces import BASE
from wopgraph.textsearch import SERVICE as TEXT_SERVICE
from wopgraph.writers import GRAPH_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
DCT_DESCRIPTION = ox.NamedNode("http://purl.org/dc/terms/description")
#: Prefixes for the Turtle and RDF/XML forms.
PREFIXES = {
    "sd": SD,
    "void": VOID,
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "formats": "http://www.w3.org/ns/formats/",
}
#: Result formats the endpoint writes, by their IRIs in the W3C registry (www.w3.org/ns/formats/).
RESULT_FORMAT_IRIS = [
    "http://www.w3.org/ns/formats/" + name
    for name in (
        "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
        "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG", "N3",
    )
]  # fmt: skip


def sd(name: str) -> ox.NamedNode:
    """A term of the Service Description vocabulary."""
    return ox.NamedNode(SD + name)


def describe(
    endpoint: str,
    summary: Summary,
    *,
    query_timeout: float,
    max_rows: int,
    federated: bool = False,
    text_search: bool = False,
) -> list[ox.Triple]:
    """The triples of the service description of the endpoint at ``endpoint``."""
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    out = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, DCT_TITLE, ox.Literal("wopgraph SPARQL endpoint", language="en")),
        ox.Triple(
            service,
            DCT_DESCRIPTION,
            ox.Literal(
                "Read-only SPARQL 1.1 endpoint of the Water Operators' Partnerships knowledge "
                f"graph. Queries are stopped after {query_timeout:g} s; answers hold at most "
                f"{max_rows} rows or triples (a cut answer has the header "
                "X-WOPgraph-Truncated: true). SPARQL Update is not accepted.",
                language="en",
            ),
        ),
        *(ox.Triple(service, sd("resultFormat"), ox.NamedNode(i)) for i in RESULT_FORMAT_IRIS),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, sd("Graph")),
        ox.Triple(default, ox.NamedNode(VOID + "triples"), ox.Literal(summary.union_triples)),
        ox.Triple(
            default,
            RDFS_COMMENT,
            ox.Literal(
                "The default graph is the union of all named graphs (sd:UnionDefaultGraph), "
                "unless the query or the request names a dataset.",
                language="en",
            ),
        ),
    ]
    # The VoID + DCAT description of what the endpoint serves (/.well-known/void, RFC 8615),
    # and the dataset's own link back to this endpoint.
    void_url = ox.NamedNode(urljoin(endpoint, "/.well-known/void"))
    out += [
        ox.Triple(dataset, RDFS_SEE_ALSO, void_url),
        ox.Triple(ox.NamedNode(BASE + "dataset"), ox.NamedNode(VOID + "sparqlEndpoint"), service),
        ox.Triple(ox.NamedNode(BASE + "dataset"), RDFS_SEE_ALSO, void_url),
    ]
    if federated:
        out.insert(4, ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    if text_search:
        text = ox.NamedNode(TEXT_SERVICE)
        out += [
            ox.Triple(service, sd("feature"), text),
            ox.Triple(
                text,
                RDFS_COMMENT,
                ox.Literal(
                    "Full-text search: a SERVICE <https://w3id.org/wop/text#> block "
                    '{ ?entity text:matches "words" ; text:score ?score ; text:limit N ; '
                    "text:class <C> } is answered from the site's search index of labels and "
                    "texts, best matches first, without calling any remote endpoint.",
                    language="en",
                ),
            ),
        ]
    for i, (name, count) in enumerate(summary.graphs):
        node, graph = ox.BlankNode(f"ng{i}"), ox.BlankNode(f"g{i}")
        out += [
            ox.Triple(dataset, sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(node, sd("name"), ox.NamedNode(name)),
            ox.Triple(node, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(count)),
        ]
    return out


def render(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Write the description in graph format ``fmt`` (a :data:`GRAPH_FORMATS` key)."""
    oxformat = GRAPH_FORMATS[fmt]
    if oxformat in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG):
        return ox.serialize(list(triples), format=oxformat, prefixes=PREFIXES)
    return ox.serialize(list(triples), format=oxformat)
