"""The reader's language (English or French) and the interface's words in both.

The language is chosen, in order, by a ``lang`` query parameter (which is also remembered in a
cookie), the ``lang`` cookie, the ``Accept-Language`` header, and finally English. Templates
call ``_("key")`` for interface words; data labels are picked per language by the code that
reads the graph, with this same language first and a fallback to any other.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"

#: Interface words: key -> {language: text}. Add a key in both languages at once.
MESSAGES: dict[str, dict[str, str]] = {
    "site.name": {"en": "wopgraph", "fr": "wopgraph"},
    "site.tagline": {
        "en": "The knowledge graph of Water Operators' Partnerships",
        "fr": "Le graphe de connaissances des partenariats entre opérateurs d'eau",
    },
    "nav.home": {"en": "Home", "fr": "Accueil"},
    "nav.partnerships": {"en": "Partnerships", "fr": "Partenariats"},
    "nav.search": {"en": "Search", "fr": "Recherche"},
    "nav.sparql": {"en": "SPARQL", "fr": "SPARQL"},
    "nav.queries": {"en": "Queries", "fr": "Requêtes"},
    "nav.skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "nav.language": {"en": "Language", "fr": "Langue"},
    "footer.licence": {
        "en": "Data and ontology under CC BY 4.0.",
        "fr": "Données et ontologie sous licence CC BY 4.0.",
    },
    "footer.dataset": {"en": "Dataset description", "fr": "Description du jeu de données"},
}


def choose_language() -> str:
    """The language of the current request (see the module docstring for the order)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def translate(key: str) -> str:
    """The interface text for ``key`` in the request's language (English as fallback)."""
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    return texts.get(getattr(g, "lang", DEFAULT)) or texts[DEFAULT]


def _remember(response: Response) -> Response:
    """Remember a language chosen with ``?lang=``; say that HTML varies with the language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def install(app: Flask) -> None:
    """Choose the language before each request; give templates ``_`` and ``lang``."""

    @app.before_request
    def _set_language() -> None:
        g.lang = choose_language()

    app.jinja_env.globals["_"] = translate
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.after_request(_remember)
