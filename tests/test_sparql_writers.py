"""The endpoint's result writers agree with Oxigraph's own, and cut answers at the row cap."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib

from wopgraph.writers import GRAPH_FORMATS, write_result, write_solutions, write_triples

TRICKY = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?a ?b ?c ?d ?e WHERE {
  VALUES (?a ?b ?c ?d ?e) {
    ("tab\\there, \\"quoted\\"\\nnew line" "été"@fr 1.5 <http://example.org/x?y=1&z> UNDEF)
    ("plain" "x"^^<http://example.org/dt> true "2024-01-01"^^xsd:date 7)
    (UNDEF UNDEF UNDEF UNDEF UNDEF)
    ("<&>" "a,b" "line\\r\\nbreak" "tab\\tonly" -3)
  }
}"""
QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    TRICKY,
    'SELECT ?t WHERE { BIND(<<( <http://a.example/> <http://b.example/> "c" )>> AS ?t) }',
    "SELECT ?x WHERE { FILTER(false) }",
    "SELECT * WHERE { }",
]


def rows_of(data: bytes, fmt: ox.QueryResultsFormat) -> tuple[list[str], list[tuple]]:
    """Variables and rows (terms as strings) of serialised results."""
    parsed = ox.parse_query_results(data, format=fmt)
    variables = [v.value for v in parsed.variables]
    return variables, [tuple(str(t) if t is not None else None for t in row) for row in parsed]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_solutions_read_back_like_oxigraph_writes_them(store, query, name):
    fmt = getattr(ox.QueryResultsFormat, name.upper())
    ours = write_solutions(store.query(query), name, 1_000_000)
    theirs = store.query(query).serialize(format=fmt)
    assert not ours.truncated
    assert rows_of(ours.body, fmt) == rows_of(theirs, fmt)


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_csv_is_byte_for_byte_oxigraphs(store, query):
    ours = write_solutions(store.query(query), "csv", 1_000_000).body
    assert ours == store.query(query).serialize(format=ox.QueryResultsFormat.CSV)


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_row_cap_cuts_and_says_so(store, name):
    written = write_solutions(store.query("SELECT * WHERE { ?s ?p ?o }"), name, 3)
    assert written.truncated
    assert written.count == 3
    if name in ("json", "xml", "tsv"):
        fmt = getattr(ox.QueryResultsFormat, name.upper())
        assert len(rows_of(written.body, fmt)[1]) == 3
    else:
        assert len(written.body.decode().splitlines()) == 4


def test_json_note_when_cut_and_none_otherwise(store):
    cut = json.loads(write_solutions(store.query("SELECT * { ?s ?p ?o }"), "json", 2).body)
    assert cut["wopgraph"]["truncated"] is True
    assert cut["wopgraph"]["maxRows"] == 2
    assert "--max-rows" in cut["wopgraph"]["message"]
    whole = json.loads(write_solutions(store.query("SELECT * { ?s ?p ?o }"), "json", 10**6).body)
    assert "wopgraph" not in whole


def test_exactly_max_rows_is_not_truncated(store):
    written = write_solutions(store.query("SELECT * { ?s ?p ?o } LIMIT 5"), "json", 5)
    assert written.count == 5
    assert not written.truncated


@pytest.mark.parametrize("name", sorted(GRAPH_FORMATS))
def test_graphs_parse_back(store, name):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 50"
    written = write_triples(store.query(query), name, 10_000)
    parsed = list(ox.parse(written.body, format=GRAPH_FORMATS[name]))
    assert len(parsed) == written.count == 50


def test_graph_cap_cuts(store):
    written = write_triples(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "ntriples", 7)
    assert written.truncated
    assert len(written.body.decode().splitlines()) == 7


def test_turtle_declares_only_prefixes_it_uses(store):
    query = "CONSTRUCT WHERE { ?s a <https://w3id.org/wop/ontology#Partnership> }"
    body = write_triples(store.query(query), "turtle", 100).body.decode()
    assert "@prefix wop:" in body
    assert "@prefix sosa:" not in body
    assert rdflib.Graph().parse(data=body, format="turtle")


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_results_format(store, name):
    written = write_result(store.query("ASK { ?s ?p ?o }"), name, "turtle", 10)
    assert b"true" in written.body
