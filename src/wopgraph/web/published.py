"""``/.well-known/void`` and ``/dumps/``: the dataset describes itself and can be downloaded.

``/.well-known/void`` (RFC 8615, VoID section 7) serves the VoID + DCAT description (Turtle,
JSON-LD, RDF/XML or N-Triples by ``Accept`` or ``format=``; a page for browsers), with the
download URLs and the endpoint under this site's base. ``/dumps/<file>`` serves the dumps it
lists (the whole dataset and each named graph, in N-Quads, TriG, Turtle, N-Triples and
JSON-LD) with ``Content-Length``, a strong ``ETag`` (the SHA-256), ``Last-Modified`` (the
sources' date) and conditional requests. The dumps are built when the app is made
(:mod:`wopgraph.publication`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, send_file

from wopgraph import negotiation as neg
from wopgraph import publication
from wopgraph.namespaces import PREFIXES
from wopgraph.serialize import DUMP_FORMATS
from wopgraph.web.base_url import site_base
from wopgraph.web.http import parse_pairs, text_error

bp = Blueprint("published", __name__)

EXTENSION = "wopgraph.publication"
VOID, DCT = PREFIXES["void"], PREFIXES["dcterms"]
#: Dump media type -> format label, in the order the dumps are listed.
FORMAT_LABELS = {
    media: label
    for (_, _, media), label in zip(
        DUMP_FORMATS.values(), ("N-Quads", "TriG", "Turtle", "N-Triples", "JSON-LD"), strict=True
    )
}


#: Above this many triples the dumps are built in the background, so that a big dataset is
#: served at once; /dumps and the description answer 503 until the build is done.
BACKGROUND_ABOVE = 200_000


@bp.record_once
def _setup(state) -> None:
    """Reuse the dumps and description of what this app serves, or build them.

    Small data is built here (it takes about a second); big data in a forked child process
    while the site already serves, and :func:`published` picks the result up when it is there.
    """
    app = state.app
    settings = app.config["WOPGRAPH_SETTINGS"]
    summary = getattr(app.extensions["wopgraph"], "summary", None)
    size = publication.size_of(summary)  # never waits for a first start's graph counts
    if size <= BACKGROUND_ABOVE:
        app.extensions[EXTENSION] = publication.prepare(settings, summary)
        return
    app.extensions[EXTENSION] = publication.Pending.start(settings, summary)


def published() -> publication.Publication | None:
    """The app's publication, or ``None`` while it is still being built."""
    found = current_app.extensions[EXTENSION]
    if isinstance(found, publication.Pending):
        ready = found.poll()
        if ready is None:
            return None
        current_app.extensions[EXTENSION] = found = ready
    return found


def not_ready() -> Response:
    """503 while the dumps of a big dataset are being built."""
    return text_error(
        503,
        "The dumps and the dataset description are being built (a big dataset takes a few "
        "minutes); try again shortly.",
        {"Retry-After": "30"},
    )


def _value(triples, subject: str, predicate: str, lang: str | None = None) -> str | None:
    """The object of ``subject predicate``, in ``lang`` when there is one."""
    found = [
        t.object for t in triples if t.subject.value == subject and t.predicate.value == predicate
    ]
    for term in found:
        if lang is None or getattr(term, "language", None) == lang:
            return term.value
    return found[0].value if found else None


def page(triples) -> str:
    """The description as an HTML page."""
    from flask import g

    lang = getattr(g, "lang", "en")
    dataset = publication.void.DATASET.value
    pub = published()
    base = site_base()
    groups: dict[str | None, list] = {}
    for name, dump in pub.files.items():
        groups.setdefault(dump.graph, []).append(
            {
                "url": f"{base}dumps/{name}",
                "format": FORMAT_LABELS.get(dump.media_type, dump.media_type),
                "media_type": dump.media_type,
                "size": dump.size,
                "sha256": dump.sha256,
            }
        )
    return render_template(
        "void.html",
        title=_value(triples, dataset, DCT + "title", lang),
        description=_value(triples, dataset, DCT + "description", lang),
        modified=pub.modified,
        triples=_value(triples, dataset, VOID + "triples"),
        entities=_value(triples, dataset, VOID + "entities"),
        endpoint=base + "sparql",
        whole=groups.pop(None, []),
        graphs=sorted(groups.items()),
        formats=[f for f in neg.DESCRIPTION.formats if f.name != "html"],
        here=base + ".well-known/void",
    )


@bp.route("/.well-known/void", methods=["GET", "OPTIONS"])
def description() -> Response:
    """The VoID + DCAT description, negotiated."""
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": "GET, HEAD, OPTIONS"})
    try:
        formats = [v for k, v in parse_pairs(request.query_string) if k == "format"]
        fmt = neg.negotiate(neg.DESCRIPTION, request.headers.get("Accept"), formats)
    except (neg.UnknownFormat, UnicodeDecodeError) as exc:
        return text_error(400, str(exc))
    except neg.NotAcceptable as exc:
        return text_error(406, str(exc))
    pub = published()
    if pub is None:
        return not_ready()
    triples = pub.description_for(site_base())
    body = page(triples) if fmt.name == "html" else publication.render(triples, fmt.name)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.last_modified = pub.modified_at
    return response


@bp.route("/dumps/<path:name>")
def dump(name: str) -> Response:
    """One dump, as a file download with validators."""
    pub = published()
    if pub is None:
        return not_ready()
    path = pub.path(name)
    if path is None:
        listed = ", ".join(sorted(pub.files)[:8])
        return text_error(404, f"No dump {name!r}. See /.well-known/void; dumps: {listed}, ...")
    info = pub.files[name]
    response = send_file(
        path,
        mimetype=info.media_type,
        conditional=True,
        etag=info.sha256,
        last_modified=pub.modified_at,
        max_age=3600,
    )
    return response


@bp.after_request
def cors(response: Response) -> Response:
    """Linked-data clients on any origin may read the description and the dumps."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
