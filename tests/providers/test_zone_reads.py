"""The zone check at preview reads each account's zones once per run: the settings' account first, and an account
met through a zone read one by one (a stack whose CAs live in several accounts) as soon as that read names it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import api_calls, association_inputs, create_ca
from tests.support.zones import ACCOUNT, OTHER_ACCOUNT, TEST_ZONES

#: Twelve zones of another account than the settings' (CLOUDFLARE_ACCOUNT_ID), each example.net.
OTHER_ZONES = [f"{index:032x}" for index in range(0xE000, 0xE00C)]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    more = EmulatorConfig.zone_map(*(f"{zone}=example.net@{OTHER_ACCOUNT}" for zone in OTHER_ZONES))
    return EmulatorConfig(zones={**TEST_ZONES, **more}, association_lag_seconds=0.3)


def _inputs(ca: dict[str, Any], zone: str, hostnames: list[str]) -> dict[str, Any]:
    return association_inputs(ca, hostnames, name=f"hosts-{zone[-4:]}", zone=zone)


def _zone_listings(emulator: EmulatorServer) -> list[str]:
    """The account each ``GET /zones`` listed."""
    return [
        entry["query"].split("account.id=")[1].split("&")[0]
        for entry in emulator.requests()
        if entry["method"] == "GET" and entry["path"].rstrip("/").endswith("/zones")
    ]


def test_zones_of_another_account_are_listed_once_not_read_one_by_one(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    emulator.clear_requests()

    results = [assocs.check({}, _inputs(ca, zone, ["api.example.net"])) for zone in OTHER_ZONES[:-1]]
    outside = assocs.check({}, _inputs(ca, OTHER_ZONES[-1], ["api.example.com"]))

    assert all(result.failures == [] for result in results)
    # The settings' account (none of these zones), one read of a zone, which names its account; then that account.
    assert api_calls(emulator) == ["GET zones", "GET zone", "GET zones"]
    assert _zone_listings(emulator) == [ACCOUNT, OTHER_ACCOUNT]
    # The listing gives each zone's domain: a hostname outside it is still refused at preview, with no more reads.
    assert [failure.property for failure in outside.failures] == ["hostnames"]
    assert "not in zone example.net" in outside.failures[0].reason


def test_parallel_checks_wait_for_one_listing_of_an_account(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """The engine checks many resources at once (the provider server's worker threads): one lists, the others wait."""
    _, ca = create_ca(certs)
    emulator.clear_requests()

    with ThreadPoolExecutor(max_workers=len(OTHER_ZONES)) as workers:
        results = list(workers.map(lambda zone: assocs.check({}, _inputs(ca, zone, ["api.example.net"])), OTHER_ZONES))

    assert all(result.failures == [] for result in results)
    assert _zone_listings(emulator) == [ACCOUNT, OTHER_ACCOUNT]
