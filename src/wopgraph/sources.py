"""Where the graph comes from: source files, the named graph each one fills, and parsing.

This is the only module that reads RDF files. Every file is parsed by Oxigraph's parsers,
whose errors carry a line and a column, and a failure becomes a :class:`SourceError` that
names the file and the position.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from wopgraph.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH, SHARED_GRAPH, VOCAB_GRAPH, case_graph

#: File suffix -> Oxigraph format. Quad formats keep the graphs they name.
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
QUAD_FORMATS = {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}


class SourceError(Exception):
    """A source file that cannot be read or parsed: names the file and, if known, the line."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ):
        self.path = Path(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Source:
    """One RDF file and the named graph its triples go to (``None``: a quad format's own)."""

    path: Path
    graph: str | None
    format: ox.RdfFormat

    @property
    def label(self) -> str:
        """A short name for reports: the path relative to the working directory if possible."""
        try:
            return str(self.path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)


def bundled_sources(root: Path) -> list[Source]:
    """List the bundled ontology, vocabularies, shapes and data under ``root``, in load order."""
    onto, data = root / "ontology", root / "data"
    found = [
        Source(p, str(ONTOLOGY_GRAPH), ox.RdfFormat.TURTLE)
        for p in sorted(onto.glob("*.ttl"))
        if p.name != "shapes.ttl"
    ]
    found += [
        Source(p, str(VOCAB_GRAPH), ox.RdfFormat.TURTLE)
        for p in sorted((onto / "vocab").glob("*.ttl"))
    ]
    if (onto / "shapes.ttl").exists():
        found.append(Source(onto / "shapes.ttl", str(SHAPES_GRAPH), ox.RdfFormat.TURTLE))
    found += data_sources([data])
    return found


def model_sources(root: Path) -> list[Source]:
    """The ontology and vocabulary sources only (no shapes, no data)."""
    return [s for s in bundled_sources(root) if s.graph in (str(ONTOLOGY_GRAPH), str(VOCAB_GRAPH))]


def graph_for_data_file(path: Path) -> str:
    """Name the graph of a data file: ``shared.ttl`` -> shared, ``cases/x.ttl`` -> case x.

    Any other file goes to a graph named by its ``file:`` IRI, so a curator's file under
    check never overwrites a bundled graph.
    """
    if path.name == "shared.ttl" and path.parent.name == "data":
        return str(SHARED_GRAPH)
    if path.parent.name == "cases":
        return case_graph(path.stem)
    return path.resolve().as_uri()


def data_sources(paths: Iterable[Path]) -> list[Source]:
    """Expand files and folders (recursively) into sources; unknown suffixes are an error."""
    found: list[Source] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in FORMATS and p.is_file())
        elif path.exists():
            files = [path]
        else:
            raise SourceError(path, "no such file or folder")
        for file in files:
            fmt = FORMATS.get(file.suffix.lower())
            if fmt is None:
                known = ", ".join(sorted(FORMATS))
                raise SourceError(file, f"unknown RDF file type {file.suffix!r} (known: {known})")
            graph = None if fmt in QUAD_FORMATS else graph_for_data_file(file)
            found.append(Source(file, graph, fmt))
    return found


def read_quads(source: Source) -> list[ox.Quad]:
    """Parse ``source`` into quads in its target graph; raise :class:`SourceError` on failure."""
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        raise SourceError(source.path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(source.path, "not valid UTF-8 (RDF files must be UTF-8)", line) from exc
    to_graph = ox.NamedNode(source.graph) if source.graph else None
    try:
        quads = ox.parse(raw, format=source.format, base_iri=source.path.resolve().as_uri())
        if to_graph is None:
            return list(quads)
        return [ox.Quad(q.subject, q.predicate, q.object, to_graph) for q in quads]
    except SyntaxError as exc:
        message = str(exc.msg or exc).split(f" ({source.path.name}, line")[0]
        raise SourceError(source.path, message, exc.lineno, exc.offset) from exc


def read_all(sources: Iterable[Source]) -> Iterator[tuple[Source, list[ox.Quad]]]:
    """Parse each source in turn, yielding it with its quads."""
    for source in sources:
        yield source, read_quads(source)


def load_into(store, sources: Iterable[Source], lenient: Collection[Source] = ()) -> None:
    """Load each source straight into ``store`` (an OxigraphStore), in its target graph.

    For serving: nothing is kept in Python. A file that cannot be read or parsed raises
    :class:`SourceError` naming it and the position. The sources in ``lenient`` are parsed
    without validating IRIs and language tags: only those whose bytes were validated by an
    earlier load (:mod:`wopgraph.startcache` decides).
    """
    for source in sources:
        try:
            store.load_file(
                source.path,
                source.format,
                source.graph,
                source.path.resolve().as_uri(),
                lenient=source in lenient,
            )
        except OSError as exc:
            raise SourceError(source.path, f"cannot read: {exc.strerror or exc}") from exc
        except SyntaxError as exc:
            message = str(exc.msg or exc).split(f" ({source.path.name}, line")[0]
            raise SourceError(source.path, message, exc.lineno, exc.offset) from exc
