"""A public endpoint's limits, on the real server: time limit, row cap, no Update, no SERVICE.

The time-limit tests use a query that never ends on its own (a three-way cross join) and check
that the error comes after about the limit, that the server answers a cheap query at once
afterwards, and that a cheap query from another client is answered while a slow one runs.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from server import LiveServer

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"
ALL = "SELECT * WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server():
    """The server with a 1 s time limit and a 5-row cap."""
    with LiveServer("--query-timeout", "1", "--max-rows", "5", "--workers", "2") as live:
        yield live


def fetch(endpoint: str, query: str, accept: str = "application/sparql-results+json", **params):
    """POST a query (form-encoded); return (status, headers, body) even for error statuses."""
    data = urllib.parse.urlencode({"query": query, **params}).encode()
    request = urllib.request.Request(endpoint, data=data, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_time_limit_stops_the_query_and_the_server_answers_at_once(server):
    started = time.monotonic()
    status, _, body = fetch(server.endpoint, SLOW)
    elapsed = time.monotonic() - started
    assert status == 503
    assert 0.9 <= elapsed < 3.0, elapsed
    message = body.decode()
    assert "time limit of 1 s" in message
    assert "--query-timeout" in message and "WOPGRAPH_QUERY_TIMEOUT" in message
    started = time.monotonic()
    status, _, body = fetch(server.endpoint, CHEAP)
    assert status == 200
    assert json.loads(body)["boolean"] is True
    assert time.monotonic() - started < 0.5


def test_a_slow_query_does_not_block_another_client(server):
    slow_result = {}

    def slow_client():
        """Send the slow query and note when its answer came."""
        started = time.monotonic()
        slow_result["status"] = fetch(server.endpoint, SLOW)[0]
        slow_result["done"] = time.monotonic() - started

    thread = threading.Thread(target=slow_client)
    started = time.monotonic()
    thread.start()
    time.sleep(0.2)  # the slow query is now running in one worker
    status, _, _ = fetch(server.endpoint, CHEAP)
    cheap_done = time.monotonic() - started
    thread.join(30)
    assert status == 200
    assert slow_result["status"] == 503
    assert cheap_done < 0.7, "the cheap query waited for the slow one"
    assert cheap_done < slow_result["done"]


@pytest.mark.parametrize(
    ("accept", "count_rows"),
    [
        (
            "application/sparql-results+json",
            lambda body: len(json.loads(body)["results"]["bindings"]),
        ),
        ("text/csv", lambda body: len(body.decode().splitlines()) - 1),
        ("text/tab-separated-values", lambda body: len(body.decode().splitlines()) - 1),
        ("application/sparql-results+xml", lambda body: body.count(b"<result>")),
    ],
)
def test_row_cap_cuts_and_tells_the_client(server, accept, count_rows):
    status, headers, body = fetch(server.endpoint, ALL, accept)
    assert status == 200
    assert headers["X-WOPgraph-Truncated"] == "true"
    assert headers["X-WOPgraph-Max-Rows"] == "5"
    assert count_rows(body) == 5


def test_row_cap_note_in_json(server):
    _, _, body = fetch(server.endpoint, ALL)
    note = json.loads(body)["wopgraph"]
    assert note == {"truncated": True, "maxRows": 5, "message": note["message"]}


def test_row_cap_applies_to_construct(server):
    status, headers, body = fetch(
        server.endpoint, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples"
    )
    assert status == 200
    assert headers["X-WOPgraph-Truncated"] == "true"
    assert len(body.decode().splitlines()) == 5


def test_row_cap_applies_to_a_lookup_answered_in_the_worker(server):
    """``DESCRIBE <iri>`` alone is answered without the query process: the cap still holds."""
    lookup = "DESCRIBE <https://w3id.org/wop/id/operator/onee>"
    status, headers, body = fetch(server.endpoint, lookup, "application/n-triples")
    assert status == 200
    assert headers["X-WOPgraph-Truncated"] == "true"
    lines = body.decode().splitlines()
    assert len(lines) == 5
    assert all(line.startswith("<https://w3id.org/wop/id/operator/onee> ") for line in lines)


def test_row_cap_applies_to_a_pattern_lookup_answered_in_the_worker(server):
    """An entity page's CONSTRUCT is answered without the query process: the cap holds."""
    onee = "https://w3id.org/wop/id/operator/onee"
    lookup = (
        f"CONSTRUCT {{ <{onee}> ?p ?o . ?s ?q <{onee}> }} "
        f"WHERE {{ {{ <{onee}> ?p ?o }} UNION {{ ?s ?q <{onee}> }} }}"
    )
    status, headers, body = fetch(server.endpoint, lookup, "application/n-triples")
    assert status == 200
    assert headers["X-WOPgraph-Truncated"] == "true"
    lines = body.decode().splitlines()
    assert len(lines) == 5
    assert all(onee in line for line in lines)


def test_small_answers_are_not_marked(server):
    _, headers, _ = fetch(server.endpoint, "SELECT * WHERE { ?s ?p ?o } LIMIT 2")
    assert headers["X-WOPgraph-Truncated"] is None


@pytest.mark.parametrize(
    "params",
    [{"update": "CLEAR ALL"}, {"query": "CLEAR ALL"}, {"query": "INSERT DATA { <a> <b> <c> }"}],
)
def test_update_is_refused(server, params):
    data = urllib.parse.urlencode(params).encode()
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(server.endpoint, data=data), timeout=30)
    with info.value as error:
        assert error.code == 400
        assert "Update is not accepted" in error.read().decode()
    status, _, body = fetch(server.endpoint, CHEAP)
    assert json.loads(body)["boolean"] is True, "the data is still there"


def test_service_is_refused_by_default(server):
    status, _, body = fetch(
        server.endpoint, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    )
    assert status == 400
    assert "SERVICE <http://127.0.0.1:9/sparql> is not allowed" in body.decode()


@pytest.fixture(scope="module")
def federation():
    """Two servers: ``remote`` plain, ``local`` allowed to call ``remote`` with SERVICE."""
    with LiveServer() as remote, LiveServer("--allow-service", remote.endpoint) as local:
        yield local, remote


def test_service_to_an_allowed_endpoint_works(federation):
    local, remote = federation
    query = f"""PREFIX wop: <https://w3id.org/wop/ontology#>
SELECT ?m WHERE {{ SERVICE <{remote.endpoint}> {{
  <https://w3id.org/wop/id/partnership/onee-siaap> wop:mentor ?m }} }}"""
    status, _, body = fetch(local.endpoint, query)
    assert status == 200, body
    values = [b["m"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert values == ["https://w3id.org/wop/id/operator/siaap"]
    # The remote's access log line is written after its response: give it a moment.
    deadline = time.monotonic() + 5
    while "Oxigraph" not in remote.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Oxigraph" in remote.log(), "the remote server answered the SERVICE call"
    request = urllib.request.Request(local.endpoint, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        description = response.read().decode()
    assert "sparql-service-description#BasicFederatedQuery>" in description


def test_service_to_another_endpoint_is_still_refused(federation):
    local, remote = federation
    other = remote.endpoint.replace("/sparql", "/other")
    status, _, body = fetch(local.endpoint, f"SELECT * {{ SERVICE <{other}> {{ ?s ?p ?o }} }}")
    assert status == 400
    assert remote.endpoint in body.decode(), "the message lists what is allowed"
