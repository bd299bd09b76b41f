"""What every response shares: plain-text errors, gzip, and reading form-encoded bodies."""

from __future__ import annotations

import gzip
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

#: Bodies smaller than this are sent as they are: gzip would save little and cost time.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response whose body is the message, as plain text."""
    response = Response(message.rstrip() + "\n", status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def parse_pairs(raw: bytes) -> list[tuple[str, str]]:
    """Decode ``application/x-www-form-urlencoded`` bytes; non-UTF-8 raises UnicodeDecodeError.

    Werkzeug replaces bad bytes silently, but the SPARQL protocol wants them refused.
    """
    pairs = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append(
            (
                unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8"),
                unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"),
            )
        )
    return pairs


def compress(response: Response) -> Response:
    """Gzip a finished response body above :data:`GZIP_MIN_BYTES` when the client accepts it."""
    if (
        not 200 <= response.status_code < 300
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
    ):
        return response
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return response
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return response
    response.set_data(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (405, 413, ...) as plain text, keeping their headers (``Allow``)."""
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return text_error(exc.code or 500, f"{exc.name}: {exc.description}", headers)


def install(app: Flask) -> None:
    """Register the shared error handlers and the gzip step on ``app``."""
    app.register_error_handler(405, http_error)
    app.register_error_handler(413, http_error)
    app.after_request(compress)
