"""A least-recently-used cache of decoded frames with a memory budget.

Decoding is the slow part of showing an image, so decoded frames are kept until the
budget (1 GB by default, in settings) is spent; then the least recently shown go first.
Thread-safe: the loader thread puts, the UI thread gets.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_BUDGET_BYTES = 1024**3


class FrameCache(Generic[K, V]):
    """Maps keys to values; ``size_of(value)`` bytes count against ``budget_bytes``."""

    def __init__(self, size_of: Callable[[V], int], budget_bytes: int = DEFAULT_BUDGET_BYTES):
        self._size_of = size_of
        self._budget = budget_bytes
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used_bytes(self) -> int:
        """Bytes held now."""
        return self._used

    @property
    def budget_bytes(self) -> int:
        """The most bytes the cache holds."""
        return self._budget

    def set_budget(self, budget_bytes: int) -> None:
        """Change the budget; evicts at once if it shrank."""
        with self._lock:
            self._budget = max(0, budget_bytes)
            self._evict()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: K, value: V) -> None:
        """Store ``value``; a value larger than the whole budget is not kept."""
        size = self._size_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            if size > self._budget:
                return
            self._items[key] = (value, size)
            self._used += size
            self._evict()

    def clear(self) -> None:
        """Forget everything (a new medium was opened)."""
        with self._lock:
            self._items.clear()
            self._used = 0

    def _evict(self) -> None:
        while self._used > self._budget and self._items:
            _, (_, size) = self._items.popitem(last=False)
            self._used -= size
