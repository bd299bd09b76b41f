"""Reconciliation queries: read them (API 0.2 and 1.0 draft), find and score candidates.

A query has an optional name, types, property conditions and a limit. Candidates are the
entities of those types (``type_strict`` ``should`` only lowers the score of the others) whose
names share a retrieval key with the name; each is scored 0-100 (``standardizedScore``):

* the name similarity (:mod:`~wopgraph.reconcile.scoring`, best over all the entity's names);
* with property conditions, 70 % name and 30 % the mean of the conditions' similarities (a
  condition compares the given values, entity ids, IRIs or text, with the entity's values);
* a query naming an entity by its id or IRI gets that entity at 100.

The best candidate is a ``match`` when it scores at least :data:`MATCH_SCORE`, its name is the
same name written differently (or its id was given), every condition holds, and the next
candidate is at least :data:`MATCH_MARGIN` points behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wopgraph.reconcile.index import ROOT_TYPES, Entry, Index, expand
from wopgraph.reconcile.scoring import NO_MATCH, Match, Name, similarity
from wopgraph.reconcile.values import (
    PropertyError,
    PropertyRef,
    read_values,
    resolve_property,
    value_texts,
)

DEFAULT_LIMIT = 5
MAX_LIMIT = 100
#: Lowest name similarity for a candidate to be returned at all.
MIN_NAME = 0.45
MATCH_SCORE = 85.0
MATCH_MARGIN = 10.0
#: A condition holds when its similarity reaches this.
CONDITION_HOLDS = 0.9
#: Most candidates whose property values are read for one query.
SCORED_WITH_PROPERTIES = 50
NAME_WEIGHT = 0.7


class QueryError(ValueError):
    """A reconciliation query that cannot be read; the message says why."""


@dataclass(frozen=True)
class Condition:
    """A property condition: the property, the values given, and how they must match."""

    prop: PropertyRef
    values: tuple[Any, ...]
    required: bool = False
    quantifier: str = "any"  # any, all, none


@dataclass(frozen=True)
class Query:
    """One reconciliation query, whichever API version it came in."""

    text: str | None = None
    types: tuple[str, ...] = ()
    type_strict: str = "any"  # any, all, should
    conditions: tuple[Condition, ...] = ()
    ids: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT


@dataclass
class Candidate:
    """An entity proposed for a query, with its score, features and match decision."""

    entry: Entry
    name_match: Match = NO_MATCH
    type_match: bool | None = None
    by_id: bool = False
    conditions: list[tuple[Condition, float]] = field(default_factory=list)
    score: float = 0.0
    match: bool = False

    def compute_score(self, has_name: bool) -> None:
        """Combine the name, id and condition similarities into a 0-100 score."""
        if self.by_id:
            self.score = 100.0
            return
        parts = [sim for _, sim in self.conditions]
        if has_name and parts:
            total = NAME_WEIGHT * self.name_match.score + (1 - NAME_WEIGHT) * sum(parts) / len(
                parts
            )
        elif parts:
            total = sum(parts) / len(parts)
        else:
            total = self.name_match.score
        if self.type_match is False:  # type_strict "should"
            total *= 0.8
        self.score = round(100 * total, 2)

    @property
    def conditions_hold(self) -> bool:
        """Whether every property condition holds."""
        return all(sim >= CONDITION_HOLDS for _, sim in self.conditions)


def _limit(raw: Any) -> int:
    """The candidate limit asked for, between 1 and :data:`MAX_LIMIT`."""
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"limit must be a number, not {raw!r}") from exc
    return max(1, min(value, MAX_LIMIT))


def _listed(raw: Any) -> tuple[Any, ...]:
    """A value or a list of values, as a tuple."""
    return tuple(raw) if isinstance(raw, list) else (raw,)


def parse_v02(raw: Any, index: Index) -> Query:
    """A query of API 0.1/0.2: ``{"query", "type", "type_strict", "limit", "properties"}``."""
    if isinstance(raw, str):
        raw = {"query": raw}
    if not isinstance(raw, dict):
        raise QueryError("a reconciliation query must be a JSON object")
    text = raw.get("query")
    if text is not None and not isinstance(text, str):
        raise QueryError("query must be a string")
    given = [t for t in _listed(raw.get("type")) if isinstance(t, str) and t.strip()]
    types = tuple(expand(t.strip()) for t in given)
    strict = raw.get("type_strict") or "any"
    if strict not in ("any", "all", "should"):
        raise QueryError(f"type_strict must be any, all or should, not {strict!r}")
    conditions = []
    for item in raw.get("properties") or []:
        if not isinstance(item, dict) or not (item.get("pid") or item.get("p")):
            raise QueryError("each property needs a pid and a v")
        conditions.append(_condition(index, item.get("pid") or item.get("p"), item.get("v")))
    if not (text and text.strip()) and not conditions:
        raise QueryError("a query needs a query string or properties")
    return Query(text, types, strict, tuple(conditions), limit=_limit(raw.get("limit")))


def parse_v1(raw: Any, index: Index) -> Query:
    """A query of the 1.0 draft: ``{"type", "limit", "conditions": [...]}``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("conditions"), list):
        raise QueryError("a reconciliation query must be an object with a conditions array")
    texts, ids, conditions = [], [], []
    for item in raw["conditions"]:
        if not isinstance(item, dict) or "propertyValue" not in item:
            raise QueryError("each condition needs a matchType and a propertyValue")
        kind, value = item.get("matchType"), item["propertyValue"]
        if kind == "name":
            texts += [v for v in _listed(value) if isinstance(v, str)]
        elif kind == "id":
            ids += [v["id"] if isinstance(v, dict) else str(v) for v in _listed(value)]
        elif kind == "property":
            if not item.get("propertyId"):
                raise QueryError("a property condition needs a propertyId")
            quantifier = item.get("matchQuantifier") or "any"
            if quantifier not in ("any", "all", "none"):
                raise QueryError(f"matchQuantifier must be any, all or none, not {quantifier!r}")
            conditions.append(
                _condition(index, item["propertyId"], value, bool(item.get("required")), quantifier)
            )
        else:
            raise QueryError(f"matchType must be name, id or property, not {kind!r}")
    if not (texts or ids or conditions):
        raise QueryError("a query needs at least one condition")
    given = raw.get("type")
    types = (expand(given.strip()),) if isinstance(given, str) and given.strip() else ()
    text = " ".join(texts) if texts else None
    return Query(text, types, "any", tuple(conditions), tuple(ids), _limit(raw.get("limit")))


def _condition(index: Index, pid: Any, value: Any, required=False, quantifier="any") -> Condition:
    """A property condition; an unknown property is a :class:`QueryError`."""
    try:
        prop = resolve_property(index, str(pid))
    except PropertyError as exc:
        raise QueryError(str(exc)) from exc
    return Condition(prop, _listed(value), required, quantifier)


def _of_types(entry: Entry, types: tuple[str, ...], strict: str) -> bool:
    """Whether the entity has any (``all``: every one) of ``types``."""
    if strict == "all":
        return all(t in entry.types for t in types)
    return any(t in entry.types for t in types)


def _value_similarity(given: Any, texts: list[str], index: Index) -> float:
    """How well one given value matches an entity value's texts (names, labels, IRI)."""
    if isinstance(given, dict):
        given = given.get("id") or given.get("name") or ""
    if isinstance(given, bool):
        given = "true" if given else "false"
    given = str(given)
    entry = index.lookup(given)
    if entry is not None and entry.iri in texts:
        return 1.0
    if given in texts or expand(given) in texts:
        return 1.0
    query = Name.of(given)
    best = 0.0
    for text in texts:
        if _is_number(given) and _is_number(text):
            best = max(best, 1.0 if float(given) == float(text) else 0.0)
        else:
            best = max(best, similarity(query, Name.of(text)).score)
    return best


def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def condition_similarity(condition: Condition, values: list, index: Index) -> float:
    """How well an entity's values meet a condition, by its quantifier (any, all, none)."""
    per_value = [
        max((_value_similarity(g, value_texts(v, index), index) for v in values), default=0.0)
        for g in condition.values
    ]
    if not per_value:
        return 0.0
    if condition.quantifier == "all":
        return min(per_value)
    if condition.quantifier == "none":
        return 1.0 - max(per_value)
    return max(per_value)


def _name_match(query: Name, entry: Entry) -> Match:
    """The best match of ``query`` among the entity's names."""
    return max((similarity(query, n) for n, _, _ in entry.names), key=lambda m: m.score)


def reconcile(index: Index, backend, query: Query) -> list[Candidate]:
    """The scored candidates for ``query``, best first, at most ``query.limit``."""
    pool: dict[str, Candidate] = {}
    for ref in query.ids + ((query.text,) if query.text else ()):
        entry = index.lookup(ref) if ref and len(ref) < 2000 else None
        if entry is not None:
            pool[entry.iri] = Candidate(entry, by_id=True)
    name = Name.of(query.text) if query.text else None
    if name is not None and name.norm:
        for entry in index.candidates(name):
            if entry.iri not in pool and entry.names:
                found = _name_match(name, entry)
                if found.score >= MIN_NAME:
                    pool[entry.iri] = Candidate(entry, found)
    elif not query.ids:  # conditions only: every entity of the types
        types = query.types or ROOT_TYPES
        for entry in index.entries:
            if any(t in entry.types for t in types):
                pool.setdefault(entry.iri, Candidate(entry))
    candidates = list(pool.values())
    if query.types:
        kept = []
        for c in candidates:
            c.type_match = _of_types(c.entry, query.types, query.type_strict)
            if c.type_match or query.type_strict == "should" or c.by_id:
                kept.append(c)
        candidates = kept
    candidates.sort(key=lambda c: (-c.by_id, -c.name_match.score, c.entry.iri))
    if query.conditions:
        candidates = candidates[:SCORED_WITH_PROPERTIES]
        _score_conditions(index, backend, query, candidates)
        candidates = [
            c
            for c in candidates
            if all(sim >= CONDITION_HOLDS for cond, sim in c.conditions if cond.required)
        ]
    has_name = name is not None and bool(name.norm)
    for c in candidates:
        c.compute_score(has_name)
    if not has_name:  # conditions only: keep the entities that meet them somewhat
        candidates = [c for c in candidates if c.by_id or c.score >= 100 * MIN_NAME]
    candidates.sort(key=lambda c: (-c.score, c.entry.iri))
    _decide_match(candidates, name is not None)
    return candidates[: query.limit]


def _score_conditions(index: Index, backend, query: Query, candidates: list[Candidate]) -> None:
    """Read the candidates' values of the conditions' properties and score each condition."""
    props = list({c.prop for c in query.conditions})
    values = read_values(backend, [c.entry.iri for c in candidates], props)
    for candidate in candidates:
        for condition in query.conditions:
            found = values.get((candidate.entry.iri, condition.prop.id), [])
            candidate.conditions.append((condition, condition_similarity(condition, found, index)))


def _decide_match(candidates: list[Candidate], has_name: bool) -> None:
    """Mark the best candidate as a match when it is unambiguous (module docstring)."""
    if not candidates:
        return
    top = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else None
    same_name = top.by_id or top.name_match.strong or not has_name
    top.match = (
        top.score >= MATCH_SCORE
        and same_name
        and top.conditions_hold
        and (runner_up is None or top.score - runner_up >= MATCH_MARGIN)
    )


def features(candidate: Candidate, index: Index, lang: str) -> list[dict]:
    """The matching features of a candidate (each with id, name and value)."""
    out = [
        {"id": "name", "name": "name similarity (0-1)", "value": candidate.name_match.score},
        {
            "id": "name_exact",
            "name": "same name once accents, case and punctuation are ignored",
            "value": candidate.name_match.feature in ("exact", "compact", "words"),
        },
        {
            "id": "name_acronym",
            "name": "one name is the acronym of the other",
            "value": candidate.name_match.feature == "acronym",
        },
    ]
    if candidate.by_id:
        out.append({"id": "id", "name": "the query gave this entity's id", "value": True})
    if candidate.type_match is not None:
        out.append({"id": "type", "name": "of the type asked for", "value": candidate.type_match})
    for position, (condition, sim) in enumerate(candidate.conditions):
        label = condition.prop.name(index, lang)
        out.append(
            {
                "id": f"property_{position}",
                "name": f"{label}: similarity of the given value (0-1)",
                "value": round(sim, 4),
            }
        )
    return out


def candidate_json(candidate: Candidate, index: Index, lang: str) -> dict:
    """A candidate as the API writes it (0.2 and 1.0 draft alike)."""
    entry = candidate.entry
    types = [t for t in ROOT_TYPES if t in entry.types] or sorted(entry.types)
    out = {
        "id": entry.id,
        "name": entry.name(lang),
        "score": candidate.score,
        "match": candidate.match,
        "type": [{"id": t, "name": index.term(t).label(lang)} for t in types],
        "features": features(candidate, index, lang),
    }
    description = entry.description(lang)
    if description:
        out["description"] = description
    return out


def reconcile_all(index: Index, backend, queries: Iterable[Query], lang: str) -> list[list[dict]]:
    """The candidates of each query, as JSON objects."""
    return [[candidate_json(c, index, lang) for c in reconcile(index, backend, q)] for q in queries]
