"""The ``wopgraph`` command line: exit codes, messages, deterministic builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from wopgraph.cli import main
from wopgraph.serialize import DUMP_FORMATS

SHAPES_INVALID = Path(__file__).parent / "shapes" / "invalid"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real ``wopgraph`` entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "wopgraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_validate_bundled_data_conforms(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "conforms" in out.splitlines()[-1]


def test_validate_given_case_file_conforms(root, capsys):
    assert main(["validate", str(root / "data" / "cases" / "onee-siaap.ttl")]) == 0


@pytest.mark.parametrize("bad", sorted(SHAPES_INVALID.glob("*.ttl")), ids=lambda p: p.stem)
def test_validate_invalid_file_exits_1_naming_the_file(bad, capsys):
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    violations = [line for line in out.splitlines() if ": Violation: " in line]
    assert violations, out
    assert any(bad.name in line for line in violations), out
    assert out.splitlines()[-1].endswith("FAILS")


def test_validate_turtle_syntax_error_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err


def test_validate_non_utf8_is_bad_input(tmp_path, capsys):
    bad = tmp_path / "latin1.ttl"
    bad.write_bytes('<http://example.org/a> <http://example.org/b> "é" .\n'.encode("latin-1"))
    assert main(["validate", str(bad)]) == 2
    assert "not valid UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["missing.ttl", "notes.txt"])
def test_validate_unreadable_path_is_bad_input(tmp_path, capsys, name):
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("hello")
    assert main(["validate", str(path)]) == 2
    assert name in capsys.readouterr().err


def test_query_table_lists_the_partnership(capsys):
    code = main(["query", "SELECT ?p WHERE { ?p a wop:Partnership }"])
    assert code == 0
    assert "id:partnership/onee-siaap" in capsys.readouterr().out


def test_query_json_is_sparql_results_json(capsys):
    assert main(["query", "SELECT ?p WHERE { ?p a wop:Partnership }", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    values = [b["p"]["value"] for b in data["results"]["bindings"]]
    assert values == ["https://w3id.org/wop/id/partnership/onee-siaap"]


def test_query_file_and_csv(root, capsys):
    assert (
        main(
            [
                "query",
                str(root / "queries" / "checks" / "orphan-blank-node-violation.rq"),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().splitlines() == ["focus,message"]


def test_query_syntax_error_exits_2(capsys):
    assert main(["query", "SELECT ?x WHERE { ?x"]) == 2
    assert "not valid SPARQL" in capsys.readouterr().err


def test_build_is_byte_for_byte_stable_and_complete(tmp_path, store):
    first, second = tmp_path / "one", tmp_path / "two"
    a = run("build", "--out", str(first), env={"PYTHONHASHSEED": "1"})
    b = run("build", "--out", str(second), env={"PYTHONHASHSEED": "2"})
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) > 5 and all(
        (first / f).read_bytes() == (second / f).read_bytes() for f in files
    )
    for suffix, oxformat, _ in DUMP_FORMATS.values():
        one, two = (first / f"wopgraph{suffix}").read_bytes(), (second / f"wopgraph{suffix}")
        assert one == two.read_bytes(), suffix
        parsed = list(ox.parse(one, format=oxformat))
        if oxformat in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD):
            assert len(parsed) == len(store), suffix
            assert {q.graph_name.value for q in parsed} == set(store.graphs())
        else:
            union = {(str(q.subject), str(q.predicate), str(q.object)) for q in store.quads()}
            assert len(parsed) == len(union), suffix


def test_query_from_clause_is_not_overridden_by_the_union(capsys):
    """Regression: the union default graph must not swallow the query's own FROM."""
    query = (
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/wop/graph/shared> "
        "WHERE { ?p a wop:Partnership }"
    )
    assert main(["query", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "0"]
