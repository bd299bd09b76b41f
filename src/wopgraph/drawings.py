"""The data and the layout of the pictures: the network of partnerships and the map.

Both are drawn on the server as SVG (``network.html``, ``map.html``), so they need no
JavaScript, and each comes with the same facts as a table. The network puts mentors in the
left column, mentees in the right one (operators that are both in the middle), one edge per
partnership; on a big graph it shows the :data:`MAX_EDGES` partnerships of the busiest
mentors and says so. The map colours the countries of mentors and mentees and draws an arc
from the mentor's country to the mentee's for each pair of countries, as thick as the number
of partnerships between them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from wopgraph import geo
from wopgraph import labels as lb
from wopgraph.describe import fetch_labels, iri_ref, is_label

MAX_EDGES = 80
ROW = 30.0
NETWORK_WIDTH = 1200.0
#: Longest node label drawn (longer ones are cut, the full name is in the tooltip).
LABEL_CHARS = 34
PAIRS = """
SELECT ?p ?m ?e WHERE {{
  ?p a wop:Partnership ; wop:mentor ?m ; wop:mentee ?e .
  {country}
}}"""
BY_COUNTRY = "{ ?m wop:country <C> } UNION { ?e wop:country <C> }"
COUNTRY_PAIRS = """
SELECT ?mc ?ec (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?p a wop:Partnership ; wop:mentor/wop:country ?mc ; wop:mentee/wop:country ?ec .
} GROUP BY ?mc ?ec"""
COUNTRY_ROLES = """
SELECT ?c ?role (COUNT(DISTINCT ?o) AS ?n) WHERE {
  { ?p wop:mentor ?o BIND("mentor" AS ?role) } UNION { ?p wop:mentee ?o BIND("mentee" AS ?role) }
  ?o wop:country ?c .
} GROUP BY ?c ?role"""
COUNTRIES = """
SELECT ?c ?code ?lp ?l WHERE {{
  ?c a wop:Country .
  OPTIONAL {{ ?c dcterms:identifier ?code }}
  OPTIONAL {{ ?c ?lp ?l . {labels} }}
}}"""


@dataclass
class Node:
    """An operator in the network."""

    iri: str
    role: str
    x: float = 0.0
    y: float = 0.0
    degree: int = 0


@dataclass
class Network:
    """Nodes placed in columns, one edge per partnership, and how many were left out."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    labels: lb.Labels = field(default_factory=lb.Labels)
    total: int = 0
    height: float = 0.0


def network(select, country: str | None = None, max_edges: int = MAX_EDGES) -> Network:
    """The mentor -> mentee network (of one country's operators when ``country`` is given)."""
    where = BY_COUNTRY.replace("<C>", iri_ref(country)) if country else ""
    rows = select(PAIRS.format(country=where), max_rows=10**7)
    pairs = sorted({(r["p"].value, r["m"].value, r["e"].value) for r in rows})
    degree = Counter(m for _, m, _ in pairs)
    pairs.sort(key=lambda t: (-degree[t[1]], t[1], t[0]))
    net = Network(total=len({p for p, _, _ in pairs}))
    net.edges = pairs[:max_edges]
    mentors = {m for _, m, _ in net.edges}
    mentees = {e for _, _, e in net.edges}
    for iri in mentors | mentees:
        role = (
            "both"
            if iri in mentors and iri in mentees
            else "mentor"
            if iri in mentors
            else "mentee"
        )
        net.nodes[iri] = Node(iri, role, degree=degree.get(iri, 0))
    net.labels = fetch_labels(select, sorted(net.nodes) + sorted({p for p, _, _ in net.edges}))
    columns = {"mentor": 290.0, "both": NETWORK_WIDTH / 2, "mentee": NETWORK_WIDTH - 290.0}
    rows_used = 0
    for role, x in columns.items():
        members = [n for n in net.nodes.values() if n.role == role]
        members.sort(key=lambda n: (-n.degree, net.labels.get(n.iri, "en").value.casefold()))
        for i, node in enumerate(members):
            node.x, node.y = x, 60.0 + i * ROW
        rows_used = max(rows_used, len(members))
    net.height = 60.0 + max(rows_used, 1) * ROW
    return net


@dataclass
class CountryOnMap:
    """A country of the graph: its IRI, code, labels, partners, and outline if any."""

    iri: str
    code: str = ""
    mentors: int = 0
    mentees: int = 0
    outline: geo.Country | None = None

    @property
    def role(self) -> str:
        """``mentor``, ``mentee``, ``both`` or ``""``: what the country's operators are."""
        if self.mentors and self.mentees:
            return "both"
        return "mentor" if self.mentors else "mentee" if self.mentees else ""


@dataclass
class Map:
    """Countries with their partners and outlines, and the mentor -> mentee country arcs."""

    countries: dict[str, CountryOnMap] = field(default_factory=dict)
    arcs: list[tuple[str, str, int]] = field(default_factory=list)
    labels: lb.Labels = field(default_factory=lb.Labels)


def world_map(select) -> Map:
    """The map's data (three queries) joined to the outlines."""
    outlines = geo.world()
    result = Map()
    for r in select(COUNTRIES.format(labels=is_label("?lp")), max_rows=10**6):
        iri = r["c"].value
        country = result.countries.setdefault(iri, CountryOnMap(iri))
        if "code" in r:
            country.code = r["code"].value.upper()
            country.outline = outlines.get(country.code)
        if "l" in r:
            result.labels.add(iri, r["lp"].value, r["l"])
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in select(COUNTRY_ROLES, max_rows=10**6):
        counts[r["c"].value][r["role"].value] = int(r["n"].value)
    for iri, roles in counts.items():
        country = result.countries.setdefault(iri, CountryOnMap(iri))
        country.mentors, country.mentees = roles.get("mentor", 0), roles.get("mentee", 0)
    pairs = [
        (r["mc"].value, r["ec"].value, int(r["n"].value))
        for r in select(COUNTRY_PAIRS, max_rows=10**6)
    ]
    result.arcs = sorted(pairs, key=lambda a: -a[2])
    return result
