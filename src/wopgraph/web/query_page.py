"""The query page: what ``GET /sparql`` shows a browser (the protocol stays in ``sparql.py``).

Without JavaScript it is a form that posts the query to ``/sparql`` and a list of the canned
queries. With it, ``static/query-page.js`` puts the vendored YASQE editor (SPARQL highlighting,
prefix completion) over the form, loads canned queries into it from a drop-down, shows the
results as a table with linked IRIs, and links them for download in every format. Everything
the script needs is in the page (the library, the prefixes, the interface words): it makes no
request but to this server's ``/sparql``.
"""

from __future__ import annotations

from flask import render_template, request

from wopgraph import negotiation as neg
from wopgraph.endpoint import Backend
from wopgraph.namespaces import PREFIXES
from wopgraph.web.i18n import translate
from wopgraph.web.queries import endpoint_path, iri_base, library

#: The query in the editor when the page is opened without one (``?edit=``).
DEFAULT_QUERY = """\
PREFIX wop: <https://w3id.org/wop/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?partnership ?label ?mentor ?mentee WHERE {
  ?partnership a wop:Partnership ;
    rdfs:label ?label ;
    wop:mentor ?mentor ;
    wop:mentee ?mentee .
}
LIMIT 100
"""
#: Interface words the script shows, passed to it in the page in the reader's language.
SCRIPT_WORDS = (
    "sparql.running",
    "sparql.rows",
    "sparql.row",
    "sparql.triples",
    "sparql.truncated",
    "sparql.no-rows",
    "sparql.yes",
    "sparql.no",
    "sparql.download",
    "sparql.error",
    "sparql.subject",
    "sparql.predicate",
    "sparql.object",
    "sparql.permalink",
    "sparql.editor-label",
    "sparql.results-table",
)
#: Download formats per kind of query, in the order the page lists them.
DOWNLOADS = {
    "results": ("json", "xml", "csv", "tsv"),
    "graphs": ("turtle", "ntriples", "jsonld", "rdfxml"),
}
#: File name extensions of the download formats.
EXTENSIONS = {
    "json": "srj",
    "xml": "srx",
    "csv": "csv",
    "tsv": "tsv",
    "turtle": "ttl",
    "ntriples": "nt",
    "jsonld": "jsonld",
    "rdfxml": "rdf",
}


def script_config(endpoint: str) -> dict:
    """What ``query-page.js`` reads from the page: endpoint, prefixes, library, words."""
    downloads = {
        kind: [
            {"name": n, "label": neg.KINDS[kind].by_name(n).label, "extension": EXTENSIONS[n]}
            for n in names
        ]
        for kind, names in DOWNLOADS.items()
    }
    return {
        "endpoint": endpoint,
        "base": iri_base(),
        "prefixes": PREFIXES,
        "downloads": downloads,
        "words": {key.removeprefix("sparql."): translate(key) for key in SCRIPT_WORDS},
        "library": [
            {"name": q.name, "title": q.title, "description": q.description, "sparql": q.bind()}
            for q in library().values()
        ],
    }


def render(backend: Backend) -> str:
    """The query page's HTML."""
    endpoint = endpoint_path()
    return render_template(
        "sparql.html",
        endpoint=endpoint,
        endpoint_url=request.base_url,
        initial_query=request.args.get("edit") or DEFAULT_QUERY,
        summary=backend.summary,
        settings=backend.settings,
        results_formats=neg.RESULTS.formats,
        graph_formats=neg.GRAPHS.formats,
        queries=library().values(),
        config=script_config(endpoint),
    )
