"""How one emulator instance behaves: accepted credentials, plans, latency, association lag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import assumptions as cf

__all__ = ["ALL_SCOPES", "EmulatorConfig", "parse_global_key", "parse_token"]

ALL_SCOPES: frozenset[str] = frozenset(cf.SCOPES)

#: A scope a token holds -> the scopes it grants (write implies read).
_IMPLIED: Mapping[str, frozenset[str]] = {
    cf.SCOPE_ACCOUNT_SSL_WRITE: frozenset({cf.SCOPE_ACCOUNT_SSL_WRITE, cf.SCOPE_ACCOUNT_SSL_READ}),
}


def effective_scopes(scopes: frozenset[str]) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes:
        granted |= _IMPLIED.get(scope, frozenset({scope}))
    return frozenset(granted)


def parse_token(spec: str) -> tuple[str, frozenset[str]]:
    """``TOKEN`` (every scope) or ``TOKEN=scope,scope`` (``TOKEN=`` holds no scope at all)."""
    token, sep, scopes_text = spec.partition("=")
    if not token:
        raise ValueError(f"token spec {spec!r}: the token is empty")
    if not sep:
        return token, ALL_SCOPES
    scopes = frozenset(s.strip() for s in scopes_text.split(",") if s.strip())
    unknown = scopes - ALL_SCOPES
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(sorted(unknown))}; known: {', '.join(cf.SCOPES)}")
    return token, scopes


def parse_global_key(spec: str) -> tuple[str, str]:
    """``EMAIL:KEY`` for the legacy X-Auth-Email + X-Auth-Key headers (every scope)."""
    email, sep, key = spec.partition(":")
    if not sep or not email or not key:
        raise ValueError("a global key is given as EMAIL:KEY")
    return email, key


@dataclass(frozen=True)
class EmulatorConfig:
    """Defaults: the token ``cfmtls-emulator-token`` with every scope, no latency, no association lag."""

    tokens: Mapping[str, frozenset[str]] = field(default_factory=lambda: {cf.DEFAULT_TOKEN: ALL_SCOPES})
    global_keys: Mapping[str, str] = field(default_factory=dict)
    non_enterprise_accounts: frozenset[str] = frozenset()
    latency_ms: float = 0.0
    association_lag_seconds: float = cf.DEFAULT_ASSOCIATION_LAG_SECONDS
