"""How well a name matches a query: normalised, token-based, acronym-aware, in [0, 1].

Names are compared after :func:`normalize`: accents removed (``Électricité`` -> ``electricite``),
case folded, punctuation and apostrophes turned into spaces (``l'Eau`` -> ``l eau``). Tokens
that carry no meaning in a name (French and English function words: ``de``, ``l``, ``et``,
``the``, ``of``, ...) are left out of the comparison, so that ``Office National de l'Eau
Potable`` and ``Office national eau potable`` are the same name.

:func:`similarity` is the best of four measures, each returned with its feature name:

* ``exact``: the normalised texts are equal (1.0);
* ``compact``: equal once spaces are dropped, ``UN Habitat`` for ``UN-Habitat`` (0.98);
* ``words``: the same meaningful words, in any order, function words aside (0.97);
* ``acronym``: one side is a single short token and the other's initials spell it, ``ONEE``
  for ``Office National de l'Électricité et de l'Eau`` (0.95), or start it, ``ONEE`` for
  ``Office National de l'Électricité et de l'Eau Potable`` (0.9 x 0.95);
* ``tokens``: a soft token-set similarity (Dice coefficient over the two token sets, where a
  token counts as found in the other set when it is equal to one of its tokens (1.0), a
  variant of it (``national``/``nationale``: 0.9) or a close spelling (difflib ratio >= 0.85,
  scaled)).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

#: Words that do not distinguish one organisation's name from another's (French, English).
#: French "un"/"une" are kept: in this domain "UN" is the United Nations.
STOPWORDS = frozenset(
    ("a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "sur")
    + ("and", "for", "in", "of", "on", "the", "to")
)
#: Longest single token still read as an acronym.
MAX_ACRONYM = 10
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents and punctuation gone."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def tokens(text: str) -> tuple[str, ...]:
    """The normalised tokens of ``text`` that carry meaning (all of them if none does)."""
    words = normalize(text).split()
    content = tuple(w for w in words if w not in STOPWORDS)
    return content or tuple(words)


def initials(words: tuple[str, ...]) -> str:
    """The first letters of ``words``, which are already without function words."""
    return "".join(w[0] for w in words)


@dataclass(frozen=True)
class Name:
    """A name prepared for matching: its normalised text, its tokens and their initials."""

    text: str
    norm: str
    tokens: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Name:
        """Prepare ``text``."""
        return cls(text, normalize(text), tokens(text))

    @property
    def compact(self) -> str:
        """The normalised text without spaces."""
        return self.norm.replace(" ", "")

    @property
    def is_acronym_like(self) -> bool:
        """One token, short enough to be an acronym (``ONEE``, ``GWOPA``)."""
        return len(self.tokens) == 1 and 2 <= len(self.tokens[0]) <= MAX_ACRONYM


@dataclass(frozen=True)
class Match:
    """The similarity of two names and the measure that gave it."""

    score: float
    feature: str  # "exact", "compact", "words", "acronym", "tokens" or "none"

    @property
    def strong(self) -> bool:
        """Whether the names are the same name written differently (not only alike)."""
        return self.feature in ("exact", "compact", "words") or (
            self.feature == "acronym" and self.score >= 0.95
        )


NO_MATCH = Match(0.0, "none")


def token_similarity(a: str, b: str) -> float:
    """How alike two tokens are: 1 equal, 0.9 a variant (suffix), else a scaled spelling ratio."""
    if a == b:
        return 1.0
    short, long = sorted((a, b), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2:
        return 0.9
    if min(len(a), len(b)) < 4:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return 0.85 * ratio if ratio >= 0.85 else 0.0


def token_set_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Soft Dice coefficient of two token sets (each token's best match in the other set)."""
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    found_left = sum(max(token_similarity(t, u) for u in right) for t in left)
    found_right = sum(max(token_similarity(u, t) for t in left) for u in right)
    return (found_left + found_right) / (len(left) + len(right))


def acronym_similarity(short: Name, long: Name) -> float:
    """How well ``short`` (one token) abbreviates ``long``: 1 its initials, 0.9 their start."""
    if not short.is_acronym_like or len(long.tokens) < 2:
        return 0.0
    acronym, spelled = short.tokens[0], initials(long.tokens)
    if acronym == spelled:
        return 1.0
    if len(acronym) >= 3 and spelled.startswith(acronym) and len(spelled) - len(acronym) == 1:
        return 0.9
    return 0.0


def similarity(query: Name, name: Name) -> Match:
    """The best of the exact, compact, acronym and token-set measures (module docstring)."""
    if not query.norm or not name.norm:
        return NO_MATCH
    if query.norm == name.norm:
        return Match(1.0, "exact")
    if query.compact == name.compact:
        return Match(0.98, "compact")
    if set(query.tokens) == set(name.tokens):
        return Match(0.97, "words")
    best = NO_MATCH
    acronym = max(acronym_similarity(query, name), acronym_similarity(name, query))
    if acronym:
        best = Match(0.95 * acronym, "acronym")
    score = token_set_similarity(query.tokens, name.tokens)
    if score > best.score:
        best = Match(score, "tokens")
    return best


def retrieval_keys(name: Name) -> set[str]:
    """Keys under which a name is found: tokens, 4-letter token stems, the acronym, ``=compact``.

    A query is scored only against names sharing at least one key with it, so that a batch
    does not compare every query with every name.
    """
    keys = {f"={name.compact}"}
    for token in name.tokens:
        keys.add(token)
        if len(token) >= 4:
            keys.add(token[:4] + "*")
    if len(name.tokens) >= 2:
        keys.add("#" + initials(name.tokens))
        keys.add("#" + initials(name.tokens)[:-1])
    elif name.is_acronym_like:
        keys.add("#" + name.tokens[0])
    return keys
