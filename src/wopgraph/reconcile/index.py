"""The names of everything that can be reconciled, read once per process from the backend.

An entity can be reconciled when it is an instance (directly or through ``rdfs:subClassOf``)
of one of :data:`ROOT_TYPES`. The index holds, for each, every name it has under
:data:`NAME_PROPERTIES` (prepared for :mod:`~wopgraph.reconcile.scoring`), all its classes,
its countries and descriptions, and an inverted index from retrieval keys to entities. It also
holds the labels of the ontology's classes and properties, for types and property names.

:class:`IndexCache` builds the index on first use in each process (a gunicorn worker) and
rebuilds it when the data changes: a cheap check (the backend object, its ``data_version``,
which the result cache also goes by, and the number of name triples) runs at most every
:data:`REFRESH_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from wopgraph.namespaces import BASE, PREFIXES
from wopgraph.reconcile.scoring import Name, retrieval_keys

WOP, ORG, SCHEMA = PREFIXES["wop"], PREFIXES["org"], PREFIXES["schema"]
RDFS, SKOS = PREFIXES["rdfs"], PREFIXES["skos"]
#: Where entity IRIs live (with the default ``base`` setting); an entity's reconciliation id
#: is its IRI without this prefix.
ID_SPACE = BASE + "id/"
#: The types one can reconcile against, most specific first (the manifest's default types).
ROOT_TYPES = (
    WOP + "Operator",
    WOP + "Partnership",
    WOP + "Programme",
    WOP + "Country",
    SCHEMA + "Person",
    ORG + "Organization",
)
#: Properties whose values are names of an entity.
NAME_PROPERTIES = (
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    WOP + "nameAsPrinted",
    SCHEMA + "name",
)
#: Seconds between two checks of whether the data changed.
REFRESH_SECONDS = 30.0
#: Row cap for the index queries: high enough never to cut them.
MAX_ROWS = 10_000_000

_ROOTS = " ".join(f"<{t}>" for t in ROOT_TYPES)
_NAMES = " ".join(f"<{p}>" for p in NAME_PROPERTIES)
ENTITIES = f"""SELECT DISTINCT ?e ?t WHERE {{
  VALUES ?root {{ {_ROOTS} }}
  ?e a/rdfs:subClassOf* ?root . FILTER isIRI(?e)
  ?e a/rdfs:subClassOf* ?t . FILTER isIRI(?t)
}}"""
NAMES = f"""SELECT DISTINCT ?e ?p ?name WHERE {{
  VALUES ?root {{ {_ROOTS} }}
  VALUES ?p {{ {_NAMES} }}
  ?e a/rdfs:subClassOf* ?root ; ?p ?name . FILTER (isIRI(?e) && isLiteral(?name))
}}"""
FACTS = f"""SELECT DISTINCT ?e ?country ?description WHERE {{
  VALUES ?root {{ {_ROOTS} }}
  ?e a/rdfs:subClassOf* ?root . FILTER isIRI(?e)
  {{ ?e wop:country ?country }} UNION {{ ?e dcterms:description ?description }}
}}"""
TERMS = """SELECT ?term ?kind ?label ?definition WHERE {
  VALUES ?kind { owl:Class rdfs:Class owl:ObjectProperty owl:DatatypeProperty
                 owl:AnnotationProperty rdf:Property }
  ?term a ?kind . FILTER isIRI(?term)
  OPTIONAL { ?term rdfs:label ?label }
  OPTIONAL { ?term skos:definition ?definition }
}"""
VERSION = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {_NAMES} }} ?s ?p ?o }}"
PROPERTY_KINDS = {
    "http://www.w3.org/2002/07/owl#" + k
    for k in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")
} | {"http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"}


def short_id(iri: str, id_space: str = ID_SPACE) -> str:
    """The reconciliation id of an entity IRI: the part after ``https://w3id.org/wop/id/``."""
    return iri[len(id_space) :] if iri.startswith(id_space) else iri


def id_space_of(backend) -> str:
    """Where the backend's entity IRIs live: ``<base>id/`` (the ``base`` setting, if any)."""
    return getattr(getattr(backend, "settings", None), "base", BASE) + "id/"


def pick(texts: dict[str, str], lang: str) -> str | None:
    """The text in ``lang``, else without language, else in English, else any."""
    for key in (lang, "", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), None)


@dataclass
class Term:
    """A class or property of the ontology: its IRI, labels and definitions by language."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    is_property: bool = False

    def label(self, lang: str) -> str:
        """The label in ``lang`` (with fallbacks), else the IRI's local name."""
        return pick(self.labels, lang) or self.iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/")[-1]


@dataclass
class Entry:
    """One entity that can be reconciled."""

    iri: str
    id_space: str = ID_SPACE
    names: list[tuple[Name, str, str]] = field(default_factory=list)  # name, property, lang
    types: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The reconciliation id."""
        return short_id(self.iri, self.id_space)

    def name(self, lang: str) -> str:
        """The display name: ``rdfs:label`` in ``lang`` (with fallbacks), else any name."""
        for prop in NAME_PROPERTIES:
            texts = {lg: n.text for n, p, lg in self.names if p == prop}
            if texts:
                return pick(texts, lang)
        return self.id

    def description(self, lang: str) -> str | None:
        """The description in ``lang`` (with fallbacks), if any."""
        return pick(self.descriptions, lang)


@dataclass
class Index:
    """Entities, their retrieval keys, and the ontology's terms."""

    entries: list[Entry] = field(default_factory=list)
    by_iri: dict[str, Entry] = field(default_factory=dict)
    keys: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    terms: dict[str, Term] = field(default_factory=dict)
    id_space: str = ID_SPACE

    def add(self, entry: Entry) -> None:
        """Index ``entry`` under the retrieval keys of each of its names."""
        position = len(self.entries)
        self.entries.append(entry)
        self.by_iri[entry.iri] = entry
        for name, _, _ in entry.names:
            for key in retrieval_keys(name):
                self.keys[key].add(position)

    def candidates(self, query: Name) -> list[Entry]:
        """The entities sharing at least one retrieval key with ``query``."""
        found: set[int] = set()
        for key in retrieval_keys(query):
            found |= self.keys.get(key, set())
        return [self.entries[i] for i in sorted(found)]

    def lookup(self, ref: str) -> Entry | None:
        """The entity a reference names: a reconciliation id, a full IRI or a ``prefix:`` name."""
        ref = ref.strip().strip("<>")
        return self.by_iri.get(expand(ref)) or self.by_iri.get(self.id_space + ref)

    def term(self, iri: str) -> Term:
        """The ontology term ``iri`` (a bare one if the ontology does not declare it)."""
        return self.terms.get(iri) or Term(iri)

    def types_in_use(self) -> list[Term]:
        """Every class some indexed entity belongs to, root types first."""
        used = {t for e in self.entries for t in e.types}
        rest = sorted(used - set(ROOT_TYPES))
        return [self.term(t) for t in (*[t for t in ROOT_TYPES if t in used], *rest)]

    def properties(self) -> list[Term]:
        """The properties the ontology declares, by IRI."""
        return [t for _, t in sorted(self.terms.items()) if t.is_property]


def expand(ref: str) -> str:
    """A ``prefix:local`` name with a wopgraph prefix as a full IRI; anything else unchanged."""
    prefix, colon, local = ref.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return ref


def _lang(term: Any) -> str:
    """The language tag of a literal term (empty for none)."""
    return getattr(term, "language", None) or ""


def build(backend) -> Index:
    """Read the index from ``backend`` (anything with ``select(sparql, max_rows)``)."""
    entries: dict[str, Entry] = {}
    id_space = id_space_of(backend)
    for row in backend.select(ENTITIES, max_rows=MAX_ROWS):
        iri = row["e"].value
        entries.setdefault(iri, Entry(iri, id_space)).types.add(row["t"].value)
    for row in backend.select(NAMES, max_rows=MAX_ROWS):
        entry = entries.get(row["e"].value)
        if entry is not None:
            entry.names.append((Name.of(row["name"].value), row["p"].value, _lang(row["name"])))
    for row in backend.select(FACTS, max_rows=MAX_ROWS):
        entry = entries.get(row["e"].value)
        if entry is None:
            continue
        if "country" in row:
            entry.countries.add(row["country"].value)
        if "description" in row:
            entry.descriptions.setdefault(_lang(row["description"]), row["description"].value)
    index = Index(id_space=id_space)
    for iri in sorted(entries):
        entries[iri].names.sort(key=lambda n: (NAME_PROPERTIES.index(n[1]), n[2], n[0].text))
        index.add(entries[iri])
    for row in backend.select(TERMS, max_rows=MAX_ROWS):
        term = index.terms.setdefault(row["term"].value, Term(row["term"].value))
        term.is_property |= row["kind"].value in PROPERTY_KINDS
        for key, texts in (("label", term.labels), ("definition", term.definitions)):
            if key in row:
                texts.setdefault(_lang(row[key]), row[key].value)
    return index


class IndexCache:
    """The index of one process, rebuilt when the data it was read from changes."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS):
        """Check for changes at most every ``refresh_seconds``."""
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._version: tuple | None = None
        self._checked = 0.0

    @staticmethod
    def version(backend, backend_key: tuple) -> tuple:
        """What identifies the data: the backend, its data version, the number of name triples."""
        rows = backend.select(VERSION, max_rows=1)
        return (*backend_key, rows[0]["n"].value if rows else "0")

    def get(self, backend) -> Index:
        """The index for ``backend``'s data, built or rebuilt as needed."""
        data_version = getattr(backend, "data_version", getattr(backend, "summary", None))
        backend_key = (id(backend), data_version)
        with self._lock:
            fresh = time.monotonic() - self._checked < self.refresh_seconds
            if self._index is not None and fresh and self._version[:2] == backend_key:
                return self._index
            version = self.version(backend, backend_key)
            if self._index is None or version != self._version:
                self._index = build(backend)
                self._version = version
            self._checked = time.monotonic()
            return self._index
