"""Property values of entities: reading them from the backend and writing them as API values.

A property id is the property's IRI (``https://w3id.org/wop/ontology#country``), a wopgraph
``prefix:name`` (``wop:country``), or its local name when that is unambiguous (``country``).
A leading ``^`` reads the property backwards: ``^wop:mentor`` on an operator gives the
partnerships it is the mentor of.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph.reconcile.index import Entry, Index, expand, pick

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {
    XSD + t
    for t in ("integer", "long", "int", "short", "byte", "nonNegativeInteger", "positiveInteger")
    + ("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "negativeInteger")
    + ("nonPositiveInteger",)
}
FLOATS = {XSD + "decimal", XSD + "double", XSD + "float"}
#: The date-time form the reconciliation API accepts for ``date`` values.
API_DATE = re.compile(
    r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])"
    r"T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$"
)
SAFE_IRI = re.compile(r'^[^\s<>"{}|\\^`]+$')
#: Most entities whose values one request reads.
MAX_ENTITIES = 1000


class PropertyError(ValueError):
    """A property id that names no property."""


@dataclass(frozen=True)
class PropertyRef:
    """A property, read forwards or backwards (``^``)."""

    iri: str
    inverse: bool = False

    @property
    def id(self) -> str:
        """Its id in API answers: the IRI, ``^``-prefixed when read backwards."""
        return ("^" if self.inverse else "") + self.iri

    def name(self, index: Index, lang: str) -> str:
        """Its human-readable name: the label, ``"<label> of"`` backwards."""
        label = index.term(self.iri).label(lang)
        if not self.inverse:
            return label
        return f"{label} de" if lang == "fr" else f"{label} of"


def resolve_property(index: Index, pid: str) -> PropertyRef:
    """Parse a property id (module docstring); raise :class:`PropertyError` if unknown."""
    text = pid.strip()
    inverse = text.startswith("^")
    text = text.lstrip("^").strip().strip("<>")
    iri = expand(text)
    if ":" not in iri:  # a bare local name
        found = [p.iri for p in index.properties() if p.iri.rsplit("#", 1)[-1] == text]
        found = found or [p.iri for p in index.properties() if p.iri.rsplit("/", 1)[-1] == text]
        if len(found) != 1:
            raise PropertyError(f"Unknown property {pid!r}: give its IRI or prefix:name.")
        iri = found[0]
    if not SAFE_IRI.match(iri):
        raise PropertyError(f"Property {pid!r} is not a valid IRI.")
    return PropertyRef(iri, inverse)


@dataclass
class Value:
    """One value: an RDF term, and the labels of an IRI value by language."""

    term: ox.NamedNode | ox.Literal | ox.BlankNode
    labels: dict[str, str] = field(default_factory=dict)


def read_values(
    backend, entities: list[str], properties: list[PropertyRef]
) -> dict[tuple[str, str], list[Value]]:
    """``{(entity IRI, property id): [values]}``, one query per property."""
    found: dict[tuple[str, str], dict[str, Value]] = defaultdict(dict)
    entities = [e for e in entities[:MAX_ENTITIES] if SAFE_IRI.match(e)]
    if not entities:
        return {}
    subjects = " ".join(f"<{e}>" for e in entities)
    for prop in properties:
        pattern = f"?v <{prop.iri}> ?e" if prop.inverse else f"?e <{prop.iri}> ?v"
        sparql = (
            f"SELECT ?e ?v ?label WHERE {{ VALUES ?e {{ {subjects} }} {pattern} "
            "OPTIONAL { ?v rdfs:label|skos:prefLabel ?label } }"
        )
        for row in backend.select(sparql, max_rows=100_000):
            term = row["v"]
            value = found[(row["e"].value, prop.id)].setdefault(str(term), Value(term))
            if "label" in row:
                lang = getattr(row["label"], "language", None) or ""
                value.labels.setdefault(lang, row["label"].value)
    return {key: list(values.values()) for key, values in found.items()}


def value_texts(value: Value, index: Index) -> list[str]:
    """Texts a value can be matched by: its names if it is an entity, its labels, its IRI."""
    term = value.term
    if isinstance(term, ox.Literal):
        return [term.value]
    texts = list(value.labels.values())
    entry = index.by_iri.get(term.value) if isinstance(term, ox.NamedNode) else None
    if entry is not None:
        texts += [n.text for n, _, _ in entry.names] + [entry.id]
    return texts + [term.value]


def api_value(value: Value, index: Index, lang: str, version: str) -> dict:
    """A value as the API writes it: an entity ``{id, name}``, ``int``, ``float``, ``date``,
    else ``str`` (with ``lang`` for language-tagged text in the 1.0 draft)."""
    term = value.term
    if isinstance(term, ox.NamedNode):
        entry: Entry | None = index.by_iri.get(term.value)
        if entry is not None:
            return {"id": entry.id, "name": entry.name(lang)}
        return {"str": pick(value.labels, lang) or term.value}
    if isinstance(term, ox.BlankNode):
        return {"str": pick(value.labels, lang) or f"_:{term.value}"}
    datatype = term.datatype.value
    try:
        if datatype in INTEGERS:
            return {"int": int(term.value)}
        if datatype in FLOATS:
            return {"float": float(term.value)}
    except ValueError:
        pass
    if datatype in (XSD + "date", XSD + "dateTime"):
        text = term.value if "T" in term.value else term.value[:10] + "T00:00:00Z"
        if API_DATE.match(text):
            return {"date": text}
    if term.language and version != "0.2":
        return {"str": term.value, "lang": term.language}
    return {"str": term.value}


def prefer_language(values: list[Value], lang: str) -> list[Value]:
    """Keep, among language-tagged literal values, those in ``lang`` when there are any."""
    tagged = [v for v in values if isinstance(v.term, ox.Literal) and v.term.language]
    mine = [v for v in tagged if v.term.language == lang]
    if not mine:
        return values
    return [v for v in values if v not in tagged or v in mine]
