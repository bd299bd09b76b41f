"""The W3C Entity Reconciliation JSON Schemas (0.2 and the 1.0 draft), to validate answers.

The schemas are read from ``<repo>/../shared/reconciliation-schemas/<version>/``, never copied
into the project; tests that need them are skipped, saying why, where that folder is absent.
The schema files refer to each other with ``$ref`` (``type.json``, ``lang.json``, and the
Swagger schema for ``authentication``): each version's files go into one ``referencing``
registry under their ``$id`` (two versions share some ``$id``s, so each has its own).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT.parent / "shared" / "reconciliation-schemas"
VERSIONS = ("0.2", "1.0-draft")

needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(),
    reason=f"the W3C reconciliation JSON Schemas are not at {SCHEMAS} (shared/ next to the repo)",
)


@cache
def _schemas(version: str) -> tuple[dict[str, dict], Registry]:
    """The version's schemas by file stem, and a registry of all of them by ``$id``."""
    by_name, resources = {}, []
    for path in sorted((SCHEMAS / version).glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        by_name[path.stem] = contents
        resources.append((contents["$id"].rstrip("#"), DRAFT7.create_resource(contents)))
    return by_name, Registry().with_resources(resources)


def validate(version: str, name: str, instance) -> None:
    """Check ``instance`` against schema ``name`` (``manifest``, ...) of ``version``."""
    by_name, registry = _schemas(version)
    Draft7Validator(by_name[name], registry=registry).validate(instance)


def is_valid(version: str, name: str, instance) -> bool:
    """Whether ``instance`` passes schema ``name`` of ``version``."""
    by_name, registry = _schemas(version)
    return Draft7Validator(by_name[name], registry=registry).is_valid(instance)
