"""Query parameters (``# param:``): how the header declares them and how values are bound."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from wopgraph.queryfiles import ParamError, QueryFileError, param_term, parse_query_file

QUERY = """\
# title: Things
# description: Every thing.
# param: thing - Only this thing, by IRI.
# param: label hello A label, with a default
#   that goes on.
SELECT ?thing ?label WHERE { ?thing <http://example.org/label> ?label }
"""
DATA = """\
<http://example.org/a> <http://example.org/label> "hello" .
<http://example.org/b> <http://example.org/label> "hello" .
<http://example.org/b> <http://example.org/label> "> } ; DROP ALL #" .
"""


@pytest.fixture
def query(tmp_path):
    """A query file with two parameters, one without a default."""
    path = tmp_path / "things.rq"
    path.write_text(QUERY, encoding="utf-8")
    return parse_query_file(path)


@pytest.fixture(scope="module")
def store():
    """A store with three labelled things."""
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


def rows(store, sparql):
    """The query's rows as tuples of values."""
    return sorted(tuple(t.value for t in row) for row in store.query(sparql))


def test_header_declares_parameters(query):
    assert [(p.name, p.default) for p in query.params] == [("thing", None), ("label", "hello")]
    assert query.params[1].description == "A label, with a default that goes on."
    assert query.body.startswith("SELECT"), "the body leaves the header out"


def test_defaults_are_bound_and_no_default_leaves_the_variable_free(query, store):
    sparql = query.bind()
    assert "VALUES (?label)" in sparql
    assert rows(store, sparql) == [
        ("http://example.org/a", "hello"),
        ("http://example.org/b", "hello"),
    ]


def test_given_values_replace_defaults_and_repeat(query, store):
    sparql = query.bind({"thing": ["http://example.org/b", "<http://example.org/a>"]})
    assert rows(store, sparql) == [
        ("http://example.org/a", "hello"),
        ("http://example.org/b", "hello"),
    ]
    only_b = query.bind({"thing": ["http://example.org/b"], "label": [""]})
    assert rows(store, only_b) == [("http://example.org/b", "hello")], "empty counts as not given"


def test_malicious_value_is_bound_as_a_plain_literal(query, store):
    evil = "> } ; DROP ALL #"
    sparql = query.bind({"label": [evil]})
    assert rows(store, sparql) == [("http://example.org/b", evil)]
    assert len(store) == 3, "nothing was dropped"
    quoting = 'x" } ; DROP ALL ; SELECT * { "'
    assert rows(store, query.bind({"label": [quoting]})) == []


@pytest.mark.parametrize(
    "value", ["http://example.org/a> } ; DROP ALL #", "http://x/a b", "<not an iri>", "urn:x{y}"]
)
def test_values_that_look_like_iris_must_be_valid_iris(value):
    with pytest.raises(ParamError, match="not a valid IRI"):
        param_term("thing", value)


def test_plain_values_become_escaped_string_literals():
    term = param_term("label", 'a "quoted"\nline \\ with } braces')
    assert isinstance(term, ox.Literal) and term.value == 'a "quoted"\nline \\ with } braces'
    assert str(term) == '"a \\"quoted\\"\\nline \\\\ with } braces"'


def test_too_many_or_too_long_values_are_refused(query):
    with pytest.raises(ParamError, match="at most"):
        query.bind({"thing": [f"http://example.org/{i}" for i in range(101)]})
    with pytest.raises(ParamError, match="longer than"):
        query.bind({"label": ["x" * 2001]})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("# param: nothing - Names no variable.", "names no variable"),
        ("# param: lang en Clashes with the interface language.", "reserved"),
        ("# param: thing", "is not"),
        ("# param: 1thing - Not a variable name.", "is not"),
    ],
)
def test_bad_parameter_declarations_name_the_file(tmp_path, line, message):
    path = tmp_path / "bad.rq"
    path.write_text(f"# title: Bad\n{line}\nSELECT ?thing ?lang WHERE {{ ?thing ?p ?lang }}\n")
    with pytest.raises(QueryFileError, match=message) as error:
        parse_query_file(path)
    assert "bad.rq" in str(error.value)
