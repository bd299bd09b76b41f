"""The per-client rate limit: bucket maths on a fake clock, the Flask app, the real server.

The live tests run ``wopgraph serve`` with two gunicorn workers and check that the workers
share one budget per client: each test sends from its own loopback address (127.0.0.x, all
of which reach the server on 127.0.0.1), so each starts with a full bucket.
"""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from server import HOST, LiveServer
from wopgraph.web import create_app, ratelimit
from wopgraph.web.ratelimit import Buckets, burst, counted, retry_after, spend

ASK = "ASK { ?s ?p ?o }"
FORM = "application/x-www-form-urlencoded"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at 1000 s (any time will do)."""
        self.now = 1000.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


# --- The maths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_minute", "size"), [(1, 1), (5, 1), (6, 1), (12, 2), (60, 10), (61, 10), (600, 100)]
)
def test_burst_is_a_sixth_of_the_limit_and_at_least_one(per_minute, size):
    assert burst(per_minute) == size


@pytest.mark.parametrize(
    ("tokens", "elapsed", "rate", "capacity", "left", "wait"),
    [
        (2.0, 0.0, 0.2, 2.0, 1.0, 0.0),  # a full bucket gives a token
        (1.0, 0.0, 0.2, 2.0, 0.0, 0.0),  # the last token
        (0.0, 0.0, 0.2, 2.0, 0.0, 5.0),  # empty: one token comes in 1 / 0.2 s
        (0.0, 2.5, 0.2, 2.0, 0.5, 2.5),  # half refilled: half the wait left
        (0.0, 5.0, 0.2, 2.0, 0.0, 0.0),  # refilled just enough
        (0.0, 3600.0, 0.2, 2.0, 1.0, 0.0),  # a long pause refills to the capacity, not beyond
        (0.5, -1.0, 1.0, 10.0, 0.5, 0.5),  # a clock going back refills nothing
    ],
)
def test_spend(tokens, elapsed, rate, capacity, left, wait):
    assert spend(tokens, elapsed, rate, capacity) == pytest.approx((left, wait))


@pytest.mark.parametrize(
    ("wait", "header"), [(0.001, 1), (0.5, 1), (1.0, 1), (1.0000001, 2), (4.2, 5), (5.0, 5)]
)
def test_retry_after_is_whole_seconds_rounded_up_at_least_one(wait, header):
    assert retry_after(wait) == header


@pytest.mark.parametrize(
    ("method", "path", "args", "expected"),
    [
        ("POST", "/sparql", {}, True),
        ("POST", "/sparql/", {}, True),
        ("GET", "/sparql", {"query": ASK}, True),
        ("HEAD", "/sparql", {"query": ASK}, True),
        ("GET", "/sparql", {"update": "CLEAR ALL"}, True),
        ("GET", "/sparql", {}, False),  # the service description or the query page
        ("GET", "/sparql", {"edit": ASK}, False),  # the query page, with a query to edit
        ("OPTIONS", "/sparql", {}, False),  # CORS preflight
        ("GET", "/queries/operator-figures.json", {}, True),
        ("GET", "/queries/operator-figures.csv", {}, True),
        ("GET", "/queries/operator-figures", {}, True),  # its page runs the query too
        ("OPTIONS", "/queries/operator-figures.json", {}, False),
        ("GET", "/queries/", {}, False),  # the list of queries
        ("GET", "/reconcile", {}, True),
        ("POST", "/reconcile/1.0-draft/match", {}, True),
        ("GET", "/reconcile/preview", {"id": "x"}, True),
        ("OPTIONS", "/reconcile/match", {}, False),
        ("GET", "/", {}, False),
        ("GET", "/id/operator/siaap", {}, False),
        ("GET", "/static/query-page.js", {}, False),
        ("GET", "/dumps/wop.ttl", {}, False),
        ("GET", "/sparql-other", {}, False),
    ],
)
def test_counted(method, path, args, expected):
    assert counted(method, path, args) is expected


#: (seconds since the start, client, expected wait) with 12 a minute: 0.2 tokens/s, burst 2.
TIMELINE = [
    (0.0, "a", 0.0),
    (0.0, "a", 0.0),
    (0.0, "a", 5.0),  # empty: a token in 5 s
    (2.5, "a", 2.5),  # refused requests do not cost anything
    (0.0, "b", 0.0),  # another client has its own bucket
    (5.0, "a", 0.0),  # a token came back
    (5.0, "a", 5.0),
    (60.0, "a", 0.0),  # a long pause refills the burst, no more
    (60.0, "a", 0.0),
    (60.0, "a", 5.0),
]


def test_buckets_on_a_fake_clock():
    clock = Clock()
    buckets = Buckets(12, clock=clock)
    start = clock.now
    for at, client, wait in TIMELINE:
        clock.now = start + at
        assert buckets.take(client) == pytest.approx(wait), (at, client)


def test_a_full_table_gives_the_oldest_slot_to_a_new_client():
    clock = Clock()
    buckets = Buckets(6, slots=4, clock=clock)  # burst 1: one request, then 10 s to wait
    for client in ("a", "b", "c", "d"):  # fill the table, "a" first
        clock.now += 1
        assert buckets.take(client) == 0
    clock.now += 1
    assert buckets.take("e") == 0, "a fifth client gets a slot"
    assert buckets.take("e") > 0
    assert buckets.take("b") > 0, "b was not the oldest: its bucket is still empty"
    assert buckets.take("a") == 0, "a was evicted: it starts again with a full bucket"


def test_buckets_are_shared_with_forked_processes():
    buckets = Buckets(60)  # burst 10
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads; the child only counts.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = multiprocessing.get_context("fork").Process(
            target=lambda: [buckets.take("shared") for _ in range(7)]
        )
        child.start()
    child.join(10)
    assert child.exitcode == 0
    allowed = [buckets.take("shared") == 0 for _ in range(5)]
    assert allowed == [True, True, True, False, False], "the child's 7 requests count here"


def test_a_lock_never_released_lets_requests_through(monkeypatch, caplog):
    monkeypatch.setattr(ratelimit, "LOCK_WAIT", 0.05)
    buckets = Buckets(6)
    assert buckets.take("a") == 0
    buckets.lock.acquire()  # as if a worker died holding it
    try:
        assert buckets.take("a") == 0, "let through, not refused or stuck"
    finally:
        buckets.lock.release()
    assert "lock was not free" in caplog.text
    assert buckets.take("a") > 0, "with the lock back, the limit holds again"


# --- The app ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(app):
    """The app with 12 requests a minute (burst 2), sharing the session app's data."""
    return create_app({"rate_limit": 12}, backend=app.extensions["wopgraph"])


def as_client(flask_app, address: str):
    """A test client whose requests come from ``address``."""
    client = flask_app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


#: Counted requests: (method, URL, form). Each test gets its own client address.
COUNTED = [
    ("POST", "/sparql", {"query": ASK}),
    ("GET", f"/sparql?query={quote(ASK)}", None),
    ("GET", "/queries/operator-figures.json", None),
    ("GET", "/queries/operator-figures", None),
    ("POST", "/reconcile", {"queries": '{"q0": {"query": "SIAAP"}}'}),
    ("GET", "/reconcile/1.0-draft", None),
]


@pytest.mark.parametrize(("method", "url", "form"), COUNTED)
def test_the_third_quick_request_is_refused(limited, method, url, form):
    client = as_client(limited, f"10.0.1.{COUNTED.index((method, url, form))}")
    statuses = [client.open(url, method=method, data=form).status_code for _ in range(2)]
    assert 429 not in statuses
    refused = client.open(url, method=method, data=form)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "5"  # 1 token at 12 a minute
    assert refused.mimetype == "text/plain"
    message = refused.get_data(as_text=True)
    for part in (
        "12 requests a minute",
        "bursts of up to 2",
        "--rate-limit",
        "WOPGRAPH_RATE_LIMIT",
    ):
        assert part in message
    assert refused.headers["Access-Control-Allow-Origin"] == "*", "pages elsewhere can read it"


#: Requests never counted, each sent five times (more than the burst) before a query.
FREE = [
    ("OPTIONS", "/sparql"),
    ("OPTIONS", "/reconcile/match"),
    ("GET", "/sparql"),
    ("GET", "/"),
    ("GET", "/queries/"),
    ("GET", "/id/operator/siaap"),
    ("GET", "/static/site.css"),
]


@pytest.mark.parametrize(("method", "url"), FREE)
def test_pages_static_files_and_preflights_are_not_counted(limited, method, url):
    client = as_client(limited, f"10.0.2.{FREE.index((method, url))}")
    for _ in range(5):
        with client.open(url, method=method) as response:
            assert response.status_code != 429
    assert client.post("/sparql", data={"query": ASK}).status_code == 200, "the bucket is full"


def test_clients_have_their_own_budget(limited):
    greedy, other = as_client(limited, "10.0.3.1"), as_client(limited, "10.0.3.2")
    statuses = [greedy.post("/sparql", data={"query": ASK}).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert other.post("/sparql", data={"query": ASK}).status_code == 200


def test_no_limit_installs_nothing(app):
    assert app.config["WOPGRAPH_SETTINGS"].rate_limit == 0
    assert "wopgraph.ratelimit" not in app.extensions
    assert not any(f.__module__ == ratelimit.__name__ for f in app.before_request_funcs[None])
    client = as_client(app, "10.0.4.1")
    statuses = {client.post("/sparql", data={"query": ASK}).status_code for _ in range(20)}
    assert statuses == {200}


# --- The real server, two workers ------------------------------------------------------------

#: 60 a minute: bursts of 10, one token a second.
LIVE_LIMIT = 60


@pytest.fixture(scope="module")
def server():
    """The real server, two workers, 60 requests a minute per client."""
    with LiveServer("--rate-limit", str(LIVE_LIMIT), "--workers", "2", "--cache-mb", "0") as live:
        yield live


def post(server, source: str, query: str = ASK) -> tuple[int, str | None]:
    """POST a query to the live server from loopback address ``source``: status, Retry-After."""
    connection = http.client.HTTPConnection(
        HOST, server.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("POST", "/sparql", body=f"query={query}", headers={"Content-Type": FORM})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After")
    finally:
        connection.close()


def check_refusals(results: list[tuple[int, str | None]]) -> None:
    """Every answer is 200 or 429, and each 429 says when to retry (whole seconds, >= 1)."""
    for status, retry in results:
        assert status in (200, 429)
        if status == 429:
            assert retry is not None and retry.isdigit() and int(retry) >= 1


def test_quick_requests_over_both_workers_share_one_budget(server):
    started = time.monotonic()
    with ThreadPoolExecutor(6) as pool:  # six at a time: both workers busy
        results = list(pool.map(lambda _: post(server, "127.0.0.2"), range(30)))
    elapsed = time.monotonic() - started
    check_refusals(results)
    ok = sum(status == 200 for status, _ in results)
    # The burst, plus what the bucket refilled (one a second) while the requests ran.
    assert burst(LIVE_LIMIT) <= ok <= burst(LIVE_LIMIT) + int(elapsed) + 1, (ok, elapsed)
    assert post(server, "127.0.0.3")[0] == 200, "another client has its own budget"


def hold_a_worker(server) -> socket.socket:
    """Connect and send half a request: the sync worker that accepted it waits for the rest."""
    held = socket.create_connection((HOST, server.port))
    held.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: test\r\n")  # no blank line: not done
    time.sleep(0.3)  # let a worker accept it
    return held


def test_each_worker_sees_what_the_other_spent(server):
    """Worker X is held while Y answers 8 requests; then Y is held while X answers the rest."""
    source = "127.0.0.4"
    started = time.monotonic()
    held_x = hold_a_worker(server)
    first = [post(server, source) for _ in range(8)]  # all answered by Y
    held_y = hold_a_worker(server)  # Y is the only free worker: it takes this one
    held_x.close()  # X is free again, and the only free worker
    time.sleep(0.3)
    second = [post(server, source) for _ in range(8)]  # all answered by X
    held_y.close()
    elapsed = time.monotonic() - started
    check_refusals(first + second)
    assert [status for status, _ in first] == [200] * 8
    ok = sum(status == 200 for status, _ in second)
    # Separate budgets would give X a full burst of 10; the shared one has 2 left, plus refill.
    assert ok <= burst(LIVE_LIMIT) - 8 + int(elapsed) + 1, (ok, elapsed)
    assert second[-1][0] == 429
