"""``wopgraph enrich``: facts about linked entities, fetched from a partner SPARQL endpoint.

The curated data links entities to other datasets with ``skos:exactMatch`` or ``owl:sameAs``
(countries to Wikidata and GeoNames). For each link target, this asks a remote endpoint (with
SPARQLWrapper) for its names (``rdfs:label``, ``schema:name``, ``skos:prefLabel``, Wikidata's
official name ``wdt:P1448``, GeoNames' ``gn:name``), coordinates (``wdt:P625``, WGS84
``geo:lat``/``geo:long``) and founding dates (``wdt:P571``, ``schema:foundingDate``), in
English, French or without language.

The answers become a named graph of their own, ``https://w3id.org/wop/graph/enrichment/<host>``
by default, whose subjects are the remote IRIs (never our entities), with provenance: the graph
``prov:wasDerivedFrom`` the endpoint, ``prov:generatedAtTime``, and the activity that made it
with the query text it sent (``prov:value``). It is written as N-Quads to a git-ignored folder,
``build/enrichment/<host>.nq`` by default, never to the curated ``data/``; a rerun replaces
the file, hence the graph. ``wopgraph serve`` serves these files with the bundled data
(setting ``enrichment_dir``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from wopgraph import __version__
from wopgraph.dataset import bundle_root, bundled
from wopgraph.namespaces import BASE, GRAPH, PREFIXES
from wopgraph.serialize import canonical_quads, serialize
from wopgraph.sources import Source

ENRICHMENT_GRAPHS = f"{GRAPH}enrichment/"
#: Link targets per remote query (VALUES rows).
BATCH = 50
PROV, XSD = PREFIXES["prov"], PREFIXES["xsd"]
RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
LINKS = f"""SELECT DISTINCT ?target WHERE {{
  ?entity skos:exactMatch|owl:sameAs ?target .
  FILTER (isIRI(?target) && STRSTARTS(STR(?entity), "{BASE}id/")
          && !STRSTARTS(STR(?target), "{BASE}"))
}} ORDER BY ?target"""
#: The properties asked for, by what they give.
FACT_PROPERTIES = {
    "names": [
        "http://www.w3.org/2000/01/rdf-schema#label",
        "http://schema.org/name",
        "https://schema.org/name",
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "http://www.wikidata.org/prop/direct/P1448",
        "http://www.geonames.org/ontology#name",
        "http://www.geonames.org/ontology#officialName",
    ],
    "coordinates": [
        "http://www.wikidata.org/prop/direct/P625",
        "http://www.w3.org/2003/01/geo/wgs84_pos#lat",
        "http://www.w3.org/2003/01/geo/wgs84_pos#long",
    ],
    "founding dates": [
        "http://www.wikidata.org/prop/direct/P571",
        "http://schema.org/foundingDate",
        "https://schema.org/foundingDate",
        "http://dbpedia.org/ontology/foundingDate",
    ],
}
FACTS = """SELECT ?item ?p ?o WHERE {{
  VALUES ?item {{ {items} }}
  VALUES ?p {{ {properties} }}
  ?item ?p ?o .
  FILTER (isLiteral(?o) && (lang(?o) = "" || lang(?o) = "en" || lang(?o) = "fr"))
}}"""


class EnrichError(Exception):
    """The remote endpoint could not be asked or answered badly; the message says which."""


def host_slug(endpoint: str) -> str:
    """A file- and IRI-safe name for the endpoint's host: ``query.wikidata.org``, ``h-8080``."""
    parts = urlsplit(endpoint)
    if not parts.hostname:
        raise EnrichError(f"{endpoint!r} is not an http(s) URL")
    return parts.hostname + (f"-{parts.port}" if parts.port else "")


def default_graph(endpoint: str) -> str:
    """``https://w3id.org/wop/graph/enrichment/<host>``."""
    return ENRICHMENT_GRAPHS + host_slug(endpoint)


def default_out(endpoint: str) -> Path:
    """``build/enrichment/<host>.nq`` in the project."""
    return bundle_root() / "build" / "enrichment" / f"{host_slug(endpoint)}.nq"


def enrichment_folder(configured: str | None) -> Path:
    """Where enrichment graphs are read from: the setting, else ``build/enrichment/``."""
    return Path(configured) if configured else bundle_root() / "build" / "enrichment"


def enrichment_sources(folder: Path) -> list[Source]:
    """The N-Quads files in ``folder`` (none if it does not exist), each keeping its graph."""
    if not folder.is_dir():
        return []
    return [Source(p, None, ox.RdfFormat.N_QUADS) for p in sorted(folder.glob("*.nq"))]


def link_targets(store) -> list[str]:
    """The IRIs our entities are linked to in other datasets."""
    return [row["target"].value for row in store.query(LINKS, use_default_prefixes=True)]


def facts_query(targets: list[str]) -> str:
    """The query sent for one batch of link targets."""
    properties = [p for group in FACT_PROPERTIES.values() for p in group]
    return FACTS.format(
        items=" ".join(f"<{t}>" for t in targets),
        properties=" ".join(f"<{p}>" for p in properties),
    )


def _term(binding: dict) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A SPARQL JSON results binding as a pyoxigraph term."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if binding.get("xml:lang"):
        return ox.Literal(value, language=binding["xml:lang"])
    if binding.get("datatype"):
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def ask(endpoint: str, query: str, timeout: float) -> list[dict]:
    """Send ``query`` with SPARQLWrapper (POST); return the JSON result bindings."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    client = SPARQLWrapper(endpoint, agent=f"wopgraph/{__version__} (+{BASE}; wopgraph enrich)")
    client.setQuery(query)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setTimeout(int(max(1, timeout)))
    try:
        answer = client.queryAndConvert()
    except Exception as exc:  # SPARQLWrapper raises URLError, HTTPError and its own errors
        raise EnrichError(f"{endpoint}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(answer, dict) or "results" not in answer:
        raise EnrichError(f"{endpoint}: the answer is not SPARQL JSON results")
    return answer["results"]["bindings"]


def provenance(graph: str, endpoint: str, queries: list[str], started: str, ended: str):
    """The quads saying where the graph comes from, in the graph itself."""
    g, run, source = ox.NamedNode(graph), ox.NamedNode(graph + "#run"), ox.NamedNode(endpoint)
    stamp = ox.Literal(ended, datatype=ox.NamedNode(XSD + "dateTime"))
    title = f"Facts about entities linked from wopgraph, from the SPARQL endpoint {endpoint}"
    triples = [
        (g, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
        (g, ox.NamedNode(PREFIXES["dcterms"] + "title"), ox.Literal(title, language="en")),
        (g, ox.NamedNode(PROV + "wasDerivedFrom"), source),
        (g, ox.NamedNode(PROV + "generatedAtTime"), stamp),
        (g, ox.NamedNode(PROV + "wasGeneratedBy"), run),
        (run, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
        (run, ox.NamedNode(PROV + "used"), source),
        (run, ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.Literal("wopgraph enrich")),
        (run, ox.NamedNode(PROV + "startedAtTime"), ox.Literal(started, datatype=stamp.datatype)),
        (run, ox.NamedNode(PROV + "endedAtTime"), stamp),
    ]
    for number, text in enumerate(queries, start=1):
        query = ox.NamedNode(f"{graph}#query-{number}")
        triples += [
            (run, ox.NamedNode(PROV + "used"), query),
            (query, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
            (query, ox.NamedNode(PROV + "value"), ox.Literal(text)),
        ]
    return [ox.Quad(s, p, o, g) for s, p, o in triples]


def _now() -> str:
    """The current time as an ``xsd:dateTime`` (UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def enrich(endpoint: str, graph: str, targets: list[str], timeout: float = 60.0) -> list[ox.Quad]:
    """Ask ``endpoint`` about ``targets``; return the enrichment graph's quads."""
    started = _now()
    g = ox.NamedNode(graph)
    facts: list[ox.Quad] = []
    queries = []
    for start in range(0, len(targets), BATCH):
        query = facts_query(targets[start : start + BATCH])
        queries.append(query)
        for row in ask(endpoint, query, timeout):
            facts.append(ox.Quad(_term(row["item"]), _term(row["p"]), _term(row["o"]), g))
    return facts + provenance(graph, endpoint, queries, started, _now())


def write(quads: list[ox.Quad], out: Path) -> None:
    """Write ``quads`` as N-Quads to ``out``, replacing it whole (via a temporary file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(serialize(canonical_quads(quads), "nquads"))
    tmp.replace(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``wopgraph enrich``."""
    parser.add_argument("--endpoint", required=True, help="the partner SPARQL endpoint's URL")
    parser.add_argument(
        "--graph", help=f"the named graph to fill (default: {ENRICHMENT_GRAPHS}<host>)"
    )
    parser.add_argument(
        "--out", help="the N-Quads file to write (default: build/enrichment/<host>.nq)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per remote query")


def run(args: argparse.Namespace) -> int:
    """Fetch, write, report; return the exit code (0 ok, 2 the endpoint failed)."""
    try:
        graph = args.graph or default_graph(args.endpoint)
        out = Path(args.out) if args.out else default_out(args.endpoint)
        targets = link_targets(bundled().to_store())
        quads = enrich(args.endpoint, graph, targets, args.timeout)
    except EnrichError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write(quads, out)
    linked = set(targets)
    facts = sum(1 for q in quads if q.subject.value in linked)
    print(f"{out}: {facts} facts about {len(targets)} linked entities in <{graph}>")
    return 0
