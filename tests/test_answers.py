"""The hot path of /sparql (``web/answers.py``) answers exactly as the Flask view does.

Each request is sent twice through WSGI: to the app as served (the hot path in front of Flask)
and to the Flask app alone (the layer's ``app``). Status, headers and body must be the same,
and the requests meant for the hot path must not have reached Flask's hooks at all.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from wopgraph.web import create_app
from wopgraph.web.answers import QueryAnswers

SELECT = "SELECT ?s ?label WHERE { ?s a wop:Operator ; rdfs:label ?label } ORDER BY ?s ?label"
GRAPH = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a wop:Partnership ; ?p ?o }"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
BIG = "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
ONEE = "https://w3id.org/wop/id/operator/onee"

#: (name, request, answered by the hot path).
CASES = [
    ("get-json", dict(query_string=f"query={quote(SELECT)}"), True),
    ("get-slash", dict(path="/sparql/", query_string=f"query={quote(SELECT)}"), True),
    ("head", dict(method="HEAD", query_string=f"query={quote(SELECT)}"), True),
    (
        "form-xml",
        dict(method="POST", data=urlencode({"query": SELECT}), content_type=FORM),
        True,
    ),
    (
        "direct-csv",
        dict(
            method="POST",
            data=SELECT,
            content_type=DIRECT + "; charset=utf-8",
            headers={"Accept": "text/csv"},
        ),
        True,
    ),
    ("turtle", dict(query_string=f"query={quote(GRAPH)}", headers={"Accept": "text/turtle"}), True),
    ("format-param", dict(query_string=f"query={quote(GRAPH)}&format=ntriples"), True),
    (
        "gzip-cut",
        dict(query_string=f"query={quote(BIG)}", headers={"Accept-Encoding": "gzip"}),
        True,
    ),
    ("no-gzip-cut", dict(query_string=f"query={quote(BIG)}"), True),
    (
        "gzip-refused",
        dict(query_string=f"query={quote(BIG)}", headers={"Accept-Encoding": "gzip;q=0"}),
        True,
    ),
    ("syntax-error", dict(query_string=f"query={quote('SELECT ?s WHERE { ?s ?p }')}"), True),
    # Relative IRIs resolve against the request's URL, which the hot path rebuilds itself.
    ("base", dict(query_string=f"query={quote('SELECT (<x> AS ?x) {}')}"), True),
    (
        "base-other-host",
        dict(
            path="/sparql/",
            query_string=f"query={quote('SELECT (<x> AS ?x) {}')}",
            headers={"Host": "wop.example.org:8443"},
        ),
        True,
    ),
    ("lookup", dict(query_string=f"query={quote('DESCRIBE <' + ONEE + '>')}"), True),
    ("lookup-relative", dict(query_string=f"query={quote('DESCRIBE <onee>')}"), True),
    (
        "dataset",
        dict(
            query_string=f"query={quote(SELECT)}&default-graph-uri=https%3A%2F%2Fw3id.org%2Fwop%2Fgraph%2Fshared"
        ),
        True,
    ),
    # Left to Flask: refusals, descriptions, other methods, odd bodies, ?lang=.
    ("update-refused", dict(query_string="update=" + quote("CLEAR ALL")), False),
    ("two-queries", dict(query_string="query=ASK%7B%7D&query=ASK%7B%7D"), False),
    (
        "not-acceptable",
        dict(query_string=f"query={quote(SELECT)}", headers={"Accept": "image/png"}),
        False,
    ),
    ("description", dict(headers={"Accept": "text/turtle"}), False),
    ("options", dict(method="OPTIONS", headers={"Origin": "https://example.org"}), False),
    ("wrong-type", dict(method="POST", data=SELECT, content_type="text/plain"), False),
    ("latin-1", dict(method="POST", data=SELECT, content_type=DIRECT + "; charset=latin-1"), False),
    ("bad-utf8", dict(method="POST", data=b"query=%FF", content_type=FORM), False),
    ("lang", dict(query_string=f"query={quote(SELECT)}&lang=fr"), False),
    (
        "service",
        dict(
            query_string="query="
            + quote("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
        ),
        False,
    ),
]
SPECS = {name: spec for name, spec, _ in CASES}


@pytest.fixture(scope="module")
def app():
    """The app over the bundled data, with a row cap small enough to cut ``BIG``."""
    app = create_app({"max_rows": 40, "query_timeout": 5.0})
    yield app
    app.extensions["wopgraph"].executor.stop()


@pytest.fixture(scope="module")
def flask_hits(app):
    """How many requests reached Flask's hooks (a list, appended to by a hook)."""
    hits = []
    app.before_request(lambda: hits.append(1) and None)
    return hits


def call(wsgi, spec: dict):
    """Run one request through a WSGI callable: (status, headers without Date, body)."""
    spec = {"path": "/sparql", **spec}
    environ = EnvironBuilder(**spec).get_environ()
    body_iter, status, headers = run_wsgi_app(wsgi, environ, buffered=True)
    body = b"".join(body_iter)
    return status, sorted((k, v) for k, v in headers.items() if k != "Date"), body


@pytest.mark.parametrize(("name", "spec", "hot"), CASES, ids=[c[0] for c in CASES])
def test_hot_path_answers_as_flask_does(app, flask_hits, name, spec, hot):
    assert isinstance(app.wsgi_app, QueryAnswers)
    before = len(flask_hits)
    served = call(app, spec)
    reached_flask = len(flask_hits) > before
    assert reached_flask is not hot, f"{name}: hot path {'missed' if hot else 'took'} it"
    alone = call(app.wsgi_app.app, spec)
    assert served == alone


def test_cases_cover_errors_cuts_and_gzip(app):
    """The table above really exercises what it claims (so its equalities mean something)."""
    statuses = {name: call(app, spec)[0] for name, spec, _ in CASES}
    assert statuses["syntax-error"].startswith("400")
    assert statuses["not-acceptable"].startswith("406")
    assert statuses["wrong-type"].startswith("415")
    headers = dict(call(app, SPECS["gzip-cut"])[1])
    assert headers["Content-Encoding"] == "gzip"
    assert headers["X-WOPgraph-Truncated"] == "true"
    assert headers["Vary"] == "Accept, Accept-Encoding"
    head = call(app, SPECS["head"])
    assert head[2] == b"" and int(dict(head[1])["Content-Length"]) > 0


def test_rate_limit_keeps_every_request_in_flask():
    app = create_app({"rate_limit": 600})
    try:
        assert not isinstance(app.wsgi_app, QueryAnswers)
    finally:
        app.extensions["wopgraph"].executor.stop()
