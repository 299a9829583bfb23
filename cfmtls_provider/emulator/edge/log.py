"""The edge request log: one entry per request, like the API request log (``/__emulator__/edge-requests``)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EdgeLog", "EdgeLogEntry"]


@dataclass(frozen=True)
class EdgeLogEntry:
    time: float
    ray_id: str
    hostname: str
    path: str
    method: str
    presented: bool
    verified: bool
    issuer_ski: str
    failure: str
    rule_id: str | None
    rule_ref: str | None
    zone_id: str | None
    action: str | None
    status: int
    error: str | None = None


class EdgeLog:
    """Thread-safe, bounded (the oldest entries go first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._entries: list[EdgeLogEntry] = []
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, entry: EdgeLogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            del self._entries[: max(0, len(self._entries) - self._limit)]

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
