"""The emulator's zone hostname associations: replace semantics, the managed CA list, validation, usages, lag."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import OTHER_ACCOUNT, TEST_ZONES, ZONE_OF_OTHER_ACCOUNT

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


def get_raw(api: httpx.Client, zone: str) -> httpx.Response:
    return api.get(hosts_path(zone))


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


def test_hostnames_that_are_not_a_list_are_refused(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    for body in ({"hostnames": "a.example.com", "mtls_certificate_id": cert_id}, {"hostnames": None}):
        response = api.put(hosts_path(), json=body)
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == 1451


def test_a_put_without_hostnames_empties_the_list(api: httpx.Client) -> None:
    """The schema requires no field (MISSING_HOSTNAMES_MEANS_EMPTY, UNCONFIRMED: read as [])."""
    cert_id = new_ca(api)
    assert put(api, ["a.example.com"], cert_id).status_code == 200
    emptied = api.put(hosts_path(), json={"mtls_certificate_id": cert_id})
    assert emptied.status_code == 200 and emptied.json()["result"] == {"hostnames": []}
    assert get(api, cert_id) == []


def test_unknown_certificate_id_is_1472(api: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    assert put(api, ["a.example.com"], unknown).status_code == 404
    response = api.get(hosts_path(), params={"mtls_certificate_id": unknown})
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == 1472


def test_malformed_zone_id_is_7003(api: httpx.Client) -> None:
    response = api.get(hosts_path("not-a-zone"))
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 7003


def test_usages_answer_the_documented_shape_only(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    usages = f"{CERTS}/{cert_id}/associations"
    assert api.get(usages).json()["result"] == []
    put(api, ["a.example.com"], cert_id).raise_for_status()
    put(api, ["b.example.org"], cert_id, zone=ZONE_2).raise_for_status()
    assert api.get(usages).json()["result"] == [{"service": "mtls_hostname_association", "status": "active"}]
    put(api, [], cert_id).raise_for_status()
    statuses = {u["status"] for u in api.get(usages).json()["result"]}
    assert statuses == {"active", "pending_deletion"}  # one zone still uses it, one lags (no zone named)


def test_an_undeclared_zone_answers_like_an_unknown_object(api: httpx.Client) -> None:
    calls: list[Callable[[], httpx.Response]] = [
        lambda: get_raw(api, "9" * 32),
        lambda: api.get(f"/zones/{'9' * 32}/rulesets/phases/x/entrypoint"),
    ]
    for call in calls:
        response = call()
        assert response.status_code == 404
        [error] = response.json()["errors"]
        assert error["code"] == 7003 and "Could not route to" in error["message"]


def test_a_hostname_outside_the_zone_is_refused_and_nothing_changes(api: httpx.Client) -> None:
    cert_id = new_ca(api)
    put(api, ["a.example.com"], cert_id).raise_for_status()
    for outside in (["b.example.com", "evil.example.org"], ["example.com.evil.net"], ["*.example.net"]):
        refused = put(api, outside, cert_id)
        assert refused.status_code == 400, outside
        message = refused.json()["errors"][0]["message"]
        assert f"is not in zone example.com ({ZONE})" in message
    assert get(api, cert_id) == ["a.example.com"]
    assert put(api, ["example.com", "*.example.com", "deep.a.example.com"], cert_id).status_code == 200


def test_a_ca_of_another_account_is_invisible_to_the_zone(emulator: EmulatorServer, api: httpx.Client) -> None:
    foreign = api.post(
        f"/accounts/{OTHER_ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": make_ca().pem}
    ).json()["result"]["id"]
    refused = put(api, ["a.example.com"], foreign)
    assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == 1472
    mine = new_ca(api)
    assert put(api, ["a.example.net"], mine, zone=ZONE_OF_OTHER_ACCOUNT).status_code == 404
    assert put(api, ["a.example.net"], foreign, zone=ZONE_OF_OTHER_ACCOUNT).status_code == 200
    assert emulator.state()["associations"] == {ZONE_OF_OTHER_ACCOUNT: {foreign: ["a.example.net"]}}


class TestAssociationLag:
    @pytest.fixture
    def emulator_config(self) -> EmulatorConfig:
        return EmulatorConfig(association_lag_seconds=0.4, zones=TEST_ZONES)

    def test_emptied_list_still_counts_as_in_use_during_the_lag(self, api: httpx.Client) -> None:
        cert_id = new_ca(api)
        put(api, ["a.example.com"], cert_id).raise_for_status()
        put(api, [], cert_id).raise_for_status()
        emptied = time.monotonic()
        assert get(api, cert_id) == []  # the list itself is empty at once
        usages = api.get(f"{CERTS}/{cert_id}/associations").json()["result"]
        assert usages == [{"service": "mtls_hostname_association", "status": "pending_deletion"}]
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


def test_a_client_killed_mid_request_leaves_nothing_applied_and_no_traceback(
    emulator: EmulatorServer, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """A run killed while it sends a write (kill -9 of the provider) closes the connection before the body is
    whole: nothing is applied, the request log says 499 (the client closed the request), and the emulator's log
    says so in one line, not with a traceback of an "unexpected failure"."""
    cert_id = new_ca(api)
    put(api, ["a.example.com"], cert_id).raise_for_status()
    body = f'{{"mtls_certificate_id": "{cert_id}", "hostnames": ["b.example.com"]}}'.encode()
    head = (
        f"PUT /client/v4{hosts_path()} HTTP/1.1\r\nHost: emulator\r\nContent-Type: application/json\r\n"
        f"Authorization: {emulator.auth_headers['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    caplog.set_level(logging.INFO)
    with socket.create_connection(("127.0.0.1", emulator.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.2)  # the emulator is reading the body when the client dies
    deadline = time.monotonic() + 5
    while not [e for e in emulator.requests() if e["method"] == "PUT" and e["status"] != 200]:
        assert time.monotonic() < deadline, emulator.requests()
        time.sleep(0.02)
    assert [e["status"] for e in emulator.requests() if e["method"] == "PUT"] == [200, 499]
    assert get(api, cert_id) == ["a.example.com"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info], caplog.text
    assert "closed the connection before its request arrived whole" in caplog.text
