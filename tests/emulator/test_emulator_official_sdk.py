"""The official ``cloudflare`` Python SDK (5.x) round-trips against the emulator: the wire shapes agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import cloudflare
import pytest
from cloudflare.types.rulesets.ruleset_get_response import RulesetGetResponse

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
PHASE: Final = "http_request_firewall_custom"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(zones=TEST_ZONES, association_lag_seconds=0)  # the lag: test_emulator_associations.py


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[cloudflare.Cloudflare]:
    with cloudflare.Cloudflare(api_token=emulator.token, base_url=emulator.base_url, max_retries=0) as sdk:
        yield sdk


def test_certificates_and_hostname_associations(client: cloudflare.Cloudflare, emulator: EmulatorServer) -> None:
    ca = make_ca("SDK CA")
    created = client.mtls_certificates.create(account_id=ACCOUNT, ca=True, certificates=ca.pem, name="sdk")
    assert created is not None and created.id and created.ca is True and created.name == "sdk"
    assert created.certificates == ca.pem and created.signature == "ECDSAWithSHA256"
    assert created.uploaded_on is not None and created.updated_at is not None and created.expires_on is not None

    listed = client.mtls_certificates.list(account_id=ACCOUNT)
    assert [cert.id for cert in listed] == [created.id]
    got = client.mtls_certificates.get(created.id, account_id=ACCOUNT)
    assert got is not None and got.serial_number == str(ca.cert.serial_number)

    updated = client.certificate_authorities.hostname_associations.update(
        zone_id=ZONE, hostnames=["a.example.com", "b.example.com"], mtls_certificate_id=created.id
    )
    assert updated is not None and updated.hostnames == ["a.example.com", "b.example.com"]
    read = client.certificate_authorities.hostname_associations.get(zone_id=ZONE, mtls_certificate_id=created.id)
    assert read is not None and read.hostnames == ["a.example.com", "b.example.com"]
    managed = client.certificate_authorities.hostname_associations.get(zone_id=ZONE)
    assert managed is not None and managed.hostnames == []

    usages = list(client.mtls_certificates.associations.get(created.id, account_id=ACCOUNT))
    assert [(u.service, u.status) for u in usages] == [("mtls_hostname_association", "active")]

    with pytest.raises(cloudflare.BadRequestError):  # still associated
        client.mtls_certificates.delete(created.id, account_id=ACCOUNT)
    client.certificate_authorities.hostname_associations.update(
        zone_id=ZONE, hostnames=[], mtls_certificate_id=created.id
    )
    deleted = client.mtls_certificates.delete(created.id, account_id=ACCOUNT)
    assert deleted is not None and deleted.id == created.id
    with pytest.raises(cloudflare.NotFoundError):
        client.mtls_certificates.get(created.id, account_id=ACCOUNT)


def test_sdk_errors_carry_cloudflare_codes(client: cloudflare.Cloudflare, emulator: EmulatorServer) -> None:
    pem = make_ca().pem
    client.mtls_certificates.create(account_id=ACCOUNT, ca=True, certificates=pem)
    with pytest.raises(cloudflare.BadRequestError) as duplicate:
        client.mtls_certificates.create(account_id=ACCOUNT, ca=True, certificates=pem)
    assert "1471" in str(duplicate.value)
    stranger = cloudflare.Cloudflare(api_token="wrong", base_url=emulator.base_url, max_retries=0)
    with stranger, pytest.raises(cloudflare.AuthenticationError):
        stranger.mtls_certificates.list(account_id=ACCOUNT)
    emulator.add_fault("GET:*/mtls_certificates:status=429:retry_after=1")
    with pytest.raises(cloudflare.RateLimitError):
        client.mtls_certificates.list(account_id=ACCOUNT)


def as_ruleset(answer: object) -> RulesetGetResponse:
    """rulesets.create and rules.create/edit/delete are typed ``Union[Ruleset, Optional[object]]`` in the SDK
    (a dry run answers ``result: null``), so the SDK hands back the plain dict; validating it with the SDK's own
    ruleset model proves the emulator's answer has the shape the SDK declares."""
    return RulesetGetResponse.model_validate(answer)


def test_custom_rules(client: cloudflare.Cloudflare) -> None:
    with pytest.raises(cloudflare.NotFoundError):
        client.rulesets.phases.get(PHASE, zone_id=ZONE)
    ruleset = as_ruleset(client.rulesets.create(zone_id=ZONE, kind="zone", name="default", phase=PHASE, rules=[]))
    assert ruleset.phase == PHASE and ruleset.version == "1" and ruleset.rules == []

    with_rule = as_ruleset(
        client.rulesets.rules.create(
            ruleset.id,
            zone_id=ZONE,
            action="block",
            expression="not cf.tls_client_auth.cert_verified",
            description="mTLS",
            enabled=True,
            ref="cfmtls",
        )
    )
    assert with_rule.version == "2"
    [rule] = with_rule.rules
    assert rule.ref == "cfmtls" and rule.action == "block" and rule.last_updated is not None

    edited = as_ruleset(
        client.rulesets.rules.edit(
            rule.id,
            ruleset_id=ruleset.id,
            zone_id=ZONE,
            action="block",
            expression="true",
            description="mTLS",
            enabled=False,
            ref="cfmtls",
        )
    )
    assert edited.rules[0].expression == "true" and edited.rules[0].enabled is False

    entrypoint = client.rulesets.phases.get(PHASE, zone_id=ZONE)  # typed: the SDK parses it itself
    assert entrypoint.id == ruleset.id and entrypoint.version == "3"
    assert client.rulesets.get(ruleset.id, zone_id=ZONE).rules[0].enabled is False

    emptied = as_ruleset(client.rulesets.rules.delete(rule.id, ruleset_id=ruleset.id, zone_id=ZONE))
    assert emptied.rules == [] and emptied.version == "4"

    client.rulesets.delete(ruleset.id, zone_id=ZONE)  # the emptied entrypoint, all its versions
    with pytest.raises(cloudflare.NotFoundError):
        client.rulesets.phases.get(PHASE, zone_id=ZONE)


def test_zones_get_answers_the_zone_and_refuses_an_unknown_one(client: cloudflare.Cloudflare) -> None:
    zone = client.zones.get(zone_id=ZONE)
    assert zone is not None and (zone.id, zone.name, zone.account.id) == (ZONE, "example.com", ACCOUNT)
    assert zone.status == "active"
    with pytest.raises(cloudflare.NotFoundError) as unknown:
        client.zones.get(zone_id="9" * 32)
    assert "7003" in str(unknown.value)


def test_hostname_associations_update_without_hostnames_is_accepted(client: cloudflare.Cloudflare) -> None:
    """The SDK's update(zone_id=...) sends {} (the schema requires no field): accepted, read as an empty list."""
    created = client.mtls_certificates.create(account_id=ACCOUNT, ca=True, certificates=make_ca("SDK {}").pem)
    assert created is not None and created.id
    associations = client.certificate_authorities.hostname_associations
    associations.update(zone_id=ZONE, hostnames=["a.example.com"], mtls_certificate_id=created.id)
    emptied = associations.update(zone_id=ZONE, mtls_certificate_id=created.id)
    assert emptied is not None and emptied.hostnames == []
    managed = associations.update(zone_id=ZONE)
    assert managed is not None and managed.hostnames == []
