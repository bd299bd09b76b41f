"""The query scanner: form, FROM clauses, SERVICE endpoints and lookups, checked against
rdflib's parser and Oxigraph's answers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from wopgraph.namespaces import PREFIXES
from wopgraph.sparql_scan import scan, tokens
from wopgraph.store import OxigraphStore, Store

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


E = "http://x/e"
ENTITY_PAGE = (
    f"CONSTRUCT {{ <{E}> ?p ?o . ?s ?q <{E}> }}\n"
    f"WHERE {{ {{ <{E}> ?p ?o }} UNION {{ ?s ?q <{E}> }} }}"
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
WOP = PREFIXES["wop"]


@pytest.mark.parametrize(
    ("query", "patterns"),
    [
        (ENTITY_PAGE, ((E, None, None), (None, None, E))),
        # Template in another order, trailing dots, $ variables, the keyword WHERE left out.
        (
            f"CONSTRUCT {{ ?s ?q <{E}> . <{E}> $p $o . }}"
            f"{{ {{ <{E}> $p $o . }} UNION {{ ?s ?q <{E}> }} }}",
            ((E, None, None), (None, None, E)),
        ),
        (f"construct where {{ <{E}> ?p ?o }}", ((E, None, None),)),
        (
            "CONSTRUCT { ?s a wop:Operator } WHERE { ?s a wop:Operator. }",
            ((None, RDF_TYPE, WOP + "Operator"),),
        ),
        (
            "PREFIX w: <https://w3id.org/wop/ontology#>\n"
            "CONSTRUCT { ?s a w:Operator } WHERE { ?s a w:Operator.}",
            ((None, RDF_TYPE, WOP + "Operator"),),
        ),
        ("CONSTRUCT WHERE { ?s wop:mentor wop:x }", ((None, WOP + "mentor", WOP + "x"),)),
        (
            f"CONSTRUCT {{ <{E}> ?a ?b . ?c ?d <{E}> . ?f <{E}> ?g }}\n"
            f"WHERE {{ {{ <{E}> ?a ?b }} UNION {{ ?c ?d <{E}> }} UNION {{ ?f <{E}> ?g }} }}",
            ((E, None, None), (None, None, E), (None, E, None)),
        ),
        # Refused: anything whose answer is not exactly the triples matching the patterns.
        (
            f"CONSTRUCT {{ <{E}> ?p ?o . ?o ?p <{E}> }}"  # a shared variable
            f"WHERE {{ {{ <{E}> ?p ?o }} UNION {{ ?o ?p <{E}> }} }}",
            None,
        ),
        (
            f"CONSTRUCT {{ <{E}> ?p ?o . <{E}> <http://x/p> <http://x/o> }}"  # no variable
            f"WHERE {{ {{ <{E}> ?p ?o }} UNION {{ <{E}> <http://x/p> <http://x/o> }} }}",
            None,
        ),
        (
            f"CONSTRUCT {{ <{E}> ?p ?o }} WHERE {{ {{ <{E}> ?p ?o }} UNION {{ ?s ?q <{E}> }} }}",
            None,
        ),  # template and WHERE differ
        (f"CONSTRUCT {{ <{E}> ?p ?p }} WHERE {{ <{E}> ?p ?p }}", None),  # a repeated variable
        ("CONSTRUCT WHERE { ?s ?p ?o }", None),  # no IRI: a scan of everything
        (f"CONSTRUCT WHERE {{ <{E}> ?p ?o . ?o ?q ?r }}", None),  # a join
        (f"CONSTRUCT WHERE {{ <{E}> ?p ?o }} LIMIT 5", None),
        (f"CONSTRUCT WHERE {{ <{E}> ?p ?o }} ORDER BY ?o", None),
        (f"CONSTRUCT FROM <http://g/> WHERE {{ <{E}> ?p ?o }}", None),
        (f"CONSTRUCT {{ <{E}> ?p ?o }} FROM <http://g/> WHERE {{ <{E}> ?p ?o }}", None),
        (f"CONSTRUCT WHERE {{ <{E}> ?p 'v' }}", None),  # a literal
        (f"CONSTRUCT WHERE {{ <{E}> ?p _:b }}", None),  # a blank node
        (f"CONSTRUCT WHERE {{ <{E}> <http://x/p>/<http://x/q> ?o }}", None),  # a path
        (f"CONSTRUCT WHERE {{ <{E}> ?p ?o FILTER (?o) }}", None),
        (f"CONSTRUCT WHERE {{ GRAPH ?g {{ <{E}> ?p ?o }} }}", None),
        (f"CONSTRUCT {{ <{E}> ?p ?o }} WHERE {{ {{ <{E}> ?p ?o }} }}", None),
        (f"CONSTRUCT WHERE {{ <{E}> ?p ?o . <{E}> ?p ?o }}", None),
        ("BASE <http://x/> CONSTRUCT WHERE { <e> ?p ?o }", None),  # relative: the store's
        ("CONSTRUCT WHERE { undeclared:e ?p ?o }", None),
        (f"CONSTRUCT {{ <{E}> ?p ?o }} WHERE {{ <{E}> ?p ?o }} VALUES ?p {{ <x:p> }}", None),
        (f"DESCRIBE <{E}>", None),
        (f"SELECT * WHERE {{ <{E}> ?p ?o }}", None),
    ],
)
def test_pattern_lookup_is_a_construct_of_the_triples_its_patterns_match(query, patterns):
    assert scan(query, PREFIXES).patterns == patterns


@pytest.mark.parametrize("default_way", [False, True])
def test_a_pattern_lookups_answer_is_the_set_of_triples_its_patterns_match(default_way):
    """The claim the worker relies on, checked against Oxigraph's own CONSTRUCT: a triple
    held in several graphs (or the default graph), matching two patterns, or with blank
    nodes, comes once; nothing else comes."""
    store = OxigraphStore()
    e, p, q = (ox.NamedNode(f"http://x/{n}") for n in ("e", "p", "q"))
    b = ox.BlankNode()
    graphs = [ox.NamedNode(f"http://g/{i}") for i in range(3)] + [ox.DefaultGraph()]
    store.add(ox.Quad(e, p, ox.Literal("v"), g) for g in graphs)
    store.add([ox.Quad(e, p, e, graphs[0]), ox.Quad(b, q, e, graphs[1]), ox.Quad(e, q, b)])
    store.add([ox.Quad(p, p, p, graphs[2]), ox.Quad(ox.NamedNode("http://x/o"), q, p)])
    queries = [
        ENTITY_PAGE,
        f"CONSTRUCT WHERE {{ <{E}> ?p ?o }}",
        "CONSTRUCT WHERE { ?s <http://x/q> ?o }",
        f"CONSTRUCT {{ <{E}> ?a ?b . ?c ?d <{E}> . ?f <{E}> ?g }}\n"
        f"WHERE {{ {{ <{E}> ?a ?b }} UNION {{ ?c ?d <{E}> }} UNION {{ ?f <{E}> ?g }} }}",
    ]
    matching = (lambda *p: Store.matching(store, *p)) if default_way else store.matching
    for query in queries:
        patterns = scan(query, PREFIXES).patterns
        assert patterns is not None, query
        expected = set(store.query(query, union_default_graph=True))
        found = {quad.triple for p in patterns for quad in matching(*p)}
        assert found == expected, query
        assert expected, query
