"""The ``queries/`` library: every competency query is documented and returns its answer."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pyoxigraph as ox
import pytest

from wopgraph.queryfiles import load_query_files

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_query_files(ROOT / "queries")


def cells_match(got: str, want: str) -> bool:
    """Equal text, or numbers equal within a relative tolerance of 1e-3."""
    if got == want:
        return True
    try:
        return math.isclose(float(got), float(want), rel_tol=1e-3)
    except ValueError:
        return False


def rows_match(got: list[list[str]], want: list[list[str]]) -> bool:
    return len(got) == len(want) and all(
        len(g) == len(w) and all(cells_match(a, b) for a, b in zip(g, w, strict=True))
        for g, w in zip(got, want, strict=True)
    )


def assert_stated_answer(query, result) -> None:
    """Compare a query's result (a pyoxigraph result, any store) with its stated answer."""
    if isinstance(result, ox.QueryBoolean):
        got = [["boolean"], ["true" if bool(result) else "false"]]
    else:
        text = result.serialize(format=ox.QueryResultsFormat.CSV).decode()
        got = list(csv.reader(io.StringIO(text)))
    want = query.expected
    assert got[0] == want[0], f"columns: got {got[0]}, stated {want[0]}"
    body, stated = got[1:], want[1:]
    if not query.ordered:
        body, stated = sorted(body), sorted(stated)
    assert rows_match(body, stated), f"got {body}\nstated {stated}"


def test_the_library_has_the_competency_questions():
    names = {q.name for q in QUERIES}
    assert len(names) >= 10, names


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_is_documented(query):
    assert query.title and query.description and query.answer, query.name
    assert query.expected is not None, f"{query.name}: no '# expected-csv:' block"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_returns_its_stated_answer(query, store):
    if "service" in query.requires:
        pytest.skip("requires: service (calls a remote SPARQL endpoint; tests stay on 127.0.0.1)")
    assert_stated_answer(query, store.query(query.sparql))
