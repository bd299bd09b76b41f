"""``wopgraph enrich`` and the federated queries, against a partner endpoint on 127.0.0.1.

The partner is the real server loaded with ``tests/partner-wikidata.ttl``, facts in
Wikidata's (and GeoNames') shape about the countries the curated data links to.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from server import ROOT, LiveServer, free_port
from wopgraph.queryfiles import load_query_files

PARTNER_DATA = Path(__file__).with_name("partner-wikidata.ttl")
WIKIDATA_SERVICE = "https://query.wikidata.org/sparql"
WD, WDT = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
PROV = "http://www.w3.org/ns/prov#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"


@pytest.fixture(scope="module")
def partner():
    """The stand-in partner endpoint."""
    with LiveServer("--data", str(PARTNER_DATA)) as live:
        yield live


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``wopgraph`` in a child process, without the caller's ``WOPGRAPH_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOPGRAPH_")}
    return subprocess.run(
        [sys.executable, "-m", "wopgraph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def enriched(partner, tmp_path_factory):
    """The enrichment graph file written by ``wopgraph enrich`` with its defaults."""
    out = tmp_path_factory.mktemp("enrichment") / "partner.nq"
    result = run_cli("enrich", "--endpoint", partner.endpoint, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "facts about" in result.stdout
    return out


def quads_of(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path.read_bytes(), format=ox.RdfFormat.N_QUADS))


def facts(quads, subject: str, predicate: str) -> set[str]:
    return {
        str(q.object)
        for q in quads
        if q.subject.value == subject and q.predicate.value == predicate
    }


def test_facts_land_in_their_own_graph(enriched, partner):
    quads = quads_of(enriched)
    graph = f"https://w3id.org/wop/graph/enrichment/127.0.0.1-{partner.port}"
    assert {q.graph_name.value for q in quads} == {graph}
    assert facts(quads, WD + "Q1028", RDFS_LABEL) == {'"Morocco"@en', '"Maroc"@fr'}, "en, fr only"
    assert facts(quads, WD + "Q1028", WDT + "P625") == {
        '"Point(-6.0 32.0)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>'
    }
    assert facts(quads, WD + "Q1028", WDT + "P571") == {
        '"1956-03-02T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
    }
    assert facts(quads, WD + "Q142", WDT + "P1448") == {'"République française"@fr'}
    geonames = "https://sws.geonames.org/2542007/"
    assert facts(quads, geonames, "http://www.w3.org/2003/01/geo/wgs84_pos#lat")
    assert not facts(quads, WD + "Q183", RDFS_LABEL), "Germany is not linked from the graph"
    assert not facts(quads, WD + "Q1028", WDT + "P31"), "only literal facts are fetched"
    assert not [q for q in quads if q.subject.value.startswith("https://w3id.org/wop/id/")], (
        "facts are about the remote entities, never written onto curated ones"
    )


def test_the_graph_says_where_it_comes_from(enriched, partner):
    quads = quads_of(enriched)
    graph = next(iter({q.graph_name.value for q in quads}))
    assert facts(quads, graph, PROV + "wasDerivedFrom") == {f"<{partner.endpoint}>"}
    assert len(facts(quads, graph, PROV + "generatedAtTime")) == 1
    run = next(iter(facts(quads, graph, PROV + "wasGeneratedBy"))).strip("<>")
    used = facts(quads, run, PROV + "used")
    assert f"<{partner.endpoint}>" in used
    query = next(u.strip("<>") for u in used if "#query-" in u)
    values = [q.object for q in quads if q.subject.value == query]
    value = next(v for v in values if isinstance(v, ox.Literal))
    assert "VALUES ?item" in value.value and WD + "Q1028" in value.value


def test_rerunning_replaces_the_graph(partner, tmp_path):
    out = tmp_path / "again.nq"
    first = run_cli("enrich", "--endpoint", partner.endpoint, "--out", str(out))
    assert first.returncode == 0, first.stderr
    other = "https://w3id.org/wop/graph/enrichment/test"
    second = run_cli("enrich", "--endpoint", partner.endpoint, "--out", str(out), "--graph", other)
    assert second.returncode == 0, second.stderr
    assert {q.graph_name.value for q in quads_of(out)} == {other}


def test_an_unreachable_endpoint_is_an_error(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    result = run_cli(
        "enrich", "--endpoint", dead, "--out", str(tmp_path / "x.nq"), "--timeout", "5"
    )
    assert result.returncode == 2
    assert dead in result.stderr and not (tmp_path / "x.nq").exists()


def select(endpoint: str, query: str) -> dict:
    url = f"{endpoint}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_serve_loads_enrichment_graphs_beside_the_curated_ones(enriched, tmp_path):
    folder = enriched.parent
    with LiveServer("--enrichment-dir", str(folder), "--build-dir", str(tmp_path)) as live:
        graphs = select(live.endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        names = {b["g"]["value"] for b in graphs["results"]["bindings"]}
        mixed = select(
            live.endpoint,
            f"""ASK {{ GRAPH ?g {{ ?s <{WDT}P625> ?o }}
              FILTER (!STRSTARTS(STR(?g), "https://w3id.org/wop/graph/enrichment/")) }}""",
        )
        joined = select(
            live.endpoint,
            f"""SELECT ?label WHERE {{
              <https://w3id.org/wop/id/country/morocco> <{SKOS_EXACT}> ?w .
              ?w <{WDT}P1448> ?label }}""",
        )
    assert any(n.startswith("https://w3id.org/wop/graph/enrichment/") for n in names)
    assert "https://w3id.org/wop/graph/shared" in names
    assert mixed["boolean"] is False, "enrichment facts stay in their own graph"
    assert [b["label"]["value"] for b in joined["results"]["bindings"]] == ["Royaume du Maroc"]
    assert any((tmp_path / "graphs").glob("enrichment--*.nq")), "dumped like any named graph"


FEDERATED = [q for q in load_query_files(ROOT / "queries") if "service" in q.requires]


def test_the_library_has_federated_queries():
    assert {q.name for q in FEDERATED} >= {"federated-country-labels"}
    assert all(WIKIDATA_SERVICE in q.sparql for q in FEDERATED)


@pytest.fixture(scope="module")
def federating(partner):
    """The bundled graph, allowed to call the partner with SERVICE."""
    with LiveServer("--allow-service", partner.endpoint) as live:
        yield live


@pytest.mark.parametrize("query", FEDERATED, ids=lambda q: q.name)
def test_federated_query_gives_its_stated_answer_with_the_partner(query, federating, partner):
    text = query.sparql.replace(WIKIDATA_SERVICE, partner.endpoint)
    url = f"{federating.endpoint}?{urllib.parse.urlencode({'query': text})}"
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        got = list(csv.reader(io.StringIO(response.read().decode())))
    assert got == query.expected
