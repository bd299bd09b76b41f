"""Shared fixtures: the project root, the bundled dataset and a store loaded with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from wopgraph.dataset import Dataset, bundle_root, bundled

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root (ontology/, data/, queries/)."""
    assert bundle_root() == ROOT, "tests run against the checkout's own data"
    return ROOT


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The bundled ontology, vocabularies, shapes and data, parsed once."""
    return bundled()


@pytest.fixture(scope="session")
def store(dataset):
    """An in-memory store holding the bundled dataset (read-only use, please)."""
    return dataset.to_store()
