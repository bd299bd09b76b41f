"""The ``queries/`` library: SPARQL files with a header that documents them.

A query file starts with comment lines of the form ``# key: value``::

    # title: Partnerships with mentor, mentee and their countries
    # description: What it answers, for whom.
    # answer: One row: ONEE–SIAAP, SIAAP (France) mentoring ONEE (Morocco).
    # param: partnership - Only this partnership (its IRI); all when not given.
    # expected-csv:
    #   partnership,mentor,mentorCountry
    #   https://w3id.org/wop/id/partnership/onee-siaap,...

``title`` is required. ``expected-csv`` holds the expected result as SPARQL CSV (header row,
then one line per row, each indented under the key); tests compare it with the real result.

``param`` (any number of lines) reads ``# param: <name> <default> <description>``: the query's
variable ``?<name>`` may be given a value as a URL parameter (``/queries/<query>?<name>=<value>``,
repeated for several values). ``<default>`` is the value used when none is given, written as in
a URL, or ``-`` for none: the variable is then left as the query binds it. The stated answer is
the answer for the defaults. A value is bound by a ``VALUES`` clause appended to the query
(:meth:`QueryFile.bind`), never pasted into the query text: a value that starts like an IRI
(a scheme, a colon and no space: ``https://...``, ``urn:...``), or one in angle brackets, is an
IRI and must be a valid one (else the request is refused); anything else is a plain string
literal, written with SPARQL's escapes.

``requires`` lists what a query needs besides the local graph: ``service`` marks a federated
query that calls a remote endpoint with ``SERVICE`` (the server must allow it with
``--allow-service``); tests skip running those (:attr:`QueryFile.requires`).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

HEADER = re.compile(r"^#\s*([a-z][a-z-]*):\s?(.*)$")
PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<default>\S+)(?:\s+(?P<doc>.*))?$")
#: URL parameters the site already uses for itself (``lang``: the interface language).
RESERVED_PARAMS = frozenset({"lang", "format"})
#: A value that starts like an absolute IRI: a scheme, a colon, then no white space.
IRI_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")
#: Longest parameter value, and most rows a VALUES clause may get (values multiply).
MAX_VALUE_LENGTH = 2000
MAX_VALUE_ROWS = 100


class QueryFileError(ValueError):
    """A query file whose header is malformed; names the file."""


class ParamError(ValueError):
    """A parameter value that cannot be bound; the message says why, for the client."""


@dataclass(frozen=True)
class QueryParam:
    """A declared parameter: the variable it binds, its default value and what it means."""

    name: str
    default: str | None
    description: str = ""


@dataclass(frozen=True)
class QueryFile:
    """One ``.rq`` file: its name (file stem), header fields and SPARQL text."""

    name: str
    path: Path
    sparql: str
    title: str
    description: str = ""
    answer: str = ""
    expected: list[list[str]] | None = None
    fields: dict[str, str] = field(default_factory=dict)
    params: tuple[QueryParam, ...] = ()

    @property
    def ordered(self) -> bool:
        """Whether row order is part of the answer (the query has ORDER BY)."""
        return re.search(r"\bORDER\s+BY\b", self.sparql, re.IGNORECASE) is not None

    @property
    def requires(self) -> tuple[str, ...]:
        """What the query needs besides the local graph, from ``# requires:`` (``service``: a
        remote SPARQL endpoint it calls with ``SERVICE``, which the server must allow)."""
        return tuple(self.fields.get("requires", "").replace(",", " ").split())

    @property
    def body(self) -> str:
        """The SPARQL text without the header comments."""
        lines = self.sparql.splitlines()
        start = next((i for i, ln in enumerate(lines) if ln.strip() and ln[0] != "#"), 0)
        return "\n".join(lines[start:]).strip() + "\n"

    def bind(self, values: Mapping[str, Sequence[str]] | None = None) -> str:
        """The body with the parameters bound: given ``values`` (name -> values), else defaults.

        Empty values count as not given. Raises :class:`ParamError` for a value that is no
        valid IRI though it looks like one, or too many or too long values.
        """
        columns: list[tuple[str, list[ox.NamedNode | ox.Literal]]] = []
        for param in self.params:
            given = [v for v in (values or {}).get(param.name, ()) if v != ""]
            if not given and param.default is not None:
                given = [param.default]
            if given:
                columns.append((param.name, [param_term(param.name, v) for v in given]))
        if not columns:
            return self.body
        count = 1
        for _, terms in columns:
            count *= len(terms)
        if count > MAX_VALUE_ROWS:
            raise ParamError(f"Too many parameter values: at most {MAX_VALUE_ROWS} combinations.")
        names = " ".join(f"?{name}" for name, _ in columns)
        rows = itertools.product(*(terms for _, terms in columns))
        block = "\n".join("  (" + " ".join(str(t) for t in row) + ")" for row in rows)
        return f"{self.body}\n# Parameters\nVALUES ({names}) {{\n{block}\n}}\n"


def param_term(name: str, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term a URL parameter value stands for (see the module docstring)."""
    if len(value) > MAX_VALUE_LENGTH:
        raise ParamError(f"The value of {name} is longer than {MAX_VALUE_LENGTH} characters.")
    bracketed = len(value) > 1 and value[0] == "<" and value[-1] == ">"
    if bracketed or IRI_LIKE.match(value):
        try:
            return ox.NamedNode(value[1:-1] if bracketed else value)
        except ValueError as exc:
            raise ParamError(f"The value of {name} is not a valid IRI: {exc}.") from exc
    return ox.Literal(value)


def parse_param(path: Path, text: str, body: str) -> QueryParam:
    """Read one ``# param:`` line; the variable must occur in the query."""
    match = PARAM.match(text)
    if not match:
        raise QueryFileError(f"{path}: '# param: {text}' is not '<name> <default> <description>'")
    name, default = match.group("name"), match.group("default")
    if name in RESERVED_PARAMS:
        raise QueryFileError(f"{path}: parameter name {name!r} is reserved by the site")
    if not re.search(rf"[?$]{name}\b", body):
        raise QueryFileError(f"{path}: parameter {name!r} names no variable of the query")
    return QueryParam(name, None if default == "-" else default, match.group("doc") or "")


def parse_query_file(path: Path) -> QueryFile:
    """Read ``path`` and parse its header; raise :class:`QueryFileError` if it has no title.

    Indented comment lines continue the key above them (for ``expected-csv``, each is a row).
    """
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[str] = []
    rows: list[str] | None = None
    key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        if key and re.match(r"^#\s{2,}\S", line):
            if key == "expected-csv":
                rows.append(line[1:].strip())
            elif key == "param":
                params[-1] += " " + line[1:].strip()
            else:
                fields[key] += " " + line[1:].strip()
            continue
        match = HEADER.match(line)
        key = match.group(1) if match else None
        if key == "expected-csv":
            rows = []
        elif key == "param":
            params.append(match.group(2).strip())
        elif key:
            fields[key] = match.group(2).strip()
    if "title" not in fields:
        raise QueryFileError(f"{path}: the header has no '# title:' line")
    expected = list(csv.reader(io.StringIO("\n".join(rows)))) if rows is not None else None
    query = QueryFile(
        name=path.stem,
        path=path,
        sparql=text,
        title=fields["title"],
        description=fields.get("description", ""),
        answer=fields.get("answer", ""),
        expected=expected,
        fields=fields,
    )
    declared = tuple(parse_param(path, p, query.body) for p in params)
    names = [p.name for p in declared]
    if len(set(names)) != len(names):
        raise QueryFileError(f"{path}: a parameter is declared twice: {names}")
    return replace(query, params=declared)


def load_query_files(folder: Path) -> list[QueryFile]:
    """Every ``*.rq`` directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]
