"""What the emulator holds: certificates, hostname associations and rulesets, as plain dataclasses.

``State`` converts to and from the JSON of the state file; private keys are never part of it (only a flag
says one was given).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FORMAT_VERSION", "MANAGED_CA", "Certificate", "Rule", "Ruleset", "State", "StateFileError"]

#: The association-list key used for the Cloudflare Managed CA (a PUT/GET without mtls_certificate_id).
MANAGED_CA = ""

#: The version of the state file's JSON.
FORMAT_VERSION = 1


class StateFileError(RuntimeError):
    """The state file exists but cannot be read as an emulator state."""


@dataclass
class Certificate:
    id: str
    account_id: str
    ca: bool
    certificates: str
    name: str
    issuer: str
    serial_number: str
    signature: str
    expires_on: str
    uploaded_on: str
    updated_at: str
    content_fingerprint: str
    has_private_key: bool = False
    type: str = "custom"


@dataclass
class Rule:
    id: str
    ref: str
    action: str
    expression: str
    description: str
    enabled: bool
    version: int
    last_updated: str
    action_parameters: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None


@dataclass
class Ruleset:
    id: str
    zone_id: str
    name: str
    description: str
    kind: str
    phase: str
    version: int
    last_updated: str
    rules: list[Rule] = field(default_factory=list)


@dataclass
class State:
    """Everything the emulator holds. ``associations`` maps zone id -> CA id (MANAGED_CA for the managed
    CA) -> hostnames in the order sent; ``emptied_at`` maps zone id -> CA id -> epoch seconds when that list
    was last emptied (for the association lag)."""

    certificates: dict[str, Certificate] = field(default_factory=dict)
    associations: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    emptied_at: dict[str, dict[str, float]] = field(default_factory=dict)
    rulesets: dict[str, Ruleset] = field(default_factory=dict)

    def draft(self, zone_id: str | None = None) -> State:
        """A copy to change. With ``zone_id``, only what an operation on that zone may change is copied (its
        hostname lists, their emptied times, its rulesets; the certificates, a few per account, for the checks
        that read them) and the other zones' are shared, so a write costs the same at 1000 zones as at one: a
        deep copy of the whole state was O(zones) per write, O(zones^2) per run (docs/benchmarks.md). An
        operation given a zone must change nothing of another zone's (tests/emulator/test_store.py)."""
        if zone_id is None:
            return copy.deepcopy(self)
        return State(
            certificates=copy.deepcopy(self.certificates),
            associations=_zone_copied(self.associations, zone_id),
            emptied_at=_zone_copied(self.emptied_at, zone_id),
            rulesets={
                ruleset_id: copy.deepcopy(ruleset) if ruleset.zone_id == zone_id else ruleset
                for ruleset_id, ruleset in self.rulesets.items()
            },
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "certificates": [asdict(cert) for cert in self.certificates.values()],
            "associations": copy.deepcopy(self.associations),
            "emptied_at": copy.deepcopy(self.emptied_at),
            "rulesets": [asdict(ruleset) for ruleset in self.rulesets.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        if data.get("format_version") != FORMAT_VERSION:
            raise StateFileError(f"unsupported state format_version {data.get('format_version')!r}")
        state = cls()
        for raw in data.get("certificates", []):
            cert = Certificate(**raw)
            state.certificates[cert.id] = cert
        state.associations = {z: {ca: list(h) for ca, h in cas.items()} for z, cas in data["associations"].items()}
        state.emptied_at = {z: {ca: float(t) for ca, t in cas.items()} for z, cas in data["emptied_at"].items()}
        for raw in data.get("rulesets", []):
            rules = [Rule(**rule) for rule in raw.pop("rules", [])]
            ruleset = Ruleset(**raw, rules=rules)
            state.rulesets[ruleset.id] = ruleset
        return state


def _zone_copied(by_zone: dict[str, dict[str, Any]], zone_id: str) -> dict[str, dict[str, Any]]:
    """``by_zone`` with a new outer dict and a deep copy of ``zone_id``'s entry; every other zone's entry shared."""
    copied = dict(by_zone)
    if zone_id in copied:
        copied[zone_id] = copy.deepcopy(copied[zone_id])
    return copied
