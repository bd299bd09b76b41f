"""``wopgraph build``: per-graph dumps and a VoID/DCAT description that tells the truth."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import DCAT, VOID

from wopgraph.build import build
from wopgraph.namespaces import SHARED_GRAPH, case_graph

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DATASET = rdflib.URIRef("https://w3id.org/wop/dataset")
SD_NAME = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name")


@pytest.fixture(scope="module")
def built(tmp_path_factory, dataset):
    out = tmp_path_factory.mktemp("build")
    return out, build(dataset, out, base="http://example.test/")


@pytest.fixture(scope="module")
def void_graph(built):
    out, _ = built
    return rdflib.Graph().parse(out / "void.ttl", format="turtle")


def test_each_named_graph_has_its_own_dumps(built, store):
    out, dumps = built
    for graph in (case_graph("onee-siaap"), str(SHARED_GRAPH)):
        mine = [d for d in dumps if d.graph == graph]
        assert len(mine) == 5, graph
        nq = next(d for d in mine if d.path.suffix == ".nq")
        parsed = list(ox.parse(nq.path.read_bytes(), format=ox.RdfFormat.N_QUADS))
        assert len(parsed) == sum(1 for _ in store.quads(graph))
        assert {q.graph_name.value for q in parsed} == {graph}


def test_void_counts_match_the_store(void_graph, store):
    union = {(str(q.subject), str(q.predicate), str(q.object)) for q in store.quads()}
    assert int(void_graph.value(DATASET, VOID.triples)) == len(union)
    subsets = {
        void_graph.value(s, SD_NAME): int(void_graph.value(s, VOID.triples))
        for s in void_graph.objects(DATASET, VOID.subset)
        if void_graph.value(s, SD_NAME) is not None
    }
    assert subsets == {rdflib.URIRef(g): sum(1 for _ in store.quads(g)) for g in store.graphs()}


def test_void_class_partition_counts_operators(void_graph):
    parts = {
        void_graph.value(p, VOID["class"]): int(void_graph.value(p, VOID.entities))
        for p in void_graph.objects(DATASET, VOID.classPartition)
    }
    assert parts[rdflib.URIRef("https://w3id.org/wop/ontology#Operator")] == 2
    assert parts[rdflib.URIRef("https://w3id.org/wop/ontology#ImprovementTrack")] == 8


def test_linksets_count_links_to_wikidata_geonames_and_the_french_atlas(void_graph):
    found = {}
    for linkset in void_graph.subjects(rdflib.RDF.type, VOID.Linkset):
        target = str(void_graph.value(linkset, VOID.objectsTarget)).rsplit("/", 1)[-1]
        predicate = str(void_graph.value(linkset, VOID.linkPredicate)).rsplit("#", 1)[-1]
        found[(target, predicate.rsplit("/", 1)[-1])] = int(void_graph.value(linkset, VOID.triples))
    assert {t for t, _ in found} == {"wikidata", "geonames", "french-atlas"}
    assert found[("wikidata", "exactMatch")] == 3 and found[("geonames", "exactMatch")] == 3
    assert found[("french-atlas", "seeAlso")] == 1


def test_distributions_carry_true_size_and_checksum(built, void_graph):
    out, dumps = built
    listed = set(void_graph.subjects(rdflib.RDF.type, DCAT.Distribution))
    assert len(listed) == len([d for d in dumps if d.path.name != "void.ttl"])
    for dist in listed:
        path = out / str(dist).removeprefix("http://example.test/dumps/")
        data = path.read_bytes()
        assert int(void_graph.value(dist, DCAT.byteSize)) == len(data)
        checksum = void_graph.value(dist, SPDX.checksum)
        assert (
            str(void_graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        )


def test_canonical_form_ignores_order_and_blank_node_labels(dataset):
    """Regression: linked blank nodes (the shapes' RDF lists) got labels from input order."""
    import random

    from wopgraph.serialize import canonical_quads

    quads = dataset.quads()
    shuffled = quads[:]
    random.Random(7).shuffle(shuffled)
    fresh: dict[str, ox.BlankNode] = {}

    def relabel(term):
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term.value, ox.BlankNode())
        return term

    renamed = [
        ox.Quad(relabel(q.subject), q.predicate, relabel(q.object), q.graph_name) for q in shuffled
    ]
    assert any(isinstance(q.object, ox.BlankNode) for q in quads), "the data has blank nodes"
    assert canonical_quads(renamed) == canonical_quads(quads)
