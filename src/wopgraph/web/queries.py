"""``/queries/``: the canned queries of the ``queries/`` library, as pages and as stable APIs.

``/queries/`` lists them (title and description; ``queries/checks/`` is left out).
``/queries/<name>`` answers with the query's page (title, description, stated answer, SPARQL,
results), with its results as SPARQL JSON or as CSV, chosen by ``Accept``;
``/queries/<name>.json`` and ``/queries/<name>.csv`` name the format in the URL. A query's
declared parameters (``# param:``, see :mod:`wopgraph.queryfiles`) are URL parameters on all of
them. The queries run through the backend, under the endpoint's time limit and row cap.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from wopgraph import negotiation as neg
from wopgraph.dataset import bundle_root
from wopgraph.endpoint import Backend, EndpointError, ProtocolRequest
from wopgraph.namespaces import BASE
from wopgraph.queryfiles import ParamError, QueryFile, QueryFileError, parse_query_file
from wopgraph.web import results_table
from wopgraph.web.http import text_error

bp = Blueprint("queries", __name__)

#: What ``/queries/<name>`` can answer with; the page first, so browsers and ``*/*`` get it.
PAGE = neg.Kind("query page", (neg.HTML, neg.JSON, neg.CSV))
TRUNCATED = "X-WOPgraph-Truncated"


def library() -> dict[str, QueryFile]:
    """The canned queries by name, read from the bundled ``queries/`` folder.

    ``WOPGRAPH_QUERIES`` in the app's config names another folder (tests). A file with a bad
    header is left out and logged (``tests/test_queries.py`` fails on it), so that one broken
    file does not take the query page down.
    """
    folder = Path(current_app.config.get("WOPGRAPH_QUERIES") or bundle_root() / "queries")
    queries = {}
    for path in sorted(folder.glob("*.rq")):
        try:
            queries[path.stem] = parse_query_file(path)
        except QueryFileError as exc:
            current_app.logger.warning("query library: %s", exc)
    return queries


def backend() -> Backend:
    """The app's backend (data, settings, executor)."""
    return current_app.extensions["wopgraph"]


def iri_base() -> str:
    """The base of the graph's IRIs, whose pages are on this server (the ``base`` setting)."""
    return getattr(backend().settings, "base", None) or BASE


def endpoint_path() -> str:
    """The path of the SPARQL endpoint (``url_for`` would give its ``/sparql/`` alias)."""
    return request.script_root + "/sparql"


def given_values(query: QueryFile) -> dict[str, list[str]]:
    """The URL's values for the query's declared parameters (empty ones left out)."""
    values = {}
    for param in query.params:
        found = [v for v in request.args.getlist(param.name) if v != ""]
        if found:
            values[param.name] = found
    return values


def run(query: QueryFile, fmt: neg.Format, values: dict[str, list[str]]):
    """Run ``query`` with ``values`` bound; return the SPARQL run and the backend's outcome."""
    try:
        sparql = query.bind(values)
    except ParamError as exc:
        raise EndpointError(400, str(exc)) from exc
    prepared = backend().prepare(ProtocolRequest(queries=[sparql], formats=[fmt.name]), None)
    return sparql, backend().run(prepared)


def not_found(name: str, as_html: bool) -> Response:
    """The 404 answer for a query name the library does not have."""
    message = f"There is no query named {name!r} in the library; /queries/ lists them."
    if not as_html:
        return text_error(404, message)
    body = render_template("queries/not_found.html", name=name, queries=library().values())
    return Response(body, 404, content_type=neg.HTML.content_type)


def data_answer(query: QueryFile, fmt: neg.Format) -> Response:
    """The query's results as SPARQL JSON or CSV (errors as plain text)."""
    try:
        _, outcome = run(query, fmt, given_values(query))
    except EndpointError as exc:
        return text_error(exc.status, exc.message, exc.headers)
    response = Response(outcome.body, content_type=fmt.content_type)
    if outcome.truncated:
        response.headers[TRUNCATED] = "true"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def page(query: QueryFile) -> Response:
    """The query's HTML page: what it asks, its SPARQL, its results, links to the data."""
    values = given_values(query)
    status, error, table = 200, None, None
    try:
        sparql, outcome = run(query, neg.JSON, values)
        table = results_table.from_json(outcome.body, outcome.truncated, iri_base())
    except EndpointError as exc:
        status, error = exc.status, exc.message
        sparql = query.body
    pairs = [(name, v) for name, vs in values.items() for v in vs]
    suffix = "?" + urlencode(pairs) if pairs else ""
    body = render_template(
        "queries/query.html",
        query=query,
        values=values,
        sparql=sparql,
        table=table,
        error=error,
        json_url=url_for("queries.as_json", name=query.name) + suffix,
        csv_url=url_for("queries.as_csv", name=query.name) + suffix,
        editor_url=endpoint_path() + "?" + urlencode({"edit": sparql}),
    )
    return Response(body, status, content_type=neg.HTML.content_type)


@bp.get("/queries/")
def index() -> Response:
    """The list of canned queries."""
    body = render_template(
        "queries/index.html", queries=library().values(), endpoint=endpoint_path()
    )
    return Response(body, content_type=neg.HTML.content_type)


@bp.get("/queries/<name>")
def show(name: str) -> Response:
    """A canned query in the format ``Accept`` asks for (its page for a browser)."""
    try:
        fmt = neg.by_accept(PAGE, request.headers.get("Accept"))
    except neg.NotAcceptable as exc:
        return text_error(406, str(exc))
    query = library().get(name)
    if query is None:
        response = not_found(name, fmt is neg.HTML)
    elif fmt is neg.HTML:
        response = page(query)
    else:
        response = data_answer(query, fmt)
    response.vary.add("Accept")
    return response


@bp.get("/queries/<name>.json")
def as_json(name: str) -> Response:
    """A canned query's results as SPARQL JSON."""
    query = library().get(name)
    return not_found(name, False) if query is None else data_answer(query, neg.JSON)


@bp.get("/queries/<name>.csv")
def as_csv(name: str) -> Response:
    """A canned query's results as CSV."""
    query = library().get(name)
    return not_found(name, False) if query is None else data_answer(query, neg.CSV)
