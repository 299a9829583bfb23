"""Typed views of the Cloudflare objects this project reads, checked field by field as they are built.

``from_api`` refuses an answer that does not have the documented shape (a ``result`` of the wrong type, a
hostname list sent as a string, a rule without an id) with :class:`AnswerShapeError`, which says where:
``result.rules[2].id is a number, expected a string``. The client turns it into one error naming the call.
Checked by hand rather than with pydantic, which would cost each provider process about 0.4 s more to import
on first call (measured on this project's machine) for these few fields. Fields are those of Cloudflare's
OpenAPI document (``cloudflare/api-schemas``); unknown fields are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BASE_URL_SETTINGS",
    "CUSTOM_CERTIFICATE_TYPE",
    "CUSTOM_RULES_ENTRYPOINT_DESCRIPTION",
    "DEFAULT_BASE_URL",
    "AnswerShapeError",
    "CertificateUsage",
    "MTLSCertificateRecord",
    "Rule",
    "RuleSpec",
    "Ruleset",
    "Zone",
    "expect_object",
    "hostname_list",
    "kind_of",
    "object_list",
]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
#: Where the provider's base URL is set (stack config, then the environment): named in errors about it.
BASE_URL_SETTINGS = "cfmtls:baseUrl / CLOUDFLARE_BASE_URL"

#: The type of the account's own uploads; Cloudflare also lists certificates it manages for Access and Gateway
#: (``access_managed``, ``gateway_managed``), which are not this project's (docs/cloudflare-api.md).
CUSTOM_CERTIFICATE_TYPE = "custom"

#: The description of a zone's custom rules entrypoint this package created: it marks the ruleset as one the
#: package may delete once its last rule is gone (a zone that had one before keeps it).
CUSTOM_RULES_ENTRYPOINT_DESCRIPTION = "Zone custom rules (created by cfmtls-provider)"


class AnswerShapeError(ValueError):
    """An answer that is not shaped as Cloudflare documents it; the message says where and what."""


def kind_of(value: object) -> str:
    """What a JSON value is, for a message (strings quoted, cut at 40 characters)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def expect_object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AnswerShapeError(f"{where} is {kind_of(value)}, expected an object")
    return value


def object_list(value: object, where: str) -> list[Mapping[str, Any]]:
    """A list of objects; ``null`` is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnswerShapeError(f"{where} is {kind_of(value)}, expected a list")
    return [expect_object(item, f"{where}[{index}]") for index, item in enumerate(value)]


def hostname_list(value: object, where: str) -> list[str]:
    """A list of strings (never a string split into characters); ``null`` is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnswerShapeError(f"{where} is {kind_of(value)}, expected a list of hostnames")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise AnswerShapeError(f"{where}[{index}] is {kind_of(item)}, expected a hostname")
    return list(value)


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        expected = "a non-empty string" if required else "a string"
        raise AnswerShapeError(f"{where}.{key} is {kind_of(value) if key in data else 'missing'}, expected {expected}")
    return value


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise AnswerShapeError(f"{where}.{key} is {kind_of(value)}, expected true or false")
    return value


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
    #: ``custom`` (uploaded), ``gateway_managed`` or ``access_managed``; "" when the answer leaves it out.
    type: str = ""

    @classmethod
    def from_api(cls, value: object, where: str = "result") -> MTLSCertificateRecord:
        data = expect_object(value, where)
        return cls(
            id=_str(data, "id", where, required=True),
            name=_str(data, "name", where),
            ca=_bool(data, "ca", where, False),
            certificates=_str(data, "certificates", where),
            issuer=_str(data, "issuer", where),
            serial_number=_str(data, "serial_number", where),
            signature=_str(data, "signature", where),
            expires_on=_str(data, "expires_on", where),
            uploaded_on=_str(data, "uploaded_on", where),
            type=_str(data, "type", where),
        )


@dataclass(frozen=True)
class CertificateUsage:
    """One entry of ``GET .../mtls_certificates/{id}/associations``: a service that uses the certificate."""

    service: str
    status: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, value: object, where: str = "result[0]") -> CertificateUsage:
        data = expect_object(value, where)
        details = {k: v for k, v in data.items() if k not in ("service", "status")}
        return cls(service=_str(data, "service", where), status=_str(data, "status", where), details=details)

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
    #: What ``skip`` skips (``{"ruleset": "current"}``: the rest of this ruleset), and other actions' settings.
    action_parameters: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_api(cls, value: object, where: str = "rule") -> Rule:
        data = expect_object(value, where)
        parameters = data.get("action_parameters")
        return cls(
            id=_str(data, "id", where, required=True),
            ref=_str(data, "ref", where),
            action=_str(data, "action", where),
            expression=_str(data, "expression", where),
            description=_str(data, "description", where),
            enabled=_bool(data, "enabled", where, True),
            version=_str(data, "version", where),
            action_parameters=expect_object(parameters, f"{where}.action_parameters") if parameters else {},
        )


@dataclass(frozen=True)
class Ruleset:
    """A zone ruleset (here: the ``http_request_firewall_custom`` entrypoint)."""

    id: str
    phase: str
    version: str
    rules: tuple[Rule, ...]
    description: str = ""

    @classmethod
    def from_api(cls, value: object, where: str = "result") -> Ruleset:
        data = expect_object(value, where)
        rules = object_list(data.get("rules"), f"{where}.rules")
        return cls(
            id=_str(data, "id", where, required=True),
            phase=_str(data, "phase", where),
            version=_str(data, "version", where),
            rules=tuple(Rule.from_api(rule, f"{where}.rules[{index}]") for index, rule in enumerate(rules)),
            description=_str(data, "description", where),
        )

    @property
    def created_by_us(self) -> bool:
        """Whether this package created the ruleset (its description is the package's marker): only such an
        entrypoint may be deleted by the package, and only once it holds no rule."""
        return self.description == CUSTOM_RULES_ENTRYPOINT_DESCRIPTION

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


@dataclass(frozen=True)
class Zone:
    """A zone, as ``GET /zones`` lists it (only what the inventory needs)."""

    id: str
    name: str
    account_id: str
    status: str

    @classmethod
    def from_api(cls, value: object, where: str = "result[0]") -> Zone:
        data = expect_object(value, where)
        account = data.get("account")
        return cls(
            id=_str(data, "id", where, required=True),
            name=_str(data, "name", where),
            account_id=_str(expect_object(account, f"{where}.account"), "id", f"{where}.account") if account else "",
            status=_str(data, "status", where),
        )
