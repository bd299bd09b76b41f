"""From a :class:`~wopgraph.describe.Description` to what ``entity.html`` shows.

Properties are laid out as the shapes say (:mod:`wopgraph.layout`): sections by ``sh:group``,
rows by ``sh:order``, named by ``sh:name`` in the reader's language; properties no shape
covers follow in an "other" section, named by the ontology's label for them (never a raw
IRI). Linked entities show their label; numbers, dates and durations are formatted for the
reader; text in another language than the reader's is marked with its ``lang``. A curation
note that starts with a property (``wop:selfFinancedFor P12Y: ...``) is shown next to the fact
it explains; the others stay in the sources-and-curation section.

Values and texts render themselves as HTML here (:func:`value_html`, :func:`text_html`;
``{{ v }}`` in a template calls ``Value.__html__``) rather than in Jinja macros: a page shows
dozens of them, and a macro call costs more than the string it makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import g
from markupsafe import Markup, escape

from wopgraph import iris
from wopgraph import labels as lb
from wopgraph.describe import Description, Incoming
from wopgraph.layout import OTHER_GROUP, Group
from wopgraph.namespaces import PREFIXES
from wopgraph.web import formatting
from wopgraph.web.i18n import translate
from wopgraph.web.site import Site

WOP = PREFIXES["wop"]
CURATION_NOTE = WOP + "curationNote"
CONFIDENCE = WOP + "confidence"
NUMERIC_VALUE = PREFIXES["qudt"] + "numericValue"
UNIT = PREFIXES["qudt"] + "unit"
UNIT_NUM = "http://qudt.org/vocab/unit/NUM"
RDF_TYPE = PREFIXES["rdf"] + "type"
#: Text shown for the entity under its name: the first of these in the reader's language.
SUMMARY_PROPERTIES = (PREFIXES["dcterms"] + "description", PREFIXES["skos"] + "definition")
#: Outbound links recognised by their IRI: pattern -> name of the dataset.
OUTBOUND = (
    (re.compile(r"^https?://www\.wikidata\.org/entity/(Q\d+)$"), "Wikidata"),
    (re.compile(r"^https?://sws\.geonames\.org/(\d+)/?$"), "GeoNames"),
)
_NOTE_SUBJECT = re.compile(r"^([a-z][\w-]*):([A-Za-z][\w-]*)\b")


@dataclass
class Value:
    """One value of a property, ready to show."""

    text: str
    lang: str = ""
    href: str | None = None
    external: bool = False
    css: str = ""
    rows: list[Row] = field(default_factory=list)

    def __html__(self) -> str:
        """The value as HTML for the current request's reader (``{{ v }}`` in a template)."""
        return value_html(self, getattr(g, "lang", ""))


@dataclass
class Row:
    """One property of the entity: its name, its values, and the notes that explain it."""

    path: str
    name: lb.Text
    description: lb.Text | None
    values: list[Value]
    notes: list[lb.Text] = field(default_factory=list)


@dataclass
class SectionView:
    """A section of the page (a property group)."""

    id: str
    title: lb.Text
    comment: lb.Text | None
    rows: list[Row]


@dataclass
class IncomingView:
    """The entities linking to this one by one property, one page of them."""

    prop: str
    name: lb.Text
    total: int
    items: list[Value]
    page: int
    pages: int
    kind: lb.Text | None = None
    lang: str = ""
    """The reader's language."""

    @property
    def heading(self) -> Markup:
        """The group's title: "Partnership as “mentor”", or "As “mentor”" (kinds differ)."""
        quoted = (
            f"{escape(translate('quote.open'))}{text_html(self.name, self.lang)}"
            f"{escape(translate('quote.close'))}"
        )
        if self.kind:
            as_ = escape(translate("entity.as").lower())
            kind = text_html(self.kind, self.lang)
            return Markup(f'{kind} <span class="hint">{as_} {quoted}</span>')
        return Markup(f"{escape(translate('entity.as'))} {quoted}")

    @property
    def items_html(self) -> Markup:
        """The linking entities as list items (a hub's page lists a hundred)."""
        return Markup("".join(f"<li>{value_html(v, self.lang)}</li>" for v in self.items))


def text_html(text: lb.Text | None, page_lang: str) -> Markup:
    """A text, escaped, in a ``<span lang>`` when its language is not the page's."""
    if not text:
        return Markup("")
    value, lang = escape(getattr(text, "value", "")), getattr(text, "lang", "")
    if lang and lang != page_lang:
        return Markup(f'<span lang="{escape(lang)}">{value}</span>')
    return value


def value_html(v: Value, page_lang: str) -> Markup:
    """A value: a link, a text (``lang`` marked when not the page's), or a blank node's rows."""
    if v.rows:
        rows = "".join(
            f"<div><dt>{text_html(r.name, page_lang)}</dt>"
            f"<dd>{', '.join(value_html(x, page_lang) for x in r.values)}</dd></div>"
            for r in v.rows
        )
        return Markup(f'<dl class="nested">{rows}</dl>')
    attributes = f' href="{escape(v.href)}"' if v.href else ""
    if v.css:
        attributes += f' class="{escape(v.css)}"'
    if v.href and v.external:
        attributes += ' rel="external"'
    if v.lang and v.lang != page_lang:
        attributes += f' lang="{escape(v.lang)}"'
    tag = "a" if v.href else "span"
    return Markup(f"<{tag}{attributes}>{escape(v.text)}</{tag}>")


def outbound(iri: str) -> str | None:
    """A readable name for a link to a known dataset (``Wikidata Q1028``), if it is one."""
    for pattern, dataset in OUTBOUND:
        match = pattern.match(iri)
        if match:
            return f"{dataset} {match.group(1)}"
    return None


def property_name(site: Site, path: str, lang: str) -> lb.Text:
    """A property's name: the shapes' ``sh:name``, else the ontology's label, else its CURIE."""
    name = site.shapes.name_of(path, lang)
    if name:
        return name
    if site.terms.labels.knows(path):
        return site.terms.label(path, lang)
    return lb.Text(iris.curie(path) or iris.readable(path))


def link(site: Site, iri: str, lang: str, labels: lb.Labels | None = None) -> Value:
    """A link to ``iri`` showing its label (outbound links show the dataset's name)."""
    href = site.href(iri)
    external = not href.startswith("/")
    on_page = labels is not None and labels.knows(iri)
    if external and not on_page and not site.terms.labels.knows(iri):
        return Value(outbound(iri) or iri, href=iri, external=True)
    label = labels.get(iri, lang) if on_page else site.terms.label(iri, lang)
    css = "badge badge-" + iris.local_name(iri) if _is_concept(site, iri) else ""
    return Value(label.value, label.lang, href, external, css)


def _is_concept(site: Site, iri: str) -> bool:
    """Whether ``iri`` is a concept of one of the vocabularies (shown as a badge)."""
    term = site.terms.get(iri)
    return term is not None and PREFIXES["skos"] + "Concept" in term.types


def _same_language(literals: list[ox.Literal], lang: str) -> list[ox.Literal]:
    """Of several language-tagged literals, those in the best language for the reader."""
    tagged = [lit for lit in literals if lit.language]
    if not tagged:
        return literals
    best = lb.pick(tagged, lang)
    chosen = [lit for lit in literals if lit.language in (None, "", best.language)]
    return chosen or literals


def values(site: Site, desc: Description, subject, prop: str, lang: str) -> list[Value]:
    """The values of ``prop`` for ``subject`` (the entity or one of its blank nodes)."""
    found = desc.objects(subject, prop)
    literals = _same_language([o for o in found if isinstance(o, ox.Literal)], lang)
    out: list[Value] = []
    for obj in found:
        if isinstance(obj, ox.NamedNode):
            out.append(link(site, obj.value, lang, desc.labels))
        elif isinstance(obj, ox.BlankNode):
            out.append(blank_value(site, desc, obj, lang))
        elif obj in literals:
            text = formatting.literal(obj, lang)
            out.append(Value(text, obj.language or ""))
    return out


def blank_value(site: Site, desc: Description, node: ox.BlankNode, lang: str) -> Value:
    """A blank node: a quantity as "2,500,000 cubic metre per day", else its own rows."""
    numbers = desc.values(NUMERIC_VALUE, node)
    if numbers and isinstance(numbers[0], ox.Literal):
        text = formatting.literal(numbers[0], lang)
        units = [u.value for u in desc.values(UNIT, node) if isinstance(u, ox.NamedNode)]
        if units and units[0] != UNIT_NUM:
            text += " " + site.label(units[0], lang, desc.labels).value
        return Value(text, css="quantity")
    rows = [
        Row(p, property_name(site, p, lang), None, values(site, desc, node, p, lang))
        for p in desc.properties(node)
        if p != RDF_TYPE
    ]
    return Value("", rows=rows)


def note_subject(note: str) -> str | None:
    """The property a curation note is about, when it starts with its CURIE."""
    match = _NOTE_SUBJECT.match(note)
    if match and match.group(1) in PREFIXES:
        return PREFIXES[match.group(1)] + match.group(2)
    return None


def sections(site: Site, desc: Description, lang: str) -> list[SectionView]:
    """The entity's properties, laid out by the shapes, with notes next to their facts."""
    node = ox.NamedNode(desc.iri)
    present = [p for p in desc.properties() if p != RDF_TYPE]
    classes = [c for t in desc.types for c in site.terms.superclasses(t)]
    laid_out = site.shapes.sections(classes, set(present))
    covered = {shape.path for s in laid_out for shape in s.properties}
    notes = [o for o in desc.values(CURATION_NOTE) if isinstance(o, ox.Literal)]
    attached: dict[str, list[lb.Text]] = {}
    for note in notes:
        about = note_subject(note.value)
        if about in present and about != CURATION_NOTE:
            attached.setdefault(about, []).append(lb.Text(note.value, note.language or ""))
    loose = [n for n in notes if note_subject(n.value) not in attached]

    def row_values(path: str) -> list[Value]:
        if path == CURATION_NOTE:
            return [Value(n.value, n.language or "") for n in loose]
        return values(site, desc, node, path, lang)

    out: list[SectionView] = []
    for section in laid_out:
        rows = []
        for shape in section.properties:
            vals = row_values(shape.path)
            if vals:
                name = shape.name(lang) or property_name(site, shape.path, lang)
                rows.append(
                    Row(
                        shape.path,
                        name,
                        shape.description(lang),
                        vals,
                        attached.get(shape.path, []),
                    )
                )
        if rows:
            out.append(_section_view(section.group, rows, lang))
    others = [p for p in present if p not in covered]
    if others:
        rows = [
            Row(
                p,
                property_name(site, p, lang),
                _definition(site, p, lang),
                row_values(p),
                attached.get(p, []),
            )
            for p in others
        ]
        rows = [r for r in rows if r.values]
        out.append(_section_view(site.shapes.group(OTHER_GROUP), rows, lang))
    return sorted(out, key=lambda s: _order(site, s.id))


def _definition(site: Site, path: str, lang: str) -> lb.Text | None:
    """The ontology's definition of a property, for the row's explanation."""
    term = site.terms.get(path)
    return term.definition(lang) if term else None


def _order(site: Site, section_id: str) -> float:
    """The order of a section, by its group."""
    for iri, group in site.shapes.groups.items():
        if iris.local_name(iri) == section_id:
            return group.order
    return site.shapes.group(OTHER_GROUP).order


def _section_view(group: Group, rows: list[Row], lang: str) -> SectionView:
    """A section view for ``group``."""
    if group.iri == OTHER_GROUP:
        return SectionView("other", lb.Text(translate("entity.other")), None, rows)
    title = group.label(lang) or lb.Text(iris.readable(group.iri))
    return SectionView(iris.local_name(group.iri), title, group.comment(lang), rows)


def incoming(site: Site, desc: Description, lang: str) -> list[IncomingView]:
    """The incoming links, by property, largest groups last (hubs' long lists at the end)."""
    views = []
    for group in sorted(desc.incoming, key=lambda g: (g.total, g.prop)):
        items = [link(site, s, lang, desc.labels) for s in group.subjects]
        views.append(_incoming_view(site, desc, group, items, lang))
    return views


def _incoming_view(
    site: Site, desc: Description, group: Incoming, items: list[Value], lang: str
) -> IncomingView:
    """One incoming group as shown, with the kind of the linking entities when they share one."""
    name = property_name(site, group.prop, lang)
    kinds = {tuple(desc.subject_types.get(s, ())) for s in group.subjects}
    kind = None
    if len(kinds) == 1 and (only := next(iter(kinds))):
        kind = site.terms.label(only[0], lang)
    return IncomingView(group.prop, name, group.total, items, group.page, group.pages, kind, lang)


def summary(desc: Description, lang: str) -> lb.Text | None:
    """The short text shown under the entity's name (its description or definition)."""
    for prop in SUMMARY_PROPERTIES:
        found = [o for o in desc.values(prop) if isinstance(o, ox.Literal)]
        if found:
            return lb.text(lb.pick(found, lang))
    return None


def kinds(site: Site, desc: Description, lang: str) -> list[Value]:
    """The entity's classes, linked to their documentation."""
    return [link(site, t, lang) for t in desc.types]
