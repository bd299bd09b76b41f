"""Debian's Chromium for the browser tests: where it is, how it starts, and their skip mark.

The browser itself is the ``browser`` fixture of ``conftest.py``: one headless Chromium per test
module, driven by Playwright (which cannot download browsers here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: As root, without a GPU, and without Chromium's own calls home (the network is closed).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Skips a test (or, as ``pytestmark``, a module) where Chromium is not installed.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (make browser)"
)
