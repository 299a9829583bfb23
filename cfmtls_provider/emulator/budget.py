"""Cloudflare's API rate limit, per credential: a quota of calls per window, then a lock-out.

Cloudflare (https://developers.cloudflare.com/fundamentals/api/reference/limits/): 1200 requests per five
minutes per user, cumulative over dashboard, API keys and tokens; past it, every call of that user is refused
with 429 for the next five minutes. Since the 2025-09-03 changelog
(https://developers.cloudflare.com/changelog/2025-09-03-rate-limiting-improvement/) every answer carries
``Ratelimit: "default";r=<remaining>;t=<seconds until the window resets>`` and
``Ratelimit-Policy: "default";q=<quota>;w=<window seconds>``, and a 429 carries ``retry-after`` (seconds,
rounded up). The facts and the emulator's choices where the docs are silent are in :mod:`.assumptions`.

Here a window opens with a credential's first call and lasts ``window`` seconds; the call past the quota is
refused and starts a lock-out of one more ``window`` (the docs' "next five minutes"); the first call after the
lock-out opens a fresh window. ``time_scale`` divides every span, so ``1200/300`` at scale 10 behaves as 1200
calls per 30 s, and the headers give real seconds (what a client has to wait).

:class:`RateLimitLayer` applies it to API calls only: admin calls (``/__emulator__``) never count.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import assumptions as cf
from .middleware import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CLOUDFLARE_RATE_LIMIT", "Budget", "Decision", "RateLimit", "RateLimitLayer"]


@dataclass(frozen=True)
class RateLimit:
    """``quota`` calls per ``window_seconds`` (Cloudflare's seconds), run ``time_scale`` times faster."""

    quota: int = cf.RATE_LIMIT_QUOTA
    window_seconds: float = cf.RATE_LIMIT_WINDOW_SECONDS
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.quota < 1 or self.window_seconds <= 0 or self.time_scale <= 0:
            raise ValueError("a rate limit needs a quota of at least 1, a window and a time scale above 0")

    @classmethod
    def parse(cls, spec: str, time_scale: float = 1.0) -> RateLimit | None:
        """``QUOTA/WINDOW_SECONDS`` (e.g. ``1200/300``), or ``off`` (None: no limit)."""
        if spec.strip().lower() == "off":
            return None
        problem = f"rate limit {spec!r}: expected QUOTA/WINDOW_SECONDS such as 1200/300 (Cloudflare's), or off"
        quota, sep, window = spec.partition("/")
        if not sep:
            raise ValueError(problem)
        try:
            return cls(int(quota), float(window), time_scale)
        except ValueError:
            raise ValueError(problem) from None

    @property
    def window(self) -> float:
        """The window in real seconds."""
        return self.window_seconds / self.time_scale

    def policy_header(self) -> str:
        return f'"{cf.RATE_LIMIT_POLICY_NAME}";q={self.quota};w={_whole_seconds(self.window)}'


#: Cloudflare's own limit, the emulator's default.
CLOUDFLARE_RATE_LIMIT = RateLimit()


@dataclass(frozen=True)
class Decision:
    """What one call gets: through or refused, and what the headers say."""

    allowed: bool
    remaining: int
    reset_seconds: float

    def headers(self, limit: RateLimit) -> list[tuple[bytes, bytes]]:
        t = _whole_seconds(self.reset_seconds)
        headers = [
            (b"ratelimit", f'"{cf.RATE_LIMIT_POLICY_NAME}";r={self.remaining};t={t}'.encode()),
            (b"ratelimit-policy", limit.policy_header().encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(t).encode()))
        return headers


def _whole_seconds(seconds: float) -> int:
    """Seconds rounded up, as Cloudflare gives retry-after (and never 0 while something is left to wait)."""
    return max(0, math.ceil(seconds - 1e-9))


@dataclass
class _Account:
    window_start: float
    used: int = 0
    locked_until: float | None = None


class Budget:
    """The calls each credential has left. Thread-safe; ``clock`` (monotonic seconds) is a test seam."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}

    def spend(self, credential: str) -> Decision:
        """Count one call of ``credential``; the answer says whether it goes through."""
        now, window = self._clock(), self.limit.window
        key = hashlib.sha256(credential.encode()).hexdigest()  # no credential kept in clear, even in memory
        with self._lock:
            account = self._accounts.get(key)
            if account is not None and account.locked_until is not None and now < account.locked_until:
                return Decision(False, 0, account.locked_until - now)
            if account is None or account.locked_until is not None or now >= account.window_start + window:
                account = self._accounts[key] = _Account(window_start=now)
            reset = account.window_start + window - now
            if account.used >= self.limit.quota:
                account.locked_until = now + window
                return Decision(False, 0, window)
            account.used += 1
            return Decision(True, self.limit.quota - account.used, reset)

    def reset(self) -> None:
        with self._lock:
            self._accounts.clear()


def _credential(scope: Scope) -> str:
    """Who pays for the call: the token, or the global key's e-mail (the same budget for a user's keys)."""
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization")
    if authorization is not None:
        return "token:" + authorization.decode("latin-1")
    return "user:" + headers.get(b"x-auth-email", b"").decode("latin-1").lower()


class RateLimitLayer:
    """ASGI middleware: every API call spends from its credential's budget and carries the two headers."""

    def __init__(self, app: ASGIApp, budget: Budget) -> None:
        self.app = app
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == cf.API_PREFIX or path.startswith(cf.API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        decision = self.budget.spend(_credential(scope))
        headers = decision.headers(self.budget.limit)
        if not decision.allowed:
            error = cf.RATE_LIMITED
            body = json.dumps(
                {
                    "success": False,
                    "errors": [{"code": error.code, "message": error.message}],
                    "messages": [],
                    "result": None,
                }
            ).encode()
            start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
            await send({"type": "http.response.start", "status": error.status, "headers": start})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
