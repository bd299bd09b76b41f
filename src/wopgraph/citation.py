"""How to cite an entity: its persistent IRI and a citation line, in English or French.

    ONEE. In: wopgraph, the knowledge graph of Water Operators' Partnerships.
    https://w3id.org/wop/id/operator/onee (accessed 2025-01-31). Source: <title of the
    source document> (<its series>).

The label is the entity's ``rdfs:label`` in the reader's language (else without language,
else English); the sources are what it is ``prov:wasDerivedFrom``, by ``dcterms:title`` (else
label, else IRI), with the series they are part of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

LINES = {
    "en": "{label}. In: wopgraph, the knowledge graph of Water Operators' Partnerships. "
    "{iri} (accessed {date}). Source: {sources}.",
    "fr": "{label}. Dans : wopgraph, le graphe de connaissances des partenariats entre "
    "opérateurs d'eau. {iri} (consulté le {date}). Source : {sources}.",
}
QUERY = """SELECT ?label ?source ?title ?series WHERE {{
  {{ <{iri}> rdfs:label ?label }}
  UNION
  {{ <{iri}> prov:wasDerivedFrom ?source
     OPTIONAL {{ ?source dcterms:title|rdfs:label ?title }}
     OPTIONAL {{ ?source dcterms:isPartOf/rdfs:label ?series }} }}
}}"""
_SAFE_IRI = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]*$')


@dataclass(frozen=True)
class Citation:
    """A citation of one entity; ``str()`` is the plain line, ``__html__`` links the IRI."""

    iri: str
    label: str
    sources: tuple[str, ...]
    accessed: str
    lang: str = "en"

    def _line(self, label, iri, sources) -> str:
        """The line with its parts filled in."""
        template = LINES.get(self.lang, LINES["en"])
        return template.format(label=label, iri=iri, date=self.accessed, sources=sources)

    @property
    def text(self) -> str:
        """The citation line, as plain text."""
        return self._line(self.label, self.iri, "; ".join(self.sources) or "-")

    def __str__(self) -> str:
        """The citation line, as plain text."""
        return self.text

    def __html__(self) -> str:
        """The line as HTML, the IRI as a link (what Jinja shows for ``{{ cite(x) }}``)."""
        link = Markup('<a href="{0}">{0}</a>').format(self.iri)
        sources = escape("; ".join(self.sources) or "-")
        line = self._line(escape(self.label), link, sources)
        return Markup('<span class="citation">{}</span>').format(Markup(line))


def _pick(texts: dict[str, str], lang: str) -> str | None:
    """The text in ``lang``, else without language, else English, else any."""
    for key in (lang, "", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), None)


def cite(backend, iri: str, lang: str = "en", accessed: str | None = None) -> Citation:
    """The citation of the entity ``iri``, read from ``backend`` (``select(sparql)``)."""
    if not _SAFE_IRI.match(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    labels: dict[str, str] = {}
    titles: dict[str, dict[str, str]] = {}
    series: dict[str, set[str]] = {}
    for row in backend.select(QUERY.format(iri=iri), max_rows=1000):
        if "label" in row:
            labels.setdefault(getattr(row["label"], "language", None) or "", row["label"].value)
        if "source" in row:
            source = row["source"].value
            titles.setdefault(source, {})
            if "title" in row:
                lang_of = getattr(row["title"], "language", None) or ""
                titles[source].setdefault(lang_of, row["title"].value)
            if "series" in row:
                series.setdefault(source, set()).add(row["series"].value)
    sources = []
    for source in sorted(titles, key=lambda s: (not titles[s], s)):  # titled ones first
        text = _pick(titles[source], lang) or source
        if series.get(source):
            text += f" ({', '.join(sorted(series[source]))})"
        sources.append(text)
    label = _pick(labels, lang) or iri
    when = accessed or datetime.now(UTC).date().isoformat()
    return Citation(iri, label, tuple(sources), when, lang)
