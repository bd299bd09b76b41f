"""The real server (gunicorn, ``wopgraph serve``) queried with SPARQLWrapper in every format."""

from __future__ import annotations

import csv
import io

import pytest
import rdflib
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from server import LiveServer

ID = "https://w3id.org/wop/id/"
WOP = rdflib.Namespace("https://w3id.org/wop/ontology#")
PARTNERSHIP = rdflib.URIRef(ID + "partnership/onee-siaap")
SIAAP = rdflib.URIRef(ID + "operator/siaap")
MENTORS = f"""PREFIX wop: <{WOP}>
SELECT ?partnership ?mentor WHERE {{ ?partnership wop:mentor ?mentor }} ORDER BY ?partnership"""
CONSTRUCT = f"""PREFIX wop: <{WOP}>
CONSTRUCT {{ ?p wop:mentor ?m }} WHERE {{ ?p wop:mentor ?m }}"""
#: rdflib's RDF/XML and JSON-LD parsers (used by SPARQLWrapper.convert) build a deprecated
#: ConjunctiveGraph; the deprecation is rdflib's own business.
RDFLIB_DEPRECATION = "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"


@pytest.fixture(scope="module")
def server():
    """``wopgraph serve`` with the bundled data and default settings."""
    with LiveServer() as live:
        yield live


def client(server, query, fmt, method="GET", request_method=URLENCODED, conneg=False):
    """A SPARQLWrapper set up for ``query``; ``conneg`` sends only ``Accept``, no format=."""
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    sparql.setOnlyConneg(conneg)
    sparql.setTimeout(30)
    return sparql


WAYS = [
    pytest.param("GET", URLENCODED, False, id="get"),
    pytest.param("GET", URLENCODED, True, id="get-conneg"),
    pytest.param(POST, URLENCODED, False, id="post-form"),
    pytest.param(POST, POSTDIRECTLY, True, id="post-direct-conneg"),
]


@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_select_json(server, method, request_method, conneg):
    result = client(server, MENTORS, JSON, method, request_method, conneg).queryAndConvert()
    rows = [
        (b["partnership"]["value"], b["mentor"]["value"]) for b in result["results"]["bindings"]
    ]
    assert (str(PARTNERSHIP), str(SIAAP)) in rows


@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_select_xml(server, method, request_method, conneg):
    document = client(server, MENTORS, XML, method, request_method, conneg).queryAndConvert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert str(PARTNERSHIP) in uris
    assert str(SIAAP) in uris


@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_select_csv(server, method, request_method, conneg):
    raw = client(server, MENTORS, CSV, method, request_method, conneg).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert rows[0] == ["partnership", "mentor"]
    assert [str(PARTNERSHIP), str(SIAAP)] in rows[1:]


@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_select_tsv(server, method, request_method, conneg):
    raw = client(server, MENTORS, TSV, method, request_method, conneg).queryAndConvert()
    lines = [line.split("\t") for line in raw.decode("utf-8").splitlines()]
    assert lines[0] == ["?partnership", "?mentor"]
    assert [f"<{PARTNERSHIP}>", f"<{SIAAP}>"] in lines[1:]


@pytest.mark.parametrize("fmt", [JSON, XML])
@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_ask(server, fmt, method, request_method, conneg):
    query = f"ASK {{ <{PARTNERSHIP}> <{WOP.mentor}> <{SIAAP}> }}"
    converted = client(server, query, fmt, method, request_method, conneg).queryAndConvert()
    if fmt == JSON:
        assert converted["boolean"] is True
    else:
        assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"


def as_graph(converted, fmt) -> rdflib.Graph:
    """SPARQLWrapper's converted CONSTRUCT answer as an rdflib graph."""
    if isinstance(converted, bytes):  # Turtle and N3 come back as text (plain triples in N3
        # are Turtle, and rdflib's N3 parser trips over its own deprecations)
        return rdflib.Graph().parse(data=converted.decode("utf-8"), format="turtle")
    return converted


@pytest.mark.filterwarnings(RDFLIB_DEPRECATION)
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
@pytest.mark.parametrize(("method", "request_method", "conneg"), WAYS)
def test_construct(server, fmt, method, request_method, conneg):
    converted = client(server, CONSTRUCT, fmt, method, request_method, conneg).queryAndConvert()
    graph = as_graph(converted, fmt)
    assert (PARTNERSHIP, WOP.mentor, SIAAP) in graph


@pytest.mark.filterwarnings(RDFLIB_DEPRECATION)
@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD])
def test_describe(server, fmt):
    converted = client(server, f"DESCRIBE <{PARTNERSHIP}>", fmt).queryAndConvert()
    graph = as_graph(converted, fmt)
    assert (PARTNERSHIP, WOP.mentor, SIAAP) in graph
    assert all(s == PARTNERSHIP for s in graph.subjects())


def test_ntriples_by_accept(server):
    import urllib.parse
    import urllib.request

    url = f"{server.endpoint}?query={urllib.parse.quote(CONSTRUCT)}"
    request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"] == "application/n-triples"
        graph = rdflib.Graph().parse(data=response.read().decode(), format="nt")
    assert (PARTNERSHIP, WOP.mentor, SIAAP) in graph


@pytest.mark.parametrize(
    ("query", "fmt"),
    [
        ("SELECT * WHERE { ?s ?p }", JSON),
        # Lookups answered in the worker: a bad IRI still gets the parser's message.
        ("CONSTRUCT WHERE { <http://example.org/%zz> ?p ?o }", TURTLE),
        ("DESCRIBE <http://example.org/%zz>", TURTLE),
    ],
)
def test_syntax_error_is_bad_request_with_the_parsers_message(server, query, fmt):
    with pytest.raises(QueryBadFormed, match="not valid SPARQL"):
        client(server, query, fmt).query()


def test_update_is_refused(server):
    sparql = client(server, "INSERT DATA { <http://a> <http://b> <http://c> }", JSON, POST)
    with pytest.raises(QueryBadFormed, match="Update is not accepted"):
        sparql.query()
    ask = client(server, "ASK { <http://a> <http://b> <http://c> }", JSON).queryAndConvert()
    assert ask["boolean"] is False
