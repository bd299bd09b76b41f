"""What OpenRefine does with a reconciliation service, against the real server (API 0.2).

OpenRefine reads the manifest, sends batches of queries as a ``queries=`` form field (types
with ``type_strict: should``, property values from other columns), shows candidates' previews
in an iframe, then proposes properties for the chosen type and fetches their values for the
matched ids (data extension, an ``extend=`` form field).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from bs4 import BeautifulSoup

from reconcile_schemas import needs_schemas, validate
from server import LiveServer

WOP = "https://w3id.org/wop/ontology#"


@pytest.fixture(scope="module")
def service():
    """The real server over the bundled data; its reconciliation service's URL."""
    with LiveServer() as live:
        yield f"{live.url}/reconcile"


def fetch(url: str, form: dict | None = None) -> tuple[str, str]:
    """GET (or POST ``form`` as application/x-www-form-urlencoded); return type and body."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
        return response.headers["Content-Type"], response.read().decode()


@needs_schemas
def test_openrefine_round_trip(service):
    kind, body = fetch(service)
    manifest = json.loads(body)
    validate("0.2", "manifest", manifest)
    assert kind.startswith("application/json")

    # "Start reconciling": OpenRefine guesses the column's type from a few values.
    _, body = fetch(service, {"queries": json.dumps({"q0": {"query": "SIAAP", "limit": 3}})})
    guessed = json.loads(body)["q0"]["result"][0]["type"]
    assert WOP + "Operator" in [t["id"] for t in guessed]

    queries = {
        "q0": {
            "query": "SIAAP",
            "type": WOP + "Operator",
            "type_strict": "should",
            "properties": [{"pid": WOP + "country", "v": "France"}],
            "limit": 3,
        },
        "q1": {"query": "Office National de l'Electricite et de l'Eau Potable", "limit": 3},
        "q2": {"query": "onee", "type": WOP + "Operator", "type_strict": "should"},
        "q3": {"query": "Zyxwvut Qwerty Blorp", "type": WOP + "Operator"},
    }
    _, body = fetch(service, {"queries": json.dumps(queries)})
    results = json.loads(body)
    validate("0.2", "reconciliation-result-batch", results)
    best = {key: results[key]["result"][0] for key in ("q0", "q1", "q2")}
    assert {k: (c["id"], c["match"]) for k, c in best.items()} == {
        "q0": ("operator/siaap", True),
        "q1": ("operator/onee", True),
        "q2": ("operator/onee", True),
    }
    assert not any(c["match"] for c in results["q3"]["result"])

    # The candidate's preview, in an iframe: the template's {{id}}, URL-encoded.
    preview = manifest["preview"]["url"].replace("{{id}}", urllib.parse.quote(best["q0"]["id"]))
    kind, html = fetch(preview)
    assert kind.startswith("text/html")
    assert BeautifulSoup(html, "html.parser").h1.get_text(strip=True) == "SIAAP"

    # "Add columns from reconciled values": propose properties, then extend.
    propose = manifest["extend"]["propose_properties"]
    url = propose["service_url"] + propose["service_path"]
    _, body = fetch(f"{url}?{urllib.parse.urlencode({'type': WOP + 'Operator'})}")
    proposals = json.loads(body)
    validate("0.2", "data-extension-property-proposal", proposals)
    offered = {p["id"] for p in proposals["properties"]}
    mentor_of = "^" + WOP + "mentor"
    assert {WOP + "country", mentor_of} <= offered

    matched = [best["q0"]["id"], best["q1"]["id"]]
    extend = {"ids": matched, "properties": [{"id": WOP + "country"}, {"id": mentor_of}]}
    _, body = fetch(service, {"extend": json.dumps(extend)})
    extension = json.loads(body)
    validate("0.2", "data-extension-response", extension)
    rows = extension["rows"]
    assert rows["operator/siaap"][WOP + "country"] == [{"id": "country/france", "name": "France"}]
    assert rows["operator/onee"][WOP + "country"] == [{"id": "country/morocco", "name": "Morocco"}]
    assert [v["id"] for v in rows["operator/siaap"][mentor_of]] == ["partnership/onee-siaap"]
    assert rows["operator/onee"][mentor_of] == [], "ONEE is a mentee, not a mentor"
    assert [m["name"] for m in extension["meta"]] == ["country", "mentor of"]


@needs_schemas
def test_suggest_as_openrefine_calls_it(service):
    manifest = json.loads(fetch(service)[1])
    entity = manifest["suggest"]["entity"]
    url = entity["service_url"] + entity["service_path"]
    kind, body = fetch(f"{url}?prefix=Office%20Nat&callback=cb")
    assert kind.startswith("application/javascript")
    answer = json.loads(body.removeprefix("/**/cb(").removesuffix(");"))
    validate("0.2", "suggest-entities-response", answer)
    assert [r["id"] for r in answer["result"]] == ["operator/onee"]
