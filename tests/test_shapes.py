"""Data-driven SHACL tests: ``tests/shapes/valid`` conform, ``tests/shapes/invalid`` do not.

Each invalid file states, in header lines, the violations it must produce::

    # expect-violation: <focus> <path or -> <constraint component>

with prefixed names declared in that file. Every file is validated together with the
ontology and vocabularies only (no bundled data), so it must be self-contained.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

from wopgraph import sources as src
from wopgraph.dataset import Dataset
from wopgraph.validation import shacl_findings

HERE = Path(__file__).parent / "shapes"
ROOT = Path(__file__).resolve().parents[1]
EXPECT = re.compile(r"^#\s*expect-violation:\s*(\S+)\s+(\S+)\s+(\S+)\s*$")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return Dataset.read(
        [src.Source(ROOT / "ontology" / "shapes.ttl", None, src.FORMATS[".ttl"])]
    ).to_rdflib()


def findings_for(path: Path, shapes: rdflib.Graph):
    """Validate ``path`` with the ontology and vocabularies against the shapes."""
    parts = src.model_sources(ROOT) + src.data_sources([path])
    return shacl_findings(Dataset.read(parts).to_rdflib(), shapes)


def expected_violations(path: Path) -> list[tuple[str, str | None, str]]:
    """The ``expect-violation`` lines of ``path``, with prefixed names expanded."""
    graph = rdflib.Graph().parse(path)
    graph.bind("sh", rdflib.namespace.SH, override=False)
    expand = graph.namespace_manager.expand_curie
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT.match(line)
        if match:
            focus, path_, component = match.groups()
            found.append(
                (
                    str(expand(focus)),
                    None if path_ == "-" else str(expand(path_)),
                    str(expand(component)),
                )
            )
    return found


def expand_short(name: str | None) -> str | None:
    """Turn a finding's prefixed name back into a full IRI."""
    from wopgraph.namespaces import PREFIXES

    if name is None or "://" in name:
        return name
    prefix, _, local = name.partition(":")
    return PREFIXES[prefix] + local if prefix in PREFIXES else name


@pytest.mark.parametrize("path", sorted((HERE / "valid").glob("*.ttl")), ids=lambda p: p.stem)
def test_valid_file_conforms(path, shapes):
    violations = [f.render() for f in findings_for(path, shapes) if f.severity == "Violation"]
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("path", sorted((HERE / "invalid").glob("*.ttl")), ids=lambda p: p.stem)
def test_invalid_file_produces_its_stated_violation(path, shapes):
    expected = expected_violations(path)
    assert expected, f"{path.name} states no '# expect-violation:' line"
    got = {
        (f.focus, expand_short(f.path), expand_short(f.component))
        for f in findings_for(path, shapes)
        if f.severity == "Violation"
    }
    for violation in expected:
        assert violation in got, f"{path.name}: expected {violation}, got {sorted(got)}"


def test_there_are_enough_shape_tests():
    assert len(list((HERE / "valid").glob("*.ttl"))) >= 3
    assert len(list((HERE / "invalid").glob("*.ttl"))) >= 12
