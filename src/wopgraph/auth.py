"""Who may write: bearer tokens configured by the operator, compared in constant time.

Two sources, both read at start:

* ``--token-file PATH`` (production): one token a line as ``NAME sha256:HEX``, the SHA-256 of
  the token in hex, so the file holds no secret; ``#`` starts a comment. ``wopgraph token
  NAME`` makes a random token and prints it with its line.
* ``WOPGRAPH_WRITE_TOKENS`` / ``--write-tokens`` (a quick start): comma-separated, each
  ``NAME:TOKEN`` or a bare ``TOKEN`` (then named ``token-`` and the first 8 hex digits of its
  hash).

A request's token is hashed and compared with *every* configured hash with
:func:`hmac.compare_digest`, so the time taken tells nothing about which or how much matched.
The name of the matching token is the *agent* recorded with each write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from wopgraph.config import ConfigError

_LINE = re.compile(r"^(\S+)\s+sha256:([0-9a-fA-F]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9._@-]+$")


def digest(token: str) -> bytes:
    """The SHA-256 of a token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class Tokens:
    """The write tokens: (name, SHA-256 of the token) pairs."""

    entries: tuple[tuple[str, bytes], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def agent(self, authorization: str | None) -> str | None:
        """The name of the token in an ``Authorization: Bearer ...`` header, else ``None``."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        presented = digest(token)
        found = None
        for name, expected in self.entries:  # no early exit: constant time over all entries
            if hmac.compare_digest(presented, expected):
                found = name
        return found


def parse_env(value: str) -> list[tuple[str, bytes]]:
    """Tokens from ``--write-tokens``: ``NAME:TOKEN`` or ``TOKEN``, comma-separated."""
    entries = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, token = item.partition(":")
        if not sep:
            name, token = "token-" + digest(item).hex()[:8], item
        if not token or not _NAME.match(name):
            raise ConfigError(
                "write_tokens: each entry is NAME:TOKEN or TOKEN, the name in letters, digits "
                f"and ._@- (entry {len(entries) + 1} is not)"
            )
        entries.append((name, digest(token)))
    return entries


def parse_file(path: Path) -> list[tuple[str, bytes]]:
    """Tokens from a token file (module docstring); errors name the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"token_file {path}: cannot read: {exc}") from exc
    entries = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _LINE.match(text)
        if not match or not _NAME.match(match.group(1)):
            raise ConfigError(
                f"{path}:{number}: expected 'NAME sha256:HEX' (64 hex digits), e.g. a line "
                "printed by 'wopgraph token NAME'"
            )
        entries.append((match.group(1), bytes.fromhex(match.group(2))))
    return entries


def load(write_tokens: str | None, token_file: str | None) -> Tokens:
    """The tokens configured by the settings (none: writes are off)."""
    entries = parse_env(write_tokens) if write_tokens else []
    if token_file:
        entries += parse_file(Path(token_file))
    return Tokens(tuple(entries))


def new_token(name: str) -> tuple[str, str]:
    """A new random token for ``name`` and the line of the token file that accepts it."""
    if not _NAME.match(name):
        raise ConfigError(f"token name {name!r}: use letters, digits and ._@-")
    token = secrets.token_urlsafe(32)
    return token, f"{name} sha256:{digest(token).hex()}"
