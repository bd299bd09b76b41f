"""Read what a SPARQL request asks for before the store sees it, without a full parser.

pyoxigraph parses and runs a query in one call and exposes no algebra, so the endpoint reads
the query's tokens itself to learn: the query form (or that it is an update), whether it names
its own dataset (``FROM`` / ``FROM NAMED``), the endpoints its ``SERVICE`` clauses call, and
whether it is a lookup whose work can be bounded before it runs (``DESCRIBE <iri>``, or a
CONSTRUCT of the triples matching a few patterns: :func:`pattern_lookup`).

The tokenizer follows the SPARQL 1.1 lexical grammar far enough to be safe: comments, strings
(short and long, with escapes) and IRIs are whole tokens, so a keyword inside them is not a
keyword; codepoint escapes (``\\u0053``) are decoded first, as the grammar says (section 19.2).
rdflib's full parser is the oracle it is tested against (``tests/test_sparql_scan.py``); it is
not used at run time because it takes milliseconds per query where this takes microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_FORMS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\"
              |'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
              |\"(?:[^\"\\\r\n]|\\.)*\"
              |'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<pname>(?:[^\W\d][\w.\-]*)?:(?:[\w\-:%.]|\\[^\s])*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """A lexical token: its kind (``word``, ``iri``, ``pname``, ``var``, ...) and text."""

    kind: str
    text: str

    def is_keyword(self, *words: str) -> bool:
        """Whether this is one of the keywords ``words`` (SPARQL keywords ignore case)."""
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True)
class Service:
    """A ``SERVICE`` clause: the endpoint IRI it calls, or ``None`` when it is a variable."""

    endpoint: str | None
    written: str
    silent: bool


#: A triple pattern of IRIs and variables: each position holds the IRI, or ``None`` for a
#: variable.
Pattern = tuple[str | None, str | None, str | None]
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Scan:
    """What a request's text asks for."""

    form: str | None
    """``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``, an update keyword, or ``None``."""
    has_dataset: bool
    """Whether the query has ``FROM`` or ``FROM NAMED`` clauses."""
    services: tuple[Service, ...]
    """The ``SERVICE`` clauses, in order."""
    depth: int = 0
    """How deeply brackets (``{``, ``(``, ``[``) nest, at most."""
    lookup: str | None = None
    """The IRI when the query is ``DESCRIBE <iri>`` and nothing more (after its prologue): no
    ``WHERE``, no dataset, one resource. Its work is bounded by the rows it returns."""
    patterns: tuple[Pattern, ...] | None = None
    """When the query is a CONSTRUCT that returns the triples matching a few triple patterns
    and nothing else (:func:`pattern_lookup`): those patterns."""

    @property
    def is_update(self) -> bool:
        """Whether the text is a SPARQL Update rather than a query."""
        return self.form in UPDATE_FORMS


def decode_codepoints(text: str) -> str:
    """Replace ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes by their characters, as SPARQL does."""

    def char(match: re.Match) -> str:
        """The character an escape stands for (out-of-range escapes stay as written)."""
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _CODEPOINT.sub(char, text) if "\\u" in text or "\\U" in text else text


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of ``text`` (no spaces, no comments)."""
    for match in _TOKEN.finditer(decode_codepoints(text)):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group())


@dataclass(frozen=True)
class Spanned:
    """A token with where it stands in the text it was read from: ``text[start:end]``."""

    token: Token
    start: int
    end: int


def tokens_with_spans(text: str) -> Iterator[Spanned]:
    """The significant tokens of ``text`` as written, with their offsets in ``text``.

    Unlike :func:`tokens`, codepoint escapes are *not* decoded first (decoding would move the
    offsets): a caller that cuts ``text`` at these offsets and meets an escape outside a
    string must refuse or decode itself.
    """
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Spanned(Token(kind, match.group()), match.start(), match.end())


def expand(token: Token, prefixes: Mapping[str, str], base: str | None) -> str | None:
    """The IRI an IRI or prefixed-name token stands for, ``None`` if it cannot be resolved
    (a prefix not in ``prefixes``, or another kind of token); relative IRIs against ``base``."""
    return _expand(token, prefixes, base)


def _expand(token: Token, prefixes: Mapping[str, str], base: str | None) -> str | None:
    """The IRI an IRI or prefixed-name token stands for, ``None`` if it cannot be resolved."""
    if token.kind == "iri":
        iri = token.text[1:-1]
        return urljoin(base, iri) if base and ":" not in iri.split("/")[0] else iri
    if token.kind == "pname":
        prefix, _, local = token.text.rstrip(".").partition(":")
        namespace = prefixes.get(prefix)
        return None if namespace is None else namespace + re.sub(r"\\(.)", r"\1", local)
    return None


def declare(
    token: Token, following: Sequence[Token], declared: dict[str, str], base: str | None
) -> tuple[bool, str | None]:
    """Follow the prologue: when ``token`` starts a ``PREFIX`` or ``BASE`` declaration
    (``following``: the next two tokens), record the prefix in ``declared``; return whether it
    did, and the base IRI from here on."""
    if token.is_keyword("PREFIX") and len(following) == 2 and following[0].kind == "pname":
        iri = _expand(following[1], declared, base)
        if iri is not None:
            declared[following[0].text.split(":")[0]] = iri
        return True, base
    if token.is_keyword("BASE") and following and following[0].kind == "iri":
        return True, _expand(following[0], declared, base)
    return False, base


def scan(text: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None) -> Scan:
    """Scan a query or update. ``prefixes`` and ``base_iri`` are those the store applies too."""
    declared = dict(prefixes or {})
    base = base_iri
    form: str | None = None
    has_dataset = False
    services: list[Service] = []
    items = list(tokens(text))
    depth = deepest = 0
    lookup = None
    patterns = None
    for i, token in enumerate(items):
        if token.kind == "other" and token.text in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == "other" and token.text in "})]":
            depth -= 1
        following = items[i + 1 : i + 3]
        in_prologue, base = declare(token, following, declared, base)
        if in_prologue:
            continue
        if (
            form is None
            and token.kind == "word"
            and token.text.upper() in QUERY_FORMS | UPDATE_FORMS
        ):
            form = token.text.upper()
            if form == "DESCRIBE" and len(items) == i + 2:
                lookup = _expand(items[i + 1], declared, base)
            elif form == "CONSTRUCT":
                patterns = pattern_lookup(items[i + 1 :], declared, base)
        elif token.is_keyword("FROM"):
            has_dataset = True
        elif token.is_keyword("SERVICE"):
            silent = bool(following) and following[0].is_keyword("SILENT")
            target = following[1] if silent and len(following) > 1 else (following or [None])[0]
            if target is None:
                continue
            endpoint = None if target.kind == "var" else _expand(target, declared, base)
            services.append(Service(endpoint, target.text, silent))
    return Scan(form, has_dataset, tuple(services), deepest, lookup, patterns)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def pattern_lookup(
    items: Sequence[Token], prefixes: Mapping[str, str], base: str | None
) -> tuple[Pattern, ...] | None:
    """The triple patterns of a CONSTRUCT whose answer is exactly the triples that match them
    in the default graph, or ``None`` for any other query. ``items``: the tokens after
    ``CONSTRUCT``.

    Recognised: the template lists the same patterns as the WHERE clause, which is one
    pattern or a ``UNION`` of groups of one pattern each, and nothing follows (no dataset, no
    solution modifier)::

        CONSTRUCT { <e> ?p ?o . ?s ?q <e> } WHERE { { <e> ?p ?o } UNION { ?s ?q <e> } }
        CONSTRUCT WHERE { <e> ?p ?o }

    Each pattern holds absolute IRIs (written whole, as prefixed names, or ``a``) and at
    least one variable, a variable at most once, and the patterns share no variable. That
    last rule is what makes the answer the matching triples: a template pattern is
    instantiated by every solution, so one that shared a variable with another pattern's
    branch would also be written from that branch's solutions, as a triple that need not be
    in the data; a pattern without a variable would be written for every solution.
    """
    tokens_ = _split_trailing_dots(items)
    if tokens_[:1] and tokens_[0].is_keyword("WHERE"):  # the short form: CONSTRUCT WHERE
        group = _read_group(tokens_, 1)
        if group is None or group[1] != len(tokens_) or len(group[0]) != 1:
            return None
        template = where = group[0]
    else:
        read = _read_group(tokens_, 0)
        if read is None:
            return None
        template, at = read
        if at < len(tokens_) and tokens_[at].is_keyword("WHERE"):
            at += 1
        found = _read_union(tokens_, at)
        if found is None or found[1] != len(tokens_):
            return None
        where = found[0]
    if len(set(where)) != len(where) or set(template) != set(where):
        return None
    patterns = []
    seen: set[str] = set()
    for terms in where:
        names = [t.text[1:] for t in terms if t.kind == "var"]
        if not names or len(names) == 3 or len(set(names)) != len(names) or seen & set(names):
            return None
        seen.update(names)
        pattern = tuple(None if t.kind == "var" else _constant(t, prefixes, base) for t in terms)
        if any(p == "" for p in pattern):
            return None
        patterns.append(pattern)
    return tuple(patterns)


def _split_trailing_dots(items: Sequence[Token]) -> list[Token]:
    """``items`` with a prefixed name's trailing ``.`` made a token of its own (a local name
    cannot end with ``.``, so the dot ends the triple: ``ex:a ex:b ex:c.``)."""
    out = []
    for token in items:
        if token.kind == "pname" and token.text.endswith("."):
            stripped = token.text.rstrip(".")
            out.append(Token("pname", stripped))
            out.extend(Token("other", ".") for _ in range(len(token.text) - len(stripped)))
        else:
            out.append(token)
    return out


_Terms = tuple[Token, Token, Token]


def _read_group(items: Sequence[Token], at: int) -> tuple[list[_Terms], int] | None:
    """Read ``{ t t t . t t t ... }`` from ``at``: the triples and where the group ends."""
    if at >= len(items) or items[at].text != "{" or items[at].kind != "other":
        return None
    at += 1
    triples: list[_Terms] = []
    while at < len(items) and items[at].text != "}":
        terms = tuple(items[at : at + 3])
        if len(terms) != 3 or not all(
            t.kind in ("var", "iri", "pname") or (i == 1 and t.kind == "word" and t.text == "a")
            for i, t in enumerate(terms)
        ):
            return None
        triples.append(terms)
        at += 3
        if at < len(items) and items[at].text == "." and items[at].kind == "other":
            at += 1
        elif at < len(items) and items[at].text != "}":
            return None
    if at >= len(items) or not triples:
        return None
    return triples, at + 1


def _read_union(items: Sequence[Token], at: int) -> tuple[list[_Terms], int] | None:
    """Read a WHERE clause of one pattern, ``{ t t t }``, or of ``{ { t t t } UNION { ... }
    ... }``: the patterns and where the clause ends."""
    single = _read_group(items, at)
    if single is not None:
        return (single[0], single[1]) if len(single[0]) == 1 else None
    if at >= len(items) or items[at].text != "{":
        return None
    at += 1
    where: list[_Terms] = []
    while True:
        branch = _read_group(items, at)
        if branch is None or len(branch[0]) != 1:
            return None
        where += branch[0]
        at = branch[1]
        if at < len(items) and items[at].is_keyword("UNION"):
            at += 1
            continue
        break
    if len(where) < 2 or at >= len(items) or items[at].text != "}":
        return None
    return where, at + 1


def _constant(token: Token, prefixes: Mapping[str, str], base: str | None) -> str:
    """The absolute IRI a pattern's constant stands for; ``""`` when it has none here (an
    undeclared prefix, a relative IRI: the store would resolve those its own way)."""
    if token.kind == "word":
        return RDF_TYPE
    if token.kind == "iri" and not _SCHEME.match(token.text[1:]):
        return ""
    iri = _expand(token, prefixes, base)
    return iri if iri is not None and _SCHEME.match(iri) else ""
