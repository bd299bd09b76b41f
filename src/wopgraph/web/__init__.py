"""The web application: :func:`create_app` builds it, gunicorn (``wopgraph serve``) runs it.

Blueprints hold the pages (``sparql.py``: the SPARQL endpoint and its query page;
``queries.py``: the canned queries); ``http.py`` holds what every response shares (gzip,
plain-text errors), ``security.py`` the security headers and ``ratelimit.py`` the per-client
rate limit. Templates and static assets live in this package, never on a CDN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from wopgraph import config
from wopgraph.dataset import bundle_root
from wopgraph.endpoint import Backend, open_backend
from wopgraph.queryfiles import load_query_files
from wopgraph.web import (
    answers,
    citation,
    crawl,
    graphs,
    http,
    i18n,
    pages,
    published,
    queries,
    ratelimit,
    reconcile,
    security,
    sparql,
)


def create_app(
    settings: config.Settings | Mapping[str, Any] | None = None, backend: Backend | None = None
) -> Flask:
    """Build the app: defaults, then ``WOPGRAPH_*`` environment variables, then ``settings``.

    ``settings`` is a :class:`~wopgraph.config.Settings` or a mapping of overrides (tests).
    The data is loaded here, so calling this in gunicorn's master before it forks the workers
    (``preload``) loads it once for all. ``backend`` replaces the loading (tests).
    """
    if not isinstance(settings, config.Settings):
        settings = config.load(settings)
    app = Flask(__name__)
    # Largest request body (the max_body_mb setting); http.too_large answers bodies over it.
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_body_mb * http.MEGABYTE)
    app.config["WOPGRAPH_SETTINGS"] = settings
    app.extensions["wopgraph"] = backend or open_backend(settings)
    http.install(app)
    security.install(app)
    # Here, in gunicorn's master before the fork, so that the workers share one set of buckets;
    # before i18n, so that a refused request costs nothing more.
    ratelimit.install(app)
    i18n.install(app)
    app.register_blueprint(sparql.bp)
    pages.install(app)
    app.register_blueprint(queries.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(published.bp)
    app.register_blueprint(crawl.bp)
    graphs.install(app, load_query_files(bundle_root() / "queries" / "checks"))
    app.register_blueprint(citation.bp)
    # Last: query answers skip Flask's machinery (see answers.py), unless rate-limited.
    answers.install(app, app.extensions["wopgraph"], settings)
    return app
