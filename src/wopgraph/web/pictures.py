"""Pictures where people would rather look than read: map, network, comparison.

``/map``: the partners' countries, with an arc from mentor country to mentee country.
``/network``: who mentors whom (``?country=`` narrows it to one country's operators).
``/compare?p=<iri>&p=<iri>``: two or more partnerships side by side; without enough ``p``,
a form to pick them. All are server-rendered (SVG and tables), readable without JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request

from wopgraph import catalogue, drawings, geo
from wopgraph.web import partnership_view
from wopgraph.web.browse import cached_page
from wopgraph.web.entity_view import link
from wopgraph.web.site import site

bp = Blueprint("pictures", __name__)

#: Most partnerships compared at once, and most offered in the picker.
MAX_COMPARED = 4
PICKER_SIZE = 200


@bp.route("/map")
def world_map() -> Response:
    """The map of partners by country."""

    def render() -> str:
        s, lang = site(), g.lang
        data = s.cached("map", lambda: drawings.world_map(s.backend.select))
        countries = data.countries
        arcs = []
        biggest = max((n for _, _, n in data.arcs), default=1)
        for mc, ec, n in data.arcs:
            a, b = countries.get(mc), countries.get(ec)
            if a and b and a.outline and b.outline and mc != ec:
                arcs.append(
                    {
                        "d": geo.arc_path(a.outline.centre, b.outline.centre),
                        "n": n,
                        "width": 1.5 + 4.5 * n / biggest,
                        "title": f"{s.label(mc, lang, data.labels).value} → "
                        f"{s.label(ec, lang, data.labels).value}: {n}",
                    }
                )
        on_map = {c.outline.alpha2: c for c in countries.values() if c.outline}
        shapes = [
            {
                "outline": outline,
                "country": on_map.get(code),
                "label": s.label(on_map[code].iri, lang, data.labels) if code in on_map else None,
                "href": s.href(on_map[code].iri) if code in on_map else None,
            }
            for code, outline in geo.world().items()
        ]
        rows = [
            {
                "from": link(s, mc, lang, data.labels),
                "to": link(s, ec, lang, data.labels),
                "n": n,
                "href": "/browse/partnership?country=" + mc,
            }
            for mc, ec, n in data.arcs
        ]
        unmapped = [
            link(s, c.iri, lang, data.labels)
            for c in countries.values()
            if c.outline is None and (c.mentors or c.mentees)
        ]
        return render_template(
            "map.html",
            shapes=shapes,
            arcs=arcs,
            rows=rows,
            unmapped=unmapped,
            width=geo.WIDTH,
            height=geo.HEIGHT,
        )

    return cached_page(render)


@bp.route("/network")
def network() -> Response:
    """Who mentors whom."""
    country = request.args.get("country") or None

    def render() -> str:
        s, lang = site(), g.lang
        select = s.backend.select
        net = (
            drawings.network(select, country)
            if country
            else s.cached("network", lambda: drawings.network(select))
        )
        nodes = {
            iri: {"node": n, "label": s.label(iri, lang, net.labels), "href": s.href(iri)}
            for iri, n in net.nodes.items()
        }
        edges = [
            {"p": link(s, p, lang, net.labels), "from": nodes[m], "to": nodes[e]}
            for p, m, e in net.edges
        ]
        return render_template(
            "network.html",
            nodes=list(nodes.values()),
            edges=edges,
            total=net.total,
            shown=len({p for p, _, _ in net.edges}),
            height=net.height,
            width=drawings.NETWORK_WIDTH,
            country=link(s, country, lang) if country else None,
        )

    return cached_page(render)


@bp.route("/compare")
def compare() -> Response:
    """Partnerships side by side, or a form to pick them."""
    chosen = list(dict.fromkeys(request.args.getlist("p")))[:MAX_COMPARED]

    def render() -> str:
        s, lang = site(), g.lang
        cases = []
        for iri in chosen:
            if iri.startswith(s.base):
                case = partnership_view.case(s, iri, lang)
                if case["mentors"] or case["mentees"] or case["tracks"]:
                    cases.append(case)
        picker = []
        if len(cases) < 2:
            listing = s.cached(
                "picker",
                lambda: catalogue.listing(
                    s.backend.select,
                    catalogue.WOP + "Partnership",
                    {},
                    PICKER_SIZE,
                    0,
                    catalogue.FacetCounts(),
                ),
            )
            picker = [
                {"iri": e, "link": link(s, e, lang, listing.labels), "checked": e in chosen}
                for e in listing.entities
            ]
        return render_template("compare.html", cases=cases, picker=picker, max=MAX_COMPARED)

    return cached_page(render)
