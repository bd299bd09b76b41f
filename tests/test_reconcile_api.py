"""``/reconcile``: every answer passes the W3C JSON Schemas of the API version it speaks.

The app runs over the bundled data with the Flask test client; the OpenRefine round trip
against the real server is in ``test_reconcile_openrefine.py``.
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from reconcile_schemas import is_valid, needs_schemas, validate
from wopgraph.reconcile.index import IndexCache, build

WOP = "https://w3id.org/wop/ontology#"
OPERATOR, COUNTRY = WOP + "Operator", WOP + "country"
V1 = "/reconcile/1.0-draft"


def batch_v02(client, queries: dict, method: str = "post") -> dict:
    """Send a 0.2 batch (form POST or GET) and check the answer against the 0.2 schema."""
    data = {"queries": json.dumps(queries)}
    response = (
        client.post("/reconcile", data=data)
        if method == "post"
        else client.get("/reconcile", query_string=data)
    )
    assert response.status_code == 200, response.text
    return response.json


def match_v1(client, queries: list) -> list:
    response = client.post(f"{V1}/match", json={"queries": queries})
    assert response.status_code == 200, response.text
    return [r["candidates"] for r in response.json["results"]]


def ids(candidates: list) -> list[str]:
    return [c["id"] for c in candidates]


@needs_schemas
def test_manifests_pass_their_schemas(client):
    v02 = client.get("/reconcile").json
    validate("0.2", "manifest", v02)
    assert not is_valid("1.0-draft", "manifest", v02), "0.2 suggest settings are objects"
    v1 = client.get(V1).json
    validate("1.0-draft", "manifest", v1)
    assert v1["versions"] == ["1.0-draft"] and v1["standardizedScore"] is True
    assert v02["view"]["url"] == "http://localhost/id/{{id}}"
    assert v1["view"]["url"] == "http://localhost/id/{+id}"
    assert {t["id"] for t in v1["defaultTypes"]} == {
        OPERATOR,
        WOP + "Partnership",
        WOP + "Programme",
        WOP + "Country",
        "https://schema.org/Person",
        "http://www.w3.org/ns/org#Organization",
    }


def test_manifest_as_jsonp_for_0_2_only(client):
    response = client.get("/reconcile?callback=jQuery.cb_1")
    assert response.content_type == "application/javascript"
    assert response.text.startswith("/**/jQuery.cb_1({") and response.text.endswith("});")
    assert client.get(f"{V1}?callback=cb").content_type == "application/json"
    assert client.get("/reconcile?callback=alert(1)").status_code == 400


@needs_schemas
@pytest.mark.parametrize("method", ["post", "get"])
def test_0_2_batch_with_types_and_properties(client, method):
    answer = batch_v02(
        client,
        {
            "siaap": {
                "query": "SIAAP",
                "type": OPERATOR,
                "properties": [{"pid": COUNTRY, "v": "France"}],
            },
            "by-iri": {
                "query": "siaap",
                "type": "wop:Operator",
                "properties": [{"pid": "wop:country", "v": {"id": "country/france"}}],
            },
            "wrong-country": {
                "query": "SIAAP",
                "type": OPERATOR,
                "properties": [{"pid": COUNTRY, "v": "Morocco"}],
            },
            "no-accents": {"query": "Office National de l'Electricite et de l'Eau Potable"},
            "nonsense": {"query": "Zyxwvut Qwerty Blorp"},
        },
        method,
    )
    validate("0.2", "reconciliation-result-batch", answer)
    for key in ("siaap", "by-iri"):
        top = answer[key]["result"][0]
        assert (top["id"], top["match"], top["score"]) == ("operator/siaap", True, 100.0), key
    wrong = answer["wrong-country"]["result"][0]
    assert wrong["id"] == "operator/siaap" and not wrong["match"] and wrong["score"] < 85
    assert answer["no-accents"]["result"][0]["id"] == "operator/onee"
    assert answer["no-accents"]["result"][0]["match"] is True
    assert answer["nonsense"]["result"] == []


def test_type_constraint_filters_and_should_only_ranks(client):
    answer = batch_v02(
        client,
        {
            "country": {"query": "France", "type": WOP + "Country"},
            "operator": {"query": "France", "type": OPERATOR},
            "should": {"query": "France", "type": OPERATOR, "type_strict": "should"},
        },
    )
    assert ids(answer["country"]["result"]) == ["country/france"]
    assert answer["operator"]["result"] == []
    should = answer["should"]["result"][0]
    assert should["id"] == "country/france" and should["score"] < 100


def test_any_organisation_includes_operators_and_ministries(client):
    answer = batch_v02(
        client,
        {
            "onee": {"query": "ONEE", "type": "org:Organization"},
            "dgis": {"query": "DGIS", "type": "http://www.w3.org/ns/org#Organization"},
        },
    )
    assert answer["onee"]["result"][0]["id"] == "operator/onee"
    assert (
        answer["dgis"]["result"][0]["id"] == "organization/netherlands-ministry-of-foreign-affairs"
    )


def test_acronyms_and_other_names_find_onee(client):
    answer = batch_v02(
        client,
        {
            "lower": {"query": "onee"},
            "former": {"query": "Office National de l'Eau Potable"},
            "partial": {"query": "Office National de l'Electricite"},
            "printed": {"query": "Office Nationale de l'Eau Potable et de l'Electricite"},
        },
    )
    for key in ("lower", "former", "printed"):
        top = answer[key]["result"][0]
        assert (top["id"], top["match"]) == ("operator/onee", True), key
        assert top["score"] >= 95, key
    partial = answer["partial"]["result"][0]
    assert partial["id"] == "operator/onee" and 60 <= partial["score"] < 85
    assert not partial["match"], "a partial name is a candidate, not a sure match"


def test_features_explain_the_score(client):
    top = batch_v02(client, {"q": {"query": "SIAAP", "type": OPERATOR}})["q"]["result"][0]
    features = {f["id"]: f["value"] for f in top["features"]}
    assert features["name"] == 1.0 and features["name_exact"] is True
    assert features["type"] is True and features["name_acronym"] is False


def test_0_1_single_query(client):
    for raw in ("SIAAP", json.dumps({"query": "SIAAP", "limit": 1})):
        response = client.get("/reconcile", query_string={"query": raw})
        assert response.status_code == 200
        assert ids(response.json["result"]) == ["operator/siaap"]


def test_an_id_as_query_gives_that_entity(client):
    answer = batch_v02(client, {"q": {"query": "https://w3id.org/wop/id/operator/siaap"}})
    assert answer["q"]["result"][0]["id"] == "operator/siaap"
    assert answer["q"]["result"][0]["match"] is True


@needs_schemas
def test_1_0_batch_with_conditions(client):
    results = match_v1(
        client,
        [
            {
                "type": "wop:Operator",
                "conditions": [
                    {"matchType": "name", "propertyValue": "SIAAP"},
                    {
                        "matchType": "property",
                        "propertyId": COUNTRY,
                        "propertyValue": {"id": "country/france", "name": "France"},
                        "required": True,
                    },
                ],
            },
            {
                "conditions": [
                    {"matchType": "name", "propertyValue": "SIAAP"},
                    {
                        "matchType": "property",
                        "propertyId": "wop:country",
                        "propertyValue": "Morocco",
                        "required": True,
                    },
                ]
            },
            {
                "type": OPERATOR,
                "conditions": [
                    {"matchType": "property", "propertyId": "country", "propertyValue": "Maroc"}
                ],
            },
            {"conditions": [{"matchType": "id", "propertyValue": "country/morocco"}]},
        ],
    )
    validate(
        "1.0-draft",
        "reconciliation-result-batch",
        {"results": [{"candidates": c} for c in results]},
    )
    assert ids(results[0]) == ["operator/siaap"] and results[0][0]["match"] is True
    assert results[1] == [], "a required condition that fails leaves no candidate"
    assert ids(results[2]) == ["operator/onee"], "conditions alone, by label in French"
    assert ids(results[3]) == ["country/morocco"] and results[3][0]["match"] is True


def test_1_0_batch_also_accepted_at_the_0_2_root(client):
    response = client.post(
        "/reconcile",
        json={"queries": [{"conditions": [{"matchType": "name", "propertyValue": "BEWOP"}]}]},
    )
    assert response.json["results"][0]["candidates"][0]["id"] == "programme/bewop"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"queries": "nope"}, "queries"),
        (
            {"queries": [{"conditions": [{"matchType": "colour", "propertyValue": "x"}]}]},
            "matchType",
        ),
        (
            {"queries": [{"conditions": [{"matchType": "property", "propertyValue": "x"}]}]},
            "propertyId",
        ),
        (
            {
                "queries": [
                    {
                        "conditions": [
                            {
                                "matchType": "property",
                                "propertyId": "wop:nope",
                                "propertyValue": "x",
                            }
                        ]
                    }
                ]
            },
            "",
        ),
    ],
)
def test_bad_1_0_queries_are_400(client, body, message):
    response = client.post(f"{V1}/match", json=body)
    assert response.status_code in (200, 400)
    if message:
        assert response.status_code == 400 and message in response.text


def test_bad_0_2_queries_are_400(client):
    assert client.post("/reconcile", data={"queries": "{not json"}).status_code == 400
    bad = {"q": {"query": "x", "type_strict": "sometimes"}}
    assert client.post("/reconcile", data={"queries": json.dumps(bad)}).status_code == 400
    unknown = {"q": {"query": "x", "properties": [{"pid": "nothing-like-it", "v": "x"}]}}
    assert client.post("/reconcile", data={"queries": json.dumps(unknown)}).status_code == 400


def test_batches_larger_than_the_manifest_says_are_413(client):
    size = client.get("/reconcile").json["batchSize"]
    queries = {f"q{i}": {"query": "ONEE"} for i in range(size + 1)}
    assert client.post("/reconcile", data={"queries": json.dumps(queries)}).status_code == 413


@needs_schemas
@pytest.mark.parametrize("version", ["0.2", "1.0-draft"])
def test_suggest_services(client, version):
    root = "/reconcile" if version == "0.2" else V1
    entity = client.get(f"{root}/suggest/entity", query_string={"prefix": "sia"}).json
    validate(version, "suggest-entities-response", entity)
    assert entity["result"][0]["id"] == "operator/siaap"
    typed = client.get(
        f"{root}/suggest/entity", query_string={"prefix": "fr", "type": WOP + "Country"}
    ).json
    assert ids(typed["result"]) == ["country/france"]
    accent = client.get(f"{root}/suggest/entity", query_string={"prefix": "Électr"}).json
    assert "operator/onee" in ids(accent["result"])
    kinds = client.get(f"{root}/suggest/type", query_string={"prefix": "oper"}).json
    validate(version, "suggest-types-response", kinds)
    assert OPERATOR in ids(kinds["result"])
    props = client.get(f"{root}/suggest/property", query_string={"prefix": "coun"}).json
    validate(version, "suggest-properties-response", props)
    assert ids(props["result"])[0] == COUNTRY
    everything = client.get(f"{root}/suggest/entity", query_string={"prefix": "", "limit": 3})
    assert len(everything.json["result"]) == 3
    page2 = client.get(
        f"{root}/suggest/entity", query_string={"prefix": "", "limit": 3, "offset": 3}
    )
    assert not set(ids(page2.json["result"])) & set(ids(everything.json["result"]))


@needs_schemas
@pytest.mark.parametrize("version", ["0.2", "1.0-draft"])
def test_property_proposals(client, version):
    root = "/reconcile" if version == "0.2" else V1
    answer = client.get(f"{root}/extend/propose", query_string={"type": OPERATOR}).json
    validate(version, "data-extension-property-proposal", answer)
    proposed = {p["id"]: p["name"] for p in answer["properties"]}
    assert proposed[COUNTRY] == "country"
    assert proposed["^" + WOP + "mentor"] == "mentor of"
    assert client.get(f"{root}/extend/propose").status_code == 400


@needs_schemas
def test_data_extension_in_both_versions(client):
    query = {
        "ids": ["operator/siaap", "operator/onee", "operator/unknown"],
        "properties": [
            {"id": COUNTRY},
            {"id": "^wop:mentor"},
            {"id": "skos:altLabel", "settings": {"limit": 1}},
            {"id": "wop:providesService"},
        ],
    }
    v02 = client.post("/reconcile", data={"extend": json.dumps(query)}).json
    validate("0.2", "data-extension-response", v02)
    assert v02["rows"]["operator/siaap"][COUNTRY] == [{"id": "country/france", "name": "France"}]
    assert v02["rows"]["operator/siaap"]["^wop:mentor"][0]["id"] == "partnership/onee-siaap"
    assert v02["rows"]["operator/onee"]["^wop:mentor"] == []
    assert len(v02["rows"]["operator/onee"]["skos:altLabel"]) == 1
    assert v02["rows"]["operator/unknown"][COUNTRY] == []
    assert v02["meta"][0]["type"]["id"] == WOP + "Country"
    v1 = client.post(f"{V1}/extend", json=query).json
    validate("1.0-draft", "data-extension-response", v1)
    siaap = {p["id"]: p["values"] for p in v1["rows"][0]["properties"]}
    assert siaap[COUNTRY] == [{"id": "country/france", "name": "France"}]
    assert siaap["wop:providesService"] == [{"str": "Sanitation"}]


def test_preview_is_an_html_snippet(client):
    response = client.get("/reconcile/preview", query_string={"id": "operator/onee"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.a.get_text() == "ONEE"
    assert page.h1.a["href"] == "http://localhost/id/operator/onee"
    assert "Morocco" in page.select_one(".kind").get_text()
    assert "Office National de l'Eau Potable" in page.get_text()
    french = client.get("/reconcile/preview?id=operator/onee&lang=fr")
    assert "Maroc" in BeautifulSoup(french.text, "html.parser").select_one(".kind").get_text()
    assert client.get("/reconcile/preview?id=operator/nothing").status_code == 404


def test_cors_on_every_answer(client):
    assert client.get("/reconcile").headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.open(f"{V1}/match", method="OPTIONS")
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_the_index_is_rebuilt_when_the_data_changes(store):
    class Backend:
        """A backend over a store whose data the test changes."""

        def __init__(self):
            self.store, self.summary = store, ("one",)

        def select(self, sparql, max_rows=None):
            result = self.store.query(sparql, use_default_prefixes=True)
            names = [v.value for v in result.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in result]

    backend, cache = Backend(), IndexCache(refresh_seconds=0)
    first = cache.get(backend)
    assert cache.get(backend) is first, "same data: the same index"
    backend.summary = ("two",)
    assert cache.get(backend) is not first, "the data changed: a new index"
    assert {e.id for e in build(backend).entries} == {e.id for e in first.entries}
