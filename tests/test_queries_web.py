"""``/queries/``: the canned queries as pages, SPARQL JSON and CSV, with parameters."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from test_queries import rows_match
from wopgraph.queryfiles import load_query_files

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_query_files(ROOT / "queries")
SIAAP = "https://w3id.org/wop/id/operator/siaap"
ONEE_SIAAP = "https://w3id.org/wop/id/partnership/onee-siaap"
EVIL = "> } ; DROP ALL #"


def soup(response) -> BeautifulSoup:
    """The response's HTML, parsed."""
    assert response.content_type.startswith("text/html"), response.content_type
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def json_rows(data: dict) -> list[list[str]]:
    """SPARQL JSON results as CSV would write them: header, then the values (unbound: "")."""
    names = data["head"]["vars"]
    body = [[b[n]["value"] if n in b else "" for n in names] for b in data["results"]["bindings"]]
    return [names, *body]


def same_answer(got: list[list[str]], query) -> bool:
    """Whether ``got`` (header first) is the query's stated answer."""
    want = query.expected
    body, stated = got[1:], want[1:]
    if not query.ordered:
        body, stated = sorted(body), sorted(stated)
    return got[0] == want[0] and rows_match(body, stated)


def test_index_lists_every_query_but_the_checks(client):
    page = soup(client.get("/queries/"))
    links = {a["href"] for a in page.select("main ul.query-index h2 a")}
    assert links == {f"/queries/{q.name}" for q in QUERIES}
    assert not any("violation" in link for link in links), "queries/checks/ is left out"
    first = page.select_one("main ul.query-index li")
    assert first.find("p").get_text(strip=True) == QUERIES[0].description
    assert {a.get_text() for a in first.select(".formats a")} == {"JSON", "CSV"}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_json_is_the_stated_answer(client, query):
    if query.fields.get("requires") == "service":
        pytest.skip("calls a remote endpoint (SERVICE) that this server does not allow")
    response = client.get(f"/queries/{query.name}.json")
    assert response.status_code == 200
    assert response.content_type == "application/sparql-results+json"
    assert same_answer(json_rows(response.json), query)


@pytest.mark.parametrize("name", ["partnerships-mentor-mentee", "operator-figures"])
def test_csv_is_the_stated_answer(client, name):
    query = next(q for q in QUERIES if q.name == name)
    response = client.get(f"/queries/{name}.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert same_answer(list(csv.reader(io.StringIO(response.get_data(as_text=True)))), query)


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8"),
        ("*/*", "text/html; charset=utf-8"),
    ],
)
def test_format_by_accept(client, accept, content_type):
    response = client.get("/queries/track-results", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content_type == content_type
    assert "Accept" in response.vary


def test_unacceptable_accept_is_406(client):
    response = client.get("/queries/track-results", headers={"Accept": "text/turtle"})
    assert response.status_code == 406


def test_page_shows_question_answer_sparql_results_and_links(client):
    query = next(q for q in QUERIES if q.name == "partnerships-mentor-mentee")
    page = soup(client.get(f"/queries/{query.name}"))
    assert page.find("h1").get_text(strip=True) == query.title
    assert page.select_one("p.lede").get_text(strip=True) == query.description
    assert page.select_one(".stated-answer p").get_text(strip=True) == query.answer
    assert "wop:mentor ?mentor" in page.select_one("pre.sparql").get_text()
    table = page.select_one("table.results-table")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers == query.expected[0]
    siaap = table.find("a", href="/id/operator/siaap")
    assert siaap is not None and siaap["title"] == SIAAP, "the graph's IRIs link to this server"
    links = {a.get_text(strip=True): a["href"] for a in page.select(".results .downloads a")}
    assert links["Results as JSON"] == f"/queries/{query.name}.json"
    assert links["Results as CSV"] == f"/queries/{query.name}.csv"
    editor = urlsplit(links["Open in the query page"])
    assert editor.path == "/sparql"
    assert parse_qs(editor.query)["edit"] == [query.bind()]


def test_page_in_french(client):
    page = soup(client.get("/queries/track-results?lang=fr"))
    assert page.find("html")["lang"] == "fr"
    assert page.select_one("#results-heading").get_text(strip=True) == "Résultats"


def test_a_bound_parameter_changes_the_result(client):
    everyone = client.get("/queries/operator-figures.json").json
    siaap = client.get(f"/queries/operator-figures.json?operator={quote(SIAAP)}").json
    assert len(everyone["results"]["bindings"]) == 5
    assert {b["operator"]["value"] for b in siaap["results"]["bindings"]} == {SIAAP}
    assert len(siaap["results"]["bindings"]) == 3
    elsewhere = client.get("/queries/track-results.csv?partnership=https://example.org/none")
    assert elsewhere.get_data(as_text=True).strip().count("\n") == 0, "header row only"


def test_parameter_with_the_only_partnership_gives_the_stated_answer(client):
    for query in (q for q in QUERIES if any(p.name == "partnership" for p in q.params)):
        response = client.get(f"/queries/{query.name}.json?partnership={quote(ONEE_SIAAP)}")
        assert same_answer(json_rows(response.json), query), query.name


def test_parameters_show_on_the_page_and_carry_into_the_links(client):
    page = soup(client.get(f"/queries/operator-figures?operator={quote(SIAAP)}"))
    field = page.select_one("form.params input[name=operator]")
    assert field["value"] == SIAAP
    assert page.find("label", attrs={"for": field["id"]}) is not None
    links = [a["href"] for a in page.select(".results .downloads a")]
    assert links[0] == f"/queries/operator-figures.json?operator={quote(SIAAP, safe='')}"
    assert f"VALUES (?operator) {{\n  (<{SIAAP}>)\n}}" in page.select_one("pre.sparql").get_text()
    assert len(page.select("table.results-table tbody tr")) == 3


def test_malicious_value_is_bound_safely(client):
    response = client.get(f"/queries/track-results.json?partnership={quote(EVIL)}")
    assert response.status_code == 200
    assert response.json["results"]["bindings"] == [], "bound as a literal, it matches nothing"
    page = soup(client.get(f"/queries/track-results?partnership={quote(EVIL)}"))
    assert '"> } ; DROP ALL #"' in page.select_one("pre.sparql").get_text()
    again = client.get("/queries/track-results.json")
    assert len(again.json["results"]["bindings"]) == 6, "the graph is intact"


@pytest.mark.parametrize("value", [f"https://x.org/{EVIL}", "<" + EVIL + ">"])
def test_malformed_iri_is_400(client, value):
    response = client.get(f"/queries/track-results.csv?partnership={quote(value)}")
    assert response.status_code == 400
    assert "not a valid IRI" in response.get_data(as_text=True)
    page = client.get(f"/queries/track-results?partnership={quote(value)}")
    assert page.status_code == 400
    assert "not a valid IRI" in soup(page).select_one(".error").get_text()


def test_unknown_query_is_404(client):
    page = client.get("/queries/no-such-query", headers={"Accept": "text/html"})
    assert page.status_code == 404
    links = {a["href"] for a in soup(page).select("main .query-list a")}
    assert "/queries/track-results" in links, "the 404 page lists the queries there are"
    for url in ("/queries/no-such-query.json", "/queries/no-such-query.csv"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.content_type.startswith("text/plain")
    api = client.get("/queries/no-such-query", headers={"Accept": "application/json"})
    assert api.status_code == 404


def test_data_answers_are_open_to_other_origins(client):
    response = client.get("/queries/track-results.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_queries_run_under_the_time_limit(client, app, tmp_path):
    slow = tmp_path / "slow.rq"
    slow.write_text(
        "# title: Slow\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }\n"
    )
    app.config["WOPGRAPH_QUERIES"] = str(tmp_path)
    try:
        backend = app.extensions["wopgraph"]
        limit, backend.executor.timeout = backend.executor.timeout, 0.5
        response = client.get("/queries/slow.json")
    finally:
        backend.executor.timeout = limit
        del app.config["WOPGRAPH_QUERIES"]
    assert response.status_code == 503


def test_a_broken_query_file_is_left_out_not_fatal(client, app, tmp_path):
    (tmp_path / "good.rq").write_text("# title: Good\nASK { ?s ?p ?o }\n")
    (tmp_path / "broken.rq").write_text("# description: no title\nASK {}\n")
    app.config["WOPGRAPH_QUERIES"] = str(tmp_path)
    try:
        index = client.get("/queries/")
        page = client.get("/sparql", headers={"Accept": "text/html"})
        ask = client.get("/queries/good", headers={"Accept": "text/html"})
    finally:
        del app.config["WOPGRAPH_QUERIES"]
    assert [a["href"] for a in soup(index).select("ul.query-index h2 a")] == ["/queries/good"]
    assert page.status_code == 200
    assert soup(ask).select_one(".results p.boolean").get_text(strip=True) == "Yes (true)"
