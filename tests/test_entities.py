"""Dereferenceable IRIs: every entity, concept and scheme of data/ and ontology/vocab/ answers
at its path in every format, by Accept and by suffix, and its RDF holds its triples."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup

from rdfterms import INTEGER_TYPES, XSD
from wopgraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/wop/"
#: Format name -> (media type, path suffix, rdflib parser).
FORMATS = {
    "turtle": ("text/turtle", ".ttl", "turtle"),
    "jsonld": ("application/ld+json", ".jsonld", "json-ld"),
    "rdfxml": ("application/rdf+xml", ".rdf", "xml"),
    "ntriples": ("application/n-triples", ".nt", "nt"),
}
SOURCES = [
    *sorted((ROOT / "data").rglob("*.ttl")),
    *sorted((ROOT / "ontology" / "vocab").glob("*.ttl")),
]


def source_triples() -> list[ox.Triple]:
    """Every triple of data/ and the vocabularies."""
    triples = []
    for path in SOURCES:
        triples.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return triples


TRIPLES = source_triples()
ENTITIES = sorted(
    {
        t.subject.value
        for t in TRIPLES
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(BASE)
    }
)


@pytest.fixture(scope="module")
def client():
    """A test client of the app serving the bundled graph."""
    return create_app({"query_timeout": 10.0}).test_client()


def path_of(iri: str) -> str:
    """The local path of an IRI under the base."""
    return "/" + iri[len(BASE) :]


def as_stored(term):
    """A source term as the store gives it back (derived integer types as xsd:integer)."""
    if isinstance(term, ox.Literal) and term.datatype and term.datatype.value in INTEGER_TYPES:
        return ox.Literal(term.value, datatype=ox.NamedNode(XSD + "integer"))
    return term


def expected(iri: str) -> tuple[rdflib.Graph, int]:
    """The entity's ground triples (as an rdflib graph) and how many point to blank nodes."""
    mine = [t for t in TRIPLES if t.subject == ox.NamedNode(iri)]
    ground = [
        ox.Triple(t.subject, t.predicate, as_stored(t.object))
        for t in mine
        if not isinstance(t.object, ox.BlankNode)
    ]
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(ground, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph, len(mine) - len(ground)


def parse(body: bytes, parser: str) -> rdflib.Graph:
    """Parse an RDF answer with rdflib (JSON-LD with pyoxigraph: rdflib's JSON-LD parser warns)."""
    graph = rdflib.Graph()
    if parser == "json-ld":
        triples = ox.parse(body, format=ox.RdfFormat.JSON_LD)
        body, parser = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "nt"
    graph.parse(data=body, format=parser)
    return graph


def test_there_are_entities_to_check():
    assert len(ENTITIES) > 100
    assert BASE + "id/partnership/onee-siaap" in ENTITIES
    assert BASE + "vocab/improvement-area" in ENTITIES


@pytest.mark.parametrize("iri", ENTITIES)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_entity_dereferences_in_every_format(client, iri, fmt):
    media_type, suffix, parser = FORMATS[fmt]
    negotiated = client.get(path_of(iri), headers={"Accept": media_type})
    by_suffix = client.get(path_of(iri) + suffix)
    for response in (negotiated, by_suffix):
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == media_type
    assert negotiated.headers["Content-Location"] == path_of(iri) + suffix
    assert "Accept" in negotiated.headers["Vary"]
    assert negotiated.data == by_suffix.data
    graph = parse(negotiated.data, parser)
    ground, blank = expected(iri)
    missing = [t for t in ground if t not in graph]
    assert not missing, f"{iri} lacks {missing[:3]}"
    subject = rdflib.URIRef(iri)
    pointing = [
        o for _, _, o in graph.triples((subject, None, None)) if isinstance(o, rdflib.BNode)
    ]
    assert len(pointing) == blank


@pytest.mark.parametrize("iri", ENTITIES)
def test_every_entity_has_an_html_page(client, iri):
    response = client.get(path_of(iri), headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    assert page.find("h1").get_text(strip=True)
    alternates = {link["type"] for link in page.find_all("link", rel="alternate")}
    assert {m for m, _, _ in FORMATS.values()} <= alternates


@pytest.mark.parametrize(
    ("accept", "expected_type"),
    [
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.95", "text/turtle"),
        ("text/html;q=0.1, application/n-triples", "application/n-triples"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
        (None, "text/html"),
        ("application/xml", "application/rdf+xml"),
    ],
)
def test_q_values_are_honoured(client, accept, expected_type):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/id/operator/onee", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected_type


def test_nothing_acceptable_is_406_with_alternates(client):
    response = client.get("/id/operator/onee", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert 'rel="alternate"' in response.headers["Link"]


def test_link_headers_list_every_format(client):
    response = client.get("/id/operator/onee", headers={"Accept": "text/turtle"})
    link = response.headers["Link"]
    for _, suffix, _ in FORMATS.values():
        assert f"</id/operator/onee{suffix}>" in link
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_direct_200_not_303(client):
    response = client.get("/id/partnership/onee-siaap", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_etag_and_last_modified_give_304(client):
    first = client.get("/id/operator/siaap", headers={"Accept": "text/turtle"})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(
        "/id/operator/siaap", headers={"Accept": "text/turtle", "If-None-Match": etag}
    )
    assert again.status_code == 304 and not again.data
    assert again.headers["ETag"] == etag
    since = client.get(
        "/id/operator/siaap", headers={"Accept": "text/turtle", "If-Modified-Since": modified}
    )
    assert since.status_code == 304
    other = client.get("/id/operator/siaap", headers={"Accept": "text/html", "If-None-Match": etag})
    assert other.status_code == 200, "another format is another representation"


def test_html_etag_depends_on_language(client):
    en = client.get("/id/operator/onee", headers={"Accept": "text/html", "Accept-Language": "en"})
    fr = client.get("/id/operator/onee", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert en.headers["ETag"] != fr.headers["ETag"]
    assert "Accept-Language" in en.headers["Vary"]


def test_unknown_iri_is_a_helpful_404(client):
    response = client.get("/id/operator/onee-typo", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = BeautifulSoup(response.data, "html.parser")
    box = page.find("form", role="search", class_="search-form")
    assert box.find("input", attrs={"name": "q"})["value"] == "Onee typo"
    suggestions = [a["href"] for a in page.select("main ul.links a")]
    assert "/id/operator/onee" in suggestions


def test_unknown_iri_as_rdf_is_a_plain_404(client):
    response = client.get("/id/operator/nobody.ttl")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_unknown_path_gets_the_html_404_page(client):
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert BeautifulSoup(response.data, "html.parser").find("form", class_="search-form")


@pytest.mark.parametrize("suffix", ["", ".ttl", ".jsonld", ".rdf", ".nt"])
def test_ontology_document_dereferences(client, suffix):
    accept = {"Accept": "text/turtle"} if not suffix else {}
    response = client.get("/ontology" + suffix, headers=accept)
    assert response.status_code == 200
    graph = parse(
        response.data,
        {"": "turtle", ".ttl": "turtle", ".jsonld": "json-ld", ".rdf": "xml", ".nt": "nt"}[suffix],
    )
    partnership = rdflib.URIRef(BASE + "ontology#Partnership")
    assert (partnership, rdflib.RDF.type, rdflib.OWL.Class) in graph


def test_version_iri_answers_like_the_ontology(client):
    response = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert client.get("/ontology/9.9.9", headers={"Accept": "text/turtle"}).status_code == 404


def test_shapes_are_served_as_rdf_and_browsers_go_to_the_ontology_page(client):
    rdf = client.get("/shapes", headers={"Accept": "text/turtle"})
    graph = parse(rdf.data, "turtle")
    assert (rdflib.URIRef(BASE + "shapes#PartnershipShape"), None, None) in graph
    html = client.get("/shapes", headers={"Accept": "text/html"})
    assert html.status_code == 303 and html.headers["Location"].endswith("/ontology#shapes")


def test_rdf_holds_labels_of_linked_entities_and_incoming_links(client):
    graph = parse(client.get("/id/operator/siaap.ttl").data, "turtle")
    france = rdflib.URIRef(BASE + "id/country/france")
    assert (france, rdflib.RDFS.label, rdflib.Literal("France", lang="en")) in graph
    partnership = rdflib.URIRef(BASE + "id/partnership/onee-siaap")
    mentor = rdflib.URIRef(BASE + "ontology#mentor")
    assert (partnership, mentor, rdflib.URIRef(BASE + "id/operator/siaap")) in graph


def test_custom_base(tmp_path):
    data = tmp_path / "one.ttl"
    data.write_text(
        "<http://example.org/kb/id/thing/a> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"Thing A"@en .\n'
    )
    app = create_app({"base": "http://example.org/kb/", "data": [str(data)]})
    response = app.test_client().get("/id/thing/a.nt")
    assert response.status_code == 200
    assert b"<http://example.org/kb/id/thing/a>" in response.data


def test_named_graph_iris_resolve(client):
    graph = parse(client.get("/graph/case/onee-siaap.ttl").data, "turtle")
    size = next(graph.objects(rdflib.URIRef(BASE + "graph/case/onee-siaap"), rdflib.VOID.triples))
    assert int(size) > 100
    page = client.get("/graph/case/onee-siaap", headers={"Accept": "text/html"})
    assert BeautifulSoup(page.data, "html.parser").find("a", href=lambda h: h.startswith("/sparql"))
    assert client.get("/graph/none", headers={"Accept": "text/turtle"}).status_code == 404
