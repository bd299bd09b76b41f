"""The request-body cap (``max_body_mb``): with and without ``Content-Length``, in the app and live.

A body without ``Content-Length`` (chunked) is only known to be too long while it is read;
werkzeug alone would hand the view the body cut at the cap (``get_data``), so these tests
check that it is refused instead, and that a body of exactly the cap is not.
"""

from __future__ import annotations

import http.client
import io
from urllib.parse import urlencode

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from server import HOST, LiveServer
from wopgraph.web import create_app
from wopgraph.web.http import MEGABYTE

ASK = b"ASK { ?s ?p ?o }"
DIRECT = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"


def padded(size: int) -> bytes:
    """A valid query of exactly ``size`` bytes (the ASK, then spaces)."""
    return ASK + b" " * (size - len(ASK))


def form(size: int) -> bytes:
    """A form-encoded query of exactly ``size`` bytes (padded in a second field)."""
    start = urlencode({"query": ASK.decode()}).encode() + b"&pad="
    return start + b"x" * (size - len(start))


@pytest.fixture(scope="module")
def capped(app):
    """The app with a 1 MB cap, sharing the session app's data."""
    return create_app({"max_body_mb": 1}, backend=app.extensions["wopgraph"])


def post(flask_app, body: bytes, content_type: str, chunked: bool) -> tuple[int, str]:
    """POST ``body`` to /sparql, with ``Content-Length`` or as a stream without it."""
    environ = EnvironBuilder(
        path="/sparql", method="POST", input_stream=io.BytesIO(body), content_type=content_type
    ).get_environ()
    if chunked:  # as gunicorn passes a chunked body: no length, the stream ends by itself
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    chunks, status, _ = run_wsgi_app(flask_app, environ)
    try:
        return int(status.split()[0]), b"".join(chunks).decode()
    finally:
        getattr(chunks, "close", lambda: None)()


CASES = [
    # (body, content type, expected status)
    (padded(100), DIRECT, 200),
    (padded(MEGABYTE), DIRECT, 200),  # exactly the cap
    (padded(MEGABYTE + 1), DIRECT, 413),
    (padded(2 * MEGABYTE), DIRECT, 413),
    (form(MEGABYTE), FORM, 200),
    (form(MEGABYTE + 1), FORM, 413),
    (form(2 * MEGABYTE), FORM, 413),
]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    CASES,
    ids=[f"{len(b)}-{t.split('/')[1]}" for b, t, _ in CASES],
)
def test_bodies_over_the_cap_are_refused(capped, body, content_type, expected, chunked):
    status, text = post(capped, body, content_type, chunked)
    assert status == expected, text
    if expected == 413:
        assert "over 1 MB" in text
        assert "--max-body-mb" in text and "WOPGRAPH_MAX_BODY_MB" in text
    else:
        assert '"boolean":true' in text


@pytest.mark.parametrize(
    ("setting", "cap", "said"),
    [(16.0, 16 * MEGABYTE, "16 MB"), (1, MEGABYTE, "1 MB"), (0.3, 314572, "0.3 MB")],
)
def test_the_cap_is_the_setting(app, setting, cap, said):
    flask_app = create_app({"max_body_mb": setting}, backend=app.extensions["wopgraph"])
    assert flask_app.config["MAX_CONTENT_LENGTH"] == cap
    status, text = post(flask_app, padded(cap + 1), DIRECT, chunked=False)
    assert status == 413
    assert f"over {said}," in text


def test_other_413s_keep_their_message(client):
    batch = {f"q{i}": {"query": "SIAAP"} for i in range(1000)}
    response = client.post("/reconcile", data={"queries": str(batch).replace("'", '"')})
    assert response.status_code == 413
    assert "--max-body-mb" not in response.get_data(as_text=True)


@pytest.fixture(scope="module")
def server():
    """The real server with a 1 MB cap, set by its environment variable."""
    with LiveServer(env={"WOPGRAPH_MAX_BODY_MB": "1"}) as live:
        yield live


def live_post(server, body: bytes, chunked: bool) -> tuple[int, str]:
    """POST a query to the real server, with ``Content-Length`` or chunked."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
    headers = {"Content-Type": DIRECT}
    try:
        if chunked:
            pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
            connection.request("POST", "/sparql", pieces, headers, encode_chunked=True)
        else:
            connection.request("POST", "/sparql", body, headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("size", "expected"), [(100, 200), (2 * MEGABYTE, 413)])
def test_the_real_server_refuses_a_2_mb_body(server, size, expected, chunked):
    status, text = live_post(server, padded(size), chunked)
    assert status == expected, text
    if expected == 413:
        assert "over 1 MB" in text and "WOPGRAPH_MAX_BODY_MB" in text
