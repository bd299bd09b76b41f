"""Writes through HTTP: the Graph Store Protocol on /graphs and SPARQL Update on /update.

Data-driven: every file of ``tests/shapes/valid`` is accepted as a new case graph, and every
file of ``tests/shapes/invalid`` is refused with 422 and the violation its header states, the
store unchanged. Then the protocol's semantics (PUT/POST/DELETE, update), who may write, what
the pages show after a write, a restart that replays the journal, and a live server whose
workers all see a write at once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rdflib
from bs4 import BeautifulSoup

from server import LiveServer
from test_shapes import expand_short, expected_violations
from wopgraph.journal import CHANGES_GRAPH
from wopgraph.web import create_app

SHAPES = Path(__file__).parent / "shapes"
VALID = sorted((SHAPES / "valid").glob("*.ttl"))
INVALID = sorted((SHAPES / "invalid").glob("*.ttl"))
TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {**AUTH, "Content-Type": "text/turtle"}
CASE = "https://w3id.org/wop/graph/case/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def journal(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("journal")


@pytest.fixture(scope="module")
def app(journal):
    return create_app({"write_tokens": f"curator:{TOKEN}", "journal": str(journal)})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def count(client, graph: str) -> int:
    """The number of triples in ``graph``, asked through /sparql."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    return int(response.data.decode().split()[1])


def head(journal: Path) -> int:
    path = journal / "HEAD"
    return int(path.read_text()) if path.exists() else 0


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_a_valid_case_is_accepted(client, journal, path):
    graph = CASE + "valid-" + path.stem
    before = head(journal)
    response = client.put(f"/graphs?graph={graph}", data=path.read_bytes(), headers=TURTLE)
    assert response.status_code == 201, response.data.decode()
    body = response.get_json()
    assert body["seq"] == before + 1 and graph in body["graphs"]
    expected = len(rdflib.Graph().parse(path))
    assert count(client, graph) == expected
    client.delete(f"/graphs?graph={graph}", headers=AUTH)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_case_is_refused_with_its_violation(client, journal, path):
    graph = CASE + "invalid-" + path.stem
    before = head(journal)
    response = client.put(f"/graphs?graph={graph}", data=path.read_bytes(), headers=TURTLE)
    assert response.status_code == 422, response.data.decode()
    report = response.get_json()
    assert report["conforms"] is False
    got = {
        (
            r["focusNode"],
            expand_short(r["resultPath"]),
            expand_short(r["sourceConstraintComponent"]),
        )
        for r in report["results"]
        if r["severity"] == "Violation"
    }
    for violation in expected_violations(path):
        assert violation in got, f"{path.name}: expected {violation}, got {sorted(got)}"
    assert head(journal) == before and count(client, graph) == 0


def test_the_report_is_a_shacl_validation_report_in_turtle(client):
    path = SHAPES / "invalid" / "mentor-not-an-operator.ttl"
    response = client.put(
        f"/graphs?graph={CASE}report",
        data=path.read_bytes(),
        headers={**TURTLE, "Accept": "text/turtle"},
    )
    assert response.status_code == 422 and response.mimetype == "text/turtle"
    report = rdflib.Graph().parse(data=response.data, format="turtle")
    (node,) = report.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == rdflib.Literal(False)
    foci = {str(report.value(r, SH.focusNode)) for r in report.objects(node, SH.result)}
    assert "https://w3id.org/wop/id/partnership/test-wop" in foci


def test_a_case_can_refer_to_shared_entities(client):
    """Validation sees what the store says of the entities a write refers to: a case naming
    the bundled ONEE as mentee and SIAAP as mentor needs their types from the shared graph."""
    text = (SHAPES / "valid" / "minimal-partnership.ttl").read_text()
    text = text.replace(
        "wop:mentor operator:test-mentor", "wop:mentor <https://w3id.org/wop/id/operator/siaap>"
    )
    assert "operator/siaap" in text
    graph = CASE + "refers-to-shared"
    response = client.put(f"/graphs?graph={graph}", data=text.encode(), headers=TURTLE)
    assert response.status_code in (201, 200), response.data.decode()
    client.delete(f"/graphs?graph={graph}", headers=AUTH)


def test_post_merges_and_delete_removes(client):
    graph = CASE + "merge"
    base = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    assert client.put(f"/graphs?graph={graph}", data=base, headers=TURTLE).status_code == 201
    size = count(client, graph)
    extra = (
        b"<https://w3id.org/wop/id/partnership/test-wop> "
        b'<https://w3id.org/wop/ontology#curationNote> "merged"@en .'
    )
    response = client.post(
        f"/graphs?graph={graph}",
        data=extra,
        headers={**AUTH, "Content-Type": "application/n-triples"},
    )
    assert response.status_code == 200, response.data.decode()
    assert count(client, graph) == size + 1
    assert client.delete(f"/graphs?graph={graph}", headers=AUTH).status_code == 200
    assert count(client, graph) == 0
    assert client.delete(f"/graphs?graph={graph}", headers=AUTH).status_code == 404
    assert client.get(f"/graphs?graph={graph}").status_code == 404


def test_get_returns_the_graph_in_the_negotiated_format(client):
    graph = CASE + "onee-siaap"
    response = client.get(f"/graphs?graph={graph}", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.mimetype == "application/n-triples"
    assert len(rdflib.Graph().parse(data=response.data, format="nt")) == count(client, graph)


def test_update_changes_only_the_graphs_it_names_and_is_validated(client, journal):
    graph = CASE + "update"
    base = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    client.put(f"/graphs?graph={graph}", data=base, headers=TURTLE)
    size = count(client, graph)
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    ok = (
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://w3id.org/wop/id/partnership/test-wop> "
        '<https://w3id.org/wop/ontology#curationNote> "by update"@en } }'
    )
    response = client.post("/update", data=ok, headers=headers)
    assert response.status_code == 200 and response.get_json()["graphs"].keys() == {graph}
    assert count(client, graph) == size + 1
    # Removing the mentor breaks the shapes: refused, unchanged.
    before = head(journal)
    breaking = (
        f"DELETE WHERE {{ GRAPH <{graph}> {{ ?p <https://w3id.org/wop/ontology#mentor> ?m }} }}"
    )
    response = client.post("/update", data=breaking, headers=headers)
    assert response.status_code == 422
    assert head(journal) == before and count(client, graph) == size + 1
    # An update that matches nothing changes nothing and records nothing.
    response = client.post(
        "/update",
        data=f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s <urn:x:none> ?o }} }}",
        headers=headers,
    )
    assert response.status_code == 200 and response.get_json()["change"] is None
    assert head(journal) == before
    form = client.post(
        "/update",
        data={"update": f"DROP GRAPH <{graph}>"},
        headers=AUTH,
    )
    assert form.status_code == 200 and count(client, graph) == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer"}, 401),
    ],
    ids=["no-token", "wrong-token", "not-bearer", "empty"],
)
def test_writes_need_a_valid_bearer_token(client, journal, headers, status):
    before = head(journal)
    body = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    response = client.put(
        f"/graphs?graph={CASE}unauthorised",
        data=body,
        headers={**headers, "Content-Type": "text/turtle"},
    )
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/update", data="DROP GRAPH <urn:x>", headers=headers).status_code == status
    assert head(journal) == before


def test_sparql_endpoint_never_writes_even_with_a_token(client):
    update = f"INSERT DATA {{ GRAPH <{CASE}via-sparql> {{ <urn:a> <urn:b> <urn:c> }} }}"
    response = client.post(
        "/sparql", data=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
    )
    assert response.status_code == 400
    assert count(client, CASE + "via-sparql") == 0


def test_every_accepted_write_is_recorded_in_the_changes_graph(client, journal):
    graph = CASE + "recorded"
    body = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    seq = client.put(f"/graphs?graph={graph}", data=body, headers=TURTLE).get_json()["seq"]
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?agent ?graph WHERE {{ GRAPH <{CHANGES_GRAPH}> {{
            <https://w3id.org/wop/id/change/{seq}> prov:wasAssociatedWith/rdfs:label ?agent ;
                prov:generated/prov:specializationOf ?graph }} }}"""
    rows = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    ).get_json()["results"]["bindings"]
    assert [(r["agent"]["value"], r["graph"]["value"]) for r in rows] == [("curator", graph)]
    record = json.loads((journal / "commits" / f"{seq:012d}.json").read_text())
    assert record["agent"] == "curator" and record["operation"] == "PUT"
    # The entity page says when its case last changed, and links the change.
    page = BeautifulSoup(client.get("/id/partnership/test-wop").data, "html.parser")
    changed = page.select_one("p.changed")
    assert changed is not None and "curator" in changed.get_text()
    assert changed.find("a")["href"] == f"/id/change/{seq}"
    assert client.get(f"/id/change/{seq}").status_code == 200
    client.delete(f"/graphs?graph={graph}", headers=AUTH)


def test_pages_and_search_see_a_write(client):
    graph = CASE + "seen"
    text = (SHAPES / "valid" / "minimal-partnership.ttl").read_text()
    text = text.replace('"Test WOP"@en', '"Zanzibar Test WOP"@en')
    assert '"Zanzibar Test WOP"@en' in text
    assert (
        client.put(f"/graphs?graph={graph}", data=text.encode(), headers=TURTLE).status_code == 201
    )
    search = BeautifulSoup(client.get("/search?q=Zanzibar").data, "html.parser")
    assert any("test-wop" in (a.get("href") or "") for a in search.find_all("a"))
    description = client.get("/sparql", headers={"Accept": "text/turtle"}).data.decode()
    assert graph in description
    client.delete(f"/graphs?graph={graph}", headers=AUTH)
    search = BeautifulSoup(client.get("/search?q=Zanzibar").data, "html.parser")
    assert not any("test-wop" in (a.get("href") or "") for a in search.find_all("a"))


def test_a_restart_replays_the_journal(journal, client, tmp_path):
    graph = CASE + "survives"
    body = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    assert client.put(f"/graphs?graph={graph}", data=body, headers=TURTLE).status_code == 201
    # A new app on the same journal, with writes now off: the write is still served, and
    # its dumps and dataset description (built at start) hold it.
    again = create_app({"journal": str(journal), "build_dir": str(tmp_path)}).test_client()
    assert count(again, graph) == count(client, graph) > 0
    with again.get("/dumps/wopgraph.nq") as dump:
        assert dump.status_code == 200
        text = dump.get_data(as_text=True)
    assert f"<{graph}>" in text and f"<{CHANGES_GRAPH}>" in text
    assert again.put(f"/graphs?graph={graph}", data=body, headers=TURTLE).status_code == 405
    client.delete(f"/graphs?graph={graph}", headers=AUTH)


def test_an_on_disk_store_refuses_to_take_writes(tmp_path):
    from wopgraph.config import ConfigError

    with pytest.raises(ConfigError, match="served read-only"):
        create_app({"write_tokens": TOKEN, "store": str(tmp_path / "store")})


def _request(method: str, url: str, data: bytes | None = None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_every_worker_of_a_live_server_sees_a_write_at_once(tmp_path):
    """Three workers, each with its own query process holding a copy of the store: a write
    answered by one is seen by the next request, whichever worker takes it (and the result
    cache of each worker does not serve the old answer)."""
    graph = CASE + "live"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    env = {"WOPGRAPH_WRITE_TOKENS": f"live:{TOKEN}", "WOPGRAPH_JOURNAL": str(tmp_path)}
    with LiveServer("--workers", "3", env=env) as live:
        live.wait_for_server()
        url = f"{live.endpoint}?query={urllib.parse.quote(query)}"

        def counts() -> set[int]:
            return {
                int(_request("GET", url, headers={"Accept": "text/csv"})[1].split()[1])
                for _ in range(12)
            }

        assert counts() == {0}  # now cached in every worker
        body = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
        status, _ = _request(
            "PUT", f"{live.url}/graphs?graph={graph}", body, {**AUTH, "Content-Type": "text/turtle"}
        )
        assert status == 201
        size = len(rdflib.Graph().parse(data=body, format="turtle"))
        assert counts() == {size}
        status, _ = _request("DELETE", f"{live.url}/graphs?graph={graph}", None, AUTH)
        assert status == 200 and counts() == {0}


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    "path",
    [
        "/id/partnership/test-wop",
        "/search?q=Hostile",
        "/",
        "/compare?p=https://w3id.org/wop/id/partnership/test-wop",
        "/queries/partnerships-mentor-mentee",
    ],
)
def test_partner_data_is_escaped_wherever_it_is_shown(client, path):
    """A label written by a partner, holding markup, is shown as text on every page."""
    graph = CASE + "hostile"
    text = (SHAPES / "valid" / "minimal-partnership.ttl").read_text()
    text = text.replace('"Test WOP"@en', '"Hostile ' + HOSTILE.replace('"', '\\"') + '"@en')
    response = client.put(f"/graphs?graph={graph}", data=text.encode(), headers=TURTLE)
    assert response.status_code in (200, 201), response.data.decode()
    try:
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200
        soup = BeautifulSoup(page.data, "html.parser")
        assert not soup.find("img", attrs={"onerror": True})
        scripts = [s.get_text() for s in soup.find_all("script") if not s.get("type")]
        assert not any('alert("x")' in s for s in scripts)
        # Where the label is shown, it is shown as text (JSON-LD blocks escape it too).
        shown = "Hostile" in soup.get_text()
        assert shown or not ("test-wop" in path or "search" in path)
        if shown:
            assert HOSTILE in soup.get_text()
    finally:
        client.delete(f"/graphs?graph={graph}", headers=AUTH)


def test_an_update_may_read_a_protected_graph(client):
    """The ontology may be read (USING) by an update that writes a case graph."""
    graph = CASE + "reads-ontology"
    base = (SHAPES / "valid" / "minimal-partnership.ttl").read_bytes()
    assert client.put(f"/graphs?graph={graph}", data=base, headers=TURTLE).status_code == 201
    update = f"""PREFIX wop: <https://w3id.org/wop/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        INSERT {{ GRAPH <{graph}> {{ ?p wop:curationNote ?note }} }}
        USING <https://w3id.org/wop/graph/ontology>
        USING NAMED <{graph}>
        WHERE {{ GRAPH <{graph}> {{ ?p a wop:Partnership }}
                wop:Partnership rdfs:label ?label FILTER(lang(?label) = "en")
                BIND(STRLANG(CONCAT("class: ", ?label), "en") AS ?note) }}"""
    response = client.post(
        "/update", data=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
    )
    assert response.status_code == 200, response.data.decode()
    assert response.get_json()["graphs"].keys() == {graph}
    client.delete(f"/graphs?graph={graph}", headers=AUTH)


def test_writes_to_other_data_are_checked_with_the_bundled_shapes(tmp_path):
    """Serving --data files without the model: writes are still checked with the shapes."""
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n")
    app = create_app(
        {"data": [str(data)], "write_tokens": f"curator:{TOKEN}", "journal": str(tmp_path / "j")}
    )
    bad = (SHAPES / "invalid" / "mentor-not-an-operator.ttl").read_bytes()
    response = app.test_client().put(f"/graphs?graph={CASE}other", data=bad, headers=TURTLE)
    assert response.status_code == 422
    assert any(r["resultPath"] == "wop:mentor" for r in response.get_json()["results"])


def test_text_search_follows_writes(client):
    """``SERVICE text:`` on /sparql (answered before Flask's hooks run) sees a write at once."""
    graph = CASE + "text-search"
    query = (
        "PREFIX text: <https://w3id.org/wop/text#>\n"
        'SELECT ?e WHERE { SERVICE text: { ?e text:matches "zanzibarqua" } }'
    )

    def found() -> list[str]:
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 200, response.data.decode()
        return [b["e"]["value"] for b in response.get_json()["results"]["bindings"]]

    assert found() == []
    text = (SHAPES / "valid" / "minimal-partnership.ttl").read_text()
    text = text.replace('"Test WOP"@en', '"Zanzibarqua WOP"@en')
    response = client.put(f"/graphs?graph={graph}", data=text.encode(), headers=TURTLE)
    assert response.status_code == 201, response.data.decode()
    try:
        assert found() == ["https://w3id.org/wop/id/partnership/test-wop"]
    finally:
        client.delete(f"/graphs?graph={graph}", headers=AUTH)
    assert found() == []
