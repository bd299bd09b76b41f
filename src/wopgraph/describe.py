"""What the graph says about one entity: its description, the labels around it, its links in.

The description of an entity is its concise bounded description (its outgoing triples, and
the triples of the blank nodes they reach, three levels deep), the labels of the entities it
links to, and its incoming links (triples whose object it is, from IRIs). One query fetches
all of it for an ordinary entity, with the incoming links capped at :data:`INCOMING_CAP`.

A *hub* (an operator that mentors hundreds of partnerships) has more incoming links than the
cap. Its page shows one page of subjects per property, with the number of incoming links per
property (``GROUP BY``, counted once and kept by the caller, whose cache a write drops, or per
process). Once the counts are known, one query fetches the description without the capped
incoming links and, per property, one page of subjects with their labels and classes (a
``UNION`` of sub-queries with ``LIMIT``/``OFFSET``), so a hub page stays fast however many
links it has: each query costs a round trip to the query process and each row a parse. Hub
pages list subjects in the store's index order, not sorted: ``ORDER BY`` over thousands of IRIs
costs more than the rest of the page, and the index order is stable while the server runs (the
data is read-only), which is all paging needs. Only the labels of the subjects shown are kept,
so a hub's description is the same whether its counts were known or not. The RDF of a hub
carries up to :data:`RDF_INCOMING_CAP` incoming links.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph import labels as lb

#: Incoming links fetched with the description; more make the entity a hub.
INCOMING_CAP = 100
#: Incoming links per property shown on one page of an entity page.
PAGE_SIZE = 20
#: Most incoming links in the RDF of an entity.
RDF_INCOMING_CAP = 10_000
#: Hubs whose incoming-link counts a process keeps (oldest dropped first).
HUB_COUNTS_KEPT = 512
_HUB_COUNTS: dict[str, dict[str, int]] = {}


def is_label(var: str = "?p") -> str:
    """``FILTER(var IN (label properties))``.

    Oxigraph joins a ``VALUES`` block with a triple pattern by hashing every matching triple
    of the graph (all labels: hundreds of milliseconds at a million triples); a ``FILTER`` on
    a pattern whose subject is already bound is a handful of index look-ups.
    """
    return f"FILTER({var} IN ({', '.join(f'<{p}>' for p in lb.LABEL_PROPERTIES)}))"


def iri_ref(iri: str) -> str:
    """An IRI written for a query (angle brackets; characters that cannot occur refused)."""
    if any(c in iri for c in '<>"{}|\\^`\n\r\t ') or not iri:
        raise ValueError(f"not an IRI that can be queried: {iri!r}")
    return f"<{iri}>"


def _outgoing(e: str) -> str:
    """The ``UNION`` branches of the description proper: the entity's triples, those of the
    blank nodes it reaches, and the labels of the IRIs they link to (rows ``?k ?s ?p ?o``)."""
    return f"""{{ BIND("out" AS ?k) BIND({e} AS ?s) {e} ?p ?o }}
  UNION {{ BIND("out" AS ?k) {e} ?p1 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}
  UNION {{ BIND("out" AS ?k) {e} ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?s . FILTER(isBlank(?s))
           ?s ?p ?o }}
  UNION {{ BIND("out" AS ?k) {e} ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?b2 .
           FILTER(isBlank(?b2)) ?b2 ?p3 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}
  UNION {{ BIND("label" AS ?k) {e} ?p1 ?s . FILTER(isIRI(?s)) ?s ?p ?o .
           {is_label()} }}
  UNION {{ BIND("label" AS ?k) {e} ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?s . FILTER(isIRI(?s))
           ?s ?p ?o . {is_label()} }}"""


def description_query(iri: str, cap: int = INCOMING_CAP) -> str:
    """One query for the description: rows ``?k`` (what the row is), ``?s ?p ?o``.

    Incoming links (``in``: ``?s ?p``, the object being the entity) are capped at ``cap + 1``,
    with the labels (``label``) and classes (``intype``: ``?s ?o``) of their subjects.
    """
    e = iri_ref(iri)
    return f"""
SELECT ?k ?s ?p ?o WHERE {{
  {_outgoing(e)}
  UNION {{ BIND("in" AS ?k)
           {{ SELECT ?s ?p WHERE {{ ?s ?p {e} . FILTER(isIRI(?s)) }} LIMIT {cap + 1} }} }}
  UNION {{ BIND("label" AS ?k)
           {{ SELECT DISTINCT ?s WHERE {{ ?s ?q {e} . FILTER(isIRI(?s)) }} LIMIT {cap + 1} }}
           ?s ?p ?o . {is_label()} }}
  UNION {{ BIND("intype" AS ?k)
           {{ SELECT DISTINCT ?s WHERE {{ ?s ?q {e} . FILTER(isIRI(?s)) }} LIMIT {cap + 1} }}
           ?s a ?o }}
}}"""


def labels_query(iris: list[str]) -> str:
    """The labels of ``iris`` (rows ``?s ?p ?o``)."""
    values = " ".join(iri_ref(i) for i in iris)
    return f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o . {is_label()} }}"


def fetch_labels(select, iris: list[str]) -> lb.Labels:
    """The labels of ``iris`` (one query; none when ``iris`` is empty)."""
    if not iris:
        return lb.Labels()
    return lb.from_rows(select(labels_query(sorted(set(iris))), max_rows=1_000_000))


def incoming_counts_query(iri: str) -> str:
    """How many IRIs link to ``iri`` by each property."""
    e = iri_ref(iri)
    return f"SELECT ?p (COUNT(?s) AS ?n) WHERE {{ ?s ?p {e} . FILTER(isIRI(?s)) }} GROUP BY ?p"


def hub_query(iri: str, pages: dict[str, tuple[int, int]]) -> str:
    """A hub's description and one page of linking subjects per property, labelled.

    ``pages`` is ``{property: (limit, offset)}``. Rows of the description as in
    :func:`description_query`; rows ``page`` bind ``?p ?s`` (a subject linking by ``?p``), its
    label ``?lp ?l`` and class ``?t`` when it has them.
    """
    e = iri_ref(iri)
    branches = " UNION ".join(
        f"{{ BIND({iri_ref(p)} AS ?p) "
        f"{{ SELECT ?s WHERE {{ ?s {iri_ref(p)} {e} . FILTER(isIRI(?s)) }} "
        f"LIMIT {limit} OFFSET {offset} }} }}"
        for p, (limit, offset) in pages.items()
    )
    page = f"""
  UNION {{ BIND("page" AS ?k) {{ {branches} }}
           OPTIONAL {{ ?s ?lp ?l . {is_label("?lp")} }}
           OPTIONAL {{ ?s a ?t }} }}"""
    return f"""
SELECT ?k ?s ?p ?o ?lp ?l ?t WHERE {{
  {_outgoing(e)}{page if pages else ""}
}}"""


def incoming_rdf_query(iri: str, cap: int = RDF_INCOMING_CAP) -> str:
    """The incoming links of ``iri`` for its RDF, at most ``cap``."""
    e = iri_ref(iri)
    return f"SELECT ?s ?p WHERE {{ ?s ?p {e} . FILTER(isIRI(?s)) }} LIMIT {cap}"


@dataclass
class Incoming:
    """The entities that link to the described one by one property (one page of them)."""

    prop: str
    total: int
    subjects: list[str]
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the links fill."""
        return max(1, -(-self.total // self.page_size))


@dataclass
class Description:
    """Everything a page or an RDF answer needs about one entity."""

    iri: str
    triples: list[ox.Triple] = field(default_factory=list)
    labels: lb.Labels = field(default_factory=lb.Labels)
    incoming: list[Incoming] = field(default_factory=list)
    incoming_triples: list[ox.Triple] = field(default_factory=list)
    subject_types: dict[str, list[str]] = field(default_factory=dict)
    hub: bool = False
    _by_subject: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    @property
    def exists(self) -> bool:
        """Whether the graph says anything about the entity."""
        return bool(self.triples or self.incoming_triples)

    def _index(self) -> dict:
        """subject -> property -> objects, in triple order (made again if triples were added).

        A page asks for the values of every property it shows: scanning the triples for each
        would cost properties x triples term comparisons.
        """
        if self._indexed != len(self.triples):
            index: dict = {}
            for t in self.triples:
                index.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
            self._by_subject, self._indexed = index, len(self.triples)
        return self._by_subject

    def objects(self, subject: ox.NamedNode | ox.BlankNode, prop: str) -> list:
        """The objects of ``prop`` for the term ``subject``."""
        return list(self._index().get(subject, {}).get(prop, ()))

    def values(self, prop: str, subject: str | ox.BlankNode | None = None) -> list:
        """The objects of ``prop`` for the entity (or for ``subject``, e.g. a blank node)."""
        node = (
            ox.NamedNode(subject or self.iri) if not isinstance(subject, ox.BlankNode) else subject
        )
        return self.objects(node, prop)

    def properties(self, subject: ox.NamedNode | ox.BlankNode | None = None) -> list[str]:
        """The properties the entity (or ``subject``) has, in first-seen order."""
        return list(self._index().get(subject or ox.NamedNode(self.iri), {}))

    @property
    def types(self) -> list[str]:
        """The entity's classes."""
        rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
        return [o.value for o in self.values(rdf_type) if isinstance(o, ox.NamedNode)]

    def label_triples(self) -> list[ox.Triple]:
        """The labels of the linked entities, as triples (for the RDF answer)."""
        out = []
        for term, props in self.labels.by_term.items():
            if term != self.iri:
                subject = ox.NamedNode(term)
                for prop, literals in props.items():
                    predicate = ox.NamedNode(prop)
                    out += [ox.Triple(subject, predicate, literal) for literal in literals]
        return out

    def add_row(self, row: dict, seen: set[ox.Triple]) -> None:
        """Add a row ``out`` (a triple, once: ``seen``) or ``label`` of the description query."""
        s, p, o = row["s"], row["p"], row["o"]
        if row["k"].value == "label":
            self.labels.add(s.value, p.value, o)
            return
        triple = ox.Triple(s, p, o)
        if triple not in seen:
            seen.add(triple)
            self.triples.append(triple)
        if s.value == self.iri and p.value in lb.LABEL_PROPERTIES and isinstance(o, ox.Literal):
            self.labels.add(self.iri, p.value, o)


def _group_incoming(triples: list[ox.Triple], labels: lb.Labels, lang: str) -> dict[str, list]:
    """Subjects linking in, by property, sorted by their label."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for t in triples:
        if t.subject.value not in grouped[t.predicate.value]:
            grouped[t.predicate.value].append(t.subject.value)
    for subjects in grouped.values():
        subjects.sort(key=lambda s: (labels.get(s, lang).value.casefold(), s))
    return grouped


def describe(
    backend,
    iri: str,
    lang: str = "en",
    focus: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    hubs: dict[str, dict[str, int]] | None = None,
) -> Description:
    """Describe ``iri``; incoming links paged by ``page_size``, ``focus`` at page ``page``.

    ``hubs`` keeps the incoming-link counts of the hubs met (IRI -> property -> count) from one
    call to the next: a caller whose data can change passes a dict it drops on writes; by
    default they are kept per process.
    """
    known = _HUB_COUNTS if hubs is None else hubs

    def page_of(prop: str) -> int:
        return max(1, page) if prop == focus else 1

    counts = known.get(iri)
    if counts is None:
        desc = Description(iri)
        node, seen = ox.NamedNode(iri), set()
        for row in backend.select(description_query(iri), max_rows=1_000_000):
            kind = row["k"].value
            if kind in ("out", "label"):
                desc.add_row(row, seen)
            elif kind == "in":
                desc.incoming_triples.append(ox.Triple(row["s"], row["p"], node))
            else:
                desc.subject_types.setdefault(row["s"].value, []).append(row["o"].value)
        if len(desc.incoming_triples) <= INCOMING_CAP:
            grouped = _group_incoming(desc.incoming_triples, desc.labels, lang)
            for prop, subjects in grouped.items():
                n = page_of(prop)
                start = (n - 1) * page_size
                chunk = subjects[start : start + page_size]
                desc.incoming.append(Incoming(prop, len(subjects), chunk, n, page_size))
            return desc
        # A hub: what came with the capped links is dropped, and one page per property fetched.
        counts = {
            row["p"].value: int(row["n"].value)
            for row in backend.select(incoming_counts_query(iri), max_rows=100_000)
        }
        if len(known) >= HUB_COUNTS_KEPT:
            known.pop(next(iter(known)))
        known[iri] = counts
    return _describe_hub(backend, iri, counts, page_of, page_size)


def _describe_hub(backend, iri: str, counts: dict[str, int], page_of, page_size: int):
    """A hub's description with one page of its incoming links per property (one query)."""
    desc = Description(iri, hub=True)
    node, seen = ox.NamedNode(iri), set()
    pages = {p: (page_size, (page_of(p) - 1) * page_size) for p in counts}
    chosen: dict[str, list[str]] = defaultdict(list)
    for row in backend.select(hub_query(iri, pages), max_rows=1_000_000):
        if row["k"].value != "page":
            desc.add_row(row, seen)
            continue
        prop, subject = row["p"].value, row["s"].value
        if subject not in chosen[prop]:
            chosen[prop].append(subject)
            desc.incoming_triples.append(ox.Triple(row["s"], row["p"], node))
        if "l" in row:
            desc.labels.add(subject, row["lp"].value, row["l"])
        if "t" in row:
            types = desc.subject_types.setdefault(subject, [])
            if row["t"].value not in types:  # one row per label: the class comes again
                types.append(row["t"].value)
    for prop, total in counts.items():
        desc.incoming.append(Incoming(prop, total, chosen.get(prop, []), page_of(prop), page_size))
    return desc


def rdf_triples(backend, desc: Description) -> tuple[list[ox.Triple], bool]:
    """The entity's RDF: description, labels of what it links to, incoming links.

    Returns the triples and whether the incoming links were cut at :data:`RDF_INCOMING_CAP`.
    """
    incoming = desc.incoming_triples
    truncated = False
    if desc.hub:
        node = ox.NamedNode(desc.iri)
        rows = backend.select(incoming_rdf_query(desc.iri, RDF_INCOMING_CAP + 1), max_rows=10**7)
        truncated = len(rows) > RDF_INCOMING_CAP
        incoming = [ox.Triple(r["s"], r["p"], node) for r in rows[:RDF_INCOMING_CAP]]
    seen, out = set(), []
    for triple in [*desc.triples, *desc.label_triples(), *incoming]:
        if triple not in seen:
            seen.add(triple)
            out.append(triple)
    return out, truncated
