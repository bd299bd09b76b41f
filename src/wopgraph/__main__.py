"""Allow ``python -m wopgraph``."""

from wopgraph.cli import main

raise SystemExit(main())
