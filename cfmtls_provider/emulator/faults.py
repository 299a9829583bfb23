"""Fault injection: rules that make chosen API calls fail the way a real network or Cloudflare can.

A rule matches a method (``*`` for any, ``WRITE`` for any but GET) and a glob over the path without the
``/client/v4`` prefix (``*/mtls_certificates``), lets ``skip`` matching calls through, then fires for the next
``count`` matching calls (``count: 0`` = every one). Actions:

``status``              answer ``status`` (default 500) with a Cloudflare error envelope, without applying the call;
                        a 429 carries ``retry-after`` (``retry_after`` seconds, default 1)
``drop``                start an answer and close the connection mid-way (the client sees a protocol error)
``delay``               wait ``delay`` seconds, then handle the call normally (to exceed a client timeout)
``commit_then_status``  apply the call for real, then answer ``status`` (default 500) instead
``commit_then_drop``    apply the call for real, then drop the connection

Compact form (CLI ``--fault``): ``METHOD:PATHGLOB:ACTION[=VALUE][:key=value]...``, e.g.
``POST:*/mtls_certificates:status=429:retry_after=2:count=1``, ``DELETE:*:drop:skip=1``,
``GET:*/hostname_associations:delay=3``, ``PUT:*:commit_then_status=502``. Keys: ``retry_after``,
``count``, ``skip``, ``delay``, ``code``, ``message``.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from typing import Any

from . import assumptions as cf
from .admin_client import WRITE_METHODS

__all__ = ["ACTIONS", "FaultRule", "FaultSet", "FaultSpecError"]

ACTIONS = ("status", "drop", "delay", "commit_then_status", "commit_then_drop")
_ACTION_VALUE = {"status": "status", "commit_then_status": "status", "delay": "delay"}
_INT_KEYS = ("status", "count", "skip", "code")
_FLOAT_KEYS = ("retry_after", "delay")


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; the message says which part."""


@dataclass
class FaultRule:
    method: str
    path: str
    action: str
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    count: int = 1
    skip: int = 0
    code: int | None = None
    message: str | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.action not in ACTIONS:
            raise FaultSpecError(f"unknown fault action {self.action!r}; use one of {', '.join(ACTIONS)}")
        if not self.path:
            raise FaultSpecError("a fault needs a path glob, e.g. '*/mtls_certificates' or '*'")
        if not 100 <= self.status <= 599:
            raise FaultSpecError(f"fault status {self.status} is not an HTTP status")
        if self.count < 0 or self.skip < 0 or self.delay < 0:
            raise FaultSpecError("count, skip and delay must not be negative")
        if self.retry_after is None and self.status == 429:
            self.retry_after = 1.0

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """A rule from its JSON object form, or from a compact string."""
        if isinstance(data, str):
            return cls.parse(data)
        if not isinstance(data, dict):
            raise FaultSpecError("a fault rule is a JSON object or a compact string")
        known = {"method", "path", "action", *_INT_KEYS, *_FLOAT_KEYS, "message"}
        unknown = set(data) - known
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {"method": data.get("method", "*"), "path": data.get("path", "*")}
        values["action"] = data.get("action")
        for key in _INT_KEYS:
            if data.get(key) is not None:
                values[key] = _number(key, data[key], int)
        for key in _FLOAT_KEYS:
            if data.get(key) is not None:
                values[key] = _number(key, data[key], float)
        if data.get("message") is not None:
            values["message"] = str(data["message"])
        if not isinstance(values["method"], str) or not isinstance(values["path"], str):
            raise FaultSpecError("'method' and 'path' must be strings")
        if not isinstance(values["action"], str):
            raise FaultSpecError(f"'action' is required: one of {', '.join(ACTIONS)}")
        return cls(**values)

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """A rule from the compact CLI form ``METHOD:PATHGLOB:ACTION[=VALUE][:key=value]...``."""
        parts = spec.split(":")
        if len(parts) < 3:
            raise FaultSpecError(f"fault {spec!r}: expected METHOD:PATHGLOB:ACTION[=VALUE][:key=value]...")
        method, path, action_part, *options = parts
        action, _, action_value = action_part.partition("=")
        data: dict[str, object] = {"method": method or "*", "path": path, "action": action}
        if action_value:
            if action not in _ACTION_VALUE:
                raise FaultSpecError(f"fault {spec!r}: action {action!r} takes no value")
            data[_ACTION_VALUE[action]] = action_value
        for option in options:
            key, sep, value = option.partition("=")
            if not sep:
                raise FaultSpecError(f"fault {spec!r}: option {option!r} is not key=value")
            data[key] = value
        try:
            return cls.from_json(data)
        except FaultSpecError as exc:
            raise FaultSpecError(f"fault {spec!r}: {exc}") from None

    def matches(self, method: str, path: str) -> bool:
        method = method.upper()
        if self.method not in ("*", method) and not (self.method == "WRITE" and method in WRITE_METHODS):
            return False
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(cf.API_PREFIX + path, self.path)

    def error_envelope(self) -> dict[str, Any]:
        spec = cf.RATE_LIMITED if self.status == 429 else cf.SERVER_ERROR
        code = self.code if self.code is not None else spec.code
        message = self.message or spec.message
        return {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _number(key: str, value: object, kind: type[int] | type[float]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FaultSpecError(f"{key} must be a number (got {value!r})")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise FaultSpecError(f"{key} must be a number (got {value!r})") from None


class FaultSet:
    """The active fault rules; :meth:`take` picks the rule (if any) that fires for one call."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = list(rules or [])

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this call, counting the call against every rule it reaches."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.count and rule.fired >= rule.count:
                    continue
                rule.fired += 1
                return rule
            return None
