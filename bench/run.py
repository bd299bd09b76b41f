"""Benchmark ``wopgraph serve`` against a bare pyoxigraph endpoint, rdflib and Virtuoso.

    .venv/bin/python bench/run.py [--sizes 10k,100k,1m] [--clients 4] [--duration 3]

In one run, for each corpus size: generate the synthetic corpus (cached in build/bench/), then
start each system on a free 127.0.0.1 port with that corpus, send it every query of
``queries/*.rq`` (not ``checks/``) plus entity-page and label-search queries through HTTP from
concurrent keep-alive clients, and record p50/p95 latency and throughput; then stop it. The
report (Markdown) is printed and written into BENCHMARKS.md between the ``bench:begin`` and
``bench:end`` markers (text outside them is kept); the raw figures go to
``build/bench/results.json``. See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402
import wrk  # noqa: E402
from load import Cell, measure, merge, strip_prologue_comments  # noqa: E402
from report import corpus, fmt_load, geomean, log, ms  # noqa: E402
from systems import Gunicorn, Server, Virtuoso, Wopgraph, cpu_model, wait_until_idle  # noqa: E402

from wopgraph import synthetic  # noqa: E402

BUILD = ROOT / "build" / "bench"
#: "wopgraph" is ``wopgraph serve`` as deployed (result cache on, its default size);
#: "wopgraph-nocache" the same with ``--cache-mb 0``: every request evaluated.
SYSTEMS = ["wopgraph", "wopgraph-nocache", "oxigraph", "rdflib", "virtuoso"]
WOPGRAPHS = ("wopgraph", "wopgraph-nocache")
#: Queries measured with 1 and with 2 wopgraph workers, no cache (cheap, medium, heavy-ish).
WORKER_QUERIES = ["describe-entity", "challenges-by-kind", "self-financed-partnerships"]
#: Rounds of 1 worker then 2 workers, alternated so that drifting load hits both alike.
WORKER_ROUNDS = 3
#: Alternating rounds of wopgraph without cache and the bare endpoint at 1M triples and more
#: (one below: the rounds triple the time of the sizes the targets are not set for).
PAIR_ROUNDS = 3
#: The issue's targets (at 1M triples).
TARGET_LAYERS, TARGET_RDFLIB, TARGET_SEARCH_MS, TARGET_WORKERS = 1.2, 50, 20, 1.7
TARGET_START_S, TARGET_RSS_MIB = 5, 1024
#: Federated queries are left out: they would send requests off this machine.
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
#: Seconds of rest between a server's first answer and the first measurement.
SETTLE = 1.0
RDFS_PREFIX = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
#: ``label-search`` answered through wopgraph's text index (``SERVICE text:``, wopgraph only):
#: the index finds the entities, the FILTER keeps the answer that of ``label-search``.
TEXT_SEARCH = (
    RDFS_PREFIX + "PREFIX text: <https://w3id.org/wop/text#>\n"
    "SELECT ?entity ?label WHERE {{\n"
    '  SERVICE text: {{ ?entity text:matches "{term}" }}\n'
    "  ?entity rdfs:label ?label .\n"
    '  FILTER (CONTAINS(LCASE(?label), "{term}"))\n'
    "}}\nORDER BY STRLEN(STR(?label)) ?entity\nLIMIT 20\n"
)


@dataclass
class Query:
    name: str
    text: str
    kind: str  # "library" (queries/*.rq) or "page" (entity page / search)
    #: The systems that run it (None: all).
    systems: tuple[str, ...] | None = None


def queries(summary: dict, only: list[str] | None) -> list[Query]:
    found = []
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = strip_prologue_comments(path.read_text("utf-8"))
        if SERVICE.search(text):
            continue  # federated: it would call a remote endpoint (loopback traffic only here)
        found.append(Query(path.stem, text, "library"))
    hub = summary["hubs"][0]["iri"]
    entity = summary["ordinary_operator"]
    term = summary["search_term"]
    page = (
        "CONSTRUCT {{ <{e}> ?p ?o . ?s ?q <{e}> }}\n"
        "WHERE {{ {{ <{e}> ?p ?o }} UNION {{ ?s ?q <{e}> }} }}"
    )
    found += [
        Query("describe-entity", f"DESCRIBE <{entity}>", "page"),
        Query("describe-hub", f"DESCRIBE <{hub}>", "page"),
        Query("entity-page-entity", page.format(e=entity), "page"),
        Query("entity-page-hub", page.format(e=hub), "page"),
        Query(
            "label-search",
            RDFS_PREFIX + "SELECT ?entity ?label WHERE {\n  ?entity rdfs:label ?label .\n"
            f'  FILTER (CONTAINS(LCASE(?label), "{term}"))\n}}\n'
            "ORDER BY STRLEN(STR(?label)) ?entity\nLIMIT 20\n",
            "page",
        ),
        Query("text-search", TEXT_SEARCH.format(term=term), "page", WOPGRAPHS),
    ]
    if only:
        found = [q for q in found if any(o in q.name for o in only)]
    return found


def measure_on(
    server: Server, q: Query, *, clients: int, duration: float, most: int | None = None
) -> Cell:
    """Measure ``q`` on ``server`` (:func:`load.measure`, at most ``most`` requests); after a
    time-out or a broken connection, let the server recover before the next query."""
    cell = measure(
        server.endpoint,
        q.text,
        clients=clients,
        duration=duration,
        timeout=server.timeout,
        max_requests=most,
        cpu=server.cpu,
    )
    if cell.status == "timeout" or (cell.status == "error" and "Errno" in cell.note):
        server.recover()
    return cell


def start_system(server: Server) -> dict:
    """Start ``server``; return its new record, with a ``status`` if it could not start."""
    record: dict = {"cells": {}, "startup": None, "memory": {}, "notes": server.notes}
    log(f"  {server.name}: starting")
    try:
        record["startup"] = server.start()
    except Exception as exc:  # noqa: BLE001 - report the system as not run, go on
        record["status"] = f"not run: {exc}"
        log(f"  {server.name}: {record['status']}")
        return record
    log(f"  {server.name}: answering after {record['startup']:.1f} s")
    return record


def run_system(
    server: Server, qs: list[Query], *, clients: int, duration: float, max_requests=None
) -> dict:
    """Start ``server``, measure every query, stop it; return its record."""
    record = start_system(server)
    if "status" in record:
        return record
    record["settled"] = settle(server)
    record["memory_idle"] = server.memory()
    try:
        for q in qs:
            if q.systems is not None and server.name not in q.systems:
                continue
            cell = measure_on(server, q, clients=clients, duration=duration, most=max_requests)
            record["cells"][q.name] = cell
            log(f"    {q.name:36s} {describe(cell)}")
        record["memory"] = server.memory()
    finally:
        if isinstance(server, Virtuoso):
            record["load_seconds"] = server.load_seconds
            record["server_seconds"] = server.server_seconds
        server.stop()
    record["status"] = "ok"
    return record


def run_paired(
    servers: list[Server], qs: list[Query], *, clients: int, duration: float, rounds: int
) -> dict[str, dict]:
    """Start every server in ``servers``, then measure each query on each in ``rounds``
    alternating rounds (the order reversed every other round), and stop them; return their
    records, each query's rounds pooled (:func:`load.merge`).

    Measured minutes apart, two systems meet different moments of the other sessions' load on
    this shared machine: the same code gave ratios 0.9 and 1.4 in two runs. Measured in turns,
    query by query, they meet the same.
    """
    records: dict[str, dict] = {}
    up: list[Server] = []
    try:
        for server in servers:
            record = records[server.name] = start_system(server)
            record["paired_with"] = [other.name for other in servers if other is not server]
            record["rounds"] = rounds
            if "status" not in record:
                up.append(server)
        for server in up:
            records[server.name]["settled"] = settle(server)
            records[server.name]["memory_idle"] = server.memory()
        if len(up) > 1:
            log(f"  {' and '.join(s.name for s in up)}: {rounds} alternating rounds a query")
        for q in qs:
            taken: dict[str, list[Cell]] = {}
            for r in range(rounds):
                for server in up if r % 2 == 0 else up[::-1]:
                    if q.systems is not None and server.name not in q.systems:
                        continue
                    cell = measure_on(server, q, clients=clients, duration=duration)
                    taken.setdefault(server.name, []).append(cell)
                    log(f"    {q.name:36s} {server.name}, round {r + 1}: {describe(cell)}")
            for name, cells in taken.items():
                records[name]["cells"][q.name] = merge(cells)
        for server in up:
            records[server.name]["memory"] = server.memory()
            records[server.name]["status"] = "ok"
    finally:
        for server in up:
            server.stop()
    return records


def settle(server: Server, limit: float = 120.0) -> float:
    """Wait until the server's processes are idle (start-up work in the background, such as
    wopgraph's search index and dumps or Virtuoso's checkpoint, done); return the seconds."""
    return wait_until_idle(server.cpu, SETTLE, limit)


def run_workers(path: Path, logs: Path, qs: list[Query], args, duration: float) -> dict:
    """Throughput of 1 and of ``args.workers`` wopgraph workers (no cache), both servers up,
    measured in alternating rounds so that the other sessions' drifting load hits both alike."""
    servers = {}
    record: dict = {"rounds": {}, "startup": {}, "status": "ok"}
    try:
        for n in (1, args.workers):
            server = Wopgraph(path, logs, n, args.timeout)
            server.name = f"wopgraph-{n}-worker{'s' if n > 1 else ''}"
            log(f"  {server.name}: starting")
            record["startup"][n] = server.start()
            servers[n] = server
            settle(server)
        record["tool"] = "wrk" if wrk.available() else "python"
        for q in qs:
            for r in range(WORKER_ROUNDS):
                for n, server in servers.items():
                    if record["tool"] == "wrk":
                        cell = wrk.measure(
                            server.endpoint,
                            q.text,
                            connections=args.clients,
                            duration=duration,
                            timeout=server.timeout,
                        )
                    else:
                        cell = measure(
                            server.endpoint,
                            q.text,
                            clients=args.clients,
                            duration=duration,
                            timeout=server.timeout,
                            cpu=server.cpu,
                        )
                    record["rounds"].setdefault(q.name, {}).setdefault(n, []).append(cell)
                    log(f"    {q.name:28s} {n} worker(s), round {r + 1}: {describe(cell)}")
    except Exception as exc:  # noqa: BLE001 - report, go on with the other systems
        record["status"] = f"failed: {exc}"
        log(f"  workers: {record['status']}")
    finally:
        for server in servers.values():
            server.stop()
    return record


def describe(cell: Cell) -> str:
    if cell.status in ("timeout", "error") and not cell.latencies:
        return f"{cell.status}: {cell.note}"
    if cell.throughput is not None:
        return f"{cell.throughput:.1f} req/s ({cell.note})"
    p95 = f" p95 {cell.p95 * 1000:.1f} ms" if cell.p95 is not None else ""
    extra = f" ({cell.note})" if cell.note else ""
    return (
        f"p50 {cell.p50 * 1000:.1f} ms{p95}, {cell.rps:.1f} req/s, n={cell.n}, "
        f"rows={cell.rows}{extra}"
    )


# --- report ----------------------------------------------------------------------------------


def latency_cell(cell: Cell | None) -> str:
    if cell is None:
        return "not run"
    if cell.status == "timeout" and not cell.latencies:
        return f"≥ {cell.timeout * 1000:,.0f}"
    if cell.status == "error" and not cell.latencies:
        return "error"
    text = ms(cell.p50)
    if cell.p95 is not None:
        text += f" ({ms(cell.p95)})"
    if cell.single:
        text += " ¹"
    if cell.errors:
        text += " ²"
    return text


def rps_cell(cell: Cell | None) -> str:
    if cell is None or cell.rps is None:
        return "–"
    r = cell.rps
    return f"{r:.1f}" if r < 100 else f"{r:,.0f}"


def ok(cell: Cell | None) -> bool:
    return cell is not None and cell.p50 is not None and cell.status != "timeout"


def ratio(num: Cell | None, den: Cell | None) -> tuple[str, float | None]:
    """``num.p50 / den.p50`` as text; bounds when one side timed out (see :func:`bound`)."""
    text, value, _ = bound(num, den)
    return text, value


def bound(num: Cell | None, den: Cell | None) -> tuple[str, float | None, str]:
    """``num.p50 / den.p50``: (text, value, ``exact`` | ``at least`` | ``at most`` | ``none``).

    A side that timed out with no answer counts as taking its time limit, so the ratio is a
    bound: at least that when the numerator timed out, at most that when the denominator did.
    """
    if ok(num) and ok(den):
        r = num.p50 / den.p50
        return (f"{r:.2f}" if r < 10 else f"{r:.0f}"), r, "exact"
    if num is not None and num.status == "timeout" and not num.latencies and ok(den):
        r = num.timeout / den.p50
        return f"≥ {r:.0f}", r, "at least"
    if den is not None and den.status == "timeout" and not den.latencies and ok(num):
        r = num.p50 / den.timeout
        return (f"≤ {r:.2f}" if r < 10 else f"≤ {r:.0f}"), r, "at most"
    return "–", None, "none"


def meets(found: tuple[str, float | None, str], how: str, target: float) -> bool:
    """Whether a ratio (from :func:`bound`) meets a target: ``at most`` / ``at least`` /
    ``above`` it. A bound meets it only when the bound itself does; no figure: not met."""
    _, value, kind = found
    if value is None:
        return False
    if how == "at most":
        return kind in ("exact", "at most") and value <= target
    if how == "at least":
        return kind in ("exact", "at least") and value >= target
    return kind in ("exact", "at least") and value > target


def mem_text(mem: dict) -> str:
    if not mem:
        return "–"
    children = mem.get("children") or []
    main = mem.get("main")
    parts = [f"main {main:,.0f}" if main is not None else "main –"]
    if children:
        parts.append("others " + ", ".join(f"{c:,.0f}" for c in children))
    return "; ".join(parts)


def cpu_cell(cell: Cell | None) -> str:
    """Server CPU ms per request."""
    return ms(cell.cpu) if cell is not None and cell.cpu is not None else "–"


def gtext(values: list[float | None]) -> str:
    """The geometric mean of the known ratios, and how many there are."""
    known = [x for x in values if x]
    g = geomean(known)
    return f"{g:.2f} ({len(known)} queries)" if g else "–"


def median_rps(cells: list[Cell]) -> float | None:
    values = sorted(c.rps for c in cells if c.rps is not None)
    return values[len(values) // 2] if values else None


def report(run: dict) -> str:
    out: list[str] = []
    meta = run["meta"]
    out.append(
        f"Run of {meta['date']} on `{meta['host']}`: {meta['nproc']} cores "
        f"({meta['cpu']}), {meta['mem_gib']:.0f} GiB. Python {meta['python']}, "
        f"pyoxigraph {meta['pyoxigraph']}, rdflib {meta['rdflib']}, gunicorn "
        f"{meta['gunicorn']}, Virtuoso {meta['virtuoso']}."
    )
    out.append("")
    out.append(f"Command: `{meta['command']}`")
    out.append("")
    out.append(
        f"Settings: {meta['clients']} concurrent clients; a window of {meta['duration']:g} s "
        f"per query and system ({meta['duration_large']:g} s at 1M triples and more); "
        f"per-request limit {meta['timeout']:g} s (rdflib {meta['rdflib_timeout']:g} s, at most "
        f"{meta['rdflib_requests']} requests per query); {meta['workers']} workers for "
        "wopgraph and the bare endpoints; no access logs. Latencies in milliseconds: p50 "
        "(p95); p95 only with at least 10 requests. Whole run: "
        f"{meta.get('elapsed_min', 0):.1f} min; load average (1, 5, 15 min) "
        f"{fmt_load(meta.get('loadavg_start'))} before it, {fmt_load(meta.get('loadavg_end'))} "
        "after it."
    )
    out.append("")
    out.append(
        "**wopgraph** is `wopgraph serve` as deployed: its result cache on (per data version, "
        "`--cache-mb 64`). Each query is sent once alone first (*first request*: evaluated, "
        "a cache miss), then in a loop (answered from the cache). **no cache** is the same "
        "server with `--cache-mb 0`: every request evaluated; it is the one to compare with "
        "the bare pyoxigraph endpoint (what our layers cost). Left out: the federated queries "
        "of `queries/` (they use `SERVICE`, which would send requests off this machine)."
    )
    out.append("")
    out.append(
        "One run on a shared, noisy 2-core machine, with the load clients on the same cores as "
        "the servers: read the figures as orders of magnitude and ratios within one run, not "
        "as absolute numbers; the server CPU per request moves less with the load than "
        "latencies do."
    )
    out.append("")
    targets = []
    for size_name, sized in run["sizes"].items():
        out.append(f"### {size_name} triples")
        out.append("")
        c = sized["corpus"]
        hubs = ", ".join(str(h["mentor_of"]) for h in c["hubs"])
        out.append(
            f"Corpus `{sized['file']}`: {c['triples']:,} triples ({c['model_triples']:,} of them "
            f"the real ontology and vocabularies), {c['partnerships']:,} partnerships, "
            f"{c['operators']:,} operators; the three hub operators mentor {hubs} partnerships."
        )
        out.append("")
        systems = sized["systems"]
        paired = systems.get("wopgraph-nocache", {})
        if paired.get("paired_with"):
            turns = (
                f"in {paired['rounds']} alternating rounds a query, their requests pooled"
                if paired["rounds"] > 1
                else "one after the other, query by query"
            )
            out.append(
                f"wopgraph-nocache and {', '.join(paired['paired_with'])} were up together and "
                f"measured {turns}."
            )
            out.append("")
        out.append("| system | start-up to first answer (s) | RSS after the run (MiB) | status |")
        out.append("| --- | ---: | --- | --- |")
        for name in SYSTEMS:
            rec = systems.get(name)
            if rec is None:
                continue
            start = f"{rec['startup']:.1f}" if rec.get("startup") else "–"
            if name == "virtuoso" and rec.get("load_seconds") is not None:
                start += (
                    f" (server {rec['server_seconds']:.1f} + bulk load {rec['load_seconds']:.1f})"
                )
            status = rec.get("status", "")
            if rec.get("settled"):
                status += f"; idle {rec['settled']:.1f} s after its first answer"
            if rec.get("notes"):
                status += "; " + "; ".join(rec["notes"])
            out.append(f"| {name} | {start} | {mem_text(rec.get('memory', {}))} | {status} |")
        out.append("")
        cells = {n: systems.get(n, {}).get("cells", {}) for n in SYSTEMS}
        names = sized["queries"]
        out.append(
            "| query | rows | wopgraph | first request | no cache | bare oxigraph | rdflib | "
            "Virtuoso | no cache / oxi | rdflib / wop | Virtuoso / wop | Virtuoso / no cache |"
        )
        out.append(
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        )
        layers, rw, vw, vn = [], [], [], []
        over_layers, under_rdflib, under_virtuoso = [], [], []
        mismatches = []
        for q in names:
            w, n, o, r, v = (cells[s].get(q) for s in SYSTEMS)
            rows = {
                s: cells[s][q].rows
                for s in SYSTEMS
                if cells[s].get(q) and cells[s][q].rows is not None
            }
            ref_rows = rows.get("wopgraph", rows.get("oxigraph"))
            if len(set(rows.values())) > 1:
                mismatches.append(f"`{q}`: " + ", ".join(f"{s} {k:,}" for s, k in rows.items()))
            rows_text = f"{ref_rows:,}" if ref_rows is not None else "–"
            if len(set(rows.values())) > 1:
                rows_text += " ³"
            t1, r1 = ratio(n, o)
            t2, r2 = ratio(r, w)
            t3, r3 = ratio(v, w)
            t4, r4 = ratio(v, n)
            layers.append(r1)
            rw.append(r2)
            vw.append(r3)
            vn.append(r4)
            if n is not None and o is not None and not meets(bound(n, o), "at most", TARGET_LAYERS):
                over_layers.append(f"{q} {t1}")
            if (
                r is not None
                and w is not None
                and not meets(bound(r, w), "at least", TARGET_RDFLIB)
            ):
                under_rdflib.append(f"{q} {t2}")
            if v is not None and w is not None and not meets(bound(v, w), "above", 1):
                under_virtuoso.append(f"{q} {t3}")
            first = ms(w.first) if w is not None and w.first is not None else "–"
            out.append(
                f"| {q} | {rows_text} | {latency_cell(w)} | {first} | {latency_cell(n)} | "
                f"{latency_cell(o)} | {latency_cell(r)} | {latency_cell(v)} | {t1} | {t2} | "
                f"{t3} | {t4} |"
            )
        out.append(
            f"| **geometric mean** | | | | | | | | {gtext(layers)} | {gtext(rw)} | {gtext(vw)} | "
            f"{gtext(vn)} |"
        )
        out.append("")
        out.append(
            "Throughput (requests per second, all clients together) and the servers' CPU time "
            "per request (ms; the sum over all their processes):"
        )
        out.append("")
        out.append(
            "| query | wopgraph | no cache | bare oxigraph | rdflib | Virtuoso | CPU wopgraph | "
            "CPU no cache | CPU bare oxigraph | CPU no cache / oxi |"
        )
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        cpu_ratios = []
        for q in names:
            n, o = cells["wopgraph-nocache"].get(q), cells["oxigraph"].get(q)
            cr = n.cpu / o.cpu if n and o and n.cpu and o.cpu else None
            cpu_ratios.append(cr)
            out.append(
                f"| {q} | "
                + " | ".join(rps_cell(cells[s].get(q)) for s in SYSTEMS)
                + f" | {cpu_cell(cells['wopgraph'].get(q))} | {cpu_cell(n)} | {cpu_cell(o)} | "
                + (f"{cr:.2f}" if cr else "–")
                + " |"
            )
        out.append(f"| **geometric mean** | | | | | | | | | {gtext(cpu_ratios)} |")
        out.append("")
        workers = systems.get("workers", {})
        scaling = []
        if workers.get("rounds"):
            counts = sorted({int(k) for r in workers["rounds"].values() for k in r})
            tool = (
                "wrk (one thread, as many connections as clients)"
                if workers.get("tool") == "wrk"
                else "the Python clients"
            )
            out.append(
                f"wopgraph (no cache) with {counts[0]} and {counts[-1]} workers, both servers up, "
                f"{WORKER_ROUNDS} alternating rounds, load from {tool}; median requests per "
                "second, and the rounds:"
            )
            out.append("")
            out.append(f"| query | {counts[0]} worker | {counts[-1]} workers | ratio | rounds |")
            out.append("| --- | ---: | ---: | ---: | --- |")
            for q, by_n in workers["rounds"].items():
                a, b = median_rps(by_n.get(counts[0], [])), median_rps(by_n.get(counts[-1], []))
                if not a or not b:
                    continue
                scaling.append(b / a)
                rounds = "; ".join(
                    f"{x.rps:.0f} / {y.rps:.0f}"
                    for x, y in zip(by_n[counts[0]], by_n[counts[-1]], strict=False)
                    if x.rps and y.rps
                )
                out.append(f"| {q} | {a:,.1f} | {b:,.1f} | {b / a:.2f} | {rounds} |")
            out.append("")
        if mismatches:
            out.append("³ Result counts differ between systems: " + "; ".join(mismatches) + ".")
            out.append("")
        wop = systems.get("wopgraph", {})
        search = [cells[s].get("text-search") for s in WOPGRAPHS]
        targets.append(
            {
                "size": size_name,
                "layers": (gtext(layers), over_layers),
                "cpu": gtext(cpu_ratios),
                "rdflib": (gtext(rw), under_rdflib),
                "virtuoso": (gtext(vw), under_virtuoso),
                "search": [x.p50 for x in search if x is not None and x.p50 is not None],
                "workers": scaling,
                "startup": wop.get("startup"),
                "rss": [x for x in (wop.get("memory") or {}).get("children") or []],
            }
        )
    out.append(
        "¹ measured by a single request: it took longer than the measuring window. "
        "² some requests failed (see results.json). ≥: the request hit the per-request limit; "
        "ratios with ≥ or ≤ are bounds."
    )
    out.append("")
    out.extend(targets_table(targets))
    return "\n".join(out) + "\n"


def targets_table(targets: list[dict]) -> list[str]:
    """The issue's targets, size by size, as this run measured them."""
    out = ["The issue's targets (set for 1M triples), as this run measured them:", ""]
    out.append("| target | " + " | ".join(t["size"] for t in targets) + " |")
    out.append("| --- |" + " --- |" * len(targets))

    def row(title: str, cell) -> None:
        out.append(f"| {title} | " + " | ".join(cell(t) for t in targets) + " |")

    def listed(mean: str, values: list[str]) -> str:
        if mean == "–" and not values:
            return "not measured"
        return f"{mean}; " + ("all" if not values else f"not: {', '.join(values)}")

    row(
        f"no cache / bare oxigraph ≤ {TARGET_LAYERS} on every query (p50)",
        lambda t: (
            f"{t['layers'][0]}; "
            + ("met" if not t["layers"][1] else f"over: {', '.join(t['layers'][1])}")
        ),
    )
    row("the same in server CPU per request (geometric mean)", lambda t: t["cpu"])
    row(
        f"rdflib / wopgraph ≥ {TARGET_RDFLIB} on every query",
        lambda t: listed(*t["rdflib"]),
    )
    row(
        "Virtuoso / wopgraph > 1 on every query",
        lambda t: listed(*t["virtuoso"]),
    )
    row(
        f"text search p50 ≤ {TARGET_SEARCH_MS} ms (ms: wopgraph / no cache)",
        lambda t: " / ".join(ms(x) for x in t["search"]) or "–",
    )
    row(
        f"2 workers ≥ {TARGET_WORKERS}x the throughput of 1",
        lambda t: ", ".join(f"{x:.2f}" for x in t["workers"]) or "–",
    )
    row(
        f"start-up ≤ {TARGET_START_S} s (s)",
        lambda t: f"{t['startup']:.1f}" if t["startup"] else "–",
    )
    row(
        f"memory ≤ {TARGET_RSS_MIB} MiB per worker (RSS, MiB)",
        lambda t: ", ".join(f"{x:,.0f}" for x in t["rss"]) or "–",
    )
    out.append("")
    return out


def write_benchmarks(path: Path, body: str) -> None:
    """Replace the generated part of BENCHMARKS.md, keeping the text around it."""
    block = f"{BEGIN}\n{body}{END}\n"
    if path.exists():
        text = path.read_text("utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1].lstrip("\n")
            path.write_text(head + block + ("\n" + tail if tail else ""), "utf-8")
            return
        path.write_text(text.rstrip("\n") + "\n\n" + block, "utf-8")
        return
    path.write_text("# Benchmarks\n\n" + block, "utf-8")


def to_json(run: dict) -> dict:
    def conv(o):
        if isinstance(o, Cell):
            return o.to_json()
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, list):
            return [conv(v) for v in o]
        return o

    return conv(run)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="10k,100k,1m", help="corpus sizes (triples), comma-separated"
    )
    ap.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    ap.add_argument(
        "--duration",
        type=float,
        default=3.0,
        help="seconds of load per query and system (halved at 1M triples and more)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="per-request limit (s) for wopgraph, bare oxigraph and Virtuoso",
    )
    ap.add_argument(
        "--rdflib-timeout", type=float, default=10.0, help="per-request limit for rdflib (s)"
    )
    ap.add_argument(
        "--rdflib-requests", type=int, default=4, help="most requests per query for rdflib"
    )
    ap.add_argument(
        "--workers", type=int, default=2, help="workers of wopgraph and the bare endpoints"
    )
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="which systems to run")
    ap.add_argument(
        "--queries",
        default="",
        help="only queries whose name contains one of these (comma-separated)",
    )
    ap.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    ap.add_argument(
        "--out",
        default=str(ROOT / "BENCHMARKS.md"),
        help="the Markdown report to update ('' for none)",
    )
    ap.add_argument("--json", default=str(BUILD / "results.json"), help="raw results")
    args = ap.parse_args(argv)

    # SIGTERM ends the run like Ctrl-C: the running server is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.perf_counter()
    sizes = [synthetic.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    wanted = [s.strip() for s in args.systems.split(",") if s.strip()]
    only = [s.strip() for s in args.queries.split(",") if s.strip()] or None
    picked = any(name in wanted for name in WOPGRAPHS)
    wop_ok, wop_why = Wopgraph.available() if picked else (False, "not selected")
    virt_ok, virt_why = Virtuoso.available() if "virtuoso" in wanted else (False, "not selected")
    import gunicorn

    meta = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "host": platform.node(),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "python": platform.python_version(),
        "pyoxigraph": ox.__version__,
        "rdflib": rdflib.__version__,
        "gunicorn": gunicorn.__version__,
        "virtuoso": Virtuoso.version() if virt_ok else f"not run ({virt_why})",
        "command": ".venv/bin/python bench/run.py "
        + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "clients": args.clients,
        "duration": args.duration,
        "duration_large": args.duration / 2,
        "timeout": args.timeout,
        "rdflib_timeout": args.rdflib_timeout,
        "rdflib_requests": args.rdflib_requests,
        "workers": args.workers,
        "loadavg_start": os.getloadavg(),
    }
    run = {"meta": meta, "sizes": {}}
    logs = BUILD / "logs"
    for size in sizes:
        label = synthetic.size_label(size)
        log(f"size {label}")
        path, summary = corpus(size, args.seed, BUILD)
        qs = queries(summary, only)
        duration = args.duration if size < 1_000_000 else args.duration / 2
        systems: dict = {}
        common = dict(clients=args.clients, duration=duration)
        for name in SYSTEMS:
            if name not in wanted:
                continue
            if name in WOPGRAPHS:
                if not wop_ok:
                    systems[name] = {"status": f"not run ({wop_why})", "cells": {}}
                    continue
                server = Wopgraph(path, logs, args.workers, args.timeout, cache=name == "wopgraph")
                server.name = name
                if name == "wopgraph-nocache" and "oxigraph" in wanted:
                    # Our layers against none: the two measured in turns, query by query.
                    bare = Gunicorn("oxigraph", path, logs, args.workers, args.timeout)
                    rounds = PAIR_ROUNDS if size >= 1_000_000 else 1
                    systems.update(run_paired([server, bare], qs, rounds=rounds, **common))
                else:
                    systems[name] = run_system(server, qs, **common)
                subset = [q for q in qs if q.name in WORKER_QUERIES]
                if name == "wopgraph-nocache" and subset and args.workers != 1:
                    systems["workers"] = run_workers(path, logs, subset, args, duration)
            elif name == "oxigraph" and name not in systems:
                server = Gunicorn("oxigraph", path, logs, args.workers, args.timeout)
                systems[name] = run_system(server, qs, **common)
            elif name == "rdflib":
                server = Gunicorn("rdflib", path, logs, args.workers, args.rdflib_timeout)
                systems[name] = run_system(server, qs, max_requests=args.rdflib_requests, **common)
            elif name == "virtuoso":
                if not virt_ok:
                    systems[name] = {"status": f"not run ({virt_why})", "cells": {}}
                    continue
                server = Virtuoso(path, logs, BUILD / "virtuoso" / label, args.timeout)
                systems[name] = run_system(server, qs, **common)
        run["sizes"][label] = {
            "file": str(path.relative_to(ROOT)),
            "corpus": summary,
            "queries": [q.name for q in qs],
            "systems": systems,
        }
    meta["elapsed_min"] = (time.perf_counter() - started) / 60
    meta["loadavg_end"] = os.getloadavg()
    text = report(run)
    print(text)
    BUILD.mkdir(parents=True, exist_ok=True)
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(run), indent=1, default=str) + "\n")
    if args.out:
        write_benchmarks(Path(args.out), text)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
