"""Data extension: which properties to offer for a type, and their values on chosen entities.

Property proposals list what the entities of a type actually have, most used first: the
properties they are the subject of, and (as ``^property``, "<label> of") those they are the
object of, so that an operator offers "mentor of" (its partnerships). Extension reads the
chosen properties of the given entities; text in several languages is given in the reader's
language when the entity has it. A ``limit`` setting caps the values per property.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from wopgraph.reconcile.index import ROOT_TYPES, Index, expand
from wopgraph.reconcile.service import QueryError
from wopgraph.reconcile.values import (
    SAFE_IRI,
    PropertyError,
    PropertyRef,
    api_value,
    prefer_language,
    read_values,
    resolve_property,
)

DEFAULT_PROPOSALS = 25
MAX_IDS = 1000
PROPOSE = """SELECT ?p ?inverse (COUNT(DISTINCT ?e) AS ?n) WHERE {{
  ?e a/rdfs:subClassOf* <{type}> . FILTER isIRI(?e)
  {{ ?e ?p ?o BIND (false AS ?inverse) }}
  UNION {{ ?s ?p ?e FILTER (isIRI(?s) && ?p != rdf:type) BIND (true AS ?inverse) }}
}} GROUP BY ?p ?inverse ORDER BY DESC(?n) ?inverse ?p"""
#: The setting offered on every property: how many values to fetch at most.
LIMIT_SETTING = {
    "type": "number",
    "default": 0,
    "name": "limit",
    "label": "Limit",
    "help_text": "Most values to fetch per property (0: all of them)",
}


def propose(index: Index, backend, type_id: str, lang: str, limit: int | None) -> dict:
    """The property proposal for entities of ``type_id``: ``{"type", "properties", "limit"}``."""
    iri = expand(type_id.strip())
    if not SAFE_IRI.match(iri):
        raise QueryError(f"type {type_id!r} is not a valid IRI")
    limit = max(1, min(limit or DEFAULT_PROPOSALS, 200))
    out = []
    for row in backend.select(PROPOSE.format(type=iri), max_rows=limit):
        prop = PropertyRef(row["p"].value, row["inverse"].value == "true")
        item = {"id": prop.id, "name": prop.name(index, lang)}
        definition = index.term(prop.iri).definitions.get(lang)
        if definition and not prop.inverse:
            item["description"] = definition
        out.append(item)
    return {"type": type_id, "properties": out, "limit": limit}


def _settings_limit(settings: Any) -> int:
    """The ``limit`` setting of a property (0: no limit)."""
    if not isinstance(settings, dict):
        return 0
    try:
        return max(0, int(settings.get("limit") or 0))
    except (TypeError, ValueError) as exc:
        raise QueryError("the limit setting must be a number") from exc


def extend(index: Index, backend, query: Any, lang: str, version: str) -> dict:
    """Answer a data extension query ``{"ids": [...], "properties": [{"id", "settings"}]}``.

    ``version`` is ``"0.2"`` (rows keyed by id) or ``"1.0-draft"`` (rows as a list).
    """
    if not isinstance(query, dict):
        raise QueryError("a data extension query must be a JSON object")
    ids, asked = query.get("ids"), query.get("properties")
    if not isinstance(ids, list) or not isinstance(asked, list):
        raise QueryError("a data extension query needs ids and properties arrays")
    if len(ids) > MAX_IDS:
        raise QueryError(f"at most {MAX_IDS} ids per data extension query")
    props: list[tuple[str, PropertyRef, int]] = []
    for item in asked:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise QueryError("each property needs an id")
        try:
            props.append((item["id"], resolve_property(index, item["id"]), 0))
        except PropertyError as exc:
            raise QueryError(str(exc)) from exc
        props[-1] = (*props[-1][:2], _settings_limit(item.get("settings")))
    entries = {i: index.lookup(i) for i in ids if isinstance(i, str)}
    iris = sorted({e.iri for e in entries.values() if e is not None})
    found = read_values(backend, iris, [p for _, p, _ in props])
    meta = [_meta(given, prop, found, index, lang) for given, prop, _ in props]
    rows: dict[str, dict[str, list]] = {}
    for i in ids:
        entry = entries.get(i)
        rows[i] = {}
        for given, prop, cap in props:
            values = found.get((entry.iri, prop.id), []) if entry else []
            values = prefer_language(values, lang)
            written = sorted((api_value(v, index, lang, version) for v in values), key=_value_order)
            rows[i][given] = written[:cap] if cap else written
    if version == "0.2":
        return {"meta": meta, "rows": rows}
    return {
        "meta": meta,
        "rows": [
            {"id": i, "properties": [{"id": p, "values": v} for p, v in rows[i].items()]}
            for i in rows
        ],
    }


def _value_order(value: dict) -> tuple:
    """A stable order for written values."""
    return tuple(sorted((k, str(v)) for k, v in value.items()))


def _meta(given: str, prop: PropertyRef, found: dict, index: Index, lang: str) -> dict:
    """The column's metadata: id, name, and the type of its values when they are entities."""
    out: dict[str, Any] = {"id": given, "name": prop.name(index, lang)}
    kinds = set()
    for (_, pid), values in found.items():
        if pid != prop.id:
            continue
        for value in values:
            is_iri = isinstance(value.term, ox.NamedNode)
            entry = index.by_iri.get(value.term.value) if is_iri else None
            if entry is None:
                return out
            kinds.add(next((t for t in ROOT_TYPES if t in entry.types), ""))
    if len(kinds) == 1 and "" not in kinds:
        kind = kinds.pop()
        out["type"] = {"id": kind, "name": index.term(kind).label(lang)}
    return out
