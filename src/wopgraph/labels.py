"""Labels in the reader's language: which literal to show for a term, with a fallback.

A term may carry several labels (``rdfs:label``, ``skos:prefLabel``, ``schema:name``,
``dcterms:title``) in several languages. The choice, for a reader of language ``lang``: the
display name (``rdfs:label``) tagged ``lang`` or untagged (proper names such as "ONEE" carry
no tag); else any label tagged ``lang``; else untagged; else English; else any label; a term
without a label gets its IRI's last segment. Label properties are tried in the order of
:data:`LABEL_PROPERTIES` within each step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox

from wopgraph.iris import readable

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS_LABEL = RDFS + "label"
SKOS_PREF = SKOS + "prefLabel"
#: Properties that name a thing, most preferred first.
LABEL_PROPERTIES: tuple[str, ...] = (
    RDFS_LABEL,
    SKOS_PREF,
    "https://schema.org/name",
    "http://purl.org/dc/terms/title",
)
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Text:
    """A piece of text to show, with its language (``""`` when it has none)."""

    value: str
    lang: str = ""

    def __str__(self) -> str:
        """The text itself."""
        return self.value


def pick(literals: Sequence[ox.Literal], lang: str) -> ox.Literal | None:
    """The literal to show a reader of ``lang``: theirs, untagged, English, then any."""
    if not literals:
        return None
    for wanted in (lang, "", FALLBACK_LANGUAGE):
        for literal in literals:
            if (literal.language or "") == wanted:
                return literal
    return literals[0]


def text(literal: ox.Literal | None) -> Text | None:
    """A literal as :class:`Text` (value and language)."""
    if literal is None:
        return None
    return Text(literal.value, literal.language or "")


@lru_cache(maxsize=32)
def _steps(lang: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The (properties, languages) tried in turn for a reader of ``lang``: a page asks for
    dozens of labels, all in the reader's language."""
    first = ((RDFS_LABEL,), (lang, ""))
    return (first, *((LABEL_PROPERTIES, (wanted,)) for wanted in (lang, "", FALLBACK_LANGUAGE)))


@dataclass
class Labels:
    """The labels known for a set of terms: ``iri -> property -> literals``."""

    by_term: dict[str, dict[str, list[ox.Literal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def add(self, term: str, prop: str, literal: ox.Literal) -> None:
        """Record that ``term`` has label ``literal`` by ``prop``."""
        if literal not in self.by_term[term][prop]:
            self.by_term[term][prop].append(literal)

    def update(self, other: Labels) -> None:
        """Add every label of ``other``."""
        for term, props in other.by_term.items():
            for prop, literals in props.items():
                for literal in literals:
                    self.add(term, prop, literal)

    def knows(self, term: str) -> bool:
        """Whether any label of ``term`` is recorded."""
        return term in self.by_term and any(self.by_term[term].values())

    def all(self, term: str) -> list[ox.Literal]:
        """Every label of ``term``, in the order of :data:`LABEL_PROPERTIES`."""
        props = self.by_term.get(term, {})
        return [lit for p in LABEL_PROPERTIES for lit in props.get(p, [])]

    def get(self, term: str, lang: str) -> Text:
        """The label of ``term`` for a reader of ``lang`` (see the module docstring)."""
        props = self.by_term.get(term, {})
        for properties, languages in _steps(lang):
            for prop in properties:
                for literal in props.get(prop, []):
                    if (literal.language or "") in languages:
                        return Text(literal.value, literal.language or "")
        found = self.all(term)
        if found:
            return Text(found[0].value, found[0].language or "")
        return Text(readable(term), "")


def from_rows(rows: Iterable[dict]) -> Labels:
    """Labels from query rows binding ``?s`` (term), ``?p`` (label property), ``?o`` (label)."""
    labels = Labels()
    for row in rows:
        s, p, o = row.get("s"), row.get("p"), row.get("o")
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.Literal) and p is not None:
            labels.add(s.value, p.value, o)
    return labels
