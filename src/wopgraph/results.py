"""Render SPARQL query results for the command line: a table (as Jena's ``arq``), JSON, CSV."""

from __future__ import annotations

import pyoxigraph as ox

from wopgraph.namespaces import PREFIXES

#: --format name -> Oxigraph results format, for formats Oxigraph writes itself.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}


def short(term) -> str:
    """A term as people read it: prefixed name where a wopgraph prefix fits, else N-Triples."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns) and term.value != ns:
                return f"{prefix}:{term.value[len(ns) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'"{term.value}"@{term.language}'
        if term.datatype.value.endswith(("#string",)):
            return f'"{term.value}"'
        if term.datatype.value.endswith(("#integer", "#decimal", "#double", "#boolean")):
            return term.value
        return f'"{term.value}"^^{short(term.datatype)}'
    return str(term)


def table(solutions: ox.QuerySolutions) -> str:
    """A boxed text table with one column per variable, as ``arq`` prints."""
    names = [v.value for v in solutions.variables]
    rows = [[short(row[name]) for name in names] for row in solutions]
    widths = [max([len(n) + 1] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    rule = "-" * (sum(widths) + 3 * len(widths) + 1)
    header = "| " + " | ".join(("?" + n).ljust(w) for n, w in zip(names, widths, strict=True))
    lines = [rule, header + " |", "=" * len(rule)]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.append(rule)
    return "\n".join(lines)


def render(result, fmt: str) -> str:
    """Render any query result in ``fmt`` (``table``, ``json``, ``csv``, ``tsv``, ``xml``)."""
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return "yes" if bool(result) else "no"
        return result.serialize(format=RESULT_FORMATS[fmt]).decode()
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(list(result), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
    if fmt == "table":
        return table(result)
    return result.serialize(format=RESULT_FORMATS[fmt]).decode()
