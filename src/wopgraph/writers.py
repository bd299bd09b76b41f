"""Write query answers for the endpoint, at most ``max_rows`` rows or triples of them.

Everything is written by Oxigraph, in Rust: no result term becomes a Python object, except
the triples of graph answers on their way to a format other than N-Triples. Oxigraph writes a
whole ``QuerySolutions`` or ``QueryTriples`` and has no row limit, so the cap is applied while
it writes: to a format with one row per line, written into a :class:`LineCap`, or by rows
counted on the bytes (:class:`RowCount`):

* SELECT: SPARQL TSV (values escape tabs and line breaks: one solution per line after the
  header line). The cap keeps the header and ``max_rows`` lines and stops the writer, and so
  the query's evaluation, as soon as one byte more arrives: the answer is then cut. TSV is
  sent as it is; any other format is read back by Oxigraph's TSV parser and written by its
  JSON, XML or CSV writer.
* SELECT in JSON or XML, when the query can be run again (``again``): written directly, its
  rows counted as they come (:class:`RowCount`), since reading TSV back costs up to 40% of a
  big answer's evaluation. An answer with more than ``max_rows`` rows, or one whose rows
  cannot be counted for sure, is stopped and written again the TSV way, cut.
* CONSTRUCT / DESCRIBE: N-Triples (one triple per line), cut the same way, sent as it is or
  read back and written by Oxigraph in the format asked for, with the wopgraph prefixes that
  the triples use.
* ASK: one boolean, written by Oxigraph.

When the answer is cut, JSON results say so in an extra top-level member, written between
``head`` and ``results`` (clients ignore members they do not know; Oxigraph's streaming parser
only reads what comes before the bindings)::

    {"head": {...}, "wopgraph": {"truncated": true, "maxRows": 10000, "message": "..."},
     "results": {...}}

Every format also gets the HTTP header ``X-WOPgraph-Truncated: true`` (set by the web layer).
``tests/test_sparql_writers.py`` checks every format against the solutions and triples as
Python iterates them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES

#: Graph format name (see :mod:`wopgraph.negotiation`) -> Oxigraph format.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "n3": ox.RdfFormat.N3,
}
#: Formats whose Oxigraph writer declares prefixes.
PREFIXED = {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3, ox.RdfFormat.RDF_XML}
#: Results format name -> Oxigraph format, for SELECT and ASK results.
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
#: Prefix -> its namespace as N-Triples starts an IRI in it, and a pattern of the IRIs
#: directly in it (no ``/`` or ``#`` after it), so that ``wop:`` is declared for
#: ``wop:Partnership`` but ``id:`` is not for ``<https://w3id.org/wop/id/partnership/x>``.
_IRI_IN = {
    prefix: (b"<" + ns.encode(), re.compile(b"<" + re.escape(ns.encode()) + rb"[^/#>]*>"))
    for prefix, ns in PREFIXES.items()
}
_TSV = ox.QueryResultsFormat.TSV
_NTRIPLES = ox.RdfFormat.N_TRIPLES


@dataclass(frozen=True)
class Written:
    """A written answer: the bytes, how many rows or triples, and whether it was cut."""

    body: bytes
    count: int
    truncated: bool


def truncation_note(max_rows: int) -> str:
    """What a client is told when an answer was cut at ``max_rows``."""
    return (
        f"The answer was cut at {max_rows} rows: the endpoint's limit (wopgraph serve "
        f"--max-rows, env WOPGRAPH_MAX_ROWS). Use LIMIT and OFFSET to page through the rest."
    )


class _Full(Exception):
    """Raised into Oxigraph's writer to stop it: the cap has all the lines it keeps."""


class LineCap:
    """A binary file for Oxigraph's writers that keeps the first ``lines`` lines.

    Any byte after them means at least one line more (every line ends with a newline): the
    cap then marks itself truncated and raises, which stops the writer and the evaluation
    feeding it. Oxigraph writes through an 8 KiB buffer, so this costs one Python call per
    8 KiB.
    """

    def __init__(self, lines: int):
        """Keep at most ``lines`` lines."""
        self.parts: list[bytes] = []
        self.left = lines
        self.truncated = False

    def write(self, chunk: bytes) -> int:
        """Keep what fits; raise :class:`_Full` at the first byte past the last line kept."""
        size = len(chunk)
        if self.left:
            newlines = chunk.count(b"\n")
            if newlines < self.left:
                self.parts.append(chunk)
                self.left -= newlines
                return size
            rest = chunk.split(b"\n", self.left)[-1]
            self.parts.append(chunk[: size - len(rest)])
            self.left = 0
            chunk = rest
        if chunk:
            self.truncated = True
            raise _Full
        return size  # all taken: writing zero bytes would be an error for Oxigraph

    def flush(self) -> None:
        """Nothing to flush: the lines are kept in memory."""

    @property
    def body(self) -> bytes:
        """The lines kept."""
        return b"".join(self.parts)


def capped(write: Callable[[LineCap], object], lines: int) -> tuple[bytes, bool]:
    """What ``write(file)`` writes, cut after ``lines`` lines, and whether it was cut."""
    cap = LineCap(lines)
    with contextlib.suppress(_Full):  # the cap stopped the writer: the answer is cut
        write(cap)
    return cap.body, cap.truncated


def with_note(body: bytes, max_rows: int) -> bytes:
    """Oxigraph's JSON results with the ``wopgraph`` truncation member after ``head``."""
    note = json.dumps(
        {"truncated": True, "maxRows": max_rows, "message": truncation_note(max_rows)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # Variable names cannot hold a quote, so the first ',"results":' ends the head.
    at = body.index(b',"results":')
    return body[:at] + b',"wopgraph":' + note.encode() + body[at:]


class _Uncertain(Exception):
    """Raised into Oxigraph's writer: the rows cannot be counted for sure, or are too many."""


#: In Oxigraph's JSON results, what follows a row's ``}``: ``,{"`` and a variable's name
#: (the next row), or ``,{}`` (an empty row). A value cannot forge the first: it escapes
#: ``"``, so ``},{"`` ends a value only, followed by ``}`` or ``,``, never by a name.
_JSON_NEXT_ROW = re.compile(rb'\},\{("[^},]|\})')


class RowCount:
    """A binary file for Oxigraph's JSON or XML results writer that counts the rows it is
    given, and stops the writer past ``max_rows`` (:class:`_Uncertain`).

    The rows are counted on the bytes, by marks that a value cannot forge: in XML, where a
    value escapes ``<``, ``<result>``; in JSON, the start of each row after the first
    (:data:`_JSON_NEXT_ROW`) and ``"bindings":[{`` for the first. An empty JSON row (``{}``)
    can be forged by a value: if one may be there, the count is uncertain. One pass of a
    search over each write; a mark split between two writes is found in the tail kept from
    the previous one.
    """

    def __init__(self, fmt: str, max_rows: int):
        """Count the rows of results in ``fmt`` (``json`` or ``xml``)."""
        self.fmt = fmt
        self.max_rows = max_rows
        self.parts: list[bytes] = []
        self.rows = 0
        self._tail = b""
        self._started = False

    def write(self, chunk: bytes) -> int:
        """Keep ``chunk``, count its rows; raise :class:`_Uncertain` past the cap."""
        chunk = bytes(chunk)
        self.parts.append(chunk)
        # The tail is one byte shorter than the mark: a mark found here ends in this chunk,
        # so it was not counted before.
        if self.fmt == "xml":
            self.rows += (self._tail[-7:] + chunk).count(b"<result>")
        else:
            if not self._started:
                head = self._tail + chunk
                if b'"bindings":[{}' in head:
                    raise _Uncertain
                if b'"bindings":[{"' in head:
                    self._started = True  # the first row has no mark before it
                    self.rows += 1
            found = _JSON_NEXT_ROW.findall(self._tail[-4:] + chunk)
            if b"}" in found:
                raise _Uncertain
            self.rows += len(found)
        self._tail = (self._tail + chunk[-16:])[-16:]
        if self.rows > self.max_rows:
            raise _Uncertain
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the answer is kept in memory."""

    @property
    def body(self) -> bytes:
        """The answer written."""
        return b"".join(self.parts)


#: Results formats written directly when the query can be run again (:func:`write_solutions`).
DIRECT = frozenset({"json", "xml"})


def write_directly(solutions: ox.QuerySolutions, fmt: str, max_rows: int) -> Written | None:
    """Write ``solutions`` in ``fmt`` (``json`` or ``xml``) as Oxigraph does, counting the
    rows (:class:`RowCount`); ``None`` when they are more than ``max_rows`` or cannot be
    counted for sure (the writer was stopped: run the query again, the TSV way)."""
    out = RowCount(fmt, max_rows)
    try:
        solutions.serialize(out, format=RESULTS_FORMATS[fmt])
    except _Uncertain:
        return None
    return Written(out.body, out.rows, False)


def write_solutions(
    solutions: ox.QuerySolutions,
    fmt: str,
    max_rows: int,
    again: Callable[[], ox.QuerySolutions] | None = None,
) -> Written:
    """Write SELECT results in results format ``fmt``, at most ``max_rows`` rows.

    ``again`` runs the query again: given it, JSON and XML are written directly, and the
    query runs a second time only when the answer must be cut (or its rows are uncertain).
    """
    if again is not None and fmt in DIRECT:
        written = write_directly(solutions, fmt, max_rows)
        if written is not None:
            return written
        solutions = again()
    tsv, truncated = capped(lambda out: solutions.serialize(out, format=_TSV), max_rows + 1)
    count = tsv.count(b"\n") - 1  # the header line
    if fmt == "tsv":
        return Written(tsv, count, truncated)
    body = ox.parse_query_results(tsv, format=_TSV).serialize(format=RESULTS_FORMATS[fmt])
    if truncated and fmt == "json":
        body = with_note(body, max_rows)
    return Written(body, count, truncated)


def write_boolean(result: ox.QueryBoolean, fmt: str) -> Written:
    """Write an ASK result in results format ``fmt``."""
    return Written(result.serialize(format=RESULTS_FORMATS[fmt]), 1, False)


def used_prefixes(ntriples: bytes) -> dict[str, str]:
    """The wopgraph prefixes whose namespace some IRI of ``ntriples`` is directly in.

    A literal holding an IRI in angle brackets counts too: at worst a prefix is declared and
    not used.
    """
    used = {}
    for prefix, (start, pattern) in _IRI_IN.items():
        at = ntriples.find(start)  # a plain search first: most prefixes are absent
        if at >= 0 and pattern.search(ntriples, at):
            used[prefix] = PREFIXES[prefix]
    return used


def write_triples(triples: Iterable[ox.Triple], fmt: str, max_rows: int) -> Written:
    """Write CONSTRUCT / DESCRIBE results in graph format ``fmt``, at most ``max_rows`` triples.

    ``triples`` is a ``QueryTriples`` or any iterable of triples.
    """
    if isinstance(triples, ox.QueryTriples):
        nt, truncated = capped(lambda out: triples.serialize(out, format=_NTRIPLES), max_rows)
    else:
        nt, truncated = capped(lambda out: ox.serialize(triples, out, format=_NTRIPLES), max_rows)
    count = nt.count(b"\n")
    oxformat = GRAPH_FORMATS[fmt]
    if oxformat == _NTRIPLES:
        return Written(nt, count, truncated)
    parsed = ox.parse(nt, format=_NTRIPLES)
    prefixes = used_prefixes(nt) if oxformat in PREFIXED else None
    if prefixes:
        body = ox.serialize(parsed, format=oxformat, prefixes=prefixes)
    else:
        body = ox.serialize(parsed, format=oxformat)
    return Written(body, count, truncated)


def write_result(
    result, results_format: str, graph_format: str, max_rows: int, again=None
) -> Written:
    """Write any query result: solutions and booleans in ``results_format``, graphs in the other.

    ``again`` runs the query again (see :func:`write_solutions`).
    """
    if isinstance(result, ox.QueryBoolean):
        return write_boolean(result, results_format)
    if isinstance(result, ox.QuerySolutions):
        return write_solutions(result, results_format, max_rows, again)
    return write_triples(result, graph_format, max_rows)
