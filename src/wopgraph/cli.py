"""The ``wopgraph`` command: validate, build, query and serve the WOP knowledge graph."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from wopgraph import __version__
from wopgraph.config import add_arguments as add_serve_arguments
from wopgraph.dataset import bundle_root, bundled
from wopgraph.enrich import add_arguments as add_enrich_arguments
from wopgraph.results import RESULT_FORMATS, render
from wopgraph.sources import SourceError

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT = 0, 1, 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the bundled data or the given files; print the report."""
    from wopgraph.validation import validate

    report = validate([Path(p) for p in args.paths] or None)
    print(report.render())
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS


def cmd_build(args: argparse.Namespace) -> int:
    """Write the dumps into the build folder."""
    from wopgraph.build import build

    for dump in build(bundled(), Path(args.out)):
        print(f"{dump.path}  {dump.size} bytes  sha256:{dump.sha256}")
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run a SPARQL query (a file or the text itself) on the bundled graph."""
    text = args.query
    path = Path(text)
    if len(text) < 4096 and "\n" not in text and path.suffix in (".rq", ".sparql"):
        if not path.exists():
            raise SourceError(path, "no such query file")
        text = path.read_text(encoding="utf-8")
    store = bundled().to_store()
    try:
        result = store.query(text, use_default_prefixes=True)
    except SyntaxError as exc:
        print(f"error: the query is not valid SPARQL: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(render(result, args.format))
    return EXIT_OK


def default_store() -> str:
    """Where ``load`` and ``dump`` find the store: env ``WOPGRAPH_STORE``, else build/store."""
    return os.environ.get("WOPGRAPH_STORE") or str(bundle_root() / "build" / "store")


def _open_store(location: str, must_exist: bool):
    """Open ``location`` for load / dump; a missing on-disk store is bad input for dump."""
    from wopgraph.store import open_store

    if must_exist and "://" not in location and not Path(location).is_dir():
        raise SourceError(location, "no store here (wopgraph load --store creates one)")
    try:
        return open_store(location)
    except OSError as exc:
        raise SourceError(location, f"cannot open the store: {exc}") from exc


def cmd_load(args: argparse.Namespace) -> int:
    """Load files (default: the bundled dataset) into a store, replacing each graph loaded."""
    from collections import defaultdict

    import pyoxigraph as ox

    from wopgraph import sources
    from wopgraph.dataset import Dataset
    from wopgraph.remote import RemoteStoreError

    found = (
        sources.data_sources([Path(p) for p in args.paths])
        if args.paths
        else sources.bundled_sources(bundle_root())
    )
    by_graph: dict[str, list] = defaultdict(list)
    for source, quads in Dataset.read(found).parts:
        for q in quads:
            if not isinstance(q.graph_name, ox.NamedNode):
                raise SourceError(source.path, "has triples in the default graph: name a graph")
            by_graph[q.graph_name.value].append(q)
    location = args.store or default_store()
    store = _open_store(location, must_exist=False)
    if "://" not in location:
        # The store no longer holds only what `serve` loaded into it: forget that stamp, so a
        # later change of those sources does not reload it and drop the graphs loaded here.
        from wopgraph.diskstore import STAMP

        (Path(location) / STAMP).unlink(missing_ok=True)
    try:
        # One transaction for the whole load: killed half-way, the store is as before.
        store.apply({graph: by_graph[graph] for graph in sorted(by_graph)})
        for graph in sorted(by_graph):
            print(f"{graph}  {len(by_graph[graph])} quads")
    except RemoteStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if hasattr(store, "flush"):
        store.flush()
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    """Write everything a store holds, named graphs included, canonical and sorted."""
    from wopgraph.remote import RemoteStoreError
    from wopgraph.serialize import canonical_quads, serialize

    store = _open_store(args.store or default_store(), must_exist=True)
    try:
        data = serialize(canonical_quads(store.quads()), args.format)
    except RemoteStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return EXIT_OK


def cmd_enrich(args: argparse.Namespace) -> int:
    """Fetch facts about linked entities from a partner endpoint into an enrichment graph."""
    from wopgraph.enrich import run

    return run(args)


def cmd_token(args: argparse.Namespace) -> int:
    """Make a new write token: print the token (give it to the writer) and its file line."""
    from wopgraph import auth, config

    try:
        token, line = auth.new_token(args.name)
    except config.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"token (give it to {args.name}; it is not stored anywhere): {token}")
    print(f"line for the token file (--token-file): {line}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the graph over the SPARQL 1.1 Protocol with gunicorn until stopped."""
    from wopgraph import config
    from wopgraph.serve import serve

    try:
        settings = config.from_args(args)
        return serve(settings)
    except config.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-command per job."""
    top = argparse.ArgumentParser(prog="wopgraph", description=__doc__)
    top.add_argument("--version", action="version", version=f"wopgraph {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check data against the SHACL shapes and the checks")
    p.add_argument("paths", nargs="*", help="RDF files or folders (default: the bundled data/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="write the dataset as dumps, byte-for-byte stable")
    p.add_argument(
        "--out",
        default=str(bundle_root() / "build"),
        help="the build folder (default: build/ in the project)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("query", help="run a SPARQL query on the graph and print the results")
    p.add_argument("query", help="a .rq file or the query text")
    p.add_argument("--format", choices=["table", *RESULT_FORMATS], default="table")
    p.set_defaults(func=cmd_query)

    store_help = (
        "a folder (Oxigraph on disk) or a SPARQL server's query URL (http://...); "
        "default: env WOPGRAPH_STORE, else build/store"
    )
    p = sub.add_parser("load", help="load RDF files into a store, replacing each graph loaded")
    p.add_argument("paths", nargs="*", help="RDF files or folders (default: the bundled dataset)")
    p.add_argument("--store", default=None, help=store_help)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("dump", help="write a whole store as canonical N-Quads or TriG")
    p.add_argument("--store", default=None, help=store_help)
    p.add_argument("--format", choices=["nquads", "trig"], default="nquads")
    p.add_argument("--out", default=None, help="the file to write (default: standard output)")
    p.set_defaults(func=cmd_dump)

    p = sub.add_parser(
        "enrich", help="fetch facts about linked entities from a partner SPARQL endpoint"
    )
    add_enrich_arguments(p)
    p.set_defaults(func=cmd_enrich)

    p = sub.add_parser("token", help="make a write token and its line for --token-file")
    p.add_argument("name", help="who the token is for (recorded with each write)")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("serve", help="serve the graph as a SPARQL endpoint (gunicorn)")
    add_serve_arguments(p)
    p.set_defaults(func=cmd_serve)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 violations, 2 bad input)."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
