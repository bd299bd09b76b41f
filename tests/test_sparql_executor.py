"""The query process: answers, the time limit that really stops work, recovery, overhead."""

from __future__ import annotations

import os
import signal
import statistics
import time

import pytest

from wopgraph.executor import Executor, Job, QueryTimeout, run_job
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
