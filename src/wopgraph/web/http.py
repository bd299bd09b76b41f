"""What every response shares: plain-text errors, gzip, and reading form-encoded bodies.

The largest request body is ``MAX_CONTENT_LENGTH`` (the ``max_body_mb`` setting, applied by
:func:`wopgraph.web.create_app`). Werkzeug checks it against ``Content-Length`` before the body
is read and, for a chunked body without one, while it is read (gunicorn marks such streams
``wsgi.input_terminated``), through :class:`CappedStream`; either way :func:`too_large` answers.
"""

from __future__ import annotations

import gzip
from typing import IO
from urllib.parse import unquote_to_bytes

import flask
from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.http import parse_accept_header
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from wopgraph.config import env_name, flag_name

#: Bodies smaller than this are sent as they are: gzip would save little and cost time.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
#: Bytes in the megabyte of the ``max_body_mb`` setting.
MEGABYTE = 1024 * 1024


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response whose body is the message, as plain text."""
    response = Response(message.rstrip() + "\n", status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class CappedStream(LimitedStream):
    """A request body without ``Content-Length`` that may not be longer than ``limit`` bytes.

    Werkzeug's own stream (3.1) raises 413 when a read goes past the cap, but its ``readall``,
    which ``request.get_data()`` uses, stops at the cap and returns the body cut short: a
    chunked query or form over the cap would be run truncated. This one reads one more byte
    at the cap, and if there is one, the body was too long.
    """

    def __init__(self, stream: IO[bytes], limit: int):
        """Read ``stream`` up to ``limit`` bytes."""
        super().__init__(stream, limit, is_max=True)
        self.source = stream

    def readall(self) -> bytes:
        """The whole body; 413 if it goes on past the cap."""
        data = super().readall()
        if self.is_exhausted and self.source.read(1):
            raise RequestEntityTooLarge()
        return data


class Request(flask.Request):
    """Flask's request, with chunked bodies over ``MAX_CONTENT_LENGTH`` refused, not cut."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, guarded against reading past its length or the cap (see werkzeug's)."""
        limit = self.max_content_length
        terminated = "wsgi.input_terminated" in self.environ
        if self.shallow or limit is None or self.content_length is not None or not terminated:
            return super().stream
        return CappedStream(self.environ["wsgi.input"], limit)


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


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (with a q-value above 0)."""
    if "gzip" not in accept_encoding.lower() and "*" not in accept_encoding:
        return False  # cheaper than parsing a header that cannot accept gzip
    return parse_accept_header(accept_encoding)["gzip"] > 0


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
    if not accepts_gzip(request.headers.get("Accept-Encoding", "")):
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


def too_large(exc: RequestEntityTooLarge) -> Response:
    """413 for a body over ``MAX_CONTENT_LENGTH``, naming the limit and the setting to raise it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit or exc.description != RequestEntityTooLarge.description:
        return http_error(exc)  # not the cap's: a 413 raised with its own message keeps it
    megabytes = round(limit / MEGABYTE, 3)
    return text_error(
        413,
        f"Content Too Large: the request body is over {megabytes:g} MB, the most this server "
        f"accepts (setting {flag_name('max_body_mb')} / {env_name('max_body_mb')}).",
    )


def install(app: Flask) -> None:
    """Register the shared request class, error handlers and gzip step on ``app``."""
    app.request_class = Request
    app.register_error_handler(405, http_error)
    app.register_error_handler(413, too_large)
    app.after_request(compress)
