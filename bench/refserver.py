"""A bare SPARQL endpoint for reference measurements: one store behind a minimal WSGI handler.

It loads one N-Quads file into pyoxigraph (``BENCH_BACKEND=oxigraph``) or rdflib
(``BENCH_BACKEND=rdflib``) and answers the SPARQL 1.1 Protocol at ``/sparql`` (GET ``?query=``,
POST form or POST ``application/sparql-query``), with the default graph as the union of all
graphs, as wopgraph does. It does nothing else: no limits, no logging, no content negotiation
beyond SPARQL JSON for solutions and N-Triples for graphs. It is the "no layers" reference
that ``bench/run.py`` compares ``wopgraph serve`` with. Run it under gunicorn::

    BENCH_BACKEND=oxigraph BENCH_DATA=build/bench/synthetic-10k.nq \
      .venv/bin/gunicorn --pythonpath bench --preload -w 2 -b 127.0.0.1:8001 refserver:app

``--preload`` loads the file once in the master; workers share it by fork.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

BACKEND = os.environ.get("BENCH_BACKEND", "oxigraph")
DATA = os.environ["BENCH_DATA"]

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"

if BACKEND == "oxigraph":
    import pyoxigraph as ox

    STORE = ox.Store()
    STORE.bulk_load(path=DATA, format=ox.RdfFormat.N_QUADS)

    def run(query: str) -> tuple[str, bytes]:
        result = STORE.query(query, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return NTRIPLES, result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        return JSON, result.serialize(format=ox.QueryResultsFormat.JSON) or b""

elif BACKEND == "rdflib":
    import rdflib

    STORE = rdflib.Dataset(default_union=True)
    STORE.parse(DATA, format="nquads")

    def run(query: str) -> tuple[str, bytes]:
        result = STORE.query(query)
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return NTRIPLES, result.graph.serialize(format="nt", encoding="utf-8")
        return JSON, result.serialize(format="json")

else:
    raise SystemExit(f"unknown BENCH_BACKEND {BACKEND!r}")


def app(environ, start_response):
    if environ.get("PATH_INFO") != "/sparql":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    method = environ["REQUEST_METHOD"]
    query = None
    if method == "GET":
        query = parse_qs(environ.get("QUERY_STRING", "")).get("query", [None])[0]
    elif method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8")
        ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip()
        if ctype == "application/sparql-query":
            query = body
        else:
            query = parse_qs(body).get("query", [None])[0]
    if not query:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"no query\n"]
    try:
        ctype, body = run(query)
    except SyntaxError as exc:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [str(exc).encode()]
    except Exception as exc:  # noqa: BLE001 - a reference server reports and goes on
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [f"{type(exc).__name__}: {exc}".encode()]
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]
