"""The result cache: bounded, least-recently-used, keyed by data version; used by /sparql."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from wopgraph.cache import ResultCache
from wopgraph.web import create_app


def test_a_value_is_found_under_its_version_only():
    cache = ResultCache(1000)
    cache.put("v1", "q", b"answer", 6)
    assert cache.get("v1", "q") == b"answer"
    assert cache.get("v2", "q") is None, "a new data version must not see old answers"


def test_least_recently_used_goes_first_within_the_budget():
    cache = ResultCache(1000)
    for key in "abcd":
        cache.put(1, key, key, 240)
    cache.get(1, "a")  # a is now the most recently used
    cache.put(1, "e", "e", 240)
    assert cache.get(1, "b") is None
    assert cache.get(1, "a") == "a" and cache.get(1, "e") == "e"
    assert cache.held <= 1000


def test_large_answers_and_a_zero_budget_are_not_cached():
    cache = ResultCache(1000)
    cache.put(1, "big", "x", 251)
    assert cache.get(1, "big") is None
    off = ResultCache(0)
    off.put(1, "q", "x", 1)
    assert off.get(1, "q") is None


@pytest.fixture(scope="module")
def app():
    app = create_app({"cache_mb": 8})
    yield app
    app.extensions["wopgraph"].executor.stop()


def test_a_repeated_query_is_answered_from_the_cache(app):
    client = app.test_client()
    backend = app.extensions["wopgraph"]
    query = quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    first = client.get(f"/sparql?query={query}", headers={"Accept": "text/csv"})
    hits = backend.cache.hits
    second = client.get(f"/sparql?query={query}", headers={"Accept": "text/csv"})
    assert first.status_code == second.status_code == 200
    assert backend.cache.hits == hits + 1
    assert first.data == second.data
    other_format = client.get(
        f"/sparql?query={query}", headers={"Accept": "text/tab-separated-values"}
    )
    assert other_format.data != first.data, "the format is part of the key"
