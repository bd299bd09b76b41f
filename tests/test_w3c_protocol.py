"""The W3C SPARQL 1.1 Protocol and Service Description tests, driven by their manifests.

The manifests are read at test time from ``../shared/w3c-tests/`` (next to the repository);
without that folder the tests are skipped. Each protocol test's requests are sent, as the
manifest describes them (method, path, headers, body), to the real server loaded with the
test data (``data1.nt`` .. ``data3.nt`` in the named graphs the manifest gives them).

One deliberate difference: the endpoint is public and read-only, so the manifest's SPARQL
Update tests that expect success get ``400 Update is not accepted`` instead, and that is what
is checked for them.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection

from server import ROOT, LiveServer

W3C = ROOT.parent / "shared" / "w3c-tests"
PROTOCOL = W3C / "sparql11-protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = W3C / "sparql11-service-description" / "manifest.ttl"
pytestmark = pytest.mark.skipif(
    not PROTOCOL.exists(), reason=f"the W3C test manifests are not at {W3C}"
)

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
RESULTS_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@dataclass
class Request:
    """One HTTP request of a protocol test, and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    result_format: str | None
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        """Whether the request carries a SPARQL Update."""
        ctype = self.headers.get("content-type", "")
        return ctype.startswith("application/sparql-update") or (
            ctype.startswith("application/x-www-form-urlencoded")
            and (self.body or b"").startswith(b"update=")
        )


@dataclass
class ProtocolTest:
    """A manifest entry: its name, its data and its requests."""

    name: str
    title: str
    data: list[tuple[Path, str]]
    requests: list[Request]

    @property
    def refused_update(self) -> bool:
        """An Update the manifest expects to succeed, which this endpoint refuses."""
        return any(r.is_update and r.statuses & {2, 3} for r in self.requests)


def read_request(graph: rdflib.Graph, node) -> Request:
    """A manifest ``ht:Request`` as a :class:`Request`."""
    headers = {}
    header_list = graph.value(node, HT.headers)
    for header in Collection(graph, header_list) if header_list else []:
        headers[str(graph.value(header, HT.fieldName)).lower()] = str(
            graph.value(header, HT.fieldValue)
        )
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = {int(str(s)[-3]) for s in graph.objects(response, MF.expectedStatus)}
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        result_format=str(expected_format) if expected_format is not None else None,
        boolean=expected_boolean.toPython() if expected_boolean is not None else None,
    )


def read_manifest(path: Path) -> list[ProtocolTest]:
    """The protocol tests of the manifest at ``path``, in manifest order."""
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = graph.value(None, rdflib.RDF.type, MF.Manifest)
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = Collection(graph, graph.value(action, HT.requests))
        data = [
            (
                Path(urlsplit(str(graph.value(d, UT.graph))).path),
                str(graph.value(d, rdflib.RDFS.label)),
            )
            for d in graph.objects(entry, UT.graphData)
        ]
        tests.append(
            ProtocolTest(
                name=str(entry).rsplit("#", 1)[-1],
                title=str(graph.value(entry, MF.name)),
                data=sorted(set(data)),
                requests=[read_request(graph, r) for r in requests],
            )
        )
    return tests


TESTS = read_manifest(PROTOCOL) if PROTOCOL.exists() else []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server loaded with every graph the manifest's tests use, in their named graphs."""
    folder = tmp_path_factory.mktemp("w3c-data")
    files = []
    for path, graph_name in sorted({d for t in TESTS for d in t.data}):
        graph = ox.NamedNode(graph_name)
        quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(path=path)]
        target = folder / f"{path.stem}.nq"
        target.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        files.append(str(target))
    with LiveServer("--data", *files) as live:
        yield live


def send(server: LiveServer, request: Request) -> tuple[int, str, bytes]:
    """Send a manifest request to the server; the manifest's /sparql/ maps to /sparql."""
    path = "/sparql" + request.path.removeprefix("/sparql/")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(request.method, path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def check_format(expected: str, content_type: str, body: bytes, boolean: bool | None) -> None:
    """Check a response body against mf:expectedFormat (and mf:expectedBoolean)."""
    media_type = content_type.split(";")[0].strip()
    if expected in ("boolean", "tabular"):
        assert media_type in RESULTS_TYPES, content_type
        parsed = ox.parse_query_results(body, format=RESULTS_TYPES[media_type])
        if expected == "boolean":
            assert isinstance(parsed, ox.QueryBoolean)
            if boolean is not None:
                assert bool(parsed) is boolean
        else:
            assert isinstance(parsed, ox.QuerySolutions)
            list(parsed)
    else:
        assert expected == "RDF", expected
        fmt = ox.RdfFormat.from_media_type(media_type)
        assert fmt is not None, content_type
        list(ox.parse(body, format=fmt))


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(server, test):
    if test.refused_update:
        status, _, body = send(server, test.requests[0])
        assert status == 400, f"{test.title}: an Update must be refused"
        assert "Update is not accepted" in body.decode()
        return
    for request in test.requests:
        status, content_type, body = send(server, request)
        assert status // 100 in request.statuses, (
            f"{test.title}: {request.method} {request.path} -> {status} {body[:300]!r}"
        )
        if request.result_format:
            check_format(request.result_format, content_type, body, request.boolean)


def test_the_manifest_was_read_in_full():
    assert len(TESTS) >= 34
    assert {"query_post_form", "query_multiple_dataset", "bad_query_non_utf8"} <= {
        t.name for t in TESTS
    }
    assert all(t.requests for t in TESTS)


# --- Service description (sparql11-service-description/manifest.ttl) ----------------------

SD_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <urn:sd-shapes#> .

:Service a sh:NodeShape ; sh:targetClass sd:Service ;
  sh:property [ sh:path sd:endpoint ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:supportedLanguage ; sh:minCount 1 ;
                sh:in ( sd:SPARQL10Query sd:SPARQL11Query sd:SPARQL11Update ) ] ;
  sh:property [ sh:path sd:resultFormat ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:feature ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:defaultDataset ; sh:maxCount 1 ; sh:class sd:Dataset ] .
:Dataset a sh:NodeShape ; sh:targetClass sd:Dataset ;
  sh:property [ sh:path sd:defaultGraph ; sh:maxCount 1 ; sh:class sd:Graph ] ;
  sh:property [ sh:path sd:namedGraph ; sh:class sd:NamedGraph ] .
:NamedGraph a sh:NodeShape ; sh:targetClass sd:NamedGraph ;
  sh:property [ sh:path sd:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:graph ; sh:maxCount 1 ; sh:class sd:Graph ] .
:Graph a sh:NodeShape ; sh:targetClass sd:Graph ;
  sh:property [ sh:path void:triples ; sh:maxCount 1 ; sh:datatype xsd:integer ] .
"""
RDF_TYPES = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/n-triples": "nt"}


def service_description(server: LiveServer, accept: str) -> tuple[str, rdflib.Graph]:
    """GET the endpoint without a query; return the content type and the parsed graph."""
    request = Request("GET", "/sparql/", {"accept": accept}, None, {2}, None, None)
    status, content_type, body = send(server, request)
    assert status == 200
    media_type = content_type.split(";")[0]
    return media_type, rdflib.Graph().parse(data=body, format=RDF_TYPES[media_type])


def sd_returns_rdf(server):
    """GET on the endpoint returns RDF, in each RDF type asked for, and Turtle for */*."""
    for accept in (*RDF_TYPES, "*/*"):
        media_type, graph = service_description(server, accept)
        assert accept in (media_type, "*/*")
        assert len(graph) > 0


def sd_has_endpoint_triple(server):
    """The description has an sd:endpoint triple naming the URL it was fetched from."""
    _, graph = service_description(server, "text/turtle")
    endpoint = rdflib.URIRef(server.endpoint)
    assert (None, SD.endpoint, endpoint) in graph


def sd_conforms_to_schema(server):
    """The description uses the SD vocabulary as its schema says (checked with SHACL)."""
    from pyshacl import validate

    _, graph = service_description(server, "text/turtle")
    shapes = rdflib.Graph().parse(data=SD_SHAPES, format="turtle")
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
    vocabulary = {
        "Service",
        "endpoint",
        "supportedLanguage",
        "SPARQL11Query",
        "resultFormat",
        "feature",
        "UnionDefaultGraph",
        "BasicFederatedQuery",
        "defaultDataset",
        "Dataset",
        "defaultGraph",
        "namedGraph",
        "NamedGraph",
        "name",
        "graph",
        "Graph",
    }
    used = {str(t)[len(str(SD)) :] for triple in graph for t in triple if str(t).startswith(SD)}
    assert used <= vocabulary, used - vocabulary


SD_CHECKS = {
    "returns-rdf": sd_returns_rdf,
    "has-endpoint-triple": sd_has_endpoint_triple,
    "conforms-to-schema": sd_conforms_to_schema,
}


def sd_entries() -> list[str]:
    """The entry names of the service description manifest."""
    if not SERVICE_DESCRIPTION.exists():
        return []
    graph = rdflib.Graph().parse(SERVICE_DESCRIPTION, format="turtle")
    manifest = graph.value(None, rdflib.RDF.type, MF.Manifest)
    return [str(e).rsplit("#", 1)[-1] for e in Collection(graph, graph.value(manifest, MF.entries))]


@pytest.mark.parametrize("name", sd_entries())
def test_service_description(server, name):
    assert name in SD_CHECKS, f"no check written for service description test {name!r}"
    SD_CHECKS[name](server)


def test_service_description_lists_the_test_graphs(server):
    _, graph = service_description(server, "text/turtle")
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert {label for t in TESTS for _, label in t.data} <= names
