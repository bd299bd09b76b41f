"""A deterministic synthetic WOP corpus, for benchmarks and load tests.

The corpus follows the real model (``ontology/README.md``): operators with countries, services
and indicator figures; partnerships with mentor, mentee and memberships, phases, improvement
tracks with areas, statuses and (sometimes quantified) results, motivations, challenges,
success factors, quotations by people, agreements, and provenance to (synthetic) source
documents. It uses the real ontology terms and the real vocabulary concept IRIs, and by
default it carries the real ontology and vocabulary graphs, so that the label look-ups of the
competency queries (``queries/*.rq``) find labels as they do on the real graph.

Everything made up is clearly synthetic:

* entity IRIs are under ``https://w3id.org/wop/id/synthetic/<kind>/...``;
* every label starts with "Synthetic" (French labels with "Synthétique");
* case graphs are ``https://w3id.org/wop/graph/synthetic/case/<n>``, shared entities
  (operators, people, countries, organisations, the programme, documents) are in
  ``https://w3id.org/wop/graph/synthetic/shared``.

The corpus is never written into ``data/``. A few "hub" operators mentor a large share of the
partnerships (thousands at 1M triples), as the big utilities of real WOP programmes do; they
are the worst case for entity pages and for joins through an operator.

The output is N-Quads (quick to load everywhere). The same ``--triples`` and ``--seed`` give
byte-identical output. The corpus stops after the partnership that reaches the target, so it
is a little larger than the target (a few hundred triples at most).

    python -m wopgraph.synthetic --triples 1m --out build/bench/synthetic-1m.nq

writes the corpus and, beside it, ``synthetic-1m.nq.json``: counts, the hub operators, an
ordinary entity and a search term, for benchmark drivers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE = "https://w3id.org/wop/"
SYN_ID = BASE + "id/synthetic/"
SYN_GRAPH = BASE + "graph/synthetic/"
SHARED_GRAPH = SYN_GRAPH + "shared"

WOP = BASE + "ontology#"
VOCAB = BASE + "vocab/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
QUDT = "http://qudt.org/schema/qudt/"
UNIT = "http://qudt.org/vocab/unit/"
SOSA = "http://www.w3.org/ns/sosa/"
TIME = "http://www.w3.org/2006/time#"
XSD = "http://www.w3.org/2001/XMLSchema#"

DEFAULT_SEED = 20240601

# The real controlled vocabularies (ontology/vocab/*.ttl), concept slugs only.
IMPROVEMENT_AREAS = [
    "wastewater-treatment",
    "hygiene-and-safety",
    "water-quality-control",
    "staff-training",
    "wastewater-reuse",
    "communication",
]
MOTIVATIONS = [
    "develop-sanitation-capacity",
    "staff-redeployment",
    "service-improvement",
    "staff-motivation",
    "social-responsibility",
    "human-resources-development",
    "knowledge-sharing",
]
CHALLENGE_KINDS = ["expert-availability", "cultural-differences", "schedule-discipline"]
SUCCESS_FACTOR_KINDS = ["trust", "solidarity", "partner-maturity", "clear-framework"]
TRACK_STATUSES = ["implemented", "planned"]
FINANCING_MODELS = ["self-financed", "donor-funded", "mixed"]
FACILITATION_MODES = ["self-facilitated", "third-party-facilitated"]
ORIGINS = ["personal-acquaintance", "programme-matchmaking", "institutional-initiative"]
SERVICES = ["drinking-water", "sanitation", "electricity", "water-and-sanitation"]
CONFIDENCE = ["stated", "high", "medium", "low"]

SYLLABLES = [
    "ka", "lo", "ra", "mi", "ten", "bu", "sa", "do", "ri", "ve", "na", "zu", "kor", "lin",
    "ma", "ta", "el", "os", "fen", "gar", "hu", "ji", "qua", "wen", "yo", "pel", "dra", "mun",
]  # fmt: skip
UTILITY_KINDS = ["Water Board", "Water Utility", "Water and Sewerage Company", "Sanitation Office"]
HUB_NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
JOB_TITLES = [
    "Managing Director",
    "Head of Operations",
    "Laboratory Manager",
    "Cooperation Officer",
    "Chief Engineer",
    "Head of Human Resources",
]
CHALLENGE_TEXT = {
    "expert-availability": "experts had to balance WOP work with their regular workloads",
    "cultural-differences": "cultural differences occasionally led to unhelpful assumptions",
    "schedule-discipline": "with no donor to account to, there was little pressure to keep on time",
}
FACTOR_TEXT = {
    "trust": "trust between the partners allowed for open self-criticism",
    "solidarity": "the not-for-profit character of the WOP built solidarity",
    "partner-maturity": "the mentee's commitment let both partners collaborate as equals",
    "clear-framework": "clear targets gave direction while leaving room for flexibility",
}


#: ISO 3166's user-assigned codes (XA-XZ, QM-QZ): never a real country's.
COUNTRY_CODES = [f"X{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] + [
    f"Q{c}" for c in "MNOPQRSTUVWXYZ"
]


def parse_size(text: str) -> int:
    """``"10k"`` -> 10_000, ``"1m"`` -> 1_000_000, ``"2500"`` -> 2500."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    value = int(float(t) * mult)
    if value <= 0:
        raise ValueError(f"not a positive size: {text!r}")
    return value


def size_label(n: int) -> str:
    """``1_000_000`` -> ``"1m"``, ``100_000`` -> ``"100k"``, ``1234`` -> ``"1234"``."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def iri(value: str) -> str:
    return f"<{value}>"


def lit(text: str, lang: str | None = None) -> str:
    return f'"{_esc(text)}"@{lang}' if lang else f'"{_esc(text)}"'


def typed(text: str, datatype: str) -> str:
    return f'"{_esc(text)}"^^<{XSD}{datatype}>'


def concept(scheme: str, slug: str) -> str:
    return f"<{VOCAB}{scheme}/{slug}>"


@dataclass
class Summary:
    """What was generated: counts and handy entities for benchmark drivers."""

    target: int
    seed: int
    triples: int = 0
    model_triples: int = 0
    partnerships: int = 0
    rich_partnerships: int = 0
    operators: int = 0
    hubs: list[dict] = field(default_factory=list)
    ordinary_operator: str = ""
    ordinary_partnership: str = ""
    search_term: str = ""


@dataclass
class _Operator:
    iri: str
    label: str
    town: str
    country: str
    hub: bool = False
    mentor_of: int = 0


class _Generator:
    """Emits N-Quads lines; one instance per run (holds the RNG and the counters)."""

    def __init__(self, target: int, seed: int, include_model: bool):
        self.target = target
        self.rng = random.Random(seed)
        self.include_model = include_model
        self.summary = Summary(target=target, seed=seed)
        self.bnodes = 0
        self.operators: list[_Operator] = []
        self.ordinary: list[_Operator] = []
        self.hubs: list[_Operator] = []
        self.people = 0

    # --- output helpers -------------------------------------------------------------------

    def q(self, s: str, p: str, o: str, g: str) -> str:
        self.summary.triples += 1
        return f"{s} {p} {o} {g} .\n"

    def bnode(self) -> str:
        self.bnodes += 1
        return f"_:q{self.bnodes}"

    def name(self) -> str:
        r = self.rng
        return "".join(r.choice(SYLLABLES) for _ in range(3)).capitalize()

    # --- the model ------------------------------------------------------------------------

    def model(self) -> Iterator[str]:
        """The real ontology and vocabulary graphs (no shapes, no data)."""
        from wopgraph.dataset import bundle_root
        from wopgraph.sources import model_sources, read_all

        for _, quads in read_all(model_sources(bundle_root())):
            for quad in quads:
                self.summary.model_triples += 1
                self.summary.triples += 1
                yield f"{quad.subject} {quad.predicate} {quad.object} {quad.graph_name} .\n"

    # --- shared entities ------------------------------------------------------------------

    def shared(self) -> Iterator[str]:
        g = iri(SHARED_GRAPH)
        q = self.q
        doc0 = iri(SYN_ID + "document/wop-000001-factsheet")
        # Countries.
        self.countries = []
        for i in range(1, 41):
            c = iri(f"{SYN_ID}country/c{i:02d}")
            nm = self.name()
            self.countries.append(c)
            yield q(c, iri(RDF_TYPE), iri(WOP + "Country"), g)
            yield q(c, iri(RDFS + "label"), lit(f"Synthetic Country {nm}", "en"), g)
            yield q(c, iri(RDFS + "label"), lit(f"Synthétique : pays {nm}", "fr"), g)
            yield q(c, iri(DCT + "identifier"), lit(COUNTRY_CODES[i - 1]), g)
            yield q(c, iri(PROV + "wasDerivedFrom"), doc0, g)
        # Other organisations: an alliance, an institute, a ministry, donors, facilitators.
        self.programme = iri(SYN_ID + "programme/synthetic-programme")
        self.series = iri(SYN_ID + "series/synthetic-fact-sheets")
        orgs = [
            ("alliance", "Alliance", "Synthetic Operators' Alliance"),
            ("institute", "ResearchInstitute", "Synthetic Water Institute"),
            ("ministry", "Ministry", "Synthetic Ministry of Development"),
        ]
        self.donors = []
        for i in range(1, 9):
            orgs.append((f"donor-{i}", "UNAgency" if i % 2 else "Ministry", f"Synthetic Donor {i}"))
        self.facilitators = []
        for i in range(1, 6):
            orgs.append((f"facilitator-{i}", "Alliance", f"Synthetic Facilitator {i}"))
        for slug, cls, label in orgs:
            o = iri(f"{SYN_ID}organization/{slug}")
            if slug.startswith("donor"):
                self.donors.append(o)
            if slug.startswith("facilitator"):
                self.facilitators.append(o)
            yield q(o, iri(RDF_TYPE), iri(WOP + cls), g)
            yield q(o, iri(RDFS + "label"), lit(label, "en"), g)
            yield q(o, iri(SKOS + "prefLabel"), lit(label, "en"), g)
            yield q(o, iri(WOP + "country"), self.rng.choice(self.countries), g)
            yield q(o, iri(PROV + "wasDerivedFrom"), doc0, g)
        p = self.programme
        yield q(p, iri(RDF_TYPE), iri(WOP + "Programme"), g)
        yield q(p, iri(RDFS + "label"), lit("Synthetic WOP Programme", "en"), g)
        yield q(p, iri(SKOS + "prefLabel"), lit("Synthetic WOP Programme", "en"), g)
        yield q(p, iri(WOP + "launchDate"), typed("2013-09", "gYearMonth"), g)
        yield q(p, iri(WOP + "plannedDuration"), typed("P5Y", "duration"), g)
        yield q(p, iri(ORG + "hasMember"), iri(SYN_ID + "organization/alliance"), g)
        yield q(p, iri(ORG + "hasMember"), iri(SYN_ID + "organization/institute"), g)
        yield q(p, iri(WOP + "funder"), iri(SYN_ID + "organization/ministry"), g)
        yield q(p, iri(PROV + "wasDerivedFrom"), doc0, g)
        s = self.series
        yield q(s, iri(RDF_TYPE), iri(WOP + "DocumentSeries"), g)
        yield q(s, iri(RDFS + "label"), lit("Synthetic WOP case fact sheets", "en"), g)
        yield q(s, iri(DCT + "publisher"), p, g)
        yield q(s, iri(PROV + "wasDerivedFrom"), doc0, g)
        # Hub operators: a few big utilities that mentor a large share of the partnerships.
        for i, hub in enumerate(HUB_NAMES[:3]):
            op = _Operator(
                iri(f"{SYN_ID}operator/hub-{hub.lower()}"),
                f"Synthetic Hub Operator {hub} Water Authority",
                hub,
                self.rng.choice(self.countries),
                hub=True,
            )
            self.hubs.append(op)
            yield from self.operator(op, doc0, big=True, n=i)

    def new_operator(self, doc: str) -> Iterator[str]:
        n = len(self.operators) + 1
        town = self.name()
        kind = self.rng.choice(UTILITY_KINDS)
        op = _Operator(
            iri(f"{SYN_ID}operator/op-{n:06d}"),
            f"Synthetic {town} {kind} {n}",
            town,
            self.rng.choice(self.countries),
        )
        self.ordinary.append(op)
        yield from self.operator(op, doc, big=False, n=n)

    def operator(self, op: _Operator, doc: str, big: bool, n: int) -> Iterator[str]:
        r, q, g = self.rng, self.q, iri(SHARED_GRAPH)
        self.operators.append(op)
        s = op.iri
        yield q(s, iri(RDF_TYPE), iri(WOP + "Operator"), g)
        yield q(s, iri(RDFS + "label"), lit(op.label), g)
        yield q(s, iri(SKOS + "prefLabel"), lit(op.label, "en"), g)
        yield q(s, iri(DCT + "description"), lit(f"Synthetic water operator number {n}", "en"), g)
        yield q(s, iri(WOP + "country"), op.country, g)
        services = ["water-and-sanitation"] if big else r.sample(SERVICES[:3], r.randint(1, 2))
        for svc in services:
            yield q(s, iri(WOP + "providesService"), concept("service", svc), g)
        slug = s[1:-1].rsplit("/", 1)[1]
        figures = [
            ("wastewater-treatment-capacity", "M3-PER-DAY", 0.75, 5_000, 3_000_000),
            ("employees", "NUM", 0.8, 50, 12_000),
            ("sanitation-service-users", "NUM", 0.5, 10_000, 10_000_000),
        ]
        for indicator, unit, prob, lo, hi in figures:
            if not big and r.random() > prob:
                continue
            value = r.randint(lo, hi) * (5 if big else 1)
            f = iri(f"{SYN_ID}figure/{slug}-{indicator}")
            b = self.bnode()
            conf = r.choice(CONFIDENCE[1:])
            yield q(s, iri(WOP + "hasFigure"), f, g)
            yield q(f, iri(RDF_TYPE), iri(WOP + "IndicatorFigure"), g)
            yield q(f, iri(RDFS + "label"), lit(f"{op.label} {indicator}: {value}", "en"), g)
            yield q(f, iri(SOSA + "hasFeatureOfInterest"), s, g)
            yield q(f, iri(SOSA + "observedProperty"), concept("indicator", indicator), g)
            yield q(f, iri(SOSA + "hasResult"), b, g)
            yield q(b, iri(RDF_TYPE), iri(QUDT + "QuantityValue"), g)
            yield q(b, iri(QUDT + "numericValue"), typed(str(value), "decimal"), g)
            yield q(b, iri(QUDT + "unit"), iri(UNIT + unit), g)
            yield q(
                f, iri(WOP + "scope"), concept("service", r.choice(["sanitation", *services])), g
            )
            yield q(f, iri(WOP + "printedAs"), lit(f"{value:,}"), g)
            yield q(f, iri(WOP + "confidence"), concept("confidence", conf), g)
            note = "Synthetic note: how this figure was read from the (synthetic) sheet."
            yield q(f, iri(WOP + "curationNote"), lit(note, "en"), g)
            yield q(f, iri(PROV + "wasDerivedFrom"), doc, g)
        yield q(s, iri(PROV + "wasDerivedFrom"), doc, g)

    def person(self, works_for: _Operator, doc: str) -> tuple[str, str, str, list[str]]:
        self.people += 1
        p = iri(f"{SYN_ID}person/person-{self.people:06d}")
        name = f"Synthetic {self.name()} {self.name()} {self.people}"
        title = self.rng.choice(JOB_TITLES)
        g, q = iri(SHARED_GRAPH), self.q
        lines = [
            q(p, iri(RDF_TYPE), iri(SCHEMA + "Person"), g),
            q(p, iri(RDFS + "label"), lit(name), g),
            q(p, iri(SCHEMA + "name"), lit(name), g),
            q(p, iri(SCHEMA + "jobTitle"), lit(title, "en"), g),
            q(p, iri(SCHEMA + "worksFor"), works_for.iri, g),
            q(p, iri(PROV + "wasDerivedFrom"), doc, g),
        ]
        return p, name, title, lines

    # --- partnerships ---------------------------------------------------------------------

    def partnership(self, n: int) -> Iterator[str]:
        r, q = self.rng, self.q
        slug = f"wop-{n:06d}"
        g = iri(f"{SYN_GRAPH}case/{n}")
        sg = iri(SHARED_GRAPH)
        doc = iri(f"{SYN_ID}document/{slug}-factsheet")
        rich = r.random() < 0.2
        self.summary.partnerships += 1
        self.summary.rich_partnerships += rich
        derived = iri(PROV + "wasDerivedFrom")

        # Mentor: a hub half of the time, else an ordinary operator; mentee: mostly new.
        if r.random() < 0.5 or len(self.ordinary) < 4:
            mentor = r.choices(self.hubs, weights=[5, 3, 2])[0]
        else:
            mentor = r.choice(self.ordinary)
        if r.random() < 0.7 or len(self.ordinary) < 4:
            yield from self.new_operator(doc)
            mentee = self.ordinary[-1]
        else:
            mentee = r.choice(self.ordinary)
            while mentee is mentor:
                mentee = r.choice(self.ordinary)
        mentor.mentor_of += 1

        p = iri(f"{SYN_ID}partnership/{slug}")
        yield q(p, iri(RDF_TYPE), iri(WOP + "Partnership"), g)
        title = f"{mentee.town}–{mentor.town}"
        yield q(p, iri(RDFS + "label"), lit(f"Synthetic {title} WOP {n}", "en"), g)
        yield q(p, iri(RDFS + "label"), lit(f"Synthétique : partenariat {title} {n}", "fr"), g)
        if rich:
            text = f"Synthetic partnership between {mentee.label}, the mentee, and {mentor.label}."
            yield q(p, iri(DCT + "description"), lit(text, "en"), g)
        yield q(p, iri(WOP + "mentor"), mentor.iri, g)
        yield q(p, iri(WOP + "mentee"), mentee.iri, g)
        for op, role in ((mentee, "mentee"), (mentor, "mentor")):
            m = iri(f"{SYN_ID}membership/{slug}-{role}")
            yield q(p, iri(WOP + "hasMembership"), m, g)
            yield q(m, iri(RDF_TYPE), iri(WOP + "PartnerMembership"), g)
            yield q(m, iri(RDFS + "label"), lit(f"{op.label}, {role} of WOP {n}", "en"), g)
            yield q(m, iri(ORG + "member"), op.iri, g)
            yield q(m, iri(ORG + "role"), concept("partner-role", role), g)
            yield q(m, iri(ORG + "organization"), p, g)
            yield q(m, derived, doc, g)

        yield q(p, iri(WOP + "origin"), concept("partnership-origin", r.choice(ORIGINS)), g)
        if rich:
            note = "Synthetic note on how the partnership arose."
            yield q(p, iri(WOP + "originNote"), lit(note, "en"), g)
        financing = r.choices(FINANCING_MODELS, weights=[3, 4, 3])[0]
        yield q(p, iri(WOP + "financingModel"), concept("financing-model", financing), g)
        if financing == "self-financed":
            if r.random() < 0.5:
                years = r.randint(2, 15)
                yield q(p, iri(WOP + "selfFinancedFor"), typed(f"P{years}Y", "duration"), g)
                if rich:
                    text = f"Synthetic: funded by the partners alone for over {years} years."
                    yield q(p, iri(WOP + "financingNote"), lit(text, "en"), g)
        else:
            yield q(p, iri(WOP + "funder"), r.choice(self.donors), g)
        mode = r.choice(FACILITATION_MODES)
        yield q(p, iri(WOP + "facilitationMode"), concept("facilitation-mode", mode), g)
        if mode == "third-party-facilitated":
            yield q(p, iri(WOP + "facilitator"), r.choice(self.facilitators), g)
        formal = r.random() < 0.6
        yield q(
            p, iri(WOP + "hasFormalAgreement"), typed("true" if formal else "false", "boolean"), g
        )
        if formal and rich:
            for k in range(1, r.randint(1, 2) + 1):
                a = iri(f"{SYN_ID}agreement/{slug}-{k}")
                date = f"{r.randint(1995, 2020)}-{r.randint(1, 12):02d}"
                yield q(a, iri(RDF_TYPE), iri(WOP + "Agreement"), g)
                yield q(a, iri(RDFS + "label"), lit(f"Synthetic agreement {k} of WOP {n}", "en"), g)
                yield q(a, iri(WOP + "agreementOf"), p, g)
                yield q(a, iri(DCT + "date"), typed(date, "gYearMonth"), g)
                if r.random() < 0.3:  # a fact from outside the fact sheets
                    page = iri(f"{SYN_ID}web-page/{slug}-{k}")
                    note = "Synthetic: taken from a partner's web page, not the fact sheet."
                    yield q(a, iri(WOP + "curationNote"), lit(note, "en"), g)
                    yield q(a, derived, page, g)
                else:
                    yield q(a, derived, doc, g)
        areas = r.sample(IMPROVEMENT_AREAS, r.randint(1, 3))
        for area in areas:
            yield q(p, iri(WOP + "targetsArea"), concept("improvement-area", area), g)
        if rich:
            text = f"Synthetic approach: {mentor.label} shares knowledge with {mentee.label}."
            yield q(p, iri(WOP + "approach"), lit(text, "en"), g)

        # Phases.
        phases = []
        for k in range(1, (r.randint(1, 3) if rich else 1) + 1):
            ph = iri(f"{SYN_ID}phase/{slug}-phase-{k}")
            phases.append(ph)
            yield q(p, iri(WOP + "hasPhase"), ph, g)
            yield q(ph, iri(RDF_TYPE), iri(WOP + "Phase"), g)
            yield q(ph, iri(RDFS + "label"), lit(f"Synthetic WOP {n}, phase {k}", "en"), g)
            yield q(ph, iri(WOP + "phaseNumber"), typed(str(k), "positiveInteger"), g)
            if rich:
                text = f"Synthetic description of phase {k}."
                yield q(ph, iri(DCT + "description"), lit(text, "en"), g)
            if k > 1:
                yield q(phases[-2], iri(TIME + "intervalBefore"), ph, g)
            yield q(ph, derived, doc, g)

        # Improvement tracks and their results.
        for k in range(1, (r.randint(2, 8) if rich else r.randint(1, 2)) + 1):
            t = iri(f"{SYN_ID}track/{slug}-track-{k}")
            area = r.choice(areas) if r.random() < 0.7 else r.choice(IMPROVEMENT_AREAS)
            status = "implemented" if r.random() < 0.6 else "planned"
            yield q(p, iri(WOP + "hasTrack"), t, g)
            yield q(t, iri(RDF_TYPE), iri(WOP + "ImprovementTrack"), g)
            label = f"Synthetic track {k} of WOP {n} on {area.replace('-', ' ')}"
            yield q(t, iri(RDFS + "label"), lit(label, "en"), g)
            yield q(t, iri(WOP + "improvementArea"), concept("improvement-area", area), g)
            yield q(t, iri(WOP + "inPhase"), r.choice(phases), g)
            yield q(t, iri(WOP + "trackStatus"), concept("track-status", status), g)
            if status == "implemented":
                text = f"Synthetic objective: improve {area.replace('-', ' ')}."
                yield q(t, iri(WOP + "objective"), lit(text, "en"), g)
                for j in range(1, r.randint(1, 2) + 1):
                    res = iri(f"{SYN_ID}result/{slug}-track-{k}-result-{j}")
                    yield q(t, iri(WOP + "hasResult"), res, g)
                    yield q(res, iri(RDF_TYPE), iri(WOP + "Result"), g)
                    if r.random() < 0.35:
                        staff = r.randint(5, 400)
                        text = (
                            f"Synthetic result {j} of track {k} of WOP {n}: {staff} staff trained"
                        )
                        b = self.bnode()
                        yield q(
                            res, iri(WOP + "indicator"), concept("indicator", "staff-trained"), g
                        )
                        yield q(res, iri(WOP + "quantity"), b, g)
                        yield q(b, iri(RDF_TYPE), iri(QUDT + "QuantityValue"), g)
                        yield q(b, iri(QUDT + "numericValue"), typed(str(staff), "decimal"), g)
                        yield q(b, iri(QUDT + "unit"), iri(UNIT + "NUM"), g)
                    else:
                        text = f"Synthetic result {j} of track {k} of WOP {n}"
                    yield q(res, iri(RDFS + "label"), lit(text, "en"), g)
                    yield q(res, iri(DCT + "description"), lit(text + ".", "en"), g)
                    yield q(res, derived, doc, g)
            if rich:
                yield q(t, iri(WOP + "confidence"), concept("confidence", "high"), g)
                note = "Synthetic note: phase and status placement interpreted."
                yield q(t, iri(WOP + "curationNote"), lit(note, "en"), g)
            yield q(t, derived, doc, g)

        # Motivations, challenges, success factors, quotations: the rich cases only, mostly.
        n_motivations = r.randint(3, 7) if rich else (1 if r.random() < 0.3 else 0)
        for kind in r.sample(MOTIVATIONS, n_motivations):
            mo = iri(f"{SYN_ID}motivation/{slug}-{kind}")
            holder = mentee if r.random() < 0.6 else mentor
            conf = r.choices(CONFIDENCE, weights=[3, 3, 2, 1])[0]
            printed = f"Synthetic {kind.replace('-', ' ')} (WOP {n})"
            yield q(p, iri(WOP + "hasMotivation"), mo, g)
            yield q(mo, iri(RDF_TYPE), iri(WOP + "Motivation"), g)
            yield q(mo, iri(RDFS + "label"), lit(printed, "en"), g)
            yield q(mo, iri(WOP + "printedAs"), lit(printed), g)
            yield q(mo, iri(WOP + "motivationKind"), concept("motivation", kind), g)
            yield q(mo, iri(WOP + "heldBy"), holder.iri, g)
            yield q(mo, iri(WOP + "confidence"), concept("confidence", conf), g)
            if conf != "stated":
                note = "Synthetic note: who holds this motivation is an interpretation."
                yield q(mo, iri(WOP + "curationNote"), lit(note, "en"), g)
            yield q(mo, derived, doc, g)
        if rich:
            for kind in r.sample(CHALLENGE_KINDS, r.randint(1, 3)):
                c = iri(f"{SYN_ID}challenge/{slug}-{kind}")
                yield q(p, iri(WOP + "facedChallenge"), c, g)
                yield q(c, iri(RDF_TYPE), iri(WOP + "Challenge"), g)
                yield q(
                    c,
                    iri(RDFS + "label"),
                    lit(f"Synthetic {kind.replace('-', ' ')} (WOP {n})", "en"),
                    g,
                )
                yield q(c, iri(DCT + "description"), lit(CHALLENGE_TEXT[kind] + ".", "en"), g)
                yield q(c, iri(WOP + "challengeKind"), concept("challenge-kind", kind), g)
                yield q(c, derived, doc, g)
            for kind in r.sample(SUCCESS_FACTOR_KINDS, r.randint(1, 4)):
                sf = iri(f"{SYN_ID}success-factor/{slug}-{kind}")
                yield q(p, iri(WOP + "hasSuccessFactor"), sf, g)
                yield q(sf, iri(RDF_TYPE), iri(WOP + "SuccessFactor"), g)
                label = f"Synthetic {kind.replace('-', ' ')} (WOP {n})"
                yield q(sf, iri(RDFS + "label"), lit(label, "en"), g)
                yield q(sf, iri(DCT + "description"), lit(FACTOR_TEXT[kind] + ".", "en"), g)
                yield q(sf, iri(WOP + "successFactorKind"), concept("success-factor-kind", kind), g)
                yield q(sf, derived, doc, g)
            for k in range(1, r.randint(0, 3) + 1):
                speaker = mentor if r.random() < 0.5 else mentee
                person, name, job, lines = self.person(speaker, doc)
                yield from lines
                qu = iri(f"{SYN_ID}quotation/{slug}-{k}")
                text = f"Synthetic quotation {k}: we learn from each other in WOP {n}."
                yield q(qu, iri(RDF_TYPE), iri(SCHEMA + "Quotation"), g)
                yield q(qu, iri(RDFS + "label"), lit(f"{name} on WOP {n}", "en"), g)
                yield q(qu, iri(SCHEMA + "text"), lit(text, "en"), g)
                yield q(qu, iri(SCHEMA + "creator"), person, g)
                yield q(qu, iri(SCHEMA + "about"), p, g)
                yield q(qu, iri(WOP + "speakerTitle"), lit(job, "en"), g)
                yield q(qu, iri(WOP + "speakerOrganization"), speaker.iri, g)
                yield q(qu, derived, doc, g)

        # Provenance.
        yield q(p, iri(WOP + "documentedIn"), doc, g)
        yield q(p, iri(WOP + "documentedBy"), self.programme, g)
        if rich:
            yield q(p, iri(WOP + "confidence"), concept("confidence", "high"), g)
            note = "Synthetic note: the targeted areas are mapped from printed headings."
            yield q(p, iri(WOP + "curationNote"), lit(note, "en"), g)
        yield q(p, derived, doc, g)
        yield q(doc, iri(RDF_TYPE), iri(WOP + "SourceDocument"), sg)
        yield q(doc, iri(RDFS + "label"), lit(f"Synthetic fact sheet: WOP {n}", "en"), sg)
        yield q(
            doc, iri(DCT + "title"), lit(f"Synthetic Water Operators' Partnership {n}", "en"), sg
        )
        yield q(doc, iri(DCT + "isPartOf"), self.series, sg)
        yield q(doc, iri(DCT + "publisher"), self.programme, sg)
        yield q(doc, iri(DCT + "subject"), p, sg)
        yield q(doc, iri(DCT + "format"), lit("application/pdf"), sg)
        yield q(doc, derived, doc, sg)

    def lines(self) -> Iterator[str]:
        if self.include_model:
            yield from self.model()
        yield from self.shared()
        n = 0
        while self.summary.triples < self.target:
            n += 1
            yield from self.partnership(n)
        s = self.summary
        s.operators = len(self.operators)
        s.hubs = [
            {"iri": h.iri[1:-1], "label": h.label, "mentor_of": h.mentor_of} for h in self.hubs
        ]
        if self.ordinary:
            pick = self.ordinary[len(self.ordinary) // 2]
            s.ordinary_operator = pick.iri[1:-1]
            s.search_term = pick.town.lower()
        s.ordinary_partnership = f"{SYN_ID}partnership/wop-{max(1, n // 2):06d}"


def generate(
    target: int, seed: int = DEFAULT_SEED, include_model: bool = True
) -> tuple[Iterator[str], Summary]:
    """N-Quads lines of a corpus of about ``target`` triples, and its summary.

    The summary is complete once the iterator is exhausted.
    """
    gen = _Generator(target, seed, include_model)
    return gen.lines(), gen.summary


def write(
    path: Path | str, target: int, seed: int = DEFAULT_SEED, include_model: bool = True
) -> Summary:
    """Write the corpus to ``path`` (N-Quads) and its summary to ``<path>.json``."""
    path = Path(path)
    _refuse_data_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines, summary = generate(target, seed, include_model)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    tmp.replace(path)
    meta = path.with_name(path.name + ".json")
    meta.write_text(json.dumps(asdict(summary), indent=2) + "\n", encoding="utf-8")
    return summary


def _refuse_data_folder(path: Path) -> None:
    from wopgraph.dataset import bundle_root

    data = (bundle_root() / "data").resolve()
    target = path.resolve()
    if target == data or data in target.parents:
        raise ValueError(f"refusing to write synthetic data into {data}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m wopgraph.synthetic",
        description="Write a deterministic synthetic WOP corpus as N-Quads.",
    )
    ap.add_argument("--triples", default="10k", help="target size: 10k, 100k, 1m, or a number")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", required=True, help="the .nq file to write (not under data/)")
    ap.add_argument(
        "--no-model", action="store_true", help="leave out the ontology and vocabulary graphs"
    )
    args = ap.parse_args(argv)
    try:
        summary = write(args.out, parse_size(args.triples), args.seed, not args.no_model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hubs = ", ".join(f"{h['label']} ({h['mentor_of']})" for h in summary.hubs)
    print(
        f"{args.out}: {summary.triples} triples, {summary.partnerships} partnerships, "
        f"{summary.operators} operators; hubs mentor: {hubs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
