"""Benchmark validated writes and the durability choice (in-memory store + fsync'd journal).

    .venv/bin/python bench/writes.py [--sizes 2k,1240k] [--scan-sizes 100k,1m]
                                     [--writes 0,100,1000] [--requests 30]

Three parts, in one run, on the synthetic corpus (``python -m wopgraph.synthetic``, cached in
``build/bench/``; 2k triples hold 1 case, 1,240k hold 10,050):

1. **Validation cost against store size.** For each ``--sizes`` corpus: start ``wopgraph
   serve`` on a free port of 127.0.0.1 (``--workers 2``, writes on, a throwaway journal, the
   shapes in their graph), wait until its processes are idle (a big corpus has its dumps built
   in the background first; they are kept in ``build/bench/published-*`` for the next run),
   then PUT ``--requests`` valid case graphs (each new, with fresh IRIs: expected 201) and as
   many invalid ones (the mentor is a country: expected 422), alternately, one at a time:
   latency from sending to having read the answer, and the CPU time the server's processes
   spent on it (from ``/proc``, with the reaped validation child), steadier than latency on a
   busy machine. Then, in this process, which holds the store as a worker does, the same
   writes through :meth:`wopgraph.writes.Curator.validate` as a whole, and its parts: the
   context query; :func:`wopgraph.validation.validate_write` run here without a fork, with its
   steps (rdflib graph, pySHACL, checks) timed in place; and the bare fork round trip
   ``Curator.validate`` pays to validate in a child.
2. **The durable write and the start-up replay.** :meth:`wopgraph.journal.Journal.commit` of a
   case graph (fsync'd; and, for comparison only, with ``fsync`` disabled); then, for each
   ``--scan-sizes`` corpus and each ``--writes`` count, the server's start-up load
   (:func:`wopgraph.endpoint.load_store`) with a journal of that many writes, and within it
   the replay.
3. **In memory or on disk.** For each ``--scan-sizes`` corpus, the median time of scanning
   queries of ``queries/`` on pyoxigraph in memory (``Store()``) and on disk
   (``Store(path)``, bulk-loaded, flushed, reopened read-only as ``wopgraph serve --store``
   does), in this process.

The report (Markdown) is printed; every figure goes to ``build/bench/writes.json``. See
bench/README.md. Only loopback traffic; the journals and the on-disk store live in throwaway
folders under ``build/bench/`` (the same disk as the project) and are removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph as ox  # noqa: E402
import pyshacl  # noqa: E402
import rdflib  # noqa: E402
from load import strip_prologue_comments  # noqa: E402
from report import corpus, fmt_load, geomean, log, ms  # noqa: E402
from systems import HOST, Wopgraph, cpu_model, descendants, rss_mib  # noqa: E402

from wopgraph import config, journal, synthetic, validation, writes  # noqa: E402
from wopgraph.endpoint import load_store, open_backend  # noqa: E402
from wopgraph.namespaces import SHAPES_GRAPH  # noqa: E402
from wopgraph.queryfiles import load_query_files  # noqa: E402
from wopgraph.sources import bundled_sources, read_quads  # noqa: E402
from wopgraph.writes import Curator, WriteError, parse_graph  # noqa: E402

BUILD = ROOT / "build" / "bench"
#: Scanning queries of queries/: aggregates over every partnership, and a FILTER NOT EXISTS.
SCAN_QUERIES = [
    "challenges-by-kind",
    "success-factors-by-kind",
    "staff-trained-per-partnership",
    "facts-from-other-sources",
]
TOKEN = "bench-writes-loopback-only"
AGENT = "bench"
SYN = synthetic.SYN_ID
CASE_GRAPH = synthetic.SYN_GRAPH + "case/"
#: The issue's figures for pyoxigraph on disk against in memory on scanning queries.
ISSUE_DISK_RATIO = (5, 11)


# --- inputs ----------------------------------------------------------------------------------


def shapes_file(folder: Path) -> Path:
    """The bundled shapes as N-Quads in the shapes graph, as ``wopgraph serve`` serves them
    without ``--data``: writes are validated with the shapes graph of the store, and a
    ``--data`` file lands in a graph named after the file."""
    path = folder / "shapes.nq"
    source = next(s for s in bundled_sources(ROOT) if s.graph == str(SHAPES_GRAPH))
    data = ox.serialize(read_quads(source), format=ox.RdfFormat.N_QUADS)
    if not path.exists() or path.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def case_turtle(n: int, tag: str, mentor: str, mentee: str) -> bytes:
    """A new partnership case graph of 27 triples: the partnership, its two memberships and its
    fact sheet, referring to two operators already in the store. Valid when ``mentor`` is an
    operator; with a country as ``mentor`` it breaks one constraint (sh:class wop:Operator),
    which only the store's context can tell."""
    p = f"{SYN}partnership/bench-{tag}-{n}"
    doc = f"{SYN}document/bench-{tag}-{n}-factsheet"
    parts = [
        "@prefix wop: <https://w3id.org/wop/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix org: <http://www.w3.org/ns/org#> .",
        "@prefix role: <https://w3id.org/wop/vocab/partner-role/> .",
        f"<{p}> a wop:Partnership ;",
        f'  rdfs:label "Synthetic bench WOP {tag} {n}"@en ,',
        f'    "Synthétique : partenariat de mesure {tag} {n}"@fr ;',
        f"  wop:mentor <{mentor}> ; wop:mentee <{mentee}> ;",
        "  wop:targetsArea <https://w3id.org/wop/vocab/improvement-area/wastewater-treatment> ;",
        f"  wop:documentedIn <{doc}> ; prov:wasDerivedFrom <{doc}> .",
        f"<{doc}> a wop:SourceDocument ;",
        f'  rdfs:label "Synthetic bench fact sheet {tag} {n}"@en ,',
        f'    "Synthétique : fiche de mesure {tag} {n}"@fr ;',
        f'  dcterms:title "Synthetic bench fact sheet {tag} {n}"@en ;',
        f"  dcterms:subject <{p}> ; prov:wasDerivedFrom <{doc}> .",
    ]
    for role, op in (("mentor", mentor), ("mentee", mentee)):
        m = f"{SYN}membership/bench-{tag}-{n}-{role}"
        parts += [
            f"<{p}> wop:hasMembership <{m}> .",
            f'<{m}> a wop:PartnerMembership ; rdfs:label "Synthetic bench {role} {n}"@en ;',
            f"  org:member <{op}> ; org:role role:{role} ; org:organization <{p}> ;",
            f"  prov:wasDerivedFrom <{doc}> .",
        ]
    return ("\n".join(parts) + "\n").encode()


def case_graph(n: int, tag: str) -> str:
    return f"{CASE_GRAPH}bench-{tag}-{n}"


def parties(summary: dict) -> tuple[str, str, str]:
    """The mentor of valid writes (the biggest hub: its links grow with the store), the mentee
    (an ordinary operator) and the wrong mentor of invalid writes (a country)."""
    return summary["hubs"][0]["iri"], summary["ordinary_operator"], f"{SYN}country/c01"


# --- statistics ------------------------------------------------------------------------------


def p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile, with at least 10 values (as bench/load.py)."""
    if len(values) < 10:
        return None
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def stats(values: list[float]) -> dict:
    return {"n": len(values), "p50": p50(values), "p95": p95(values), "values": values}


# --- part 1: writes through HTTP -------------------------------------------------------------


class WritableWopgraph(Wopgraph):
    """``wopgraph serve`` with writes on: the shapes in their graph, a token, a journal."""

    name = "wopgraph-writes"

    def __init__(self, data: Path, shapes: Path, journal_dir: Path, work: Path, workers: int):
        super().__init__(data, work / "logs", workers, timeout=60.0)
        self.shapes = shapes
        self.journal_dir = journal_dir
        # The dumps of a big corpus are built once in the background, then found here again.
        self.published = work / f"published-{data.stem}"

    def command(self) -> list[str]:
        command = super().command()
        at = command.index("--data") + 2  # the shapes join the data files
        return [
            *command[:at],
            str(self.shapes),
            *command[at:],
            "--write-tokens",
            f"{AGENT}:{TOKEN}",
            "--journal",
            str(self.journal_dir),
            "--build-dir",
            str(self.published),
        ]


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of ``pids`` so far, with that of the children they have
    reaped (a write's validation runs in a short-lived child of the worker)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def wait_idle(pid: int, limit: float = 600.0) -> tuple[float, bool]:
    """Wait until the server's processes use less than 5% of a core over a second (the dump
    builder that starts after a big load has finished); the seconds waited, and whether it
    got idle."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        pids = [pid, *descendants(pid)]
        before = cpu_seconds(pids)
        time.sleep(1.0)
        if cpu_seconds(pids) - before < 0.05:
            return time.perf_counter() - t0, True
    return time.perf_counter() - t0, False


def put(port: int, graph: str, body: bytes) -> tuple[int, float, bytes]:
    """One Graph Store Protocol PUT: the status, the seconds until the whole answer was read,
    and the answer."""
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "text/turtle",
        "Accept": "application/json",
    }
    try:
        t0 = time.perf_counter()
        conn.request("PUT", f"/graphs?graph={quote(graph, safe='')}", body, headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - t0, data
    finally:
        conn.close()


def http_writes(
    corpus_path: Path,
    summary: dict,
    shapes: Path,
    work: Path,
    requests: int,
    workers: int,
    warmup: int,
) -> dict:
    """Part 1 through HTTP on one corpus: valid and invalid PUTs against ``wopgraph serve``,
    each with the CPU time the server's processes spent on it."""
    tag = synthetic.size_label(summary["target"])
    mentor, mentee, wrong = parties(summary)
    journal_dir = Path(tempfile.mkdtemp(prefix="journal-", dir=work))
    server = WritableWopgraph(corpus_path, shapes, journal_dir, work, workers)
    seconds: dict[str, list[float]] = {"valid": [], "invalid": []}
    cpu: dict[str, list[float]] = {"valid": [], "invalid": []}
    record: dict = {"failures": []}
    log(f"  wopgraph serve: starting ({summary['triples']:,} triples)")
    try:
        record["startup"] = server.start()
        record["idle_wait"], record["idle"] = wait_idle(server.proc.pid)
        log(
            f"  answering after {record['startup']:.1f} s, idle after "
            f"{record['idle_wait']:.1f} s more" + ("" if record["idle"] else " (NOT idle)")
        )
        # Warm-up, not counted: each worker reads the shapes and model once, on its first write.
        for i in range(warmup * workers):
            for who, suffix in ((mentor, "warm"), (wrong, "warm-bad")):
                run_tag = f"{tag}-{suffix}"
                put(server.port, case_graph(i, run_tag), case_turtle(i, run_tag, who, mentee))
        for i in range(requests):
            for kind, who, expected in (("valid", mentor, 201), ("invalid", wrong, 422)):
                run_tag = f"{tag}-{kind}"
                pids = [server.proc.pid, *descendants(server.proc.pid)]
                before = cpu_seconds(pids)
                status, took, body = put(
                    server.port, case_graph(i, run_tag), case_turtle(i, run_tag, who, mentee)
                )
                used = cpu_seconds(pids) - before
                if status == expected:
                    seconds[kind].append(took)
                    cpu[kind].append(used)
                else:
                    text = body[:300].decode("utf-8", "replace")
                    record["failures"].append({"kind": kind, "status": status, "body": text})
        record["journal_records"] = journal.Journal(journal_dir).head()
        record["memory"] = server.memory()
    finally:
        server.stop()
        shutil.rmtree(journal_dir, ignore_errors=True)
    for kind in ("valid", "invalid"):
        record[kind] = stats(seconds[kind])
        record[kind]["cpu_mean"] = statistics.fmean(cpu[kind]) if cpu[kind] else None
        log(
            f"    PUT {kind:8s} p50 {ms(record[kind]['p50'])} ms p95 {ms(record[kind]['p95'])} "
            f"ms, server CPU {ms(record[kind]['cpu_mean'])} ms per write "
            f"({len(seconds[kind])} ok)"
        )
    if record["failures"]:
        log(f"    {len(record['failures'])} unexpected answers, first: {record['failures'][0]}")
    return record


# --- part 1: the validation step in this process ---------------------------------------------


class Clock:
    """Wall and CPU time of steps. CPU: this process, the children it has reaped (a write's
    validation runs in a forked child) and the live ones given (the query process)."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def cpu_now(self) -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime + cpu_seconds(self.pids)

    @contextmanager
    def step(self, name: str):
        c0, t0 = self.cpu_now(), time.perf_counter()
        try:
            yield
        finally:
            self.wall.setdefault(name, []).append(time.perf_counter() - t0)
            self.cpu.setdefault(name, []).append(self.cpu_now() - c0)

    def wrap(self, module, name: str):
        """Patch ``module.name`` (when it exists) so that each call is timed as ``name``."""
        original = getattr(module, name, None)
        if original is None:
            return contextlib.nullcontext()

        def timed(*args, **kwargs):
            with self.step(name):
                return original(*args, **kwargs)

        return mock.patch.object(module, name, timed)

    def summary(self) -> dict:
        return {
            name: {**stats(self.wall[name]), "cpu_mean": statistics.fmean(self.cpu[name])}
            for name in self.wall
        }


#: The steps of :func:`wopgraph.validation.validate_write`, timed where they exist.
VALIDATION_STEPS = ["to_rdflib", "shacl_report", "check_findings"]


def inprocess_validation(
    corpus_path: Path, summary: dict, shapes: Path, work: Path, requests: int, warmup: int
) -> dict:
    """Part 1 in this process, which holds the store as a server's worker does:
    :meth:`Curator.validate` as a whole; the context query; the validation work
    (:func:`~wopgraph.validation.validate_write`, with its steps) run here without a fork;
    and the bare fork round trip ``Curator.validate`` pays when it validates in a child."""
    tag = synthetic.size_label(summary["target"]) + "-inproc"
    mentor, mentee, wrong = parties(summary)
    journal_dir = Path(tempfile.mkdtemp(prefix="journal-", dir=work))
    settings = config.load(
        {
            "data": [str(corpus_path), str(shapes)],
            "write_tokens": f"{AGENT}:{TOKEN}",
            "journal": str(journal_dir),
        }
    )
    t0 = time.perf_counter()
    backend = open_backend(settings)
    record: dict = {"load": time.perf_counter() - t0}
    within = getattr(writes, "within", None)  # validation in a forked child, if it is so
    try:
        curator = Curator(backend, backend.journal, load_query_files(ROOT / "queries" / "checks"))
        clocks = {"valid": Clock([]), "invalid": Clock([])}
        outcomes: dict[str, set[int]] = {"valid": set(), "invalid": set()}
        sizes: dict[str, int] = {}
        for i in range(-warmup, requests):  # warm-up rounds: shapes, model, first queries
            if i == 0:  # the query process runs now: count its CPU too
                for clock in clocks.values():
                    clock.pids = descendants(os.getpid())
            for kind, who in (("valid", mentor), ("invalid", wrong)):
                n, run_tag = i + warmup, f"{tag}-{kind}"
                graph = case_graph(n, run_tag)
                quads = parse_graph(case_turtle(n, run_tag, who, mentee), "text/turtle", graph)
                clock = clocks[kind] if i >= 0 else Clock([])
                status, size = validation_steps(clock, curator, graph, quads, within)
                if i >= 0:
                    outcomes[kind].add(status)
                    sizes[kind] = size
        record["steps"] = {kind: clock.summary() for kind, clock in clocks.items()}
        record["outcomes"] = {k: sorted(v) for k, v in outcomes.items()}
        record["validated_triples"] = sizes
        record["rss_mib"] = rss_mib(os.getpid())
    finally:
        backend.executor.stop()
        shutil.rmtree(journal_dir, ignore_errors=True)
    for kind, d in record["steps"].items():
        fork = d.get("fork", {}).get("cpu_mean")
        log(
            f"    validate {kind:8s} p50 {ms(d['validate']['p50'])} ms, CPU "
            f"{ms(d['validate']['cpu_mean'])} ms (work without a fork "
            f"{ms(d['work']['cpu_mean'])}, fork round trip {ms(fork)}): "
            f"{record['outcomes'][kind]}"
        )
    return record


def validation_steps(
    clock: Clock, curator: Curator, graph: str, quads: list[ox.Quad], within
) -> tuple[int, int]:
    """Time one write's validation: as a whole, then its parts; its status and the triples
    validated."""
    with clock.step("validate"):
        try:
            curator.validate({graph: quads})
            status = 201
        except WriteError as exc:
            status = exc.status
    with clock.step("context"):
        context = curator.model + curator.context(quads, [graph])
    with contextlib.ExitStack() as stack:
        for name in VALIDATION_STEPS:
            stack.enter_context(clock.wrap(validation, name))
        with clock.step("work"):
            validation.validate_write(quads, context, curator.shapes, curator.checks)
    if within is not None:
        with clock.step("fork"):
            within(60.0, lambda: None, "timing a fork")
    return status, len(quads) + len(context)


# --- part 2: the durable write and the replay ------------------------------------------------


def case_quads(n: int, tag: str, summary: dict) -> tuple[str, list[ox.Quad]]:
    mentor, mentee, _ = parties(summary)
    graph = case_graph(n, tag)
    return graph, parse_graph(case_turtle(n, tag, mentor, mentee), "text/turtle", graph)


def fill_journal(folder: Path, count: int, tag: str, summary: dict) -> list[float]:
    """Commit ``count`` writes (each a new case graph) to a journal; each commit's seconds."""
    j = journal.Journal(folder)
    seconds = []
    for n in range(count):
        graph, quads = case_quads(n, tag, summary)
        t0 = time.perf_counter()
        with j.locked():
            j.commit({graph: quads}, AGENT, "PUT")
        seconds.append(time.perf_counter() - t0)
    return seconds


@contextmanager
def no_fsync():
    """``fsync`` disabled in the journal module: what the commit costs without durability."""
    with mock.patch.object(journal.os, "fsync", lambda fd: None):
        yield


def durable_writes(work: Path, summary: dict, count: int) -> dict:
    """The cost of one commit, fsync'd and (for comparison) not."""
    folder = Path(tempfile.mkdtemp(prefix="commit-", dir=work))
    try:
        durable = fill_journal(folder / "fsync", count, "commit", summary)
        with no_fsync():
            loose = fill_journal(folder / "nofsync", count, "commit", summary)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log(f"  journal commit: fsync'd p50 {ms(p50(durable))} ms, without fsync {ms(p50(loose))} ms")
    return {"fsync": stats(durable), "no_fsync": stats(loose)}


def replay(corpus_path: Path, summary: dict, shapes: Path, work: Path, counts: list[int]) -> dict:
    """Start-up with journals of ``counts`` writes (0: none): the server's whole load
    (:func:`~wopgraph.endpoint.load_store`), and within it the replay (its calls of
    ``Journal.recover`` and ``apply_to``, timed in place)."""
    from wopgraph import endpoint

    data = [str(corpus_path), str(shapes)]
    record: dict = {"counts": {}}
    folder = Path(tempfile.mkdtemp(prefix="replay-", dir=work))
    try:
        for count in counts:
            jdir = folder / str(count)
            fill_journal(jdir, count, f"replay-{count}", summary)
            j = journal.Journal(jdir)
            settings = config.load({"data": data, "journal": str(jdir), "write_tokens": "x"})
            clock = Clock([])
            gc.collect()
            with clock.wrap(endpoint, "apply_to"), clock.wrap(journal.Journal, "recover"):
                t0 = time.perf_counter()
                get_store, found = load_store(settings, j)
                whole = time.perf_counter() - t0
            replayed = sum(sum(clock.wall.get(n, [])) for n in ("apply_to", "recover"))
            graphs = sum(1 for g, _ in found.graphs if g.startswith(CASE_GRAPH + "bench-replay"))
            del get_store, found
            gc.collect()
            record["counts"][count] = {"whole": whole, "replay": replayed, "graphs": graphs}
            log(
                f"  {count:,} writes: start-up load {whole:.2f} s, of which replay "
                f"{replayed * 1000:.0f} ms; {graphs:,} graphs written"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return record


# --- part 3: in memory or on disk ------------------------------------------------------------


def scan_queries(names: list[str]) -> dict[str, str]:
    return {
        n: strip_prologue_comments((ROOT / "queries" / f"{n}.rq").read_text("utf-8")) for n in names
    }


def run_query(store: ox.Store, text: str) -> tuple[float, int]:
    """Evaluate and serialise a whole answer (as a server must); seconds and rows."""
    t0 = time.perf_counter()
    answer = store.query(text, use_default_graph_as_union=True)
    body = answer.serialize(format=ox.QueryResultsFormat.JSON)
    seconds = time.perf_counter() - t0
    return seconds, len(json.loads(body)["results"]["bindings"])


def memory_or_disk(corpus_path: Path, queries: dict[str, str], work: Path, repeat: int) -> dict:
    """Part 3 on one corpus: load it into each store, then the queries, one warm-up each."""
    record: dict = {"queries": {}}
    folder = Path(tempfile.mkdtemp(prefix="oxigraph-", dir=work))
    try:
        t0 = time.perf_counter()
        memory = ox.Store()
        memory.bulk_load(path=str(corpus_path), format=ox.RdfFormat.N_QUADS)
        record["load_memory"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        writer = ox.Store(str(folder))
        writer.bulk_load(path=str(corpus_path), format=ox.RdfFormat.N_QUADS)
        writer.flush()
        record["load_disk"] = time.perf_counter() - t0
        del writer
        gc.collect()
        t0 = time.perf_counter()
        disk = ox.Store.read_only(str(folder))
        record["open_disk"] = time.perf_counter() - t0
        for name, text in queries.items():
            cell = {}
            for label, store in (("memory", memory), ("disk", disk)):
                _, rows = run_query(store, text)  # warm-up
                times = [run_query(store, text)[0] for _ in range(repeat)]
                cell[label] = stats(times)
                cell["rows"] = rows
            cell["ratio"] = cell["disk"]["p50"] / cell["memory"]["p50"]
            record["queries"][name] = cell
            log(
                f"  {name:32s} memory {ms(cell['memory']['p50'])} ms, disk "
                f"{ms(cell['disk']['p50'])} ms: x{cell['ratio']:.1f}"
            )
        del disk, memory
        gc.collect()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return record


# --- report ----------------------------------------------------------------------------------


def lat(s: dict | None) -> str:
    """p50 (p95) in ms."""
    if not s or s.get("p50") is None:
        return "–"
    return ms(s["p50"]) + (f" ({ms(s['p95'])})" if s.get("p95") is not None else "")


def ratio_text(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def report(run: dict) -> str:
    meta = run["meta"]
    out = [
        f"Run of {meta['date']} on `{meta['host']}`: {meta['nproc']} cores ({meta['cpu']}), "
        f"{meta['mem_gib']:.0f} GiB. Python {meta['python']}, pyoxigraph {meta['pyoxigraph']}, "
        f"pySHACL {meta['pyshacl']}, rdflib {meta['rdflib']}. Whole run "
        f"{meta.get('elapsed_min', 0):.1f} min; load average (1, 5, 15 min) "
        f"{fmt_load(meta['loadavg_start'])} before it, {fmt_load(meta.get('loadavg_end'))} after.",
        "",
        f"Command: `{meta['command']}`",
        "",
    ]
    sizes = run["sizes"]
    labels = list(sizes)
    out += [
        "**Validation cost against store size, through HTTP.** One PUT at a time of a new case "
        f"graph of {meta['write_triples']} triples (a partnership, its memberships and fact "
        "sheet, whose mentor is the biggest hub and mentee an ordinary operator already in the "
        f"store) to `wopgraph serve --workers {meta['workers']}` with writes on; the invalid "
        "write names a country as mentor (one violation, found through the store's context). "
        f"{meta['requests']} of each, alternately, after {meta['warmup'] * meta['workers']} "
        "warm-ups each. Latency in ms, p50 (p95); server CPU: the mean CPU time of the "
        "server's processes (workers, query processes, the validation child) per write, ms.",
        "",
        "| store | triples | cases | PUT valid → 201 | server CPU | PUT invalid → 422 | "
        "server CPU | unexpected answers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, rec in sizes.items():
        c, h = rec["corpus"], rec["http"]
        out.append(
            f"| {label} | {c['triples']:,} | {c['partnerships']:,} | {lat(h['valid'])} | "
            f"{ms(h['valid']['cpu_mean'])} | {lat(h['invalid'])} | "
            f"{ms(h['invalid']['cpu_mean'])} | {len(h['failures'])} of {2 * meta['requests']} |"
        )
    if len(labels) >= 2:
        small, big = sizes[labels[0]]["http"], sizes[labels[-1]]["http"]
        cells = [
            ratio_text(big[kind][field], small[kind][field])
            for kind in ("valid", "invalid")
            for field in ("p50", "cpu_mean")
        ]
        out.append(f"| **{labels[-1]} / {labels[0]}** | | | " + " | ".join(cells) + " | |")
    out.append("")
    starts = ", ".join(
        f"{label} {rec['http']['startup']:.1f} s (then {rec['http']['idle_wait']:.0f} s until "
        f"idle{'' if rec['http'].get('idle', True) else ': NOT idle'})"
        for label, rec in sizes.items()
    )
    out.append(f"Server start-up to first answer: {starts}.")
    out.append("")
    rss = "; ".join(
        f"{label}: {mem_text(rec['http'].get('memory'))}" for label, rec in sizes.items()
    )
    out.append(
        "Server RSS after the writes, MiB (main process, then the workers, their query "
        f"processes; shared after fork, so they overlap): {rss}."
    )
    out.append("")
    for label, rec in sizes.items():
        if rec["http"]["failures"]:
            first = rec["http"]["failures"][0]
            out.append(
                f"Unexpected answers at {label}: {len(rec['http']['failures'])}, the first "
                f"{first['status']} to a {first['kind']} write: `{first['body'][:120]}`"
            )
            out.append("")
    out += [
        "**The validation step in process** (this process holds the store, as a worker does): "
        "`Curator.validate` as a whole (latency p50 (p95) and mean CPU, ms; CPU counts the "
        "query process and the forked validation child); its parts, mean CPU ms: the context "
        "query; the validation work (`validate_write`: the rdflib data graph, pySHACL, the "
        "hygiene checks) run here without a fork; and the bare fork round trip that "
        "`Curator.validate` pays to validate in a child (`writes.within` of nothing).",
        "",
        "| store | write | validate | CPU | context | work | rdflib graph | pySHACL | checks | "
        "fork round trip | triples validated | RSS MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cpu(steps: dict, name: str) -> float | None:
        return steps.get(name, {}).get("cpu_mean")

    columns = ["context", "work", "to_rdflib", "shacl_report", "check_findings", "fork"]
    for label, rec in sizes.items():
        inproc = rec["inprocess"]
        for kind in ("valid", "invalid"):
            st = inproc["steps"][kind]
            cells = " | ".join(ms(cpu(st, name)) for name in columns)
            out.append(
                f"| {label} | {kind} → {'/'.join(map(str, inproc['outcomes'][kind]))} | "
                f"{lat(st['validate'])} | {ms(cpu(st, 'validate'))} | {cells} | "
                f"{inproc['validated_triples'][kind]:,} | {inproc['rss_mib']:,.0f} |"
            )
    if len(labels) >= 2:
        for kind in ("valid", "invalid"):
            a = sizes[labels[-1]]["inprocess"]["steps"][kind]
            b = sizes[labels[0]]["inprocess"]["steps"][kind]
            cells = [ratio_text(a["validate"]["p50"], b["validate"]["p50"])]
            cells += [ratio_text(cpu(a, n), cpu(b, n)) for n in ["validate", *columns]]
            out.append(
                f"| **{labels[-1]} / {labels[0]}** | {kind} | " + " | ".join(cells) + " | | |"
            )
    out.append("")
    commit = run["commit"]
    out += [
        "**The durable write.** `Journal.commit` of the same case graph (content file, record, "
        "folders fsync'd; under the lock), "
        f"{commit['fsync']['n']} commits; without `fsync` only to show what durability costs:",
        "",
        "| journal commit | p50 ms | p95 ms |",
        "| --- | ---: | ---: |",
        f"| fsync'd (durable) | {ms(commit['fsync']['p50'])} | {ms(commit['fsync']['p95'])} |",
        f"| fsync disabled (not durable) | {ms(commit['no_fsync']['p50'])} | "
        f"{ms(commit['no_fsync']['p95'])} |",
        "",
        "**Start-up with a journal.** `load_store` as `wopgraph serve` runs it before forking "
        "the workers: the files into the in-memory store, then the journal's writes (the newest "
        "content of each graph written, each write here a new case graph; `Journal.recover` "
        "and `apply_to` timed in place). Seconds:",
        "",
        "| corpus | writes in the journal | start-up load | of which replay | per write (ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, rec in run["scan"].items():
        for count, cell in rec["replay"]["counts"].items():
            per = ms(cell["replay"] / int(count)) if int(count) else "–"
            out.append(
                f"| {label} | {int(count):,} | {cell['whole']:.2f} | {cell['replay']:.3f} | {per} |"
            )
    out += [
        "",
        "**In memory or on disk.** pyoxigraph in this process, the same corpus bulk-loaded into "
        "`Store()` and into `Store(path)` (flushed, then reopened read-only as `wopgraph serve "
        f"--store` does); each query once to warm up, then the median of {meta['repeat']} runs "
        "(evaluation and SPARQL JSON serialisation), in ms:",
        "",
        "| corpus | query | rows | in memory | on disk | disk / memory |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, rec in run["scan"].items():
        md = rec["disk"]
        for name, cell in md["queries"].items():
            out.append(
                f"| {label} | {name} | {cell['rows']:,} | {ms(cell['memory']['p50'])} | "
                f"{ms(cell['disk']['p50'])} | {cell['ratio']:.1f} |"
            )
        g = geomean([c["ratio"] for c in md["queries"].values()])
        out.append(f"| {label} | **geometric mean** | | | | {g:.1f} |" if g else "")
    out.append("")
    loads = "; ".join(
        f"{label}: in memory {rec['disk']['load_memory']:.1f} s, on disk "
        f"{rec['disk']['load_disk']:.1f} s (reopening it {rec['disk']['open_disk'] * 1000:.0f} ms)"
        for label, rec in run["scan"].items()
    )
    out.append(f"Bulk loads: {loads}.")
    return "\n".join(out)


def mem_text(mem: dict | None) -> str:
    if not mem or mem.get("main") is None:
        return "–"
    children = ", ".join(f"{c:,.0f}" for c in mem.get("children") or [])
    return f"main {mem['main']:,.0f}" + (f", others {children}" if children else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes",
        default="2k,1240k",
        help="corpora (triples) for the write latency: 2k holds 1 case, 1240k 10,050",
    )
    ap.add_argument(
        "--scan-sizes",
        default="100k,1m",
        help="corpora (triples) for in memory vs on disk and the start-up replay",
    )
    ap.add_argument(
        "--writes", default="0,100,1000", help="writes in the journal replayed at start-up"
    )
    ap.add_argument("--requests", type=int, default=30, help="writes of each kind timed per corpus")
    ap.add_argument(
        "--warmup", type=int, default=3, help="writes of each kind per worker before timing"
    )
    ap.add_argument("--commits", type=int, default=200, help="journal commits timed")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each scanning query")
    ap.add_argument("--queries", default=",".join(SCAN_QUERIES), help="scanning queries")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers of the server")
    ap.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    ap.add_argument("--build", default=str(BUILD), help="corpus cache and throwaway folders")
    ap.add_argument("--json", default=None, help="raw figures (default: BUILD/writes.json)")
    args = ap.parse_args(argv)

    # SIGTERM ends the run like Ctrl-C: the running server is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.perf_counter()
    build = Path(args.build)
    build.mkdir(parents=True, exist_ok=True)
    ok, why = Wopgraph.available()
    if not ok:
        raise SystemExit(f"wopgraph serve is not available: {why}")
    sizes = [synthetic.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    scan_sizes = [synthetic.parse_size(s) for s in args.scan_sizes.split(",") if s.strip()]
    counts = [int(w) for w in args.writes.split(",") if w.strip()]
    queries = scan_queries([q.strip() for q in args.queries.split(",") if q.strip()])
    shapes = shapes_file(build)
    meta = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "host": platform.node(),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "python": platform.python_version(),
        "pyoxigraph": ox.__version__,
        "pyshacl": pyshacl.__version__,
        "rdflib": rdflib.__version__,
        "command": ".venv/bin/python bench/writes.py "
        + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "requests": args.requests,
        "warmup": args.warmup,
        "repeat": args.repeat,
        "workers": args.workers,
        "loadavg_start": os.getloadavg(),
    }
    run: dict = {"meta": meta, "sizes": {}, "scan": {}}
    # Order matters: the parts that fork (the server, the query process of part 1) run before
    # this process opens an on-disk store, whose RocksDB threads a fork would copy half-way.
    for size in sizes:
        label = synthetic.size_label(size)
        log(f"writes on {label}")
        path, summary = corpus(size, args.seed, build)
        run["sizes"][label] = {
            "file": str(path),
            "corpus": summary,
            "http": http_writes(
                path, summary, shapes, build, args.requests, args.workers, args.warmup
            ),
            "inprocess": inprocess_validation(
                path, summary, shapes, build, args.requests, args.warmup
            ),
        }
    first = corpus(sizes[0] if sizes else scan_sizes[0], args.seed, build)[1]
    meta["write_triples"] = len(case_quads(0, "count", first)[1])
    log("journal commits")
    run["commit"] = durable_writes(build, first, args.commits)
    for size in scan_sizes:
        label = synthetic.size_label(size)
        log(f"start-up replay and in memory vs on disk on {label}")
        path, summary = corpus(size, args.seed, build)
        run["scan"][label] = {
            "corpus": summary,
            "replay": replay(path, summary, shapes, build, counts),
            "disk": memory_or_disk(path, queries, build, args.repeat),
        }
    meta["elapsed_min"] = (time.perf_counter() - started) / 60
    meta["loadavg_end"] = os.getloadavg()
    text = report(run)
    print(text)
    out = Path(args.json) if args.json else build / "writes.json"
    out.write_text(json.dumps(run, indent=1, default=str) + "\n")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
