"""The browsing site's pieces on their own: IRIs and paths, labels, formatting, search, map."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from wopgraph import config, geo, iris, search
from wopgraph import labels as lb
from wopgraph.web import formatting

BASE = "https://w3id.org/wop/"


@pytest.mark.parametrize(
    ("path", "iri"),
    [
        ("/id/operator/onee", BASE + "id/operator/onee"),
        ("/vocab/improvement-area", BASE + "vocab/improvement-area"),
        ("/ontology", BASE + "ontology"),
    ],
)
def test_paths_and_iris_swap_the_base(path, iri):
    assert iris.iri_for_path(BASE, path) == iri
    assert iris.path_for_iri(BASE, iri) == path


def test_iris_outside_the_base_have_no_path():
    assert iris.path_for_iri(BASE, "http://www.wikidata.org/entity/Q1028") is None


@pytest.mark.parametrize(
    ("path", "split"),
    [
        ("id/operator/onee.ttl", ("id/operator/onee", "turtle")),
        ("id/operator/onee.jsonld", ("id/operator/onee", "jsonld")),
        ("id/operator/onee.rdf", ("id/operator/onee", "rdfxml")),
        ("id/operator/onee.nt", ("id/operator/onee", "ntriples")),
        ("id/operator/onee.html", ("id/operator/onee", "html")),
        ("id/operator/onee", ("id/operator/onee", None)),
    ],
)
def test_format_suffixes(path, split):
    assert iris.split_suffix(path) == split


def test_anchor_of_terms():
    assert iris.anchor(BASE + "ontology#Partnership") == "Partnership"
    assert iris.anchor("http://www.w3.org/ns/org#member") == "org-member"


def lit(value: str, lang: str | None = None) -> ox.Literal:
    """A literal, language-tagged when ``lang`` is given."""
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


@pytest.mark.parametrize(
    ("given", "lang", "chosen"),
    [
        ([lit("Morocco", "en"), lit("Maroc", "fr")], "fr", "Maroc"),
        ([lit("Morocco", "en"), lit("Maroc", "fr")], "en", "Morocco"),
        ([lit("ONEE"), lit("Office", "fr")], "en", "ONEE"),
        ([lit("Marruecos", "es"), lit("Morocco", "en")], "fr", "Morocco"),
        ([lit("Marruecos", "es")], "fr", "Marruecos"),
    ],
)
def test_pick_label_by_language(given, lang, chosen):
    assert lb.pick(given, lang).value == chosen


def test_display_name_beats_an_official_name_in_the_readers_language():
    labels = lb.Labels()
    labels.add("x:bewop", lb.RDFS_LABEL, lit("BEWOP"))
    labels.add("x:bewop", lb.SKOS_PREF, lit("Boosting the Effectiveness of WOPs", "en"))
    assert labels.get("x:bewop", "en").value == "BEWOP"
    assert labels.get("x:nothing/known-thing", "en").value == "Known thing"


@pytest.mark.parametrize(
    ("value", "datatype", "lang", "text"),
    [
        ("2500000", "decimal", "en", "2,500,000"),
        ("2500000", "decimal", "fr", "2\u202f500\u202f000"),
        ("1.50", "decimal", "en", "1.5"),
        ("2002-07", "gYearMonth", "en", "July 2002"),
        ("2002-07", "gYearMonth", "fr", "juillet 2002"),
        ("2002-07-15", "date", "fr", "15 juillet 2002"),
        ("P12Y", "duration", "en", "12 years"),
        ("P1Y6M", "duration", "fr", "1 an 6 mois"),
        ("true", "boolean", "fr", "oui"),
    ],
)
def test_literals_read_naturally(value, datatype, lang, text):
    literal = ox.Literal(value, datatype=ox.NamedNode(formatting.XSD + datatype))
    assert formatting.literal(literal, lang) == text


@pytest.fixture(scope="module")
def index():
    """A small search index."""
    idx = search.SearchIndex()
    idx.add_label("x:onee", "Office National de l'Électricité et de l'Eau Potable", "fr")
    idx.add_label("x:onee", "ONEE", "")
    idx.add_label("x:siaap", "SIAAP", "")
    idx.add_text("x:siaap", "Sanitation utility of greater Paris")
    idx.add_label("x:paris", "Paris", "en")
    for iri, cls in (("x:onee", "x:Op"), ("x:siaap", "x:Op"), ("x:paris", "x:City")):
        idx.add_type(iri, cls)
    return idx.finish()


def test_search_ignores_case_and_accents(index):
    assert index.search("electricite").hits == {"x:Op": ["x:onee"]}


def test_search_last_word_is_a_prefix(index):
    assert index.search("sia").hits == {"x:Op": ["x:siaap"]}


def test_search_ranks_labels_above_texts_and_counts_kinds(index):
    found = index.search("paris")
    assert found.counts == {"x:City": 1, "x:Op": 1}
    assert found.hits["x:City"] == ["x:paris"]


def test_search_one_kind_and_similar(index):
    assert index.search("paris", kinds=["x:Op"]).hits == {"x:Op": ["x:siaap"]}
    assert index.similar("onee typo")[0] == "x:onee"


def test_world_outlines_and_label_points():
    world = geo.world()
    assert {"FR", "MA", "NL"} <= set(world)
    x, y = world["FR"].centre
    assert geo.project(-5, 51)[0] < x < geo.project(8, 42)[0]
    assert geo.project(-5, 51)[1] < y < geo.project(8, 42)[1]
    assert world["MA"].path.startswith("M") and world["MA"].path.endswith("Z")
    assert "AQ" not in world


def test_base_setting_from_environment_and_checked():
    assert config.load({}, environ={}).base == BASE
    assert config.load({}, environ={"WOPGRAPH_BASE": "http://example.org/x/"}).base == (
        "http://example.org/x/"
    )
    with pytest.raises(config.ConfigError, match="base"):
        config.load({"base": "http://example.org/no-slash"}, environ={})
