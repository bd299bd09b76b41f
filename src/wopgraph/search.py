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

Building the index at a million triples takes seconds; :meth:`SearchIndex.dump` and
:meth:`SearchIndex.load` write and read it in a compact form (the strings as one JSON
document, every list of numbers as one packed array) that loads ten times faster, so that
:mod:`wopgraph.startcache` can keep it between starts.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import operator
import re
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

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
#: The version of :meth:`SearchIndex.dump`'s layout; an index dumped in another is not read.
DUMP_FORMAT = 1
#: What packed arrays depend on: byte order and the sizes of unsigned short and int.
_MACHINE = [sys.byteorder, array("H").itemsize, array("I").itemsize]


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


class Postings:
    """Key (a word, or a label's words) -> the entities having it, packed for a small, fast
    index: the keys sorted, and every key's entity numbers end to end in one array."""

    def __init__(self, keys: list[str], offsets: array, numbers: array):
        """``keys`` sorted; the numbers of ``keys[i]`` are ``numbers[offsets[i]:offsets[i+1]]``."""
        self.keys = keys
        self.offsets = offsets
        self.numbers = numbers
        self._positions = dict(zip(keys, range(len(keys)), strict=True))

    @classmethod
    def pack(cls, postings: dict[str, Sequence[int]]) -> Postings:
        """Pack a dict of key -> entity numbers."""
        keys = sorted(postings)
        offsets, numbers = array("I", [0]), array("I")
        for key in keys:
            numbers.extend(postings[key])
            offsets.append(len(numbers))
        return cls(keys, offsets, numbers)

    def __len__(self) -> int:
        return len(self.keys)

    def _at(self, position: int) -> array:
        return self.numbers[self.offsets[position] : self.offsets[position + 1]]

    def get(self, key: str) -> Sequence[int]:
        """The entities having ``key`` (none when it is not a key)."""
        position = self._positions.get(key)
        return () if position is None else self._at(position)

    def starting_with(self, prefix: str) -> Iterator[Sequence[int]]:
        """The entities of each key starting with ``prefix``."""
        position = bisect.bisect_left(self.keys, prefix)
        while position < len(self.keys) and self.keys[position].startswith(prefix):
            yield self._at(position)
            position += 1

    def check(self, size: int) -> None:
        """Raise :class:`ValueError` unless well formed, with entities numbered below ``size``."""
        _check_offsets(self.offsets, len(self.keys), len(self.numbers))
        if self.numbers and max(self.numbers) >= size:
            raise ValueError("search index: an entity out of range")


class SearchIndex:
    """Word -> entities, for labels and for texts; the entities' labels and first class.

    Filled with :meth:`add_label`, :meth:`add_text` and :meth:`add_type`, then packed by
    :meth:`finish` (or read back whole by :meth:`load`) before it is searched.
    """

    def __init__(self):
        """An empty index, to fill."""
        self.iris: list[str] = []
        self.kinds = array("H")
        self.kind_names: list[str] = [""]
        self.ranks = array("I")
        self.label_words = self.text_words = self.exact = Postings([], array("I", [0]), array("I"))
        # The labels of entity d are label_values/label_langs[label_starts[d]:label_starts[d+1]].
        self.label_values: list[str] = []
        self.label_langs: list[str] = []
        self.label_starts = array("I", [0])
        self._ids: dict[str, int] = {}
        self._kind_ids: dict[str, int] = {}
        # While filling: the labels of each entity, and the postings as dicts.
        self._labels: list[list[tuple[str, str]]] = []
        self._label_words: dict[str, array] = {}
        self._text_words: dict[str, array] = {}
        self._exact: dict[str, list[int]] = defaultdict(list)

    def _id(self, iri: str) -> int:
        """The number of entity ``iri`` (added on first sight)."""
        found = self._ids.get(iri)
        if found is None:
            found = self._ids[iri] = len(self.iris)
            self.iris.append(iri)
            self._labels.append([])
            self.kinds.append(0)
        return found

    def add_label(self, iri: str, value: str, lang: str) -> None:
        """Index a label of ``iri``."""
        doc = self._id(iri)
        if (value, lang) not in self._labels[doc]:
            self._labels[doc].append((value, lang))
        found = words(value)
        self._exact[" ".join(found)].append(doc)
        _post(self._label_words, found, doc)

    def add_text(self, iri: str, value: str) -> None:
        """Index a text of ``iri`` (description, note, ...)."""
        _post(self._text_words, words(value), self._id(iri))

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
        """Pack the postings (sorted keys: prefix look-ups) and the labels, and rank the
        entities by label (ordering); return the index."""
        self.label_words = Postings.pack(self._label_words)
        self.text_words = Postings.pack(self._text_words)
        self.exact = Postings.pack(self._exact)
        for labels in self._labels:
            for value, lang in labels:
                self.label_values.append(value)
                self.label_langs.append(lang)
            self.label_starts.append(len(self.label_values))
        order = sorted(range(len(self.iris)), key=lambda d: (self._sort_key(d), self.iris[d]))
        self.ranks = array("I", bytes(4 * len(order)))
        for position, doc in enumerate(order):
            self.ranks[doc] = position
        self._labels, self._label_words, self._text_words = [], {}, {}
        self._exact = defaultdict(list)
        return self

    def _sort_key(self, doc: int) -> str:
        """What entity ``doc`` sorts by: its first label, without case."""
        first = self.label_starts[doc]
        return self.label_values[first].casefold() if first < self.label_starts[doc + 1] else ""

    def _label_texts(self, doc: int) -> list[str]:
        """The label values of entity ``doc``."""
        return self.label_values[self.label_starts[doc] : self.label_starts[doc + 1]]

    def _matching(self, word: str, prefix: bool, in_labels: bool) -> set[int]:
        """The entities having ``word`` (or, with ``prefix``, a word starting with it)."""
        index = self.label_words if in_labels else self.text_words
        if not prefix:
            return set(index.get(word))
        found: set[int] = set()
        for docs in index.starting_with(word):
            found.update(docs)
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
                if any(" ".join(words(v)).startswith(phrase) for v in self._label_texts(doc)):
                    scores[doc] = 120
        for doc in self.exact.get(phrase):
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

    def ranked(
        self, query: str, limit: int, classes: frozenset[str] | None = None
    ) -> list[tuple[str, int]]:
        """The best ``limit`` entities matching ``query`` as (IRI, score), best first, then in
        the index's order (by label); only those of ``classes`` (class IRIs) when given. The
        scores are those of the search page: 150 a label is the query, 120 a label starts
        with it, 100 every word is in a label, 10 in the entity's other texts."""
        scores = self._scores(query)
        wanted = None
        if classes is not None:
            wanted = {i for i, name in enumerate(self.kind_names) if i and name in classes}
        by_score: dict[int, list[int]] = defaultdict(list)
        kinds = self.kinds
        for doc, score in scores.items():
            if wanted is None or kinds[doc] in wanted:
                by_score[score].append(doc)
        rank = self.ranks.__getitem__
        found: list[tuple[str, int]] = []
        for score in sorted(by_score, reverse=True):
            docs, room = by_score[score], limit - len(found)
            best = (
                heapq.nsmallest(room, docs, key=rank)
                if room < len(docs)
                else sorted(docs, key=rank)
            )
            found += [(self.iris[doc], score) for doc in best]
            if len(found) >= limit:
                break
        return found

    def similar(self, text: str, limit: int = 8) -> list[str]:
        """Entities whose labels share the most words with ``text`` (for a page not found)."""
        counts: dict[int, int] = defaultdict(int)
        for word in set(words(text)):
            if len(word) > 2:
                for doc in self._matching(word, True, True):
                    counts[doc] += 1
        best = heapq.nsmallest(limit, counts, key=lambda d: (-counts[d], self._sort_key(d)))
        return [self.iris[d] for d in best]

    def labels_of(self, iri: str) -> list[tuple[str, str]]:
        """The labels (value, language) of an indexed entity."""
        doc = self._ids.get(iri)
        if doc is None:
            return []
        start, end = self.label_starts[doc], self.label_starts[doc + 1]
        return list(zip(self.label_values[start:end], self.label_langs[start:end], strict=True))

    def dump(self) -> bytes:
        """The finished index as bytes, for :meth:`load`: a JSON header line naming the
        sections and their sizes, then the sections (lists of strings, packed arrays)."""
        sections = {
            "iris": _strings(self.iris),
            "kind_names": _strings(self.kind_names),
            "label_values": _strings(self.label_values),
            "label_langs": _strings(self.label_langs),
            "label_starts": self.label_starts.tobytes(),
            "kinds": self.kinds.tobytes(),
            "ranks": self.ranks.tobytes(),
        }
        for name in ("label_words", "text_words", "exact"):
            postings = getattr(self, name)
            sections[f"{name}.keys"] = _strings(postings.keys)
            sections[f"{name}.offsets"] = postings.offsets.tobytes()
            sections[f"{name}.numbers"] = postings.numbers.tobytes()
        header = {
            "format": DUMP_FORMAT,
            "machine": _MACHINE,
            "sections": [[name, len(data)] for name, data in sections.items()],
        }
        return json.dumps(header).encode() + b"\n" + b"".join(sections.values())

    @classmethod
    def load(cls, data: bytes) -> SearchIndex:
        """An index from :meth:`dump`'s bytes; :class:`ValueError` when they are not one
        (another layout or machine, or damaged), so that the caller builds it instead."""
        try:
            return cls._load(memoryview(data))
        except (KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a dumped search index ({exc!r})") from exc

    @classmethod
    def _load(cls, data: memoryview) -> SearchIndex:
        end = bytes(data[:4096]).find(b"\n")
        header = json.loads(bytes(data[:end])) if end > 0 else None
        if not isinstance(header, dict) or header.get("format") != DUMP_FORMAT:
            raise ValueError("not a dumped search index of this version")
        if header["machine"] != _MACHINE:
            raise ValueError("a search index dumped on another kind of machine")
        sections: dict[str, memoryview] = {}
        at = end + 1
        for name, size in header["sections"]:
            sections[name] = data[at : at + size]
            at += size
        if at != len(data):
            raise ValueError("a search index of the wrong length")

        def numbers(name: str, typecode: str = "I") -> array:
            found = array(typecode)
            found.frombytes(sections[name])
            return found

        index = cls()
        index.iris = _unstrings(sections["iris"])
        index.kind_names = _unstrings(sections["kind_names"])
        index.label_values = _unstrings(sections["label_values"])
        index.label_langs = _unstrings(sections["label_langs"])
        index.label_starts = numbers("label_starts")
        index.kinds, index.ranks = numbers("kinds", "H"), numbers("ranks")
        size = len(index.iris)
        if not (len(index.kinds) == len(index.ranks) == len(index.label_starts) - 1 == size):
            raise ValueError("search index sections of different sizes")
        if len(index.label_values) != len(index.label_langs) or not index.kind_names:
            raise ValueError("search index: labels and languages of different sizes")
        _check_offsets(index.label_starts, size, len(index.label_values))
        if index.kinds and max(index.kinds) >= len(index.kind_names):
            raise ValueError("search index: a class out of range")
        for name in ("label_words", "text_words", "exact"):
            postings = Postings(
                _unstrings(sections[f"{name}.keys"]),
                numbers(f"{name}.offsets"),
                numbers(f"{name}.numbers"),
            )
            postings.check(size)
            setattr(index, name, postings)
        index._ids = dict(zip(index.iris, range(size), strict=True))
        index._kind_ids = {kind: i for i, kind in enumerate(index.kind_names) if i}
        return index


def _check_offsets(offsets: array, count: int, total: int) -> None:
    """Raise :class:`ValueError` unless ``offsets`` cut ``total`` items into ``count`` runs:
    ``count + 1`` of them, from 0 to ``total``, never going back."""
    if len(offsets) != count + 1 or offsets[0] or offsets[-1] != total:
        raise ValueError("search index: offsets of the wrong length")
    if not all(map(operator.le, offsets, itertools.islice(offsets, 1, None))):
        raise ValueError("search index: offsets out of order")


def _strings(items: list[str]) -> bytes:
    """A list of strings as bytes: one per line when none holds a line break, else JSON."""
    joined = "\n".join(items)
    if joined.count("\n") == max(len(items) - 1, 0):
        return b"L%d:" % len(items) + joined.encode()
    return b"J" + json.dumps(items, ensure_ascii=False).encode()


def _unstrings(data: memoryview) -> list[str]:
    """The list of strings :func:`_strings` wrote."""
    raw = bytes(data)
    if raw[:1] == b"J":
        found = json.loads(raw[1:])
        if not isinstance(found, list) or not all(isinstance(s, str) for s in found):
            raise ValueError("search index: not a list of strings")
        return found
    if raw[:1] != b"L":
        raise ValueError("search index: not a list of strings")
    count, _, joined = raw[1:].partition(b":")
    found = joined.decode().split("\n") if int(count) else []
    if len(found) != int(count):
        raise ValueError("search index: a list of strings of the wrong length")
    return found


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
