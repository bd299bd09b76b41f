"""Validation: SHACL shapes (pySHACL) and hygiene checks kept as SPARQL.

This is the only module that calls pySHACL. :func:`validate` returns a :class:`Report` whose
findings name the file, the focus node (with its label), the path and the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import RDFS, SH, SKOS

from wopgraph import sources as src
from wopgraph.dataset import Dataset, bundle_root
from wopgraph.namespaces import PREFIXES, SCHEMA, SHAPES_GRAPH, SHARED_GRAPH
from wopgraph.queryfiles import QueryFile, load_query_files

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SCHEMA.name)


@dataclass(frozen=True)
class Finding:
    """One problem: where (files, focus node, path), what (message) and how bad (severity)."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: str
    focus_label: str | None
    path: str | None
    message: str
    files: tuple[str, ...] = ()
    value: str | None = None
    source: str = "shacl"  # "shacl" or the name of the check query
    component: str | None = None  # the SHACL constraint component, or the check's name

    def render(self) -> str:
        """One line for people: ``file: Severity: label <iri> path: message``."""
        where = ", ".join(self.files) or "(no file)"
        who = f"{self.focus_label} <{self.focus}>" if self.focus_label else f"<{self.focus}>"
        path = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{where}: {self.severity}: {who}{path}: {self.message}{value}"


@dataclass
class Report:
    """The outcome of a validation run."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings do not break conformance)."""
        return not self.violations

    def render(self) -> str:
        """The whole report as text, violations first."""
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        lines = [
            f.render()
            for f in sorted(
                self.findings,
                key=lambda f: (order.get(f.severity, 3), f.files, f.focus, f.path or "", f.message),
            )
        ]
        summary = (
            f"{len(self.violations)} violation(s), "
            f"{len(self.findings) - len(self.violations)} warning(s) in "
            f"{len(self.files)} file(s): " + ("conforms" if self.conforms else "FAILS")
        )
        return "\n".join([*lines, summary])


def _short(term: rdflib.term.Node | None) -> str | None:
    """A prefixed name for an IRI where a wopgraph prefix fits, else the IRI itself."""
    if term is None:
        return None
    text = str(term)
    for prefix, ns in PREFIXES.items():
        if isinstance(term, rdflib.URIRef) and text.startswith(ns) and text != ns:
            return f"{prefix}:{text[len(ns) :]}"
    return text


def _label(graph: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    """The English (else any) label of ``node`` in ``graph``."""
    fallback = None
    for predicate in LABEL_PREDICATES:
        for label in graph.objects(node, predicate):
            if getattr(label, "language", None) in ("en", None):
                return str(label)
            fallback = fallback or str(label)
    return fallback


def shacl_report(
    data: rdflib.Graph, shapes: rdflib.Graph, focus_nodes: list[rdflib.URIRef] | None = None
) -> rdflib.Graph:
    """Run pySHACL on ``data`` with ``shapes`` (only on ``focus_nodes`` if given): its report."""
    _, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        focus_nodes=focus_nodes,
    )
    return report


def shacl_findings(
    data: rdflib.Graph,
    shapes: rdflib.Graph,
    files_by_subject: dict[str, list[str]] | None = None,
    report: rdflib.Graph | None = None,
) -> list[Finding]:
    """Run pySHACL on ``data`` with ``shapes`` (or read its ``report``) as findings."""
    files_by_subject = files_by_subject or {}
    if report is None:
        report = shacl_report(data, shapes)
    findings = []
    # Only top-level results: pySHACL nests the causes of sh:node failures under sh:detail.
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        component = _short(report.value(result, SH.sourceConstraintComponent))
        value = report.value(result, SH.value)
        findings.append(
            Finding(
                severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                focus=str(focus),
                focus_label=_label(data, focus),
                path=_short(report.value(result, SH.resultPath)),
                message=str(message) if message else str(component),
                files=tuple(files_by_subject.get(focus.n3(), ())),
                value=_short(value) if value is not None else None,
                component=component,
            )
        )
    return findings


def check_findings(
    store_quads: list[ox.Quad], checks: list[QueryFile], files_by_subject: dict[str, list[str]]
) -> list[Finding]:
    """Run each hygiene check (a SELECT that must return no rows) over the named graphs.

    A check projects ``?focus`` and may project ``?path``, ``?value`` and ``?message``;
    without ``?message`` the check's title is the message.
    """
    store = ox.Store()
    store.extend(store_quads)
    findings = []
    for check in checks:
        solutions = store.query(check.sparql, use_default_graph_as_union=True)
        names = {v.value for v in solutions.variables}
        for row in solutions:
            focus = row["focus"]
            message = row["message"] if "message" in names else None
            path = row["path"] if "path" in names else None
            value = row["value"] if "value" in names else None
            label = _oxlabel(store, focus)
            findings.append(
                Finding(
                    severity="Violation",
                    focus=focus.value if focus is not None else "",
                    focus_label=label,
                    path=_short(rdflib.URIRef(path.value)) if path is not None else None,
                    message=message.value if message is not None else check.title,
                    files=tuple(files_by_subject.get(str(focus), ())) if focus is not None else (),
                    value=value.value if value is not None else None,
                    source=check.name,
                    component=check.name,
                )
            )
    return findings


def _oxlabel(store: ox.Store, node) -> str | None:
    """The English (else any) label of ``node`` in an Oxigraph store."""
    if not isinstance(node, ox.NamedNode):
        return None
    fallback = None
    for predicate in LABEL_PREDICATES:
        for quad in store.quads_for_pattern(node, ox.NamedNode(str(predicate)), None, None):
            label = quad.object
            if isinstance(label, ox.Literal) and label.language in ("en", None):
                return label.value
            fallback = fallback or getattr(label, "value", None)
    return fallback


def validate(paths: list[Path] | None = None, root: Path | None = None) -> Report:
    """Validate the bundled data (``paths`` empty) or the given RDF files and folders.

    The ontology, vocabularies and shared entities are always loaded, so that a new case file
    can refer to operators, countries and concepts; the shapes come from ``ontology/shapes.ttl``.
    Raises :class:`~wopgraph.sources.SourceError` for unreadable input.
    """
    root = root or bundle_root()
    bundled = src.bundled_sources(root)
    shapes_sources = [s for s in bundled if s.graph == str(SHAPES_GRAPH)]
    context = [s for s in bundled if s.graph != str(SHAPES_GRAPH)]
    if paths:
        given = src.data_sources(paths)
        given_paths = {s.path.resolve() for s in given}
        context = [s for s in src.model_sources(root) if s.path.resolve() not in given_paths]
        context += [
            s
            for s in bundled
            if s.graph == str(SHARED_GRAPH) and s.path.resolve() not in given_paths
        ]
        context += given
    dataset = Dataset.read(context)
    shapes = Dataset.read(shapes_sources).to_rdflib()
    by_subject = dataset.files_by_subject()
    findings = shacl_findings(dataset.to_rdflib(), shapes, by_subject)
    findings += check_findings(
        dataset.quads(), load_query_files(root / "queries" / "checks"), by_subject
    )
    return Report(findings=findings, files=[s.label for s, _ in dataset.parts])


def _to_rdflib_term(term) -> rdflib.term.Node:
    """A pyoxigraph term as rdflib's, blank nodes keeping their labels."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:  # as rdflib reads "text" from Turtle
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(quads) -> rdflib.Graph:
    """The triples of pyoxigraph ``quads`` as one rdflib graph (blank-node labels kept, so
    that results can be matched to the quads' nodes)."""
    graph = rdflib.Graph()
    convert = _to_rdflib_term
    for q in quads:
        graph.add((convert(q.subject), convert(q.predicate), convert(q.object)))
    return graph


@dataclass
class WriteReport:
    """What validating one write found: findings for people, a SHACL report graph for tools."""

    findings: list[Finding]
    graph: rdflib.Graph

    @property
    def conforms(self) -> bool:
        return not any(f.severity == "Violation" for f in self.findings)


def validate_write(
    written: list[ox.Quad],
    context: list[ox.Quad],
    shapes: rdflib.Graph,
    checks: list[QueryFile],
) -> WriteReport:
    """Validate the ``written`` quads (the new content of the graphs a write changes), seen
    with their ``context`` (the model graphs and what the store says about the entities they
    refer to): the shapes on every entity the write describes, and the hygiene checks.

    Only the write's own subjects are focus nodes, so the cost follows the size of the write
    and its neighbourhood, not of the store.
    """
    data = to_rdflib([*written, *context])
    # The whole (small) data graph is validated and the results kept for the write's own
    # subjects. (pySHACL's focus_nodes option would be cheaper but also filters the nodes
    # that nested sh:node shapes check, so it misses their violations: pySHACL 0.40.)
    subjects = {_to_rdflib_term(q.subject) for q in written}
    report = _keep_results(shacl_report(data, shapes), subjects)
    findings = shacl_findings(data, shapes, report=report)
    # Every term of the write: checks may be about a predicate (undeclared terms) or a
    # blank node (orphans), not only about subjects and objects.
    mentioned = {t.value for q in written for t in (q.subject, q.predicate, q.object)}
    for finding in check_findings([*written, *context], checks, {}):
        if finding.focus in mentioned:
            findings.append(finding)
            _add_check_result(report, finding)
    if any(f.severity == "Violation" for f in findings):
        top = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
        report.set((top, SH.conforms, rdflib.Literal(False)))
    return WriteReport(findings, report)


def _keep_results(report: rdflib.Graph, focus: set) -> rdflib.Graph:
    """A copy of a SHACL ``report`` with only the results about the ``focus`` nodes."""
    kept = rdflib.Graph()
    for prefix, namespace in report.namespaces():
        kept.bind(prefix, namespace)
    top = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    kept.add((top, rdflib.RDF.type, SH.ValidationReport))
    results = [r for r in report.objects(top, SH.result) if report.value(r, SH.focusNode) in focus]
    kept.add((top, SH.conforms, rdflib.Literal(not results)))
    todo = list(results)
    for result in results:
        kept.add((top, SH.result, result))
    seen = set()
    while todo:  # each result with its blank-node closure (sh:detail, paths)
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in report.predicate_objects(node):
            kept.add((node, p, o))
            if isinstance(o, rdflib.BNode):
                todo.append(o)
    return kept


def _add_check_result(report: rdflib.Graph, finding: Finding) -> None:
    """Add a hygiene check's finding to a SHACL report graph as an ``sh:ValidationResult``."""
    top = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    result = rdflib.BNode()
    report.add((top, SH.result, result))
    report.add((result, rdflib.RDF.type, SH.ValidationResult))
    report.add((result, SH.focusNode, rdflib.URIRef(finding.focus)))
    report.add((result, SH.resultSeverity, SH.Violation))
    report.add((result, SH.resultMessage, rdflib.Literal(finding.message)))
    report.add((result, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
    if finding.value:
        report.add((result, SH.value, rdflib.Literal(finding.value)))
