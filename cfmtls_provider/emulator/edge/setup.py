"""What the API-built state means at the edge for one hostname.

Read under the store's lock, once per connection (the TLS part: does the hostname request a client
certificate, which CAs verify it) and once per request (the zones whose custom rules run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from cryptography import x509

from ...client_auth import AssociatedCA, ClientCertificateError, load_certificates
from ...custom_rules import RuleLike
from ...hostnames import canonical, covers
from .. import assumptions as cf
from ..models.state import MANAGED_CA

__all__ = ["HostnameSetup", "ZoneLike", "custom_rules", "hostname_setup", "zones_for"]


class ZoneLike(Protocol):
    """A declared zone (the emulator's ``--zone ID=DOMAIN@ACCOUNT``)."""

    @property
    def name(self) -> str: ...

    def holds(self, hostname: str) -> bool: ...


class _Certificate(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def certificates(self) -> str: ...
    @property
    def uploaded_on(self) -> str: ...


class _Rule(RuleLike, Protocol):
    """What the runner reads of a stored rule, and its ref (the edge log names it)."""

    @property
    def ref(self) -> str: ...


class _Ruleset(Protocol):
    @property
    def zone_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def rules(self) -> Sequence[_Rule]: ...


class _State(Protocol):
    @property
    def certificates(self) -> Mapping[str, _Certificate]: ...
    @property
    def associations(self) -> Mapping[str, Mapping[str, Sequence[str]]]: ...
    @property
    def rulesets(self) -> Mapping[str, _Ruleset]: ...


@dataclass(frozen=True)
class HostnameSetup:
    """The TLS side of one hostname at one moment: whether a client certificate is requested, and the CAs
    associated with the hostname (zone id, CA) in the order the zones list them."""

    hostname: str
    requests_certificate: bool
    cas: tuple[AssociatedCA, ...]
    zone_ids: tuple[str, ...]


@lru_cache(maxsize=256)
def _parsed(cert_id: str, pem: str) -> tuple[x509.Certificate, ...]:
    try:
        return load_certificates(pem, what=f"CA {cert_id}")
    except ClientCertificateError:
        return ()


def hostname_setup(state: _State, hostname: str) -> HostnameSetup:
    """The CAs associated with ``hostname`` (its canonical name) in any zone (the Managed CA included), as of now."""
    name = canonical(hostname)
    cas: list[AssociatedCA] = []
    zone_ids: list[str] = []
    for zone_id, lists in sorted(state.associations.items()):
        for ca_id, hostnames in lists.items():
            if not any(covers(pattern, name) for pattern in hostnames):
                continue
            if zone_id not in zone_ids:
                zone_ids.append(zone_id)
            if ca_id == MANAGED_CA:
                cas.append(AssociatedCA(id=cf.EDGE_MANAGED_CA_ID, uploaded_on="", certificates=(), managed=True))
                continue
            cert = state.certificates.get(ca_id)
            if cert is not None:
                cas.append(
                    AssociatedCA(
                        id=cert.id, uploaded_on=cert.uploaded_on, certificates=_parsed(cert.id, cert.certificates)
                    )
                )
    return HostnameSetup(hostname=name, requests_certificate=bool(cas), cas=tuple(cas), zone_ids=tuple(zone_ids))


def zones_for(state: _State, zones: Mapping[str, ZoneLike], hostname: str) -> list[str]:
    """The zones whose custom rules run for ``hostname`` (see ``EDGE_ZONE_OF_HOSTNAME`` in the assumptions):
    the declared zone holding it (the longest domain), else the zones that associate it with a CA, else every
    zone with custom rules. ``hostname`` is read as its canonical name (``EDGE_HOSTNAME_LOOKUP``)."""
    name = canonical(hostname)
    holding = [(len(zone.name), zone_id) for zone_id, zone in zones.items() if zone.holds(name)]
    if holding:
        return [max(holding)[1]]
    associated = hostname_setup(state, name).zone_ids
    if associated:
        return list(associated)
    return sorted({ruleset.zone_id for ruleset in state.rulesets.values() if _is_custom_entrypoint(ruleset)})


def _is_custom_entrypoint(ruleset: _Ruleset) -> bool:
    return ruleset.kind == "zone" and ruleset.phase == cf.CUSTOM_RULES_PHASE


def custom_rules(state: _State, zone_ids: Sequence[str]) -> list[tuple[str, _Rule]]:
    """(zone id, rule) for the enabled rules of those zones' ``http_request_firewall_custom`` entrypoints,
    zone by zone, each in its order."""
    found: list[tuple[str, _Rule]] = []
    for zone_id in zone_ids:
        for ruleset in state.rulesets.values():
            if ruleset.zone_id == zone_id and _is_custom_entrypoint(ruleset):
                found.extend((zone_id, rule) for rule in ruleset.rules if rule.enabled)
    return found
