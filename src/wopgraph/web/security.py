"""Security headers: what a browser may load, frame and share when it shows this site.

Every response gets ``X-Content-Type-Options: nosniff``, so that a browser never runs a query
answer or a dump as a script or page because its bytes look like one. Documents (HTML, and SVG
or XHTML should the app ever serve them) also get :data:`DOCUMENT_HEADERS` and a
Content-Security-Policy built from :data:`SITE_POLICY`, which fits what the templates use:

- scripts only from ``/static`` (the vendored editor and ``query-page.js``). No page has an
  inline script: the JSON-LD of entity pages and the query page's settings are data blocks
  (``type="application/ld+json"``, ``"application/json"``), which CSP does not govern;
- style sheets only from ``/static``, but style *attributes* allowed: the map and network
  legends and the map's arcs colour their inline SVG with them, and the editor positions its
  widgets with them. Browsers that do not know ``style-src-elem``/``-attr`` fall back to
  ``style-src``, which therefore allows inline styles too (CSS cannot run script);
- images from this server and ``data:`` URLs (the editor's drag image); no fonts, frames,
  objects or media from anywhere else;
- fetches only to this origin (the query page POSTs to ``/sparql``), forms only posting here,
  no ``<base>``, and no framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` for
  browsers without CSP level 2).

The reconciliation preview (``/reconcile/preview``, ``/reconcile/1.0-draft/preview``) is made
to be shown in an iframe by OpenRefine, on another origin: it gets :data:`FRAMED_POLICY`
instead, which lets anyone frame it, allows its own inline style sheet and no script at all,
and no ``X-Frame-Options``.

No ``Strict-Transport-Security``: the app speaks plain HTTP (gunicorn on a loopback address, or
behind a proxy that terminates TLS). Browsers ignore HSTS received over HTTP, and behind a proxy
the header belongs to the proxy, which knows whether every host under the domain speaks HTTPS;
a wrong one locks visitors out for its whole ``max-age``.
"""

from __future__ import annotations

from flask import Flask, Response, request

from wopgraph.web.reconcile import ROOTS

#: Content types a browser renders as a document, where scripts could run.
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml"})

#: The Content-Security-Policy of the site's pages, directive by directive.
SITE_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "style-src-elem": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}

#: The policy of a page made to be framed by other sites (the reconciliation preview).
FRAMED_POLICY = {
    "default-src": "'none'",
    "style-src": "'unsafe-inline'",
    "img-src": "'self' data:",
    "form-action": "'none'",
    "base-uri": "'none'",
}

#: Headers of every response.
EVERY_RESPONSE = {"X-Content-Type-Options": "nosniff"}

#: Headers of every document besides its policy.
DOCUMENT_HEADERS = {
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Headers of documents that other sites may not frame.
UNFRAMED_HEADERS = {"X-Frame-Options": "DENY"}

#: Paths of the documents other sites may frame.
FRAMED_PATHS = frozenset(root + "/preview" for root in ROOTS)


def policy_header(policy: dict[str, str]) -> str:
    """A policy as the value of a ``Content-Security-Policy`` header."""
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


SITE_CSP = policy_header(SITE_POLICY)
FRAMED_CSP = policy_header(FRAMED_POLICY)


def headers_for(mimetype: str, path: str) -> dict[str, str]:
    """The security headers of a response of type ``mimetype`` to a request for ``path``."""
    if mimetype not in DOCUMENT_TYPES:
        return dict(EVERY_RESPONSE)
    if path in FRAMED_PATHS:
        return {**EVERY_RESPONSE, **DOCUMENT_HEADERS, "Content-Security-Policy": FRAMED_CSP}
    return {
        **EVERY_RESPONSE,
        **DOCUMENT_HEADERS,
        **UNFRAMED_HEADERS,
        "Content-Security-Policy": SITE_CSP,
    }


def add_headers(response: Response) -> Response:
    """Add the security headers a view did not set itself."""
    for name, value in headers_for(response.mimetype, request.path).items():
        response.headers.setdefault(name, value)
    return response


def install(app: Flask) -> None:
    """Give every response of ``app`` its security headers."""
    app.after_request(add_headers)
