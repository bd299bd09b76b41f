"""The hygiene checks in ``queries/checks``: each passes on the data and catches its problem.

Each check ``<name>-violation.rq`` has a TriG file ``tests/checks/<name>.trig`` holding a
small example of the problem it exists to catch (TriG, so the example can sit in the
ontology or vocabulary graph).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wopgraph.queryfiles import load_query_files
from wopgraph.validation import validate

ROOT = Path(__file__).resolve().parents[1]
CHECKS = load_query_files(ROOT / "queries" / "checks")
EXAMPLES = Path(__file__).parent / "checks"


def test_every_check_is_named_as_a_violation_query():
    assert CHECKS, "no checks found"
    assert all(c.name.endswith("-violation") and c.title for c in CHECKS)


@pytest.fixture(scope="module")
def bundled_report():
    return validate()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_check_passes_on_bundled_data(check, bundled_report):
    found = [f.render() for f in bundled_report.findings if f.source == check.name]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_check_catches_its_example(check):
    example = EXAMPLES / f"{check.name.removesuffix('-violation')}.trig"
    assert example.exists(), f"write {example} with an example of what {check.name} catches"
    report = validate([example])
    found = [f for f in report.findings if f.source == check.name]
    assert found, report.render()
    assert all(f.severity == "Violation" and f.focus for f in found)
    assert not report.conforms
