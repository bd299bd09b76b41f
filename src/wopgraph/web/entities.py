"""Dereferenceable IRIs: every IRI under the base answered at its path, by content negotiation.

``/id/...``, ``/vocab/...`` (entities, concepts, concept schemes), ``/ontology`` (the ontology
and, by fragment, its terms), ``/shapes`` and ``/graph/...`` (named graphs: their size as VoID)
answer:

* HTML for a browser, and Turtle, JSON-LD, RDF/XML or N-Triples by ``Accept`` (q-values
  honoured, see :mod:`wopgraph.negotiation`), with ``Vary: Accept``;
* the same in one format at the path with a suffix (``/id/operator/onee.ttl``, ``.jsonld``,
  ``.rdf``, ``.nt``, ``.html``), without negotiation;
* directly with 200 (no 303): the negotiated answer names its format-specific URL in
  ``Content-Location`` and every answer lists the others in ``Link: rel=alternate`` headers;
* 304 to a repeated request (ETag, Last-Modified: :mod:`wopgraph.web.caching`);
* 404 with a page that offers a search and similar labels for an IRI the graph does not know.

The RDF of an entity is :func:`wopgraph.describe.rdf_triples`: its concise bounded
description, the labels of what it links to, and its incoming links.
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, g, redirect, render_template, request
from markupsafe import Markup

from wopgraph import describe, iris, rdfdoc
from wopgraph import negotiation as neg
from wopgraph.web import caching, entity_view, not_found, terms_view
from wopgraph.web.site import Site, site

bp = Blueprint("entities", __name__)

#: The formats of an entity, HTML first: a client that states no preference gets the page.
ENTITY = neg.Kind(
    "entity",
    (neg.HTML, neg.TURTLE, neg.JSONLD, neg.RDFXML, neg.NTRIPLES),
    {
        "html": "html",
        "turtle": "turtle",
        "ttl": "turtle",
        "jsonld": "jsonld",
        "json-ld": "jsonld",
        "rdfxml": "rdfxml",
        "rdf": "rdfxml",
        "xml": "rdfxml",
        "ntriples": "ntriples",
        "nt": "ntriples",
    },
)
PARTNERSHIP = "https://w3id.org/wop/ontology#Partnership"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
XSD_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
SCHEME = "http://www.w3.org/2004/02/skos/core#ConceptScheme"


@bp.app_template_filter("text_html")
def text_html(text) -> Markup:
    """A :class:`~wopgraph.labels.Text` as HTML, ``lang`` marked when not the reader's."""
    return entity_view.text_html(text, getattr(g, "lang", ""))


def choose_format(suffix_format: str | None) -> neg.Format | None:
    """The format to answer in: the path's suffix, else ``Accept``; ``None``: none acceptable."""
    if suffix_format:
        return ENTITY.by_name(suffix_format)
    try:
        return neg.by_accept(ENTITY, request.headers.get("Accept"))
    except neg.NotAcceptable:
        return None


def alternates(path: str) -> list[tuple[str, neg.Format]]:
    """The format-specific URLs of the resource at ``path``."""
    return [(path + iris.SUFFIX_OF[f.name], f) for f in ENTITY.formats]


def common_headers(path: str, negotiated: bool, fmt: neg.Format | None) -> dict[str, str]:
    """``Link`` (alternates), ``Vary`` and, when negotiated, ``Content-Location``."""
    links = [f'<{url}>; rel="alternate"; type="{f.media_type}"' for url, f in alternates(path)]
    headers = {"Link": ", ".join(links), "Access-Control-Allow-Origin": "*"}
    vary = ["Accept"] if negotiated else []
    if fmt is None or fmt.name == "html":
        vary += ["Accept-Language", "Cookie"]
    if vary:
        headers["Vary"] = ", ".join(vary)
    if negotiated and fmt is not None:
        headers["Content-Location"] = path + iris.SUFFIX_OF[fmt.name]
    return headers


def not_acceptable(path: str) -> Response:
    """406 listing what is available."""
    available = ", ".join(f.media_type for f in ENTITY.formats)
    response = Response(
        f"None of the formats in Accept can be served. Available: {available}.\n",
        406,
        content_type="text/plain; charset=utf-8",
    )
    response.headers.update(common_headers(path, True, None))
    return response


def rdf_response(triples, fmt: neg.Format, headers: dict[str, str]) -> Response:
    """An RDF answer in ``fmt``."""
    response = Response(rdfdoc.write(triples, fmt.name), content_type=fmt.content_type)
    response.headers.update(headers)
    return response


def serve(path: str, render) -> Response:
    """Answer for the resource at ``path``: negotiate, check validators, then ``render(fmt)``.

    ``render`` returns a :class:`Response` (for the chosen format) or ``None`` when the graph
    knows nothing about the resource (404).
    """
    base_path, suffix_format = iris.split_suffix(path)
    fmt = choose_format(suffix_format)
    if fmt is None:
        return not_acceptable(base_path)
    headers = common_headers(base_path, suffix_format is None, fmt)
    s = site()
    etag = caching.etag_for(s.fingerprint, fmt.name, g.lang if fmt.name == "html" else "")
    modified = caching.last_modified(s.data_modified)
    if caching.not_modified(etag, modified):
        return caching.answer_304(etag, modified, headers)
    response = render(base_path, fmt, headers)
    if response is None:
        iri = iris.iri_for_path(s.base, base_path)
        return not_found.page(iri, html=fmt.name == "html")
    return caching.validators(response, etag, modified)


def _page_number() -> int:
    """The ``page`` parameter (1 when absent or not a number)."""
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def render_entity(path: str, fmt: neg.Format, headers: dict[str, str]) -> Response | None:
    """The entity at ``path`` as a page or as RDF (``None`` if the graph does not know it)."""
    s: Site = site()
    iri = iris.iri_for_path(s.base, path)
    try:
        desc = describe.describe(
            s.backend,
            iri,
            g.lang,
            request.args.get("incoming"),
            _page_number(),
            hubs=s.cached("hub-counts", dict),  # dropped on writes, with the other caches
        )
    except ValueError:  # a path that makes no IRI
        return None
    if not desc.exists:
        return None
    if fmt.name != "html":
        triples, truncated = describe.rdf_triples(s.backend, desc)
        response = rdf_response(triples, fmt, headers)
        if truncated:
            response.headers["X-WOPgraph-Truncated"] = "true"
        return response
    if SCHEME in desc.types:
        body = terms_view.scheme_page(s, desc, path, alternates(path))
    elif PARTNERSHIP in desc.types:
        from wopgraph.web import partnership_view

        body = partnership_view.page(s, desc, path, alternates(path))
    else:
        body = entity_page(s, desc, path)
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers.update(headers)
    return response


def entity_page(s: Site, desc: describe.Description, path: str) -> str:
    """The HTML page of an entity."""
    lang = g.lang
    shown = desc.triples + desc.label_triples() + desc.incoming_triples
    return render_template(
        "entity.html",
        iri=desc.iri,
        path=path,
        title=desc.labels.get(desc.iri, lang),
        kinds=entity_view.kinds(s, desc, lang),
        summary=entity_view.summary(desc, lang),
        sections=entity_view.sections(s, desc, lang),
        incoming=entity_view.incoming(s, desc, lang),
        hub=desc.hub,
        alternates=alternates(path),
        jsonld=rdfdoc.script_json(shown),
    )


@bp.route("/id/<path:rest>")
def entity(rest: str) -> Response:
    """An entity: ``<base>id/<kind>/<slug>``."""
    return serve("/id/" + rest, render_entity)


@bp.route("/vocab/<path:rest>")
def concept(rest: str) -> Response:
    """A concept scheme or a concept: ``<base>vocab/<scheme>[/<concept>]``."""
    return serve("/vocab/" + rest, render_entity)


@bp.route("/ontology")
@bp.route("/ontology.<ext>")
def ontology(ext: str | None = None) -> Response:
    """The ontology document: every class and property, each at ``/ontology#<Term>``."""
    if ext and "." + ext not in iris.SUFFIXES:
        return not_found.page(iris.iri_for_path(site().base, f"ontology.{ext}"))
    return serve("/ontology" + (f".{ext}" if ext else ""), terms_view.render_ontology)


@bp.route("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (``/ontology/0.1.0``): the same document."""
    number, fmt = iris.split_suffix(version)
    if not terms_view.is_version(site(), number):
        return not_found.page(iris.iri_for_path(site().base, "ontology/" + version))
    return serve("/ontology" + iris.SUFFIX_OF.get(fmt or "", ""), terms_view.render_ontology)


def render_graph(path: str, fmt: neg.Format, headers: dict[str, str]) -> Response | None:
    """A named graph: how many triples it holds, as RDF (VoID) or a small page."""
    s = site()
    iri = iris.iri_for_path(s.base, path)
    size = dict(s.backend.summary.graphs).get(iri)
    if size is None:
        return None
    if fmt.name != "html":
        node = ox.NamedNode(iri)
        triples = [
            ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(SD + "NamedGraph")),
            ox.Triple(
                node, ox.NamedNode(VOID + "triples"), ox.Literal(str(size), datatype=XSD_INT)
            ),
        ]
        return rdf_response(triples, fmt, headers)
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 100"
    body = render_template(
        "graph.html",
        iri=iri,
        size=size,
        query_href="/sparql?query=" + quote(query),
        alternates=alternates(path),
    )
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers.update(headers)
    return response


@bp.route("/graph/<path:rest>")
def named_graph(rest: str) -> Response:
    """A named graph: ``<base>graph/<path>``."""
    return serve("/graph/" + rest, render_graph)


@bp.route("/shapes")
@bp.route("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    """The SHACL shapes: RDF, or (for a browser) the ontology page, which documents them."""
    path = "/shapes" + (f".{ext}" if ext else "")
    if ext and "." + ext not in iris.SUFFIXES:
        return not_found.page(iris.iri_for_path(site().base, path.lstrip("/")))
    fmt = choose_format(iris.split_suffix(path)[1])
    if fmt is not None and fmt.name == "html":
        return redirect("/ontology#shapes", 303)
    return serve(path, terms_view.render_shapes)
