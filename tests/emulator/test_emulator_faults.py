"""The emulator's fault injection: status answers, dropped connections, delays, commit-then-fail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from cfmtls_provider.emulator.faults import FaultRule, FaultSpecError
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"
HOSTS = f"/zones/{ZONE}/certificate_authorities/hostname_associations"


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def add_fault(emulator: EmulatorServer, rule: object) -> httpx.Response:
    return httpx.post(f"{emulator.admin_url}/faults", json=rule)


def statuses(emulator: EmulatorServer) -> list[int]:
    return [entry["status"] for entry in emulator.requests()]


def test_429_with_retry_after_then_normal(emulator: EmulatorServer, api: httpx.Client) -> None:
    assert add_fault(emulator, "POST:*/mtls_certificates:status=429:retry_after=2:count=1").status_code == 200
    limited = api.post(CERTS, json={"ca": True, "certificates": make_ca().pem})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["success"] is False and limited.json()["errors"][0]["code"] == 971
    assert api.get(CERTS).json()["result"] == []  # nothing was applied
    assert api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}).status_code == 200
    assert statuses(emulator) == [429, 200, 200]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_answers_a_cloudflare_envelope(emulator: EmulatorServer, api: httpx.Client, status: int) -> None:
    add_fault(emulator, {"method": "GET", "path": "*/mtls_certificates", "action": "status", "status": status})
    response = api.get(CERTS)
    assert response.status_code == status
    assert response.json() == {
        "success": False,
        "errors": [{"code": 10002, "message": "An unknown error has occurred"}],
        "messages": [],
        "result": None,
    }


def test_drop_makes_httpx_raise_a_transport_error(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "GET:*/mtls_certificates:drop")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(CERTS)
    assert api.get(CERTS).status_code == 200
    assert statuses(emulator) == [0, 200]


def test_delay_exceeds_a_client_timeout(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "GET:*/mtls_certificates:delay=0.5")
    with pytest.raises(httpx.ReadTimeout):
        api.get(CERTS, timeout=0.1)
    assert api.get(CERTS, timeout=2).status_code == 200


def test_delay_still_applies_the_call_after_the_client_timed_out(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "POST:*/mtls_certificates:delay=0.5")
    with pytest.raises(httpx.ReadTimeout):
        api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}, timeout=0.1)
    time.sleep(0.8)
    assert len(api.get(CERTS).json()["result"]) == 1  # applied, as a slow Cloudflare would
    assert statuses(emulator)[0] == 200


def test_commit_then_status_really_commits(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "POST:*/mtls_certificates:commit_then_status=500")
    pem = make_ca().pem
    assert api.post(CERTS, json={"ca": True, "certificates": pem}).status_code == 500
    [cert] = api.get(CERTS).json()["result"]
    retry = api.post(CERTS, json={"ca": True, "certificates": pem})
    assert retry.json()["errors"][0]["code"] == 1471  # the client's retry meets its own first upload
    assert cert["certificates"] == pem


def test_commit_then_drop_really_commits(emulator: EmulatorServer, api: httpx.Client) -> None:
    cert_id = api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}).json()["result"]["id"]
    add_fault(emulator, "PUT:*/hostname_associations:commit_then_drop")
    with pytest.raises(httpx.TransportError):
        api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id})
    assert api.get(HOSTS, params={"mtls_certificate_id": cert_id}).json()["result"]["hostnames"] == ["a.example.com"]
    assert statuses(emulator)[-2:] == [0, 200]


def test_skip_and_count(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "GET:*:status=503:skip=1:count=2")
    assert [api.get(CERTS).status_code for _ in range(4)] == [200, 503, 503, 200]


def test_count_zero_fires_every_time_until_cleared(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, {"method": "*", "path": "*", "action": "status", "status": 502, "count": 0})
    assert [api.get(CERTS).status_code for _ in range(3)] == [502, 502, 502]
    listed = httpx.get(f"{emulator.admin_url}/faults").json()
    assert listed[0]["fired"] == 3
    httpx.delete(f"{emulator.admin_url}/faults")
    assert api.get(CERTS).status_code == 200


def test_faults_match_method_and_path(emulator: EmulatorServer, api: httpx.Client) -> None:
    add_fault(emulator, "DELETE:*/mtls_certificates/*:status=500")
    assert api.get(CERTS).status_code == 200
    assert api.delete(f"{CERTS}/00000000-0000-4000-8000-000000000000").status_code == 500


def test_write_matches_every_method_but_get_and_counts_across_them(emulator: EmulatorServer, api: httpx.Client) -> None:
    # Every write after the first is refused, whatever its method: the first one alone is applied.
    add_fault(emulator, "WRITE:*:status=503:skip=1:count=0")
    assert api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}).status_code == 200
    assert api.post(CERTS, json={"ca": True, "certificates": make_ca().pem}).status_code == 503
    assert api.put(HOSTS, json={"hostnames": [], "mtls_certificate_id": "x"}).status_code == 503
    assert api.get(CERTS).status_code == 200
    assert len(api.get(CERTS).json()["result"]) == 1


def test_admin_calls_are_never_faulted_nor_logged(emulator: EmulatorServer) -> None:
    add_fault(emulator, {"method": "*", "path": "*", "action": "drop", "count": 0})
    assert httpx.get(f"{emulator.admin_url}/state").status_code == 200
    assert emulator.requests() == []


def test_bad_fault_rules_are_refused(emulator: EmulatorServer) -> None:
    assert add_fault(emulator, {"method": "GET", "path": "*", "action": "explode"}).status_code == 400
    assert add_fault(emulator, "GET:*:status=abc").status_code == 400
    for spec in ("GET:*", "GET:*:drop=1", "GET:*:status=429:retry_after", "GET:*:status=99"):
        with pytest.raises(FaultSpecError):
            FaultRule.parse(spec)


def test_compact_form() -> None:
    rule = FaultRule.parse("post:*/mtls_certificates:status=429:retry_after=2.5:count=3:skip=1")
    assert (rule.method, rule.path, rule.action, rule.status) == ("POST", "*/mtls_certificates", "status", 429)
    assert (rule.retry_after, rule.count, rule.skip) == (2.5, 3, 1)
    assert FaultRule.parse("GET:*:status=429").retry_after == 1.0
    assert FaultRule.parse("PUT:*:commit_then_status").status == 500
    assert FaultRule.parse("GET:/client/v4/zones/*:delay=2").matches("GET", "/zones/abc/rulesets")
