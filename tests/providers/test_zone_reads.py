"""The zone check at preview reads a zone one by one, and lists an account only as reading its zones one by one has
cost as much: a stack with a zone in a big account pays one call, a stack of many zones about twice the listing at
most, and the parallel checks of one account list each page once. A zone once read is recorded by name in the
association's inputs: a later hostname change checks against that name, and the run reads one zone only, to confirm
the credentials."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import api_calls, association_inputs, configured, create_ca, next_run
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


def _recorded(assocs: HostnameAssociationProvider, ca: dict[str, Any], zones: list[str]) -> dict[str, dict[str, Any]]:
    """The inputs a first run records for an association in each zone (its check's, with api.example.net); then a
    later run begins."""
    recorded = {}
    for zone in zones:
        result = assocs.check({}, association_inputs(ca, ["api.example.net"], name=f"hosts-{zone[-4:]}", zone=zone))
        assert result.failures == []
        recorded[zone] = dict(result.inputs)
    next_run()
    return recorded


def _change(
    assocs: HostnameAssociationProvider, ca: dict[str, Any], olds: dict[str, Any], hostname: str
) -> tuple[list[str], dict[str, Any]]:
    """A later run's check of the association recorded as ``olds`` with one more hostname: the properties refused
    and the inputs it records."""
    news = association_inputs(ca, ["api.example.net", hostname], name=olds["declared_by"], zone=olds["zone_id"])
    result = assocs.check(olds, news)
    return [failure.property for failure in result.failures], dict(result.inputs)


def test_the_check_records_the_zones_name_and_a_hostname_change_reads_one_zone_per_run(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    recorded = _recorded(assocs, ca, OTHER_ZONES[:10])
    assert {inputs["zone_name"] for inputs in recorded.values()} == {"example.net"}
    emulator.clear_requests()

    changed = [_change(assocs, ca, olds, "www.example.net") for olds in recorded.values()]
    outside = _change(assocs, ca, recorded[OTHER_ZONES[3]], "www.example.com")

    assert [refused for refused, _ in changed] == [[]] * 10
    assert {inputs["zone_name"] for _, inputs in changed} == {"example.net"}
    # A hostname outside the zone is still refused at preview: against the recorded name, with no read.
    assert outside[0] == ["hostnames"]
    # One zone read, the first, confirms the credentials; the other nine and the refusal read nothing.
    assert api_calls(emulator) == ["GET zone"]


def test_parallel_hostname_changes_wait_for_the_one_read_that_confirms_the_credentials(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    recorded = _recorded(assocs, ca, OTHER_ZONES[:40])
    emulator.clear_requests()

    with ThreadPoolExecutor(max_workers=16) as workers:
        changed = list(workers.map(lambda olds: _change(assocs, ca, olds, "www.example.net"), recorded.values()))

    assert [refused for refused, _ in changed] == [[]] * 40
    assert api_calls(emulator) == ["GET zone"]


def test_a_refused_token_is_still_found_at_the_preview_of_a_hostname_change(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    recorded = _recorded(assocs, ca, OTHER_ZONES[:20])
    revoked = configured(HostnameAssociationProvider(), emulator, **{"cfmtls:apiToken": "a-revoked-token"})
    emulator.clear_requests()

    def change(olds: dict[str, Any]) -> list[tuple[str, str]]:
        result = revoked.check(olds, {**olds, "hostnames": ["api.example.net", "www.example.net"]})
        return [(failure.property, failure.reason) for failure in result.failures]

    with ThreadPoolExecutor(max_workers=16) as workers:
        refused = list(workers.map(change, recorded.values()))

    # No read confirmed the credentials, so none is checked against its recorded name alone: each association fails
    # at preview with the refusal's sentence, naming its own zone, after one read of its own (as before the name was
    # recorded: once the first read failed, the others read in parallel instead of waiting in turn).
    for zone, failures in zip(recorded, refused, strict=True):
        assert [prop for prop, _ in failures] == ["zone_id"]
        assert zone in failures[0][1] and "Authentication error (code 10000)" in failures[0][1]
    assert api_calls(emulator) == ["GET zone"] * 20


def test_a_zone_gone_since_it_was_recorded_is_found_when_it_is_the_runs_first_read(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    _, ca = create_ca(certs)
    recorded = _recorded(assocs, ca, OTHER_ZONES[:1])
    emulator.add_fault(f"GET:*/zones/{OTHER_ZONES[0]}:status=404:code=7003")

    refused, _ = _change(assocs, ca, recorded[OTHER_ZONES[0]], "www.example.net")

    assert refused == ["zone_id"]


def test_an_unchanged_association_of_a_stack_recorded_before_the_zone_name_reads_nothing_and_records_nothing(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """Inputs that differ from the recorded ones make the engine write its checkpoint for a "same" step: a no-op
    ``pulumi up`` of a stack recorded by 0.2.0 must keep its inputs as they are."""
    _, ca = create_ca(certs)
    olds = _recorded(assocs, ca, OTHER_ZONES[:1])[OTHER_ZONES[0]]
    del olds["zone_name"]
    emulator.clear_requests()

    result = assocs.check(
        olds, association_inputs(ca, ["api.example.net"], name=olds["declared_by"], zone=olds["zone_id"])
    )

    assert result.failures == [] and dict(result.inputs) == olds
    assert api_calls(emulator) == []
