"""The dataset describes itself: /.well-known/void, /dumps/, /sitemap.xml, /robots.txt, cite."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from datetime import UTC, datetime
from html import unescape

import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup
from flask import render_template_string
from rdflib.namespace import DCAT, VOID

from server import LiveServer
from wopgraph.web import create_app

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DATASET = rdflib.URIRef("https://w3id.org/wop/dataset")
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def description(client) -> rdflib.Graph:
    """The Turtle description, parsed."""
    response = client.get("/.well-known/void", query_string={"format": "turtle"})
    assert response.status_code == 200, response.text
    return rdflib.Graph().parse(data=response.data, format="turtle")


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/n-triples", "application/n-triples"),
        ("text/html,application/xhtml+xml", "text/html"),
        (None, "text/turtle"),
    ],
)
def test_void_is_negotiated(client, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/.well-known/void", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_void_refuses_what_it_cannot_write(client):
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/.well-known/void?format=nonsense").status_code == 400


@pytest.mark.parametrize(
    ("fmt", "oxformat"),
    [
        ("jsonld", ox.RdfFormat.JSON_LD),
        ("rdfxml", ox.RdfFormat.RDF_XML),
        ("ntriples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_void_formats_say_the_same(client, fmt, oxformat):
    data = client.get("/.well-known/void", query_string={"format": fmt}).data
    triples = {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in ox.parse(data, format=oxformat)
    }
    assert (str(DATASET), str(VOID.sparqlEndpoint), "http://localhost/sparql") in triples
    assert len(triples) == len(description(client))


def test_download_urls_are_this_servers_and_tell_the_truth(client):
    graph = description(client)
    dumps = set(graph.objects(None, DCAT.downloadURL))
    assert len(dumps) >= 10
    whole = set(graph.objects(DATASET, VOID.dataDump))
    assert {str(u).rsplit("/", 1)[-1] for u in whole} == {
        f"wopgraph.{s}" for s in ("nq", "trig", "ttl", "nt", "jsonld")
    }
    for url in dumps:
        assert str(url).startswith("http://localhost/dumps/"), url
        response = client.get(str(url).removeprefix("http://localhost"))
        assert response.status_code == 200, url
        data = response.get_data()
        response.close()
        assert int(graph.value(url, DCAT.byteSize)) == len(data)
        checksum = graph.value(url, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert graph.value(url, rdflib.URIRef("http://purl.org/dc/terms/modified")) is not None
        media = str(graph.value(url, DCAT.mediaType)).rsplit("media-types/", 1)[-1]
        assert response.mimetype == media


def test_dumps_have_validators_and_answer_conditional_requests(client):
    response = client.get("/dumps/graphs/case--onee-siaap.ttl")
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert int(response.headers["Content-Length"]) == len(data)
    etag = response.headers["ETag"]
    assert etag.strip('"') == hashlib.sha256(data).hexdigest()
    assert response.headers["Last-Modified"]
    again = client.get("/dumps/graphs/case--onee-siaap.ttl", headers={"If-None-Match": etag})
    again.close()
    assert again.status_code == 304
    head = client.head("/dumps/wopgraph.nq")
    head.close()
    assert head.status_code == 200 and int(head.headers["Content-Length"]) > 0
    assert head.mimetype == "application/n-quads"


@pytest.mark.parametrize("name", ["../pyproject.toml", "void.ttl", "nothing.ttl", "graphs/"])
def test_only_the_listed_dumps_are_served(client, name):
    assert client.get(f"/dumps/{name}").status_code == 404


def test_void_page_for_browsers(client):
    page = BeautifulSoup(client.get("/.well-known/void?format=html").text, "html.parser")
    assert "Water Operators" in page.h1.get_text()
    links = {a["href"] for a in page.select("table.dumps a")}
    assert "http://localhost/dumps/wopgraph.ttl" in links
    assert "http://localhost/dumps/graphs/shared.jsonld" in links
    alternates = {link["type"] for link in page.select("link[rel=alternate]")}
    assert {"text/turtle", "application/ld+json"} <= alternates


def test_service_description_points_to_the_void(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    void_url = rdflib.URIRef("http://localhost/.well-known/void")
    assert (None, rdflib.RDFS.seeAlso, void_url) in graph
    assert (DATASET, VOID.sparqlEndpoint, rdflib.URIRef("http://localhost/sparql")) in graph


def sitemap_urls(data: bytes) -> list[str]:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(data)
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def test_sitemap_lists_every_entity_page(client, store):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    urls = sitemap_urls(response.data)
    entities = {
        row["s"].value
        for row in store.query(
            "SELECT DISTINCT ?s WHERE { ?s a ?t "
            'FILTER STRSTARTS(STR(?s), "https://w3id.org/wop/id/") }'
        )
    }
    assert set(urls) == {e.replace("https://w3id.org/wop/", "http://localhost/") for e in entities}
    assert "http://localhost/id/operator/onee" in urls


def test_sitemap_becomes_an_index_past_its_page_size(app, client):
    app.config["WOPGRAPH_SITEMAP_PAGE_SIZE"] = 40
    try:
        index = client.get("/sitemap.xml")
        files = sitemap_urls(index.data)
        assert b"<sitemapindex" in index.data and files[0] == "http://localhost/sitemap-1.xml"
        pages = [sitemap_urls(client.get(f.removeprefix("http://localhost")).data) for f in files]
        assert all(len(p) <= 40 for p in pages) and len(pages[0]) == 40
        assert client.get(f"/sitemap-{len(files) + 1}.xml").status_code == 404
    finally:
        del app.config["WOPGRAPH_SITEMAP_PAGE_SIZE"]
    everything = sitemap_urls(client.get("/sitemap.xml").data)
    assert sorted(u for p in pages for u in p) == sorted(everything)


def test_robots_allows_pages_and_keeps_crawlers_off_queries(client):
    text = client.get("/robots.txt").text
    rules = [line for line in text.splitlines() if line]
    assert "User-agent: *" in rules and "Allow: /" in rules
    assert {"Disallow: /sparql?", "Disallow: /reconcile", "Disallow: /dumps/"} <= set(rules)
    assert "Sitemap: http://localhost/sitemap.xml" in rules


def test_cite_is_a_template_global(app):
    with app.test_request_context("/"):
        app.preprocess_request()
        html = render_template_string("{{ cite('https://w3id.org/wop/id/operator/siaap') }}")
        plain = render_template_string(
            "{{ cite(iri).text }}", iri="https://w3id.org/wop/id/operator/siaap"
        )
    plain = unescape(plain)
    span = BeautifulSoup(html, "html.parser").select_one("span.citation")
    assert span.a["href"] == "https://w3id.org/wop/id/operator/siaap"
    today = datetime.now(UTC).date().isoformat()
    assert plain.startswith(
        "SIAAP. In: wopgraph, the knowledge graph of Water Operators' Partnerships. "
        f"https://w3id.org/wop/id/operator/siaap (accessed {today}). Source: Water Operators"
    )
    assert "(BEWOP WOP case fact sheets)." in plain
    assert span.get_text() == plain


def test_cite_in_french(app):
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        text = render_template_string(
            "{{ cite(iri).text }}", iri="https://w3id.org/wop/id/country/morocco"
        )
    assert text.startswith("Maroc. Dans : wopgraph, le graphe de connaissances")
    assert "(consulté le " in text


def test_canonical_base_setting_moves_every_link():
    app = create_app({"base_url": "https://example.org/wop/"})
    try:
        client = app.test_client()
        graph = description(client)
        assert all(
            str(u).startswith("https://example.org/wop/dumps/")
            for u in graph.objects(None, DCAT.downloadURL)
        )
        assert (
            DATASET,
            VOID.sparqlEndpoint,
            rdflib.URIRef("https://example.org/wop/sparql"),
        ) in graph
        assert "https://example.org/wop/id/operator/onee" in sitemap_urls(
            client.get("/sitemap.xml").data
        )
        assert "Sitemap: https://example.org/wop/sitemap.xml" in client.get("/robots.txt").text
        manifest = client.get("/reconcile").json
        assert manifest["view"]["url"] == "https://example.org/wop/id/{{id}}"
    finally:
        app.extensions["wopgraph"].executor.stop()


TURTLE = """@prefix wop: <https://w3id.org/wop/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/wop/id/operator/x> a wop:Operator ; rdfs:label "X Water" .
<https://w3id.org/wop/id/operator/y> a wop:Operator ; rdfs:label "Y Water" .
"""


def test_served_data_is_built_into_the_build_folder_once(tmp_path):
    data, build = tmp_path / "two.ttl", tmp_path / "build"
    data.write_text(TURTLE)
    with LiveServer("--data", str(data), "--build-dir", str(build)) as live:
        with urllib.request.urlopen(f"{live.url}/.well-known/void", timeout=30) as response:
            graph = rdflib.Graph().parse(data=response.read(), format="turtle")
        urls = {str(u) for u in graph.objects(None, DCAT.downloadURL)}
        assert f"{live.url}/dumps/wopgraph.nt" in urls
        with urllib.request.urlopen(f"{live.url}/dumps/wopgraph.nt", timeout=30) as response:
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
    assert body.count(b"\n") == 4
    assert (build / "wopgraph.nt").read_bytes() == body
    built = (build / "void.ttl").stat().st_mtime_ns
    with LiveServer("--data", str(data), "--build-dir", str(build)) as live:
        sitemap = urllib.request.urlopen(f"{live.url}/sitemap.xml", timeout=30).read()
    assert len(re.findall(rb"<loc>", sitemap)) == 2
    assert (build / "void.ttl").stat().st_mtime_ns == built, "an up-to-date build is reused"
    data.write_text(TURTLE.replace("Y Water", "Y Waters"))
    with LiveServer("--data", str(data), "--build-dir", str(build)):
        pass
    assert (build / "void.ttl").stat().st_mtime_ns != built, "changed data is built again"


def test_big_data_is_served_at_once_and_its_dumps_follow(tmp_path, monkeypatch):
    """Above the threshold the dumps are built in the background: 503 first, then the files."""
    import time

    from wopgraph.web import published as published_module

    monkeypatch.setattr(published_module, "BACKGROUND_ABOVE", 0)
    app = create_app({"build_dir": str(tmp_path / "build")})
    try:
        client = app.test_client()
        assert client.get("/sparql?query=ASK%7B%7D").status_code == 200, "serves at once"
        deadline = time.monotonic() + 120
        response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
        while response.status_code == 503 and time.monotonic() < deadline:
            assert response.headers["Retry-After"]
            time.sleep(0.5)
            response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        dump = client.get("/dumps/wopgraph.nq")
        assert dump.status_code == 200
        dump.close()
    finally:
        app.extensions["wopgraph"].executor.stop()


def _old_fingerprint(sources) -> str:
    """The dumps' stamp as it was defined before source hashes were remembered."""
    from wopgraph import __version__

    digest = hashlib.sha256(f"wopgraph {__version__}\n".encode())
    for source in sources:
        digest.update(f"{source.path.resolve()}\t{source.graph}\n".encode())
        digest.update(hashlib.sha256(source.path.read_bytes()).digest())
    return digest.hexdigest()


def test_dump_stamp_is_unchanged_and_follows_a_changed_source(tmp_path, monkeypatch):
    from wopgraph import fingerprints, publication
    from wopgraph.dataset import bundle_root
    from wopgraph.sources import bundled_sources, data_sources

    monkeypatch.setattr(fingerprints, "RACY", 0.0)  # remember hashes of files just written
    sources = bundled_sources(bundle_root())
    hashes = fingerprints.Hashes()
    assert publication.fingerprint(sources, None, hashes) == _old_fingerprint(sources)
    assert publication.fingerprint(sources, None, hashes) == _old_fingerprint(sources)

    data = tmp_path / "one.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    mine = data_sources([data])
    first = publication.fingerprint(mine, None, hashes)
    data.write_text("<urn:a> <urn:b> <urn:d> .\n")  # same size, other bytes
    second = publication.fingerprint(mine, None, hashes)
    assert first != second == _old_fingerprint(mine)
