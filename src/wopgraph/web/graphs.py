"""``/graphs`` (SPARQL 1.1 Graph Store Protocol, indirect identification) and ``/update``.

Reads (``GET``/``HEAD /graphs?graph=IRI``) are open. Writes (``PUT``, ``POST``, ``DELETE`` on
``/graphs?graph=IRI``, and ``POST /update`` with a SPARQL Update) need a bearer token (see
:mod:`wopgraph.auth`); they are validated with the SHACL shapes before they land
(:mod:`wopgraph.writes`), so an invalid write gets 422 with the validation report, as JSON for
people and scripts or as a Turtle ``sh:ValidationReport`` for RDF tools (by ``Accept``), and the
store is unchanged. ``/update`` is a separate endpoint: the public ``/sparql`` never writes.

Answers to a write: ``201 Created`` when a graph was created, else ``200``, with a small JSON
body naming the change (``https://w3id.org/wop/id/change/N``, recorded in the changes graph).
Writes are not open to other origins (no CORS), so a web page elsewhere cannot send them.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from wopgraph.auth import Tokens
from wopgraph.endpoint import Backend, EndpointError, ProtocolRequest
from wopgraph.web.http import parse_pairs, text_error
from wopgraph.writes import Curator, Outcome, WriteError, check_graph_iri, parse_graph

bp = Blueprint("graphs", __name__)

WRITE_METHODS = ("PUT", "POST", "DELETE")
READ_METHODS = "GET, HEAD, OPTIONS"
UPDATE_TYPE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
REPORT_FORMATS = ("application/json", "text/turtle")


def backend() -> Backend:
    return current_app.extensions["wopgraph"]


def curator() -> Curator | None:
    """The app's curator, ``None`` when writes are off."""
    return current_app.extensions.get("wopgraph.curator")


def tokens() -> Tokens:
    return current_app.extensions.get("wopgraph.tokens") or Tokens()


def agent_or_refuse() -> str:
    """The name of the request's write token; refusals raise :class:`WriteError`."""
    if curator() is None:
        raise WriteError(
            405,
            "This server takes no writes: its operator enables them by configuring write "
            "tokens (--write-tokens / WOPGRAPH_WRITE_TOKENS or --token-file).",
        )
    agent = tokens().agent(request.headers.get("Authorization"))
    if agent is None:
        given = "no token" if not request.headers.get("Authorization") else "a token not accepted"
        raise WriteError(
            401, f"Writes need 'Authorization: Bearer TOKEN'; this request has {given}."
        )
    return agent


def written(outcome: Outcome, operation: str) -> Response:
    """The answer to an accepted write."""
    record = outcome.record
    body = {
        "change": record.iri if record else None,
        "seq": record.seq if record else None,
        "operation": operation,
        "graphs": {g: d for g, d in record.graphs} if record else {},
        "message": "accepted" if record else "nothing changed",
    }
    response = Response(
        json.dumps(body, indent=1) + "\n",
        201 if outcome.created else 200,
        content_type="application/json",
    )
    if record is not None:
        response.headers["X-WOPgraph-Change"] = record.iri
    return response


def refused(exc: WriteError) -> Response:
    """The answer to a refused write: the message, and for 422 the validation report."""
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="wopgraph writes"'
    if exc.status == 405:
        headers["Allow"] = READ_METHODS if request.path.startswith("/graphs") else "OPTIONS"
    if exc.report is None:
        return text_error(exc.status, exc.message, headers)
    best = request.accept_mimetypes.best_match(REPORT_FORMATS, default="application/json")
    if best == "text/turtle":
        body = exc.report.graph.serialize(format="turtle")
        return Response(body, exc.status, content_type="text/turtle; charset=utf-8")
    results = [
        {
            "severity": f.severity,
            "focusNode": f.focus,
            "focusLabel": f.focus_label,
            "resultPath": f.path,
            "message": f.message,
            "value": f.value,
            "sourceConstraintComponent": f.component,
            "source": f.source,
        }
        for f in exc.report.findings
    ]
    body = {"conforms": exc.report.conforms, "message": exc.message, "results": results}
    response = Response(
        json.dumps(body, indent=1) + "\n", exc.status, content_type="application/json"
    )
    response.vary.add("Accept")
    return response


def graph_parameter() -> str:
    """The ``graph`` parameter, checked (``default`` is refused: it is the union)."""
    if "default" in request.args:
        raise WriteError(
            400,
            "?default is not served here: the default graph is the union of the named graphs "
            "(download it from /dumps); name a graph with ?graph=IRI.",
        )
    values = request.args.getlist("graph")
    if len(values) > 1:
        raise WriteError(400, f"Give one graph parameter, not {len(values)}.")
    return (
        check_graph_iri(values[0] if values else None)
        if request.method in WRITE_METHODS
        else (_readable(values[0] if values else None))
    )


def _readable(graph: str | None) -> str:
    """A graph IRI to read: any absolute IRI (protected graphs may be read)."""
    try:
        return check_graph_iri(graph)
    except WriteError as exc:
        if exc.status == 403:
            return graph
        raise


def read_graph(graph: str) -> Response:
    """``GET /graphs?graph=IRI``: the graph's triples in the negotiated RDF format."""
    if not backend().ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
        raise WriteError(404, f"There is no graph <{graph}>.")
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    protocol = ProtocolRequest(queries=[query], formats=request.args.getlist("format"))
    try:
        prepared = backend().prepare(protocol, request.headers.get("Accept"))
        outcome = backend().run(prepared)
    except EndpointError as exc:
        raise WriteError(exc.status, exc.message) from exc
    response = Response(outcome.body, content_type=prepared.graph_format.content_type)
    response.vary.add("Accept")
    if outcome.truncated:
        response.headers["X-WOPgraph-Truncated"] = "true"
    return response


def body_graph(graph: str):
    """The request body parsed as the triples of ``graph``."""
    return parse_graph(request.get_data(), request.mimetype, graph)


@bp.route("/graphs", methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"])
def graphs() -> Response:
    """The Graph Store Protocol on named graphs."""
    if request.method == "OPTIONS":
        allow = READ_METHODS + (", PUT, POST, DELETE" if curator() is not None else "")
        return Response(status=204, headers={"Allow": allow})
    try:
        if request.method in ("GET", "HEAD"):
            return read_graph(graph_parameter())
        agent = agent_or_refuse()
        graph = graph_parameter()
        if request.method == "DELETE":
            return written(curator().delete(graph, agent), "DELETE")
        quads = body_graph(graph)
        if request.method == "PUT":
            return written(curator().put(graph, quads, agent), "PUT")
        return written(curator().post(graph, quads, agent), "POST")
    except WriteError as exc:
        return refused(exc)


def update_text() -> str:
    """The update of a ``POST /update``: the body, or the form's one ``update`` parameter."""
    mimetype = request.mimetype
    body = request.get_data()
    try:
        if mimetype == UPDATE_TYPE:
            return body.decode("utf-8")
        if mimetype == FORM:
            pairs = parse_pairs(body)
            names = {name for name, _ in pairs}
            if names & {"using-graph-uri", "using-named-graph-uri"}:
                raise WriteError(
                    400,
                    "using-graph-uri / using-named-graph-uri are not supported: write USING "
                    "<iri> in the update itself.",
                )
            updates = [value for name, value in pairs if name == "update"]
            if len(updates) != 1:
                raise WriteError(400, f"Give exactly one update parameter, not {len(updates)}.")
            return updates[0]
    except UnicodeDecodeError as exc:
        raise WriteError(400, f"The request body is not UTF-8 (byte {exc.start}).") from exc
    given = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
    raise WriteError(
        415, f"An update is sent as {UPDATE_TYPE}, or {FORM} with update=...; this has {given}."
    )


@bp.route("/update", methods=["POST"])
def update() -> Response:
    """SPARQL 1.1 Update, validated before it lands."""
    try:
        agent = agent_or_refuse()
        return written(curator().update(update_text(), agent), "UPDATE")
    except WriteError as exc:
        return refused(exc)


def install(app, checks) -> None:
    """Add ``/graphs`` and ``/update`` to ``app``; writes on when tokens are configured."""
    from wopgraph import auth

    settings = app.config["WOPGRAPH_SETTINGS"]
    backend = app.extensions["wopgraph"]
    configured = auth.load(settings.write_tokens, settings.token_file)
    app.extensions["wopgraph.tokens"] = configured
    journal = getattr(backend, "journal", None)
    if configured and journal is not None:
        app.extensions["wopgraph.curator"] = Curator(
            backend, journal, checks, backend.store_apply()
        )
    app.register_blueprint(bp)
