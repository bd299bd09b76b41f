"""The model's terms, read once per process: classes, properties, schemes, concepts, units.

Pages name properties and classes in the reader's language, badge track statuses and label
units on every request; these labels come from the ontology and vocabulary graphs, which do
not change while the server runs, so they are read in one query on first use and kept.
A term is anything with ``rdfs:isDefinedBy`` (the WOP terms and the reused ones declared in
``ontology/reused.ttl``), a SKOS concept or concept scheme, or the ontology itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph import labels as lb
from wopgraph.namespaces import PREFIXES

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
OWL = PREFIXES["owl"]
DEFINITION = SKOS + "definition"
COMMENT = RDFS + "comment"
CLASS_TYPES = frozenset({OWL + "Class", RDFS + "Class"})
PROPERTY_TYPES = frozenset(
    {
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        PREFIXES["rdf"] + "Property",
    }
)
SCHEME = SKOS + "ConceptScheme"
CONCEPT = SKOS + "Concept"

#: The properties of a term that pages use.
TERM_PROPERTIES = (
    "rdf:type rdfs:label skos:prefLabel skos:altLabel skos:definition rdfs:comment rdfs:domain "
    "rdfs:range rdfs:subClassOf rdfs:subPropertyOf rdfs:isDefinedBy skos:inScheme skos:notation "
    "skos:broader skos:exactMatch skos:closeMatch skos:relatedMatch skos:hasTopConcept "
    "owl:inverseOf owl:versionIRI owl:versionInfo dcterms:title dcterms:description"
)

TERMS_QUERY = f"""
SELECT ?s ?p ?o WHERE {{
  {{ ?s rdfs:isDefinedBy ?d }} UNION {{ ?s a skos:Concept }} UNION {{ ?s a skos:ConceptScheme }}
  UNION {{ ?s a owl:Ontology }}
  ?s ?p ?o .
  VALUES ?p {{ {TERM_PROPERTIES} }}
}}
"""


@dataclass
class Term:
    """One term and the values of its :data:`TERM_PROPERTIES`."""

    iri: str
    values: dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def iris(self, prop: str) -> list[str]:
        """The IRI values of ``prop``."""
        return [v.value for v in self.values.get(prop, []) if isinstance(v, ox.NamedNode)]

    def literals(self, prop: str) -> list[ox.Literal]:
        """The literal values of ``prop``."""
        return [v for v in self.values.get(prop, []) if isinstance(v, ox.Literal)]

    @property
    def types(self) -> set[str]:
        """The term's ``rdf:type`` IRIs."""
        return set(self.iris(RDF_TYPE))

    @property
    def is_class(self) -> bool:
        """Whether the term is a class."""
        return bool(self.types & CLASS_TYPES)

    @property
    def is_property(self) -> bool:
        """Whether the term is a property."""
        return bool(self.types & PROPERTY_TYPES)

    def definition(self, lang: str) -> lb.Text | None:
        """What the term means, in the reader's language (``skos:definition``, then comment)."""
        return lb.text(lb.pick(self.literals(DEFINITION), lang)) or lb.text(
            lb.pick(self.literals(COMMENT), lang)
        )


@dataclass
class Terms:
    """Every term of the model, with its labels."""

    by_iri: dict[str, Term]
    labels: lb.Labels

    def get(self, iri: str) -> Term | None:
        """The term ``iri``, if the model declares it."""
        return self.by_iri.get(iri)

    def label(self, iri: str, lang: str) -> lb.Text:
        """The term's label for the reader."""
        return self.labels.get(iri, lang)

    def superclasses(self, iri: str) -> list[str]:
        """``iri`` and every class above it (``rdfs:subClassOf``, transitively), nearest first."""
        seen, queue = [iri], [iri]
        while queue:
            term = self.by_iri.get(queue.pop(0))
            for parent in term.iris(RDFS + "subClassOf") if term else []:
                if parent not in seen:
                    seen.append(parent)
                    queue.append(parent)
        return seen

    def of_type(self, type_iri: str) -> list[Term]:
        """The terms with ``rdf:type`` ``type_iri``."""
        return [t for t in self.by_iri.values() if type_iri in t.types]

    def concepts_of(self, scheme: str) -> list[Term]:
        """The concepts of a concept scheme."""
        return [t for t in self.by_iri.values() if scheme in t.iris(SKOS + "inScheme")]


def load(select) -> Terms:
    """Read every term with one query; ``select`` is :meth:`wopgraph.endpoint.Backend.select`."""
    by_iri: dict[str, Term] = {}
    labels = lb.Labels()
    for row in select(TERMS_QUERY, max_rows=1_000_000):
        s, p, o = row["s"], row["p"].value, row["o"]
        if not isinstance(s, ox.NamedNode):
            continue
        term = by_iri.setdefault(s.value, Term(s.value))
        if o not in term.values[p]:
            term.values[p].append(o)
        if p in lb.LABEL_PROPERTIES and isinstance(o, ox.Literal):
            labels.add(s.value, p, o)
    return Terms(by_iri, labels)
