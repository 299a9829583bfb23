"""The emulator's zone hostname associations: replace semantics, the managed CA list, validation, usages, lag."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
ZONE_2 = "abcdefabcdefabcdefabcdefabcdefab"
CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"


def hosts_path(zone: str = ZONE) -> str:
    return f"/zones/{zone}/certificate_authorities/hostname_associations"


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def new_ca(api: httpx.Client) -> str:
    response = api.post(CERTS, json={"ca": True, "certificates": make_ca().pem})
    response.raise_for_status()
    cert_id: str = response.json()["result"]["id"]
    return cert_id


def put(api: httpx.Client, hostnames: object, cert_id: str | None, zone: str = ZONE) -> httpx.Response:
    body: dict[str, object] = {"hostnames": hostnames}
    if cert_id is not None:
        body["mtls_certificate_id"] = cert_id
    return api.put(hosts_path(zone), json=body)


def get(api: httpx.Client, cert_id: str | None, zone: str = ZONE) -> list[str]:
    params = {"mtls_certificate_id": cert_id} if cert_id else {}
    response = api.get(hosts_path(zone), params=params)
    response.raise_for_status()
    hostnames: list[str] = response.json()["result"]["hostnames"]
    return hostnames


def test_put_replaces_the_whole_list_and_keeps_order(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    answer = put(api, ["b.example.com", "a.example.com", "*.example.com"], cert_id)
    assert answer.status_code == 200
    assert answer.json()["result"] == {"hostnames": ["b.example.com", "a.example.com", "*.example.com"]}
    assert "mtls_certificate_id" not in answer.json()["result"]
    put(api, ["c.example.com"], cert_id).raise_for_status()
    assert get(api, cert_id) == ["c.example.com"]
    put(api, [], cert_id).raise_for_status()
    assert get(api, cert_id) == []


def test_lists_are_per_zone_and_per_ca(api: httpx.Client) -> None:
    first, second = new_ca(api), new_ca(api)
    put(api, ["a.example.com"], first).raise_for_status()
    put(api, ["a.example.com", "b.example.com"], second).raise_for_status()  # one host, several CAs
    put(api, ["z.example.org"], first, zone=ZONE_2).raise_for_status()
    assert get(api, first) == ["a.example.com"]
    assert get(api, second) == ["a.example.com", "b.example.com"]
    assert get(api, first, zone=ZONE_2) == ["z.example.org"]
    assert get(api, second, zone=ZONE_2) == []


def test_without_certificate_id_the_managed_ca_list_is_separate(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    put(api, ["byo.example.com"], cert_id).raise_for_status()
    assert get(api, None) == []
    put(api, ["managed.example.com"], None).raise_for_status()
    assert get(api, None) == ["managed.example.com"]
    assert get(api, cert_id) == ["byo.example.com"]
    put(api, [], None).raise_for_status()
    assert get(api, cert_id) == ["byo.example.com"]


@pytest.mark.parametrize(
    "hostnames",
    [
        ["a.example.com", "a.example.com"],
        ["Upper.Example.com"],
        ["https://a.example.com"],
        ["a.example.com."],
        ["localhost"],
        ["a.*.example.com"],
        [""],
        [42],
    ],
    ids=["duplicate", "upper", "url", "trailing-dot", "single-label", "mid-wildcard", "empty", "not-string"],
)
def test_invalid_hostnames_are_refused(api: httpx.Client, hostnames: list[object]) -> None:
    cert_id = new_ca(api)
    response = put(api, hostnames, cert_id)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == 1450 and error["message"].startswith("Invalid hostnames: ")
    assert get(api, cert_id) == []


def test_body_without_a_hostnames_list_is_refused(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    for body in ({"mtls_certificate_id": cert_id}, {"hostnames": "a.example.com", "mtls_certificate_id": cert_id}):
        response = api.put(hosts_path(), json=body)
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == 1451


def test_unknown_certificate_id_is_1472(api: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    assert put(api, ["a.example.com"], unknown).status_code == 404
    response = api.get(hosts_path(), params={"mtls_certificate_id": unknown})
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == 1472


def test_malformed_zone_id_is_7003(api: httpx.Client) -> None:
    response = api.get(hosts_path("not-a-zone"))
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 7003


def test_usages_list_each_zone_using_the_ca(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    usages = f"{CERTS}/{cert_id}/associations"
    assert api.get(usages).json()["result"] == []
    put(api, ["a.example.com"], cert_id).raise_for_status()
    put(api, ["b.example.com"], cert_id, zone=ZONE_2).raise_for_status()
    result = api.get(usages).json()["result"]
    assert {(u["service"], u["status"], u["zone_id"]) for u in result} == {
        ("mtls_hostname_association", "active", ZONE),
        ("mtls_hostname_association", "active", ZONE_2),
    }
    put(api, [], cert_id).raise_for_status()
    assert [u["zone_id"] for u in api.get(usages).json()["result"]] == [ZONE_2]


class TestAssociationLag:
    @pytest.fixture
    def emulator_config(self) -> EmulatorConfig:
        return EmulatorConfig(association_lag_seconds=0.4)

    def test_emptied_list_still_counts_as_in_use_during_the_lag(self, api: httpx.Client) -> None:
        cert_id = new_ca(api)
        put(api, ["a.example.com"], cert_id).raise_for_status()
        put(api, [], cert_id).raise_for_status()
        emptied = time.monotonic()
        assert get(api, cert_id) == []  # the list itself is empty at once
        usages = api.get(f"{CERTS}/{cert_id}/associations").json()["result"]
        assert usages == [{"service": "mtls_hostname_association", "status": "pending_deletion", "zone_id": ZONE}]
        refused = api.delete(f"{CERTS}/{cert_id}")
        assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == 1473
        time.sleep(max(0.0, 0.45 - (time.monotonic() - emptied)))
        assert api.get(f"{CERTS}/{cert_id}/associations").json()["result"] == []
        assert api.delete(f"{CERTS}/{cert_id}").status_code == 200

    def test_reassociating_cancels_the_lag(self, api: httpx.Client) -> None:
        cert_id = new_ca(api)
        put(api, ["a.example.com"], cert_id).raise_for_status()
        put(api, [], cert_id).raise_for_status()
        put(api, ["a.example.com"], cert_id).raise_for_status()
        statuses = [u["status"] for u in api.get(f"{CERTS}/{cert_id}/associations").json()["result"]]
        assert statuses == ["active"]
