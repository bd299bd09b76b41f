"""The browsing site: entity pages, ontology pages, home, lists, search and pictures.

:func:`install` adds it to the app: the :class:`~wopgraph.web.site.Site` (caches), the
blueprints (``entities``: dereferenceable IRIs; ``browse``: home, lists, search; ``pictures``:
comparison, network, map), the 404 page and the template helpers. Its search index also
answers the endpoint's ``SERVICE text:`` blocks (:mod:`wopgraph.textsearch`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request

from wopgraph import textsearch
from wopgraph.endpoint import Backend
from wopgraph.web import browse, entities, not_found, pictures
from wopgraph.web.site import Site


def lang_url(code: str) -> str:
    """The current page in language ``code`` (the query string kept, ``lang`` replaced)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return f"{request.path}?{query}"


def text_lang(text) -> str:
    """The ``lang`` attribute a piece of text needs: its language if not the page's, else ''."""
    lang = getattr(text, "lang", "")
    return lang if lang and lang != g.lang else ""


def install(app: Flask) -> None:
    """Add the browsing site to ``app``; preload the caches when the store is in memory."""
    backend = app.extensions["wopgraph"]
    settings = app.config["WOPGRAPH_SETTINGS"]
    site = Site(backend, settings.base)
    app.extensions["wopgraph.site"] = site
    if isinstance(backend, Backend):  # SERVICE text: on /sparql, from the site's search index

        def current_index():
            site.sync()  # /sparql answers skip Flask's hooks (web/answers.py): see writes here
            return site.search_index

        backend.text_search = textsearch.searcher(current_index)
    if isinstance(backend, Backend) and not settings.store:
        site.preload(backend.executor.open_store())
    for bp in (entities.bp, browse.bp, pictures.bp):
        app.register_blueprint(bp)
    app.register_error_handler(404, not_found.handler)
    app.jinja_env.globals["lang_url"] = lang_url
    app.jinja_env.globals["last_change"] = site.last_change
    app.before_request(site.sync)
    app.jinja_env.filters["text_lang"] = text_lang
