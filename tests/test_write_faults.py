"""Faults on the real thing: ``kill -9`` during writes and during ``wopgraph load``, readers
while writes land, and cheap queries under a burst while a heavy one runs.

* A server (gunicorn, 2 workers, a journal in a temporary folder) gets a stream of PUTs of one
  graph, alternating between two known contents A and B, and is killed with ``SIGKILL`` (its
  whole process group: master, workers, query processes) at a moment drawn from a fixed seed,
  then started again on the same journal. The graph must be exactly the content of the last
  acknowledged write, or of the one in flight, and the changes graph must hold an activity for
  every acknowledged write and at most one more.
* The same, made exact: a committing process killed just before each durable step of one
  commit (every ``fsync`` and ``rename``) leaves, at the next start, the old content before
  the commit point (the rename of the record) and the new one from there on.
* ``wopgraph load`` of a big file into an on-disk store, killed at drawn moments, leaves the
  store as it was before the load or as after it, across all its graphs.
* While one client writes versions of a graph that each satisfy an invariant, readers never
  see a mix of two versions.
* A query stopped by the time limit does not hold up a burst of cheap ones.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from server import ROOT, LiveServer
from wopgraph import config
from wopgraph.endpoint import load_store
from wopgraph.journal import Journal

TOKEN = "s3cret"
WRITE_TOKENS = f"alice:{TOKEN}"
CASE = "https://w3id.org/wop/graph/case/test-faults"
READERS_CASE = "https://w3id.org/wop/graph/case/test-readers"
CHANGES = "https://w3id.org/wop/graph/changes"
PROV_ACTIVITY = "http://www.w3.org/ns/prov#Activity"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCTERMS_ID = "http://purl.org/dc/terms/identifier"
MINIMAL = (ROOT / "tests" / "shapes" / "valid" / "minimal-partnership.ttl").read_text("utf-8")
#: Seeds of the kill moments, one round each, the same on every run. For the writes they draw
#: (acknowledged writes before the kill, fraction of the next write): (0, .09), (2, .74),
#: (2, .95), (3, .87).
WRITE_SEEDS = (2, 5, 7, 11)
LOAD_SEEDS = (1, 2, 3, 4)


# Talking to a server


def request(method: str, url: str, body: bytes | None = None, headers=None, timeout=30):
    """One HTTP request; return (status, body) for error statuses too."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def put_graph(server: LiveServer, graph: str, turtle: str) -> tuple[int, bytes]:
    """PUT ``turtle`` as the content of ``graph``."""
    url = f"{server.url}/graphs?{urllib.parse.urlencode({'graph': graph})}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
    return request("PUT", url, turtle.encode("utf-8"), headers)


def query(server: LiveServer, sparql: str, accept: str) -> bytes:
    """POST a query to the endpoint; its answer must be 200."""
    body = urllib.parse.urlencode({"query": sparql}).encode()
    status, answer = request("POST", server.endpoint, body, {"Accept": accept})
    assert status == 200, answer[:500]
    return answer


def graph_content(server: LiveServer, graph: str) -> rdflib.Graph:
    """The triples of ``graph`` as the server serves them, parsed back with rdflib."""
    data = query(
        server,
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
        "application/n-triples",
    )
    return rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")


def activities(server: LiveServer) -> set[str]:
    """The IRIs of the activities (one per accepted write) in the changes graph."""
    data = query(
        server,
        f"SELECT ?a WHERE {{ GRAPH <{CHANGES}> {{ ?a a <{PROV_ACTIVITY}> }} }}",
        "application/sparql-results+json",
    )
    return {row["a"]["value"] for row in json.loads(data)["results"]["bindings"]}


# A server that can be killed whole


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


class KillableServer(LiveServer):
    """A :class:`LiveServer` in a process group of its own, so that ``kill -9`` reaches the
    gunicorn master, its workers and their query processes at once."""

    new_session = True

    def kill(self) -> None:
        """SIGKILL every process of the server; wait until none is left."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while group_members(self.process.pid):
            assert time.monotonic() < deadline, "a process of the server survived kill -9"
            time.sleep(0.02)


def writing_server(journal: Path) -> KillableServer:
    """A started server with writes on, 2 workers, the journal in ``journal``."""
    server = KillableServer(
        "--workers", "2", "--journal", str(journal), "--write-tokens", WRITE_TOKENS
    )
    return server.start().wait_for_server()


# kill -9 during writes


def operators(tag: str, count: int) -> str:
    """``count`` valid operators (Turtle, with the minimal partnership's prefixes)."""
    return "\n".join(
        f'operator:test-{tag}-{i} a wop:Operator ; rdfs:label "OP {tag.upper()} {i}" ;\n'
        "    wop:country country:test-land ; wop:providesService service:sanitation ;\n"
        "    prov:wasDerivedFrom document:test-sheet ."
        for i in range(count)
    )


#: The two contents written in turn: the minimal partnership and 25 operators each, so that
#: a write (SHACL validation of some 160 triples) takes a moment.
CONTENTS = {key: MINIMAL + "\n" + operators(key.lower(), 25) for key in ("A", "B")}


def other(key: str | None) -> str:
    """The content to write after ``key``."""
    return "B" if key == "A" else "A"


class Writer(threading.Thread):
    """PUTs A, B, A, ... to :data:`CASE` until a request fails (the server was killed)."""

    def __init__(self, server: LiveServer, first: str):
        super().__init__(daemon=True)
        self.server = server
        self.first = first
        self.acked: list[tuple[str, str]] = []
        """(content key, change IRI) of each write answered 2xx, in order."""
        self.took: list[float] = []
        """How long each acknowledged write took, in seconds."""
        self.in_flight: str | None = None
        """The content of the write sent and not answered when the server died."""
        self.refused: list[tuple[int, bytes]] = []

    def run(self) -> None:
        """Write until the connection fails or a write is refused."""
        key = self.first
        while True:
            self.in_flight = key
            started = time.monotonic()
            try:
                status, body = put_graph(self.server, CASE, CONTENTS[key])
            except (OSError, http.client.HTTPException):
                return
            if not 200 <= status < 300:
                self.refused.append((status, body[:500]))
                self.in_flight = None
                return
            self.took.append(time.monotonic() - started)
            self.acked.append((key, json.loads(body)["change"]))
            self.in_flight = None
            key = other(key)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        """Wait until ``count`` writes were acknowledged."""
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert not self.refused, f"a valid write was refused: {self.refused}"
            assert self.is_alive() and time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)


def kill_moment(writer: Writer, seed: int) -> None:
    """Return at the moment of round ``seed``: after 0 to 3 acknowledged writes, then a drawn
    fraction of a write's duration, so that the kill lands at a drawn point of a write
    whatever the speed of the machine."""
    draw = random.Random(seed)
    writes, fraction = draw.randint(0, 3), draw.random()
    writer.wait_for(writes)
    time.sleep(fraction * (writer.took[-1] if writer.took else 0.5))


def head(journal: Path) -> int:
    """The journal's HEAD (0 before the first write)."""
    path = journal / "HEAD"
    return int(path.read_text()) if path.exists() else 0


def test_kill_9_during_writes_loses_no_acknowledged_write(tmp_path):
    journal = tmp_path / "journal"
    parsed = {k: rdflib.Graph().parse(data=text, format="turtle") for k, text in CONTENTS.items()}
    expected: str | None = None  # the graph's content: absent, "A" or "B"
    known: set[str] = set()  # activities found so far
    in_flight_committed = 0
    server = writing_server(journal)
    try:
        for seed in WRITE_SEEDS:
            writer = Writer(server, other(expected))
            writer.start()
            kill_moment(writer, seed)
            server.kill()
            writer.join(30)
            assert not writer.is_alive()
            assert not writer.refused, f"a valid write was refused: {writer.refused}"
            server.stop()
            server = writing_server(journal)

            found = activities(server)
            new = found - known
            acked = [change for _, change in writer.acked]
            lost = set(acked) - new
            assert not lost, f"seed {seed}: acknowledged writes lost by kill -9: {sorted(lost)}"
            extra = len(new) - len(acked)
            assert extra in ((0, 1) if writer.in_flight else (0,)), (
                f"seed {seed}: {len(new)} new activities for {len(acked)} acknowledged writes"
            )
            if extra:
                expected = writer.in_flight
                in_flight_committed += 1
            elif writer.acked:
                expected = writer.acked[-1][0]
            content = graph_content(server, CASE)
            if expected is None:
                assert len(content) == 0, f"seed {seed}: nothing was written, yet the graph exists"
            else:
                assert isomorphic(content, parsed[expected]), (
                    f"seed {seed}: the graph is not exactly content {expected} "
                    f"({len(content)} triples, {len(parsed[expected])} expected)"
                )
            assert head(journal) == len(found), "HEAD is not the newest write"
            known = found
        print(f"{len(known)} writes survived, {in_flight_committed} of them unacknowledged")
    finally:
        server.stop()


# A crash at every durable step of one commit

#: Return code of a committing child that was not killed (its count of steps follows).
NOT_KILLED = 64


def commit_and_die(folder: Path, graphs: dict, step: int) -> int:
    """Commit ``graphs`` in a forked child that SIGKILLs itself just before its ``step``-th
    durable step (an ``fsync`` or a ``rename``); return the number of steps when not killed.

    Kills are injected at the operating system's boundary (``os.fsync``, ``os.replace``);
    the journal's own code runs unchanged.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        count = 0

        def counted(call):
            def step_then(*args, **kwargs):
                nonlocal count
                count += 1
                if count == step:
                    os.kill(os.getpid(), signal.SIGKILL)
                return call(*args, **kwargs)

            return step_then

        try:
            os.fsync, os.replace = counted(os.fsync), counted(os.replace)
            journal = Journal(folder)
            with journal.locked():
                journal.commit(graphs, "alice", "PUT")
        finally:
            os._exit(NOT_KILLED + count)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return 0
    assert os.WEXITSTATUS(status) > NOT_KILLED, "the commit failed"
    return os.WEXITSTATUS(status) - NOT_KILLED


def quads_of(turtle: str, graph: str) -> list[ox.Quad]:
    """``turtle``'s triples as quads of ``graph``."""
    name = ox.NamedNode(graph)
    return [
        ox.Quad(t.subject, t.predicate, t.object, name)
        for t in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)
    ]


def test_crash_at_every_step_of_a_commit_is_before_or_after(tmp_path):
    a, b = (quads_of(CONTENTS[key], CASE) for key in ("A", "B"))
    served = tmp_path / "served.nq"
    served.write_text(f'<{CASE}/x> <{RDFS_LABEL}> "x" <{CASE}-other> .\n', encoding="utf-8")
    settings = config.load({"data": [str(served)]}, environ={})
    steps = commit_and_die(tmp_path / "probe", {CASE: b}, step=0)
    assert steps >= 2, "a commit makes at least its content and its record durable"
    outcomes = []
    for step in range(1, steps + 1):
        folder = tmp_path / f"journal-{step}"
        journal = Journal(folder)
        with journal.locked():
            journal.commit({CASE: a}, "alice", "PUT")
        assert commit_and_die(folder, {CASE: b}, step) == 0
        # Start up as the server does: recover, replay the journal into the served data.
        get_store, _ = load_store(settings, Journal(folder))
        now = set(get_store().quads(CASE))
        committed = Journal(folder).last_committed() == 2
        assert now == set(b if committed else a), (
            f"killed before step {step} of {steps}: the graph is neither the old content nor "
            f"the new one ({len(now)} triples), or it disagrees with the records on disk"
        )
        assert Journal(folder).head() == Journal(folder).last_committed()
        outcomes.append("after" if committed else "before")
    assert outcomes[0] == "before" and outcomes[-1] == "after", outcomes
    assert outcomes == sorted(outcomes, key=("before", "after").index), (
        f"once a step made the write durable, a later crash must keep it: {outcomes}"
    )


# kill -9 during `wopgraph load`

LOAD_GRAPHS = (
    "https://w3id.org/wop/graph/case/test-load-1",
    "https://w3id.org/wop/graph/case/test-load-2",
)


#: Triples per graph of the big load (the whole file: 2 graphs, 20k triples, 3 MB).
AFTER = 10_000


def write_nquads(path: Path, tag: str, per_graph: int) -> Path:
    """N-Quads with ``per_graph`` triples in each of :data:`LOAD_GRAPHS`, labelled ``tag``."""
    with open(path, "w", encoding="utf-8") as out:
        for n, graph in enumerate(LOAD_GRAPHS, 1):
            out.writelines(
                f'<https://w3id.org/wop/id/test/load-{n}-{i}> <{RDFS_LABEL}> "{tag} {n} {i}" '
                f"<{graph}> .\n"
                for i in range(per_graph)
            )
    return path


def cli(*args: str) -> subprocess.Popen:
    """Start ``wopgraph ARGS...`` in a process group of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOPGRAPH_")}
    return subprocess.Popen(
        [sys.executable, "-m", "wopgraph", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def run_cli(*args: str) -> bytes:
    """Run ``wopgraph ARGS...`` to the end; return its output (it must succeed)."""
    process = cli(*args)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode(errors="replace")
    return out


def dump(store: Path) -> bytes:
    """Everything the store holds, canonical N-Quads (``wopgraph dump``)."""
    return run_cli("dump", "--store", str(store))


def describe(nquads: bytes) -> dict[str, dict[str, int]]:
    """For a failure message: how many triples of each tag each graph holds."""
    found: dict[str, dict[str, int]] = {}
    for line in nquads.decode("utf-8").splitlines():
        graph = line.rsplit("<", 1)[1].split(">")[0]
        tag = line.split('"')[1].split()[0]
        found.setdefault(graph, {}).setdefault(tag, 0)
        found[graph][tag] += 1
    return found


def test_kill_9_during_load_leaves_the_store_before_or_after(tmp_path):
    before_file = write_nquads(tmp_path / "before.nq", "before", 500)
    after_file = write_nquads(tmp_path / "after.nq", "after", AFTER)
    started = time.monotonic()
    run_cli("load", "--store", str(tmp_path / "reference"), str(after_file))
    full = time.monotonic() - started
    after = dump(tmp_path / "reference")
    store = tmp_path / "store"
    run_cli("load", "--store", str(store), str(before_file))
    before = dump(store)
    assert describe(before) == {g: {"before": 500} for g in LOAD_GRAPHS}
    assert describe(after) == {g: {"after": AFTER} for g in LOAD_GRAPHS}
    seen = []
    for seed in LOAD_SEEDS:
        process = cli("load", "--store", str(store), str(after_file))
        time.sleep(random.Random(seed).uniform(0.2, 1.05) * full)
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        now = dump(store)
        assert now in (before, after), (
            f"seed {seed}: after kill -9 the store is neither as before nor as after the load: "
            f"{describe(now)}"
        )
        seen.append("after" if now == after else "before")
        if now == after:
            run_cli("load", "--store", str(store), str(before_file))
    print(f"kill moments found the store: {seen}")


# Readers while writes land

#: Each version of the readers' graph: SUBJECTS subjects, each with one label "version K" and
#: one identifier, so that every whole version has 2 * SUBJECTS triples and one distinct label.
SUBJECTS = 25
VERSIONS = 8
CONSISTENCY = f"""SELECT ?n ?labels ?labelled ?label WHERE {{
  {{ SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{READERS_CASE}> {{ ?s ?p ?o }} }} }}
  {{ SELECT (COUNT(DISTINCT ?l) AS ?labels) (COUNT(?s) AS ?labelled) (MIN(STR(?l)) AS ?label)
     WHERE {{ GRAPH <{READERS_CASE}> {{ ?s <{RDFS_LABEL}> ?l }} }} }}
}}"""


def version(k: int) -> str:
    """Version ``k`` of the readers' graph, in Turtle."""
    return "\n".join(
        f'<https://w3id.org/wop/id/test/reader-{i}> <{RDFS_LABEL}> "version {k}" ; '
        f'<{DCTERMS_ID}> "{k}-{i}" .'
        for i in range(SUBJECTS)
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with writes on, 2 workers and a 3 s time limit."""
    journal = tmp_path_factory.mktemp("journal")
    with LiveServer(
        "--workers",
        "2",
        "--query-timeout",
        "3",
        "--journal",
        str(journal),
        "--write-tokens",
        WRITE_TOKENS,
    ) as live:
        yield live


def test_readers_see_whole_versions_only(server):
    status, body = put_graph(server, READERS_CASE, version(0))
    assert status in (200, 201), body
    done = threading.Event()
    answers: list[list[tuple[int, int, int, str]]] = [[] for _ in range(4)]
    errors: list[str] = []

    def read(mine: list) -> None:
        """Query the invariant until the writer is done, then once more."""
        sparql = SPARQLWrapper(server.endpoint)
        sparql.setQuery(CONSISTENCY)
        sparql.setMethod(POST)
        sparql.setReturnFormat(JSON)
        sparql.setTimeout(30)
        try:
            while True:
                last = done.is_set()
                row = sparql.queryAndConvert()["results"]["bindings"][0]
                mine.append(
                    (
                        int(row["n"]["value"]),
                        int(row["labels"]["value"]),
                        int(row["labelled"]["value"]),
                        row["label"]["value"],
                    )
                )
                if last:
                    return
        except Exception as exc:  # reported by the test
            errors.append(f"{type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=read, args=(mine,)) for mine in answers]
    for reader in readers:
        reader.start()
    try:
        for k in range(1, VERSIONS + 1):
            status, body = put_graph(server, READERS_CASE, version(k))
            assert status == 200, body
    finally:
        done.set()
        for reader in readers:
            reader.join(60)
    assert not errors, errors
    for mine in answers:
        assert mine, "a reader got no answer"
        for n, labels, labelled, label in mine:
            assert (n, labels, labelled) == (2 * SUBJECTS, 1, SUBJECTS), (
                f"a reader saw a mix of versions: {n} triples, {labels} labels, "
                f"{labelled} labelled subjects ({label})"
            )
        seen = [int(label.removeprefix("version ")) for *_, label in mine]
        assert seen == sorted(seen), f"a reader saw an older version after a newer one: {seen}"
        assert seen[-1] == VERSIONS, "after the last write, a reader still saw an older version"
    distinct = {label for mine in answers for *_, label in mine}
    assert len(distinct) >= 2, "the readers saw one version only: they did not overlap the writes"


# A heavy query and a burst of cheap ones

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BURST = 20


def test_cheap_queries_are_answered_while_a_heavy_one_runs(server):
    results: dict[str, tuple[int, bytes, float, float]] = {}
    origin = time.monotonic()

    def timed(name: str, sparql: str) -> None:
        """Send one query; note its status, answer, latency and when it ended."""
        started = time.monotonic()
        body = urllib.parse.urlencode({"query": sparql}).encode()
        try:
            status, answer = request(
                "POST", server.endpoint, body, {"Accept": "application/sparql-results+json"}
            )
        except OSError as exc:
            status, answer = -1, str(exc).encode()
        ended = time.monotonic()
        results[name] = (status, answer, ended - started, ended - origin)

    heavy = threading.Thread(target=timed, args=("heavy", HEAVY))
    heavy.start()
    time.sleep(0.3)  # the heavy query now holds one worker
    cheap = [
        threading.Thread(
            target=timed, args=(f"cheap-{i}", f'ASK {{ ?s ?p ?o FILTER(STR(?o) != "probe {i}") }}')
        )
        for i in range(BURST)
    ]
    for thread in cheap:
        thread.start()
    for thread in [*cheap, heavy]:
        thread.join(60)
    status, answer, took, heavy_end = results["heavy"]
    assert status == 503 and b"time limit" in answer, (status, answer[:300])
    assert 2.5 <= took < 10, took
    answers = [results[f"cheap-{i}"] for i in range(BURST)]
    for status, answer, _, _ in answers:
        assert status == 200, answer[:300]
        assert json.loads(answer)["boolean"] is True
    slowest = max(latency for _, _, latency, _ in answers)
    assert slowest < 2.0, f"a cheap query waited {slowest:.2f} s"
    assert max(end for *_, end in answers) < heavy_end, (
        "the cheap queries were answered only after the heavy one ended"
    )
