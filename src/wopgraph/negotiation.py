"""Content negotiation: which format answers a request, from ``Accept`` and ``format=``.

There are three kinds of answer, each with its own table of formats: query results (SELECT,
ASK), graphs (CONSTRUCT, DESCRIBE) and the service description. In each table the first format
is the default and the order breaks ties. Media types that clients commonly send for a format
(``application/json`` for SPARQL JSON results, ``application/xml`` for RDF/XML, ...) are listed
as aliases. The ``format`` parameter, a short name or a media type, overrides ``Accept``.

Choice by ``Accept`` (RFC 9110, section 12.5.1): each format gets the quality of the most
specific media range that matches it (``q=0`` means "not this"); the highest quality wins, then
the more specific range, then the range the client listed first, then the table order.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Format:
    """One way of writing an answer: its short name and its media type."""

    name: str
    media_type: str
    label: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, with ``charset=utf-8`` for ``text/*`` types."""
        if self.media_type.startswith("text/"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def media_types(self) -> tuple[str, ...]:
        """The canonical media type, then its aliases."""
        return (self.media_type, *self.aliases)


@dataclass(frozen=True, eq=False)
class Kind:
    """The formats of one kind of answer and the short names ``format=`` may use for them.

    Kinds are made once, as module constants: they compare and hash by identity, which keeps
    the negotiation's memo (:func:`_by_accept`) from hashing every format at every request.
    """

    name: str
    formats: tuple[Format, ...]
    short_names: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def default(self) -> Format:
        """The format used when the client expresses no preference."""
        return self.formats[0]

    def by_name(self, name: str) -> Format:
        """The format called ``name``."""
        return next(f for f in self.formats if f.name == name)

    def by_media_type(self, media_type: str) -> Format | None:
        """The format a media type (or one of its aliases) names, if any."""
        return next((f for f in self.formats if media_type in f.media_types), None)


JSON = Format("json", "application/sparql-results+json", "SPARQL JSON", ("application/json",))
XML = Format("xml", "application/sparql-results+xml", "SPARQL XML", ("application/xml", "text/xml"))
CSV = Format("csv", "text/csv", "CSV")
TSV = Format("tsv", "text/tab-separated-values", "TSV")
TURTLE = Format("turtle", "text/turtle", "Turtle", ("application/x-turtle",))
NTRIPLES = Format("ntriples", "application/n-triples", "N-Triples")
JSONLD = Format("jsonld", "application/ld+json", "JSON-LD", ("application/json",))
RDFXML = Format("rdfxml", "application/rdf+xml", "RDF/XML", ("application/xml", "text/xml"))
NQUADS = Format("nquads", "application/n-quads", "N-Quads")
TRIG = Format("trig", "application/trig", "TriG")
N3 = Format("n3", "text/n3", "N3", ("text/rdf+n3",))
HTML = Format("html", "text/html", "HTML", ("application/xhtml+xml",))

#: SELECT and ASK results.
RESULTS = Kind(
    "results",
    (JSON, XML, CSV, TSV),
    {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"},
)
_GRAPH_NAMES = {
    "turtle": "turtle", "ttl": "turtle",
    "ntriples": "ntriples", "nt": "ntriples", "n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "json": "jsonld",
    "rdfxml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml", "xml": "rdfxml",
    "nquads": "nquads", "nq": "nquads", "n-quads": "nquads",
    "trig": "trig", "n3": "n3",
}  # fmt: skip
#: CONSTRUCT and DESCRIBE results.
GRAPHS = Kind("graphs", (TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS, TRIG, N3), _GRAPH_NAMES)
#: The service description (GET on the endpoint without a query).
DESCRIPTION = Kind(
    "description",
    (TURTLE, JSONLD, RDFXML, NTRIPLES, HTML),
    {
        k: v
        for k, v in {**_GRAPH_NAMES, "html": "html"}.items()
        if v in ("turtle", "jsonld", "rdfxml", "ntriples", "html")
    },
)
KINDS: dict[str, Kind] = {k.name: k for k in (RESULTS, GRAPHS, DESCRIPTION)}


class NotAcceptable(Exception):
    """Nothing the client accepts can be produced; ``available`` lists what can."""

    def __init__(self, kind: Kind, asked: str):
        """``asked`` is what the client asked for, quoted in the message."""
        self.kind = kind
        self.available = [f.media_type for f in kind.formats]
        super().__init__(
            f"None of the requested formats ({asked}) is available for {kind.name}. "
            f"Available: {', '.join(self.available)}."
        )


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format at all."""


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    position: int

    @property
    def specificity(self) -> int:
        """2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``."""
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        """Whether this range covers ``media_type``."""
        mtype, _, subtype = media_type.partition("/")
        return self.type in ("*", mtype) and self.subtype in ("*", subtype)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; malformed entries are skipped, a bad ``q`` counts as 1."""
    ranges = []
    for position, item in enumerate((header or "").split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        mtype, slash, subtype = media.lower().partition("/")
        if not slash or not mtype or not subtype or (mtype == "*" and subtype != "*"):
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        ranges.append(MediaRange(mtype, subtype, q, position))
    return ranges


def _score(ranges: Sequence[MediaRange], fmt: Format) -> tuple[float, int, int]:
    """(quality, specificity, -position) of the best range covering a media type of ``fmt``.

    Wildcards count for the canonical media type only: an alias must be named to count, so
    that ``application/sparql-results+json;q=0, */*`` does rule JSON out.
    """
    best = (0.0, -1, 0)
    for media_type in fmt.media_types:
        exact_only = media_type != fmt.media_type
        matching = [
            r for r in ranges if r.matches(media_type) and (r.specificity == 2 or not exact_only)
        ]
        if matching:
            top = max(matching, key=lambda r: (r.specificity, -r.position))
            best = max(best, (top.q, top.specificity, -top.position))
    return best


def by_accept(kind: Kind, accept: str | None) -> Format:
    """The format of ``kind`` the ``Accept`` header prefers; raise :class:`NotAcceptable`."""
    best = _by_accept(kind, accept)
    if best is None:
        raise NotAcceptable(kind, accept)
    return best


@functools.lru_cache(maxsize=256)
def _by_accept(kind: Kind, accept: str | None) -> Format | None:
    """:func:`by_accept`, ``None`` for not acceptable; remembered for the 256 latest (kind,
    header) pairs, refusals too: clients send the same few headers, and a query request
    negotiates both kinds, one of which its header often rules out."""
    ranges = parse_accept(accept)
    if not accept or not accept.strip() or not ranges:
        return kind.default
    scored = [(_score(ranges, f), -i, f) for i, f in enumerate(kind.formats)]
    (quality, _, _), _, best = max(scored, key=lambda s: (s[0], s[1]))
    return best if quality > 0 else None


def by_parameter(kind: Kind, values: Iterable[str]) -> Format | None:
    """The format the first usable ``format`` value names, ``None`` if no value was given.

    A value is a short name (``json``, ``turtle``, ...) or a media type. A value that names a
    format of another kind only raises :class:`NotAcceptable`; one that names nothing raises
    :class:`UnknownFormat`.
    """
    given = [v.strip().lower() for v in values if v.strip()]
    for value in given:
        name = kind.short_names.get(value)
        if name:
            return kind.by_name(name)
        found = kind.by_media_type(value.split(";")[0].strip())
        if found:
            return found
    if not given:
        return None
    known = any(
        v in k.short_names or k.by_media_type(v.split(";")[0].strip())
        for v in given
        for k in KINDS.values()
    )
    if known:
        raise NotAcceptable(kind, "format=" + ", format=".join(given))
    names = sorted(set(kind.short_names))
    raise UnknownFormat(
        f"Unknown format {given[0]!r}. For {kind.name} use one of {', '.join(names)} "
        f"or a media type: {', '.join(f.media_type for f in kind.formats)}."
    )


def negotiate(kind: Kind, accept: str | None, format_values: Iterable[str] = ()) -> Format:
    """The format for an answer of ``kind``: ``format=`` if given, else by ``Accept``."""
    return by_parameter(kind, format_values) or by_accept(kind, accept)
