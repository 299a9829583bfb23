"""Keep a process's API calls inside Cloudflare's rate-limit budget, from the budget Cloudflare reports.

Cloudflare allows 1200 requests per five minutes per user, cumulatively over the dashboard, API keys and tokens;
past it, every call of that user is refused with HTTP 429 for the rest of the window
(https://developers.cloudflare.com/fundamentals/api/reference/limits/). Since 2025-09-03 every answer says how
much is left (https://developers.cloudflare.com/changelog/2025-09-03-rate-limiting-improvement/)::

    Ratelimit: "default";r=<remaining>;t=<seconds until the window resets>
    Ratelimit-Policy: "<name>";q=<quota>;w=<window seconds>
    retry-after: <seconds, rounded up>          (on a 429 only)

Cloudflare's own SDKs only react to a 429: cloudflare-python (``_base_client.py``) retries twice and honours
``retry-after`` only up to 60 s; cloudflare-go v6 (``internal/requestconfig``) retries ten times and honours it
under a minute, else backs off up to 30 s; the legacy cloudflare-go v0 throttled every client to a fixed
4 requests/s (``rate.NewLimiter(4, 1)``, "equates to default api limit (1200 req/5 min)"). A lock-out lasts five
minutes, so none of them survives one. This pacer is more careful, and faster when there is room:

- **full speed while more than half the window's quota is left** (``free_fraction``);
- below that, **the rest is spread evenly until the window resets**, so a run of N calls over the quota takes
  about N / (quota / window) and never spends the budget ahead of the reset;
- **a reserve is never spent** (2 % of the quota, at least 2 calls), and calls in flight count as spent: the
  budget is shared with the user's other tools, and answers overtake each other;
- **the other tools' share is left to them**: what the budget loses beyond this process's own calls while it
  watches gives their rate (what was spent before it looked, by an earlier command for instance, is over), and
  what they will spend at that rate until the reset is not ours to spend
  (without it, a burst spent everything left before the reset and the other tool, then both, were locked out);
  at most half of what is left is set aside for them, so that a burst of theirs early in a window slows this
  process down but never stops it;
- **one probe call** first, and again after a window reset or a lock-out, before full speed: a process that
  starts when another tool has spent the budget sends one call, not a burst that would cause a lock-out;
- **a lock-out holds every call of the process** until ``retry-after`` has passed (any thread's 429 counts);
- answers without the headers (not Cloudflare, or a proxy's error page) change nothing: with no budget ever
  reported, calls are not paced.

One pacer per (API base URL, credential) and process: :func:`shared_pacer`. The provider server runs several
calls at once in one process per engine run, and its three resource providers share the pacer of their
credential. Thread-safe; the clock and sleep are injected for tests.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = [
    "DOCUMENTED_LIMIT",
    "LockedOut",
    "Pacer",
    "Slot",
    "parse_ratelimit",
    "parse_ratelimit_policy",
    "retry_after_seconds",
    "shared_pacer",
]

DOCUMENTED_LIMIT = "1200 requests per 300 s per user (Cloudflare's documented default)"
RESET_MARGIN_SECONDS = 1.0
"""Waited past a reported reset: ``t`` is in whole seconds and our clock started after the server's."""
SAME_WINDOW_SLACK_SECONDS = 2.0
"""Two answers whose resets differ by less than this describe the same window."""
PROBE_POLL_SECONDS = 1.0
"""How often a call waiting for the probe's answer looks again (it is woken as soon as the answer arrives)."""


class LockedOut(Exception):
    """No call may go for longer than the caller may wait: Cloudflare has locked this user out, or the budget it
    reported has nothing left until its window resets (``spent``)."""

    def __init__(self, seconds: float, *, spent: bool = False) -> None:
        super().__init__(f"{'budget spent' if spent else 'locked out'} for {seconds:.0f}s more")
        self.seconds = seconds
        self.spent = spent


def _parameters(item: str) -> tuple[str, dict[str, float]]:
    name, *params = (part.strip() for part in item.split(";"))
    values: dict[str, float] = {}
    for param in params:
        key, _, raw = param.partition("=")
        try:
            value = float(raw)
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            values[key.strip().lower()] = value
    return name.strip('"'), values


def _items(header: str | None, *keys: str) -> dict[str, tuple[float, ...]]:
    """The items of a structured-field list (RFC 8941) that carry every one of ``keys``, by name."""
    found: dict[str, tuple[float, ...]] = {}
    for item in (header or "").split(","):
        if not item.strip():
            continue
        name, values = _parameters(item)
        if all(key in values for key in keys):
            found[name] = tuple(values[key] for key in keys)
    return found


def parse_ratelimit(header: str | None) -> dict[str, tuple[float, float]]:
    """``"default";r=50;t=30`` -> ``{"default": (50.0, 30.0)}`` (remaining, seconds to reset); malformed items
    are left out."""
    return {name: (values[0], values[1]) for name, values in _items(header, "r", "t").items()}


def parse_ratelimit_policy(header: str | None) -> dict[str, tuple[float, float]]:
    """``"burst";q=100;w=60`` -> ``{"burst": (100.0, 60.0)}`` (quota, window seconds)."""
    return {name: (values[0], values[1]) for name, values in _items(header, "q", "w").items()}


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """``retry-after`` in seconds (a number, or an HTTP date), or None when absent or unreadable."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = parsedate_to_datetime(raw).timestamp() - now()
        except (TypeError, ValueError):
            return None
    return max(0.0, value) if math.isfinite(value) else None


@dataclass
class _Budget:
    """One named limit as last reported, with our own spending since."""

    remaining: float
    reset_at: float
    quota: float
    window: float | None
    next_slot: float = 0.0
    expired: bool = False
    own_answered: int = 0
    """This process's calls answered in this window."""
    others_rate: float = 0.0
    """Calls per second the user's other tools spend, as last estimated."""
    earlier_rate: float = 0.0
    """Their rate at the end of the previous window: the estimate while this one is too young to tell."""
    watched_since: float | None = None
    """When this process first heard of this window, and what the others had spent in it by then."""
    others_before: float = 0.0

    def reserve_size(self) -> float:
        return max(2.0, math.ceil(self.quota * 0.02))

    def is_expired(self, now: float) -> bool:
        return self.expired or now >= self.reset_at + RESET_MARGIN_SECONDS

    def others_share(self, now: float) -> float:
        """Calls set aside for the user's other tools until the reset (at most half of what is left)."""
        left = max(0.0, self.remaining - self.reserve_size())
        return min(self.others_rate * max(0.0, self.reset_at - now), left / 2)

    def has_room(self) -> bool:
        return self.remaining - self.reserve_size() >= 1

    def take(self, now: float, free_fraction: float) -> float:
        """Spend one call (there must be room): the delay before it may go."""
        others = self.others_share(now)
        spendable = max(1.0, self.remaining - self.reserve_size() - others)
        self.remaining -= 1
        if self.remaining - others >= self.quota * free_fraction:
            return 0.0
        slot = max(now, self.next_slot)
        self.next_slot = slot + max(0.0, self.reset_at - slot) / spendable
        return slot - now


@dataclass
class Slot:
    """One call's permission to send; report its answer with :meth:`answered`."""

    lockout_waited: float = 0.0
    probe: bool = False
    answer: tuple[int, Mapping[str, str]] | None = None

    def answered(self, status_code: int, headers: Mapping[str, str]) -> None:
        self.answer = (status_code, headers)


class Pacer:
    """Decides when each call may be sent. Use :meth:`slot` around every request."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        free_fraction: float = 0.5,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._free_fraction = free_fraction
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._budgets: dict[str, _Budget] = {}
        self._in_flight = 0
        self._probing = False
        self._needs_probe = True
        self._locked_until = -math.inf
        self.policy = ""
        """The budget last reported, for messages (e.g. ``1200 requests per 300 s``), or empty."""

    @contextmanager
    def slot(self, *, max_lockout_wait: float = math.inf) -> Iterator[Slot]:
        """Wait until a call may be sent, then hold a place for it until it is answered.

        Raises :class:`LockedOut` at once when a lock-out, or the wait for a spent budget's reset, would last longer
        than ``max_lockout_wait``."""
        slot = self._acquire(max_lockout_wait)
        try:
            yield slot
        finally:
            self._release(slot)

    def _acquire(self, max_lockout_wait: float) -> Slot:
        slot = Slot()
        waited_for = -math.inf  # the lock-out this call has waited out (a sleep may end early, or be a test's)
        with self._lock:
            while True:
                now = self._clock()
                if self._locked_until > now and self._locked_until != waited_for:
                    wait = self._locked_until - now
                    if slot.lockout_waited + wait > max_lockout_wait:
                        raise LockedOut(wait)
                    waited_for = self._locked_until
                    self._pause(wait)
                    slot.lockout_waited += wait
                    continue
                if self._needs_probe or any(budget.is_expired(now) for budget in self._budgets.values()):
                    if self._probing or self._in_flight:
                        self._answered.wait(PROBE_POLL_SECONDS)
                        continue
                    self._probing = slot.probe = True
                    self._in_flight += 1
                    return slot
                spent = [budget for budget in self._budgets.values() if not budget.has_room()]
                if spent:
                    wait = max(0.0, max(budget.reset_at for budget in spent) + RESET_MARGIN_SECONDS - now)
                    if wait > max_lockout_wait:  # a window longer than the documented five minutes
                        raise LockedOut(wait, spent=True)
                    self._pause(wait)
                    for budget in spent:
                        budget.expired = True
                    continue
                delay = max((budget.take(now, self._free_fraction) for budget in self._budgets.values()), default=0.0)
                self._in_flight += 1
                if delay > 0:
                    self._pause(delay)
                return slot

    def _pause(self, seconds: float) -> None:
        """Sleep without holding the lock (other calls go on deciding)."""
        self._lock.release()
        try:
            self._sleep(seconds)
        finally:
            self._lock.acquire()

    def _release(self, slot: Slot) -> None:
        with self._lock:
            self._in_flight -= 1
            if slot.probe:
                self._probing = False
            if slot.answer is not None:
                if slot.probe:
                    self._needs_probe = False
                self._record(*slot.answer)
            self._answered.notify_all()

    def _record(self, status_code: int, headers: Mapping[str, str]) -> None:
        now = self._clock()
        limits = parse_ratelimit(headers.get("ratelimit"))
        policies = parse_ratelimit_policy(headers.get("ratelimit-policy"))
        for name, (remaining, reset_in) in limits.items():
            quota, window = policies.get(name) or (
                next(iter(policies.values())) if len(limits) == len(policies) == 1 else (0.0, None)
            )
            if window:
                self.policy = f"{quota:.0f} requests per {window:.0f} s"
            self._update(name, remaining, now + reset_in, quota, window, now)
        if status_code == 429:
            seconds = retry_after_seconds(headers)
            if seconds is None and limits:
                seconds = max(reset_in for _, reset_in in limits.values())
            if seconds is not None:
                self._locked_until = max(self._locked_until, now + seconds)
                self._needs_probe = True

    def _update(
        self, name: str, reported: float, reset_at: float, quota: float, window: float | None, now: float
    ) -> None:
        """One answer's report of a budget: ``reported`` calls left (ours in flight are not counted in it yet)."""
        remaining = reported - self._in_flight
        budget = self._budgets.get(name)
        quota = max(quota, reported, budget.quota if budget else 0.0)
        # A later reset means a new window only once the current one can have ended: an answer that waited
        # (a slow thread, a busy process) says its window ends later than it does, with more left than there is.
        new_window = reset_at > budget.reset_at + SAME_WINDOW_SLACK_SECONDS if budget else True
        if budget and not budget.is_expired(now) and now < budget.reset_at - SAME_WINDOW_SLACK_SECONDS:
            new_window = False
        if budget is None or budget.is_expired(now) or new_window:
            earlier = budget.others_rate if budget else 0.0
            budget = self._budgets[name] = _Budget(
                remaining, reset_at, quota, window, next_slot=now, others_rate=earlier, earlier_rate=earlier
            )
        elif reset_at >= budget.reset_at - SAME_WINDOW_SLACK_SECONDS:
            budget.remaining = min(budget.remaining, remaining)
            budget.quota, budget.window = quota, window or budget.window
        else:
            return  # an answer from an earlier window, overtaken by newer ones
        budget.own_answered += 1
        if not budget.window:
            return
        # Spent in this window beyond our calls (answered, or in flight: counted already or not) is the others'.
        others = (quota - reported) - budget.own_answered - self._in_flight
        if budget.watched_since is None:
            # What was spent before this process looked (an earlier command of the same run, a finished
            # script) is over: only what the others spend while we watch is a rate.
            budget.watched_since, budget.others_before = now, others
            return
        watched = now - budget.watched_since
        rate = max(0.0, others - budget.others_before) / max(RESET_MARGIN_SECONDS, watched)
        budget.others_rate = max(rate, budget.earlier_rate) if watched < budget.window / 4 else rate


_SHARED: dict[str, Pacer] = {}
_SHARED_LOCK = threading.Lock()


def shared_pacer(base_url: str, secret_values: tuple[str, ...]) -> Pacer:
    """The process's pacer for one API and credential (the budget is per user); keyed by a digest, so no
    credential is kept here."""
    key = hashlib.sha256("\0".join((base_url.rstrip("/"), *secret_values)).encode()).hexdigest()
    with _SHARED_LOCK:
        pacer = _SHARED.get(key)
        if pacer is None:
            pacer = _SHARED[key] = Pacer()
        return pacer
