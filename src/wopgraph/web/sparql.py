"""``/sparql``: the SPARQL 1.1 Protocol (query operation) over HTTP.

GET ``?query=``, POST form-encoded and POST ``application/sparql-query``; ``default-graph-uri``
and ``named-graph-uri``; the answer's format by ``Accept`` or ``format=``. A GET without a query
returns the service description (RDF), or for a browser the query page (:mod:`query_page`).
Reads are open to any origin (CORS). The checks and the running live in
:mod:`wopgraph.endpoint`; this module only reads the HTTP request and writes the HTTP response.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from wopgraph import negotiation as neg
from wopgraph import service_description as sd
from wopgraph.endpoint import UPDATE_REFUSED, Backend, EndpointError, Prepared, ProtocolRequest
from wopgraph.executor import Outcome
from wopgraph.web import query_page
from wopgraph.web.answers import CORS_HEADERS, DIRECT, FORM, answer_headers
from wopgraph.web.http import parse_pairs, text_error

bp = Blueprint("sparql", __name__)

METHODS = "GET, HEAD, POST, OPTIONS"


def backend() -> Backend:
    """The app's backend (data, settings, executor)."""
    return current_app.extensions["wopgraph"]


def read_request() -> ProtocolRequest:
    """The protocol parameters of the current request; refusals raise EndpointError."""
    try:
        url_pairs = parse_pairs(request.query_string)
    except UnicodeDecodeError as exc:
        raise EndpointError(400, "The URL's parameters are not UTF-8 once decoded.") from exc
    if request.method != "POST":
        return ProtocolRequest.from_pairs(url_pairs)
    mimetype = request.mimetype
    if mimetype == "application/sparql-update":
        raise EndpointError(400, UPDATE_REFUSED)
    if mimetype not in (FORM, DIRECT):
        given = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
        raise EndpointError(
            415,
            f"A POST needs Content-Type {FORM} (with query=...) or {DIRECT} (the query as the "
            f"body); this request has {given}.",
            {"Accept-Post": f"{FORM}, {DIRECT}"},
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise EndpointError(400, f"Request bodies must be UTF-8, not {charset}.")
    body = request.get_data()
    try:
        if mimetype == FORM:
            return ProtocolRequest.from_pairs(url_pairs + parse_pairs(body))
        return ProtocolRequest.from_pairs(url_pairs, body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EndpointError(400, "The request body is not valid UTF-8.") from exc


def preflight() -> Response:
    """Answer a CORS preflight: any origin may query, with any request headers."""
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no type
    response.headers["Allow"] = METHODS
    response.headers["Access-Control-Allow-Methods"] = METHODS
    asked = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = asked or "Accept, Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def description(protocol: ProtocolRequest) -> Response:
    """The service description, in the negotiated format (HTML for a browser)."""
    try:
        fmt = neg.negotiate(neg.DESCRIPTION, request.headers.get("Accept"), protocol.formats)
    except neg.UnknownFormat as exc:
        raise EndpointError(400, str(exc)) from exc
    except neg.NotAcceptable as exc:
        raise EndpointError(406, str(exc)) from exc
    here, settings = request.base_url, backend().settings
    if fmt.name == "html":
        body = query_page.render(backend())
    else:
        triples = sd.describe(
            here,
            backend().summary,
            query_timeout=settings.query_timeout,
            max_rows=settings.max_rows,
            federated=bool(settings.allow_service),
            text_search=backend().text_search is not None,
        )
        body = sd.render(triples, fmt.name)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def answer(prepared: Prepared, outcome: Outcome) -> Response:
    """The HTTP response for a query's outcome (as :mod:`~wopgraph.web.answers` writes it)."""
    headers = answer_headers(prepared, outcome)
    response = Response(outcome.body, content_type=headers.pop("Content-Type"))
    for name, value in headers.items():
        response.headers[name] = value
    return response


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    """The SPARQL endpoint."""
    if request.method == "OPTIONS":
        return preflight()
    try:
        protocol = read_request()
        if request.method in ("GET", "HEAD") and not protocol.queries and not protocol.updates:
            return description(protocol)
        prepared = backend().prepare(protocol, request.headers.get("Accept"), request.base_url)
        return answer(prepared, backend().run(prepared))
    except EndpointError as exc:
        if exc.status >= 500:
            current_app.logger.warning("%s: %s", exc.status, exc.message)
        return text_error(exc.status, exc.message, exc.headers)


@bp.after_request
def cors(response: Response) -> Response:
    """Let pages on any origin read the endpoint's answers and its headers."""
    response.headers.update(CORS_HEADERS)
    return response
