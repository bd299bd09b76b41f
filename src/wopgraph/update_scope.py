"""Scope a SPARQL Update before it runs: the graphs it names, and whether it reads the
default graph.

A validated write (:mod:`wopgraph.writes`) runs an update on copies of the graphs it touches
and checks them before anything is committed, so it must know those graphs from the text:
they are read from the update's tokens (:func:`wopgraph.sparql_scan.tokens`). What cannot be
scoped that way, or is not allowed on a curated store, is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from wopgraph.sparql_scan import Token, declare, expand, tokens


class UpdateScopeError(ValueError):
    """An update that does not name the graphs it reads and writes, or asks for what is barred."""


#: Keywords after which an update names a graph (possibly after SILENT / GRAPH).
_GRAPH_NAMING = frozenset(
    {"GRAPH", "WITH", "USING", "INTO", "TO", "DROP", "CLEAR", "CREATE", "ADD", "MOVE", "COPY"}
)
_SKIPPABLE = frozenset({"SILENT", "GRAPH", "NAMED"})


def update_graphs(
    text: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None
) -> frozenset[str]:
    """The IRIs of the graphs a SPARQL Update names, for running it on those graphs alone.

    Refuses (:class:`UpdateScopeError`, with the reason) what cannot be scoped or is not
    allowed on a curated store: ``GRAPH ?var`` (which graphs it touches would depend on the
    data), the default graph or ``ALL``/``NAMED`` graphs (the default graph is the union of the
    named graphs and is not written), ``LOAD`` (the server would fetch a URL) and ``SERVICE``.
    """
    declared = dict(prefixes or {})
    base = base_iri
    found: set[str] = set()
    items = list(tokens(text))
    for i, token in enumerate(items):
        in_prologue, base = declare(token, items[i + 1 : i + 3], declared, base)
        if in_prologue:
            continue
        if token.is_keyword("LOAD"):
            raise UpdateScopeError("LOAD is not allowed: the server does not fetch URLs")
        if token.is_keyword("SERVICE"):
            raise UpdateScopeError("SERVICE is not allowed in an update")
        if token.kind != "word" or token.text.upper() not in _GRAPH_NAMING:
            continue
        j = i + 1
        while j < len(items) and items[j].kind == "word" and items[j].text.upper() in _SKIPPABLE:
            j += 1
        keyword = token.text.upper()
        skipped = items[i + 1 : j]
        if keyword in ("DROP", "CLEAR") and any(w.is_keyword("NAMED") for w in skipped):
            raise UpdateScopeError(f"{keyword} NAMED is not allowed: name the graph to change")
        if j >= len(items):
            continue
        target = items[j]
        if target.kind == "var":
            raise UpdateScopeError(
                f"{keyword} {target.text}: an update must name its graphs (GRAPH <iri>), "
                "so that it can be checked before it is applied"
            )
        if target.is_keyword("ALL"):
            raise UpdateScopeError(f"{keyword} ALL is not allowed: name the graph to change")
        if target.is_keyword("DEFAULT"):
            raise UpdateScopeError(
                f"{keyword} {target.text.upper()}: the default graph is the union of the named "
                "graphs and is not written; name the graph to change (GRAPH <iri>)"
            )
        if target.kind in ("iri", "pname"):
            iri = expand(target, declared, base)
            if iri is None:
                raise UpdateScopeError(f"{target.text}: its prefix is not declared")
            found.add(iri)
    return frozenset(found)


def _where_groups(items: list[Token]) -> Iterator[int]:
    """The index of the ``{`` opening each WHERE group of an update (``WHERE {``, and the
    ``DELETE WHERE {`` short form)."""
    for i, token in enumerate(items):
        if token.is_keyword("WHERE") and i + 1 < len(items) and items[i + 1].text == "{":
            yield i + 1


def update_reads_default_graph(text: str) -> bool:
    """Whether an update's WHERE matches patterns against the default graph.

    That is: it has no ``WITH`` or ``USING`` (which would name the default graph) and a
    triple pattern of a WHERE group stands outside every ``GRAPH`` block. Expressions
    (``FILTER (...)``, ``BIND (...)``) and ``VALUES`` blocks are not patterns.
    """
    items = list(tokens(text))
    if any(t.is_keyword("WITH", "USING") for t in items):
        return False
    for start in _where_groups(items):
        in_graph: list[bool] = []  # one entry per open brace: inside a GRAPH block?
        skip_parens = 0
        skip_braces = 0
        i = start
        while i < len(items):
            token = items[i]
            text_ = token.text
            if skip_parens:
                skip_parens += (text_ == "(") - (text_ == ")")
            elif skip_braces:
                skip_braces += (text_ == "{") - (text_ == "}")
            elif token.is_keyword("FILTER", "BIND") and i + 1 < len(items):
                following = items[i + 1]
                if following.text == "(":
                    skip_parens, i = 1, i + 1
            elif token.is_keyword("VALUES"):
                j = i + 1
                while j < len(items) and items[j].text != "{":
                    j += 1
                skip_braces, i = 1, j
            elif text_ == "{":
                before = items[i - 2 : i]
                graph_block = len(before) == 2 and before[0].is_keyword("GRAPH")
                in_graph.append(graph_block or (bool(in_graph) and in_graph[-1]))
            elif text_ == "}":
                in_graph.pop()
                if not in_graph:
                    break
            elif (token.kind in ("var", "iri", "pname", "string") or text_ == "[") and not (
                in_graph and in_graph[-1]
            ):
                previous = items[i - 1] if i else None
                if not (previous is not None and previous.is_keyword("GRAPH")):
                    return True
            i += 1
    return False
