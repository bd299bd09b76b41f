"""``SERVICE text:`` on /sparql: the block's parser, its rewrite into VALUES, the refusals,
and the real server answering from the site's search index (:mod:`wopgraph.textsearch`)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
import rdflib
from SPARQLWrapper import JSON, SPARQLWrapper

from server import LiveServer
from wopgraph import config, textsearch
from wopgraph.endpoint import Backend, EndpointError, ProtocolRequest, Summary
from wopgraph.namespaces import PREFIXES
from wopgraph.search import SearchIndex

TEXT = "PREFIX text: <https://w3id.org/wop/text#>\n"
ID = "https://w3id.org/wop/id/"
WOP = "https://w3id.org/wop/ontology#"
SIAAP, ONEE = ID + "operator/siaap", ID + "operator/onee"
ELECTRICITY = "https://w3id.org/wop/vocab/service/electricity"
#: What the fake search of the unit tests finds, whatever it is asked.
HITS = [("https://example.org/a", 150), ("https://example.org/b", 10)]


class FakeSearch:
    """A :data:`~wopgraph.textsearch.Search` that records its calls and finds :data:`HITS`."""

    def __init__(self, hits=HITS):
        """Find ``hits`` for every search."""
        self.hits = hits
        self.calls: list[tuple[str, int, frozenset[str] | None]] = []

    def __call__(self, words, limit, classes):
        """Record the call; return the hits, cut at ``limit``."""
        self.calls.append((words, limit, classes))
        return self.hits[:limit]


# (id, query after the text: prefix, the searches made, the rows the rewritten query gives)
GOOD = [
    (
        "score-and-limit",
        'SELECT ?e ?s WHERE { SERVICE text: { ?e text:matches "nairobi water" ; '
        "text:score ?s ; text:limit 20 . } }",
        [("nairobi water", 20, None)],
        [("https://example.org/a", "150"), ("https://example.org/b", "10")],
    ),
    (
        "default-limit-no-score",
        'SELECT ?e WHERE { SERVICE text: { ?e text:matches "siaap" } }',
        [("siaap", textsearch.DEFAULT_LIMIT, None)],
        [("https://example.org/a",), ("https://example.org/b",)],
    ),
    (
        "full-iris-silent-dollar",
        "SELECT $e WHERE { SERVICE SILENT <https://w3id.org/wop/text#> "
        '{ $e <https://w3id.org/wop/text#matches> "x" } }',
        [("x", textsearch.DEFAULT_LIMIT, None)],
        [("https://example.org/a",), ("https://example.org/b",)],
    ),
    (
        "triples-repeating-the-subject",
        'SELECT ?e ?s WHERE { SERVICE text: { ?e text:matches "x" . ?e text:score ?s . '
        "?e text:limit 1 } }",
        [("x", 1, None)],
        [("https://example.org/a", "150")],
    ),
    (
        "classes-object-list-final-dot",
        'SELECT ?e WHERE { SERVICE text:{?e text:matches "x"@en-GB; text:class wop:Operator, '
        "<https://w3id.org/wop/ontology#Partnership>.} }",
        [("x", 1000, frozenset({WOP + "Operator", WOP + "Partnership"}))],
        [("https://example.org/a",), ("https://example.org/b",)],
    ),
    (
        "escapes-long-string-integer-then-dot",
        'SELECT ?e WHERE { SERVICE text: { ?e text:matches """\\u00c9lectricit\\u00e9 \\"x\\"""" ;'
        " text:limit 2. } }",
        [('Électricité "x"', 2, None)],
        [("https://example.org/a",), ("https://example.org/b",)],
    ),
    (
        "two-blocks-joined",
        'SELECT ?a ?b WHERE { SERVICE text: { ?a text:matches "one" ; text:limit 1 } '
        'SERVICE text: { ?b text:matches "two" ; text:limit 1 } }',
        [("one", 1, None), ("two", 1, None)],
        [("https://example.org/a", "https://example.org/a")],
    ),
    (
        "joined-with-patterns-and-optional",
        'SELECT ?e WHERE { OPTIONAL { SERVICE text: { ?e text:matches "x" } } '
        "FILTER(?e != <https://example.org/b>) }",
        [("x", 1000, None)],
        [("https://example.org/a",)],
    ),
]


def rows(query: str) -> list[tuple[str, ...]]:
    """The rows of a SELECT run on an empty store, as tuples of values."""
    result = ox.Store().query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [tuple(row[n].value for n in names if row[n] is not None) for row in result]


@pytest.mark.parametrize(
    ("query", "searches", "expected"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD]
)
def test_rewrite(query, searches, expected):
    search = FakeSearch()
    rewritten = textsearch.rewrite(TEXT + query, PREFIXES, None, search)
    assert search.calls == searches
    assert "SERVICE" not in rewritten
    assert rows(rewritten) == expected


def test_rewrite_keeps_the_rest_and_the_line_numbers():
    query = TEXT + 'SELECT * WHERE {\n  SERVICE text: {\n ?e text:matches "x"\n }\n ?e ?p ?o }'
    rewritten = textsearch.rewrite(query, PREFIXES, None, FakeSearch([]))
    assert rewritten == TEXT + "SELECT * WHERE {\n  VALUES ?e { }\n\n\n ?e ?p ?o }"


def test_queries_without_a_text_block_are_left_alone():
    query = TEXT + 'SELECT * WHERE { ?s ?p "SERVICE text: { ?e text:matches 1 }" }'
    search = FakeSearch()
    assert textsearch.rewrite(query, PREFIXES, None, search) == query
    assert search.calls == []


# (id, query after the text: prefix, what the message must hold)
REFUSED = [
    ("no-matches", "SELECT * { SERVICE text: { ?e text:score ?s } }", "no text:matches"),
    ("empty-block", "SELECT * { SERVICE text: { } }", "the block is empty"),
    ("variable-words", "SELECT * { SERVICE text: { ?e text:matches ?q } }", "not the variable ?q"),
    ("iri-words", "SELECT * { SERVICE text: { ?e text:matches <x:y> } }", "needs a string"),
    ("number-words", "SELECT * { SERVICE text: { ?e text:matches 3 } }", "needs a string"),
    (
        "typed-words",
        'SELECT * { SERVICE text: { ?e text:matches "x"^^xsd:string } }',
        "not a typed literal",
    ),
    ("no-words", 'SELECT * { SERVICE text: { ?e text:matches " -- " } }', "has no words"),
    (
        "unknown-predicate",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:query "y" } }',
        "unknown predicate text:query",
    ),
    (
        "other-predicate",
        'SELECT * { SERVICE text: { ?e rdfs:label "x" } }',
        "unknown predicate rdfs:label",
    ),
    ("a-predicate", "SELECT * { SERVICE text: { ?e a wop:Operator } }", "found a"),
    (
        "iri-subject",
        'SELECT * { SERVICE text: { <https://example.org/a> text:matches "x" } }',
        "the subject must be a variable",
    ),
    (
        "two-subjects",
        'SELECT * { SERVICE text: { ?e text:matches "x" . ?f text:score ?s } }',
        "every triple must be about ?e, not ?f",
    ),
    (
        "twice-matches",
        'SELECT * { SERVICE text: { ?e text:matches "x", "y" } }',
        "text:matches is given 2 times",
    ),
    (
        "score-not-variable",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:score 3 } }',
        "text:score needs a variable",
    ),
    (
        "score-is-subject",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:score ?e } }',
        "other than the subject",
    ),
    (
        "limit-zero",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:limit 0 } }',
        "text:limit 0: give a whole number from 1 to 10000",
    ),
    (
        "limit-too-big",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:limit 10001 } }',
        "text:limit 10001",
    ),
    (
        "limit-decimal",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:limit 2.5 } }',
        "text:limit 2.5",
    ),
    (
        "limit-variable",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:limit ?n } }',
        "text:limit needs a whole number, not ?n",
    ),
    (
        "class-literal",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:class "Operator" } }',
        "text:class needs a class IRI",
    ),
    (
        "class-undeclared-prefix",
        'SELECT * { SERVICE text: { ?e text:matches "x" ; text:class nope:Operator } }',
        "text:class nope:Operator: its prefix is not declared",
    ),
    (
        "nested-group",
        'SELECT * { SERVICE text: { ?e text:matches "x" . { ?e ?p ?o } } }',
        "only triples about one variable go in the block; found {",
    ),
    (
        "filter-inside",
        'SELECT * { SERVICE text: { ?e text:matches "x" FILTER(true) } }',
        "expected '.', ';' or '}' after a triple, found FILTER",
    ),
    ("not-closed", 'SELECT * { SERVICE text: { ?e text:matches "x" ', "not closed"),
    ("no-braces", "SELECT * { SERVICE text: ?e }", "expected '{'"),
    (
        "escaped-keyword",
        'SELECT * { SERV\\u0049CE text: { ?e text:matches "x" } }',
        "without \\u escapes",
    ),
    (
        "bad-string-escape",
        'SELECT * { SERVICE text: { ?e text:matches "a\\qb" } }',
        '(line 2): the string "a\\qb" has an invalid escape \\q.',
    ),
    (
        "too-many-blocks",
        "SELECT * {" + ' SERVICE text: { ?e text:matches "x" }' * 5 + " }",
        "5 text search blocks; at most 4",
    ),
]


@pytest.mark.parametrize(
    ("query", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused(query, message):
    with pytest.raises(textsearch.TextSearchError) as caught:
        textsearch.rewrite(TEXT + query, PREFIXES, None, FakeSearch())
    assert message in str(caught.value)


def test_refusal_names_the_line():
    query = TEXT + "SELECT * {\n\n  SERVICE text: { ?e text:matches ?q } }"
    with pytest.raises(textsearch.TextSearchError, match=r"^SERVICE text: \(line 4\): "):
        textsearch.rewrite(query, PREFIXES, None, FakeSearch())


def backend(search=None) -> Backend:
    """A backend that prepares requests only (no store, no query process)."""
    return Backend(config.load({}, environ={}), Summary((), 0), None, text_search=search)


def test_prepare_runs_the_rewritten_query():
    search = FakeSearch()
    request = ProtocolRequest(
        queries=[TEXT + 'SELECT ?e { SERVICE text: { ?e text:matches "x" } }']
    )
    job = backend(search).prepare(request, None).job
    assert search.calls == [("x", textsearch.DEFAULT_LIMIT, None)]
    expected = "SELECT ?e { VALUES ?e { <https://example.org/a> <https://example.org/b> } }"
    assert job.query == TEXT + expected


def test_a_repeated_query_is_searched_once_per_data_version():
    search = FakeSearch()
    served = backend(search)
    request = ProtocolRequest(
        queries=[TEXT + 'SELECT ?e { SERVICE text: { ?e text:matches "x" } }']
    )
    first = served.prepare(request, None).job
    assert served.prepare(request, None).job == first
    assert len(search.calls) == 1, "the same text at the same data version: no new search"
    served.initial_head = 7  # what a write does to the data version
    assert served.prepare(request, None).job == first
    assert len(search.calls) == 2, "another data version: searched again"


# (id, query, the backend's search, what the message must hold)
PREPARE_REFUSED = [
    (
        "malformed",
        TEXT + "SELECT * { SERVICE text: { ?e text:limit 3 } }",
        FakeSearch(),
        "SERVICE text: (line 2): no text:matches",
    ),
    (
        "no-index",
        TEXT + 'SELECT * { SERVICE text: { ?e text:matches "x" } }',
        None,
        "text search is not available",
    ),
    (
        "outside-service",
        TEXT + 'SELECT * { SERVICE text: { ?e text:matches "x" } '
        "SERVICE <http://remote.example/> { ?e ?p ?o } }",
        FakeSearch(),
        "SERVICE <http://remote.example/> is not allowed",
    ),
    (
        "update",
        TEXT + 'INSERT { ?e a <x:y> } WHERE { SERVICE text: { ?e text:matches "x" } }',
        FakeSearch(),
        "SPARQL Update is not accepted",
    ),
]


@pytest.mark.parametrize(
    ("query", "search", "message"),
    [r[1:] for r in PREPARE_REFUSED],
    ids=[r[0] for r in PREPARE_REFUSED],
)
def test_prepare_refuses(query, search, message):
    with pytest.raises(EndpointError) as caught:
        backend(search).prepare(ProtocolRequest(queries=[query]), None)
    assert caught.value.status == 400
    assert message in caught.value.message
    assert search is None or search.calls == []


def small_index() -> SearchIndex:
    """An index of four entities: two operators, a partnership and a text-only match."""
    index = SearchIndex()
    for iri, label, kind in [
        ("https://example.org/b", "Nairobi Water", WOP + "Operator"),
        ("https://example.org/a", "Nairobi Water Company", WOP + "Operator"),
        ("https://example.org/p", "Nairobi water partnership", WOP + "Partnership"),
        ("https://example.org/t", "Kisumu", WOP + "Operator"),
    ]:
        index.add_label(iri, label, "en")
        index.add_type(iri, kind)
    index.add_text("https://example.org/t", "Works with Nairobi on water.")
    return index.finish()


# (query, limit, classes, expected (IRI, score) best first)
RANKED = [
    (
        "nairobi water",
        10,
        None,
        [
            ("https://example.org/b", 150),
            ("https://example.org/a", 120),
            ("https://example.org/p", 120),
            ("https://example.org/t", 10),
        ],
    ),
    ("nairobi water", 2, None, [("https://example.org/b", 150), ("https://example.org/a", 120)]),
    (
        "nairobi",
        10,
        frozenset({WOP + "Partnership", WOP + "Country"}),
        [("https://example.org/p", 120)],
    ),
    ("mombasa", 10, None, []),
]


@pytest.mark.parametrize(("query", "limit", "classes", "expected"), RANKED)
def test_ranked(query, limit, classes, expected):
    assert small_index().ranked(query, limit, classes) == expected


# The real server, with the bundled data (ONEE and SIAAP).


@pytest.fixture(scope="module")
def server():
    """``wopgraph serve`` with the bundled data and default settings: writes off."""
    with LiveServer() as live:
        yield live


def select(server, query: str) -> list[dict[str, str]]:
    """Run a SELECT through SPARQLWrapper; the rows as {variable: value}."""
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(JSON)
    sparql.setTimeout(30)
    result = sparql.queryAndConvert()
    return [{k: v["value"] for k, v in b.items()} for b in result["results"]["bindings"]]


def refusal(server, query: str, data: bytes | None = None) -> tuple[int, str]:
    """The status and message of a request the server refuses (a query, or an update)."""
    url = server.endpoint if data else f"{server.endpoint}?query={urllib.parse.quote(query)}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    return caught.value.code, caught.value.read().decode()


def test_exact_label_first(server):
    found = select(
        server,
        TEXT + "SELECT ?entity ?score ?label WHERE {\n"
        '  SERVICE text: { ?entity text:matches "siaap" ; text:score ?score ; text:limit 5 }\n'
        '  ?entity rdfs:label ?label . FILTER(lang(?label) = "")\n'
        "} ORDER BY DESC(?score) ?entity",
    )
    assert found[0] == {"entity": SIAAP, "score": "150", "label": "SIAAP"}
    assert all(int(row["score"]) <= 150 for row in found)


@pytest.mark.parametrize("words", ["électricité", "ELECTRICITE", "electr"])
def test_accents_and_case_folded(server, words):
    found = select(
        server,
        TEXT + f'SELECT ?e ?s {{ SERVICE text: {{ ?e text:matches "{words}" ; text:score ?s }} }}'
        " ORDER BY DESC(?s) ?e",
    )
    entities = [row["e"] for row in found]
    assert ELECTRICITY in entities and ONEE in entities
    if words != "electr":  # a prefix is no exact label
        assert found[0] == {"e": ELECTRICITY, "s": "150"}


def test_class_keeps_only_its_entities(server):
    found = select(
        server,
        TEXT + 'SELECT ?e { SERVICE text: { ?e text:matches "onee" ; text:class wop:Operator } }',
    )
    assert found == [{"e": ONEE}]


def test_limit_cuts_after_the_best(server):
    found = select(
        server, TEXT + 'SELECT ?e { SERVICE text: { ?e text:matches "sia" ; text:limit 1 } }'
    )
    assert found == [{"e": SIAAP}]


def test_a_miss_gives_no_rows(server):
    query = TEXT + 'SELECT ?e ?l { SERVICE text: { ?e text:matches "qqzzxx" } ?e rdfs:label ?l }'
    assert select(server, query) == []


def test_malformed_block_is_a_400_naming_it(server):
    status, message = refusal(server, TEXT + "SELECT * {\n SERVICE text: { ?e text:matches ?q } }")
    assert status == 400
    assert "SERVICE text: (line 3): text:matches needs a string of words" in message


def test_text_service_on_a_read_only_server(server):
    """Writes are off: updates are refused, yet the reserved SERVICE IRI is answered."""
    update = urllib.parse.urlencode({"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}).encode()
    status, message = refusal(server, "", data=update)
    assert status == 400 and "SPARQL Update is not accepted" in message
    found = select(server, TEXT + 'SELECT ?e { SERVICE text: { ?e text:matches "onee" } }')
    assert {"e": ONEE} in found


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }",
        'SELECT * { SERVICE text: { ?e text:matches "onee" } '
        "SERVICE <http://remote.example/sparql> { ?e ?p ?o } }",
        "SELECT * { SERVICE <https://w3id.org/wop/text#other> { ?s ?p ?o } }",
    ],
)
def test_other_services_still_refused(server, query):
    status, message = refusal(server, TEXT + query)
    assert status == 400
    assert "is not allowed" in message


def test_service_description_names_the_text_search(server):
    request = urllib.request.Request(server.endpoint, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        described = rdflib.Graph().parse(data=response.read(), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    text = rdflib.URIRef("https://w3id.org/wop/text#")
    assert (rdflib.URIRef(server.endpoint), sd.feature, text) in described
    comment = described.value(text, rdflib.RDFS.comment)
    assert comment is not None and "text:matches" in comment
