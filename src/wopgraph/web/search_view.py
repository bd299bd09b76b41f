"""The search page: hits grouped by kind, with a snippet of the text that matched.

The index (:mod:`wopgraph.search`) finds and ranks; this module picks labels in the reader's
language, fetches the texts of the hits shown (one query) to cut a snippet around the first
word found, and renders ``search.html``.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import g, render_template, request

from wopgraph import search
from wopgraph.describe import iri_ref
from wopgraph.web.site import Site

SNIPPET = 160
#: Hits shown per kind on the grouped page, and per page when one kind is shown.
SEARCH_PER_KIND = 8
SEARCH_PAGE = 25
TEXTS = "SELECT ?s ?o WHERE {{ VALUES ?s {{ {iris} }} ?s ?p ?o . FILTER(?p IN ({props})) }}"


def best_label(labels: list[tuple[str, str]], lang: str) -> tuple[str, str]:
    """(label, language) for the reader: theirs, untagged, English, else the first."""
    for wanted in (lang, "", "en"):
        for value, tag in labels:
            if tag == wanted:
                return value, tag
    return labels[0] if labels else ("", "")


def snippet(text: str, query: str) -> str:
    """About :data:`SNIPPET` characters of ``text`` around the first query word it contains."""
    plain = search.words(query)
    folded = text.casefold()
    at = min((folded.find(w) for w in plain if folded.find(w) >= 0), default=0)
    start = max(0, at - SNIPPET // 3)
    cut = text[start : start + SNIPPET]
    if start > 0:
        cut = "…" + re.sub(r"^\S*\s", "", cut, count=1)
    return cut + ("…" if start + SNIPPET < len(text) else "")


def snippets(s: Site, iris: list[str], query: str) -> dict[str, tuple[str, str]]:
    """iri -> (snippet, language) of a text of each hit that contains a query word."""
    if not iris:
        return {}
    props = ", ".join(iri_ref(p) for p in search.TEXT_PROPERTIES)
    rows = s.backend.select(
        TEXTS.format(iris=" ".join(iri_ref(i) for i in iris), props=props), max_rows=10_000
    )
    wanted = search.words(query)
    out: dict[str, tuple[str, str]] = {}
    for row in rows:
        o = row["o"]
        if not isinstance(o, ox.Literal) or row["s"].value in out:
            continue
        found = search.words(o.value)
        if any(w.startswith(x) for x in wanted for w in found):
            out[row["s"].value] = (snippet(o.value, query), o.language or "")
    return out


def render(s: Site, kinds: dict[str, tuple[str, int]], page: int, page_href) -> str:
    """The search page for the current request."""
    lang = g.lang
    query = request.args.get("q", "").strip()
    kind = request.args.get("kind")
    slug_of = {cls: slug for slug, (cls, _) in kinds.items()}
    only = [kinds[kind][0]] if kind in kinds else None
    groups, total, pages = [], 0, 1
    if query:
        index = s.search_index
        per = search_page_size(only)
        results = index.search(query, only, per, (page - 1) * per if only else 0)
        total = results.total
        shown = [i for hits in results.hits.values() for i in hits]
        texts = snippets(s, shown, query)
        order = sorted(results.hits, key=lambda c: (_rank(c), -results.counts.get(c, 0), c))
        for cls in order:
            hits = []
            for iri in results.hits[cls]:
                label, label_lang = best_label(index.labels_of(iri), lang)
                text = texts.get(iri)
                hits.append(
                    {
                        "href": s.href(iri),
                        "label": label or iri,
                        "lang": label_lang,
                        "snippet": text[0] if text else "",
                        "snippet_lang": text[1] if text else "",
                    }
                )
            count = results.counts.get(cls, 0)
            groups.append(
                {
                    "label": s.terms.label(cls, lang) if cls else None,
                    "count": count,
                    "hits": hits,
                    "slug": slug_of.get(cls),
                    "more": count > len(hits) and not only,
                }
            )
        if only:
            pages = max(1, -(-results.counts.get(only[0], 0) // per))
    return render_template(
        "search.html",
        query=query,
        kind=kind if only else None,
        kind_label=s.terms.label(only[0], lang) if only else None,
        groups=groups,
        total=total,
        page=page,
        pages=pages,
        page_href=page_href,
    )


def _rank(cls: str) -> int:
    """Where a kind's hits go: the partnerships' own kinds first, the model's terms last."""
    from wopgraph.web.browse import HOME_KINDS

    if cls in HOME_KINDS:
        return HOME_KINDS.index(cls)
    return 1000 if cls.startswith(("http://www.w3.org/", "https://w3id.org/wop/shapes")) else 500


def search_page_size(only) -> int:
    """Hits per kind: a few per kind on the grouped page, a full page for one kind."""
    return SEARCH_PAGE if only else SEARCH_PER_KIND
