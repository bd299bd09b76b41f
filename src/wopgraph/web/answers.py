"""The hot path of ``/sparql``: query answers served by a small WSGI layer in front of Flask.

Why. A query answer is most of what a public endpoint serves, and for a small or cached answer
Flask's request machinery (the request context, routing, the before- and after-request hooks
of the pages) costs more CPU than the answer itself: through gunicorn, a cached ``DESCRIBE``
took 0.51 ms of server CPU, against 0.29 ms for a bare pyoxigraph endpoint
(``BENCHMARKS.md``). This layer answers such requests directly.

What it answers: a GET or HEAD with ``query=``, or a POST (a form, or
``application/sparql-query``) with a ``Content-Length`` within the body cap, to ``/sparql`` or
``/sparql/``, which :meth:`~wopgraph.endpoint.Backend.prepare` accepts. It runs the same
checks, the same job through the same result cache and query process as the Flask view
(:mod:`wopgraph.web.sparql`), and writes the same headers (:func:`answer_headers`, shared
with the view; the tests compare the two).

What it leaves to Flask, untouched: other paths and methods, a GET without a query (the service
description and the query page), any request :meth:`~wopgraph.endpoint.Backend.prepare`
refuses with a 4xx status (the view then gives the same error: refusals are cheap to compute
again), a body
without ``Content-Length`` or over the cap, a ``lang`` parameter (the pages remember it in a
cookie), and every request while the rate limit is on. Errors that arise while *running* a
query (time limit, failure, a syntax error found by the parser) are answered here, since
handing the request on would run it twice.
"""

from __future__ import annotations

import functools
import gzip
import io
import logging
from collections.abc import Callable, Iterable

from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_current_url

from wopgraph.endpoint import Backend, EndpointError, Prepared, ProtocolRequest
from wopgraph.executor import Outcome
from wopgraph.web import http, security

PATHS = frozenset({"/sparql", "/sparql/"})
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
TRUNCATED = "X-WOPgraph-Truncated"
MAX_ROWS = "X-WOPgraph-Max-Rows"
#: What lets pages on any origin read the endpoint's answers and their headers.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": f"{TRUNCATED}, {MAX_ROWS}",
}
log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
#: The parts of a WSGI environ a request's URL is made of (PEP 3333, "URL Reconstruction").
URL_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
#: Longest form body whose decoding is remembered (:func:`pairs`).
PAIRS_MEMO_BYTES = 16_384


@functools.lru_cache(maxsize=64)
def base_url(parts: tuple[str | None, ...], path: str) -> str:
    """The URL of a request without its query string (Flask's ``request.base_url``), from its
    :data:`URL_KEYS` and path: remembered, as clients ask the same host and path again."""
    environ = {key: value for key, value in zip(URL_KEYS, parts, strict=True) if value is not None}
    return get_current_url({**environ, "PATH_INFO": path}, strip_querystring=True)


def pairs(raw: bytes) -> tuple[tuple[str, str], ...]:
    """:func:`wopgraph.web.http.parse_pairs`, remembered for the latest short bodies: a public
    endpoint gets the same queries again and again."""
    if len(raw) > PAIRS_MEMO_BYTES:
        return tuple(http.parse_pairs(raw))
    return _pairs(raw)


@functools.lru_cache(maxsize=256)
def _pairs(raw: bytes) -> tuple[tuple[str, str], ...]:
    return tuple(http.parse_pairs(raw))


def answer_headers(prepared: Prepared, outcome: Outcome) -> dict[str, str]:
    """The headers of a query answer that depend on the query: type, cut, ``Vary``."""
    fmt = prepared.graph_format if outcome.kind == "triples" else prepared.results_format
    headers = {"Content-Type": fmt.content_type, "Vary": "Accept"}
    if outcome.truncated:
        headers[TRUNCATED] = "true"
        headers[MAX_ROWS] = str(prepared.job.max_rows)
    return headers


class QueryAnswers:
    """WSGI middleware answering SPARQL query requests before they reach Flask."""

    def __init__(self, app: WSGIApp, backend: Backend, max_body: int | None):
        """``app`` gets every request this layer does not answer; ``max_body`` is the body
        cap in bytes (Flask's ``MAX_CONTENT_LENGTH``)."""
        self.app = app
        self.backend = backend
        self.max_body = max_body

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Answer a query request, or hand the request to the app."""
        if environ.get("PATH_INFO") not in PATHS:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD", "POST"):
            return self.app(environ, start_response)
        try:
            protocol = self._read(environ, method)
        except EndpointError:
            protocol = None
        if protocol is None or not protocol.queries:
            return self.app(environ, start_response)
        base = base_url(tuple(environ.get(key) for key in URL_KEYS), environ["PATH_INFO"])
        try:
            prepared = self.backend.prepare(protocol, environ.get("HTTP_ACCEPT"), base)
        except EndpointError as exc:
            if exc.status < 500:  # a refusal: Flask's view gives the same answer
                return self.app(environ, start_response)
            return self._error(environ, start_response, exc)  # e.g. the index is not ready
        try:
            outcome = self.backend.run(prepared)
        except EndpointError as exc:
            return self._error(environ, start_response, exc)
        headers = answer_headers(prepared, outcome)
        return self._respond(environ, start_response, 200, headers, outcome.body)

    def _error(self, environ: dict, start_response: Callable, exc: EndpointError):
        """The plain-text answer of an error met while answering (not a refusal)."""
        if exc.status >= 500:
            log.warning("%s: %s", exc.status, exc.message)
        body = (exc.message.rstrip() + "\n").encode("utf-8")
        headers = {"Content-Type": "text/plain; charset=utf-8", **exc.headers}
        return self._respond(environ, start_response, exc.status, headers, body)

    def _read(self, environ: dict, method: str) -> ProtocolRequest | None:
        """The protocol parameters, or ``None`` for a request this layer leaves to Flask."""
        raw_query = environ.get("QUERY_STRING", "").encode("latin-1")
        try:
            url_pairs = pairs(raw_query)
        except UnicodeDecodeError:
            return None
        if any(name == "lang" for name, _ in url_pairs):
            return None
        if method != "POST":
            return ProtocolRequest.from_pairs(url_pairs)
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        charset = options.get("charset", "utf-8").lower()
        if mimetype not in (FORM, DIRECT) or charset not in ("utf-8", "utf8"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if length < 0 or (self.max_body is not None and length > self.max_body):
            return None
        body = environ["wsgi.input"].read(length)
        # Flask may still need the body (a request prepare refuses): give it a fresh stream.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            if mimetype == FORM:
                return ProtocolRequest.from_pairs(url_pairs + pairs(body))
            return ProtocolRequest.from_pairs(url_pairs, body.decode("utf-8"))
        except UnicodeDecodeError:
            return None

    @staticmethod
    def _respond(
        environ: dict, start_response: Callable, status: int, headers: dict, body: bytes
    ) -> Iterable[bytes]:
        """Send the answer with the headers the Flask app's hooks would add (gzip, CORS,
        security), and no body for HEAD."""
        if 200 <= status < 300 and len(body) >= http.GZIP_MIN_BYTES:
            headers["Vary"] = headers.get("Vary", "") + ", Accept-Encoding"
            if http.accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
                body = gzip.compress(body, compresslevel=http.GZIP_LEVEL, mtime=0)
                headers["Content-Encoding"] = "gzip"
        headers.update(CORS_HEADERS)
        for name, value in security.headers_for(headers["Content-Type"], "").items():
            headers.setdefault(name, value)
        headers["Content-Length"] = str(len(body))
        reason = _REASONS.get(status, "")
        start_response(f"{status} {reason}".rstrip(), list(headers.items()))
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


_REASONS = {200: "OK", 400: "BAD REQUEST", 500: "INTERNAL SERVER ERROR", 503: "SERVICE UNAVAILABLE"}


def install(app, backend: Backend, settings) -> None:
    """Put the layer in front of ``app``'s WSGI handler, unless the rate limit is on (its
    buckets are kept by a Flask hook, which every counted request must pass)."""
    if settings.rate_limit > 0:
        return
    app.wsgi_app = QueryAnswers(app.wsgi_app, backend, app.config.get("MAX_CONTENT_LENGTH"))
