"""Full-text search from SPARQL: the reserved ``SERVICE text: { ... }`` block.

A ``FILTER(CONTAINS(LCASE(?label), "term"))`` reads every label of the graph. The site's
search index (:mod:`wopgraph.search`) answers the same question from an inverted index in
milliseconds, and this module makes it usable from SPARQL, the way Jena's ``text:query`` or
Blazegraph's ``bds:search`` do: a ``SERVICE`` block with a reserved IRI, which the endpoint
answers itself before the store sees the query::

    PREFIX text: <https://w3id.org/wop/text#>
    SELECT ?entity ?score WHERE {
      SERVICE text: { ?entity text:matches "nairobi water" ; text:score ?score ; text:limit 20 }
    }

:func:`rewrite` cuts each such block out of the query text and puts in its place a ``VALUES``
block of the hits (``VALUES (?entity ?score) { (<iri> 150) ... }``, empty when nothing
matches); the store evaluates the rest. :func:`blocks` parses the blocks and refuses a
malformed one (:class:`TextSearchError`, naming what is wrong and on which line).

The vocabulary: ``text:matches "words"`` (required, once), ``text:score ?var``,
``text:limit N`` (default :data:`DEFAULT_LIMIT`, at most :data:`MAX_LIMIT`) and
``text:class <IRI>`` (any number: only entities of these classes). The subject is a variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from wopgraph.search import SearchIndex, words
from wopgraph.sparql_scan import (
    Spanned,
    Token,
    declare,
    decode_codepoints,
    expand,
    scan,
    tokens_with_spans,
)

NAMESPACE = "https://w3id.org/wop/text#"
#: The reserved SERVICE IRI (written ``text:`` with ``PREFIX text: <https://w3id.org/wop/text#>``).
SERVICE = NAMESPACE
MATCHES, SCORE, LIMIT, CLASS = (NAMESPACE + name for name in ("matches", "score", "limit", "class"))
PREDICATES = {
    MATCHES: "text:matches",
    SCORE: "text:score",
    LIMIT: "text:limit",
    CLASS: "text:class",
}
_VOCABULARY = "text:matches, text:score, text:limit or text:class"
#: Hits a block gives without ``text:limit``, and the most it may ask for.
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
#: Most text blocks in one query.
MAX_BLOCKS = 4

#: ``search(words, limit, classes)``: the best hits as (IRI, score), best first.
Search = Callable[[str, int, "frozenset[str] | None"], list[tuple[str, int]]]

_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_NUMBER = re.compile(r"[+-]?(?:\d*\.\d+|\d+)(?:[eE][+-]?\d+)?")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")


class TextSearchError(ValueError):
    """A ``SERVICE text:`` block that cannot be answered, with what is wrong and where."""


@dataclass(frozen=True)
class Block:
    """One parsed ``SERVICE text: { ... }`` block and where it stands in the query text."""

    start: int
    end: int
    subject: str
    """The variable bound to the entities found, as written (``?entity``)."""
    words: str
    """The string of ``text:matches``."""
    score: str | None
    """The variable of ``text:score``, if given."""
    limit: int
    classes: frozenset[str] | None
    """The IRIs of ``text:class`` (``None``: every class)."""


def _split_final_dot(items: Iterable[Spanned]) -> list[Spanned]:
    """The tokens, with a prefixed name's final ``.`` (``wop:Operator.``) as a token of its own."""
    out = []
    for item in items:
        token = item.token
        if token.kind == "pname" and token.text.endswith(".") and not token.text.endswith("\\."):
            name = token.text.rstrip(".")
            out.append(Spanned(Token("pname", name), item.start, item.start + len(name)))
            out += [
                Spanned(Token("other", "."), p, p + 1)
                for p in range(item.start + len(name), item.end)
            ]
        else:
            out.append(item)
    return out


def string_value(written: str) -> str:
    """The value of a SPARQL string token as written (quotes, escapes and ``\\u`` decoded)."""
    quote = 3 if written[:3] in ('"""', "'''") else 1
    body = decode_codepoints(written[quote:-quote])

    def unescape(match: re.Match) -> str:
        """The character an escape stands for."""
        char = _ESCAPES.get(match.group(1))
        if char is None:
            raise TextSearchError(f"the string {written} has an invalid escape \\{match.group(1)}")
        return char

    return re.sub(r"\\(.)", unescape, body, flags=re.DOTALL)


class _Reader:
    """A cursor over the tokens of one block, with the query text for positions."""

    def __init__(self, text: str, items: list[Spanned], at: int, where: str, declared, base):
        """Read ``items`` from index ``at``; ``where`` starts every error message."""
        self.text, self.items, self.at, self.where = text, items, at, where
        self.declared, self.base = declared, base

    def peek(self) -> Token | None:
        """The next token (``None`` at the end of the text)."""
        return self.items[self.at].token if self.at < len(self.items) else None

    def take(self) -> Token:
        """The next token, consumed; refused at the end of the text."""
        token = self.peek()
        if token is None:
            self.fail("the block is not closed (no '}')")
        self.at += 1
        return token

    def skip_to(self, offset: int) -> None:
        """Consume the tokens that start before ``offset`` of the text."""
        while self.at < len(self.items) and self.items[self.at].start < offset:
            self.at += 1

    def offset(self) -> int:
        """Where the next token starts in the text."""
        return self.items[self.at].start if self.at < len(self.items) else len(self.text)

    def fail(self, message: str):
        """Refuse the block."""
        raise TextSearchError(f"{self.where}: {message}.")

    def iri(self, token: Token, what: str) -> str:
        """The IRI ``token`` stands for; refused if it is none."""
        iri = expand(token, self.declared, self.base)
        if iri is None:
            why = "its prefix is not declared" if token.kind == "pname" else "it is not an IRI"
            self.fail(f"{what} {token.text}: {why}")
        return iri


def _object(reader: _Reader, predicate: str, subject: str) -> str | int:
    """Read the object of ``predicate``: the words, a variable, a limit or a class IRI."""
    name = PREDICATES[predicate]
    token = reader.take()
    if predicate == MATCHES:
        if token.kind == "var":
            reader.fail(f"{name} needs a string of words, not the variable {token.text}")
        if token.kind != "string":
            reader.fail(f'{name} needs a string of words ("..."), not {token.text}')
        nxt = reader.peek()
        if nxt is not None and nxt.text == "@":
            tag = _LANGTAG.match(reader.text, reader.offset())
            reader.skip_to(tag.end() if tag else reader.offset() + 1)
        elif nxt is not None and nxt.text == "^":
            reader.fail(f'{name} needs a plain string ("..." or "..."@lang), not a typed literal')
        try:
            return string_value(token.text)
        except TextSearchError as exc:
            reader.fail(str(exc))
    if predicate == SCORE:
        if token.kind != "var":
            reader.fail(f"{name} needs a variable (?score), not {token.text}")
        if token.text[1:] == subject[1:]:
            reader.fail(f"{name} {token.text}: the score needs a variable other than the subject")
        return token.text
    if predicate == LIMIT:
        number = _NUMBER.match(reader.text, reader.items[reader.at - 1].start)
        if token.kind != "other" or number is None:
            reader.fail(f"{name} needs a whole number, not {token.text}")
        reader.skip_to(number.end())
        value = number.group()
        if not value.lstrip("+").isdigit() or not 1 <= int(value) <= MAX_LIMIT:
            reader.fail(f"{name} {value}: give a whole number from 1 to {MAX_LIMIT}")
        return int(value)
    if token.kind not in ("iri", "pname"):
        reader.fail(f"{name} needs a class IRI, not {token.text}")
    return reader.iri(token, name)


def _block(reader: _Reader, start: int) -> Block:
    """Parse the braces of a block (the reader on its ``{``) into a :class:`Block`."""
    if reader.take().text != "{":
        reader.fail("expected '{' after the service IRI")
    subject: str | None = None
    found: dict[str, list] = {p: [] for p in PREDICATES}
    while True:
        token = reader.take()
        if token.text == "}":
            break
        if token.kind != "var":
            what = "a variable (?entity)" if subject is None else f"{subject} again"
            if token.text in "{([" or token.kind == "word":
                reader.fail(f"only triples about one variable go in the block; found {token.text}")
            reader.fail(f"the subject must be {what}, not {token.text}")
        if subject is not None and token.text[1:] != subject[1:]:
            reader.fail(f"every triple must be about {subject}, not {token.text}")
        subject = token.text
        while True:
            verb = reader.take()
            if verb.kind not in ("iri", "pname"):
                reader.fail(f"expected {_VOCABULARY}, found {verb.text}")
            predicate = reader.iri(verb, "predicate")
            if predicate not in PREDICATES:
                reader.fail(f"unknown predicate {verb.text}: use {_VOCABULARY}")
            found[predicate].append(_object(reader, predicate, subject))
            while reader.peek() is not None and reader.peek().text == ",":
                reader.take()
                found[predicate].append(_object(reader, predicate, subject))
            while reader.peek() is not None and reader.peek().text == ";":
                reader.take()
            nxt = reader.peek()
            if nxt is None or nxt.kind not in ("iri", "pname"):
                break
        nxt = reader.peek()
        if nxt is not None and nxt.text == ".":
            reader.take()
        elif nxt is None or nxt.text != "}":
            reader.fail(f"expected '.', ';' or '}}' after a triple, found {reader.take().text}")
    if subject is None:
        reader.fail('the block is empty: give ?entity text:matches "words"')
    for predicate in (MATCHES, SCORE, LIMIT):
        if len(found[predicate]) > 1:
            reader.fail(
                f"{PREDICATES[predicate]} is given {len(found[predicate])} times; give it once"
            )
    if not found[MATCHES]:
        reader.fail(f'no text:matches: give {subject} text:matches "words"')
    query = found[MATCHES][0]
    if not words(query):
        reader.fail(f"text:matches {query!r} has no words to search for")
    return Block(
        start=start,
        end=reader.items[reader.at - 1].end,
        subject=subject,
        words=query,
        score=(found[SCORE] or [None])[0],
        limit=(found[LIMIT] or [DEFAULT_LIMIT])[0],
        classes=frozenset(found[CLASS]) if found[CLASS] else None,
    )


def blocks(
    text: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None
) -> list[Block]:
    """The ``SERVICE text:`` blocks of a query, in order; :class:`TextSearchError` for a
    malformed one. ``prefixes`` and ``base_iri`` are those the store applies too."""
    declared, base = dict(prefixes or {}), base_iri
    items = _split_final_dot(tokens_with_spans(text))
    found: list[Block] = []
    i = 0
    while i < len(items):
        token = items[i].token
        following = [item.token for item in items[i + 1 : i + 3]]
        in_prologue, base = declare(token, following, declared, base)
        if not in_prologue and token.is_keyword("SERVICE") and following:
            j = i + 2 if following[0].is_keyword("SILENT") else i + 1
            target = items[j].token if j < len(items) else None
            if target is not None and expand(target, declared, base) == SERVICE:
                line = text.count("\n", 0, items[i].start) + 1
                where = f"SERVICE {target.text} (line {line})"
                reader = _Reader(text, items, j + 1, where, declared, base)
                found.append(_block(reader, items[i].start))
                i = reader.at
                continue
        i += 1
    return found


def values(block: Block, hits: list[tuple[str, int]], text: str = "") -> str:
    """The ``VALUES`` block that stands for ``block`` given its ``hits``; as many line breaks
    as the block's ``text`` had, so that the store's error messages keep their line numbers."""
    if block.score is None:
        head, rows = block.subject, [f"<{iri}>" for iri, _ in hits]
    else:
        head = f"({block.subject} {block.score})"
        rows = [f"(<{iri}> {score})" for iri, score in hits]
    return " ".join(["VALUES", head, "{", *rows, "}"]) + "\n" * text.count("\n")


def rewrite(
    text: str, prefixes: Mapping[str, str] | None, base_iri: str | None, search: Search
) -> str:
    """``text`` with each ``SERVICE text:`` block replaced by the ``VALUES`` of its hits,
    which ``search(words, limit, classes)`` gives; :class:`TextSearchError` if one is
    malformed, or if there are more than :data:`MAX_BLOCKS`."""
    found = blocks(text, prefixes, base_iri)
    expected = sum(s.endpoint == SERVICE for s in scan(text, prefixes, base_iri).services)
    if len(found) != expected:
        raise TextSearchError(
            f"SERVICE <{SERVICE}>: write the block without \\u escapes outside its strings."
        )
    if len(found) > MAX_BLOCKS:
        raise TextSearchError(
            f"SERVICE <{SERVICE}>: the query has {len(found)} text search blocks; at most "
            f"{MAX_BLOCKS} are allowed."
        )
    out, at = [], 0
    for block in found:
        hits = search(block.words, block.limit, block.classes)
        out += [text[at : block.start], values(block, hits, text[block.start : block.end])]
        at = block.end
    return "".join(out) + text[at:]


def searcher(get_index: Callable[[], SearchIndex]) -> Search:
    """A :data:`Search` over the index ``get_index()`` returns at each call (it may be
    built on first use, or made again after a write)."""
    return lambda query, limit, classes: get_index().ranked(query, limit, classes)
