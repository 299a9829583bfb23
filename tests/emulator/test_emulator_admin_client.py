"""``EmulatorAdmin``: the one admin client of a running emulator (tests, bench, summary), and the summary CLI."""

from __future__ import annotations

import pytest

from cfmtls_provider.emulator import summary
from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
CERTS = f"/accounts/{ACCOUNT}/mtls_certificates"
HOSTS = f"/zones/{ZONE}/certificate_authorities/hostname_associations"


def test_log_writes_state_and_reset_through_the_admin_client(emulator: EmulatorServer) -> None:
    ca = make_ca()
    with EmulatorAdmin.from_base_url(emulator.base_url) as admin, emulator.client() as api:
        assert admin.root_url == emulator.root_url and admin.base_url == emulator.base_url
        cert_id = api.post(CERTS, json={"ca": True, "certificates": ca.pem}).json()["result"]["id"]
        api.get(f"{CERTS}/{cert_id}")
        api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id})

        assert [(e["method"], e["path"]) for e in admin.requests()] == [
            ("POST", CERTS),
            ("GET", f"{CERTS}/{cert_id}"),
            ("PUT", HOSTS),
        ]
        assert [e["method"] for e in admin.writes()] == ["POST", "PUT"]
        state = admin.state()
        assert [c["id"] for c in state["certificates"]] == [cert_id]
        assert state["associations"][ZONE][cert_id] == ["a.example.com"]

        admin.clear_requests()
        assert admin.requests() == []
        admin.reset()
        assert admin.state()["certificates"] == [] and admin.requests() == []


def test_faults_are_added_listed_counted_and_cleared(emulator: EmulatorServer) -> None:
    with EmulatorAdmin(emulator.root_url) as admin, emulator.client() as api:
        admin.add_faults(
            "GET:*/mtls_certificates:status=503", {"method": "PUT", "path": "*", "action": "status", "status": 500}
        )
        assert [rule["fired"] for rule in admin.faults()] == [0, 0]
        assert api.get(CERTS).status_code == 503
        assert [rule["fired"] for rule in admin.faults()] == [1, 0]
        admin.clear_faults()
        assert admin.faults() == []
        assert api.get(CERTS).status_code == 200


def test_a_url_that_is_not_an_api_base_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="should end in /client/v4"):
        EmulatorAdmin.from_base_url("http://127.0.0.1:8787/")


def test_summary_prints_what_the_emulator_holds(emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator.client() as api:
        cert_id = api.post(CERTS, json={"ca": True, "certificates": make_ca().pem, "name": "corp"}).json()["result"][
            "id"
        ]
        api.put(HOSTS, json={"hostnames": ["a.example.com"], "mtls_certificate_id": cert_id})
    summary.main([emulator.base_url])
    out = capsys.readouterr().out
    assert f"{cert_id}  name=corp" in out and f"zone {ZONE} / CA {cert_id}: a.example.com" in out
    with pytest.raises(SystemExit, match="should end in /client/v4"):
        summary.main(["http://127.0.0.1:1/"])
