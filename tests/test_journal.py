"""The write journal: commit, crash recovery, replay and following, on a real folder."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from wopgraph.journal import CHANGES_GRAPH, Follower, Journal, JournalError, apply_to
from wopgraph.store import OxigraphStore

G1, G2 = "https://example.org/g1", "https://example.org/g2"
P = ox.NamedNode("https://example.org/p")


def content(graph: str, *values: int, blank: bool = False) -> list[ox.Quad]:
    subject = ox.BlankNode() if blank else ox.NamedNode("https://example.org/s")
    return [ox.Quad(subject, P, ox.Literal(v), ox.NamedNode(graph)) for v in values]


def values(store, graph: str) -> list[int]:
    return sorted(int(q.object.value) for q in store.quads(graph))


def test_a_commit_is_durable_and_published(tmp_path):
    journal = Journal(tmp_path)
    with journal.locked():
        record = journal.commit({G1: content(G1, 1, 2)}, "alice", "PUT")
    assert record.seq == journal.head() == journal.last_committed() == 1
    saved = json.loads((tmp_path / "commits" / "000000000001.json").read_text())
    assert saved["agent"] == "alice" and saved["graphs"][G1] == record.graphs[0][1]
    assert values(_replayed(journal), G1) == [1, 2]


def _replayed(journal: Journal) -> OxigraphStore:
    store = OxigraphStore()
    apply_to(store, journal.records(0, journal.head()), journal)
    return store


def test_replay_keeps_the_newest_content_of_each_graph_and_every_change(tmp_path):
    journal = Journal(tmp_path)
    with journal.locked():
        journal.commit({G1: content(G1, 1)}, "a", "PUT")
        journal.commit({G1: content(G1, 2), G2: content(G2, 3, blank=True)}, "b", "UPDATE")
        journal.commit({G2: None}, "c", "DELETE")
    store = _replayed(journal)
    assert values(store, G1) == [2] and values(store, G2) == []
    activity = "<http://www.w3.org/ns/prov#Activity>"
    activities = store.query(f"SELECT ?a WHERE {{ GRAPH <{CHANGES_GRAPH}> {{ ?a a {activity} }} }}")
    assert len(list(activities)) == 3


def test_a_record_committed_but_not_published_is_published_at_recovery(tmp_path):
    """A crash after the commit point and before HEAD moved: the write is there."""
    journal = Journal(tmp_path)
    with journal.locked():
        journal.commit({G1: content(G1, 1)}, "a", "PUT")
        journal.commit({G1: content(G1, 2)}, "a", "PUT")
    (tmp_path / "HEAD").write_text("1")  # as if killed before publishing seq 2
    applied = []
    assert journal.recover(lambda record, graphs: applied.append(record.seq)) == 2
    assert applied == [2] and journal.head() == 2


def test_content_without_a_record_is_no_write(tmp_path):
    """A crash before the commit point: the content file alone changes nothing."""
    journal = Journal(tmp_path)
    (tmp_path / "content" / ("0" * 64 + ".nt")).write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    assert journal.recover() == 0 and list(journal.records()) == []


def test_a_failed_store_apply_takes_the_commit_back(tmp_path):
    journal = Journal(tmp_path)

    def failing(record, graphs):
        raise OSError("remote store down")

    with journal.locked(), pytest.raises(OSError):
        journal.commit({G1: content(G1, 1)}, "a", "PUT", failing)
    assert journal.head() == journal.last_committed() == 0


def test_damaged_files_are_named(tmp_path):
    journal = Journal(tmp_path)
    with journal.locked():
        record = journal.commit({G1: content(G1, 1)}, "a", "PUT")
    digest = record.graphs[0][1]
    (tmp_path / "content" / f"{digest}.nt").write_bytes(b"<urn:a> <urn:b> <urn:tampered> .\n")
    with pytest.raises(JournalError, match="does not match its hash"):
        _replayed(journal)
    (tmp_path / "commits" / "000000000001.json").write_text("{not json")
    with pytest.raises(JournalError, match="000000000001.json: damaged"):
        list(journal.records())


def test_a_follower_applies_what_it_has_not_seen(tmp_path):
    journal = Journal(tmp_path)
    store = OxigraphStore()
    follower = Follower(journal, journal.head())
    assert follower.catch_up(store) == 0
    with journal.locked():
        journal.commit({G1: content(G1, 1)}, "a", "PUT")
        journal.commit({G1: content(G1, 1, 5)}, "a", "POST")
    assert follower.catch_up(store) == 2 and values(store, G1) == [1, 5]
    assert follower.catch_up(store) == 2  # nothing new: nothing done
    remote_like = Follower(journal, 0, replay=False)
    other = OxigraphStore()
    assert remote_like.catch_up(other) == 2 and values(other, G1) == []


def test_readers_of_a_remote_store_wait_while_a_write_is_applied(tmp_path):
    """A remote server may apply a write's request operation by operation: wopgraph's
    readers of such a store hold a shared lock that the write's apply step excludes."""
    import threading
    import time

    journal = Journal(tmp_path)
    applying, applied = threading.Event(), []

    def slow_apply(record, graphs):
        applying.set()
        time.sleep(0.4)
        applied.append(record.seq)

    def write():
        with journal.locked():
            journal.commit({G1: content(G1, 1)}, "a", "PUT", slow_apply)

    writer = threading.Thread(target=write)
    writer.start()
    assert applying.wait(5)
    with Follower(journal, 0, replay=False).reading():
        seen = list(applied)  # only once the apply step has finished
    writer.join()
    assert seen == [1]
    with Follower(journal, 0, replay=True).reading():  # in-memory readers never wait
        pass
