"""Start-up: what is derived from the data is kept for the next start of the same data, and a
changed source is picked up, in memory (the start cache) and in an on-disk store (its stamp).

Every test works on real files in a temporary folder: the sources, the build folder holding
the start cache, and a real on-disk Oxigraph store served by the real ``wopgraph serve``.
"""

from __future__ import annotations

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
