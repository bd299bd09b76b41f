"""Content negotiation on its own: Accept parsing, q-values, wildcards, format= overrides."""

from __future__ import annotations

import pytest

from wopgraph import negotiation as neg


def test_parse_accept_reads_q_values_and_skips_junk():
    ranges = neg.parse_accept("text/turtle;q=0.5, junk, */*;q=0.1, application/json;q=x")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "turtle", 0.5),
        ("*", "*", 0.1),
        ("application", "json", 1.0),
    ]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        ("application/sparql-results+xml", "xml"),
        ("application/sparql-results+json", "json"),
        ("application/json", "json"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
        ("text/*", "csv"),
        ("text/csv;q=0.5, text/tab-separated-values", "tsv"),
        ("application/sparql-results+xml, application/sparql-results+json", "xml"),
        ("application/sparql-results+json;q=0.9, */*;q=1", "xml"),  # most specific range wins
        ("text/csv, */*", "csv"),
        ("*/*;q=0.1, application/sparql-results+xml;q=0.2", "xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
        ("TEXT/CSV", "csv"),
        ("text/csv; charset=utf-8", "csv"),
    ],
)
def test_results_by_accept(accept, expected):
    assert neg.negotiate(neg.RESULTS, accept).name == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "turtle"),
        ("application/n-triples", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/xml", "rdfxml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
        ("text/n3", "n3"),
        ("text/turtle;q=0.2, application/rdf+xml;q=0.8", "rdfxml"),
        ("application/*", "ntriples"),
    ],
)
def test_graphs_by_accept(accept, expected):
    assert neg.negotiate(neg.GRAPHS, accept).name == expected


def test_browser_gets_html_description_and_curl_gets_turtle():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert neg.negotiate(neg.DESCRIPTION, browser).name == "html"
    assert neg.negotiate(neg.DESCRIPTION, "*/*").name == "turtle"


def test_q_zero_excludes_a_format():
    assert neg.negotiate(neg.RESULTS, "application/sparql-results+json;q=0, */*").name == "xml"


def test_nothing_acceptable_lists_the_available_types():
    with pytest.raises(neg.NotAcceptable) as info:
        neg.negotiate(neg.RESULTS, "image/png")
    assert "application/sparql-results+json" in str(info.value)
    assert "text/tab-separated-values" in info.value.available


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (neg.RESULTS, ["json"], "json"),
        (neg.RESULTS, ["XML"], "xml"),
        (neg.RESULTS, ["csv"], "csv"),
        (neg.RESULTS, ["tsv", "text/tab-separated-values"], "tsv"),
        (neg.RESULTS, ["application/sparql-results+json"], "json"),
        (neg.GRAPHS, ["turtle"], "turtle"),
        (neg.GRAPHS, ["ntriples"], "ntriples"),
        (neg.GRAPHS, ["jsonld"], "jsonld"),
        (neg.GRAPHS, ["json-ld", "application/ld+json"], "jsonld"),
        (neg.GRAPHS, ["rdfxml"], "rdfxml"),
        (neg.GRAPHS, ["rdf+xml", "application/rdf+xml"], "rdfxml"),
        (neg.GRAPHS, ["xml"], "rdfxml"),
        (neg.GRAPHS, ["json"], "jsonld"),
        (neg.GRAPHS, ["text/turtle"], "turtle"),
        (neg.DESCRIPTION, ["html"], "html"),
    ],
)
def test_format_parameter_overrides_accept(kind, values, expected):
    assert neg.negotiate(kind, "image/png", values).name == expected


def test_format_of_another_kind_is_not_acceptable():
    with pytest.raises(neg.NotAcceptable):
        neg.negotiate(neg.GRAPHS, None, ["csv"])


def test_unknown_format_is_an_error_naming_the_choices():
    with pytest.raises(neg.UnknownFormat, match="turtle"):
        neg.negotiate(neg.GRAPHS, None, ["bogus"])


def test_empty_format_parameter_falls_back_to_accept():
    assert neg.negotiate(neg.RESULTS, "text/csv", [""]).name == "csv"


def test_text_types_carry_a_charset():
    assert neg.CSV.content_type == "text/csv; charset=utf-8"
    assert neg.JSON.content_type == "application/sparql-results+json"


def test_every_short_name_points_at_a_format_of_its_kind():
    for kind in neg.KINDS.values():
        names = {f.name for f in kind.formats}
        assert set(kind.short_names.values()) <= names, kind.name
