"""Conditional requests for the browsing pages: ETag, Last-Modified, 304 before any query.

The served graph does not change while the server runs, so a page is a function of the data,
the code and the request (path, query string, chosen format and, for HTML, language). The ETag
is a hash of these; it is computed *before* the page is, so a repeated request that sends
``If-None-Match`` (or ``If-Modified-Since``) is answered 304 without running a query. The
ETag is weak (``W/``): the gzip step may change the bytes, not the meaning.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask import Response, request

#: How long browsers and proxies may reuse a page without asking again.
MAX_AGE = 300


def etag_for(fingerprint: str, *parts: str) -> str:
    """The ETag value (without ``W/`` and quotes) of a page made from ``parts``."""
    seed = "\x00".join((fingerprint, request.full_path, *parts))
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def last_modified(timestamp: float) -> datetime | None:
    """The data's modification time as an aware datetime (``None`` when unknown)."""
    if timestamp <= 0:
        return None
    return datetime.fromtimestamp(int(timestamp), UTC)


def not_modified(etag: str, modified: datetime | None) -> bool:
    """Whether the client's copy is current (``If-None-Match``, else ``If-Modified-Since``)."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return bool(since and modified and modified <= since)


def validators(response: Response, etag: str, modified: datetime | None) -> Response:
    """Put the ETag, Last-Modified and Cache-Control headers on ``response``."""
    response.set_etag(etag, weak=True)
    if modified is not None:
        response.last_modified = modified
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def answer_304(etag: str, modified: datetime | None, headers: dict[str, str]) -> Response:
    """The 304 answer, with the validators and the headers a 200 would carry (Vary, Link)."""
    response = Response(status=304)
    del response.headers["Content-Type"]
    for name, value in headers.items():
        response.headers[name] = value
    return validators(response, etag, modified)
