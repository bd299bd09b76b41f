"""A partnership and what surrounds it, in one query: what the "case at a glance" page needs.

The page shows the mentor and mentee side by side with their countries and figures, the
phases with their tracks and results, the motivations, challenges, success factors and
quotations. :func:`neighbourhood` fetches the triples of the partnership, of the entities it
links to, of the tracks' results and the partners' figures (with their quantity blank
nodes), of the partners' countries, and of the quotations and agreements that point to it;
then, in a second query, labels for whatever else those triples name. The answer is a small
:class:`Graph` to read from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph import labels as lb
from wopgraph.describe import iri_ref, labels_query

NEIGHBOURHOOD = """
SELECT ?s ?p ?o WHERE {{
  {{ BIND({e} AS ?s) {e} ?p ?o }}
  UNION {{ {e} ?q ?s . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{entities}")) ?s ?p ?o }}
  UNION {{ {e} wop:hasTrack/wop:hasResult ?s . ?s ?p ?o }}
  UNION {{ {e} wop:hasTrack/wop:hasResult/wop:quantity ?s . ?s ?p ?o }}
  UNION {{ {e} (wop:mentor|wop:mentee)/wop:hasFigure ?s . ?s ?p ?o }}
  UNION {{ {e} (wop:mentor|wop:mentee)/wop:hasFigure/sosa:hasResult ?s . ?s ?p ?o }}
  UNION {{ {e} (wop:mentor|wop:mentee)/wop:country ?s . ?s ?p ?o }}
  UNION {{ ?s schema:about|wop:agreementOf {e} . ?s ?p ?o }}
  UNION {{ ?x schema:about {e} . ?x schema:creator ?s . ?s ?p ?o }}
}}"""


@dataclass
class Graph:
    """A few hundred triples, indexed by subject and property, with labels."""

    by_subject: dict[object, dict[str, list]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    labels: lb.Labels = field(default_factory=lb.Labels)

    def add(self, s, p: str, o) -> None:
        """Add a triple (once)."""
        if o not in self.by_subject[s][p]:
            self.by_subject[s][p].append(o)
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.Literal) and p in lb.LABEL_PROPERTIES:
            self.labels.add(s.value, p, o)

    def objects(self, s: str | ox.BlankNode, p: str) -> list:
        """The objects of ``s p ?``."""
        node = ox.NamedNode(s) if isinstance(s, str) else s
        return self.by_subject.get(node, {}).get(p, [])

    def iris(self, s: str | ox.BlankNode, p: str) -> list[str]:
        """The IRI objects of ``s p ?``, as strings."""
        return [o.value for o in self.objects(s, p) if isinstance(o, ox.NamedNode)]

    def literals(self, s: str | ox.BlankNode, p: str) -> list[ox.Literal]:
        """The literal objects of ``s p ?``."""
        return [o for o in self.objects(s, p) if isinstance(o, ox.Literal)]

    def first(self, s: str | ox.BlankNode, p: str):
        """One object of ``s p ?`` (``None`` if there is none)."""
        found = self.objects(s, p)
        return found[0] if found else None

    def subjects(self, p: str, o: str) -> list[str]:
        """The IRI subjects of ``? p o``."""
        node = ox.NamedNode(o)
        return [
            s.value
            for s, props in self.by_subject.items()
            if isinstance(s, ox.NamedNode) and node in props.get(p, [])
        ]

    def named_objects(self) -> set[str]:
        """Every IRI that is an object in the graph."""
        return {
            o.value
            for props in self.by_subject.values()
            for values in props.values()
            for o in values
            if isinstance(o, ox.NamedNode)
        }


def neighbourhood_query(iri: str, base: str) -> str:
    """The query for the partnership ``iri``'s neighbourhood (entities under ``base``id/)."""
    return NEIGHBOURHOOD.format(e=iri_ref(iri), entities=base + "id/")


def neighbourhood(backend, iri: str, base: str, known: Iterable[str] = ()) -> Graph:
    """The partnership's neighbourhood; labels fetched for IRIs neither in it nor ``known``."""
    graph = Graph()
    for row in backend.select(neighbourhood_query(iri, base), max_rows=1_000_000):
        graph.add(row["s"], row["p"].value, row["o"])
    skip = set(known)
    missing = sorted(
        i for i in graph.named_objects() if i not in skip and not graph.labels.knows(i)
    )
    if missing:
        for row in backend.select(labels_query(missing), max_rows=100_000):
            graph.add(row["s"], row["p"].value, row["o"])
    return graph
