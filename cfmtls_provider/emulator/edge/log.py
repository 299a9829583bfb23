"""The edge request log: one entry per request, like the API request log (``/__emulator__/edge-requests``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..entry_log import EntryLog

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


class EdgeLog(EntryLog[EdgeLogEntry]):
    """Bounded: the oldest entries go first."""

    def __init__(self, limit: int = 10_000) -> None:
        super().__init__(limit)

    def entries(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.snapshot()]
