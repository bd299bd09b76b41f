"""A result cache per data version: repeated queries are answered without evaluating them.

A public endpoint sees the same queries again and again (canned queries, pages, dashboards),
and evaluating a GROUP BY or a join over millions of triples costs tens or hundreds of
milliseconds each time. While the data does not change, the answer does not either, so each
worker process keeps the written answers of recent queries, keyed by everything that decides
the bytes of the answer (query text, dataset, formats, row cap) and by the data version. A
change of version (a write, a reload) makes every older entry unreachable.

Entries are evicted least-recently-used first, to keep the bytes held under a budget; an
answer larger than a quarter of the budget is never cached. A budget of 0 turns caching off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ResultCache(Generic[V]):
    """An LRU map from (data version, key) to a value of known size, bounded in bytes."""

    def __init__(self, budget_bytes: int):
        """``budget_bytes`` is the most the cached values may add up to (0: cache nothing)."""
        self.budget = max(0, budget_bytes)
        self.held = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[Hashable, Hashable], tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: Hashable, key: Hashable) -> V | None:
        """The cached value for ``key`` at ``version``, or ``None``."""
        if not self.budget:
            return None
        with self._lock:
            found = self._entries.get((version, key))
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.hits += 1
            return found[0]

    def put(self, version: Hashable, key: Hashable, value: V, size: int) -> None:
        """Remember ``value`` (``size`` bytes) for ``key`` at ``version``, evicting as needed."""
        if not self.budget or size > self.budget // 4:
            return
        with self._lock:
            old = self._entries.pop((version, key), None)
            if old is not None:
                self.held -= old[1]
            self._entries[(version, key)] = (value, size)
            self.held += size
            while self.held > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.held -= dropped

    def __len__(self) -> int:
        return len(self._entries)
