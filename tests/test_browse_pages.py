"""Home, lists with facets, search, comparison, map and network, parsed as HTML.

The bundled graph plus a second, made-up case (mentor in the Netherlands, mentee ONEE), so
that facets, comparison, map and network have something to tell apart.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from wopgraph.web import create_app

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/wop/id/"
SECOND = """
@prefix wop: <https://w3id.org/wop/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix id: <https://w3id.org/wop/id/> .
@prefix v: <https://w3id.org/wop/vocab/> .
<https://w3id.org/wop/id/partnership/test-second> a wop:Partnership ;
  rdfs:label "Test Second WOP"@en , "Deuxième WOP de test"@fr ;
  dcterms:description "A made-up partnership for the tests."@en ;
  wop:mentor <https://w3id.org/wop/id/operator/test-mentor> ;
  wop:mentee <https://w3id.org/wop/id/operator/onee> ;
  wop:targetsArea <https://w3id.org/wop/vocab/improvement-area/staff-training> ;
  wop:financingModel <https://w3id.org/wop/vocab/financing-model/donor-funded> ;
  wop:hasTrack <https://w3id.org/wop/id/track/test-second-training> ;
  wop:facedChallenge <https://w3id.org/wop/id/challenge/test-second-language> .
<https://w3id.org/wop/id/operator/test-mentor> a wop:Operator ;
  rdfs:label "Testwater Utrecht" ;
  wop:country <https://w3id.org/wop/id/country/netherlands> .
<https://w3id.org/wop/id/track/test-second-training> a wop:ImprovementTrack ;
  rdfs:label "Operator training in Kenitra"@en ;
  wop:trackStatus <https://w3id.org/wop/vocab/track-status/implemented> ;
  wop:improvementArea <https://w3id.org/wop/vocab/improvement-area/staff-training> .
<https://w3id.org/wop/id/challenge/test-second-language> a wop:Challenge ;
  rdfs:label "Language barrier"@en ;
  dcterms:description "Électricité and dictionaries did not help much."@en .
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app serving the bundled graph and the second case."""
    folder = tmp_path_factory.mktemp("second")
    (folder / "second.ttl").write_text(SECOND)
    data = [str(ROOT / "ontology"), str(ROOT / "data"), str(folder / "second.ttl")]
    return create_app({"data": data})


@pytest.fixture
def client(app):
    """A fresh test client."""
    return app.test_client()


def get(client, path: str, lang: str = "en") -> BeautifulSoup:
    """GET ``path`` as HTML; the parsed page."""
    response = client.get(path, headers={"Accept": "text/html", "Accept-Language": lang})
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def test_home_counts_and_partnerships(client):
    soup = get(client, "/")
    stats = {
        a.select_one(".what").get_text(strip=True): int(a.select_one(".n").get_text())
        for a in soup.select("ul.stats a")
    }
    assert stats["Water Operators' Partnership"] == 2
    assert stats["Water operator"] == 3
    cards = [a.get_text(strip=True) for a in soup.select("#partnerships-title ~ ul.cards strong")]
    assert "ONEE–SIAAP Water Operators' Partnership" in cards and "Test Second WOP" in cards
    assert soup.find("form", role="search").find("input", attrs={"name": "q"})


def test_home_in_french(client):
    soup = get(client, "/", "fr")
    assert soup.find("html")["lang"] == "fr"
    assert "Deuxième WOP de test" in soup.get_text()


def test_list_with_facets_narrows(client):
    soup = get(client, "/browse/partnership")
    assert len(soup.select("table.data tbody tr")) == 2
    legends = [lg.get_text(strip=True) for lg in soup.select(".facets legend")]
    assert legends[:4] == ["Country", "Improvement area", "Track status", "Financing"]
    country = soup.select(".facets fieldset")[0]
    netherlands = next(a for a in country.select("a") if a.get_text(strip=True) == "Netherlands")
    narrowed = get(client, netherlands["href"])
    names = [a.get_text(strip=True) for a in narrowed.select("table.data tbody th a")]
    assert names == ["Test Second WOP"]
    chosen = narrowed.select(".facets a[aria-current]")
    assert [a.get_text(strip=True) for a in chosen] == ["✓ Netherlands"]
    assert len(narrowed.select(".facets a.clear")) == 1, "only the chosen facet can be cleared"


def test_facet_financing(client):
    href = "/browse/partnership?financing=" + quote(
        "https://w3id.org/wop/vocab/financing-model/self-financed", safe=""
    )
    names = [a.get_text(strip=True) for a in get(client, href).select("table.data tbody th a")]
    assert names == ["ONEE–SIAAP Water Operators' Partnership"]


def test_list_paging(client):
    soup = get(client, "/browse/result")
    assert len(soup.select("table.data tbody tr")) == 6
    assert soup.find("nav", class_="pager") is None


def test_unknown_kind_is_404(client):
    assert client.get("/browse/unicorn", headers={"Accept": "text/html"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "kind", "label"),
    [
        ("siaap", "Water operator", "SIAAP"),
        ("sia", "Water operator", "SIAAP"),
        ("training kenitra", "Improvement track", "Operator training in Kenitra"),
        ("electricite", "Challenge", "Language barrier"),
        ("maroc", "Country", "Morocco"),
    ],
)
def test_search_groups_hits_by_kind(client, query, kind, label):
    soup = get(client, "/search?q=" + quote(query))
    groups = {s.find("h2").contents[0].strip(): s for s in soup.select("section.result-kind")}
    assert kind in groups, list(groups)
    assert label in [a.get_text(strip=True) for a in groups[kind].select("ol a")]


def test_search_snippet_and_one_kind(client):
    soup = get(client, "/search?q=dictionaries")
    assert "dictionaries" in soup.select_one(".snippet").get_text()
    one = get(client, "/search?q=water&kind=operator")
    assert len(one.select("section.result-kind")) == 1


def test_search_nothing(client):
    soup = get(client, "/search?q=zzzzqqq")
    assert soup.find("p", string=lambda t: t and "Nothing found" in t)


def test_compare_two_partnerships(client):
    a, b = ID + "partnership/onee-siaap", ID + "partnership/test-second"
    soup = get(client, f"/compare?p={quote(a)}&p={quote(b)}")
    heads = [th.get_text(strip=True) for th in soup.select("table.data thead th")]
    assert heads == ["ONEE–SIAAP Water Operators' Partnership", "Test Second WOP"]
    rows = {
        tr.find("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup.select("table.data tbody tr")
    }
    assert "SIAAP" in rows["Mentor"][0] and "Testwater Utrecht" in rows["Mentor"][1]
    assert "Staff training" in rows["Targeted improvement areas"][1]
    assert "Language barrier" in rows["Challenges"][1]
    assert "Trust" in rows["Success factors"][0]


def test_compare_without_choice_offers_a_picker(client):
    soup = get(client, "/compare")
    boxes = soup.select("form input[type=checkbox][name=p]")
    assert len(boxes) == 2
    assert all(soup.find("label", attrs={"for": b["id"]}) for b in boxes)


def test_map_colours_countries_and_draws_arcs(client):
    soup = get(client, "/map")
    svg = soup.select_one("figure.picture svg")
    classes = {a["href"]: a.find("path")["class"] for a in svg.find_all("a")}
    assert "mentor" in classes["/id/country/france"]
    assert "mentee" in classes["/id/country/morocco"]
    assert "mentor" in classes["/id/country/netherlands"]
    assert len(svg.select("path.arc")) == 2
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup.select("table.data tbody tr")
    ]
    assert ["France", "Morocco", "1"] in rows and ["Netherlands", "Morocco", "1"] in rows


def test_network_has_mentors_mentees_and_edges(client):
    soup = get(client, "/network")
    svg = soup.select_one("figure.picture svg")
    roles = {g.find("title").get_text(): g["class"][1] for g in svg.select("g.node")}
    assert roles == {"SIAAP": "mentor", "Testwater Utrecht": "mentor", "ONEE": "mentee"}
    assert len(svg.select("path.edge")) == 2
    assert len(soup.select("table.data tbody tr")) == 2


def test_pages_give_304_on_repeat(client):
    first = client.get("/browse/partnership", headers={"Accept": "text/html"})
    again = client.get(
        "/browse/partnership",
        headers={"Accept": "text/html", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
