"""The query page (``GET /sparql`` for a browser), as HTML: it works without JavaScript."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from wopgraph.queryfiles import load_query_files

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "wopgraph" / "web" / "static"
QUERIES = load_query_files(ROOT / "queries")
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def page(client) -> BeautifulSoup:
    """The query page, parsed."""
    response = client.get("/sparql", headers=HTML)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_plain_form_posts_the_query_to_the_endpoint(page):
    form = page.find("form", id="query-form")
    assert (form["action"], form["method"]) == ("/sparql", "post")
    textarea = form.find("textarea", attrs={"name": "query"})
    assert "wop:Partnership" in textarea.get_text()
    assert form.find("label", attrs={"for": textarea["id"]}) is not None
    assert form.find("button", attrs={"type": "submit"}) is not None
    select = form.find("select", attrs={"name": "format"})
    options = [o["value"] for o in select.find_all("option")]
    assert {"json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml"} <= set(options)
    assert select.find("option", selected=True)["value"] == "json"


@pytest.mark.parametrize(
    ("query", "fmt", "content_type"),
    [
        ("SELECT ?p WHERE { ?p a wop:Partnership }", "json", "application/sparql-results+json"),
        ("SELECT ?p WHERE { ?p a wop:Partnership }", "csv", "text/csv; charset=utf-8"),
        ("DESCRIBE <https://w3id.org/wop/id/operator/siaap>", "json", "application/ld+json"),
        ("DESCRIBE <https://w3id.org/wop/id/operator/siaap>", "xml", "application/rdf+xml"),
    ],
)
def test_what_the_plain_form_sends_is_answered(client, query, fmt, content_type):
    response = client.post("/sparql", data={"query": query, "format": fmt}, headers=HTML)
    assert response.status_code == 200
    assert response.content_type == content_type


def test_library_is_listed_without_javascript(page):
    links = [a["href"] for a in page.select("section.library .query-list a")]
    assert links == [f"/queries/{q.name}" for q in QUERIES]
    options = [o["value"] for o in page.select("#library-select option") if o["value"]]
    assert options == [q.name for q in QUERIES]


def test_the_script_gets_library_prefixes_and_endpoint_from_the_page(page):
    config = json.loads(page.find("script", id="query-page-config").string)
    assert config["endpoint"] == "/sparql"
    assert config["prefixes"]["wop"] == "https://w3id.org/wop/ontology#"
    assert [q["name"] for q in config["library"]] == [q.name for q in QUERIES]
    by_name = {q["name"]: q for q in config["library"]}
    assert by_name["track-results"]["sparql"] == next(
        q.bind() for q in QUERIES if q.name == "track-results"
    )
    assert [f["name"] for f in config["downloads"]["results"]] == ["json", "xml", "csv", "tsv"]
    assert [f["name"] for f in config["downloads"]["graphs"]] == [
        "turtle",
        "ntriples",
        "jsonld",
        "rdfxml",
    ]


def test_every_asset_is_local_and_served(client, page):
    assets = [s["src"] for s in page.find_all("script", src=True)]
    assets += [link["href"] for link in page.find_all("link", rel="stylesheet")]
    assert "/static/vendor/yasqe/yasqe.min.js" in assets
    assert "/static/query-page.js" in assets
    for url in assets:
        assert url.startswith("/static/"), f"{url} is not served by this server"
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_vendored_editor_has_its_licence_and_provenance():
    vendor = STATIC / "vendor"
    assert "MIT License" in (vendor / "yasqe" / "LICENSE").read_text(encoding="utf-8")
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    assert "@zazuko/yasqe 4.6.2" in readme and "npm install @zazuko/yasqe@4.6.2" in readme


def test_edit_parameter_fills_the_form(client):
    query = "ASK { ?s a wop:Operator }"
    response = client.get(f"/sparql?edit={quote(query)}", headers=HTML)
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.find("textarea", attrs={"name": "query"}).get_text() == query


def test_protocol_clients_still_get_the_service_description(client):
    response = client.get(f"/sparql?edit={quote('ASK {}')}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/turtle")


def test_page_in_french(client):
    response = client.get("/sparql", headers={**HTML, "Accept-Language": "fr"})
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.find("h1").get_text(strip=True) == "Requête SPARQL"
    config = json.loads(page.find("script", id="query-page-config").string)
    assert config["words"]["download"] == "Télécharger"


def test_every_interface_word_of_these_pages_exists_in_english_and_french():
    from wopgraph.web.i18n import MESSAGES
    from wopgraph.web.query_page import SCRIPT_WORDS

    templates = ROOT / "src" / "wopgraph" / "web" / "templates"
    keys = set(SCRIPT_WORDS)
    for path in [templates / "sparql.html", *(templates / "queries").glob("*.html")]:
        keys |= set(re.findall(r"""_\(["']([a-z.-]+)["']\)""", path.read_text("utf-8")))
    assert {k for k in keys if set(MESSAGES.get(k, {})) != {"en", "fr"}} == set()
