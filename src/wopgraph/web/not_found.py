"""404 answers: a page that helps (a search box, entities with similar labels) or plain text.

A browser that follows a stale or mistyped IRI lands on a page offering a search prefilled
with the words of the IRI's last segment, and the entities whose labels share most of them.
Other clients get a short plain-text message.
"""

from __future__ import annotations

from flask import Response, g, render_template, request

from wopgraph import iris
from wopgraph.web.http import text_error
from wopgraph.web.site import site

#: How many similar entities the page suggests.
SUGGESTIONS = 8


def _kind_prefix(iri: str | None) -> str | None:
    """``<base>id/operator/`` for ``<base>id/operator/onee-typo``: the IRI's kind folder."""
    if not iri or "/id/" not in iri:
        return None
    head, _, rest = iri.partition("/id/")
    kind = rest.split("/", 1)[0]
    return f"{head}/id/{kind}/" if "/" in rest else None


def wants_html() -> bool:
    """Whether the client prefers HTML to plain text (a browser does; curl's ``*/*`` not)."""
    best = request.accept_mimetypes.best_match(["text/plain", "text/html"])
    return best == "text/html"


def page(iri: str | None, html: bool | None = None) -> Response:
    """The 404 answer for ``iri`` (or for the requested path when ``None``)."""
    html = wants_html() if html is None else html
    if not html:
        what = f"<{iri}>" if iri else request.path
        return text_error(404, f"Not found: the graph has nothing about {what}.")
    s = site()
    words = iris.readable(iri or request.path.rstrip("/"))
    suggestions = []
    try:
        index = s.search_index
        # Ask for more than shown, then put first those of the same kind as the IRI asked
        # for (/id/operator/... suggests operators first), keeping the index's order within.
        kind = _kind_prefix(iri)
        candidates = index.similar(words, SUGGESTIONS * 4)
        candidates.sort(key=lambda found: not (kind and found.startswith(kind)))
        for found in candidates[:SUGGESTIONS]:
            label = s.label(found, g.lang, None)
            labels = index.labels_of(found)
            text = _best(labels, g.lang) or label.value
            suggestions.append((s.href(found), text))
    except Exception:  # a 404 page must not fail because the index could not be built
        suggestions = []
    body = render_template(
        "not_found.html", iri=iri, path=request.path, query=words, suggestions=suggestions
    )
    return Response(body, 404, content_type="text/html; charset=utf-8")


def _best(labels: list[tuple[str, str]], lang: str) -> str | None:
    """The label in the reader's language, else untagged, else English, else any."""
    for wanted in (lang, "", "en"):
        for value, tag in labels:
            if tag == wanted:
                return value
    return labels[0][0] if labels else None


def handler(error) -> Response:
    """The app's 404 handler (paths no page answers)."""
    return page(None)
