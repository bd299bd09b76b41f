"""The /sparql protocol, in-process through Flask's test client: statuses, formats, headers."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest
import rdflib
from bs4 import BeautifulSoup

from wopgraph.namespaces import SHARED_GRAPH
from wopgraph.web import create_app

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
ALL = "SELECT * WHERE { ?s ?p ?o }"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


@pytest.fixture(scope="module")
def app():
    """The app over the bundled data, with a small row cap."""
    app = create_app({"max_rows": 50, "query_timeout": 5.0})
    yield app
    app.extensions["wopgraph"].executor.stop()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


def get(client, query, **headers):
    """GET /sparql?query=..."""
    return client.get(f"/sparql?query={quote(query)}", headers=headers)


def test_get_select_defaults_to_json(client):
    response = get(client, "SELECT ?s WHERE { ?s a wop:Partnership }")
    assert response.status_code == 200
    assert response.content_type == "application/sparql-results+json"
    bindings = response.json["results"]["bindings"]
    assert {"type": "uri", "value": "https://w3id.org/wop/id/partnership/onee-siaap"} in [
        b["s"] for b in bindings
    ]


def test_post_form_and_post_direct_give_the_same_answer(client):
    query = "SELECT ?s WHERE { ?s a wop:Partnership } ORDER BY ?s"
    form = client.post("/sparql", data={"query": query})
    direct = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
    assert form.status_code == direct.status_code == 200
    assert form.json == direct.json


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        (
            "text/csv;q=0.1, application/sparql-results+json;q=0.9",
            "application/sparql-results+json",
        ),
    ],
)
def test_select_by_accept(client, accept, content_type):
    response = get(client, "SELECT ?s WHERE { ?s a wop:Operator }", Accept=accept)
    assert response.headers["Content-Type"] == content_type
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("turtle", "text/turtle; charset=utf-8"),
        ("ntriples", "application/n-triples"),
        ("jsonld", "application/ld+json"),
        ("rdfxml", "application/rdf+xml"),
        ("nquads", "application/n-quads"),
        ("trig", "application/trig"),
    ],
)
def test_construct_by_format_parameter(client, fmt, content_type):
    query = "CONSTRUCT WHERE { ?s a wop:Partnership }"
    response = client.get(f"/sparql?query={quote(query)}&format={fmt}", headers={"Accept": "x/y"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_not_acceptable_lists_available_types(client):
    response = get(client, ALL, Accept="image/png")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text
    response = client.get(f"/sparql?query={quote('CONSTRUCT WHERE {?s ?p ?o}')}&format=csv")
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_unknown_format_parameter_is_400(client):
    response = client.get(f"/sparql?query={quote(ALL)}&format=bogus")
    assert response.status_code == 400


def test_syntax_error_is_400_with_position(client):
    response = get(client, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    assert response.content_type.startswith("text/plain")
    assert "not valid SPARQL" in response.text
    assert "1:" in response.text


@pytest.mark.parametrize(
    "url", ["/sparql?query=ASK%7B%7D&query=ASK%7B%7D", "/sparql?query=", "/sparql?query=%20"]
)
def test_repeated_or_empty_query_is_400(client, url):
    assert client.get(url).status_code == 400


def test_missing_query_in_post_is_400(client):
    response = client.post("/sparql", data={"default-graph-uri": "http://x/"})
    assert response.status_code == 400
    assert "Missing query" in response.text


def test_direct_post_with_query_parameter_too_is_400(client):
    response = client.post(
        "/sparql?query=ASK%7B%7D", data=b"ASK {}", content_type="application/sparql-query"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "path": "/sparql?update=CLEAR%20ALL"},
        {"method": "POST", "path": "/sparql", "data": {"update": "CLEAR ALL"}},
        {
            "method": "POST",
            "path": "/sparql",
            "data": b"CLEAR ALL",
            "content_type": "application/sparql-update",
        },
        {"method": "POST", "path": "/sparql", "data": {"query": "INSERT DATA { <a> <b> <c> }"}},
        {"method": "GET", "path": "/sparql?query=DROP%20ALL"},
    ],
)
def test_updates_are_refused(client, request_kwargs):
    response = client.open(**request_kwargs)
    assert response.status_code == 400
    assert "Update is not accepted" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(client, method):
    response = client.open("/sparql?query=ASK%7B%7D", method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_wrong_or_missing_content_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data=b"ASK {}", headers=headers)
    assert response.status_code == 415
    assert "application/sparql-query" in response.headers["Accept-Post"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("ASK {}".encode("utf-16"), "application/sparql-query; charset=UTF-16"),
        ('ASK { ?s ?p "é" }'.encode("latin-1"), "application/sparql-query"),
        (b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22%E9%22%20%7D", FORM),
    ],
)
def test_bodies_must_be_utf8(client, body, content_type):
    response = client.post("/sparql", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert "UTF-8" in response.text


def test_non_utf8_url_is_400(client):
    assert client.get("/sparql?query=ASK%20%7B%22%FF%22%7D").status_code == 400


def test_utf8_literals_round_trip(client):
    response = get(client, 'SELECT ?x WHERE { BIND("Eau potable – été" AS ?x) }')
    assert response.json["results"]["bindings"][0]["x"]["value"] == "Eau potable – été"


def test_cors_on_answers_errors_and_preflight(client):
    assert get(client, "ASK {}").headers["Access-Control-Allow-Origin"] == "*"
    assert get(client, "ASK {").headers["Access-Control-Allow-Origin"] == "*"
    posted = client.post("/sparql", data={"query": "ASK {}"})
    assert posted.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_head_has_headers_and_no_body(client):
    response = client.head(f"/sparql?query={quote(ALL)}")
    assert response.status_code == 200
    assert response.content_type == "application/sparql-results+json"
    assert response.data == b""


def test_gzip_when_accepted_and_large(client):
    zipped = get(client, ALL, **{"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data))["head"]["vars"] == ["o", "p", "s"]
    assert "Accept-Encoding" in zipped.headers["Vary"]
    plain = get(client, ALL)
    assert "Content-Encoding" not in plain.headers
    small = get(client, "ASK {}", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_row_cap_is_announced(client):
    response = get(client, ALL)
    assert response.headers["X-WOPgraph-Truncated"] == "true"
    assert response.headers["X-WOPgraph-Max-Rows"] == "50"
    assert len(response.json["results"]["bindings"]) == 50
    assert response.json["wopgraph"]["truncated"] is True
    small = get(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert "X-WOPgraph-Truncated" not in small.headers


def test_from_clause_is_respected(client, store):
    count = sum(1 for _ in store.quads(str(SHARED_GRAPH)))
    query = f"SELECT (COUNT(*) AS ?n) FROM <{SHARED_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert int(get(client, query).json["results"]["bindings"][0]["n"]["value"]) == count


def test_protocol_dataset_wins_over_from(client):
    query = f"ASK FROM <{SHARED_GRAPH}> WHERE {{ ?s ?p ?o }}"
    url = f"/sparql?query={quote(query)}&default-graph-uri={quote('http://nothing.example/')}"
    assert client.get(url).json["boolean"] is False


def test_service_is_refused_but_the_word_in_a_string_is_not(client):
    refused = get(client, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert refused.status_code == 400
    assert "--allow-service" in refused.text
    variable = get(client, "SELECT * WHERE { SERVICE ?ep { ?s ?p ?o } }")
    assert variable.status_code == 400
    assert "variable" in variable.text
    fine = get(client, 'SELECT * WHERE { BIND("SERVICE <http://example.org/sparql> {}" AS ?x) }')
    assert fine.status_code == 200


def test_describe_returns_the_entity(client):
    response = get(client, "DESCRIBE <https://w3id.org/wop/id/operator/siaap>")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/wop/id/operator/siaap"), None, None) in graph


# rdflib's own JSON-LD parser still builds a ConjunctiveGraph, which rdflib 7 deprecates.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("*/*", "turtle"),
    ],
)
def test_service_description_formats(client, accept, rdflib_format):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
    endpoint = rdflib.URIRef("http://localhost/sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in graph
    names = set(graph.objects(None, SD.name))
    assert rdflib.URIRef(str(SHARED_GRAPH)) in names


def test_browser_gets_a_query_page_with_local_assets(client):
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.content_type.startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    form = page.find("form", id="query-form")
    assert form.find("textarea", attrs={"name": "query"})
    assert form.find("button", attrs={"type": "submit"})
    for tag in page.find_all(["link", "script", "img"]):
        ref = tag.get("href") or tag.get("src") or ""
        assert not ref.startswith(("http://", "https://", "//")) or "localhost" in ref, ref
    css = page.find("link", rel="stylesheet")["href"]
    with client.get(css) as asset:
        assert asset.status_code == 200


def test_oversized_body_is_413(client):
    from wopgraph.config import Settings

    over = int(Settings().max_body_mb * 1024 * 1024) + 1  # the default cap, plus one byte
    response = client.post("/sparql", data=b"#" * over, content_type=DIRECT)
    assert response.status_code == 413
    assert response.content_type.startswith("text/plain")


def test_trailing_slash_path_works_too(client):
    assert client.get("/sparql/?query=ASK%7B%7D").json["boolean"] is True


def test_time_limit_answers_503_with_how_to_change_it():
    slow_app = create_app({"query_timeout": 0.5})
    try:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        response = get(slow_app.test_client(), query)
        assert response.status_code == 503
        assert "0.5 s" in response.text
        assert "--query-timeout" in response.text
    finally:
        slow_app.extensions["wopgraph"].executor.stop()


def test_backend_internal_queries_return_terms(app):
    """select/ask/construct: the API pages and reconciliation build on."""
    from wopgraph.web.sparql import backend  # noqa: F401  (import check only)

    b = app.extensions["wopgraph"]
    rows = b.select("SELECT ?p ?m WHERE { ?p wop:mentor ?m }")
    assert [(r["p"].value, r["m"].value) for r in rows] == [
        ("https://w3id.org/wop/id/partnership/onee-siaap", "https://w3id.org/wop/id/operator/siaap")
    ]
    assert b.ask("ASK { ?p a wop:Partnership }") is True
    triples = b.construct("DESCRIBE <https://w3id.org/wop/id/operator/onee>")
    assert any(t.predicate.value.endswith("#country") for t in triples)
