"""Typed views of the Cloudflare objects this project reads (built from the v4 ``result``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_BASE_URL", "CertificateUsage", "MTLSCertificateRecord", "Rule", "RuleSpec", "Ruleset"]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class MTLSCertificateRecord:
    """An uploaded mTLS certificate, as ``GET /accounts/{a}/mtls_certificates/{id}`` describes it."""

    id: str
    name: str
    ca: bool
    certificates: str
    issuer: str
    serial_number: str
    signature: str
    expires_on: str
    uploaded_on: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> MTLSCertificateRecord:
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            ca=bool(data.get("ca", False)),
            certificates=_str(data, "certificates"),
            issuer=_str(data, "issuer"),
            serial_number=_str(data, "serial_number"),
            signature=_str(data, "signature"),
            expires_on=_str(data, "expires_on"),
            uploaded_on=_str(data, "uploaded_on"),
        )


@dataclass(frozen=True)
class CertificateUsage:
    """One entry of ``GET .../mtls_certificates/{id}/associations``: a service that uses the certificate."""

    service: str
    status: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CertificateUsage:
        details = {k: v for k, v in data.items() if k not in ("service", "status")}
        return cls(service=_str(data, "service"), status=_str(data, "status"), details=details)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.details.items()))
        return f"{self.service} ({self.status}{', ' + extra if extra else ''})"


@dataclass(frozen=True)
class Rule:
    """One rule of a ruleset."""

    id: str
    ref: str
    action: str
    expression: str
    description: str
    enabled: bool
    version: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Rule:
        return cls(
            id=_str(data, "id"),
            ref=_str(data, "ref"),
            action=_str(data, "action"),
            expression=_str(data, "expression"),
            description=_str(data, "description"),
            enabled=bool(data.get("enabled", True)),
            version=_str(data, "version"),
        )


@dataclass(frozen=True)
class Ruleset:
    """A zone ruleset (here: the ``http_request_firewall_custom`` entrypoint)."""

    id: str
    phase: str
    version: str
    rules: tuple[Rule, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Ruleset:
        return cls(
            id=_str(data, "id"),
            phase=_str(data, "phase"),
            version=_str(data, "version"),
            rules=tuple(Rule.from_api(rule) for rule in data.get("rules") or ()),
        )

    def rule_by_ref(self, ref: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.ref == ref), None)

    def rule_by_id(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True)
class RuleSpec:
    """The fields of one WAF custom rule that this project manages (all sent on every write)."""

    ref: str
    expression: str
    action: str = "block"
    description: str = ""
    enabled: bool = True

    def body(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "expression": self.expression,
            "action": self.action,
            "description": self.description,
            "enabled": self.enabled,
        }
