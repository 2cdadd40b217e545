"""A small LRU of loaded volumes, filled ahead of the reviewer by one background thread."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PrefetchCache(Generic[K, V]):
    """`get` returns a loaded value (waiting for a prefetch already under way, never loading the
    same key twice at once); `prefetch` queues loads on one worker thread. `load(key, background)`
    is told whether it runs for a prefetch (True) or for a caller who waits (False).

    Entries are evicted least recently used first once `max_bytes` (as `size_of` counts them)
    or `max_items` is exceeded; the entry just used is never evicted.
    """

    def __init__(
        self,
        load: Callable[[K, bool], V],
        size_of: Callable[[V], int],
        *,
        max_bytes: int = 1 << 30,
        max_items: int = 16,
        prefetch_delay: float = 0.0,
    ) -> None:
        self._load = load
        self._size_of = size_of
        self._max_bytes = max_bytes
        self._max_items = max_items
        self._prefetch_delay = prefetch_delay
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, Future[V]] = OrderedDict()
        # One worker: prefetch must not starve the case on screen of the 2 cores.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="naesview-prefetch")

    def get(self, key: K) -> V:
        with self._lock:
            future = self._entries.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._entries[key] = future
            self._entries.move_to_end(key)
        if owner:
            self._run(key, future, background=False)
        try:
            return future.result()
        finally:
            self._evict(keep=key)

    def prefetch(self, keys: Iterable[K]) -> None:
        with self._lock:
            todo: list[tuple[K, Future[V]]] = []
            for key in keys:
                if key in self._entries:
                    continue
                future: Future[V] = Future()
                self._entries[key] = future
                self._entries.move_to_end(key, last=False)  # prefetched, not yet used: older
                todo.append((key, future))
        if todo and self._prefetch_delay:
            # Let the answer for the case on screen (and its voxel requests) go out first:
            # the worker would otherwise take the GIL right away.
            self._pool.submit(time.sleep, self._prefetch_delay)
        for key, future in todo:
            self._pool.submit(self._run, key, future, background=True)

    def cached(self, key: K) -> bool:
        with self._lock:
            future = self._entries.get(key)
        return future is not None and future.done() and future.exception() is None

    def discard(self, key: K) -> None:
        """Forget `key` (its value turned out broken); the next `get` loads it again."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.clear()

    def _run(self, key: K, future: Future[V], *, background: bool) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(self._load(key, background))
        except BaseException as exc:
            future.set_exception(exc)
            with self._lock:  # a failed load is not cached: the next `get` tries again
                if self._entries.get(key) is future:
                    del self._entries[key]

    def _evict(self, keep: K) -> None:
        with self._lock:
            total = 0
            sizes: dict[K, int] = {}
            for key, future in self._entries.items():
                if future.done() and future.exception() is None:
                    sizes[key] = self._size_of(future.result())
                    total += sizes[key]
            for key in list(self._entries):
                if total <= self._max_bytes and len(self._entries) <= self._max_items:
                    break
                if key == keep or key not in sizes:
                    continue
                total -= sizes[key]
                del self._entries[key]
