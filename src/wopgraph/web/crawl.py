"""``/robots.txt`` and ``/sitemap.xml``: what crawlers may fetch, and every entity page.

Crawlers may read every page (entity pages, the query library, the dataset description) but
not the URLs that run queries or APIs: ``/sparql`` with a query string (each one a query of
up to the time limit), ``/search`` with one (endless result pages), ``/reconcile`` (an API for
OpenRefine, not pages) and ``/dumps/`` (the whole dataset, several times over, which the
dataset description already lists). The sitemap
lists the entity pages under this site's base (:mod:`wopgraph.sitemap`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from wopgraph import sitemap
from wopgraph.web.base_url import site_base
from wopgraph.web.http import text_error

bp = Blueprint("crawl", __name__)

#: Paths crawlers are asked to keep away from (robots.txt matches them as prefixes).
DISALLOW = ("/sparql?", "/sparql/?", "/search?", "/reconcile", "/dumps/")
#: App config key that overrides :data:`wopgraph.sitemap.PAGE_SIZE` (tests).
PAGE_SIZE_KEY = "WOPGRAPH_SITEMAP_PAGE_SIZE"


def _lastmod() -> str | None:
    """When the data last changed (the dumps' date), if known."""
    published = current_app.extensions.get("wopgraph.publication")
    return published.modified if published is not None else None


def _xml(body: bytes) -> Response:
    """An XML response open to any origin."""
    response = Response(body, content_type="application/xml; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/robots.txt")
def robots() -> Response:
    """Allow pages, keep crawlers off query and API URLs, point to the sitemap."""
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in DISALLOW), "Allow: /", ""]
    lines.append(f"Sitemap: {site_base()}sitemap.xml")
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _size() -> int:
    """URLs per sitemap file."""
    return int(current_app.config.get(PAGE_SIZE_KEY, sitemap.PAGE_SIZE))


def _iri_base() -> str:
    """The base of the canonical IRIs (the ``base`` setting): IRI ``<base>X`` is page ``/X``."""
    return getattr(current_app.config.get("WOPGRAPH_SETTINGS"), "base", sitemap.BASE)


@bp.route("/sitemap.xml")
def sitemap_root() -> Response:
    """The sitemap, or past one file's worth of URLs, the index of the sitemap files."""
    backend, size, base, iris = (
        current_app.extensions["wopgraph"],
        _size(),
        site_base(),
        _iri_base(),
    )
    total = sitemap.count(backend, iris)
    if total <= size:
        urls = [sitemap.page_url(i, base, iris) for i in sitemap.entities(backend, 1, size, iris)]
        return _xml(sitemap.urlset(urls, _lastmod()))
    files = [f"{base}sitemap-{n}.xml" for n in range(1, sitemap.pages(total, size) + 1)]
    return _xml(sitemap.sitemap_index(files, _lastmod()))


@bp.route("/sitemap-<int:number>.xml")
def sitemap_file(number: int) -> Response:
    """One file of a sitemap split by the index."""
    backend, size, base, iris = (
        current_app.extensions["wopgraph"],
        _size(),
        site_base(),
        _iri_base(),
    )
    if not 1 <= number <= sitemap.pages(sitemap.count(backend, iris), size):
        return text_error(404, f"No sitemap file {number}; see /sitemap.xml.")
    urls = [sitemap.page_url(i, base, iris) for i in sitemap.entities(backend, number, size, iris)]
    return _xml(sitemap.urlset(urls, _lastmod()))
