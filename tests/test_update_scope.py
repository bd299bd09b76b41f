"""Which graphs a SPARQL Update names (so it can run on them alone), and what is refused."""

from __future__ import annotations

import pytest

from wopgraph.update_scope import UpdateScopeError, update_graphs

A, B = "http://example.org/a", "http://example.org/b"
QUADS = "{ ?s ?p ?o }"


@pytest.mark.parametrize(
    ("update", "graphs"),
    [
        (f"INSERT DATA {{ GRAPH <{A}> {{ <urn:s> <urn:p> 1 }} }}", {A}),
        (
            "PREFIX ex: <http://example.org/> DELETE DATA { GRAPH ex:a { <urn:s> <urn:p> 1 } }",  # noqa: E501
            {A},
        ),
        (f"WITH <{A}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", {A}),
        (
            f"DELETE {{ GRAPH <{A}> {QUADS} }} USING NAMED <{B}> WHERE {{ GRAPH <{B}> {QUADS} }}",
            {A, B},
        ),
        (f"COPY SILENT GRAPH <{A}> TO GRAPH <{B}>", {A, B}),
        (f"MOVE <{A}> TO <{B}>", {A, B}),
        (f"DROP SILENT GRAPH <{A}> ; CREATE GRAPH <{B}>", {A, B}),
        (f'INSERT DATA {{ GRAPH <{A}> {{ <urn:s> <urn:p> "GRAPH ?g DROP ALL" }} }}', {A}),
        ("INSERT DATA { <urn:s> <urn:p> 1 }", set()),
        ("BASE <http://example.org/> CLEAR GRAPH <a>", {A}),
    ],
)
def test_the_graphs_an_update_names(update, graphs):
    assert update_graphs(update) == graphs


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", "GRAPH \\?g: an update must name"),
        ("DROP ALL", "DROP ALL is not allowed"),
        ("CLEAR SILENT NAMED", "CLEAR NAMED is not allowed"),
        ("CLEAR DEFAULT", "default graph is the union"),
        (f"ADD <{A}> TO DEFAULT", "default graph is the union"),
        (f"LOAD <http://example.org/data.ttl> INTO GRAPH <{A}>", "LOAD is not allowed"),
        (
            f"INSERT {{ GRAPH <{A}> {QUADS} }} WHERE {{ SERVICE <http://x/> {QUADS} }}",
            "SERVICE",
        ),
        ("INSERT DATA { GRAPH nope:a { <urn:s> <urn:p> 1 } }", "prefix is not declared"),
    ],
)
def test_an_update_that_cannot_be_scoped_is_refused(update, reason):
    with pytest.raises(UpdateScopeError, match=reason):
        update_graphs(update)
