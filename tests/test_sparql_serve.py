"""``wopgraph serve``: settings (defaults < env < CLI), data files, bad input, on-disk store,
lookups over data that states a triple in several graphs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import fields

import pytest
from SPARQLWrapper import N3, SPARQLWrapper

from server import ROOT, LiveServer
from wopgraph import config

TURTLE = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b .
ex:b ex:p ex:c .
ex:c ex:p ex:d .
ex:d ex:p ex:e .
"""
JSONLD = (
    '{"@id": "http://example.org/j", "http://example.org/p": [{"@id": "http://example.org/k"}]}'
)


def ask_json(endpoint: str, query: str) -> tuple[dict, dict]:
    """Run a query; return the JSON answer and the response headers."""
    url = f"{endpoint}?query={urllib.parse.quote(query)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read()), dict(response.headers)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``wopgraph`` in a child process (for commands that end by themselves)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WOPGRAPH_")}
    return subprocess.run(
        [sys.executable, "-m", "wopgraph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **(env or {})},
        timeout=60,
    )


def test_defaults():
    settings = config.load({}, environ={})
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 2)
    assert settings.query_timeout == 10.0
    assert settings.max_rows == 10_000
    assert settings.data == [] and settings.allow_service == [] and settings.store is None


def test_environment_then_overrides():
    env = {
        "WOPGRAPH_MAX_ROWS": "7",
        "WOPGRAPH_QUERY_TIMEOUT": "2.5",
        "WOPGRAPH_PORT": "9000",
        "WOPGRAPH_DATA": "a.ttl 'b c.ttl'",
        "WOPGRAPH_ALLOW_SERVICE": "http://x/sparql",
    }
    settings = config.load({"max_rows": 3, "port": None}, environ=env)
    assert settings.max_rows == 3, "an override beats the environment"
    assert settings.port == 9000, "an unset override leaves the environment's value"
    assert settings.query_timeout == 2.5
    assert settings.data == ["a.ttl", "b c.ttl"]
    assert settings.allow_service == ["http://x/sparql"]


def test_cli_flags_beat_environment():
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    args = parser.parse_args(["--max-rows", "4", "--data", "x.ttl", "y.nq", "--allow-service", "u"])
    settings = config.from_args(args, environ={"WOPGRAPH_MAX_ROWS": "9", "WOPGRAPH_WORKERS": "3"})
    assert (settings.max_rows, settings.workers) == (4, 3)
    assert settings.data == ["x.ttl", "y.nq"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WOPGRAPH_MAX_ROWS": "many"}, "WOPGRAPH_MAX_ROWS"),
        ({"WOPGRAPH_QUERY_TIMEOUT": "0"}, "query_timeout"),
        ({"WOPGRAPH_WORKERS": "0"}, "workers"),
        ({"WOPGRAPH_DATA": "'unclosed"}, "WOPGRAPH_DATA"),
    ],
)
def test_bad_values_name_the_setting(env, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load({}, environ=env)


def test_unknown_override_is_an_error():
    with pytest.raises(config.ConfigError, match="nope"):
        config.load({"nope": 1}, environ={})


def test_every_setting_is_documented_with_flag_and_env_var():
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    help_text = " ".join(parser.format_help().split())
    for f in fields(config.Settings):
        assert f.metadata["doc"], f.name
        assert config.flag_name(f.name) in help_text
        assert config.env_name(f.name) in help_text


def test_bad_data_file_exits_2_naming_file_and_line(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    result = run_cli("serve", "--port", "0", "--data", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3:" in result.stderr


def test_missing_data_file_exits_2(tmp_path):
    result = run_cli("serve", "--data", str(tmp_path / "nothing.ttl"))
    assert result.returncode == 2
    assert "nothing.ttl" in result.stderr


def test_bad_environment_value_exits_2():
    result = run_cli("serve", env={"WOPGRAPH_MAX_ROWS": "lots"})
    assert result.returncode == 2
    assert "WOPGRAPH_MAX_ROWS" in result.stderr


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    """A Turtle file with four triples and a JSON-LD file with one."""
    folder = tmp_path_factory.mktemp("serve-data")
    (folder / "four.ttl").write_text(TURTLE)
    (folder / "one.jsonld").write_text(JSONLD)
    return folder


def test_serves_given_files_with_settings_from_env_and_cli(data_files):
    env = {"WOPGRAPH_DATA": str(data_files / "four.ttl"), "WOPGRAPH_MAX_ROWS": "2"}
    with LiveServer("--max-rows", "3", "--workers", "3", env=env) as live:
        answer, headers = ask_json(live.endpoint, "SELECT * WHERE { ?s ?p ?o }")
        deadline = time.monotonic() + 10
        while live.log().count("Booting worker") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        log = live.log()
    assert len(answer["results"]["bindings"]) == 3, "--max-rows beats WOPGRAPH_MAX_ROWS"
    assert headers["X-WOPgraph-Truncated"] == "true"
    assert log.count("Booting worker") == 3
    assert log.count("wopgraph: serving 4 triples") == 1, "the data is loaded once, in the master"


@pytest.mark.parametrize("where", ["file", "off", "-"])
def test_access_log_goes_where_asked(data_files, tmp_path, where):
    target = str(tmp_path / "access.log") if where == "file" else where
    marker = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    with LiveServer("--data", str(data_files / "four.ttl"), "--access-log", target) as live:
        ask_json(live.endpoint, marker)
        time.sleep(0.3)  # the log line is written after the answer
        log = live.log()
    logged = "GET /sparql?query=" in log
    if where == "file":
        assert not logged
        assert "GET /sparql?query=" in (tmp_path / "access.log").read_text()
    else:
        assert logged is (where == "-")


def test_serves_a_folder_of_mixed_formats(data_files):
    with LiveServer("--data", str(data_files)) as live:
        answer, _ = ask_json(live.endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert answer["results"]["bindings"][0]["n"]["value"] == "5"


def test_on_disk_store_is_loaded_once_then_served_as_it_is(data_files, tmp_path):
    store = tmp_path / "store"
    with LiveServer("--store", str(store), "--data", str(data_files / "four.ttl")) as live:
        first, _ = ask_json(live.endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    with LiveServer("--store", str(store)) as live:
        again, _ = ask_json(live.endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert first == again
    assert again["results"]["bindings"][0]["n"]["value"] == "4"
    refused = run_cli("serve", "--store", str(store), "--data", str(data_files / "one.jsonld"))
    assert refused.returncode == 2
    assert "already holds 4 quads" in refused.stderr


TRIG_REPEATS = """@prefix ex: <http://example.org/> .
ex:g1 { ex:op ex:label "Operator" . ex:op ex:mentors ex:other . }
ex:g2 { ex:op ex:label "Operator" . ex:x ex:links ex:op . }
ex:g3 { ex:op ex:label "Operator" . ex:x ex:links ex:op . }
"""


def test_lookups_of_a_triple_stated_in_several_graphs_give_it_once(tmp_path):
    """Served from the worker (DESCRIBE, entity page CONSTRUCT) or not, through SPARQLWrapper:
    a triple held in three case graphs is one triple of the answer."""
    data = tmp_path / "repeats.trig"
    data.write_text(TRIG_REPEATS, encoding="utf-8")
    op = "http://example.org/op"
    queries = {
        f"DESCRIBE <{op}>": 2,
        "DESCRIBE ?s WHERE { ?s <http://example.org/mentors> ?o }": 2,
        f"CONSTRUCT {{ <{op}> ?p ?o . ?s ?q <{op}> }} "
        f"WHERE {{ {{ <{op}> ?p ?o }} UNION {{ ?s ?q <{op}> }} }}": 3,
    }
    with LiveServer("--data", str(data), "--cache-mb", "0") as live:
        for query, triples in queries.items():
            client = SPARQLWrapper(live.endpoint)
            client.setQuery(query)
            client.setReturnFormat(N3)
            client.addCustomHttpHeader("Accept", "application/n-triples")
            lines = client.query().response.read().decode().splitlines()
            assert len(lines) == triples, (query, lines)
            assert len(set(lines)) == triples, (query, lines)
