"""The synthetic corpus generator: deterministic, the size asked for, and WOP-like data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest

from wopgraph import synthetic
from wopgraph.dataset import bundle_root

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, synthetic.Summary]:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic-10k.nq"
    return path, synthetic.write(path, TARGET)


@pytest.fixture(scope="module")
def store(corpus) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(corpus[0]), format=ox.RdfFormat.N_QUADS)
    return store


def test_same_seed_gives_the_same_bytes(corpus, tmp_path):
    again = synthetic.write(tmp_path / "again.nq", TARGET)
    first = hashlib.sha256(corpus[0].read_bytes()).hexdigest()
    second = hashlib.sha256((tmp_path / "again.nq").read_bytes()).hexdigest()
    assert first == second
    assert again == corpus[1]


def test_another_seed_gives_another_corpus(corpus, tmp_path):
    synthetic.write(tmp_path / "other.nq", TARGET, seed=7)
    assert (tmp_path / "other.nq").read_bytes() != corpus[0].read_bytes()


def test_size_is_within_ten_percent_of_the_target(corpus, store):
    path, summary = corpus
    assert abs(summary.triples - TARGET) <= TARGET / 10
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines == summary.triples
    assert len(store) == summary.triples, "every line is a distinct quad"


def test_entities_and_graphs_are_marked_synthetic(store):
    for quad in store:
        if quad.graph_name.value.startswith("https://w3id.org/wop/graph/synthetic/"):
            s = quad.subject
            assert isinstance(s, ox.BlankNode) or s.value.startswith(synthetic.SYN_ID), s
        else:  # the real model only
            assert quad.graph_name.value in (
                "https://w3id.org/wop/graph/ontology",
                "https://w3id.org/wop/graph/vocab",
            )
    labels = store.query(
        "SELECT ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
        'FILTER (STRSTARTS(STR(?g), "https://w3id.org/wop/graph/synthetic/")) }'
    )
    assert all(str(row["l"].value).startswith(("Synthetic", "Synthétique")) for row in labels)


def test_has_hub_operators(corpus):
    hubs = corpus[1].hubs
    assert len(hubs) == 3
    partnerships = corpus[1].partnerships
    assert hubs[0]["mentor_of"] >= partnerships / 5, "the first hub mentors a large share"


def test_answers_a_competency_query(store):
    text = (ROOT / "queries" / "partnerships-mentor-mentee.rq").read_text(encoding="utf-8")
    rows = list(store.query(text, use_default_graph_as_union=True))
    assert rows
    assert all(row["mentorCountryLabel"] is not None for row in rows)


def test_conforms_to_the_shapes(tmp_path):
    from wopgraph.validation import validate

    path = tmp_path / "small.nq"
    synthetic.write(path, 2_000, include_model=False)
    report = validate([path])
    assert report.conforms, report.render()


def test_refuses_to_write_into_data(tmp_path):
    with pytest.raises(ValueError):
        synthetic.write(bundle_root() / "data" / "synthetic.nq", 1_000)
    assert not (bundle_root() / "data" / "synthetic.nq").exists()


@pytest.mark.parametrize(("text", "value"), [("10k", 10_000), ("1m", 1_000_000), ("2500", 2500)])
def test_parse_size(text, value):
    assert synthetic.parse_size(text) == value
    assert synthetic.parse_size(synthetic.size_label(value)) == value
