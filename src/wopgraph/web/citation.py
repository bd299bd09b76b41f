"""The ``cite`` template global: how to cite the entity a page shows.

In any template, ``{{ cite(entity) }}`` writes the citation line with the persistent IRI as a
link (``<span class="citation">...</span>``); ``cite(entity).iri`` is the IRI and
``cite(entity).text`` the plain line. ``entity`` is the entity's IRI (a string or a
pyoxigraph ``NamedNode``), or anything with an ``iri`` attribute or key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from wopgraph.citation import Citation, cite

bp = Blueprint("citation", __name__)


def _iri(entity: Any) -> str:
    """The IRI of what a template asks to cite."""
    if isinstance(entity, str):
        return entity
    if isinstance(entity, dict):
        return str(entity["iri"])
    found = getattr(entity, "iri", None) or getattr(entity, "value", None)
    if found is None:
        raise TypeError(f"cannot cite {entity!r}: give its IRI")
    return str(found)


@bp.app_template_global("cite")
def cite_entity(entity: Any) -> Citation:
    """The citation of ``entity`` in the reader's language, accessed today (cached per request)."""
    lang = getattr(g, "lang", "en")
    cache = g.setdefault("wopgraph_citations", {})
    iri = _iri(entity)
    if (iri, lang) not in cache:
        cache[(iri, lang)] = cite(current_app.extensions["wopgraph"], iri, lang)
    return cache[(iri, lang)]
