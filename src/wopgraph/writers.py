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
  big answer's evaluation. At the first row past ``max_rows`` the writer is stopped and the
  answer ends before that row. One whose rows cannot be counted for sure (JSON that may hold
  an empty row) is stopped and written again the TSV way.
* CONSTRUCT / DESCRIBE: N-Triples (one triple per line), cut the same way, sent as it is or
  read back and written by Oxigraph in the format asked for, with the wopgraph prefixes that
  the triples use. A DESCRIBE's repeated triples are dropped on the way (:class:`DistinctLines`):
  over the union default graph, Oxigraph gives a triple once for each graph that holds it.
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


class _Kept:
    """A binary file for Oxigraph's writers that keeps what it is given, in memory."""

    def __init__(self) -> None:
        """Nothing kept yet."""
        self.parts: list[bytes] = []

    def flush(self) -> None:
        """Nothing to flush: what is written is kept in memory."""

    @property
    def body(self) -> bytes:
        """What was kept."""
        return b"".join(self.parts)


class LineCap(_Kept):
    """A binary file for Oxigraph's writers that keeps the first ``lines`` lines.

    Any byte after them means at least one line more (every line ends with a newline): the
    cap then marks itself truncated and raises, which stops the writer and the evaluation
    feeding it. Oxigraph writes through an 8 KiB buffer, so this costs one Python call per
    8 KiB.
    """

    def __init__(self, lines: int):
        """Keep at most ``lines`` lines."""
        super().__init__()
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


class ReadTooMuch(Exception):
    """The answer needs more triples read than the caller allowed (``most``)."""


class DistinctLines(_Kept):
    """A binary file for Oxigraph's N-Triples writer that keeps the first ``lines`` distinct
    lines and drops a line it already has: a triple written twice is kept once.

    Any new line past them means the answer has more: it marks itself truncated and raises
    :class:`_Full`, as :class:`LineCap` does. Given ``most``, it also stops the writer with
    :class:`ReadTooMuch` at the first line, new or repeated, past ``most`` lines read, but for
    one that the cap cuts: repeated lines cost no room in the answer but cost work. A line
    split between two writes waits for the next one, after the last newline.
    """

    def __init__(self, lines: int, most: int | None = None):
        """Keep at most ``lines`` distinct lines, out of at most ``most`` read."""
        super().__init__()
        self.left = lines
        self.most = most
        self.read = 0
        self.truncated = False
        self._seen: set[bytes] = set()
        self._partial = b""

    def write(self, chunk: bytes) -> int:
        """Keep the new lines that fit; raise :class:`_Full` at the first new one past them,
        :class:`ReadTooMuch` at the first past ``most`` read."""
        *complete, self._partial = (self._partial + bytes(chunk)).split(b"\n")
        fresh = set(complete)
        if (
            len(fresh) == len(complete)
            and len(complete) <= self.left
            and (self.most is None or self.read + len(complete) <= self.most)
            and self._seen.isdisjoint(fresh)
        ):  # the usual case, in C: all new, and room for all
            self._seen |= fresh
            if complete:
                self.parts.append(b"\n".join(complete) + b"\n")
            self.left -= len(complete)
            self.read += len(complete)
            return len(chunk)
        for line in complete:
            self.read += 1
            new = line not in self._seen
            if new and not self.left:
                self.truncated = True
                raise _Full
            if self.most is not None and self.read > self.most:
                raise ReadTooMuch
            if new:
                self._seen.add(line)
                self.parts.append(line + b"\n")
                self.left -= 1
        return len(chunk)


def capped(
    write: Callable[[LineCap], object],
    lines: int,
    distinct: bool = False,
    most: int | None = None,
) -> tuple[bytes, bool]:
    """What ``write(file)`` writes, cut after ``lines`` lines, and whether it was cut.

    With ``distinct``, a repeated line is dropped and ``lines`` counts distinct lines; ``most``
    then bounds the lines read (:class:`DistinctLines`).
    """
    cap = DistinctLines(lines, most) if distinct else LineCap(lines)
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
    """Raised into Oxigraph's writer: the rows cannot be counted for sure."""


#: In Oxigraph's JSON results, what follows a row's ``}``: ``,{"`` and a variable's name
#: (the next row), or ``,{}`` (an empty row). A value cannot forge the first: it escapes
#: ``"``, so ``},{"`` ends a value only, followed by ``}`` or ``,``, never by a name.
_JSON_NEXT_ROW = re.compile(rb'\},\{("[^},]|\})')
_JSON_FIRST_ROW = b'"bindings":[{"'
_XML_ROW = re.compile(rb"<result>")
#: What ends each format's results, after the last row kept (as Oxigraph writes it).
_ENDS = {"json": b"]}}", "xml": b"</results></sparql>"}


class RowCount(_Kept):
    """A binary file for Oxigraph's JSON or XML results writer that counts the rows it is
    given and, at the first byte of the row past ``max_rows``, notes where the answer is to
    be cut and stops the writer (:class:`_Full`).

    The rows are counted on the bytes, by marks that a value cannot forge: in XML, where a
    value escapes ``<``, ``<result>``; in JSON, the start of each row after the first
    (:data:`_JSON_NEXT_ROW`) and ``"bindings":[{"`` for the first. An empty JSON row (``{}``)
    can be forged by a value: if one may be there, the count is uncertain
    (:class:`_Uncertain`). One search over each write; a mark split between two writes is
    found in the tail kept from the previous one, which is one byte shorter than the mark, so
    a mark found there ends in this write and was not counted before.
    """

    def __init__(self, fmt: str, max_rows: int):
        """Count the rows of results in ``fmt`` (``json`` or ``xml``)."""
        super().__init__()
        self.fmt = fmt
        self.max_rows = max_rows
        self.rows = 0
        self.size = 0
        self.cut: int | None = None
        """Where the answer ends when it has more rows than ``max_rows``: the offset just
        after the last row kept (before the ``,`` or ``<result>`` of the next)."""
        self._tail = b""
        self._started = False
        self._stop: type[Exception] | None = None

    def write(self, chunk: bytes) -> int:
        """Keep ``chunk`` and count its rows; past the cap, note the cut and stop."""
        if self._stop is not None:
            raise self._stop  # stopped already: Oxigraph may write once more on its way out
        try:
            return self._take(bytes(chunk))
        except (_Full, _Uncertain) as stop:
            self._stop = type(stop)
            raise

    def _take(self, chunk: bytes) -> int:
        """:meth:`write`, until the first stop."""
        at = self.size  # where this chunk starts in the answer
        self.parts.append(chunk)
        self.size += len(chunk)
        if self.fmt == "json":
            if not self._started:
                head = self._tail + chunk
                if b'"bindings":[{}' in head:
                    raise _Uncertain
                first = head.find(_JSON_FIRST_ROW)
                if first >= 0:
                    self._started = True  # the first row has no mark before it
                    self._count(1, at - len(self._tail) + first + len(_JSON_FIRST_ROW) - 2)
            prefix = self._tail[-4:]
            found = _JSON_NEXT_ROW.findall(prefix + chunk)
            if b"}" in found:
                raise _Uncertain
            mark, skip = _JSON_NEXT_ROW, 1  # the answer ends after the mark's "}"
        else:
            prefix = self._tail[-7:]
            found = _XML_ROW.findall(prefix + chunk)
            mark, skip = _XML_ROW, 0
        if self.rows + len(found) > self.max_rows:
            # Rare (once an answer): find the first row past the cap, where the answer ends.
            past = self.max_rows - self.rows
            match = list(mark.finditer(prefix + chunk))[past]
            self._count(past + 1, at - len(prefix) + match.start() + skip)
        self.rows += len(found)
        self._tail = (self._tail + chunk[-16:])[-16:]
        return len(chunk)

    def _count(self, rows: int, start: int) -> None:
        """Count ``rows`` more rows, the last of them marked at offset ``start``; past the cap,
        keep ``start`` as where the answer ends and stop the writer (:class:`_Full`)."""
        if self.rows + rows > self.max_rows:
            self.cut = start
            raise _Full
        self.rows += rows


#: Results formats written directly when the query can be run again (:func:`write_solutions`).
WRITTEN_DIRECTLY = frozenset({"json", "xml"})


def write_directly(solutions: ox.QuerySolutions, fmt: str, max_rows: int) -> Written | None:
    """Write ``solutions`` in ``fmt`` (``json`` or ``xml``) as Oxigraph does, counting the
    rows (:class:`RowCount`) and cut after ``max_rows`` of them; ``None`` when the rows
    cannot be counted for sure (the writer was stopped: run the query again, the TSV way)."""
    out = RowCount(fmt, max_rows)
    try:
        solutions.serialize(out, format=RESULTS_FORMATS[fmt])
    except _Uncertain:
        return None
    except _Full:  # more rows than the cap: end the answer before the first one past it
        body = out.body[: out.cut] + _ENDS[fmt]
        if fmt == "json":
            body = with_note(body, max_rows)
        return Written(body, max_rows, True)
    return Written(out.body, out.rows, False)


def write_solutions(
    solutions: ox.QuerySolutions,
    fmt: str,
    max_rows: int,
    again: Callable[[], ox.QuerySolutions] | None = None,
) -> Written:
    """Write SELECT results in results format ``fmt``, at most ``max_rows`` rows.

    ``again`` runs the query again: given it, JSON and XML are written directly, cut if need
    be, and the query runs a second time only when their rows cannot be counted for sure (a
    JSON answer that may hold an empty row).
    """
    if again is not None and fmt in WRITTEN_DIRECTLY:
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


def write_triples(
    triples: Iterable[ox.Triple],
    fmt: str,
    max_rows: int,
    distinct: bool = False,
    most: int | None = None,
) -> Written:
    """Write CONSTRUCT / DESCRIBE results in graph format ``fmt``, at most ``max_rows`` triples.

    ``triples`` is a ``QueryTriples`` or any iterable of triples. With ``distinct``, a triple
    that comes more than once is written once (:class:`DistinctLines`): Oxigraph's DESCRIBE
    over the union default graph gives a triple once for each graph that holds it; ``most``
    then bounds the triples read, raising :class:`ReadTooMuch` past it.
    """
    if isinstance(triples, ox.QueryTriples):

        def write(out):
            triples.serialize(out, format=_NTRIPLES)
    else:

        def write(out):
            ox.serialize(triples, out, format=_NTRIPLES)

    nt, truncated = capped(write, max_rows, distinct, most)
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
    result,
    results_format: str,
    graph_format: str,
    max_rows: int,
    again=None,
    distinct: bool = False,
    most: int | None = None,
) -> Written:
    """Write any query result: solutions and booleans in ``results_format``, graphs in the other.

    ``again`` runs the query again (see :func:`write_solutions`); ``distinct`` writes a
    repeated triple once, ``most`` bounds the triples read (see :func:`write_triples`).
    """
    if isinstance(result, ox.QueryBoolean):
        return write_boolean(result, results_format)
    if isinstance(result, ox.QuerySolutions):
        return write_solutions(result, results_format, max_rows, again)
    return write_triples(result, graph_format, max_rows, distinct, most)
