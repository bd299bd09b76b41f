"""Entity pages, parsed: laid out by the shapes, labels by language, provenance next to facts,
incoming links paged for hubs, JSON-LD embedded, data escaped; the ontology pages."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

from wopgraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]
WOP = "https://w3id.org/wop/ontology#"
ID = "https://w3id.org/wop/id/"


@pytest.fixture(scope="module")
def app():
    """The app serving the bundled graph."""
    return create_app({})


@pytest.fixture
def client(app):
    """A fresh test client (no language cookie from another test)."""
    return app.test_client()


def page(client, path: str, lang: str = "en", **headers) -> BeautifulSoup:
    """GET ``path`` as HTML in ``lang``; the parsed page."""
    response = client.get(path, headers={"Accept": "text/html", "Accept-Language": lang, **headers})
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def facts(soup: BeautifulSoup, section_id: str) -> dict[str, str]:
    """Name -> text of the facts of one section."""
    section = soup.find("section", id=section_id)
    return {
        div.find("dt").get_text(" ", strip=True): div.find("dd").get_text(" ", strip=True)
        for div in section.select("dl.facts > div.fact")
    }


def test_sections_follow_the_shapes_groups_in_order(client):
    soup = page(client, "/id/operator/onee")
    ids = [s["id"] for s in soup.select("article > section.group")]
    assert ids[:3] == ["IdentityGroup", "FiguresGroup", "ProvenanceGroup"]
    assert ids[-1] == "incoming"
    identity = soup.find("section", id="IdentityGroup")
    names = [dt.get_text(strip=True) for dt in identity.select("dt")]
    assert names[:3] == ["name", "official name", "description"], "sh:order"
    assert "country" in names


def test_property_names_come_from_the_shapes_never_raw_iris(client):
    soup = page(client, "/id/partnership/onee-siaap", "fr")
    names = [dt.get_text(strip=True) for dt in soup.select("dl.facts dt")]
    assert "mentor" in names and "mentoré" in names
    assert not [n for n in names if n.startswith(("http", "wop:", "<"))]


def test_targets_area_is_laid_out_once_despite_two_shapes(client):
    soup = page(client, "/id/partnership/onee-siaap")
    tracks = soup.find("section", id="TracksGroup")
    names = [dt.get_text(strip=True) for dt in tracks.select("dt")]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("lang", "title"), [("en", "Morocco"), ("fr", "Maroc")])
def test_label_in_the_readers_language(client, lang, title):
    assert page(client, "/id/country/morocco", lang).find("h1").get_text(strip=True) == title


def test_language_switch_by_parameter_is_remembered(client):
    soup = page(client, "/id/country/morocco?lang=fr")
    assert soup.find("html")["lang"] == "fr"
    switch = soup.select("nav.languages a")
    assert {a["hreflang"] for a in switch} == {"en", "fr"}
    assert any("lang=en" in a["href"] for a in switch)


def test_fallback_marks_text_in_another_language(client):
    soup = page(client, "/id/challenge/onee-siaap-experts-availability", "fr")
    h1 = soup.find("h1")
    assert h1.find("span", lang="en").get_text() == "Experts availability"


def test_linked_entities_show_labels(client):
    soup = page(client, "/id/operator/siaap")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("dl.facts a")}
    assert links["France"] == "/id/country/france"


def test_provenance_next_to_the_fact_it_explains(client):
    soup = page(client, "/id/partnership/onee-siaap")
    how = soup.find("section", id="HowItWorksGroup")
    row = next(
        d
        for d in how.select("div.fact")
        if d.find("dt").get_text(strip=True) == "self-financed for"
    )
    note = row.find("details", class_="note")
    assert note and "P12Y" in note.get_text()
    assert "12 years" in row.find("dd").get_text()
    sources = facts(soup, "ProvenanceGroup")
    assert "BEWOP fact sheet" in sources["source"]
    assert "French Atlas of decentralised cooperation" in sources["source"]
    assert "high" in sources["confidence"].lower()


def test_outbound_links_to_wikidata_and_geonames(client):
    soup = page(client, "/id/country/france")
    external = {a.get_text(strip=True): a["href"] for a in soup.select("a[rel=external]")}
    assert external["Wikidata Q142"] == "http://www.wikidata.org/entity/Q142"
    assert external["GeoNames 3017382"] == "https://sws.geonames.org/3017382/"


def test_embedded_json_ld_is_the_entitys_data(client):
    soup = page(client, "/id/operator/onee")
    script = soup.find("script", type="application/ld+json")
    quads = ox.parse(script.string.encode(), format=ox.RdfFormat.JSON_LD)
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in quads}
    assert (ID + "operator/onee", WOP + "country", ID + "country/morocco") in triples
    json.loads(script.string)


def test_incoming_links_grouped_with_counts(client):
    soup = page(client, "/id/operator/siaap")
    groups = soup.select("section#incoming section.incoming-group")
    counts = {
        g.find("h3").get_text(" ", strip=True): int(g.select_one("h3 .count").get_text())
        for g in groups
    }
    assert sum(counts.values()) >= 10
    assert any("Indicator figure" in name for name in counts)


def test_quantities_are_formatted_for_the_reader(client):
    en = page(client, "/id/figure/siaap-wastewater-treatment-capacity", "en")
    fr = page(client, "/id/figure/siaap-wastewater-treatment-capacity", "fr")
    assert "2,500,000 cubic metre per day" in en.find(class_="quantity").get_text()
    assert "2\u202f500\u202f000 mètre cube par jour" in fr.find(class_="quantity").get_text()


def test_partnership_at_a_glance(client):
    soup = page(client, "/id/partnership/onee-siaap")
    mentor = soup.select_one(".partner.mentor")
    mentee = soup.select_one(".partner.mentee")
    assert mentor.find("h3").get_text(strip=True) == "SIAAP"
    assert mentee.find("h3").get_text(strip=True) == "ONEE"
    assert "France" in mentor.get_text() and "Morocco" in mentee.get_text()
    assert len(mentor.select(".figures li")) == 3
    phases = soup.select("ol.timeline > li")
    assert [p.find("h3").get_text(strip=True) for p in phases] == [
        "ONEE–SIAAP WOP, phase 1",
        "ONEE–SIAAP WOP, phase 2",
    ]
    assert len(phases[0].select("ul.tracks > li")) == 1
    assert len(phases[1].select("ul.tracks > li")) == 7
    badges = [b.get_text(strip=True) for b in phases[1].select("a.badge")]
    assert "Planned" in badges and "Implemented" in badges
    lessons = soup.find("section", id="lessons")
    assert len(lessons.select("#lessons-challenges + ul > li")) == 3
    assert len(lessons.select("#lessons-success_factors + ul > li")) == 4
    assert len(soup.select("#quotes blockquote")) == 4


def test_data_labels_are_escaped(tmp_path):
    data = tmp_path / "evil.ttl"
    data.write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/wop/id/operator/evil> a <https://w3id.org/wop/ontology#Operator> ;\n"
        '  rdfs:label "<script>alert(1)</script></script>"@en .\n'
    )
    app = create_app({"data": [str(ROOT / "ontology"), str(data)]})
    response = app.test_client().get("/id/operator/evil", headers={"Accept": "text/html"})
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("h1").get_text() == "<script>alert(1)</script></script>"
    scripts = soup.find_all("script")
    assert [s["type"] for s in scripts] == ["application/ld+json"]
    assert "alert" not in (scripts[0].string or "").split("\\u003c")[0]


@pytest.fixture(scope="module")
def hub_client(tmp_path_factory):
    """An app whose operator mentors 250 partnerships."""
    folder = tmp_path_factory.mktemp("hub")
    lines = [
        "@prefix wop: <https://w3id.org/wop/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        '<https://w3id.org/wop/id/operator/hub> a wop:Operator ; rdfs:label "Hub" .',
    ]
    for i in range(250):
        p = f"<https://w3id.org/wop/id/partnership/p{i:03d}>"
        lines.append(
            f'{p} a wop:Partnership ; rdfs:label "P {i:03d}"@en ; '
            "wop:mentor <https://w3id.org/wop/id/operator/hub> ."
        )
    (folder / "hub.ttl").write_text("\n".join(lines) + "\n")
    return create_app({"data": [str(ROOT / "ontology"), str(folder / "hub.ttl")]}).test_client()


def test_hub_incoming_links_are_paged(hub_client):
    soup = page(hub_client, "/id/operator/hub")
    group = soup.select_one("section.incoming-group")
    assert group.select_one(".count").get_text() == "250"
    first = [a.get_text() for a in group.select("ul.links a")]
    assert len(first) == 20
    pager = group.find("nav", class_="pager")
    next_href = pager.find("a", rel="next")["href"]
    assert "page=2" in next_href and "incoming=" in next_href
    second = page(hub_client, next_href.split("#")[0])
    later = [a.get_text() for a in second.select_one("section.incoming-group").select("ul.links a")]
    assert len(later) == 20 and not set(later) & set(first)


def test_hub_rdf_has_every_incoming_link(hub_client):
    response = hub_client.get("/id/operator/hub.nt")
    mentor_lines = [line for line in response.data.decode().splitlines() if "#mentor>" in line]
    assert len(mentor_lines) == 250


def test_ontology_page_documents_every_term(client):
    soup = page(client, "/ontology")
    wop = ox.parse(path=str(ROOT / "ontology" / "wop.ttl"), format=ox.RdfFormat.TURTLE)
    terms = {t.subject.value for t in wop if t.subject.value.startswith(WOP)}
    for term in terms:
        section = soup.find("section", id=term[len(WOP) :])
        assert section is not None, term
        assert section.find("dt"), term
    partnership = soup.find("section", id="Partnership")
    assert partnership.find(class_="other-label").get_text() == "Partenariat entre opérateurs d'eau"
    shape = partnership.find("table", class_="shape").get_text(" ")
    assert "at least 1" in shape and "Water operator" in shape
    mentor = soup.find("section", id="mentor")
    assert "Water Operators' Partnership" in mentor.get_text()


def test_concept_scheme_page_lists_concepts_with_use(client):
    soup = page(client, "/vocab/improvement-area")
    rows = soup.select("table.data tbody tr")
    assert len(rows) == 6
    used = {r.find("th").get_text(strip=True): int(r.select("td")[-1].get_text()) for r in rows}
    assert used["Wastewater treatment"] >= 1
    assert "targeted areas" in soup.get_text() or "targets" in soup.get_text().lower()
