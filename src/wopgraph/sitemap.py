"""The sitemap of entity pages (sitemaps.org protocol 0.9), read from the backend.

Every entity (a typed IRI under ``<iri base>id/``, the ``base`` setting, by default
``https://w3id.org/wop/id/``) has a page on this site at ``<site>id/...``. A sitemap holds at
most :data:`PAGE_SIZE` URLs; past that, ``/sitemap.xml`` is a sitemap index pointing to
``/sitemap-1.xml``, ``/sitemap-2.xml``, ...
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape

from wopgraph.namespaces import BASE

#: Most URLs in one sitemap file (the protocol's limit).
PAGE_SIZE = 50_000
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _entities(iri_base: str) -> str:
    """The graph pattern of entities under ``<iri_base>id/``."""
    if any(c in iri_base for c in '"\\<>'):
        raise ValueError(f"not a usable IRI base: {iri_base!r}")
    return f'?s a ?t FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{iri_base}id/"))'


def count(backend, iri_base: str = BASE) -> int:
    """How many entity pages there are (entities under ``<iri_base>id/``)."""
    rows = backend.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_entities(iri_base)} }}", max_rows=1
    )
    return int(rows[0]["n"].value) if rows else 0


def pages(total: int, size: int = PAGE_SIZE) -> int:
    """How many sitemap files ``total`` URLs need (at least one)."""
    return max(1, -(-total // size))


def entities(backend, number: int, size: int = PAGE_SIZE, iri_base: str = BASE) -> list[str]:
    """The entity IRIs of sitemap file ``number`` (from 1), in IRI order."""
    offset = (number - 1) * size
    sparql = (
        f"SELECT DISTINCT ?s WHERE {{ {_entities(iri_base)} }} "
        f"ORDER BY ?s LIMIT {size} OFFSET {offset}"
    )
    return [row["s"].value for row in backend.select(sparql, max_rows=size)]


def page_url(iri: str, site: str, iri_base: str = BASE) -> str:
    """The URL of an entity's page on the site at ``site``: IRI ``<iri_base>X`` at ``/X``."""
    return site + iri[len(iri_base) :] if iri.startswith(iri_base) else iri


def urlset(urls: Iterable[str], lastmod: str | None = None) -> bytes:
    """A sitemap listing ``urls``."""
    when = f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else ""
    rows = "".join(f"<url><loc>{escape(u)}</loc>{when}</url>\n" for u in urls)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{XMLNS}">\n{rows}</urlset>\n'
    ).encode()


def sitemap_index(urls: Iterable[str], lastmod: str | None = None) -> bytes:
    """A sitemap index listing the sitemap files at ``urls``."""
    when = f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else ""
    rows = "".join(f"<sitemap><loc>{escape(u)}</loc>{when}</sitemap>\n" for u in urls)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="{XMLNS}">\n{rows}</sitemapindex>\n'
    ).encode()
