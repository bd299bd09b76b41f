"""The query page in a real browser: Debian's Chromium driven by Playwright, real server.

Every request the browser makes to anything but the test server (127.0.0.1) is blocked and
recorded, and each test asserts there was none: the page runs offline, from this package's
own assets. Screenshots go to ``test-artifacts/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from chromium import needs_chromium
from server import HOST, ROOT, LiveServer
from wopgraph.queryfiles import load_query_files

ARTIFACTS = ROOT / "test-artifacts"
QUERIES = {q.name: q for q in load_query_files(ROOT / "queries")}
SIAAP = "https://w3id.org/wop/id/operator/siaap"
EDITOR_VALUE = "document.querySelector('.CodeMirror').CodeMirror.getValue()"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    """The real server over the bundled data."""
    with LiveServer() as live:
        yield live


class Visit:
    """A browser context whose requests may only reach 127.0.0.1, and what it tried else."""

    def __init__(self, browser, javascript: bool = True):
        """Open a context (with or without JavaScript) that blocks all other hosts."""
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            java_script_enabled=javascript,
            accept_downloads=True,
        )
        self.context.route("**/*", self.only_local)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def only_local(self, route) -> None:
        """Let requests to the test server through; block and record the others."""
        if urlsplit(route.request.url).hostname == HOST:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def close(self) -> None:
        """Close the context."""
        self.context.close()


@pytest.fixture
def visit(browser):
    """A fresh, offline browser context with JavaScript."""
    visit = Visit(browser)
    yield visit
    assert visit.outside == [], "the page tried to reach other hosts"
    assert visit.errors == [], "the page's scripts failed"
    visit.close()


def open_editor(visit: Visit, url: str):
    """Open the query page and wait for the editor (the vendored YASQE) to be running."""
    page = visit.page
    page.goto(url)
    page.wait_for_selector(".yasqe .CodeMirror")
    return page


def test_editor_runs_a_canned_query_with_linked_results_and_downloads(server, visit):
    page = open_editor(visit, f"{server.url}/sparql")
    assert page.evaluate("typeof window.Yasqe") == "function", "the vendored script ran"
    assert page.is_hidden("textarea#query"), "the editor replaced the plain textarea"
    page.select_option("#library-select", "partnerships-mentor-mentee")
    query = QUERIES["partnerships-mentor-mentee"]
    assert page.evaluate(EDITOR_VALUE) == query.bind()
    assert page.inner_text("#library-description") == query.description
    keywords = page.locator(".CodeMirror .cm-keyword").all_inner_texts()
    assert "SELECT" in keywords and "OPTIONAL" in keywords, "SPARQL is highlighted"

    page.click("#query-form button[type=submit]")
    link = page.wait_for_selector("#results-table a[href='/id/operator/siaap']")
    assert link.get_attribute("title") == SIAAP
    headers = page.locator("#results-table th").all_inner_texts()
    assert headers == query.expected[0]
    assert page.locator("#results-table tbody tr").count() == 1
    assert page.inner_text("#results-status").startswith("1 row")

    downloads = page.locator("#results-downloads ul a")
    assert downloads.all_inner_texts() == ["SPARQL JSON", "SPARQL XML", "CSV", "TSV"]
    for href in downloads.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        url = urlsplit(href)
        assert url.path == "/sparql"
        assert parse_qs(url.query)["query"] == [query.bind()]
    with page.expect_download() as download:
        page.click("#results-downloads a:text-is('CSV')")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0] == query.expected[0] and rows[1][2] == SIAAP

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "query-page.png"), full_page=True)


def test_prefixes_and_graph_terms_are_completed_from_this_server(server, visit):
    page = open_editor(visit, f"{server.url}/sparql?edit={quote('SELECT * WHERE { ?s a ')}")
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+End")
    page.keyboard.type("wop:Oper")
    page.wait_for_function(
        f"{EDITOR_VALUE}.startsWith('PREFIX wop: <https://w3id.org/wop/ontology#>')"
    )
    hints = page.wait_for_selector(".CodeMirror-hints")
    assert "wop:Operator" in hints.inner_text().split("\n"), "classes come from the graph"


def test_describe_shows_triples_and_graph_downloads(server, visit):
    query = f"DESCRIBE <{SIAAP}>"
    page = open_editor(visit, f"{server.url}/sparql?edit={quote(query)}")
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+Enter")  # the editor's shortcut runs the query
    page.wait_for_selector("#results-table table")
    assert page.locator("#results-table th").all_inner_texts() == ["subject", "predicate", "object"]
    assert page.locator("#results-table a[href='/id/operator/siaap']").count() > 1
    formats = page.locator("#results-downloads ul a").all_inner_texts()
    assert formats == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]


def test_errors_are_shown(server, visit):
    page = open_editor(visit, f"{server.url}/sparql?edit={quote('SELECT * WHERE { ?s ')}")
    page.click("#query-form button[type=submit]")
    status = page.wait_for_selector("#results-status.error")
    assert "not valid SPARQL" in status.inner_text()


def test_without_javascript_the_form_posts_to_the_endpoint(server, browser):
    visit = Visit(browser, javascript=False)
    try:
        page = visit.page
        page.goto(f"{server.url}/sparql")
        assert page.is_visible("textarea#query")
        assert page.is_hidden("#library-select"), "the drop-down needs JavaScript"
        assert page.is_visible("section.library a[href='/queries/track-results']")
        page.fill("textarea#query", "SELECT ?o WHERE { ?o a wop:Operator } ORDER BY ?o")
        page.select_option("select#format", "csv")
        with page.expect_download() as download:
            page.click("#query-form button[type=submit]")
        text = Path(download.value.path()).read_text("utf-8")
        assert text.splitlines() == ["o", "https://w3id.org/wop/id/operator/onee", SIAAP]
        assert visit.outside == []
    finally:
        visit.close()


def test_pages_pass_axe(server, visit):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = open_editor(visit, f"{server.url}/sparql")
    page.select_option("#library-select", "operator-figures")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#results-table table")
    found = {"/sparql": axe.run(page).response["violations"]}
    for url in ("/queries/", f"/queries/operator-figures?operator={quote(SIAAP)}"):
        page.goto(server.url + url)
        found[url] = axe.run(page).response["violations"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "canned-query.png"), full_page=True)
    problems = {url: [(v["id"], v["help"]) for v in vs] for url, vs in found.items() if vs}
    assert problems == {}
