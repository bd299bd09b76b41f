"""Full-text search over labels and texts, from an in-memory index.

A ``FILTER(CONTAINS(...))`` over every label scans the whole graph on every search (hundreds
of milliseconds at a million triples). Instead the labels, the texts (descriptions,
objectives, approaches, origin and financing notes, quotations, definitions; not the
curation notes, which are about the data rather than the partnerships) and the classes are
read once and kept in an inverted index: word -> the entities whose label (or text) has it,
as compact arrays. Words are compared without case and accents ("electricite" finds
"Électricité"); the last word of a query also matches as a prefix ("sia" finds "SIAAP").

An entity matches when every word of the query is in its labels or texts. Entities whose
labels hold every word come first, an exact label first of all, then by label.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph.labels import LABEL_PROPERTIES

ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
#: Properties whose text is searched (besides the labels).
TEXT_PROPERTIES = (
    "http://purl.org/dc/terms/description",
    "https://w3id.org/wop/ontology#objective",
    "https://w3id.org/wop/ontology#approach",
    "https://w3id.org/wop/ontology#originNote",
    "https://w3id.org/wop/ontology#financingNote",
    "https://schema.org/text",
    "http://www.w3.org/2004/02/skos/core#definition",
)
_LABELS = " ".join(f"<{p}>" for p in (*LABEL_PROPERTIES, ALT_LABEL))
_TEXTS = " ".join(f"<{p}>" for p in TEXT_PROPERTIES)
LABELS_QUERY = f"SELECT ?s ?o WHERE {{ VALUES ?p {{ {_LABELS} }} ?s ?p ?o . FILTER(isIRI(?s)) }}"
TEXTS_QUERY = f"SELECT ?s ?o WHERE {{ VALUES ?p {{ {_TEXTS} }} ?s ?p ?o . FILTER(isIRI(?s)) }}"
TYPES_QUERY = "SELECT ?s ?o WHERE { ?s a ?o . FILTER(isIRI(?s)) }"
#: Above this many label matches, "label starts with the query" is not worth checking.
PREFIX_BONUS_LIMIT = 5000
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, without accents."""
    if text.isascii():
        return _WORD.findall(text.lower())
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


@dataclass
class Results:
    """What a search found: how many per class, and the best hits of the classes asked for."""

    total: int
    counts: dict[str, int]
    hits: dict[str, list[str]]


@dataclass
class SearchIndex:
    """Word -> entities, for labels and for texts; the entities' labels and first class."""

    iris: list[str] = field(default_factory=list)
    labels: list[list[tuple[str, str]]] = field(default_factory=list)
    kinds: array = field(default_factory=lambda: array("H"))
    kind_names: list[str] = field(default_factory=lambda: [""])
    label_words: dict[str, array] = field(default_factory=dict)
    text_words: dict[str, array] = field(default_factory=dict)
    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sort_keys: list[str] = field(default_factory=list)
    ranks: array = field(default_factory=lambda: array("I"))
    _ids: dict[str, int] = field(default_factory=dict)
    _kind_ids: dict[str, int] = field(default_factory=dict)
    _ordered: dict[bool, list[str]] = field(default_factory=dict)

    def _id(self, iri: str) -> int:
        """The number of entity ``iri`` (added on first sight)."""
        found = self._ids.get(iri)
        if found is None:
            found = self._ids[iri] = len(self.iris)
            self.iris.append(iri)
            self.labels.append([])
            self.kinds.append(0)
        return found

    def add_label(self, iri: str, value: str, lang: str) -> None:
        """Index a label of ``iri``."""
        doc = self._id(iri)
        if (value, lang) not in self.labels[doc]:
            self.labels[doc].append((value, lang))
        found = words(value)
        self.exact[" ".join(found)].append(doc)
        _post(self.label_words, found, doc)

    def add_text(self, iri: str, value: str) -> None:
        """Index a text of ``iri`` (description, note, ...)."""
        _post(self.text_words, words(value), self._id(iri))

    def add_type(self, iri: str, type_iri: str) -> None:
        """Record the class of ``iri`` (the first one seen; only for indexed entities)."""
        doc = self._ids.get(iri)
        if doc is None or self.kinds[doc]:
            return
        kind = self._kind_ids.get(type_iri)
        if kind is None:
            kind = self._kind_ids[type_iri] = len(self.kind_names)
            self.kind_names.append(type_iri)
        self.kinds[doc] = kind

    def finish(self) -> SearchIndex:
        """Sort the word lists (prefix look-ups) and the labels (ordering); return the index."""
        self._ordered = {True: sorted(self.label_words), False: sorted(self.text_words)}
        self.sort_keys = [(lbl[0][0].casefold() if lbl else "") for lbl in self.labels]
        order = sorted(range(len(self.iris)), key=lambda d: (self.sort_keys[d], self.iris[d]))
        self.ranks = array("I", bytes(4 * len(order)))
        for position, doc in enumerate(order):
            self.ranks[doc] = position
        self.exact = dict(self.exact)
        return self

    def _matching(self, word: str, prefix: bool, in_labels: bool) -> set[int]:
        """The entities having ``word`` (or, with ``prefix``, a word starting with it)."""
        index = self.label_words if in_labels else self.text_words
        if not prefix:
            return set(index.get(word, ()))
        ordered = self._ordered[in_labels]
        found: set[int] = set()
        for candidate in ordered[bisect.bisect_left(ordered, word) :]:
            if not candidate.startswith(word):
                break
            found.update(index[candidate])
        return found

    def _scores(self, query: str) -> dict[int, int]:
        """Entity -> score for every entity matching all words of ``query``."""
        wanted = words(query)
        if not wanted:
            return {}
        in_label: set[int] = set()
        anywhere: set[int] = set()
        for i, word in enumerate(wanted):
            prefix = i == len(wanted) - 1
            labelled = self._matching(word, prefix, True)
            either = labelled | self._matching(word, prefix, False)
            in_label = labelled if i == 0 else in_label & labelled
            anywhere = either if i == 0 else anywhere & either
        scores = dict.fromkeys(anywhere, 10)
        scores.update(dict.fromkeys(in_label, 100))
        phrase = " ".join(wanted)
        if len(in_label) <= PREFIX_BONUS_LIMIT:
            for doc in in_label:
                if any(" ".join(words(v)).startswith(phrase) for v, _ in self.labels[doc]):
                    scores[doc] = 120
        for doc in self.exact.get(phrase, ()):
            if doc in scores:
                scores[doc] = 150
        return scores

    def search(
        self, query: str, kinds: Iterable[str] | None = None, limit: int = 10, offset: int = 0
    ) -> Results:
        """Search; count hits per class, and list the best ``limit`` of each class in ``kinds``
        (every class when ``None``), skipping ``offset``."""
        scores = self._scores(query)
        counts = Counter(self.kinds[doc] for doc in scores)
        wanted = (
            set(counts)
            if kinds is None
            else {self._kind_ids[k] for k in kinds if k in self._kind_ids}
        )
        grouped: dict[int, list[int]] = defaultdict(list)
        for doc in scores:
            if self.kinds[doc] in wanted:
                grouped[self.kinds[doc]].append(doc)
        hits = {}
        for kind, docs in grouped.items():
            ranks = self.ranks
            best = heapq.nsmallest(offset + limit, docs, key=lambda d: (-scores[d], ranks[d]))
            hits[self.kind_names[kind]] = [self.iris[d] for d in best[offset:]]
        return Results(len(scores), {self.kind_names[k]: n for k, n in counts.items()}, hits)

    def similar(self, text: str, limit: int = 8) -> list[str]:
        """Entities whose labels share the most words with ``text`` (for a page not found)."""
        counts: dict[int, int] = defaultdict(int)
        for word in set(words(text)):
            if len(word) > 2:
                for doc in self._matching(word, True, True):
                    counts[doc] += 1
        best = heapq.nsmallest(limit, counts, key=lambda d: (-counts[d], self.sort_keys[d]))
        return [self.iris[d] for d in best]

    def labels_of(self, iri: str) -> list[tuple[str, str]]:
        """The labels (value, language) of an indexed entity."""
        doc = self._ids.get(iri)
        return self.labels[doc] if doc is not None else []


def _post(index: dict[str, array], found: list[str], doc: int) -> None:
    """Add ``doc`` to the postings of each word in ``found`` (once per word)."""
    for word in set(found):
        postings = index.get(word)
        if postings is None:
            postings = index[word] = array("I")
        if not postings or postings[-1] != doc:
            postings.append(doc)


def build(select) -> SearchIndex:
    """Build the index; ``select(query)`` returns rows binding ``?s`` and ``?o``."""
    index = SearchIndex()
    for row in select(LABELS_QUERY):
        o = row["o"]
        if isinstance(o, ox.Literal):
            index.add_label(row["s"].value, o.value, o.language or "")
    for row in select(TEXTS_QUERY):
        o = row["o"]
        if isinstance(o, ox.Literal):
            index.add_text(row["s"].value, o.value)
    for row in select(TYPES_QUERY):
        index.add_type(row["s"].value, row["o"].value)
    return index.finish()
