"""The throwaway Virtuoso 7 of the remote-store tests: :mod:`wopgraph.virtuoso`, under the
names the test modules import (``Virtuoso``, ``available``, ``free_port``)."""

from __future__ import annotations

from wopgraph.virtuoso import Virtuoso, available, free_port

__all__ = ["Virtuoso", "available", "free_port"]
