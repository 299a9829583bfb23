"""How an operation used the API budget: 429s, lock-outs, the busiest window, and the floor the budget sets.

Also the "other client": a thread that spends part of the same credential's budget while the stack runs, as a
second tool of the same Cloudflare user would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from cfmtls_provider.emulator.budget import RateLimit

__all__ = ["BudgetUse", "OtherClient"]


@dataclass
class BudgetUse:
    calls: int
    throttled: int  # answers 429
    lockouts: int  # runs of consecutive 429s: each one a lock-out the stack ran into
    peak_window_calls: int  # most calls within any window-long span
    budget_floor_seconds: float  # calls / (quota / window): the shortest time the budget allows them

    @classmethod
    def from_log(cls, entries: list[dict[str, Any]], limit: RateLimit) -> BudgetUse:
        ordered = sorted(entries, key=lambda entry: float(entry["time"]))
        statuses = [int(entry["status"]) for entry in ordered]
        lockouts = sum(1 for i, s in enumerate(statuses) if s == 429 and (i == 0 or statuses[i - 1] != 429))
        times = [float(entry["time"]) for entry in ordered]
        peak, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - limit.window:
                start += 1
            peak = max(peak, end - start + 1)
        return cls(
            calls=len(entries),
            throttled=statuses.count(429),
            lockouts=lockouts,
            peak_window_calls=peak,
            budget_floor_seconds=len(entries) * limit.window / limit.quota,
        )


class OtherClient:
    """Spends ``share`` of the budget (per window) with the stack's own credential, from another thread."""

    def __init__(self, base_url: str, token: str, limit: RateLimit, share: float, account_id: str) -> None:
        self.interval = limit.window / (limit.quota * share)
        self._client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self._path = f"/accounts/{account_id}/mtls_certificates"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spend, name="bench-other-client", daemon=True)
        self.calls = 0
        self.throttled = 0

    def _spend(self) -> None:
        next_call = time.monotonic()
        while not self._stop.is_set():
            status = self._client.get(self._path).status_code
            self.calls += 1
            self.throttled += status == 429
            next_call += self.interval
            self._stop.wait(max(0.0, next_call - time.monotonic()))

    def __enter__(self) -> OtherClient:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(30)
        self._client.close()
