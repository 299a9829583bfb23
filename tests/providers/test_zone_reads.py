"""The zone check at preview reads a zone one by one, and lists an account only as reading its zones one by one has
cost as much: a stack with a zone in a big account pays one call, a stack of many zones about twice the listing at
most, and the parallel checks of one account list each page once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import api_calls, association_inputs, create_ca
from tests.support.zones import OTHER_ACCOUNT, TEST_ZONES

#: A big account: 120 zones (three pages of 50) of another account than the settings', each example.net.
OTHER_ZONES = [f"{index:032x}" for index in range(0xE000, 0xE078)]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    more = EmulatorConfig.zone_map(*(f"{zone}=example.net@{OTHER_ACCOUNT}" for zone in OTHER_ZONES))
    return EmulatorConfig(zones={**TEST_ZONES, **more}, association_lag_seconds=0.3)


def _check(assocs: HostnameAssociationProvider, ca: dict[str, Any], zone: str, hostname: str) -> list[str]:
    """The properties the check refuses."""
    inputs = association_inputs(ca, [hostname], name=f"hosts-{zone[-4:]}", zone=zone)
    return [failure.property for failure in assocs.check({}, inputs).failures]


def _pages_listed(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """(account, page) of each ``GET /zones``."""
    listed = []
    for entry in emulator.requests():
        if entry["method"] == "GET" and entry["path"].rstrip("/").endswith("/zones"):
            query = dict(part.split("=", 1) for part in entry["query"].split("&"))
            listed.append((query["account.id"], query["page"]))
    return listed


def test_a_zone_in_a_big_account_costs_one_read_not_the_listing(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    emulator.clear_requests()

    assert _check(assocs, ca, OTHER_ZONES[7], "api.example.net") == []
    assert _check(assocs, ca, OTHER_ZONES[7], "www.example.net") == []  # the same zone again: from memory

    assert api_calls(emulator) == ["GET zone"]


def test_many_zones_of_an_account_are_listed_once_reading_them_one_by_one_cost_as_much(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    emulator.clear_requests()

    refused = [_check(assocs, ca, zone, "api.example.net") for zone in OTHER_ZONES[:-1]]
    outside = _check(assocs, ca, OTHER_ZONES[-1], "api.example.com")

    assert refused == [[]] * (len(OTHER_ZONES) - 1)
    # Two zones read, then the first page (50 zones, of three pages); two more zones read one by one (as many as the
    # pages left): then the rest of the listing. 7 calls for 120 zones, every page read once.
    calls = api_calls(emulator)
    assert calls.count("GET zone") == 4 and len(calls) == 7
    assert _pages_listed(emulator) == [(OTHER_ACCOUNT, "1"), (OTHER_ACCOUNT, "2"), (OTHER_ACCOUNT, "3")]
    # The listing gives each zone's domain: a hostname outside it is still refused at preview, with no more reads.
    assert outside == ["hostnames"]


def test_parallel_checks_read_each_page_of_an_account_once(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """The engine checks many resources at once (the provider server's worker threads): one lists, the others wait."""
    _, ca = create_ca(certs)
    emulator.clear_requests()

    with ThreadPoolExecutor(max_workers=16) as workers:
        refused = list(workers.map(lambda zone: _check(assocs, ca, zone, "api.example.net"), OTHER_ZONES))

    assert refused == [[]] * len(OTHER_ZONES)
    assert sorted(_pages_listed(emulator)) == [(OTHER_ACCOUNT, "1"), (OTHER_ACCOUNT, "2"), (OTHER_ACCOUNT, "3")]
    assert api_calls(emulator).count("GET zone") < len(OTHER_ZONES) / 2


def test_a_token_that_may_not_list_zones_reads_them_one_by_one_and_asks_once(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    emulator.add_fault("GET:*/zones:status=403")
    emulator.clear_requests()

    refused = [_check(assocs, ca, zone, "api.example.net") for zone in OTHER_ZONES[:10]]

    assert refused == [[]] * 10
    assert api_calls(emulator).count("GET zone") == 10 and len(_pages_listed(emulator)) == 1
