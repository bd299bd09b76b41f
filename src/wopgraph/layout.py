"""Page layout from the SHACL shapes: which properties a page shows, named how, in what order.

The shapes (``ontology/shapes.ttl``) give every property shape a name and a description in
English and French (``sh:name``, ``sh:description``), a place (``sh:order``) and a section
(``sh:group``, a ``sh:PropertyGroup`` with its own ``rdfs:label`` and ``sh:order``). A page for
an entity of some classes lists the property shapes of the node shapes that target those
classes (or a class above them), grouped and ordered as the shapes say. Some paths have two
shapes (a Violation and a Warning "recommended" one with the same name): a path is laid out
once, where it first appears. The shapes are read in two queries on first use and kept; they
do not change while the server runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from wopgraph import labels as lb

SH = "http://www.w3.org/ns/shacl#"
#: Constraints shown on the ontology pages, in this order.
CONSTRAINTS = [
    "minCount",
    "maxCount",
    "datatype",
    "class",
    "nodeKind",
    "node",
    "hasValue",
    "in",
    "languageIn",
    "uniqueLang",
    "pattern",
    "severity",
]

SHAPES_QUERY = """
SELECT ?class ?shape ?ps ?path ?name ?desc ?order ?group ?gorder ?glabel ?gcomment WHERE {
  ?shape sh:targetClass ?class ; sh:property ?ps .
  ?ps sh:path ?path . FILTER(isIRI(?path))
  OPTIONAL { ?ps sh:name ?name }
  OPTIONAL { ?ps sh:description ?desc }
  OPTIONAL { ?ps sh:order ?order }
  OPTIONAL { ?ps sh:group ?group .
             OPTIONAL { ?group sh:order ?gorder }
             OPTIONAL { ?group rdfs:label ?glabel }
             OPTIONAL { ?group rdfs:comment ?gcomment } }
}
"""
CONSTRAINTS_QUERY = """
SELECT DISTINCT ?ps ?c ?v WHERE {
  ?shape sh:targetClass ?class ; sh:property ?ps .
  ?ps ?c ?x .
  VALUES ?c { CONSTRAINTS sh:message }
  OPTIONAL { ?x rdf:rest*/rdf:first ?item }
  BIND(COALESCE(?item, ?x) AS ?v)
}
""".replace("CONSTRAINTS", " ".join(f"sh:{c}" for c in CONSTRAINTS))

OTHER_GROUP = "urn:wopgraph:other-group"
OTHER_ORDER = 50


@dataclass
class Group:
    """A section of a page (a ``sh:PropertyGroup``)."""

    iri: str
    order: float
    labels: list[ox.Literal] = field(default_factory=list)
    comments: list[ox.Literal] = field(default_factory=list)

    def label(self, lang: str) -> lb.Text | None:
        """The section's title for the reader."""
        return lb.text(lb.pick(self.labels, lang))

    def comment(self, lang: str) -> lb.Text | None:
        """What the section holds."""
        return lb.text(lb.pick(self.comments, lang))


@dataclass
class PropertyShape:
    """One property shape: path, names, description, order, group and constraints."""

    iri: str
    path: str
    order: float = 1000.0
    group: str = OTHER_GROUP
    names: list[ox.Literal] = field(default_factory=list)
    descriptions: list[ox.Literal] = field(default_factory=list)
    constraints: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def name(self, lang: str) -> lb.Text | None:
        """The property's name for the reader (``sh:name``)."""
        return lb.text(lb.pick(self.names, lang))

    def description(self, lang: str) -> lb.Text | None:
        """The property's description for the reader (``sh:description``)."""
        return lb.text(lb.pick(self.descriptions, lang))

    @property
    def is_warning(self) -> bool:
        """Whether this shape only recommends (``sh:severity sh:Warning``)."""
        return any(v.value == SH + "Warning" for v in self.constraints.get("severity", []))


@dataclass
class Section:
    """A laid-out section: the group and its property shapes, in order."""

    group: Group
    properties: list[PropertyShape]


@dataclass
class Shapes:
    """Every property shape, by the classes that its node shapes target."""

    by_class: dict[str, list[PropertyShape]]
    groups: dict[str, Group]
    by_path: dict[str, list[PropertyShape]]

    def classes_using(self, path: str) -> list[str]:
        """The classes whose shapes constrain ``path``."""
        return sorted(
            c for c, shapes in self.by_class.items() if any(s.path == path for s in shapes)
        )

    def for_classes(self, classes: list[str]) -> list[PropertyShape]:
        """The property shapes of ``classes``, one per path (the first, by order), in order."""
        seen: dict[str, PropertyShape] = {}
        for cls in classes:
            for shape in sorted(self.by_class.get(cls, []), key=lambda s: (s.order, s.is_warning)):
                seen.setdefault(shape.path, shape)
        return sorted(seen.values(), key=lambda s: s.order)

    def name_of(self, path: str, lang: str) -> lb.Text | None:
        """A name the shapes give ``path`` anywhere (for incoming links and tables)."""
        for shape in self.by_path.get(path, []):
            name = shape.name(lang)
            if name:
                return name
        return None

    def sections(self, classes: list[str], present: set[str] | None = None) -> list[Section]:
        """The page's sections for an entity of ``classes``, in group order.

        With ``present``, only the paths the entity has are kept (and empty sections dropped).
        """
        grouped: dict[str, list[PropertyShape]] = defaultdict(list)
        for shape in self.for_classes(classes):
            if present is None or shape.path in present:
                grouped[shape.group].append(shape)
        sections = [Section(self.group(g), props) for g, props in grouped.items() if props]
        return sorted(sections, key=lambda s: s.group.order)

    def group(self, iri: str) -> Group:
        """The group ``iri`` (an "other" group for shapes without one)."""
        return self.groups.get(iri) or Group(OTHER_GROUP, OTHER_ORDER)


def _number(term) -> float | None:
    """A numeric literal as a float (``None`` when absent or not a number)."""
    try:
        return float(term.value) if term is not None else None
    except ValueError:
        return None


def load(select) -> Shapes:
    """Read the shapes in two queries; ``select`` is :meth:`wopgraph.endpoint.Backend.select`."""
    shapes: dict[str, PropertyShape] = {}
    groups: dict[str, Group] = {}
    classes: dict[str, list[str]] = defaultdict(list)
    for row in select(SHAPES_QUERY, max_rows=1_000_000):
        ps_key = str(row["ps"])
        shape = shapes.setdefault(ps_key, PropertyShape(ps_key, row["path"].value))
        if ps_key not in classes[row["class"].value]:
            classes[row["class"].value].append(ps_key)
        order = _number(row.get("order"))
        if order is not None:
            shape.order = order
        for key, bucket in (("name", shape.names), ("desc", shape.descriptions)):
            if key in row and row[key] not in bucket:
                bucket.append(row[key])
        if "group" in row:
            shape.group = row["group"].value
            group = groups.setdefault(shape.group, Group(shape.group, 1000.0))
            gorder = _number(row.get("gorder"))
            if gorder is not None:
                group.order = gorder
            for key, bucket in (("glabel", group.labels), ("gcomment", group.comments)):
                if key in row and row[key] not in bucket:
                    bucket.append(row[key])
    for row in select(CONSTRAINTS_QUERY, max_rows=1_000_000):
        shape = shapes.get(str(row["ps"]))
        if shape is not None:
            name = row["c"].value.removeprefix(SH)
            if row["v"] not in shape.constraints[name]:
                shape.constraints[name].append(row["v"])
    by_class = {c: [shapes[k] for k in keys] for c, keys in classes.items()}
    by_path: dict[str, list[PropertyShape]] = defaultdict(list)
    for shape in sorted(shapes.values(), key=lambda s: (s.is_warning, s.order)):
        by_path[shape.path].append(shape)
    return Shapes(by_class, groups, dict(by_path))
