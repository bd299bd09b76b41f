"""Settings of the SPARQL endpoint, in one typed place.

Every field of :class:`Settings` is also a command-line flag of ``wopgraph serve`` (``--name``,
underscores as hyphens) and an environment variable ``WOPGRAPH_<NAME>``. Precedence, lowest
first: the defaults written here, then the environment, then the command line or the overrides
a test passes to :func:`load`.

List settings (``data``, ``allow_service``) are written in an environment variable as words
separated by spaces, quoted as in a shell when a word holds a space.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "WOPGRAPH_"


class ConfigError(ValueError):
    """A setting with a value that cannot be used; the message names the setting."""


def _setting(default: Any, doc: str, metavar: str | None = None, **kwargs: Any) -> Any:
    """A dataclass field carrying its help text (and metavar) for the CLI and the docs."""
    meta = {"doc": doc, "metavar": metavar}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta, **kwargs)
    return field(default=default, metadata=meta, **kwargs)


@dataclass(frozen=True)
class Settings:
    """What ``wopgraph serve`` needs to know; each field is documented in its ``doc``."""

    host: str = _setting("127.0.0.1", "interface to listen on (0.0.0.0: every interface)", "HOST")
    port: int = _setting(8000, "TCP port to listen on (0: any free port)", "PORT")
    workers: int = _setting(
        2,
        "gunicorn worker processes; each answers one request at a time with its own query "
        "process, so this many slow queries can run at once before others wait",
        "N",
    )
    data: list[str] = _setting(
        [],
        "RDF files or folders to serve instead of the bundled ontology/ and data/ (Turtle, "
        "N-Triples, N-Quads, TriG, JSON-LD, RDF/XML)",
        "FILE",
    )
    store: str | None = _setting(
        None,
        "keep the data in an Oxigraph store on disk in this folder instead of in memory; an "
        "empty store is first loaded with the data, and loaded again when its source files "
        "changed; one filled by wopgraph load is served as it is",
        "PATH",
    )
    query_timeout: float = _setting(
        10.0, "seconds a query may run (evaluation and serialisation) before it is stopped", "S"
    )
    max_rows: int = _setting(
        10_000, "most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) in one response", "N"
    )
    cache_mb: int = _setting(
        64,
        "megabytes of query answers each worker keeps to answer repeated queries without "
        "evaluating them again, while the data is unchanged (0: no cache)",
        "MB",
    )
    allow_service: list[str] = _setting(
        [],
        "remote SPARQL endpoints a query may call with SERVICE (by default none may be called)",
        "URL",
    )
    base_url: str | None = _setting(
        None,
        "public base URL of the site (e.g. https://w3id.org/wop/), used in the dataset "
        "description, sitemap and reconciliation manifest instead of the URL a request came to",
        "URL",
    )
    build_dir: str | None = _setting(
        None,
        "folder the served dumps and dataset description are built into at start, when absent "
        "or out of date (default: build/ of the project for the bundled data, a folder in the "
        "system's temporary directory for other data)",
        "PATH",
    )
    enrichment_dir: str | None = _setting(
        None,
        "folder of enrichment graphs (N-Quads written by wopgraph enrich) served with the "
        "bundled data, each in its own named graph (default: build/enrichment/ of the "
        "project; not used with --data)",
        "PATH",
    )
    base: str = _setting(
        "https://w3id.org/wop/",
        "the base of the canonical IRIs: the server answers for IRI <base>X at the path /X "
        "(entity pages, content negotiation); must end with /",
        "IRI",
    )

    write_tokens: str | None = _setting(
        None,
        "bearer tokens that may write (/graphs, /update), comma-separated, each a token or "
        "name:token; for a quick start (production: --token-file); no tokens: no writes",
        "TOKENS",
    )
    token_file: str | None = _setting(
        None,
        "file of hashed write tokens, one 'name sha256:HEX' a line (wopgraph token NAME makes "
        "a token and its line)",
        "PATH",
    )
    journal: str | None = _setting(
        None,
        "folder of the write journal: every accepted write, fsync'ed before it is answered and "
        "replayed at start (default: journal/ in the build folder)",
        "PATH",
    )
    max_body_mb: float = _setting(
        16.0, "largest request body accepted, in megabytes (a write of a graph, a query)", "MB"
    )
    rate_limit: int = _setting(
        0,
        "requests a minute each client (IP address) may make to /sparql and the query API, "
        "with bursts of a sixth of that; more get 429 (0: no limit)",
        "N",
    )

    access_log: str = _setting(
        "-",
        "where gunicorn writes a line per request: - (standard output), a file, or off (a "
        "busy endpoint saves about 0.1 ms of CPU a request without it)",
        "PATH",
    )

    def __post_init__(self) -> None:
        """Refuse values that cannot work, naming the setting."""
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, not {self.port}")
        if self.workers < 1:
            raise ConfigError(f"workers must be at least 1, not {self.workers}")
        if not self.query_timeout > 0:
            raise ConfigError(
                f"query_timeout must be more than 0 seconds, not {self.query_timeout}"
            )
        if self.cache_mb < 0:
            raise ConfigError(f"cache_mb must be 0 or more, not {self.cache_mb}")
        if self.max_rows < 1:
            raise ConfigError(f"max_rows must be at least 1, not {self.max_rows}")
        if not self.max_body_mb > 0:
            raise ConfigError(f"max_body_mb must be more than 0, not {self.max_body_mb}")
        if self.rate_limit < 0:
            raise ConfigError(f"rate_limit must be 0 or more, not {self.rate_limit}")
        if not self.base.startswith(("http://", "https://")) or not self.base.endswith("/"):
            raise ConfigError(f"base must be an http(s) IRI ending with /, not {self.base!r}")


def env_name(name: str) -> str:
    """The environment variable of a setting: ``query_timeout`` -> ``WOPGRAPH_QUERY_TIMEOUT``."""
    return ENV_PREFIX + name.upper()


def flag_name(name: str) -> str:
    """The command-line flag of setting ``name``: ``query_timeout`` -> ``--query-timeout``."""
    return "--" + name.replace("_", "-")


def _kind(f: dataclasses.Field) -> str:
    """The value kind of a field from its annotation: ``int``, ``float``, ``list`` or ``str``."""
    annotation = str(f.type)
    for kind in ("list", "int", "float"):
        if annotation.startswith(kind):
            return kind
    return "str"


def _convert(f: dataclasses.Field, raw: str, source: str) -> Any:
    """Turn the text ``raw`` of a setting into its typed value; ``source`` says where it is from."""
    kind = _kind(f)
    try:
        if kind == "list":
            return shlex.split(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError as exc:  # shlex: unbalanced quotes; int/float: not a number
        expected = "space-separated words (quotes balanced)" if kind == "list" else "a number"
        raise ConfigError(f"{source}: expected {expected}, got {raw!r}") from exc
    return (raw or None) if f.default is None else raw


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given in ``environ`` (``WOPGRAPH_*`` variables), typed."""
    found: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(env_name(f.name))
        if raw is not None:
            found[f.name] = _convert(f, raw, env_name(f.name))
    return found


def load(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings: defaults, then ``environ`` (default: ``os.environ``), then ``overrides``.

    Overrides whose value is ``None`` are ignored, so unset command-line flags do not hide the
    environment. Unknown names are an error.
    """
    known = {f.name for f in fields(Settings)}
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    values = {**from_env(os.environ if environ is None else environ), **given}
    return Settings(**values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per setting to ``parser``, each defaulting to ``None`` (= not given)."""
    for f in fields(Settings):
        kind = _kind(f)
        default = "none" if f.default in (None, dataclasses.MISSING) else f.default
        help_text = f"{f.metadata['doc']} (env {env_name(f.name)}; default: {default})"
        options: dict[str, Any] = {"dest": f.name, "default": None, "help": help_text}
        options["metavar"] = f.metadata["metavar"]
        if kind == "list":
            options.update(nargs="+", action="extend")
            options["help"] = f"{f.metadata['doc']} (env {env_name(f.name)}, space-separated)"
        elif kind in ("int", "float"):
            options["type"] = int if kind == "int" else float
        parser.add_argument(flag_name(f.name), **options)


def from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from parsed command-line flags on top of the environment."""
    return load({f.name: getattr(args, f.name, None) for f in fields(Settings)}, environ)
