"""The query process: answers, the time limit that really stops work, recovery, overhead."""

from __future__ import annotations

import os
import signal
import statistics
import time
from dataclasses import replace

import pyoxigraph as ox
import pytest

from wopgraph import config
from wopgraph.endpoint import Backend, ProtocolRequest, Summary
from wopgraph.executor import (
    LOOKUP_ROWS,
    PATTERN_QUADS,
    Executor,
    Job,
    QueryTimeout,
    matches_at_most,
    run_job,
)
from wopgraph.namespaces import PREFIXES
from wopgraph.sparql_scan import scan
from wopgraph.store import OxigraphStore
from wopgraph.writers import write_result

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TINY = "ASK { ?s ?p ?o }"


def alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def executor(store):
    """An executor with a 1 s limit over the bundled store, stopped afterwards."""
    ex = Executor(lambda: store, timeout=1.0)
    yield ex
    ex.stop()


def test_answers_in_the_negotiated_format(executor):
    outcome = executor.run(Job("SELECT ?s WHERE { ?s a wop:Partnership }", results_format="csv"))
    assert outcome.status == "ok"
    assert outcome.kind == "solutions"
    assert outcome.body.startswith(b"s\r\nhttps://w3id.org/wop/id/partnership/")


def test_construct_is_written_in_the_graph_format(executor):
    job = Job("CONSTRUCT WHERE { ?s a wop:Partnership }", graph_format="ntriples")
    outcome = executor.run(job)
    assert outcome.kind == "triples"
    assert b"<https://w3id.org/wop/ontology#Partnership> ." in outcome.body


def test_syntax_error_carries_the_position(executor):
    outcome = executor.run(Job("SELECT * WHERE { ?s ?p }"))
    assert outcome.status == "syntax"
    assert "1:" in outcome.message


def test_time_limit_kills_the_work_and_a_fresh_process_answers_at_once(executor):
    executor.start()
    first = executor._pid
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s"):
        executor.run(Job(SLOW))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.5, elapsed
    assert not alive(first), "the process evaluating the slow query must be gone"
    started = time.monotonic()
    assert executor.run(Job(TINY)).status == "ok"
    assert time.monotonic() - started < 0.5
    assert executor._pid != first


def test_a_dead_idle_process_is_replaced(executor):
    executor.start()
    os.kill(executor._pid, signal.SIGKILL)
    os.waitpid(executor._pid, 0)
    assert executor.run(Job(TINY)).status == "ok"


def test_run_job_reports_failures_instead_of_raising(store):
    outcome = run_job(store, Job("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"))
    assert outcome.status == "error"
    assert outcome.message


def test_overhead_per_query_is_well_under_a_millisecond(store, executor):
    """Median cost of the process hop on a tiny query, against evaluating it in-process."""
    job = Job(TINY)
    for _ in range(100):
        executor.run(job)
    direct, hop = [], []
    for _ in range(2000):
        t = time.perf_counter()
        write_result(store.query(TINY), "json", "turtle", 10)
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        executor.run(job)
        hop.append(time.perf_counter() - t)
    overhead = statistics.median(hop) - statistics.median(direct)
    print(
        f"median direct {statistics.median(direct) * 1e6:.0f} us, "
        f"executor {statistics.median(hop) * 1e6:.0f} us, overhead {overhead * 1e6:.0f} us"
    )
    assert overhead < 0.001


LOOKUP = Job("DESCRIBE <https://w3id.org/wop/id/operator/onee>", lookup=True)


def test_a_bounded_lookup_is_answered_in_process_without_the_child(store):
    local = Executor(lambda: store, timeout=1.0, local=store)
    remote = Executor(lambda: store, timeout=1.0)
    try:
        here = local.run(LOOKUP)
        assert not local.running, "a lookup must not start the query process"
        there = remote.run(LOOKUP)
        assert here == there
        assert here.status == "ok" and here.count > 5
        assert local.run(Job(TINY)).status == "ok"
        assert local.running, "any other query goes to the query process"
    finally:
        local.stop()
        remote.stop()


@pytest.mark.parametrize(
    ("timeout", "max_rows", "follower", "rows"),
    [
        (10.0, 5, None, LOOKUP_ROWS),  # rows read, not written: a small cap does not bound them
        (10.0, 100_000_000, None, LOOKUP_ROWS),
        (0.2, 100_000_000, None, 5_000),  # a quarter of the limit at the worst cost a row
        (0.00001, 10_000, None, 0),
        (10.0, 10_000, "journal", 0),  # writes on: the child's store is the newer one
    ],
)
def test_lookup_rows_keep_the_worst_case_well_inside_the_limit(
    store, timeout, max_rows, follower, rows
):
    ex = Executor(lambda: store, timeout=timeout, follower=follower, local=store)
    assert ex.lookup_rows(Job(LOOKUP.query, max_rows=max_rows, lookup=True)) == rows
    assert ex.lookup_rows(Job(LOOKUP.query, max_rows=max_rows)) == 0


def test_a_lookup_with_more_rows_than_allowed_here_is_found_whole_by_the_child():
    big = OxigraphStore()
    subject, graph = ox.NamedNode("http://example.org/big"), ox.NamedNode("http://example.org/g")
    p = ox.NamedNode("http://example.org/p")
    big.add(ox.Quad(subject, p, ox.Literal(str(i)), graph) for i in range(LOOKUP_ROWS + 3))
    ex = Executor(lambda: big, timeout=10.0, local=big)
    try:
        job = Job("DESCRIBE <http://example.org/big>", "json", "ntriples", lookup=True)
        whole = ex.run(replace(job, max_rows=100_000))
        assert ex.running, "past the rows allowed here, the query process answers"
        assert (whole.count, whole.truncated) == (LOOKUP_ROWS + 3, False)
        ex.stop()
        capped = ex.run(replace(job, max_rows=7))
        assert (capped.count, capped.truncated) == (7, True)
        assert not ex.running, "within the row cap, this process answers"
    finally:
        ex.stop()


@pytest.mark.parametrize(
    ("request_", "lookup"),
    [
        (ProtocolRequest(queries=["DESCRIBE wop:Partnership"]), True),
        (ProtocolRequest(queries=["DESCRIBE <x:a>"], default_graphs=["x:g"]), False),
        (ProtocolRequest(queries=["DESCRIBE <x:a> FROM <x:g>"]), False),
        (ProtocolRequest(queries=["DESCRIBE ?s WHERE { ?s a wop:Partnership }"]), False),
    ],
)
def test_prepare_marks_lookups_but_not_those_over_a_chosen_dataset(request_, lookup):
    backend = Backend(config.load({}, environ={}), Summary((), 0), None)
    assert backend.prepare(request_, None).job.lookup is lookup


def test_a_lookup_stops_after_its_rows_not_after_the_whole_resource():
    """What makes a lookup safe outside the query process: Oxigraph finds a DESCRIBE's rows
    one by one, so a lookup stopped after ``most`` rows read costs those rows, not the
    resource; and a triple repeated in many graphs, written once, is read each time."""
    big = OxigraphStore()
    subject, p = ox.NamedNode("http://example.org/big"), ox.NamedNode("http://example.org/p")
    big.add(
        ox.Quad(subject, p, ox.Literal(str(i)), ox.NamedNode(f"http://example.org/g{i % 1000}"))
        for i in range(200_000)
    )
    big.add(
        ox.Quad(subject, p, ox.Literal("same"), ox.NamedNode(f"http://example.org/h{i}"))
        for i in range(50_000)
    )
    same = ox.NamedNode("http://example.org/same")
    big.add(
        ox.Quad(same, p, ox.Literal("same"), ox.NamedNode(f"http://example.org/h{i}"))
        for i in range(200_000)
    )

    def median_seconds(job: Job, most: int | None, expected: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            outcome = run_job(big, job, most)
            times.append(time.perf_counter() - started)
            assert outcome.status == expected
        return statistics.median(times)

    for iri, count in [("big", 200_001), ("same", 1)]:
        job = Job(f"DESCRIBE <http://example.org/{iri}>", max_rows=10**9, lookup=True)
        stopped, whole = median_seconds(job, 100, "over"), median_seconds(job, None, "ok")
        assert stopped * 20 < whole, (iri, stopped, whole)
        assert run_job(big, job).count == count


def test_a_describe_repeated_in_graphs_is_the_same_here_and_in_the_child():
    store = OxigraphStore()
    e, p = ox.NamedNode("http://example.org/e"), ox.NamedNode("http://example.org/p")
    store.add(
        ox.Quad(e, p, ox.Literal(str(i % 3)), ox.NamedNode(f"http://example.org/g{i}"))
        for i in range(30)
    )
    job = Job("DESCRIBE <http://example.org/e>", "json", "ntriples", lookup=True, describe=True)
    ex = Executor(lambda: store, timeout=10.0, local=store)
    child = Executor(lambda: store, timeout=10.0)
    try:
        here, there = ex.run(job), child.run(job)
        assert not ex.running
        assert here == there
        assert (here.count, len(set(here.body.splitlines()))) == (3, 3)
        # More repeats than a lookup may read here: the child reads them, and writes 3 rows.
        store.add(
            ox.Quad(e, p, ox.Literal(str(i % 3)), ox.NamedNode(f"http://example.org/h{i}"))
            for i in range(LOOKUP_ROWS)
        )
        again = ex.run(job)
        assert ex.running, "past the rows it may read, the child answers"
        assert (again.count, again.truncated) == (3, False)
        assert sorted(again.body.splitlines()) == sorted(here.body.splitlines())
    finally:
        ex.stop()
        child.stop()


def page_job(iri: str, graph_format: str = "turtle", **kwargs) -> Job:
    """The entity page's CONSTRUCT of ``iri`` as the endpoint prepares it."""
    query = (
        f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }}\n"
        f"WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}"
    )
    return Job(query, graph_format=graph_format, patterns=scan(query, PREFIXES).patterns, **kwargs)


@pytest.mark.parametrize("graph_format", ["turtle", "ntriples", "jsonld", "rdfxml"])
def test_a_small_pattern_lookup_is_answered_in_process_as_the_child_would(store, graph_format):
    local = Executor(lambda: store, timeout=1.0, local=store)
    remote = Executor(lambda: store, timeout=1.0)
    job = page_job("https://w3id.org/wop/id/operator/onee", graph_format)
    try:
        here = local.run(job)
        assert not local.running, "a small pattern lookup must not start the query process"
        assert here == remote.run(job)
        assert here.status == "ok" and here.kind == "triples" and here.count > 5
    finally:
        local.stop()
        remote.stop()


def test_a_pattern_lookup_matching_more_quads_goes_to_the_child():
    big = OxigraphStore()
    e, p = ox.NamedNode("http://example.org/e"), ox.NamedNode("http://example.org/p")
    # Each triple in two graphs: two quads a row, PATTERN_QUADS - 2 in all.
    graphs = [ox.NamedNode("http://example.org/g1"), ox.NamedNode("http://example.org/g2")]
    half = PATTERN_QUADS // 2 - 1
    big.add(ox.Quad(e, p, ox.Literal(str(i)), g) for i in range(half) for g in graphs)
    ex = Executor(lambda: big, timeout=10.0, local=big)
    try:
        for extra, here in [(1, True), (2, True), (3, False)]:  # quads: 255, 256, 257
            subject = ox.NamedNode(f"http://example.org/s{extra}")
            big.add([ox.Quad(subject, p, e, graphs[0])])
            outcome = ex.run(page_job("http://example.org/e", "ntriples"))
            assert (outcome.count, outcome.truncated) == (half + extra, False)
            assert ex.running is not here, (extra, "quads, not rows, are counted")
    finally:
        ex.stop()


def test_counting_a_pattern_lookups_quads_stops_one_past_the_bound():
    """What makes a pattern lookup safe outside the query process: whatever the data, the
    count costs the bound, not the matches (here 200,000 copies of one triple, one row)."""
    big = OxigraphStore()
    e, p = ox.NamedNode("http://example.org/e"), ox.NamedNode("http://example.org/p")
    big.add(
        ox.Quad(e, p, ox.Literal("same"), ox.NamedNode(f"http://example.org/g{i}"))
        for i in range(200_000)
    )
    patterns = page_job("http://example.org/e").patterns
    assert run_job(big, page_job("http://example.org/e")).count == 1

    def median_seconds(quads: int) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert matches_at_most(big, patterns, quads) is (quads >= 200_000)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    bounded, whole = median_seconds(PATTERN_QUADS), median_seconds(10**9)
    assert bounded * 50 < whole, (bounded, whole)


def test_a_pattern_lookup_with_an_iri_the_store_refuses_gets_the_query_processs_answer(store):
    query = "CONSTRUCT WHERE { <http://example.org/%zz> ?p ?o }"
    job = Job(query, patterns=scan(query, PREFIXES).patterns)
    assert job.patterns, "the scanner does not check IRIs: the store does"
    assert not matches_at_most(store, job.patterns, PATTERN_QUADS)
    ex = Executor(lambda: store, timeout=10.0, local=store)
    try:
        outcome = ex.run(job)
        assert outcome.status == "syntax", outcome
        assert outcome == run_job(store, replace(job, patterns=None))
    finally:
        ex.stop()


@pytest.mark.parametrize(
    ("timeout", "follower", "quads"),
    [
        (10.0, None, PATTERN_QUADS),
        (0.001, None, 25),  # a quarter of the limit at the worst cost a quad
        (0.00001, None, 0),
        (10.0, "journal", 0),  # writes on: the child's store is the newer one
    ],
)
def test_pattern_quads_keep_the_worst_case_well_inside_the_limit(store, timeout, follower, quads):
    ex = Executor(lambda: store, timeout=timeout, follower=follower, local=store)
    job = page_job("https://w3id.org/wop/id/operator/onee")
    assert ex.pattern_quads(job) == quads
    assert ex.pattern_quads(replace(job, patterns=None)) == 0
    assert Executor(lambda: store, timeout=timeout).pattern_quads(job) == 0


@pytest.mark.parametrize(
    ("query", "describe"),
    [
        ("DESCRIBE wop:Partnership", True),
        ("describe ?s WHERE { ?s a wop:Partnership }", True),
        ("CONSTRUCT WHERE { ?s a wop:Partnership }", False),
        ("SELECT * WHERE { ?s ?p ?o }", False),
    ],
)
def test_prepare_marks_describes(query, describe):
    backend = Backend(config.load({}, environ={}), Summary((), 0), None)
    assert backend.prepare(ProtocolRequest(queries=[query]), None).job.describe is describe


@pytest.mark.parametrize(
    ("request_", "patterns"),
    [
        (ProtocolRequest(queries=["CONSTRUCT WHERE { wop:x ?p ?o }"]), True),
        (ProtocolRequest(queries=["CONSTRUCT WHERE { wop:x ?p ?o }"], named_graphs=["x:g"]), False),
        (ProtocolRequest(queries=["CONSTRUCT WHERE { wop:x ?p ?o . ?o ?q ?r }"]), False),
    ],
)
def test_prepare_marks_pattern_lookups_but_not_those_over_a_chosen_dataset(request_, patterns):
    backend = Backend(config.load({}, environ={}), Summary((), 0), None)
    assert (backend.prepare(request_, None).job.patterns is not None) is patterns
