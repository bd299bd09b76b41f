"""Canonical IRIs and the server's paths: IRI ``<base>X`` is answered at path ``/X``.

The base is a setting (``--base``, default ``https://w3id.org/wop/``). Mapping is a swap of
the base for ``/`` and back, so every IRI under the base has exactly one path and every path
exactly one IRI. A path may end with a format suffix (``.ttl``, ``.jsonld``, ``.rdf``, ``.nt``,
``.html``): the same resource in that one format, without content negotiation. Slugs never
contain dots, so a suffix is never part of an IRI.
"""

from __future__ import annotations

from urllib.parse import quote

from wopgraph.namespaces import PREFIXES

#: Path suffix -> format name (see :data:`wopgraph.web.entities.ENTITY`).
SUFFIXES: dict[str, str] = {
    ".html": "html",
    ".ttl": "turtle",
    ".jsonld": "jsonld",
    ".rdf": "rdfxml",
    ".nt": "ntriples",
}
#: Format name -> path suffix.
SUFFIX_OF: dict[str, str] = {name: suffix for suffix, name in SUFFIXES.items()}

#: Namespaces shown as CURIEs, longest first so that the most specific prefix wins.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def iri_for_path(base: str, path: str) -> str:
    """The IRI a request path names: ``/id/operator/onee`` -> ``<base>id/operator/onee``."""
    return base + path.lstrip("/")


def path_for_iri(base: str, iri: str) -> str | None:
    """The local path of an IRI under ``base`` (fragment kept), or ``None`` for other IRIs."""
    if not iri.startswith(base):
        return None
    return "/" + quote(iri[len(base) :], safe="/#:@!$&'()*+,;=-._~%")


def split_suffix(path: str) -> tuple[str, str | None]:
    """Split a format suffix off a path: ``a/b.ttl`` -> (``a/b``, ``turtle``)."""
    for suffix, name in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)], name
    return path, None


def curie(iri: str) -> str | None:
    """The IRI as ``prefix:local`` with the wopgraph prefixes, if one fits."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
    return None


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or the last ``/``)."""
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def readable(iri: str) -> str:
    """A readable fallback name for an IRI without a label: its last segment, de-hyphenated."""
    name = local_name(iri).replace("-", " ").replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else iri


def anchor(iri: str) -> str:
    """The HTML id of a term's section on the ontology page.

    Terms of the WOP ontology use their local name (``#Partnership``), so the term's own
    IRI lands on its section; reused terms use their CURIE with a hyphen (``#org-member``).
    """
    if iri.startswith(PREFIXES["wop"]):
        return local_name(iri)
    short = curie(iri)
    return short.replace(":", "-") if short else quote(iri, safe="")
