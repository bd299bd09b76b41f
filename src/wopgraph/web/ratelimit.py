"""Per-client rate limit on the requests that run queries, one budget across gunicorn workers.

With the ``rate_limit`` setting at N > 0, each client has a token bucket holding at most
``max(1, N // 6)`` tokens (the burst), refilled at N / 60 tokens a second. A counted request
takes a token; without one it gets 429 with ``Retry-After`` (whole seconds until a token is
back, at least 1) and a plain-text message naming the limit and the setting. At 0 nothing is
installed, so nothing is spent.

Counted (:func:`counted`): ``/sparql`` POSTs and GETs with ``query=`` or ``update=`` (not the
service description or query page a bare GET returns); a canned query ``/queries/<name>`` in
every format, its HTML page included, since each runs the query; and every request under
``/reconcile``, whose matching and extending run queries. Not counted: CORS preflights
(``OPTIONS``), static files, the browsing pages, the dumps, ``/queries/`` (the list).

The client is ``request.remote_addr``, the peer of the connection: behind a reverse proxy every
request comes from the proxy, so there limit at the proxy instead (this app does not trust
``X-Forwarded-For``, which any client can write).

gunicorn's sync workers are processes forked from the master after :func:`install` ran (the
app is preloaded), so the buckets live in an anonymous shared ``mmap`` made here, guarded by a
``multiprocessing.Lock`` also made here: every worker reads and writes the same table. The
table (:class:`Buckets`) has a fixed number of slots, found by open addressing from a hash of
the client's address; when the slots a client may use are all taken, the one least recently
used is given to it. That forgets the client that has been quiet longest, whose bucket has
most likely refilled anyway. Times are ``time.monotonic()``, one clock for all processes of
the machine (Linux: ``CLOCK_MONOTONIC``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import mmap
import multiprocessing
import re
import struct
import time
from collections.abc import Callable, Mapping

from flask import Flask, Response, request

from wopgraph.config import env_name, flag_name
from wopgraph.web.http import text_error

LOG = logging.getLogger(__name__)

#: One slot: the client's key (0: free), its tokens, and when they were counted.
SLOT = struct.Struct("=Qdd")
#: Slots in the table: about this many clients are remembered at once (96 KiB).
SLOTS = 4096
#: Slots a client may use, from the one its key points to: how far a lookup searches.
PROBE = 32
#: Seconds a worker waits for the lock before letting the request through unlimited: a worker
#: killed while holding it (gunicorn's timeout) must not stop every other one for good.
LOCK_WAIT = 1.0
#: Tolerance of the token arithmetic (floats): a bucket this close to 1 token has one.
EPSILON = 1e-9

#: Paths whose requests are counted; ``/sparql`` only when it runs something (:func:`counted`).
COUNTED_PATHS = (
    re.compile(r"/queries/[^/]+"),
    re.compile(r"/reconcile(/.*)?"),
)
ENDPOINT_PATH = re.compile(r"/sparql/?")
#: Parameters that make a ``/sparql`` GET run something rather than describe the endpoint.
OPERATIONS = ("query", "update")


def counted(method: str, path: str, args: Mapping[str, str]) -> bool:
    """Whether a request (its method, path and URL parameters) takes a token."""
    if method == "OPTIONS":
        return False
    if ENDPOINT_PATH.fullmatch(path):
        return method == "POST" or any(name in args for name in OPERATIONS)
    return any(pattern.fullmatch(path) for pattern in COUNTED_PATHS)


def burst(per_minute: int) -> int:
    """The bucket's size for a limit of ``per_minute``: a sixth of it, at least 1."""
    return max(1, per_minute // 6)


def spend(tokens: float, elapsed: float, rate: float, capacity: float) -> tuple[float, float]:
    """One request against a bucket that held ``tokens`` ``elapsed`` seconds ago.

    Returns the tokens left and the seconds to wait: 0 when the request may go on (it took a
    token), else how long until the bucket, refilled at ``rate`` a second, holds one.
    """
    tokens = min(capacity, tokens + max(0.0, elapsed) * rate)
    if tokens + EPSILON >= 1:
        return max(0.0, tokens - 1), 0.0
    return tokens, (1 - tokens) / rate


def retry_after(wait: float) -> int:
    """The ``Retry-After`` of a wait: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait - EPSILON))


def client_key(client: str) -> int:
    """A client address as a table key: a stable 64-bit hash, never 0 (a free slot)."""
    key = int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "little")
    return key or 1


class Buckets:
    """The token buckets of all clients, in memory shared with processes forked later."""

    def __init__(
        self,
        per_minute: int,
        slots: int = SLOTS,
        clock: Callable[[], float] = time.monotonic,
    ):
        """Buckets for a limit of ``per_minute``, in a table of ``slots`` slots, on ``clock``."""
        self.per_minute = per_minute
        self.rate = per_minute / 60
        self.capacity = float(burst(per_minute))
        self.slots = slots
        self.clock = clock
        self.memory = mmap.mmap(-1, slots * SLOT.size, flags=mmap.MAP_SHARED)
        self.lock = multiprocessing.Lock()

    def take(self, client: str) -> float:
        """Take a token for ``client``: 0 when it may go on, else the seconds until it may."""
        key = client_key(client)
        if not self.lock.acquire(timeout=LOCK_WAIT):
            LOG.warning("rate limit: the lock was not free, request let through")
            return 0.0
        try:
            now = self.clock()
            index, tokens, last = self._slot(key, now)
            tokens, wait = spend(tokens, now - last, self.rate, self.capacity)
            SLOT.pack_into(self.memory, index * SLOT.size, key, tokens, now)
        finally:
            self.lock.release()
        return wait

    def _slot(self, key: int, now: float) -> tuple[int, float, float]:
        """The slot of ``key`` and its bucket (tokens, when): its own, a free one, or the oldest.

        Slots are never freed, only reused, so a free slot ends the search: ``key`` would have
        been put there or before.
        """
        oldest, oldest_time = -1, math.inf
        for step in range(min(PROBE, self.slots)):
            index = (key + step) % self.slots
            found, tokens, last = SLOT.unpack_from(self.memory, index * SLOT.size)
            if found == key:
                return index, tokens, last
            if found == 0:
                return index, self.capacity, now
            if last < oldest_time:
                oldest, oldest_time = index, last
        return oldest, self.capacity, now


def refusal(per_minute: int, wait: float) -> Response:
    """The 429 answer to a client over the limit."""
    seconds = retry_after(wait)
    return text_error(
        429,
        f"Too Many Requests: this server answers at most {per_minute} requests a minute (in "
        f"bursts of up to {burst(per_minute)}) from each client to /sparql, /queries/ and "
        f"/reconcile. Try again in {seconds} s. The limit is the setting "
        f"{flag_name('rate_limit')} / {env_name('rate_limit')}.",
        {
            "Retry-After": str(seconds),
            # Every counted path answers any origin, so pages elsewhere may read this too.
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "Retry-After",
        },
    )


def install(app: Flask) -> None:
    """Limit ``app``'s counted requests per client, if the ``rate_limit`` setting asks for it.

    Call it before gunicorn forks its workers (in :func:`wopgraph.web.create_app`), so that
    they share the buckets.
    """
    per_minute = app.config["WOPGRAPH_SETTINGS"].rate_limit
    if per_minute <= 0:
        return
    buckets = Buckets(per_minute)
    app.extensions["wopgraph.ratelimit"] = buckets

    def limit() -> Response | None:
        """Refuse the request if it is counted and its client has no token left."""
        if not counted(request.method, request.path, request.args):
            return None
        wait = buckets.take(request.remote_addr or "")
        return refusal(per_minute, wait) if wait > 0 else None

    app.before_request(limit)
