"""Security headers: which responses get which, that the pages fit the policy, and in a browser.

In-process: the headers of pages, data answers, static files and the framed reconciliation
preview; and every page's markup against what the policy assumes (no inline script, no
inline event handler, no ``<style>`` element). With Chromium (Playwright) against the real
server: pages load and run without a single ``securitypolicyviolation``, the recorder does see
one when a page breaks the policy, and other sites may frame the preview but no page.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup

from chromium import needs_chromium
from server import HOST, LiveServer
from wopgraph.web.security import FRAMED_CSP, SITE_CSP

SIAAP = "https://w3id.org/wop/id/operator/siaap"
PREVIEW = f"/reconcile/preview?id={quote(SIAAP)}"
ASK = quote("ASK { ?s ?p ?o }")
HTML = "text/html"

#: HTML pages of every kind (the 404 page too).
PAGES = [
    "/",
    "/id/operator/siaap",
    "/id/partnership/onee-siaap",
    "/sparql",
    "/queries/",
    "/queries/operator-figures",
    "/map",
    "/network",
    "/compare",
    "/browse/partnership",
    "/search?q=water",
    "/ontology",
    "/.well-known/void",
    "/no-such-page",
]

#: Answers that are not documents: (URL, Accept).
DATA = [
    (f"/sparql?query={ASK}", "application/sparql-results+json"),
    ("/sparql", "text/turtle"),  # the service description
    ("/id/operator/siaap", "text/turtle"),
    ("/queries/operator-figures.csv", None),
    ("/reconcile", None),
    ("/static/query-page.js", None),
    ("/static/site.css", None),
    ("/robots.txt", None),
    ("/sitemap.xml", None),
    ("/dumps/no-such-dump", None),  # a plain-text error
]

#: Headers of documents only.
DOCUMENT_ONLY = (
    "Content-Security-Policy",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
)


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}."""
    parsed = {}
    for part in header.split(";"):
        directive, *sources = part.split()
        parsed[directive] = sources
    return parsed


def get(client, url: str, accept: str | None = HTML):
    """GET ``url``; the response, its body read and the file it sent closed."""
    with client.get(url, headers={"Accept": accept} if accept else {}) as response:
        response.get_data()
        return response


@pytest.mark.parametrize("url", PAGES)
def test_pages_get_every_header(client, url):
    response = get(client, url)
    assert response.mimetype == HTML
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == SITE_CSP
    assert "Strict-Transport-Security" not in headers, "the app speaks plain HTTP"


def test_the_site_policy_allows_no_script_but_this_servers_files():
    site = policy(SITE_CSP)
    assert site["default-src"] == ["'none'"]
    assert site["script-src"] == ["'self'"]
    assert site["frame-ancestors"] == ["'none'"]
    assert site["base-uri"] == ["'none'"]
    assert site["style-src-elem"] == ["'self'"], "no <style> elements"
    for sources in site.values():
        assert "'unsafe-eval'" not in sources and "*" not in sources
        assert not any(source.startswith(("http:", "https:")) for source in sources)


@pytest.mark.parametrize(("url", "accept"), DATA)
def test_data_and_files_get_nosniff_only(client, url, accept):
    response = get(client, url, accept)
    assert response.mimetype != HTML
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name in (*DOCUMENT_ONLY, "Strict-Transport-Security"):
        assert name not in response.headers, name


@pytest.mark.parametrize("root", ["/reconcile", "/reconcile/1.0-draft"])
def test_the_reconciliation_preview_may_be_framed(client, root):
    response = get(client, f"{root}/preview?id={quote(SIAAP)}")
    assert response.status_code == 200 and response.mimetype == HTML
    assert response.headers["Content-Security-Policy"] == FRAMED_CSP
    assert "frame-ancestors" not in policy(FRAMED_CSP)
    assert "X-Frame-Options" not in response.headers
    assert "script-src" not in policy(FRAMED_CSP), "default-src 'none': no script at all"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


#: Script types that are data, which CSP does not govern.
DATA_BLOCKS = {"application/ld+json", "application/json"}


@pytest.mark.parametrize("url", PAGES)
def test_pages_fit_the_policy(client, url):
    """What the site policy assumes of the markup: a new inline script here needs a new policy."""
    soup = BeautifulSoup(get(client, url).get_data(as_text=True), "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("type") in DATA_BLOCKS, script
        assert not script.get("src", "").startswith(("http:", "https:", "//")), "no CDN"
    assert soup.find("style") is None, "style sheets come from /static"
    for tag in soup.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert not handlers, tag
        for name in ("href", "src", "action"):
            assert not str(tag.get(name, "")).lower().startswith("javascript:"), tag


# --- In a browser ----------------------------------------------------------------------------

#: Runs before any script of each page: records the page's policy violations.
RECORDER = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def server():
    """The real server over the bundled data."""
    with LiveServer() as live:
        yield live


class Tab:
    """A page that records policy violations and the console's CSP complaints."""

    def __init__(self, browser):
        """Open a fresh context with the recorder."""
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(RECORDER)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        """Keep console messages about the Content Security Policy."""
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        """The current document's violations, and all CSP console messages so far."""
        return self.page.evaluate("window.violations") + self.console


@pytest.fixture
def tab(browser):
    """A fresh recording tab."""
    tab = Tab(browser)
    yield tab
    tab.context.close()


@needs_chromium
@pytest.mark.parametrize("url", [*PAGES, PREVIEW])
def test_pages_load_without_violations(server, tab, url):
    tab.page.goto(server.url + url)
    tab.page.wait_for_load_state("load")
    assert tab.violations() == []


@needs_chromium
def test_the_query_page_runs_and_completes_without_violations(server, tab):
    page = tab.page
    page.goto(f"{server.url}/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.select_option("#library-select", "operator-figures")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#results-table table")
    assert tab.violations() == []
    page.goto(f"{server.url}/sparql?edit={quote('SELECT * WHERE { ?s a ')}")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+End")
    page.keyboard.type("wop:Oper")
    page.wait_for_selector(".CodeMirror-hints")  # completion widgets are positioned by style
    assert tab.violations() == []


@needs_chromium
def test_the_recorder_sees_violations(server, tab):
    """The check above can fail: an injected inline script, style and foreign image are seen."""
    page = tab.page
    page.goto(f"{server.url}/id/operator/siaap")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
          document.body.insertAdjacentHTML(
            "beforeend", '<style>body { color: red }</style><img src="http://example.org/x.png">'
          );
        }"""
    )
    page.wait_for_function("window.violations.length >= 3")
    directives = {v.split()[0] for v in page.evaluate("window.violations")}
    assert directives == {"script-src-elem", "style-src-elem", "img-src"}
    assert page.evaluate("window.ran") is None, "the inline script did not run"


class Framer(BaseHTTPRequestHandler):
    """Answers ``/<url>`` with a page that frames ``<url>``: another site, on loopback."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        """The framing page."""
        body = f'<!doctype html><title>framer</title><iframe src="{unquote(self.path[1:])}">'
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def framer():
    """The base URL of another origin whose pages frame a URL."""
    httpd = ThreadingHTTPServer((HOST, 0), Framer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@needs_chromium
@pytest.mark.parametrize(
    ("url", "framed"),
    [(PREVIEW, True), ("/reconcile/1.0-draft/preview?id=" + quote(SIAAP), True)]
    + [(url, False) for url in ("/", "/id/operator/siaap", "/sparql")],
)
def test_only_the_preview_may_be_framed_elsewhere(server, framer, browser, url, framed):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(framer + quote(server.url + url, safe=""))
        page.wait_for_load_state("load")
        frame = page.frames[1]
        if not framed:
            assert frame.url.startswith("chrome-error:"), "the browser refused to frame it"
            return
        assert frame.url == server.url + url
        assert frame.inner_text("h1") == "SIAAP"
        margin = frame.evaluate("getComputedStyle(document.body).marginTop")
        assert margin == "0px", "the preview's own inline style sheet applies"
    finally:
        context.close()
