"""What is in the graph, by kind: counts, lists with facets, and the rows of a list page.

A *kind* is a class with instances (``wop:Partnership`` -> ``partnership``). A list page
filters the instances of one kind by facets (country, improvement area, track status,
financing, ...), declared per class in :data:`FACETS` as a graph pattern from ``?e`` to the
facet's value ``?v``. Values chosen within one facet are alternatives (OR); facets combine
(AND). Each list page costs three bounded queries: the count and one page of entities, the
facet counts (one ``GROUP BY`` over all facets), and the rows' details.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from wopgraph import labels as lb
from wopgraph.describe import fetch_labels, iri_ref, is_label
from wopgraph.iris import local_name
from wopgraph.namespaces import PREFIXES

WOP = PREFIXES["wop"]
CLASS_COUNTS = "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"


@dataclass(frozen=True)
class Facet:
    """A way to narrow a list: its name in URLs and the pattern from ``?e`` to a value ``?v``."""

    name: str
    pattern: str


COUNTRY = Facet("country", "?e (wop:mentor|wop:mentee)/wop:country ?v")
#: Facets of each class (by class IRI).
FACETS: dict[str, tuple[Facet, ...]] = {
    WOP + "Partnership": (
        COUNTRY,
        Facet("area", "?e wop:targetsArea ?v"),
        Facet("status", "?e wop:hasTrack/wop:trackStatus ?v"),
        Facet("financing", "?e wop:financingModel ?v"),
        Facet("facilitation", "?e wop:facilitationMode ?v"),
    ),
    WOP + "Operator": (
        Facet("country", "?e wop:country ?v"),
        Facet("service", "?e wop:providesService ?v"),
    ),
    WOP + "ImprovementTrack": (
        Facet("status", "?e wop:trackStatus ?v"),
        Facet("area", "?e wop:improvementArea ?v"),
    ),
    WOP + "Motivation": (Facet("kind", "?e wop:motivationKind ?v"),),
    WOP + "Challenge": (Facet("kind", "?e wop:challengeKind ?v"),),
    WOP + "SuccessFactor": (Facet("kind", "?e wop:successFactorKind ?v"),),
    WOP + "IndicatorFigure": (
        Facet("indicator", "?e sosa:observedProperty ?v"),
        Facet("scope", "?e wop:scope ?v"),
    ),
}
#: What a list row shows besides the name, per class.
ROW_PROPERTIES: dict[str, tuple[str, ...]] = {
    WOP + "Partnership": (WOP + "mentor", WOP + "mentee", WOP + "financingModel"),
    WOP + "Operator": (WOP + "country", WOP + "providesService"),
    WOP + "ImprovementTrack": (WOP + "trackStatus", WOP + "improvementArea"),
    WOP + "Country": (PREFIXES["dcterms"] + "identifier",),
}
_SLUG = re.compile(r"(?<!^)(?=[A-Z])")


def slug(class_iri: str) -> str:
    """The kind's name in URLs: ``wop:ImprovementTrack`` -> ``improvement-track``."""
    return _SLUG.sub("-", local_name(class_iri)).lower()


def class_counts(select) -> dict[str, int]:
    """Instances per class."""
    return {r["c"].value: int(r["n"].value) for r in select(CLASS_COUNTS, max_rows=10**6)}


def _filters(facets: tuple[Facet, ...], chosen: dict[str, list[str]]) -> str:
    """Graph patterns keeping the entities that have the chosen values of each facet."""
    parts = []
    for i, facet in enumerate(facets):
        values = chosen.get(facet.name) or []
        if values:
            var = f"?f{i}"
            listed = " ".join(iri_ref(v) for v in values)
            parts.append(f"{facet.pattern.replace('?v', var)} . VALUES {var} {{ {listed} }}")
    return "\n".join(parts)


def members_query(cls: str, facets, chosen, limit: int, offset: int) -> str:
    """One page of the class's instances (ordered by IRI) and, on each row, the total."""
    where = f"?e a {iri_ref(cls)} .\n{_filters(facets, chosen)}"
    return f"""
SELECT ?e ?total WHERE {{
  {{ SELECT (COUNT(DISTINCT ?e) AS ?total) WHERE {{ {where} }} }}
  {{ SELECT DISTINCT ?e WHERE {{ {where} }} ORDER BY ?e LIMIT {limit} OFFSET {offset} }}
}} ORDER BY ?e"""


def count_query(cls: str, facets, chosen) -> str:
    """How many instances pass the filters."""
    return (
        f"SELECT (COUNT(DISTINCT ?e) AS ?total) WHERE {{ ?e a {iri_ref(cls)} .\n"
        f"{_filters(facets, chosen)} }}"
    )


def facets_query(cls: str, facets, chosen) -> str:
    """Counts per value of every facet, among the filtered instances."""
    branches = " UNION ".join(f'{{ BIND("{f.name}" AS ?f) {f.pattern} }}' for f in facets)
    return f"""
SELECT ?f ?v (COUNT(DISTINCT ?e) AS ?n) WHERE {{
  ?e a {iri_ref(cls)} .
  {_filters(facets, chosen)}
  {branches}
}} GROUP BY ?f ?v"""


def rows_query(iris: list[str], props: tuple[str, ...]) -> str:
    """Labels and row properties of the listed entities, with labels of IRI values."""
    wanted = ", ".join(iri_ref(p) for p in props)
    return f"""
SELECT ?e ?p ?o ?lp ?l WHERE {{
  VALUES ?e {{ {" ".join(iri_ref(i) for i in iris)} }}
  {{ ?e ?p ?o . {is_label()} }}
  UNION {{ ?e ?p ?o . FILTER(?p IN ({wanted or "<urn:x-none>"}))
           OPTIONAL {{ ?o ?lp ?l . FILTER(isIRI(?o)) {is_label("?lp")} }} }}
}}"""


@dataclass
class Listing:
    """One page of a list: the entities, their row values, the total and the facet counts."""

    entities: list[str]
    total: int
    values: dict[str, dict[str, list]] = field(default_factory=dict)
    labels: lb.Labels = field(default_factory=lb.Labels)
    facets: FacetCounts | None = None


def count_facets(select, cls: str, chosen: dict[str, list[str]]) -> FacetCounts:
    """facet -> value -> how many of the filtered instances have it; and the values' labels."""
    facets = FACETS.get(cls, ())
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if facets:
        for r in select(facets_query(cls, facets, chosen), max_rows=100_000):
            counts[r["f"].value][r["v"].value] = int(r["n"].value)
    values = [v for per_facet in counts.values() for v in per_facet]
    return FacetCounts(dict(counts), fetch_labels(select, values))


@dataclass
class FacetCounts:
    """Counts per facet value, and the labels of the values."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    labels: lb.Labels = field(default_factory=lb.Labels)


def listing(
    select, cls: str, chosen: dict[str, list[str]], limit: int, offset: int, facet_counts=None
) -> Listing:
    """The page of ``cls``'s list; ``facet_counts`` (cached by the caller) skips that query."""
    facets = FACETS.get(cls, ())
    rows = select(members_query(cls, facets, chosen, limit, offset), max_rows=limit + 1)
    entities = [r["e"].value for r in rows if "e" in r]
    total = int(rows[0]["total"].value) if rows else 0
    if not rows:
        found = select(count_query(cls, facets, chosen), max_rows=1)
        total = int(found[0]["total"].value) if found else 0
    result = Listing(entities, total)
    result.facets = facet_counts if facet_counts is not None else count_facets(select, cls, chosen)
    if entities:
        props = ROW_PROPERTIES.get(cls, ())
        values: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for r in select(rows_query(entities, props), max_rows=100_000):
            e, p, o = r["e"].value, r["p"].value, r["o"]
            if p in lb.LABEL_PROPERTIES:
                result.labels.add(e, p, o)
            elif o not in values[e][p]:
                values[e][p].append(o)
            if "l" in r:
                result.labels.add(o.value, r["lp"].value, r["l"])
        result.values = values
    return result
