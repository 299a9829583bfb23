"""How one emulator instance behaves: accepted credentials, zones, plans, latency, association lag, rate limit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..hostnames import hostnames_outside_zone
from . import assumptions as cf
from .budget import CLOUDFLARE_RATE_LIMIT, RateLimit

__all__ = [
    "ALL_SCOPES",
    "EmulatorConfig",
    "ManagedCertificateSeed",
    "Zone",
    "parse_global_key",
    "parse_managed_certificate",
    "parse_token",
    "parse_zone",
]

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


_ID = re.compile(cf.ACCOUNT_OR_ZONE_ID_PATTERN)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


@dataclass(frozen=True)
class Zone:
    """A zone: its id, its name (the domain, e.g. ``example.com``) and the account that owns it."""

    id: str
    name: str
    account_id: str

    def __post_init__(self) -> None:
        if not _ID.match(self.id) or not _ID.match(self.account_id):
            raise ValueError(f"zone {self.id!r} of account {self.account_id!r}: ids are 32 lowercase hex characters")
        if not _DOMAIN.match(self.name):
            raise ValueError(f"zone {self.id}: {self.name!r} is not a domain name such as example.com")

    def holds(self, hostname: str) -> bool:
        """Whether ``hostname`` (possibly a ``*.`` wildcard) is the zone's domain or below it."""
        return not hostnames_outside_zone([hostname], self.name)


def parse_zone(spec: str) -> Zone:
    """``ZONE_ID=example.com@ACCOUNT_ID``."""
    zone_id, sep, rest = spec.partition("=")
    name, at, account_id = rest.partition("@")
    if not sep or not at:
        raise ValueError(
            f"zone spec {spec!r}: expected ZONE_ID=DOMAIN@ACCOUNT_ID, e.g. {'f' * 32}=example.com@{'0' * 32}"
        )
    return Zone(zone_id.strip(), name.strip().lower(), account_id.strip())


@dataclass(frozen=True)
class ManagedCertificateSeed:
    """A Cloudflare-managed certificate (Access or Gateway) the account holds from the start."""

    account_id: str
    type: str

    def __post_init__(self) -> None:
        if not _ID.match(self.account_id):
            raise ValueError(f"managed certificate: account {self.account_id!r} is not 32 lowercase hex characters")
        if self.type not in cf.MANAGED_CERTIFICATE_TYPES:
            raise ValueError(
                f"managed certificate type {self.type!r}: use one of {', '.join(cf.MANAGED_CERTIFICATE_TYPES)}"
            )


def parse_managed_certificate(spec: str) -> ManagedCertificateSeed:
    """``ACCOUNT_ID:TYPE`` with TYPE ``gateway_managed`` or ``access_managed``."""
    account_id, sep, kind = spec.partition(":")
    if not sep:
        raise ValueError(f"managed certificate spec {spec!r}: expected ACCOUNT_ID:TYPE")
    return ManagedCertificateSeed(account_id.strip(), kind.strip())


@dataclass(frozen=True)
class EmulatorConfig:
    """Defaults: the token :data:`~.assumptions.DEFAULT_TOKEN` with every scope, no zone, no latency, the
    default association lag, and Cloudflare's rate limit (1200 calls per 300 s per credential; ``rate_limit=None``
    turns it off). Zones must be declared: an API call on an undeclared zone answers 7003."""

    tokens: Mapping[str, frozenset[str]] = field(default_factory=lambda: {cf.DEFAULT_TOKEN: ALL_SCOPES})
    global_keys: Mapping[str, str] = field(default_factory=dict)
    zones: Mapping[str, Zone] = field(default_factory=dict)
    managed_certificates: tuple[ManagedCertificateSeed, ...] = ()
    non_enterprise_accounts: frozenset[str] = frozenset()
    latency_ms: float = 0.0
    association_lag_seconds: float = cf.DEFAULT_ASSOCIATION_LAG_SECONDS
    rate_limit: RateLimit | None = CLOUDFLARE_RATE_LIMIT

    @staticmethod
    def zone_map(*zones: Zone | str) -> dict[str, Zone]:
        """``zones=EmulatorConfig.zone_map("ID=example.com@ACCOUNT", ...)``: zones by id."""
        parsed = [parse_zone(zone) if isinstance(zone, str) else zone for zone in zones]
        return {zone.id: zone for zone in parsed}
