"""The vocabulary documents itself: the ontology page, concept-scheme pages, the shapes' RDF.

``/ontology`` documents every class and property of the model, each in a section whose id is
the term's local name, so the term's own IRI (``https://w3id.org/wop/ontology#Partnership``)
lands on it: what it means in English and French, where it sits (superclass, domain, range),
where it is used (the classes whose shapes constrain it, how many statements use it) and the
shape constraints that apply. Reused terms (``org:member``, ``skos:exactMatch``) follow. A
concept scheme's page (``/vocab/<scheme>``) lists its concepts with their definitions, how
often each is used, and the properties whose values it supplies.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Response, g, render_template

from wopgraph import iris
from wopgraph import labels as lb
from wopgraph.layout import PropertyShape
from wopgraph.namespaces import PREFIXES
from wopgraph.terms import SCHEME, Term
from wopgraph.web import entity_view
from wopgraph.web.i18n import translate
from wopgraph.web.site import Site, site

ONTOLOGY_GRAPH = "graph/ontology"
SHAPES_GRAPH = "graph/shapes"
CLASS_COUNTS = "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
PROPERTY_COUNTS = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
CONCEPT_USE = (
    "SELECT ?c (COUNT(?s) AS ?n) WHERE {{ ?c skos:inScheme <{scheme}> . ?s ?p ?c . "
    "FILTER(?p != skos:inScheme && ?p != skos:hasTopConcept && ?p != skos:topConceptOf) }} "
    "GROUP BY ?c"
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _counts(s: Site, key: str, query: str) -> dict[str, int]:
    """Counts by IRI from a ``GROUP BY`` query, cached for the process."""

    def make() -> dict[str, int]:
        rows = s.backend.select(query, max_rows=10**6)
        return {r[next(iter(r))].value: int(r["n"].value) for r in rows}

    return s.cached(key, make)


def graph_triples(s: Site, graph: str) -> list[ox.Triple]:
    """The triples of one of the model's named graphs (cached)."""

    def make() -> list[ox.Triple]:
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{s.base}{graph}> {{ ?s ?p ?o }} }}"
        return s.backend.construct(query, max_rows=10**7)

    return s.cached("graph:" + graph, make)


def is_version(s: Site, version: str) -> bool:
    """Whether ``/ontology/<version>`` is the ontology's version IRI."""
    ontology = s.terms.get(s.base + "ontology")
    return ontology is not None and (s.base + "ontology/" + version) in ontology.iris(
        PREFIXES["owl"] + "versionIRI"
    )


def constraint_phrases(s: Site, shape: PropertyShape, lang: str) -> list[entity_view.Value]:
    """The constraints of a property shape in words ("at least 1", "a Water operator", ...)."""
    out: list[entity_view.Value] = []
    c = shape.constraints
    for key in ("minCount", "maxCount"):
        for v in c.get(key, []):
            out.append(entity_view.Value(f"{translate('constraint.' + key)} {v.value}"))
    for v in c.get("class", []):
        label = entity_view.link(s, v.value, lang)
        out.append(
            entity_view.Value(f"{translate('constraint.class')} {label.text}", href=label.href)
        )
    for v in c.get("node", []):
        scheme = _scheme_of_node_shape(s, v.value)
        if scheme:
            label = s.label(scheme, lang)
            href = s.href(scheme)
            out.append(
                entity_view.Value(f"{translate('constraint.scheme')} {label.value}", href=href)
            )
    for v in c.get("datatype", []):
        out.append(entity_view.Value(f"{translate('constraint.datatype')} {iris.curie(v.value)}"))
    for v in c.get("nodeKind", []):
        out.append(entity_view.Value(translate("constraint.kind." + iris.local_name(v.value))))
    languages = [v.value for v in c.get("languageIn", []) if isinstance(v, ox.Literal)]
    if languages:
        out.append(entity_view.Value(f"{translate('constraint.languages')} {', '.join(languages)}"))
    if any(v.value == "true" for v in c.get("uniqueLang", [])):
        out.append(entity_view.Value(translate("constraint.uniqueLang")))
    for v in c.get("hasValue", []):
        out.append(
            entity_view.Value(f"{translate('constraint.hasValue')} {s.label(v.value, lang).value}")
        )
    if shape.is_warning:
        out.append(
            entity_view.Value(translate("constraint.recommended"), css="badge badge-planned")
        )
    return out


def _scheme_of_node_shape(s: Site, node_shape: str) -> str | None:
    """The concept scheme a ``wopsh:In<Scheme>Scheme`` node shape stands for, if any."""
    name = iris.local_name(node_shape)
    if not (name.startswith("In") and name.endswith("Scheme")):
        return None
    slug = _CAMEL.sub("-", name[2:-6]).lower()
    scheme = f"{s.base}vocab/{slug}"
    return scheme if s.terms.get(scheme) is not None else None


def _term_view(s: Site, term: Term, lang: str, counts: dict[str, int]) -> dict:
    """What the ontology page shows for one term."""
    other = "fr" if lang == "en" else "en"
    rdfs = PREFIXES["rdfs"]
    shapes = s.shapes
    if term.is_class:
        used = [
            {
                "shape": sh,
                "name": entity_view.property_name(s, sh.path, lang),
                "href": s.href(sh.path),
                "constraints": constraint_phrases(s, sh, lang),
            }
            for sh in shapes.for_classes([term.iri])
        ]
        in_classes: list = []
    else:
        used = []
        in_classes = [
            {
                "class": entity_view.link(s, cls, lang),
                "constraints": [
                    v
                    for sh in shapes.by_class[cls]
                    if sh.path == term.iri
                    for v in constraint_phrases(s, sh, lang)
                ],
            }
            for cls in shapes.classes_using(term.iri)
        ]
    return {
        "iri": term.iri,
        "anchor": iris.anchor(term.iri),
        "curie": iris.curie(term.iri) or term.iri,
        "label": s.terms.label(term.iri, lang),
        "other_label": s.terms.label(term.iri, other),
        "definition": term.definition(lang),
        "other_definition": term.definition(other),
        "parents": [entity_view.link(s, p, lang) for p in term.iris(rdfs + "subClassOf")]
        + [entity_view.link(s, p, lang) for p in term.iris(rdfs + "subPropertyOf")],
        "domain": [entity_view.link(s, p, lang) for p in term.iris(rdfs + "domain")],
        "range": [entity_view.link(s, p, lang) for p in term.iris(rdfs + "range")],
        "count": counts.get(term.iri, 0),
        "properties": used,
        "in_classes": in_classes,
        "defined_by": term.iris(rdfs + "isDefinedBy"),
    }


def ontology_page(s: Site) -> str:
    """The HTML of ``/ontology``."""
    lang = g.lang
    own = s.base + "ontology"
    class_counts = _counts(s, "class-counts", CLASS_COUNTS)
    property_counts = _counts(s, "property-counts", PROPERTY_COUNTS)

    def views(terms: list[Term], counts: dict[str, int]) -> list[dict]:
        ordered = sorted(terms, key=lambda t: s.terms.label(t.iri, lang).value.casefold())
        return [_term_view(s, t, lang, counts) for t in ordered]

    mine = [t for t in s.terms.by_iri.values() if own in t.iris(PREFIXES["rdfs"] + "isDefinedBy")]
    reused = [t for t in s.terms.by_iri.values() if t not in mine and (t.is_class or t.is_property)]
    ontology = s.terms.get(own)
    schemes = sorted(s.terms.of_type(SCHEME), key=lambda t: s.terms.label(t.iri, lang).value)
    return render_template(
        "ontology.html",
        ontology=ontology,
        title=s.terms.label(own, lang),
        description=_literal(ontology, PREFIXES["dcterms"] + "description", lang),
        classes=views([t for t in mine if t.is_class], class_counts),
        properties=views([t for t in mine if t.is_property], property_counts),
        reused_classes=views([t for t in reused if t.is_class], class_counts),
        reused_properties=views([t for t in reused if t.is_property], property_counts),
        schemes=[
            {
                "href": s.href(t.iri),
                "label": s.terms.label(t.iri, lang),
                "definition": t.definition(lang),
                "size": len(s.terms.concepts_of(t.iri)),
            }
            for t in schemes
        ],
        alternates=_alternates("/ontology"),
    )


def _literal(term: Term | None, prop: str, lang: str) -> lb.Text | None:
    """A term's literal value of ``prop`` in the reader's language."""
    return lb.text(lb.pick(term.literals(prop), lang)) if term else None


def _alternates(path: str):
    """The format links of ``path``."""
    from wopgraph.web.entities import alternates

    return alternates(path)


def render_ontology(path: str, fmt, headers: dict[str, str]) -> Response:
    """``/ontology`` as a page or as the ontology graph's RDF."""
    from wopgraph.web.entities import rdf_response

    s = site()
    if fmt.name != "html":
        return rdf_response(graph_triples(s, ONTOLOGY_GRAPH), fmt, headers)
    response = Response(ontology_page(s), content_type="text/html; charset=utf-8")
    response.headers.update(headers)
    return response


def render_shapes(path: str, fmt, headers: dict[str, str]) -> Response | None:
    """``/shapes`` as RDF (the shapes graph)."""
    from wopgraph.web.entities import rdf_response

    triples = graph_triples(site(), SHAPES_GRAPH)
    return rdf_response(triples, fmt, headers) if triples else None


def scheme_page(s: Site, desc, path: str, alternates) -> str:
    """The page of a concept scheme: its concepts, how often each is used, who uses it."""
    lang = g.lang
    uses = _counts(s, "scheme-use:" + desc.iri, CONCEPT_USE.format(scheme=desc.iri))
    concepts = sorted(s.terms.concepts_of(desc.iri), key=lambda t: s.terms.label(t.iri, lang).value)
    skos = PREFIXES["skos"]
    rows = [
        {
            "link": entity_view.link(s, t.iri, lang),
            "definition": t.definition(lang),
            "notation": ", ".join(lit.value for lit in t.literals(skos + "notation")),
            "matches": [
                entity_view.link(s, m, lang)
                for p in ("exactMatch", "closeMatch", "relatedMatch")
                for m in t.iris(skos + p)
            ],
            "count": uses.get(t.iri, 0),
        }
        for t in concepts
    ]
    used_by = []
    for path_iri, shapes in s.shapes.by_path.items():
        for shape in shapes:
            if any(
                _scheme_of_node_shape(s, n.value) == desc.iri
                for n in shape.constraints.get("node", [])
            ):
                used_by.append(entity_view.link(s, path_iri, lang))
                break
    return render_template(
        "scheme.html",
        iri=desc.iri,
        title=desc.labels.get(desc.iri, lang),
        summary=entity_view.summary(desc, lang),
        concepts=rows,
        used_by=used_by,
        alternates=alternates,
    )
