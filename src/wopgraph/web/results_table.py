"""SPARQL JSON results as a table for HTML pages: cells with display text and safe links.

An IRI under the base of the graph's IRIs (``https://w3id.org/wop/``, or the ``base`` setting)
links to the same path on this server (its page here);
other ``http(s)`` IRIs link out; IRIs of any other scheme (``urn:``, ``mailto:``,
``javascript:``) are shown, never linked. ``static/query-page.js`` follows the same rules for
the query page's results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from wopgraph.namespaces import BASE, PREFIXES

XSD = "http://www.w3.org/2001/XMLSchema#"
#: Local names shown after a prefix: no characters that would make the short form ambiguous.
SIMPLE_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
#: Numeric datatypes: their values are right-aligned and their datatype is not spelled out.
NUMERIC = {
    XSD + name
    for name in ("integer", "decimal", "double", "float", "long", "int", "nonNegativeInteger")
}


@dataclass(frozen=True)
class Cell:
    """One result term as a page shows it."""

    kind: str
    """``uri``, ``literal``, ``bnode``, ``triple`` or ``""`` (unbound)."""
    text: str = ""
    href: str | None = None
    title: str | None = None
    lang: str | None = None
    datatype: str | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A SELECT answer (``variables`` and ``rows``) or an ASK answer (``boolean``)."""

    variables: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False


def iri_href(iri: str, base: str = BASE) -> str | None:
    """Where a link to ``iri`` goes: a local path for IRIs under ``base``, else the IRI."""
    if iri.startswith(base):
        return "/" + iri[len(base) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def shorten(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """``prefix:local`` where a prefix fits with a simple local name, else ``<iri>``."""
    best = None
    for prefix, namespace in prefixes.items():
        local = iri[len(namespace) :]
        fits = iri.startswith(namespace) and SIMPLE_LOCAL.match(local)
        if fits and (best is None or len(namespace) > len(prefixes[best[0]])):
            best = (prefix, local)
    return f"{best[0]}:{best[1]}" if best else f"<{iri}>"


def cell(term: Mapping | None, base: str = BASE) -> Cell:
    """The cell for one SPARQL JSON results term (``None``: unbound)."""
    if term is None:
        return Cell("")
    kind, value = term.get("type"), term.get("value")
    if kind == "uri":
        return Cell("uri", shorten(value), iri_href(value, base), value)
    if kind == "bnode":
        return Cell("bnode", f"_:{value}")
    if kind in ("literal", "typed-literal"):
        datatype, lang = term.get("datatype"), term.get("xml:lang")
        numeric = datatype in NUMERIC
        shown = None
        if datatype and datatype != XSD + "string" and not numeric and not lang:
            shown = shorten(datatype)
        return Cell("literal", value, None, datatype, lang, shown, numeric)
    if kind == "triple":
        parts = [cell(value.get(p)).text for p in ("subject", "predicate", "object")]
        return Cell("triple", "<< " + " ".join(parts) + " >>")
    return Cell("literal", str(value))


def from_json(body: bytes | str, truncated: bool = False, base: str = BASE) -> Table:
    """Read a SPARQL JSON results document into a :class:`Table`; IRIs under ``base`` link here."""
    data = json.loads(body)
    if "boolean" in data:
        return Table(boolean=bool(data["boolean"]), truncated=truncated)
    variables = list(data.get("head", {}).get("vars", []))
    rows = [
        [cell(b.get(v), base) for v in variables]
        for b in data.get("results", {}).get("bindings", [])
    ]
    return Table(variables, rows, truncated=truncated)
