"""The partnership page: the case at a glance, then every fact as the shapes lay them out.

At a glance: the mentor and the mentee side by side, with their countries, services and key
figures; how the partnership works (origin, financing, facilitation, agreements); the phases
on a timeline, each with its tracks, their status badges and results; motivations,
challenges and success factors; quotations. Confidence badges and curation notes sit next to
the figures, motivations and tracks they qualify. :func:`summary` is shared with the
comparison page.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import g, render_template

from wopgraph import casefile, rdfdoc
from wopgraph import labels as lb
from wopgraph.namespaces import PREFIXES
from wopgraph.web import entity_view, formatting
from wopgraph.web.entity_view import Value, link
from wopgraph.web.site import Site

WOP = PREFIXES["wop"]
DCT = PREFIXES["dcterms"]
SKOS = PREFIXES["skos"]
SCHEMA = PREFIXES["schema"]
SOSA = PREFIXES["sosa"]
QUDT = PREFIXES["qudt"]
TIME_BEFORE = PREFIXES["time"] + "intervalBefore"
UNIT_NUM = "http://qudt.org/vocab/unit/NUM"


def _text(graph: casefile.Graph, s, p: str, lang: str) -> lb.Text | None:
    """A literal of ``s p ?`` in the reader's language."""
    return lb.text(lb.pick(graph.literals(s, p), lang))


def _links(site: Site, graph: casefile.Graph, s, p: str, lang: str) -> list[Value]:
    """Links to the IRI objects of ``s p ?``."""
    return [link(site, o, lang, graph.labels) for o in graph.iris(s, p)]


def _notes(graph: casefile.Graph, s) -> list[lb.Text]:
    """The curation notes of ``s``."""
    return [lb.Text(n.value, n.language or "") for n in graph.literals(s, WOP + "curationNote")]


def _confidence(site: Site, graph: casefile.Graph, s, lang: str) -> Value | None:
    """The confidence badge of ``s``, if it has one."""
    found = _links(site, graph, s, WOP + "confidence", lang)
    return found[0] if found else None


def quantity(site: Site, graph: casefile.Graph, node, lang: str) -> str | None:
    """A quantity blank node as "2,500,000 cubic metre per day"."""
    number = graph.first(node, QUDT + "numericValue")
    if not isinstance(number, ox.Literal):
        return None
    text = formatting.literal(number, lang)
    unit = graph.iris(node, QUDT + "unit")
    if unit and unit[0] != UNIT_NUM:
        text += " " + site.label(unit[0], lang, graph.labels).value
    return text


def partner(site: Site, graph: casefile.Graph, iri: str, role: str, lang: str) -> dict:
    """One partner's card: name, official name, country, services, figures."""
    figures = []
    for fig in graph.iris(iri, WOP + "hasFigure"):
        result = graph.first(fig, SOSA + "hasResult")
        indicator = graph.iris(fig, SOSA + "observedProperty")
        figures.append(
            {
                "link": link(site, fig, lang, graph.labels),
                "indicator": site.label(indicator[0], lang, graph.labels) if indicator else None,
                "value": quantity(site, graph, result, lang) if result is not None else None,
                "scope": _links(site, graph, fig, WOP + "scope", lang),
                "confidence": _confidence(site, graph, fig, lang),
                "notes": _notes(graph, fig),
            }
        )
    return {
        "role": role,
        "link": link(site, iri, lang, graph.labels),
        "official": _text(graph, iri, SKOS + "prefLabel", lang),
        "description": _text(graph, iri, DCT + "description", lang),
        "country": _links(site, graph, iri, WOP + "country", lang),
        "services": _links(site, graph, iri, WOP + "providesService", lang),
        "figures": figures,
    }


def _phase_order(graph: casefile.Graph, phases: list[str]) -> list[str]:
    """Phases by ``wop:phaseNumber``, else by ``time:intervalBefore`` chains, else by IRI."""

    def number(p: str) -> float:
        n = graph.first(p, WOP + "phaseNumber")
        try:
            return float(n.value) if n is not None else float("inf")
        except ValueError:
            return float("inf")

    later = {a: set(graph.iris(a, TIME_BEFORE)) for a in phases}
    return sorted(phases, key=lambda p: (number(p), -len(later.get(p, ())), p))


def track(site: Site, graph: casefile.Graph, iri: str, lang: str) -> dict:
    """A track: name, status badge, area, objective, results."""
    results = []
    for r in graph.iris(iri, WOP + "hasResult"):
        q = graph.first(r, WOP + "quantity")
        results.append(
            {
                "link": link(site, r, lang, graph.labels),
                "text": _text(graph, r, DCT + "description", lang),
                "value": quantity(site, graph, q, lang) if q is not None else None,
            }
        )
    return {
        "link": link(site, iri, lang, graph.labels),
        "status": _links(site, graph, iri, WOP + "trackStatus", lang),
        "area": _links(site, graph, iri, WOP + "improvementArea", lang),
        "objective": _text(graph, iri, WOP + "objective", lang),
        "results": results,
        "confidence": _confidence(site, graph, iri, lang),
        "notes": _notes(graph, iri),
    }


def _items(site: Site, graph: casefile.Graph, p: str, iri: str, kind: str, lang: str) -> list:
    """Motivations, challenges or success factors: label, text, kind badge, holder, notes."""
    out = []
    for item in graph.iris(iri, p):
        out.append(
            {
                "link": link(site, item, lang, graph.labels),
                "text": _text(graph, item, DCT + "description", lang),
                "kind": _links(site, graph, item, WOP + kind, lang),
                "holder": _links(site, graph, item, WOP + "heldBy", lang),
                "confidence": _confidence(site, graph, item, lang),
                "notes": _notes(graph, item),
            }
        )
    return out


def summary(site: Site, graph: casefile.Graph, iri: str, lang: str) -> dict:
    """Everything about the partnership that the page and the comparison show."""
    tracks = [track(site, graph, t, lang) for t in graph.iris(iri, WOP + "hasTrack")]
    phases = []
    placed = set()
    for ph in _phase_order(graph, graph.iris(iri, WOP + "hasPhase")):
        in_phase = [
            t
            for t, iri_t in zip(tracks, graph.iris(iri, WOP + "hasTrack"), strict=True)
            if ph in graph.iris(iri_t, WOP + "inPhase")
        ]
        placed.update(id(t) for t in in_phase)
        phases.append(
            {
                "link": link(site, ph, lang, graph.labels),
                "text": _text(graph, ph, DCT + "description", lang),
                "tracks": in_phase,
                "notes": _notes(graph, ph),
            }
        )
    quotes = []
    for q in graph.subjects(SCHEMA + "about", iri):
        quotes.append(
            {
                "text": _text(graph, q, SCHEMA + "text", lang),
                "creator": _links(site, graph, q, SCHEMA + "creator", lang),
                "title": _text(graph, q, WOP + "speakerTitle", lang),
                "organisation": _links(site, graph, q, WOP + "speakerOrganization", lang),
                "link": link(site, q, lang, graph.labels),
            }
        )
    agreements = [
        {
            "link": link(site, a, lang, graph.labels),
            "date": formatting.literal(d, lang) if (d := graph.first(a, DCT + "date")) else None,
        }
        for a in graph.subjects(WOP + "agreementOf", iri)
    ]
    statuses: dict[str, int] = {}
    for t in tracks:
        for st in t["status"]:
            statuses[st.text] = statuses.get(st.text, 0) + 1
    return {
        "iri": iri,
        "link": link(site, iri, lang, graph.labels),
        "description": _text(graph, iri, DCT + "description", lang),
        "mentors": [
            partner(site, graph, m, "mentor", lang) for m in graph.iris(iri, WOP + "mentor")
        ],
        "mentees": [
            partner(site, graph, m, "mentee", lang) for m in graph.iris(iri, WOP + "mentee")
        ],
        "origin": _links(site, graph, iri, WOP + "origin", lang),
        "origin_note": _text(graph, iri, WOP + "originNote", lang),
        "financing": _links(site, graph, iri, WOP + "financingModel", lang),
        "financing_note": _text(graph, iri, WOP + "financingNote", lang),
        "self_financed_for": [
            formatting.literal(v, lang) for v in graph.literals(iri, WOP + "selfFinancedFor")
        ],
        "funders": _links(site, graph, iri, WOP + "funder", lang),
        "facilitation": _links(site, graph, iri, WOP + "facilitationMode", lang),
        "facilitators": _links(site, graph, iri, WOP + "facilitator", lang),
        "formal_agreement": [
            formatting.literal(v, lang) for v in graph.literals(iri, WOP + "hasFormalAgreement")
        ],
        "agreements": agreements,
        "approach": _text(graph, iri, WOP + "approach", lang),
        "areas": _links(site, graph, iri, WOP + "targetsArea", lang),
        "phases": phases,
        "unphased": [t for t in tracks if id(t) not in placed],
        "tracks": tracks,
        "statuses": statuses,
        "motivations": _items(site, graph, WOP + "hasMotivation", iri, "motivationKind", lang),
        "challenges": _items(site, graph, WOP + "facedChallenge", iri, "challengeKind", lang),
        "success_factors": _items(
            site, graph, WOP + "hasSuccessFactor", iri, "successFactorKind", lang
        ),
        "quotes": quotes,
        "documents": _links(site, graph, iri, WOP + "documentedIn", lang),
        "programmes": _links(site, graph, iri, WOP + "documentedBy", lang),
        "confidence": _confidence(site, graph, iri, lang),
    }


def case(site: Site, iri: str, lang: str) -> dict:
    """The summary of partnership ``iri``, fetched (two queries at most)."""
    graph = casefile.neighbourhood(site.backend, iri, site.base, site.terms.by_iri)
    return summary(site, graph, iri, lang)


def page(site: Site, desc, path: str, alternates) -> str:
    """The HTML of a partnership's page."""
    lang = g.lang
    shown = desc.triples + desc.label_triples() + desc.incoming_triples
    return render_template(
        "partnership.html",
        iri=desc.iri,
        path=path,
        title=desc.labels.get(desc.iri, lang),
        kinds=entity_view.kinds(site, desc, lang),
        case=case(site, desc.iri, lang),
        sections=entity_view.sections(site, desc, lang),
        incoming=entity_view.incoming(site, desc, lang),
        alternates=alternates,
        jsonld=rdfdoc.script_json(shown),
    )
