"""The endpoint's result writers agree with Oxigraph's own, and cut answers at the row cap."""

from __future__ import annotations

import csv
import io
import json
import time
from itertools import islice

import pyoxigraph as ox
import pytest
import rdflib

from wopgraph.store import OxigraphStore
from wopgraph.writers import (
    GRAPH_FORMATS,
    ReadTooMuch,
    RowCount,
    capped,
    write_result,
    write_solutions,
    write_triples,
)

TRICKY = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?a ?b ?c ?d ?e WHERE {
  VALUES (?a ?b ?c ?d ?e) {
    ("tab\\there, \\"quoted\\"\\nnew line" "été"@fr 1.5 <http://example.org/x?y=1&z> UNDEF)
    ("plain" "x"^^<http://example.org/dt> true "2024-01-01"^^xsd:date 7)
    (UNDEF UNDEF UNDEF UNDEF UNDEF)
    ("<&>" "a,b" "line\\r\\nbreak" "tab\\tonly" -3)
  }
}"""
QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    TRICKY,
    'SELECT ?t WHERE { BIND(<<( <http://a.example/> <http://b.example/> "c" )>> AS ?t) }',
    "SELECT ?x WHERE { FILTER(false) }",
    "SELECT * WHERE { }",
]


def rows_of(data: bytes, fmt: ox.QueryResultsFormat) -> tuple[list[str], list[tuple]]:
    """Variables and rows (terms as strings) of serialised results."""
    parsed = ox.parse_query_results(data, format=fmt)
    variables = [v.value for v in parsed.variables]
    return variables, [tuple(str(t) if t is not None else None for t in row) for row in parsed]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_solutions_read_back_like_oxigraph_writes_them(store, query, name):
    fmt = getattr(ox.QueryResultsFormat, name.upper())
    ours = write_solutions(store.query(query), name, 1_000_000)
    theirs = store.query(query).serialize(format=fmt)
    assert not ours.truncated
    assert rows_of(ours.body, fmt) == rows_of(theirs, fmt)


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_csv_is_byte_for_byte_oxigraphs(store, query):
    ours = write_solutions(store.query(query), "csv", 1_000_000).body
    assert ours == store.query(query).serialize(format=ox.QueryResultsFormat.CSV)


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_row_cap_cuts_and_says_so(store, name):
    written = write_solutions(store.query("SELECT * WHERE { ?s ?p ?o }"), name, 3)
    assert written.truncated
    assert written.count == 3
    if name in ("json", "xml", "tsv"):
        fmt = getattr(ox.QueryResultsFormat, name.upper())
        assert len(rows_of(written.body, fmt)[1]) == 3
    else:
        assert len(written.body.decode().splitlines()) == 4


def test_json_note_when_cut_and_none_otherwise(store):
    cut = json.loads(write_solutions(store.query("SELECT * { ?s ?p ?o }"), "json", 2).body)
    assert cut["wopgraph"]["truncated"] is True
    assert cut["wopgraph"]["maxRows"] == 2
    assert "--max-rows" in cut["wopgraph"]["message"]
    whole = json.loads(write_solutions(store.query("SELECT * { ?s ?p ?o }"), "json", 10**6).body)
    assert "wopgraph" not in whole


def test_exactly_max_rows_is_not_truncated(store):
    written = write_solutions(store.query("SELECT * { ?s ?p ?o } LIMIT 5"), "json", 5)
    assert written.count == 5
    assert not written.truncated


@pytest.mark.parametrize("name", sorted(GRAPH_FORMATS))
def test_graphs_parse_back(store, name):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 50"
    written = write_triples(store.query(query), name, 10_000)
    parsed = list(ox.parse(written.body, format=GRAPH_FORMATS[name]))
    assert len(parsed) == written.count == 50


def test_graph_cap_cuts(store):
    written = write_triples(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "ntriples", 7)
    assert written.truncated
    assert len(written.body.decode().splitlines()) == 7


def test_turtle_declares_only_prefixes_it_uses(store):
    query = "CONSTRUCT WHERE { ?s a <https://w3id.org/wop/ontology#Partnership> }"
    body = write_triples(store.query(query), "turtle", 100).body.decode()
    assert "@prefix wop:" in body
    assert "@prefix sosa:" not in body
    assert rdflib.Graph().parse(data=body, format="turtle")


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_results_format(store, name):
    written = write_result(store.query("ASK { ?s ?p ?o }"), name, "turtle", 10)
    assert b"true" in written.body


# Equivalence: the native writers give, in every format, what iterating the result in Python
# gives (what the Python writers wrote before): the same variables in the same order, the same
# rows cut at the same place, unbound values, literals with language, direction or datatype,
# blank nodes with the same structure (labels may differ), and the same count and flag.

EX = "http://example.org/"
LONG = "long " * 3000  # longer than Oxigraph's 8 KiB write buffer: a row across two writes
TRICKY_DATA = f"""
@prefix ex: <{EX}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix wop: <https://w3id.org/wop/ontology#> .
ex:a ex:label "tab\\there, \\"quoted\\"\\nnew line\\r\\nCRLF", "été"@fr, "right"@ar--rtl,
        "see <https://w3id.org/wop/ontology#Partnership>" ;
    ex:value 1.5, 7, "2024-01-01"^^xsd:date, "x"^^ex:dt, true, "" ;
    ex:knows _:b1 ;
    ex:long "{LONG}" ;
    a wop:Partnership .
_:b1 ex:knows _:b2 ; ex:label "one" .
_:b2 ex:knows _:b1 ; ex:label "two" .
ex:b ex:value "a,b", "<&>", "line\\nbreak" ; ex:knows ex:a .
"""
MANY = "\n".join(f"<{EX}n{i:04d}> <{EX}rank> {i} ." for i in range(2500))

SELECTS = {
    "all-ordered": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "reordered-vars": "SELECT ?o ?s WHERE { ?s ?p ?o } ORDER BY ?o ?s",
    "optional-unbound": (
        f"SELECT ?s ?l ?k WHERE {{ ?s <{EX}value> ?v OPTIONAL {{ ?s <{EX}label> ?l }} "
        f"OPTIONAL {{ ?s <{EX}none> ?k }} }} ORDER BY ?s ?v ?l"
    ),
    "tricky-values": TRICKY,
    "one-var-unbound-rows": "SELECT ?x WHERE { VALUES ?x { UNDEF 1 UNDEF } }",
    "no-variables": "SELECT * WHERE { }",
    "no-variables-no-rows": "SELECT * WHERE { FILTER(false) }",
    "no-rows": "SELECT ?x ?y WHERE { ?x <http://example.org/none> ?y }",
    "triple-term": QUERIES[2],
    "shared-blank-nodes": (
        f"SELECT ?x ?y ?z WHERE {{ ?x <{EX}knows> ?y . ?y <{EX}knows> ?z }} ORDER BY ?x ?y"
    ),
    "fresh-blank-nodes": "SELECT ?b ?c ?d WHERE { BIND(BNODE() AS ?b) BIND(?b AS ?c) "
    "BIND(BNODE() AS ?d) }",
    "many-rows": f"SELECT ?n ?r WHERE {{ ?n <{EX}rank> ?r }} ORDER BY ?r",
}
GRAPHS = {
    "construct-all": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "template-blank-nodes": (
        f"CONSTRUCT {{ _:n <{EX}about> ?s ; <{EX}says> ?o }} "
        f"WHERE {{ ?s <{EX}label> ?o }} ORDER BY ?s ?o"
    ),
    "describe": f"DESCRIBE <{EX}a>",
    "empty": f"CONSTRUCT WHERE {{ ?s <{EX}none> ?o }}",
    "repeated-triple": f"CONSTRUCT {{ <{EX}x> <{EX}y> <{EX}z> }} WHERE {{ ?s ?p ?o }}",
    "many": f"CONSTRUCT WHERE {{ ?n <{EX}rank> ?r }} ORDER BY ?r",
}
CAPS = [1, 2, 7, 10**6]


@pytest.fixture(scope="module")
def tricky():
    """A store of awkward values: blank-node cycles, escapes, languages, long literals."""
    s = ox.Store()
    s.load(TRICKY_DATA, format=ox.RdfFormat.TURTLE)
    s.load(MANY, format=ox.RdfFormat.TURTLE)
    return s


def reference(result, max_rows: int) -> tuple[list[str], list[tuple], bool]:
    """Variables, the first ``max_rows`` rows and whether there were more, as Python sees them."""
    variables = [v.value for v in result.variables]
    rows = [tuple(row) for row in islice(result, max_rows + 1)]
    return variables, rows[:max_rows], len(rows) > max_rows


def canonical(rows) -> list[tuple]:
    """Rows with terms as text and blank nodes renamed in order of first appearance."""
    labels: dict[str, str] = {}

    def term(t):
        if t is None:
            return None
        if isinstance(t, ox.BlankNode):
            return "_:" + labels.setdefault(t.value, f"b{len(labels)}")
        if isinstance(t, ox.Triple):
            return tuple(term(x) for x in (t.subject, t.predicate, t.object))
        return str(t)

    return [tuple(term(t) for t in row) for row in rows]


def csv_cell(term) -> str:
    """What a CSV cell holds for ``term``: SPARQL 1.1 CSV, as Oxigraph writes it."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return " ".join(csv_cell(t) for t in (term.subject, term.predicate, term.object))
    return term.value


def csv_canonical(rows) -> list[tuple]:
    """CSV rows with blank-node labels renamed in order of first appearance."""
    labels: dict[str, str] = {}
    out = []
    for row in rows:
        cells = []
        for cell in row:
            if cell.startswith("_:"):
                cell = "_:" + labels.setdefault(cell, f"b{len(labels)}")
            cells.append(cell)
        out.append(tuple(cells))
    return out


@pytest.mark.parametrize("max_rows", CAPS)
@pytest.mark.parametrize("name", ["json", "xml", "tsv", "csv"])
@pytest.mark.parametrize("query", SELECTS.values(), ids=SELECTS.keys())
def test_solutions_equal_python_iteration(tricky, query, name, max_rows):
    variables, rows, truncated = reference(tricky.query(query), max_rows)
    written = write_solutions(tricky.query(query), name, max_rows)
    assert (written.count, written.truncated) == (len(rows), truncated)
    if name == "csv":
        records = list(csv.reader(io.StringIO(written.body.decode(), newline="")))
        assert records[0] == variables  # an empty line reads as [], with no variables too
        expected = [tuple(csv_cell(t) for t in row) for row in rows]
        got = [tuple(r) if r else ("",) * len(variables) for r in records[1:]]
        assert csv_canonical(got) == csv_canonical(expected)
        return
    fmt = getattr(ox.QueryResultsFormat, name.upper())
    parsed = ox.parse_query_results(written.body, format=fmt)
    assert [v.value for v in parsed.variables] == variables
    assert canonical(parsed) == canonical(rows)
    if name == "json":
        document = json.loads(written.body)
        assert list(document) == (
            ["head", "wopgraph", "results"] if truncated else ["head", "results"]
        )
        if truncated:
            assert document["wopgraph"]["maxRows"] == max_rows


def test_solutions_at_exactly_the_cap_are_whole(tricky):
    query = SELECTS["many-rows"]
    for name in ("json", "xml", "csv", "tsv"):
        written = write_solutions(tricky.query(query), name, 2500)
        assert (written.count, written.truncated) == (2500, False)
        assert written.body == tricky.query(query).serialize(
            format=getattr(ox.QueryResultsFormat, name.upper())
        )


def test_parsed_results_are_written_too():
    """Results parsed from another server (``RemoteStore``) go through the same writers."""
    data = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"bnode","value":"q"}}]}}'
    solutions = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    written = write_solutions(solutions, "xml", 10)
    assert written.count == 1
    assert b"<bnode>q</bnode>" in written.body


def test_the_cap_stops_evaluation(store):
    """A cut answer is not evaluated to the end: this one has 17 million rows."""
    started = time.perf_counter()
    written = write_solutions(store.query("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"), "json", 10)
    assert (written.count, written.truncated) == (10, True)
    assert time.perf_counter() - started < 5
    started = time.perf_counter()
    graph = write_triples(
        store.query("CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"), "turtle", 10
    )
    assert (graph.count, graph.truncated) == (10, True)
    assert time.perf_counter() - started < 5


def graph_of(triples) -> list[str]:
    """A graph as sorted lines of its canonical form (blank nodes relabelled by structure)."""
    dataset = ox.Dataset(
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(q) for q in dataset)


@pytest.mark.parametrize("max_rows", CAPS)
@pytest.mark.parametrize("name", sorted(GRAPH_FORMATS))
@pytest.mark.parametrize("query", GRAPHS.values(), ids=GRAPHS.keys())
def test_graphs_equal_python_iteration(tricky, query, name, max_rows):
    taken = list(islice(tricky.query(query), max_rows + 1))
    expected, truncated = taken[:max_rows], len(taken) > max_rows
    written = write_triples(tricky.query(query), name, max_rows)
    assert (written.count, written.truncated) == (len(expected), truncated)
    # Oxigraph's N3 parser refuses the directional literal that its N3 writer writes as
    # Turtle does; the writer's N3 is Turtle for such plain triples.
    fmt = ox.RdfFormat.TURTLE if name == "n3" else GRAPH_FORMATS[name]
    parsed = [q.triple for q in ox.parse(written.body, format=fmt)]
    assert graph_of(parsed) == graph_of(expected)
    if name == "ntriples":
        assert len(written.body.splitlines()) == len(expected)  # repeats kept, as before


def test_any_iterable_of_triples_is_written():
    triples = [
        ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i)))
        for i in range(5)
    ]
    written = write_triples(iter(triples), "turtle", 3)
    assert (written.count, written.truncated) == (3, True)
    assert len(list(ox.parse(written.body, format=ox.RdfFormat.TURTLE))) == 3


def test_turtle_prefixes_are_those_of_iris_directly_in_a_namespace(tricky, store):
    body = write_triples(tricky.query(GRAPHS["construct-all"]), "turtle", 10**6).body.decode()
    declared = {line.split()[1] for line in body.splitlines() if line.startswith("@prefix")}
    # wop: for the class (and, harmlessly, for the IRI quoted in a literal), xsd: for the date
    assert declared == {"wop:", "xsd:", "rdf:"}
    query = "CONSTRUCT WHERE { ?s a <https://w3id.org/wop/ontology#Partnership> ; ?p ?o }"
    body = write_triples(store.query(query), "turtle", 10**6).body.decode()
    declared = {line.split()[1] for line in body.splitlines() if line.startswith("@prefix")}
    text = "\n".join(line for line in body.splitlines() if not line.startswith("@prefix"))
    assert declared and all(f"{p}" in text for p in declared - {"rdf:"})
    assert "id:" not in declared  # entity IRIs sit in folders below id/


@pytest.mark.parametrize("answer", ["true", "false"])
@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_ask_equals_python(tricky, name, answer):
    query = "ASK { ?s ?p ?o }" if answer == "true" else f"ASK {{ ?s <{EX}none> ?o }}"
    written = write_result(tricky.query(query), name, "turtle", 1)
    assert (written.count, written.truncated) == (1, False)
    if name == "csv":
        assert written.body.decode().split() == [answer]
    else:
        fmt = getattr(ox.QueryResultsFormat, name.upper())
        assert bool(ox.parse_query_results(written.body, format=fmt)) is (answer == "true")


LINES = [b"?a\t?b\n", b"1\t2\n", b"\n", b"x" * 20 + b"\n", b"3\t\n"]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
@pytest.mark.parametrize("keep", range(len(LINES) + 2))
def test_line_cap_cuts_at_any_chunk_boundary(size, keep):
    data = b"".join(LINES)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]

    def write(out):
        for chunk in chunks:
            assert out.write(chunk) == len(chunk)

    body, truncated = capped(write, keep)
    assert body == b"".join(LINES[:keep])
    assert truncated is (keep < len(LINES))


NT = [b"<a> <p> 1 .\n", b"<b> <p> 2 .\n", b"<a> <p> 1 .\n", b"<c> <p> 3 .\n", b"<b> <p> 2 .\n"]
NT_DISTINCT = [NT[0], NT[1], NT[3]]


def chunked(data: bytes, size: int):
    """A writer that gives ``data`` to a file in pieces of ``size`` bytes."""

    def write(out):
        for i in range(0, len(data), size):
            assert out.write(data[i : i + size]) == len(data[i : i + size])

    return write


@pytest.mark.parametrize("size", [1, 2, 5, 13, 100])
@pytest.mark.parametrize("keep", range(len(NT_DISTINCT) + 2))
def test_distinct_lines_keep_each_line_once_at_any_chunk_boundary(size, keep):
    body, truncated = capped(chunked(b"".join(NT), size), keep, distinct=True)
    assert body == b"".join(NT_DISTINCT[:keep])
    assert truncated is (keep < len(NT_DISTINCT))


@pytest.mark.parametrize(
    ("keep", "most", "outcome"),
    [
        (10, 5, (3, False)),  # everything read within the bound
        (10, 4, ReadTooMuch),  # the fifth line read is one too many, repeated or not
        (10, 2, ReadTooMuch),
        (1, 1, (1, True)),  # the second line is new and past the cap: a cut, not a stop
        (2, 2, ReadTooMuch),  # the third is a repeat: no room taken, but read
        (2, 3, (2, True)),
    ],
)
def test_distinct_lines_bound_the_lines_read(keep, most, outcome):
    write = chunked(b"".join(NT), 7)
    if outcome is ReadTooMuch:
        with pytest.raises(ReadTooMuch):
            capped(write, keep, distinct=True, most=most)
        return
    body, truncated = capped(write, keep, distinct=True, most=most)
    assert (body.count(b"\n"), truncated) == outcome
    assert body == b"".join(NT_DISTINCT[: outcome[0]])


@pytest.mark.parametrize("name", sorted(GRAPH_FORMATS))
def test_a_describe_held_in_several_graphs_is_written_with_each_triple_once(name):
    store = OxigraphStore()
    e, p, b = ox.NamedNode("http://x/e"), ox.NamedNode("http://x/p"), ox.BlankNode()
    graphs = [ox.NamedNode(f"http://g/{i}") for i in range(3)] + [ox.DefaultGraph()]
    store.add(ox.Quad(e, p, ox.Literal("v"), g) for g in graphs)
    store.add([ox.Quad(e, p, b, graphs[0]), ox.Quad(b, p, ox.Literal("w"), graphs[0])])
    query = "DESCRIBE <http://x/e>"
    repeated = list(store.query(query, union_default_graph=True))
    assert len(repeated) == 6, "Oxigraph gives the triple once per graph (else: drop this)"
    written = write_result(
        store.query(query, union_default_graph=True), "json", name, 10, None, distinct=True
    )
    assert (written.count, written.truncated) == (3, False)
    if name in ("nquads", "trig"):
        parsed = [q.triple for q in ox.parse(written.body, format=GRAPH_FORMATS[name])]
    else:
        parsed = list(ox.parse(written.body, format=GRAPH_FORMATS[name]))
    assert len(parsed) == 3
    cut = write_result(
        store.query(query, union_default_graph=True), "json", name, 1, None, distinct=True
    )
    assert (cut.count, cut.truncated) == (1, True)


#: Values that look like the marks :class:`RowCount` counts rows by, and rows without any.
FORGED = [
    'SELECT ?v WHERE { VALUES ?v { "a},{" "b},{\\"x\\":{" "},{}" "[{}" "<result>" '
    '"},{\\"" "},{"^^<http://example.org/dt> "},{"@en } }',
    "SELECT ?z WHERE { { } UNION { } UNION { } }",
    'SELECT ?v ?z WHERE { VALUES ?v { "one" } }',
    "SELECT ?z WHERE { FILTER(false) }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
]
#: Enough rows, and long enough, that marks fall across Oxigraph's 8 KiB writes.
SPLIT = (
    "SELECT ?i ?label WHERE { VALUES ?i { "
    + " ".join(str(i) for i in range(3000))
    + ' } BIND(CONCAT("row },{ ", STR(?i), '
    'SUBSTR("abcdefghijklmnop", 1, ?i - 16 * FLOOR(?i / 16))) AS ?label) }'
)


@pytest.mark.parametrize("query", [*FORGED, SPLIT, *QUERIES], ids=range(len(FORGED) + 1 + 5))
@pytest.mark.parametrize("name", ["json", "xml"])
def test_written_directly_or_again_the_answer_is_the_tsv_ways(store, query, name):
    """With ``again``, JSON and XML are written directly: same answer, same count and cut."""
    whole = len(list(store.query(query)))
    for cap in sorted({whole + 5, whole, max(whole - 1, 0), 1, 0}):
        runs = []

        def again(runs=runs):
            runs.append(1)
            return store.query(query)

        direct = write_solutions(store.query(query), name, cap, again)
        tsv_way = write_solutions(store.query(query), name, cap)
        assert (direct.count, direct.truncated) == (tsv_way.count, tsv_way.truncated), cap
        fmt = ox.QueryResultsFormat.JSON if name == "json" else ox.QueryResultsFormat.XML
        assert rows_of(direct.body, fmt) == rows_of(tsv_way.body, fmt)
        if name == "json":
            assert json.loads(direct.body) == json.loads(tsv_way.body)
        # An empty JSON row ({}) has no mark to count it by: such an answer may go the TSV way.
        written = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
        certain = name == "xml" or not (b"},{}" in written or b"[{}" in written)
        if cap >= whole and certain:
            assert runs == [], "an answer within the cap is written once, directly"
        if cap < whole:
            assert direct.truncated and direct.count == cap
            if certain:
                assert runs == [], "an answer to cut is cut as it is written, not run again"


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 8192])
@pytest.mark.parametrize("name", ["json", "xml"])
def test_rows_are_counted_whatever_the_writes_split(store, name, piece):
    """Marks cut between two writes, down to one byte a write, are counted once."""
    fmt = ox.QueryResultsFormat.JSON if name == "json" else ox.QueryResultsFormat.XML
    for query in [FORGED[0], FORGED[2], SPLIT, "SELECT * WHERE { ?s ?p ?o }"]:
        body = store.query(query).serialize(format=fmt)
        expected = len(list(store.query(query)))
        count = RowCount(name, 10**9)
        try:
            for at in range(0, len(body), piece):
                count.write(body[at : at + piece])
        except Exception as exc:  # noqa: BLE001 - only an uncertain count may stop it
            assert type(exc).__name__ == "_Uncertain"
            assert name == "json" and query == FORGED[0], "only forged empty rows are uncertain"
            continue
        assert count.rows == expected
        assert count.body == body


@pytest.mark.parametrize("piece", [1, 3, 8192])
@pytest.mark.parametrize("name", ["json", "xml"])
def test_the_cut_falls_between_rows_whatever_the_writes_split(store, name, piece):
    """Stopped past the cap, the answer ends after the last row kept, even when the mark of
    the next row was split between two writes."""
    fmt = ox.QueryResultsFormat.JSON if name == "json" else ox.QueryResultsFormat.XML
    body = store.query(SPLIT).serialize(format=fmt)
    rows = rows_of(body, fmt)[1]
    for cap in (0, 1, 2, 777):
        count = RowCount(name, cap)
        with pytest.raises(Exception) as stopped:
            for at in range(0, len(body), piece):
                count.write(body[at : at + piece])
        assert type(stopped.value).__name__ == "_Full"
        ends = {"json": b"]}}", "xml": b"</results></sparql>"}[name]
        assert rows_of(count.body[: count.cut] + ends, fmt)[1] == rows[:cap]
