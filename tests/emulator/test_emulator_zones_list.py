"""GET /zones: the declared zones as Cloudflare's List Zones answers them (filtered by account, paged), read
back with the official SDK's types and with our client."""

from __future__ import annotations

from cloudflare.types.zones import Zone as SDKZone

from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.zones import ACCOUNT, OTHER_ACCOUNT, TEST_ZONES, ZONE, ZONE_OF_OTHER_ACCOUNT


def test_zones_of_an_account_in_pages_with_cloudflares_shape(emulator: EmulatorServer) -> None:
    with emulator.client() as api:
        first = api.get("/zones", params={"account.id": ACCOUNT, "per_page": "5"}).json()
    assert first["success"] is True
    ours = sorted(zone.id for zone in TEST_ZONES.values() if zone.account_id == ACCOUNT)
    assert first["result_info"]["total_count"] == len(ours)
    assert first["result_info"]["total_pages"] == -(-len(ours) // 5)
    zone = SDKZone.model_validate(first["result"][0])
    assert zone.account.id == ACCOUNT and zone.status == "active"


def test_the_client_follows_the_pages_and_filters_by_account(emulator: EmulatorServer) -> None:
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        zones = client.list_zones(ACCOUNT)
        others = client.list_zones(OTHER_ACCOUNT)
    assert sorted(zone.id for zone in zones) == sorted(z.id for z in TEST_ZONES.values() if z.account_id == ACCOUNT)
    assert ZONE in {zone.id for zone in zones}
    assert [zone.id for zone in others] == [ZONE_OF_OTHER_ACCOUNT]
    assert {zone.name for zone in others} == {"example.net"}


def test_a_name_filter(emulator: EmulatorServer) -> None:
    with emulator.client() as api:
        answer = api.get("/zones", params={"name": "example.org"}).json()
    assert [zone["name"] for zone in answer["result"]] == ["example.org"]
