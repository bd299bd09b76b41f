"""Suggest services: prefix auto-completion of entities, types and properties.

An item matches a prefix when one of its names, once normalised (no accents, no case, no
punctuation), starts with the normalised prefix, or one of its words does; its id or IRI
matches too. Whole-name matches come first, then word matches, each by name. An empty prefix
lists everything (the 1.0 draft allows it).
"""

from __future__ import annotations

from collections.abc import Iterable

from wopgraph.reconcile.index import ROOT_TYPES, Index, Term, expand
from wopgraph.reconcile.scoring import normalize

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def _rank(prefix: str, texts: Iterable[str]) -> int | None:
    """0 if a text starts with ``prefix``, 1 if one of its words does, else None."""
    best = None
    for text in texts:
        norm = normalize(text)
        if norm.startswith(prefix):
            return 0
        if any(w.startswith(prefix) for w in norm.split()):
            best = 1
    return best


def _page(items: list, offset: int, limit: int) -> list:
    """The ``limit`` items after ``offset``."""
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    return items[max(offset, 0) : max(offset, 0) + limit]


def entities(
    index: Index, prefix: str, lang: str, types: Iterable[str] = (), offset=0, limit=0
) -> list[dict]:
    """Entities whose name starts with ``prefix`` (or that ``prefix`` names by id or IRI)."""
    wanted = {expand(t) for t in types if t}
    norm = normalize(prefix)
    exact = index.lookup(prefix) if prefix.strip() else None
    found = []
    for entry in index.entries:
        if wanted and not wanted & entry.types:
            continue
        rank = -1 if entry is exact else _rank(norm, (n.text for n, _, _ in entry.names))
        if rank is not None:
            found.append((rank, normalize(entry.name(lang)), entry))
    found.sort(key=lambda f: (f[0], f[1], f[2].iri))
    out = []
    for _, _, entry in _page(found, offset, limit):
        item = {"id": entry.id, "name": entry.name(lang)}
        description = entry.description(lang)
        if description:
            item["description"] = description
        notable = [t for t in ROOT_TYPES if t in entry.types]
        item["notable"] = [{"id": t, "name": index.term(t).label(lang)} for t in notable]
        out.append(item)
    return out


def _terms(terms: list[Term], prefix: str, lang: str, offset: int, limit: int) -> list[dict]:
    """Classes or properties matching ``prefix``, as suggest items."""
    norm = normalize(prefix)
    found = []
    for term in terms:
        texts = [*term.labels.values(), term.iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/")[-1]]
        rank = -1 if expand(prefix.strip()) == term.iri else _rank(norm, texts)
        if rank is not None:
            found.append((rank, normalize(term.label(lang)), term))
    found.sort(key=lambda f: (f[0], f[1], f[2].iri))
    out = []
    for _, _, term in _page(found, offset, limit):
        item = {"id": term.iri, "name": term.label(lang)}
        definition = term.definitions.get(lang) or term.definitions.get("en")
        if definition:
            item["description"] = definition
        out.append(item)
    return out


def types(index: Index, prefix: str, lang: str, offset=0, limit=0) -> list[dict]:
    """Classes of reconcilable entities whose label starts with ``prefix``."""
    return _terms(index.types_in_use(), prefix, lang, offset, limit)


def properties(index: Index, prefix: str, lang: str, offset=0, limit=0) -> list[dict]:
    """Properties of the ontology whose label or local name starts with ``prefix``."""
    return _terms(index.properties(), prefix, lang, offset, limit)
