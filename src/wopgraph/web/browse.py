"""Home, lists by kind with facets, and search.

``/`` says what the graph holds (counts by kind), lists the partnerships and offers a search.
``/browse/<kind>`` lists the instances of one kind, narrowed by facets (links, no JavaScript
needed) and paged. ``/search?q=`` searches labels and texts and groups the hits by kind;
``kind=`` shows one kind, paged. The queries live in :mod:`wopgraph.catalogue` and
:mod:`wopgraph.search`; this module reads requests and renders templates.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, render_template, request

from wopgraph import catalogue
from wopgraph.web import caching
from wopgraph.web.entity_view import link
from wopgraph.web.site import Site, site

bp = Blueprint("browse", __name__)

PAGE_SIZE = 25
HOME_PARTNERSHIPS = 12
PARTNERSHIP = catalogue.WOP + "Partnership"
#: Kinds shown first on the home page, in this order; the others follow by size.
HOME_KINDS = [
    catalogue.WOP + k
    for k in [
        "Partnership",
        "Operator",
        "Country",
        "Programme",
        "ImprovementTrack",
        "Result",
        "Motivation",
        "Challenge",
        "SuccessFactor",
        "IndicatorFigure",
        "Phase",
        "Agreement",
        "SourceDocument",
    ]
] + ["https://schema.org/Quotation", "https://schema.org/Person"]


def cached_page(render: Callable[[], str]) -> Response:
    """An HTML page with ETag/Last-Modified; 304 before rendering when the client is current."""
    s = site()
    etag = caching.etag_for(s.fingerprint, "html", g.lang)
    modified = caching.last_modified(s.data_modified)
    headers = {"Vary": "Accept-Language, Cookie"}
    if caching.not_modified(etag, modified):
        return caching.answer_304(etag, modified, headers)
    response = Response(render(), content_type="text/html; charset=utf-8")
    response.headers.update(headers)
    return caching.validators(response, etag, modified)


def kinds(s: Site) -> dict[str, tuple[str, int]]:
    """slug -> (class IRI, instances) for every class that has instances and a label."""

    def make() -> dict[str, tuple[str, int]]:
        counts = catalogue.class_counts(s.backend.select)
        found = {}
        for cls, n in counts.items():
            if s.terms.get(cls) is not None:
                found.setdefault(catalogue.slug(cls), (cls, n))
        return found

    return s.cached("kinds", make)


def _page() -> int:
    """The ``page`` parameter."""
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.route("/")
def home() -> Response:
    """What the graph holds, the partnerships, and a search box."""

    def render() -> str:
        s, lang = site(), g.lang
        found = kinds(s)
        by_class = {cls: (slug, n) for slug, (cls, n) in found.items()}
        order = [c for c in HOME_KINDS if c in by_class]
        order += sorted(
            (c for c in by_class if c not in order and c.startswith(catalogue.WOP)),
            key=lambda c: -by_class[c][1],
        )
        stats = [(by_class[c][0], s.terms.label(c, lang), by_class[c][1]) for c in order]
        listing = catalogue.listing(
            s.backend.select, PARTNERSHIP, {}, HOME_PARTNERSHIPS, 0, catalogue.FacetCounts()
        )
        return render_template(
            "home.html",
            stats=stats,
            partnerships=_rows(s, listing, PARTNERSHIP),
            total_partnerships=listing.total,
        )

    return cached_page(render)


def _rows(s: Site, listing: catalogue.Listing, cls: str) -> list[dict]:
    """The rows of a list: link and the values of the kind's row properties."""
    lang = g.lang
    rows = []
    for e in listing.entities:
        cells = []
        for prop in catalogue.ROW_PROPERTIES.get(cls, ()):
            vals = []
            for o in listing.values.get(e, {}).get(prop, []):
                if hasattr(o, "language"):
                    vals.append(o.value)
                else:
                    vals.append(link(s, o.value, lang, listing.labels))
            cells.append(vals)
        rows.append({"iri": e, "link": link(s, e, lang, listing.labels), "cells": cells})
    return rows


@bp.route("/browse/<kind>")
def browse(kind: str) -> Response:
    """The instances of one kind, with facets and pages."""
    s = site()
    found = kinds(s).get(kind)
    if found is None:
        abort(404)
    cls, _ = found
    facets = catalogue.FACETS.get(cls, ())
    chosen = {f.name: request.args.getlist(f.name) for f in facets if request.args.getlist(f.name)}

    def render() -> str:
        lang = g.lang
        page = _page()
        select = s.backend.select
        counts = (
            None
            if chosen
            else s.cached("facets:" + cls, lambda: catalogue.count_facets(select, cls, {}))
        )
        listing = catalogue.listing(select, cls, chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE, counts)
        facet_views = []
        found = listing.facets or catalogue.FacetCounts()
        for f in facets:
            counts = found.counts.get(f.name, {})
            values = sorted(
                counts.items(), key=lambda kv: (-kv[1], s.label(kv[0], lang, found.labels).value)
            )
            facet_views.append(
                {
                    "name": f.name,
                    "values": [
                        {
                            "iri": v,
                            "label": s.label(v, lang, found.labels),
                            "count": n,
                            "chosen": v in chosen.get(f.name, []),
                            "href": _toggle(f.name, v),
                        }
                        for v, n in values
                    ],
                    "clear": _clear(f.name) if f.name in chosen else None,
                }
            )
        pages = max(1, -(-listing.total // PAGE_SIZE))
        return render_template(
            "list.html",
            kind=kind,
            cls=cls,
            title=s.terms.label(cls, lang),
            columns=[
                s.shapes.name_of(p, lang) or s.terms.label(p, lang)
                for p in catalogue.ROW_PROPERTIES.get(cls, ())
            ],
            rows=_rows(s, listing, cls),
            total=listing.total,
            facets=facet_views,
            page=page,
            pages=pages,
            page_href=_page_href,
            comparable=cls == PARTNERSHIP,
        )

    return cached_page(render)


def _args(**changes) -> str:
    """The current query string with ``changes`` (a value of ``None`` removes the key)."""
    args = request.args.to_dict(flat=False)
    for key, values in changes.items():
        if values is None:
            args.pop(key, None)
        else:
            args[key] = values
    args.pop("lang", None)
    return urlencode([(k, v) for k, vs in args.items() for v in vs])


def _toggle(name: str, value: str) -> str:
    """The URL with ``value`` added to or removed from facet ``name`` (back to page 1)."""
    current = request.args.getlist(name)
    new = [v for v in current if v != value] if value in current else [*current, value]
    return f"{request.path}?{_args(**{name: new, 'page': None})}"


def _clear(name: str) -> str:
    """The URL without facet ``name``."""
    return f"{request.path}?{_args(**{name: None, 'page': None})}"


def _page_href(n: int) -> str:
    """The URL of page ``n`` of the current list or search."""
    return f"{request.path}?{_args(page=[str(n)])}"


@bp.route("/search")
def search_page() -> Response:
    """Search labels and texts; hits grouped by kind, or one kind paged."""
    from wopgraph.web import search_view

    return cached_page(lambda: search_view.render(site(), kinds(site()), _page(), _page_href))
