"""Start-up: what is derived from the data is kept for the next start of the same data, and a
changed source is picked up, in memory (the start cache) and in an on-disk store (its stamp).

Every test works on real files in a temporary folder: the sources, the build folder holding
the start cache, and a real on-disk Oxigraph store served by the real ``wopgraph serve``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server import LiveServer
from wopgraph import diskstore, endpoint, fingerprints, search, startcache
from wopgraph.journal import Journal
from wopgraph.web import create_app

EX = "https://w3id.org/wop/id/test/"
PREFIXES = f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix wop: <https://w3id.org/wop/ontology#> .
@prefix ex: <{EX}> .
"""
OPERATORS = (
    PREFIXES
    + """
ex:onee a wop:Operator ; rdfs:label "Office National de l'Électricité et de l'Eau Potable"@fr .
ex:siaap a wop:Operator ; rdfs:label "SIAAP" .
"""
)
CITIES = (
    PREFIXES
    + """
ex:paris a wop:City ; rdfs:label "Paris"@en .
"""
)
#: What the cache files are named (rows-* are the query results of the terms and shapes).
DERIVED = {"summary", "search"}


@pytest.fixture
def data(tmp_path) -> Path:
    """A folder of two Turtle files, last changed long enough ago to be trusted by state."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "operators.ttl").write_text(OPERATORS, encoding="utf-8")
    (folder / "cities.ttl").write_text(CITIES, encoding="utf-8")
    return folder


@pytest.fixture
def settle(monkeypatch):
    """Files just written count as settled (else a start waits RACY seconds to trust them)."""
    monkeypatch.setattr(fingerprints, "RACY", 0.0)


def start(folder: Path, build: Path, **extra):
    """Make the app as ``wopgraph serve`` does (journal off unless given); return its site,
    summary and start cache, and stop its query process."""
    settings = {"data": [str(folder)], "build_dir": str(build), **extra}
    settings.setdefault("journal", str(build / "no-journal"))
    app = create_app(settings)
    try:
        backend = app.extensions["wopgraph"]
        site = app.extensions["wopgraph.site"]
        cache = startcache.of(backend.executor.open_store())
        return site, backend.summary, cache
    finally:
        app.extensions["wopgraph"].executor.stop()


def hits(site, query: str) -> list[str]:
    """Every entity the site's search finds for ``query``."""
    found = site.search_index.search(query, limit=100)
    return sorted(iri for iris in found.hits.values() for iri in iris)


def edit(folder: Path) -> None:
    """Add an operator to the data."""
    with open(folder / "operators.ttl", "a", encoding="utf-8") as f:
        f.write('ex:veolia a wop:Operator ; rdfs:label "Veolia Eau" .\n')


def touch(folder: Path) -> None:
    """Change the file's times, not its bytes."""
    path = folder / "operators.ttl"
    path.write_bytes(path.read_bytes())


def add_file(folder: Path) -> None:
    """Add a file to the folder."""
    (folder / "more.ttl").write_text(PREFIXES + 'ex:lyon a wop:City ; rdfs:label "Lyon" .\n')


def remove_file(folder: Path) -> None:
    """Remove a file from the folder."""
    (folder / "cities.ttl").unlink()


def write_journal(folder: Path, journal: Path) -> None:
    """Record a write in the journal (a graph added) without changing any source."""
    import pyoxigraph as ox

    graph = f"{EX}graph/written"
    quad = ox.Quad(
        ox.NamedNode(f"{EX}lille"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        ox.Literal("Lille"),
        ox.NamedNode(graph),
    )
    j = Journal(journal)
    with j.locked():
        j.commit({graph: [quad]}, "test", "PUT")


#: (change between two starts, whether the second start reuses the cache, a search and what
#: it finds after the change)
CHANGES = [
    ("nothing", None, True, "paris", [f"{EX}paris"]),
    ("times only", touch, True, "siaap", [f"{EX}siaap"]),
    ("a file edited", edit, False, "veolia", [f"{EX}veolia"]),
    ("a file added", add_file, False, "lyon", [f"{EX}lyon"]),
    ("a file removed", remove_file, False, "paris", []),
    ("a write in the journal", write_journal, False, "lille", [f"{EX}lille"]),
]


@pytest.mark.parametrize(
    "change, reused, query, expected", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES]
)
def test_second_start_reuses_the_cache_unless_the_data_changed(
    data, tmp_path, settle, monkeypatch, change, reused, query, expected
):
    build, journal = tmp_path / "build", tmp_path / "journal"
    first_site, first_summary, first = start(data, build, journal=str(journal))
    assert not first.found, "nothing to reuse at the first start"
    kept = {p.name.split("-")[0] for p in (build / startcache.FOLDER).iterdir()}
    assert DERIVED | {"rows", startcache.HASHES} <= kept
    if change is write_journal:
        change(data, journal)
    elif change is not None:
        change(data)
    site, summary, cache = start(data, build, journal=str(journal))
    assert (set(cache.found) >= DERIVED) is reused
    assert (cache.fingerprint == first.fingerprint) is reused
    assert hits(site, query) == expected
    if reused:
        assert summary == first_summary
        assert hits(site, "o") == hits(first_site, "o")
        # A third start builds nothing: summary and index come from the cache.
        monkeypatch.setattr(endpoint, "summarize", refuse)
        monkeypatch.setattr(search, "build", refuse)
        again_site, again, _ = start(data, build, journal=str(journal))
        assert again == summary and hits(again_site, query) == expected
    else:
        assert summary != first_summary


def test_first_start_counts_the_graphs_alongside_the_site(data, tmp_path, settle):
    from wopgraph.sources import data_sources, load_into
    from wopgraph.store import OxigraphStore

    site, summary, cache = start(data, tmp_path / "build")
    alone = OxigraphStore()
    load_into(alone, data_sources([data]))
    assert summary == endpoint.summarize(alone)
    assert cache.site_data(None).search_index is site.search_index, "built once, while counting"


def refuse(*args, **kwargs):
    raise AssertionError("built again although the cache holds it")


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def damage_flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))


def damage_header(path: Path) -> None:
    path.write_bytes(startcache.MAGIC + b"{not json\n" + path.read_bytes())


def damage_empty(path: Path) -> None:
    path.write_bytes(b"")


def damage_other_fingerprint(path: Path) -> None:
    payload = startcache.read_entry(
        path, json.loads(path.read_bytes().split(b"\n")[1])["fingerprint"]
    )
    startcache.write_entry(path, "0" * 64, payload)


@pytest.mark.parametrize("name", ["summary", "search", "rows"])
@pytest.mark.parametrize(
    "damage",
    [damage_truncate, damage_flip, damage_header, damage_empty, damage_other_fingerprint],
)
def test_a_damaged_cache_file_is_built_again(data, tmp_path, settle, name, damage):
    build = tmp_path / "build"
    first_site, first_summary, _ = start(data, build)
    files = sorted((build / startcache.FOLDER).glob(f"{name}*"))
    for path in files:
        damage(path)
    site, summary, cache = start(data, build)
    assert not any(key.startswith(name) for key in cache.found)
    assert summary == first_summary
    assert hits(site, "electricite") == [f"{EX}onee"]
    assert site.terms.by_iri.keys() == first_site.terms.by_iri.keys()
    assert all(startcache.read_entry(p, cache.fingerprint) for p in files), "written again"


def test_a_file_changed_just_before_the_start_is_not_trusted(data, tmp_path):
    build = tmp_path / "build"
    _, _, cache = start(data, build)  # the files are seconds old: not settled
    assert cache.fingerprint is None
    assert not (build / startcache.FOLDER / "search").exists()


def test_a_cache_folder_that_cannot_be_written_is_skipped(data, tmp_path, settle):
    build = tmp_path / "build"
    build.write_text("a file where the folder should be")
    site, summary, _ = start(data, build)
    assert summary.union_triples == 6
    assert hits(site, "sia") == [f"{EX}siaap"]


def test_remembered_hashes_are_reused_only_for_the_same_state(tmp_path, settle):
    path = tmp_path / "a.ttl"
    path.write_text("one")
    hashes = fingerprints.Hashes()
    first = hashes.sha256(path, fingerprints.FileState.of(path))
    assert hashes.changed and str(path) in hashes.known
    saved = fingerprints.Hashes.from_json(json.loads(json.dumps(hashes.to_json())))
    assert saved.sha256(path, fingerprints.FileState.of(path)) == first
    path.write_text("two")
    assert saved.sha256(path, fingerprints.FileState.of(path)) != first


def test_search_index_dump_round_trip(store):
    def select(query, max_rows=None):
        result = store.query(query, union_default_graph=True, use_default_prefixes=True)
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in result]

    built = search.build(select)
    loaded = search.SearchIndex.load(built.dump())
    assert loaded.iris == built.iris
    for iri in built.iris:
        assert loaded.labels_of(iri) == built.labels_of(iri)
    for query in ("siaap", "eau", "electricite potable", "partner", "wat", "zzz", ""):
        for kinds in (None, [built.kind_names[1]]):
            assert loaded.search(query, kinds, 5, 1) == built.search(query, kinds, 5, 1)
        assert loaded.similar(query) == built.similar(query)
    with pytest.raises(ValueError):
        search.SearchIndex.load(built.dump()[:-1])
    with pytest.raises(ValueError):
        search.SearchIndex.load(b'{"format": 0}\n')


# Lenient parsing: only bytes an earlier load validated.


@pytest.fixture
def parses(monkeypatch):
    """Every file loaded into an in-memory store: {file name: lenient?}, per start."""
    from wopgraph.store import OxigraphStore

    seen: list[dict[str, bool]] = []
    load_file = OxigraphStore.load_file

    def spy(self, path, format, graph=None, base_iri=None, lenient=False):
        seen[-1][Path(path).name] = lenient
        return load_file(self, path, format, graph, base_iri, lenient)

    monkeypatch.setattr(OxigraphStore, "load_file", spy)
    return seen


def start_watched(parses: list, folder: Path, build: Path):
    """:func:`start`, noting how each file was parsed."""
    parses.append({})
    return start(folder, build)


def test_sources_validated_before_are_parsed_leniently_until_they_change(
    data, tmp_path, settle, parses
):
    build = tmp_path / "build"
    _, first, _ = start_watched(parses, data, build)
    assert parses[-1] == {"operators.ttl": False, "cities.ttl": False}, "never seen: strict"
    assert (build / startcache.FOLDER / startcache.VALIDATED).exists()
    site, second, cache = start_watched(parses, data, build)
    assert parses[-1] == {"operators.ttl": True, "cities.ttl": True}
    assert second == first and hits(site, "siaap") == [f"{EX}siaap"]
    edit(data)
    site, _, _ = start_watched(parses, data, build)
    assert parses[-1] == {"operators.ttl": False, "cities.ttl": True}, "the edited one: strict"
    assert hits(site, "veolia") == [f"{EX}veolia"]
    start_watched(parses, data, build)
    assert parses[-1] == {"operators.ttl": True, "cities.ttl": True}, "validated since"


def test_a_file_changed_since_it_was_validated_is_parsed_strictly_and_its_error_reported(
    data, tmp_path, settle, parses
):
    from wopgraph.sources import SourceError

    build = tmp_path / "build"
    start_watched(parses, data, build)
    start_watched(parses, data, build)
    assert all(parses[-1].values())
    # A space in an IRI: only the strict parser rejects it (a lenient one loads it as it is).
    with open(data / "operators.ttl", "a", encoding="utf-8") as f:
        f.write("<https://w3id.org/wop/id/test/a b> a wop:Operator .\n")
    with pytest.raises(SourceError) as raised:
        start_watched(parses, data, build)
    assert parses[-1]["operators.ttl"] is False
    assert raised.value.path.name == "operators.ttl"
    assert raised.value.line == OPERATORS.count("\n") + 1
    assert "IRI" in raised.value.message


def test_a_file_changed_while_parsed_leniently_is_loaded_again_strictly(
    data, tmp_path, settle, monkeypatch
):
    from wopgraph.sources import SourceError
    from wopgraph.store import OxigraphStore

    build = tmp_path / "build"
    start(data, build)
    load_file = OxigraphStore.load_file
    parsed: list[tuple[str, bool]] = []

    def change_then_load(self, path, format, graph=None, base_iri=None, lenient=False):
        parsed.append((Path(path).name, lenient))
        if lenient and Path(path).name == "operators.ttl":  # changed just as it is read
            Path(path).write_text(PREFIXES + "<https://w3id.org/wop/id/test/a b> a wop:City .\n")
        return load_file(self, path, format, graph, base_iri, lenient)

    monkeypatch.setattr(OxigraphStore, "load_file", change_then_load)
    with pytest.raises(SourceError) as raised:
        start(data, build)
    assert ("operators.ttl", True) in parsed and parsed[-1] == ("operators.ttl", False)
    assert raised.value.path.name == "operators.ttl" and "IRI" in raised.value.message


def test_validated_keys_name_the_bytes_the_place_and_the_parser(tmp_path):
    from wopgraph.fingerprints import Validated, validation_key
    from wopgraph.sources import data_sources

    path = tmp_path / "a.ttl"
    path.write_text("")
    (source,) = data_sources([path])
    key = validation_key(source, "0" * 64)
    assert key != validation_key(source, "1" * 64)
    moved = data_sources([tmp_path])[0].__class__(tmp_path / "b.ttl", source.graph, source.format)
    assert key != validation_key(moved, "0" * 64)
    Validated({key}).write(tmp_path / "v.json")
    assert Validated.read(tmp_path / "v.json").keys == {key}
    for damaged in (b"", b"{not json", b'{"validated": [1]}', b"[]"):
        (tmp_path / "v.json").write_bytes(damaged)
        assert Validated.read(tmp_path / "v.json").keys == set()


# A first start of big data: the site's data are derived in the background.

#: Runs ``wopgraph serve`` with every dataset counted as big (derived in the background),
#: files trusted at once, and a search index build that waits for the file ``argv[1]``
#: (made by the test) in the background process, or makes it die if ``argv[2]`` exists.
SERVE_GATED = """
import os, sys, time
from pathlib import Path
from wopgraph import fingerprints, search, startcache
from wopgraph.cli import main

gate, die = Path(sys.argv[1]), Path(sys.argv[2])
startcache.BACKGROUND_ABOVE = 0
fingerprints.RACY = 0.0
in_background = []
start_process = startcache.Background.start.__func__

def start(cls, work, **options):
    return start_process(cls, lambda: (in_background.append(True), work()), **options)

startcache.Background.start = classmethod(start)
build = search.build

def gated(select):
    if in_background:
        if die.exists():
            os._exit(3)
        while not gate.exists():
            time.sleep(0.05)
    return build(select)

search.build = gated
raise SystemExit(main(sys.argv[3:]))
"""


@contextlib.contextmanager
def opened(gate: Path):
    """Open ``gate`` on the way out, whatever happened (no background process waits on)."""
    try:
        yield
    finally:
        gate.touch()


class GatedServer(LiveServer):
    """``wopgraph serve`` through :data:`SERVE_GATED`."""

    def __init__(self, gate: Path, die: Path, *args: str):
        super().__init__(*args)
        self.gate, self.die = gate, die

    def command(self) -> list[str]:
        """The gated serve command."""
        serve = super().command()[3:]  # what follows ``python -m wopgraph``
        return [sys.executable, "-c", SERVE_GATED, str(self.gate), str(self.die), *serve]


def get(url: str, accept: str = "text/html") -> tuple[int, dict, str]:
    """Status, headers and body of a GET (errors included)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def search_until_found(live: LiveServer, query: str, iri: str, timeout: float = 60) -> None:
    """Search until the page lists ``iri`` (503 meanwhile is fine)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = get(f"{live.url}/search?q={query}")
        if status == 200:
            assert iri.rsplit("/", 1)[-1] in body
            return
        assert status == 503
        time.sleep(0.2)
    raise AssertionError(f"the search never found {iri}")


def test_first_start_of_big_data_serves_sparql_before_the_search_index_is_built(data, tmp_path):
    from urllib.parse import quote

    build, gate, die = tmp_path / "build", tmp_path / "gate", tmp_path / "die"
    args = ("--data", str(data), "--build-dir", str(build), "--workers", "2")
    with GatedServer(gate, die, *args) as live, opened(gate):
        assert count(live) == 6, "queries are answered while the index is being built"
        status, headers, body = get(f"{live.url}/search?q=siaap")
        assert status == 503 and headers.get("Retry-After") == "5"
        assert "search index is being built" in body
        text = (
            "PREFIX text: <https://w3id.org/wop/text#> "
            'SELECT ?e { SERVICE text: { ?e text:matches "siaap" } }'
        )
        status, headers, body = get(f"{live.endpoint}?query={quote(text)}", "*/*")
        assert status == 503 and headers.get("Retry-After") == "5", "SERVICE text needs the index"
        status, _, body = get(f"{live.url}/id/test/paris")
        assert status == 200 and "Paris" in body, "pages need the model only"
        assert not (build / startcache.FOLDER / "search").exists()
        gate.touch()
        search_until_found(live, "siaap", f"{EX}siaap")
    kept = {p.name.split("-")[0] for p in (build / startcache.FOLDER).iterdir()}
    assert DERIVED | {"rows"} <= kept, "the background process kept what it derived"
    # The next start of the same data takes it all from the cache: nothing to wait for.
    gate.unlink()
    with GatedServer(gate, die, *args) as live:
        status, _, body = get(f"{live.url}/search?q=siaap")
        assert status == 200 and "siaap" in body


def running_with(argument: Path) -> list[int]:
    """The processes whose command line holds ``argument``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(argument).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_stopping_the_server_stops_its_background_processes(data, tmp_path):
    import time

    build, gate, die = tmp_path / "build", tmp_path / "gate", tmp_path / "die"
    args = ("--data", str(data), "--build-dir", str(build), "--workers", "1")
    with GatedServer(gate, die, *args) as live, opened(gate):
        assert count(live) == 6
        assert len(running_with(gate)) >= 2, "the server and its site's background process"
        live.stop()  # the master only (SIGTERM), the index still being built
        deadline = time.monotonic() + 15
        while running_with(gate) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert running_with(gate) == []
    assert not (build / startcache.FOLDER / "search").exists()


def test_search_is_built_by_the_worker_when_the_background_process_died(data, tmp_path):
    build, gate, die = tmp_path / "build", tmp_path / "gate", tmp_path / "die"
    die.touch()
    args = ("--data", str(data), "--build-dir", str(build), "--workers", "1")
    with GatedServer(gate, die, *args) as live:
        assert count(live) == 6
        search_until_found(live, "electricite", f"{EX}onee", timeout=30)
        assert "deriving the start cache in the background failed" not in live.log()


# The on-disk store: a real store, served by the real server.

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(live: LiveServer) -> int:
    """The triples the server serves."""
    import urllib.parse
    import urllib.request

    url = f"{live.endpoint}?query={urllib.parse.quote(COUNT)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        answer = json.loads(response.read())
    return int(answer["results"]["bindings"][0]["n"]["value"])


def test_on_disk_store_is_loaded_again_when_a_source_changed(data, tmp_path):
    store = tmp_path / "store"
    with LiveServer("--store", str(store), "--data", str(data)) as live:
        assert count(live) == 6
    assert diskstore.Stamp.read(store).data == [str(data.resolve())]
    edit(data)
    with LiveServer("--store", str(store), "--data", str(data)) as live:
        assert count(live) == 8
        log = live.log()
    assert "sources changed since it was loaded; loading its 2 files again" in log
    assert not list(tmp_path.glob(".store.wopgraph-*-*")), "nothing left beside the store"
    # Served without --data, the stamp says which files it came from.
    with LiveServer("--store", str(store)) as live:
        assert count(live) == 8
        assert "loading" not in live.log()
    remove_file(data)
    with LiveServer("--store", str(store)) as live:
        assert count(live) == 6
        assert "loading its 1 files again" in live.log()


def load_disk(store: Path, data: Path | None = None) -> tuple[int, str]:
    """Start on the store as ``wopgraph serve --store`` does, in a new process (RocksDB hangs
    in a process forked from one that opened a store, as this one may have): return the
    triples served and what was logged."""
    code = (
        "import sys; from wopgraph import config, endpoint; "
        "s = config.load({'store': sys.argv[1], 'data': sys.argv[2:]}, environ={}); "
        "print(endpoint.load_store(s)[1].union_triples)"
    )
    args = [str(store), *([str(data)] if data else [])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WOPGRAPH_")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout), done.stderr


def test_on_disk_store_load_interrupted_half_way_is_done_again(data, tmp_path):
    store = tmp_path / "store"
    load_disk(store, data)
    stamp = diskstore.Stamp.read(store)
    diskstore.Stamp(stamp.data, diskstore.LOADING).write(store)
    served, log = load_disk(store, data)
    assert served == 6
    assert "its last load did not finish; loading its 2 files again" in log
    assert diskstore.Stamp.read(store).fingerprint == stamp.fingerprint


def test_on_disk_store_first_load_interrupted_is_done_again_with_its_data(data, tmp_path):
    store = tmp_path / "store"
    made = subprocess.run(
        [sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store(sys.argv[1])", str(store)],
        timeout=60,
    )
    assert made.returncode == 0
    diskstore.Stamp([str(data.resolve())], diskstore.LOADING).write(store)
    served, _ = load_disk(store)  # without --data: the data the stamp names, not the bundle
    assert served == 6


def test_on_disk_store_moved_away_by_an_interrupted_swap_is_put_back(data, tmp_path):
    store = tmp_path / "store"
    load_disk(store, data)
    os.rename(store, tmp_path / ".store.wopgraph-old-1")
    (tmp_path / ".store.wopgraph-new-1").mkdir()
    served, log = load_disk(store)
    assert served == 6 and "put back the store" in log
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.wopgraph-lock", "data", "store"]


def test_on_disk_store_filled_by_other_means_is_served_as_it_is(data, tmp_path):
    store = tmp_path / "store"
    load_disk(store, data)
    (store / diskstore.STAMP).unlink()  # as `wopgraph load` leaves a store
    edit(data)
    assert load_disk(store)[0] == 6
    (store / diskstore.STAMP).write_text("{damaged")
    served, log = load_disk(store)
    assert served == 6 and "damaged" in log
    served, log = load_disk(store, data)
    assert served == 8, "with --data, a damaged stamp means: load again"


def test_on_disk_store_sources_that_are_gone_leave_it_served_as_it_is(data, tmp_path):
    store, copy = tmp_path / "store", tmp_path / "copy"
    shutil.copytree(data, copy)
    load_disk(store, copy)
    shutil.rmtree(copy)
    served, log = load_disk(store)
    assert served == 6 and "served as it is" in log
