"""The query scanner: form, FROM clauses and SERVICE endpoints, checked against rdflib's parser."""

from __future__ import annotations

import pytest
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from wopgraph.namespaces import PREFIXES
from wopgraph.sparql_scan import scan, tokens

DECLS = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def rdflib_services(query: str) -> list[str | None]:
    """The SERVICE endpoints rdflib's full parser finds (``None`` for a variable)."""

    def walk(node, out):
        """Collect ServiceGraphPattern terms from a CompValue tree."""
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                out.append(str(term) if term.__class__.__name__ == "URIRef" else None)
            for value in node.values():
                walk(value, out)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value, out)
        return out

    return walk(translateQuery(parseQuery(query)).algebra, [])


QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://no.example/>" }',
    "SELECT * WHERE { ?s ?p '''SERVICE <http://no.example/> {}''' }",
    'SELECT * WHERE { ?s ?p """a "quoted" SERVICE <http://no.example/>""" }',
    "SELECT * WHERE { ?s ?p ?o # SERVICE <http://no.example/> { }\n }",
    "SELECT * WHERE { ?s <http://ex.org/SERVICE> ?o }",
    "SELECT * WHERE { ?s wop:providesService vocab:service }",
    "SELECT * WHERE { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service   silent\n<http://remote.example/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://remote.example/> SELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE wop:ep { ?s ?p ?o } }",
    "SELECT * WHERE { ?x ?y ?ep . SERVICE ?ep { ?s ?p ?o } }",
    "SELECT * WHERE { OPTIONAL { SERVICE <http://a.example/> { ?s ?p ?o } } "
    "SERVICE <http://b.example/> { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "\\"SERVICE <http://no.example/> {}" }',
    "SELECT * WHERE { FILTER(?a<?b) SERVICE <http://c.example/> { ?s ?p ?o } }",
    'SELECT * WHERE { BIND("it\'s" AS ?x) SERVICE <http://d.example/> {} }',
    "SELECT * WHERE { SERV\\u0049CE <http://e.example/> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_services_match_rdflib(query):
    expected = rdflib_services(DECLS + query)
    assert [s.endpoint for s in scan(query, PREFIXES).services] == expected


def test_relative_service_iri_resolves_against_base():
    found = scan("BASE <http://host.example/a/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }")
    assert found.services[0].endpoint == "http://host.example/a/sparql"
    found = scan("SELECT * { SERVICE <sparql> {} }", base_iri="http://host.example/x/y")
    assert found.services[0].endpoint == "http://host.example/x/sparql"


def test_service_with_undeclared_prefix_is_unresolved_not_ignored():
    found = scan("SELECT * { SERVICE nope:ep { ?s ?p ?o } }")
    assert len(found.services) == 1
    assert found.services[0].endpoint is None


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * {}", "SELECT"),
        ("prefix ex: <http://e/> base <http://b/> ask {}", "ASK"),
        ("# comment SELECT\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://x/>", "DESCRIBE"),
        ("INSERT DATA { <a> <b> <c> }", "INSERT"),
        ("PREFIX ex: <http://e/> WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("CLEAR ALL", "CLEAR"),
        ("LOAD <http://x/>", "LOAD"),
        ("garbage", None),
    ],
)
def test_form(query, form):
    assert scan(query).form == form


@pytest.mark.parametrize(
    ("query", "is_update"),
    [("SELECT * {}", False), ("DROP GRAPH <http://g/>", True), ("ADD DEFAULT TO <g>", True)],
)
def test_update_detected(query, is_update):
    assert scan(query).is_update is is_update


@pytest.mark.parametrize(
    ("query", "has_dataset"),
    [
        ("SELECT * {}", False),
        ("SELECT * FROM <http://g/> {}", True),
        ("SELECT * FROM NAMED <http://g/> { GRAPH ?g {} }", True),
        ('SELECT * { ?s ?p "FROM <http://g/>" }', False),
        ("SELECT * { ?s <http://x/FROM> ?o } # FROM <x>", False),
    ],
)
def test_dataset_clauses(query, has_dataset):
    assert scan(query).has_dataset is has_dataset


def test_tokens_keep_strings_iris_and_prefixed_names_whole():
    kinds = [(t.kind, t.text) for t in tokens('SELECT ?x { ex:a <http://b> "c d" } # e')]
    assert ("pname", "ex:a") in kinds
    assert ("iri", "<http://b>") in kinds
    assert ("string", '"c d"') in kinds
    assert all(kind != "comment" for kind, _ in kinds)


@pytest.mark.parametrize(
    ("query", "lookup"),
    [
        ("DESCRIBE <http://x/a>", "http://x/a"),
        ("describe <http://x/a> # a comment", "http://x/a"),
        ("PREFIX ex: <http://e/> DESCRIBE ex:a", "http://e/a"),
        ("BASE <http://b/> DESCRIBE <a>", "http://b/a"),
        ("DESCRIBE <http://x/a> <http://x/b>", None),
        ("DESCRIBE <http://x/a> WHERE { }", None),
        ("DESCRIBE <http://x/a> FROM <http://g/>", None),
        ("DESCRIBE ?x WHERE { ?x ?p ?o }", None),
        ("DESCRIBE *", None),
        ("DESCRIBE undeclared:a", None),
        ("DESCRIBE <http://x/a> LIMIT 1", None),
        ("CONSTRUCT WHERE { <http://x/a> ?p ?o }", None),
        ("SELECT * { <http://x/a> ?p ?o }", None),
    ],
)
def test_lookup_is_one_describe_of_one_resource_and_nothing_more(query, lookup):
    assert scan(query).lookup == lookup
