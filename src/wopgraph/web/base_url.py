"""Where this site is: the base URL that links, downloads and sitemaps are written with.

It is the ``base_url`` setting when given (the public, canonical address behind a proxy, say
``https://w3id.org/wop/``), else the URL the client used to reach this server
(``request.host_url``).
"""

from __future__ import annotations

from flask import current_app, request


def site_base() -> str:
    """The site's base URL, ending with ``/``."""
    configured = getattr(current_app.config.get("WOPGRAPH_SETTINGS"), "base_url", None)
    base = configured or request.host_url
    return base if base.endswith("/") else base + "/"


def site_url(path: str) -> str:
    """The absolute URL of ``path`` (relative to the site's base, no leading ``/``)."""
    return site_base() + path.lstrip("/")
