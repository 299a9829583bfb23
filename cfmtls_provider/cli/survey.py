"""Read what an account holds for mTLS: its CAs, and per zone the hostname associations and the custom rules.

Reads only (GETs). Cloudflare shows none of the associations in the dashboard ("the hostname associations are
not reflected on the dashboard", https://developers.cloudflare.com/ssl/client-certificates/byo-ca/): the only
way to see them is a GET per zone and CA, which is what this does: per zone, one GET for the Managed CA's
list, one per uploaded CA, one for the ``http_request_firewall_custom`` entrypoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from ..certificates import CertificateError, parse_ca_bundle
from ..cloudflare.errors import BadRequestError, NotFoundError, PermissionDeniedError
from ..cloudflare.models import MTLSCertificateRecord, Rule, Zone
from ..rules_language import CLIENT_AUTH_PREFIX

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["MANAGED_CA_ID", "CAInfo", "Survey", "ZoneSurvey", "ca_info", "survey_account"]

#: How the inventory names Cloudflare's Managed CA (its list is read without a certificate id).
MANAGED_CA_ID = "managed"

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CAInfo:
    """An uploaded CA of the account as the inventory shows it."""

    record: MTLSCertificateRecord
    ski: str
    not_after: datetime | None
    problem: str = ""

    @property
    def id(self) -> str:
        return self.record.id

    def days_left(self, now: datetime) -> int | None:
        return None if self.not_after is None else int((self.not_after - now).total_seconds() // 86400)


@dataclass(frozen=True)
class ZoneSurvey:
    """One zone: hostnames per CA id (``MANAGED_CA_ID`` for the Managed CA) and its custom rules."""

    zone: Zone
    associations: dict[str, list[str]]
    rules: tuple[Rule, ...]
    ruleset_id: str = ""
    #: Reads that failed (a token without a zone's permission, ...): the zone's picture is incomplete.
    problems: tuple[str, ...] = ()
    #: False when the rules could not be read: then nothing is said about what the zone enforces.
    rules_known: bool = True

    def client_certificate_rules(self) -> list[Rule]:
        """Rules whose expression reads a ``cf.tls_client_auth.*`` field (ours or not)."""
        return [rule for rule in self.rules if CLIENT_AUTH_PREFIX in rule.expression]


@dataclass(frozen=True)
class Survey:
    account_id: str
    cas: tuple[CAInfo, ...]
    zones: tuple[ZoneSurvey, ...]
    #: True when every zone of the account was read (no ``--zone``): "no association" then means none at all.
    all_zones: bool
    other_certificates: int = 0
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def ca_info(record: MTLSCertificateRecord) -> CAInfo:
    """The SKI of the CA that issues client certificates (the end of the bundle's chain) and its expiry.
    An expired CA is read as of just before it expired (the upload rules refuse expired CAs)."""
    expiry = _expiry(record)
    try:
        bundle = parse_ca_bundle(record.certificates)
    except CertificateError as error:
        try:
            if expiry is None:
                raise
            bundle = parse_ca_bundle(record.certificates, now=expiry - timedelta(seconds=1))
        except CertificateError:
            return CAInfo(record, ski="", not_after=expiry, problem=str(error))
    issuing = bundle.issuing_ca
    return CAInfo(record, ski=issuing.subject_key_identifier, not_after=issuing.not_after)


def _expiry(record: MTLSCertificateRecord) -> datetime | None:
    try:
        moment = datetime.fromisoformat(record.expires_on.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def survey_account(
    client: CloudflareClient,
    account_id: str,
    zone_ids: Sequence[str] = (),
    progress: Progress | None = None,
) -> Survey:
    """Read the account's CAs and, for each zone (``zone_ids``, else every zone of the account), the
    associations of each CA and the zone's custom rules."""
    records = client.list_certificates(account_id)
    cas = tuple(ca_info(record) for record in records if record.ca)
    if zone_ids:
        zones = [Zone(id=zone_id, name="", account_id=account_id, status="") for zone_id in zone_ids]
    else:
        zones = sorted(client.list_zones(account_id), key=lambda zone: zone.name)
    surveyed = []
    for index, zone in enumerate(zones, start=1):
        if progress is not None:
            progress(index, len(zones), zone.name or zone.id)
        surveyed.append(_survey_zone(client, zone, cas))
    return Survey(
        account_id=account_id,
        cas=cas,
        zones=tuple(surveyed),
        all_zones=not zone_ids,
        other_certificates=len(records) - len(cas),
    )


_ZONE_REFUSALS = (PermissionDeniedError, NotFoundError, BadRequestError)


def _survey_zone(client: CloudflareClient, zone: Zone, cas: Sequence[CAInfo]) -> ZoneSurvey:
    """One zone's reads. A read refused for this zone (no permission, no such zone) is recorded and reported
    as a finding; other failures (credentials, outages) stop the inventory."""
    problems: list[str] = []
    associations: dict[str, list[str]] = {}
    reads: list[tuple[str, Callable[[], list[str]]]] = [
        (MANAGED_CA_ID, lambda: client.get_managed_ca_hostnames(zone.id)),
        *((ca.id, partial(client.get_hostname_associations, zone.id, ca.id)) for ca in cas),
    ]
    for ca_id, read in reads:
        try:
            hostnames = read()
        except _ZONE_REFUSALS as error:
            problems.append(
                f"the hostnames of {'the Managed CA' if ca_id == MANAGED_CA_ID else 'CA ' + ca_id}: {error}"
            )
            continue
        if hostnames:
            associations[ca_id] = hostnames
    rules_known = True
    try:
        ruleset = client.get_custom_rules_entrypoint(zone.id)
    except _ZONE_REFUSALS as error:
        problems.append(f"the custom rules: {error}")
        ruleset, rules_known = None, False
    return ZoneSurvey(
        zone=zone,
        associations=associations,
        rules=ruleset.rules if ruleset is not None else (),
        ruleset_id=ruleset.id if ruleset is not None else "",
        problems=tuple(problems),
        rules_known=rules_known,
    )
