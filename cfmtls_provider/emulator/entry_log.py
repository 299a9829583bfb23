"""What the API request log and the edge request log share: entries kept in order under a lock."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["EntryLog"]

T = TypeVar("T")


class EntryLog(Generic[T]):
    """Thread-safe (the servers' threads add, the admin routes read); with a ``limit``, the oldest entries go
    first."""

    def __init__(self, limit: int | None = None) -> None:
        self._entries: list[T] = []
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, entry: T) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._limit is not None:
                del self._entries[: max(0, len(self._entries) - self._limit)]

    def snapshot(self) -> list[T]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
