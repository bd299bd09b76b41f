"""wopgraph: the knowledge graph of Water Operators' Partnerships (WOPs)."""

__version__ = "0.1.0"
