"""Bad input to the write endpoints (``/graphs``, ``/update``) and to ``/sparql``: refused with
the right status and a message naming the problem, and the store left exactly as it was.

A table of hand-written bad requests comes first, then the data-driven shape-breaking writes
(every ``tests/shapes/invalid/*.ttl`` sent as a write: 422 with its stated violation), then
Hypothesis properties over generated bad bodies (random bytes, truncated and mutated Turtle,
wrong content types, random updates). Everything runs against ONE app with a journal in a
temporary folder, through the Flask test client; "unchanged" is checked by the journal's
``HEAD`` and a dump of every quad (or, in the properties, a count per graph) read back through
``/sparql``. What the server gets wrong today is a strict xfail whose reason names the bug:
fixed, the test passes and pytest asks for the mark to go.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import rdflib
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from test_shapes import expand_short, expected_violations
from wopgraph.web import create_app

HERE = Path(__file__).parent
MINIMAL = (HERE / "shapes" / "valid" / "minimal-partnership.ttl").read_bytes()
INVALID = sorted((HERE / "shapes" / "invalid").glob("*.ttl"))
TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TURTLE = {**AUTH, "Content-Type": "text/turtle"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
WOP_GRAPH = "https://w3id.org/wop/graph/"
#: The graph written once at the start; every bad write aims at it (or at NEW).
SEED = WOP_GRAPH + "case/test-seed"
NEW = WOP_GRAPH + "case/test-new"
PROTECTED = [WOP_GRAPH + name for name in ("ontology", "vocab", "shapes", "changes")]
MAX_BODY_MB = 0.05
QUERY_TIMEOUT = 2.0
DUMP = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
RESULTS_JSON = "application/sparql-results+json"
#: The graph formats a write is accepted in (their main media types).
GRAPH_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app with writes on, a small body limit, no answer cache (a cached fingerprint could
    hide a change) and the seed graph written."""
    journal = tmp_path_factory.mktemp("journal")
    app = create_app(
        {
            "write_tokens": f"alice:{TOKEN}",
            "journal": str(journal),
            "workers": 1,
            "max_body_mb": MAX_BODY_MB,
            "query_timeout": QUERY_TIMEOUT,
            "cache_mb": 0,
        }
    )
    response = app.test_client().put(
        "/graphs", query_string={"graph": SEED}, data=MINIMAL, headers=TURTLE
    )
    assert response.status_code == 201, response.data
    yield app
    app.extensions["wopgraph"].executor.stop()


@pytest.fixture(scope="module")
def client(app):
    """The test client of the one app."""
    return app.test_client()


class Ledger:
    """What the store holds, to check that a refused request changed nothing."""

    def __init__(self, client):
        self.client = client
        self.journal = client.application.extensions["wopgraph"].journal
        self.snapshot = self.dump()

    def head(self) -> int:
        """The journal's newest published write."""
        return self.journal.head()

    def select(self, query: str) -> list[str]:
        """The rows of a SELECT as sorted TSV lines (header first), never cut by the row cap."""
        response = self.client.get(
            "/sparql",
            query_string={"query": query},
            headers={"Accept": "text/tab-separated-values"},
        )
        assert response.status_code == 200, response.data
        assert "X-WOPgraph-Truncated" not in response.headers, "the dump was cut: raise max_rows"
        header, *rows = response.get_data(as_text=True).splitlines()
        return [header, *sorted(rows)]

    def dump(self) -> tuple[int, list[str]]:
        """HEAD and every quad of the store."""
        return self.head(), self.select(DUMP)

    def fingerprint(self) -> tuple[int, list[str]]:
        """HEAD and the number of triples of each graph: cheap, for the properties."""
        return self.head(), self.select(COUNTS)

    def assert_unchanged(self) -> None:
        """Every quad and HEAD are as in the snapshot."""
        head, quads = self.dump()
        assert head == self.snapshot[0], "a refused request moved the journal's HEAD"
        added = sorted(set(quads) - set(self.snapshot[1]))
        removed = sorted(set(self.snapshot[1]) - set(quads))
        assert not added and not removed, f"the store changed: +{added[:5]} -{removed[:5]}"

    def retake(self) -> None:
        """Take the snapshot again (after an accepted write)."""
        self.snapshot = self.dump()


@pytest.fixture(scope="module")
def ledger(client):
    """The store's snapshot, taken once the seed graph is in."""
    return Ledger(client)


def send(client, method: str, path: str, query=None, body=None, headers=None):
    """One request through the test client."""
    return client.open(path, method=method, query_string=query, data=body, headers=headers or {})


# The table of bad requests


@dataclass(frozen=True)
class Bad:
    """A bad request, the status it must get and what its message must name."""

    id: str
    method: str
    path: str
    query: dict | list | None = None
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    status: int | tuple[int, ...] = 400
    """The status it must get, or the statuses it may get."""
    says: tuple[str, ...] = ()
    bug: str | None = None
    """Set when the server gets it wrong today: the test is then a strict xfail naming the bug."""


def put(id, body, headers=TURTLE, status=400, says=(), graph=SEED, **kw) -> Bad:
    """A bad ``PUT /graphs?graph=...``."""
    return Bad(id, "PUT", "/graphs", {"graph": graph}, body, headers, status, says, **kw)


def update(id, text: str | bytes, status=400, says=(), headers=UPDATE) -> Bad:
    """A bad ``POST /update``."""
    body = text.encode() if isinstance(text, str) else text
    return Bad(id, "POST", "/update", None, body, headers, status, says)


def sparql(id, query: str, status=(400,), says=(), bug=None) -> Bad:
    """An absurd query POSTed to ``/sparql``: ``status`` lists the acceptable answers."""
    body = urlencode({"query": query}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": RESULTS_JSON}
    return Bad(id, "POST", "/sparql", None, body, headers, status, says, bug)


INSERT_NEW = "INSERT DATA { GRAPH <%s> { <https://w3id.org/wop/id/test/a> a <%s> } }"
#: A deeply nested query would overflow the stack of the query process (Oxigraph's parser
#: recurses); the endpoint refuses it first.
DEEP_NESTING = ("nests brackets", "at most 256")

TABLE = [
    # Bodies that do not parse: the message names the format and where.
    put(
        "turtle-missing-dot",
        b"@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b ex:c ex:d .\n",
        says=("text/turtle", "line 3", "columns 16"),
    ),
    put(
        "turtle-unterminated-literal",
        b'@prefix ex: <http://e/> .\nex:a ex:b "unterminated .\n',
        says=("text/turtle", "line 2 column 11"),
    ),
    put(
        "turtle-undeclared-prefix",
        b"@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nundeclared:x ex:b ex:c .\n",
        says=("undeclared:", "line 3"),
    ),
    put(
        "ntriples-missing-object",
        b"<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> .\n",
        headers={**AUTH, "Content-Type": "application/n-triples"},
        says=("application/n-triples", "line 2 column 27"),
    ),
    put(
        "jsonld-syntax",
        b'{\n  "@id": "http://e/a",\n  "http://e/b": [}\n',
        headers={**AUTH, "Content-Type": "application/ld+json"},
        says=("application/ld+json", "line 3 column 18"),
    ),
    put(
        "jsonld-bad-context",
        b'[{"@id": "http://e/a", "@context": 5}]',
        headers={**AUTH, "Content-Type": "application/ld+json"},
        says=("application/ld+json", "@context"),
    ),
    put(
        "jsonld-remote-context-not-fetched",
        b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://e/a", "b": 1}',
        headers={**AUTH, "Content-Type": "application/ld+json"},
        says=("remote contexts",),
    ),
    put(
        "jsonld-with-a-named-graph",
        b'{"@id": "http://e/g", "@graph": [{"@id": "http://e/a", "http://e/b": "x"}]}',
        headers={**AUTH, "Content-Type": "application/ld+json"},
        says=("names graphs of its own", "<http://e/g>"),
    ),
    put(
        "rdfxml-ill-formed",
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        b'<rdf:Description rdf:about="http://e/a">\n</rdf:RDF>',
        headers={**AUTH, "Content-Type": "application/rdf+xml"},
        says=("application/rdf+xml", "rdf:Description"),
    ),
    # Formats not accepted.
    put(
        "json-is-not-a-graph-format",
        MINIMAL,
        headers={**AUTH, "Content-Type": "application/json"},
        status=415,
        says=("application/json", "text/turtle"),
    ),
    put("no-content-type", MINIMAL, headers=AUTH, status=415, says=("no Content-Type",)),
    put(
        "quads-format",
        b"<http://e/a> <http://e/b> <http://e/c> <http://e/g> .\n",
        headers={**AUTH, "Content-Type": "application/n-quads"},
        status=415,
        says=("application/n-quads",),
    ),
    put(
        "html",
        b"<html></html>",
        headers={**AUTH, "Content-Type": "text/html"},
        status=415,
        says=("text/html",),
    ),
    # Bodies that are not text, or hold nothing.
    put("not-utf8", b'<http://e/a> <http://e/b> "\xff\xfe" .', says=("not UTF-8", "byte 27")),
    put(
        "latin1-charset-is-not-honoured",
        b'<http://e/a> <http://e/b> "caf\xe9" .',
        headers={**AUTH, "Content-Type": "text/turtle; charset=iso-8859-1"},
        says=("not UTF-8", "byte 30"),
    ),
    put("empty", b"", says=("empty",)),
    put("blank", b" \n\t\n", says=("empty",)),
    put("only-a-comment", b"# nothing to see\n", says=("no triples",)),
    put("only-prefixes", b"@prefix ex: <http://e/> .\n", says=("no triples",)),
    put(
        "jsonld-empty-object",
        b"{}",
        headers={**AUTH, "Content-Type": "application/ld+json"},
        says=("no triples",),
    ),
    put(
        "oversized",
        b"# " + b"x" * int(MAX_BODY_MB * 1024 * 1024) + b"\n",
        status=413,
        says=("0.05 MB", "--max-body-mb"),
    ),
    Bad(
        "oversized-post",
        "POST",
        "/graphs",
        {"graph": SEED},
        b"#" * int(MAX_BODY_MB * 1024 * 1024 + 10),
        TURTLE,
        413,
        ("0.05 MB",),
    ),
    # Who may write.
    put("no-token", MINIMAL, headers={"Content-Type": "text/turtle"}, status=401, says=("Bearer",)),
    put(
        "wrong-token",
        MINIMAL,
        headers={"Content-Type": "text/turtle", "Authorization": "Bearer nope"},
        status=401,
        says=("not accepted",),
    ),
    put(
        "basic-auth-is-not-a-token",
        MINIMAL,
        headers={"Content-Type": "text/turtle", "Authorization": "Basic YWxpY2U6czNjcmV0"},
        status=401,
        says=("Bearer",),
    ),
    # Which graph.
    Bad("put-without-graph", "PUT", "/graphs", None, MINIMAL, TURTLE, 400, ("?graph=IRI",)),
    Bad("get-without-graph", "GET", "/graphs", None, None, {}, 400, ("?graph=IRI",)),
    Bad("put-default", "PUT", "/graphs", {"default": ""}, MINIMAL, TURTLE, 400, ("?default",)),
    Bad("get-default", "GET", "/graphs", {"default": ""}, None, {}, 400, ("?default",)),
    Bad(
        "two-graphs",
        "PUT",
        "/graphs",
        [("graph", SEED), ("graph", NEW)],
        MINIMAL,
        TURTLE,
        400,
        ("one graph parameter",),
    ),
    put("graph-not-an-iri", MINIMAL, graph="not an iri", says=("not a valid IRI",)),
    put("graph-relative", MINIMAL, graph="case/test", says=("case/test",)),
    put(
        "graph-injection-put",
        MINIMAL,
        graph=SEED + "> { } } ; DROP ALL ; #",
        says=("not a valid IRI",),
    ),
    Bad(
        "graph-injection-get",
        "GET",
        "/graphs",
        {"graph": SEED + "> { ?s ?p ?o } } #"},
        None,
        {},
        400,
        ("not a valid IRI",),
    ),
    Bad("get-unknown", "GET", "/graphs", {"graph": NEW}, None, {}, 404, (NEW,)),
    Bad("head-unknown", "HEAD", "/graphs", {"graph": NEW}, None, {}, 404),
    Bad("delete-unknown", "DELETE", "/graphs", {"graph": NEW}, None, AUTH, 404, (NEW, "delete")),
    *[
        Bad(
            f"{method.lower()}-{graph.rsplit('/', 1)[1]}",
            method,
            "/graphs",
            {"graph": graph},
            None if method == "DELETE" else MINIMAL,
            AUTH if method == "DELETE" else TURTLE,
            403,
            (graph, "cannot be written"),
        )
        for graph in PROTECTED
        for method in ("PUT", "POST", "DELETE")
    ],
    # Updates that cannot be scoped or are barred.
    update(
        "update-graph-variable",
        "INSERT { GRAPH ?g { <http://e/a> <http://e/b> <http://e/c> } } "
        "WHERE { GRAPH ?g { ?s ?p ?o } }",
        says=("GRAPH ?g",),
    ),
    update("update-drop-all", "DROP ALL", says=("DROP ALL",)),
    update("update-drop-named", "DROP NAMED", says=("DROP NAMED",)),
    update("update-clear-default", "CLEAR DEFAULT", says=("default graph",)),
    update(
        "update-load",
        f"LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <{NEW}>",
        says=("LOAD", "does not fetch"),
    ),
    update(
        "update-service",
        f"INSERT {{ GRAPH <{NEW}> {{ ?s ?p ?o }} }} "
        "WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        says=("SERVICE",),
    ),
    update(
        "update-default-graph-data",
        "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
        says=("default graph", "GRAPH <iri>"),
    ),
    *[
        update(f"update-insert-{g.rsplit('/', 1)[1]}", INSERT_NEW % (g, "http://e/C"), 403, (g,))
        for g in PROTECTED
    ],
    update("update-drop-ontology", f"DROP GRAPH <{PROTECTED[0]}>", 403, (PROTECTED[0],)),
    update(
        "update-syntax",
        f"INSERT DATA {{ GRAPH <{NEW}> {{ <http://e/a> <http://e/b> ",
        says=("not valid SPARQL", "1:"),
    ),
    update(
        "update-undeclared-prefix",
        "INSERT DATA { GRAPH ex:g { <http://e/a> <http://e/b> <http://e/c> } }",
        says=("ex:g", "not declared"),
    ),
    update("update-empty", "", says=("Missing update",)),
    update("update-not-utf8", b"DROP GRAPH <http://e/\xff>", says=("not UTF-8",)),
    update(
        "update-form-two-updates",
        "update=DROP+GRAPH+%3Chttp%3A%2F%2Fe%2Fa%3E&update=DROP+GRAPH+%3Chttp%3A%2F%2Fe%2Fb%3E",
        says=("exactly one update", "2"),
        headers=FORM,
    ),
    update(
        "update-form-using-graph-uri",
        "update=CLEAR+GRAPH+%3Chttp%3A%2F%2Fe%2Fa%3E&using-graph-uri=http%3A%2F%2Fe%2Fg",
        says=("using-graph-uri",),
        headers=FORM,
    ),
    update(
        "update-form-without-update", "query=ASK%7B%7D", says=("exactly one update",), headers=FORM
    ),
    update(
        "update-text-plain",
        "DROP ALL",
        415,
        ("application/sparql-update",),
        headers={**AUTH, "Content-Type": "text/plain"},
    ),
    update(
        "update-oversized",
        "#" + "x" * int(MAX_BODY_MB * 1024 * 1024),
        413,
        ("0.05 MB",),
    ),
    update(
        "update-no-token",
        f"DROP GRAPH <{SEED}>",
        401,
        ("Bearer",),
        headers={"Content-Type": "application/sparql-update"},
    ),
    Bad("update-by-get", "GET", "/update", {"update": f"DROP GRAPH <{SEED}>"}, status=405),
    # Absurd queries on the public endpoint: a clear 4xx or the time limit, never 500 or a hang.
    sparql("sparql-update", f"DROP GRAPH <{SEED}>", says=("Update is not accepted",)),
    sparql("sparql-garbage", "SELECT * WHERE { ?s ?p }}}", says=("not valid SPARQL",)),
    sparql(
        "nested-groups-200", "SELECT * WHERE " + "{ " * 200 + "?s ?p ?o" + " }" * 200, status=(200,)
    ),
    sparql(
        "nested-subqueries-300",
        "SELECT * WHERE { " + "{ SELECT * WHERE " * 300 + "{ ?s ?p ?o }" + " }" * 300 + " }",
        says=("nests brackets 302 levels deep", "at most 256"),
    ),
    sparql(
        "nested-groups-3000",
        "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000,
        says=DEEP_NESTING,
    ),
    sparql(
        "nested-functions-1000",
        "SELECT (" + "CONCAT(" * 1000 + "'a'" + ")" * 1000 + " AS ?x) WHERE {}",
        says=DEEP_NESTING,
    ),
    sparql(
        "nested-parentheses-5000",
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }",
        says=DEEP_NESTING,
    ),
    sparql(
        "regex-over-a-cross-join",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
        'FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "(x|y|z)*q.*r{2,9}$", "i")) }',
        status=(503,),
        says=("time limit",),
    ),
    sparql(
        "regex-catastrophic-pattern",
        'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) }',
        status=(200,),
    ),
]


def _param(case: Bad):
    """The case as a pytest parameter, a strict xfail when it states a bug."""
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in TABLE])
def test_bad_request_gets_its_status_and_changes_nothing(client, ledger, case):
    started = time.monotonic()
    response = send(client, case.method, case.path, case.query, case.body, case.headers)
    elapsed = time.monotonic() - started
    allowed = case.status if isinstance(case.status, tuple) else (case.status,)
    message = response.get_data(as_text=True)
    assert response.status_code in allowed, message[:500]
    assert elapsed < QUERY_TIMEOUT + 5, "the request hung"
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message[:500]!r}"
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    ledger.assert_unchanged()


# Writes that parse but break the shapes: 422 with the report, nothing changed


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_shape_breaking_put_over_a_valid_graph_gets_422_and_keeps_it(client, ledger, path):
    # Over the seed graph, which holds what most of these files lack (a mentor, a source...):
    # its old content must not count as context for its new one.
    response = client.put(
        "/graphs", query_string={"graph": SEED}, data=path.read_bytes(), headers=TURTLE
    )
    assert response.status_code == 422, response.data[:500]
    report = response.get_json()
    assert report["conforms"] is False
    found = {
        (
            r["focusNode"],
            expand_short(r["resultPath"]),
            expand_short(r["sourceConstraintComponent"]),
        )
        for r in report["results"]
        if r["severity"] == "Violation"
    }
    for expected in expected_violations(path):
        assert expected in found, f"{expected} not among {sorted(found, key=str)}"
    ledger.assert_unchanged()


PARTNERSHIP = "https://w3id.org/wop/id/partnership/test-wop"
MENTOR = "https://w3id.org/wop/id/operator/test-mentor"
WOP = "https://w3id.org/wop/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class Breaking:
    """A write that parses but must be refused with 422; ``says`` is in some result."""

    id: str
    method: str
    path: str
    body: bytes
    headers: dict
    says: str
    bug: str | None = None


def breaking_put(id: str, extra: str, says: str, bug: str | None = None) -> Breaking:
    """The seed's content plus ``extra`` Turtle, PUT to the seed graph."""
    return Breaking(id, "PUT", "/graphs", MINIMAL + b"\n" + extra.encode(), TURTLE, says, bug)


BREAKING = [
    Breaking(
        "post-merge-breaks-datatype",
        "POST",
        "/graphs",
        f'<{PARTNERSHIP}> <{WOP}hasFormalAgreement> "yes" .'.encode(),
        TURTLE,
        "hasFormalAgreement",
    ),
    Breaking(
        "update-removes-the-mentor",
        "POST",
        "/update",
        f"DELETE DATA {{ GRAPH <{SEED}> {{ <{PARTNERSHIP}> <{WOP}mentor> <{MENTOR}> }} }}".encode(),
        UPDATE,
        "mentor",
    ),
    breaking_put(
        "duplicate-label",
        'operator:test-twin a wop:Operator ; rdfs:label "MENTOR-CO" ; '
        "wop:country country:test-land ; wop:providesService service:sanitation ; "
        "prov:wasDerivedFrom document:test-sheet .",
        "the same label",
    ),
    breaking_put("undeclared-class", "operator:test-mentor a wop:Operatorr .", "Operatorr"),
    breaking_put(
        "undeclared-predicate",
        'operator:test-mentor wop:typoPredicate "x" .',
        "typoPredicate",
    ),
    breaking_put(
        "orphan-blank-node",
        '[] rdfs:label "orphan"@en .',
        "blank node",
    ),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []
        )
        for c in BREAKING
    ],
)
def test_write_breaking_shapes_or_checks_gets_422(client, ledger, case):
    query = {"graph": SEED} if case.path == "/graphs" else None
    response = send(client, case.method, case.path, query, case.body, case.headers)
    assert response.status_code == 422, response.data[:500]
    report = response.get_json()
    assert report["conforms"] is False
    assert any(case.says in json.dumps(r) for r in report["results"]), report["results"]
    ledger.assert_unchanged()


def test_update_reading_the_default_graph_is_not_silently_a_no_op(client, ledger):
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    text = (
        f'DELETE {{ GRAPH <{SEED}> {{ ?s <{label}> "MENTOR-CO" }} }} '
        f'INSERT {{ GRAPH <{SEED}> {{ ?s <{label}> "MENTOR-CO (renamed)" }} }} '
        f'WHERE {{ ?s <{label}> "MENTOR-CO" }}'
    )
    matches = client.get(
        "/sparql",
        query_string={"query": f'ASK {{ ?s <{label}> "MENTOR-CO" }}'},
        headers={"Accept": RESULTS_JSON},
    )
    assert matches.get_json()["boolean"] is True, "the WHERE matches the served data"
    response = client.post("/update", data=text.encode(), headers=UPDATE)
    if response.status_code < 300:
        ledger.retake()
    # Either refused as out of scope, or applied: never "nothing changed" for a WHERE that
    # matches what /sparql serves.
    assert response.status_code == 400 or response.get_json()["change"] is not None, response.data[
        :300
    ]


# Properties: generated bad bodies are refused (4xx, never 5xx) and change nothing

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def assert_refused_and_unchanged(ledger: Ledger, response, before) -> None:
    """4xx (never 5xx) and the same HEAD and graph sizes as ``before``."""
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert ledger.fingerprint() == before


@PROPERTY
@given(
    body=st.binary(max_size=3000),
    media_type=st.sampled_from(GRAPH_TYPES),
    method=st.sampled_from(["PUT", "POST"]),
)
def test_random_bytes_are_refused(client, ledger, body, media_type, method):
    before = ledger.fingerprint()
    response = send(
        client, method, "/graphs", {"graph": SEED}, body, {**AUTH, "Content-Type": media_type}
    )
    assert_refused_and_unchanged(ledger, response, before)


#: Where the minimal partnership's statements start (after the header comment and prefixes).
DATA_START = MINIMAL.index(b"document:test-sheet\n")


@PROPERTY
@given(cut=st.integers(DATA_START + 1, len(MINIMAL) - 2))
def test_truncated_turtle_is_a_syntax_error(client, ledger, cut):
    body = MINIMAL[:cut]
    # Cut right after a statement's final dot, the rest is a valid (smaller) graph.
    assume(not body.rstrip().endswith(b"."))
    before = ledger.fingerprint()
    response = client.put("/graphs", query_string={"graph": SEED}, data=body, headers=TURTLE)
    assert_refused_and_unchanged(ledger, response, before)
    assert response.status_code == 400
    assert "line" in response.get_data(as_text=True)


SYNTAX = b'.;,<>"@^:[]()# \n'


@st.composite
def mutated(draw) -> bytes:
    """The minimal partnership with a few characters deleted, replaced or inserted."""
    body = bytearray(MINIMAL)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(DATA_START, len(body) - 1))
        how = draw(st.sampled_from(["delete", "replace", "insert"]))
        char = draw(st.sampled_from(list(SYNTAX)) | st.integers(0, 255))
        if how == "delete":
            del body[at]
        elif how == "replace":
            body[at] = char
        else:
            body.insert(at, char)
    return bytes(body)


@PROPERTY
@given(body=mutated())
def test_mutated_turtle_is_refused_or_written_exactly(client, ledger, body):
    before = ledger.fingerprint()
    response = client.put("/graphs", query_string={"graph": SEED}, data=body, headers=TURTLE)
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    if response.status_code >= 400:
        assert ledger.fingerprint() == before
        return
    # Some mutations leave valid Turtle that still conforms: then it must land exactly.
    assert ledger.head() == before[0] + 1
    sent = rdflib.Graph().parse(data=body.decode("utf-8"), format="turtle", publicID=SEED)
    stored = client.get("/graphs", query_string={"graph": SEED}, headers={"Accept": "text/turtle"})
    assert isomorphic(
        rdflib.Graph().parse(data=stored.get_data(as_text=True), format="turtle"), sent
    )
    ledger.retake()


TOKEN_CHARS = st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=";,")


@PROPERTY
@given(
    media_type=st.one_of(
        st.sampled_from(
            [
                "application/json",
                "text/html",
                "application/n-quads",
                "application/trig",
                "text/n3",
                "application/xml",
                "multipart/form-data",
                "*/*",
                "text/turtles",
            ]
        ),
        st.builds(
            lambda a, b: f"{a}/{b}",
            st.text(TOKEN_CHARS, min_size=1, max_size=12),
            st.text(TOKEN_CHARS, min_size=1, max_size=12),
        ),
    ),
    params=st.sampled_from(["", "; charset=utf-8", "; q=0.5"]),
)
def test_unaccepted_content_type_is_415(client, ledger, media_type, params):
    assume(media_type.lower() not in {*GRAPH_TYPES, "text/plain", "application/x-turtle"})
    before = ledger.fingerprint()
    response = client.put(
        "/graphs",
        query_string={"graph": SEED},
        data=MINIMAL,
        headers={**AUTH, "Content-Type": media_type + params},
    )
    assert_refused_and_unchanged(ledger, response, before)
    assert response.status_code == 415


#: Graphs the generated updates may name: none that holds data a write may change (the seed
#: graph is left out), so no generated update may change anything.
UPDATE_GRAPHS = [f"<{NEW}>", f"<{NEW}-2>", *[f"<{g}>" for g in PROTECTED], "ex:g"]
#: The one triple they may insert: refused by the checks (an undeclared class).
REFUSED_TRIPLE = "<https://w3id.org/wop/id/test/x> a <http://e/Undeclared>"
UPDATE_FORMS = [
    "INSERT DATA {{ GRAPH {g} {{ {t} }} }}",
    "DELETE DATA {{ GRAPH {g} {{ {t} }} }}",
    "DELETE WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}",
    "INSERT {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {h} {{ ?s ?p ?o }} }}",
    "INSERT {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
    "WITH {g} DELETE {{ ?s ?p ?o }} INSERT {{ {t} }} WHERE {{ ?s ?p ?o }}",
    "INSERT {{ GRAPH {g} {{ ?s ?p ?o }} }} USING {h} WHERE {{ ?s ?p ?o }}",
    "INSERT {{ GRAPH ?g {{ {t} }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "INSERT {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ SERVICE <http://127.0.0.1:9/> {{ ?s ?o }} }}",
    "{op} SILENT GRAPH {g}",
    "{op} GRAPH {g}",
    "{op} {scope}",
    "{move} {g} TO {h}",
    "{move} SILENT {g} TO {h}",
    "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH {g}",
    "CREATE GRAPH {g}",
]


@st.composite
def scoped_updates(draw) -> str:
    """Mostly well-formed updates over graphs that no accepted write may change."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        form = draw(st.sampled_from(UPDATE_FORMS))
        parts.append(
            form.format(
                g=draw(st.sampled_from(UPDATE_GRAPHS)),
                h=draw(st.sampled_from(UPDATE_GRAPHS)),
                t=REFUSED_TRIPLE,
                op=draw(st.sampled_from(["DROP", "CLEAR"])),
                scope=draw(st.sampled_from(["ALL", "NAMED", "DEFAULT"])),
                move=draw(st.sampled_from(["ADD", "MOVE", "COPY"])),
            )
        )
    return "PREFIX ex: <http://e/>\n" + " ;\n".join(parts)


KEYWORDS = "INSERT DELETE DATA WHERE WITH USING NAMED GRAPH DROP CLEAR CREATE ADD MOVE COPY TO"
UPDATE_WORDS = [
    *f"{KEYWORDS} INTO LOAD SERVICE SILENT ALL DEFAULT {{ }} ; . ?g".split(),
    "?s ?p ?o",
    *UPDATE_GRAPHS,
    REFUSED_TRIPLE,
]


@PROPERTY
@given(
    text=st.one_of(
        scoped_updates(),
        st.lists(st.sampled_from(UPDATE_WORDS), max_size=14).map(" ".join),
        st.text(max_size=200),
    )
)
def test_random_update_changes_nothing(client, ledger, text):
    before = ledger.fingerprint()
    response = client.post("/update", data=text.encode("utf-8"), headers=UPDATE)
    event(f"status {response.status_code}")
    assert response.status_code < 500, (text, response.data[:300])
    if response.status_code < 300:
        assert response.get_json()["change"] is None, (text, response.data)
    assert ledger.fingerprint() == before, text
