"""Shared fixtures: the project root, the bundled dataset and a store loaded with it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from wopgraph.dataset import Dataset, bundle_root, bundled

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Hermetic: a write journal left in build/journal by a developer's server must not change what
# the tests serve. Tests that write give their own journal folder.
os.environ.setdefault("WOPGRAPH_JOURNAL", tempfile.mkdtemp(prefix="wopgraph-test-journal-"))


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


@pytest.fixture(scope="session")
def app():
    """The web app over the bundled data with default settings (read-only use, please).

    A module that needs other settings defines its own ``app`` fixture, which wins.
    """
    from wopgraph.web import create_app

    app = create_app({"query_timeout": 10.0})
    yield app
    app.extensions["wopgraph"].executor.stop()


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module (see ``chromium.py``). Not one per
    session: Playwright's sync API keeps an event loop running while it is open, which later
    modules' own event loops must not meet."""
    from playwright.sync_api import sync_playwright

    from chromium import ARGS, CHROMIUM

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()
