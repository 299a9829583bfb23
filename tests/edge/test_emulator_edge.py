"""The emulator's mTLS edge, driven by real TLS clients (httpx; curl where installed) against the API's state."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.client_auth import MultipleCAPolicy
from cfmtls_provider.emulator import EmulatorServer
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.edge.probe import fetch
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
HOST = "api.example.com"
PHASE = "http_request_firewall_custom"


@dataclass
class Client:
    """A CA (PEM, SKI) and a client certificate it issued, on disk for TLS clients."""

    ca_pem: str
    ski: str
    cert: Path
    key: Path


def _client(tmp: Path, name: str) -> Client:
    ca = make_ca(f"{name} CA")
    client = ca.issue_cert(f"{name} client")
    (tmp / f"{name}.pem").write_text(client.pem)
    (tmp / f"{name}.key").write_text(client.key_pem)
    return Client(ca.pem, parse_ca_bundle(ca.pem).ca.subject_key_identifier, tmp / f"{name}.pem", tmp / f"{name}.key")


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(zones=TEST_ZONES), edge_port=0) as server:
        yield server


@pytest.fixture
def corp(tmp_path: Path) -> Client:
    return _client(tmp_path, "corp")


@pytest.fixture
def other(tmp_path: Path) -> Client:
    return _client(tmp_path, "other")


def _upload(api: httpx.Client, client: Client) -> str:
    answer = api.post(f"/accounts/{ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": client.ca_pem})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"]["id"])


def _associate(api: httpx.Client, cert_id: str, hostnames: list[str]) -> None:
    body = {"hostnames": hostnames, "mtls_certificate_id": cert_id}
    answer = api.put(f"/zones/{ZONE}/certificate_authorities/hostname_associations", json=body)
    assert answer.status_code == 200, answer.text


def _rules(api: httpx.Client, *rules: dict[str, Any]) -> None:
    body = {"name": "custom", "kind": "zone", "phase": PHASE, "rules": list(rules)}
    answer = api.post(f"/zones/{ZONE}/rulesets", json=body)
    assert answer.status_code == 200, answer.text


def _get(emulator: EmulatorServer, client: Client | None = None, host: str = HOST, path: str = "/") -> httpx.Response:
    edge = emulator.edge
    assert edge.ca_file is not None
    if client is None:
        return fetch(edge.url, edge.ca_file, host, path=path)
    return fetch(edge.url, edge.ca_file, host, cert=client.cert, key=client.key, path=path)


def _protect(emulator: EmulatorServer, client: Client, *, pinned: bool = True) -> str:
    api = emulator.client()
    cert_id = _upload(api, client)
    _associate(api, cert_id, [HOST])
    _rules(
        api, {"action": "block", "ref": "mtls", "expression": build_expression([HOST], client.ski if pinned else None)}
    )
    return cert_id


def test_edge_ca_is_written_served_and_trusted_for_any_hostname(emulator: EmulatorServer) -> None:
    edge = emulator.edge
    assert edge.ca_file is not None
    served = httpx.get(f"{emulator.admin_url}/edge-ca")
    assert served.status_code == 200 and served.text == edge.ca_file.read_text() == edge.ca.pem
    for host in ("anything.example.net", "api.example.com"):
        answer = _get(emulator, host=host, path="/some/path")
        assert answer.status_code == 200
        echo = answer.json()
        assert (echo["hostname"], echo["path"]) == (host, "/some/path")
        assert echo["tls_client_auth"]["cert_presented"] is False


def test_without_an_edge_the_admin_routes_say_how_to_start_it() -> None:
    with EmulatorServer() as plain:
        answer = httpx.get(f"{plain.admin_url}/edge-ca")
    assert answer.status_code == 404 and "--edge-port" in answer.json()["error"]


def test_pinned_rule_allows_only_the_ca_s_clients(emulator: EmulatorServer, corp: Client, other: Client) -> None:
    _protect(emulator, corp)
    allowed = _get(emulator, corp, path="/v1/me")
    assert allowed.status_code == 200
    seen = allowed.json()["tls_client_auth"]
    assert seen["cert_presented"] is True and seen["cert_verified"] is True
    assert seen["cert_issuer_ski"] == corp.ski and seen["cert_subject_dn"] == "CN=corp client"
    no_cert = _get(emulator)
    assert no_cert.status_code == 403 and "Sorry, you have been blocked" in no_cert.text
    assert no_cert.headers["cf-ray"].endswith("-EMU")
    assert _get(emulator, other).status_code == 403
    log = httpx.get(f"{emulator.admin_url}/edge-requests").json()
    assert [(e["presented"], e["verified"], e["action"], e["status"]) for e in log] == [
        (True, True, None, 200),
        (False, False, "block", 403),
        (True, False, "block", 403),
    ]
    assert log[0]["path"] == "/v1/me" and log[1]["rule_ref"] == "mtls" and log[1]["zone_id"] == ZONE
    assert "unable to get local issuer certificate" in log[2]["failure"]
    assert httpx.delete(f"{emulator.admin_url}/edge-requests").json() == {"cleared": True}
    assert httpx.get(f"{emulator.admin_url}/edge-requests").json() == []


def test_an_association_change_applies_to_the_next_connection(
    emulator: EmulatorServer, corp: Client, other: Client
) -> None:
    cert_id = _protect(emulator, corp, pinned=False)
    assert _get(emulator, corp).status_code == 200
    _associate(emulator.client(), cert_id, [])
    # The hostname no longer requests a certificate: the client's is not even seen, and the rule blocks.
    answer = _get(emulator, corp)
    assert answer.status_code == 403
    assert httpx.get(f"{emulator.admin_url}/edge-requests").json()[-1]["presented"] is False
    other_id = _upload(emulator.client(), other)
    _associate(emulator.client(), other_id, [HOST])
    assert _get(emulator, other).status_code == 200
    assert _get(emulator, corp).status_code == 403


def test_several_cas_on_a_hostname_the_most_recently_deployed_one_verifies(corp: Client, other: Client) -> None:
    policies: list[tuple[MultipleCAPolicy, bool]] = [("newest", False), ("any", True)]
    for policy, corp_verified in policies:
        with EmulatorServer(EmulatorConfig(zones=TEST_ZONES), edge_port=0, edge_multiple_cas=policy) as emulator:
            api = emulator.client()
            _associate(api, _upload(api, corp), [HOST])
            _associate(api, _upload(api, other), [HOST])
            assert _get(emulator, corp).json()["tls_client_auth"]["cert_verified"] is corp_verified, policy
            assert _get(emulator, other).json()["tls_client_auth"]["cert_verified"] is True


def test_rule_actions_log_skip_challenge_and_a_rule_that_cannot_be_evaluated(
    emulator: EmulatorServer, corp: Client
) -> None:
    api = emulator.client()
    _associate(api, _upload(api, corp), [HOST])
    not_verified = "not cf.tls_client_auth.cert_verified"
    _rules(
        api,
        {"action": "log", "ref": "log-all", "expression": 'http.host eq "api.example.com"'},
        {
            "action": "skip",
            "ref": "health",
            "expression": 'http.request.uri.path eq "/health"',
            "action_parameters": {"ruleset": "current"},
        },
        {
            "action": "managed_challenge",
            "ref": "challenge",
            "expression": f'http.request.uri.path eq "/login" and {not_verified}',
        },
        {"action": "block", "ref": "mtls", "expression": f"({not_verified})"},
    )
    assert _get(emulator, corp).status_code == 200  # matched the log rule only
    assert _get(emulator, path="/health").status_code == 200  # skip: the remaining rules do not run
    challenged = _get(emulator, path="/login")
    assert challenged.status_code == 403 and challenged.headers["cf-mitigated"] == "challenge"
    assert _get(emulator).status_code == 403
    # A rule outside what the evaluator handles: every request that reaches it answers 500, never a guess.
    ruleset = api.get(f"/zones/{ZONE}/rulesets/phases/{PHASE}/entrypoint").json()["result"]
    odd = {"action": "block", "ref": "odd", "expression": 'http.request.uri.path eq "/odd" and ip.src eq 192.0.2.1'}
    assert api.post(f"/zones/{ZONE}/rulesets/{ruleset['id']}/rules", json=odd).status_code == 200
    broken = _get(emulator, corp, path="/elsewhere")
    assert broken.status_code == 500 and "ip.src" in broken.json()["reason"]
    assert _get(emulator).status_code == 403  # blocked by an earlier rule: the odd one is not reached
    log = httpx.get(f"{emulator.admin_url}/edge-requests").json()
    assert [(e["rule_ref"], e["action"], e["status"]) for e in log] == [
        ("log-all", "log", 200),
        ("health", "skip", 200),
        ("challenge", "managed_challenge", 403),
        ("mtls", "block", 403),
        ("odd", "block", 500),
        ("mtls", "block", 403),
    ]
    assert log[4]["error"] and "ref odd" in log[4]["error"]


#: The rule the previous version built, still live until a stack's next `pulumi up`: it compared the Host exactly.
PREVIOUS_RULE = '(http.host in {"api.example.com"} and not cf.tls_client_auth.cert_verified)'


@pytest.mark.parametrize("host", ["api.example.com.", "API.example.com", "Api.Example.Com."])
def test_a_host_with_a_trailing_dot_or_upper_case_is_blocked_by_the_rule_and_was_not_by_the_previous_one(
    emulator: EmulatorServer, corp: Client, host: str
) -> None:
    """Issue 21, point 6: the Host is ``http.host`` as sent; the CA is asked for on the SNI name (no dot)."""
    api = emulator.client()
    _associate(api, _upload(api, corp), [HOST])
    _rules(api, {"action": "block", "ref": "previous", "expression": PREVIOUS_RULE})
    assert _get(emulator, host=host).status_code == 200  # the previous rule let it through
    assert _get(emulator, corp, host=host).status_code == 200
    ruleset = api.get(f"/zones/{ZONE}/rulesets/phases/{PHASE}/entrypoint").json()["result"]
    rule_id = ruleset["rules"][0]["id"]
    rule = {"action": "block", "ref": "previous", "expression": build_expression([HOST])}
    assert api.patch(f"/zones/{ZONE}/rulesets/{ruleset['id']}/rules/{rule_id}", json=rule).status_code == 200
    assert _get(emulator, host=host).status_code == 403
    allowed = _get(emulator, corp, host=host)
    assert allowed.status_code == 200 and allowed.json()["tls_client_auth"]["cert_verified"] is True
    log = httpx.get(f"{emulator.admin_url}/edge-requests").json()
    assert {entry["hostname"] for entry in log} == {host}  # the Host as sent


def _check_client(emulator: EmulatorServer, host: str, client: Client | None) -> str:
    """``cfmtls check-client`` as an operator runs it (its exit status), reading the CAs and the rules from the
    emulator's API (settings from the environment: the test's monkeypatch)."""
    from cfmtls_provider.cli import main

    certificate = ["--cert", str(client.cert)] if client else ["--no-cert"]
    status = main(["check-client", "--account", ACCOUNT, "--zone", ZONE, "--hostname", host, "--json", *certificate])
    return {0: "allowed", 1: "refused"}.get(status, f"exit {status}")


@pytest.mark.parametrize("expression", [PREVIOUS_RULE, build_expression([HOST])], ids=["previous-rule", "rule"])
def test_check_client_agrees_with_the_edge_for_every_form_of_the_host(
    emulator: EmulatorServer, corp: Client, other: Client, expression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21, point 6: for each Host a client may send, each client, the previous rule and the new one, the
    edge's answer and check-client's verdict are the same (one canonical name, one rules runner)."""
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", emulator.token)
    api = emulator.client()
    _associate(api, _upload(api, corp), [HOST])
    _rules(api, {"action": "block", "ref": "mtls", "expression": expression})
    seen: list[tuple[str, bool, str]] = []
    for host in (HOST, "api.example.com.", "API.example.com", "API.EXAMPLE.COM."):
        for client in (corp, other, None):
            status = _get(emulator, client, host=host).status_code
            verdict = _check_client(emulator, host, client)
            assert (verdict, status) in {("allowed", 200), ("refused", 403)}, (host, client, verdict, status)
            seen.append((host, client is corp, verdict))
    if expression == PREVIOUS_RULE:  # both see the way through it
        assert ("api.example.com.", False, "allowed") in seen and ("API.example.com", False, "allowed") in seen
    else:  # only the CA's own client gets in, whatever the form
        assert all(verdict == ("allowed" if ours else "refused") for _, ours, verdict in seen)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sees_the_same(emulator: EmulatorServer, corp: Client, other: Client) -> None:
    _protect(emulator, corp)
    edge = emulator.edge

    def curl(*extra: str) -> str:
        command = [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            str(edge.ca_file),
            "--resolve",
            f"{HOST}:{edge.port}:127.0.0.1",
            *extra,
            f"https://{HOST}:{edge.port}/",
        ]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30).stdout

    assert curl("--cert", str(corp.cert), "--key", str(corp.key)) == "200"
    assert curl() == "403"
    assert curl("--cert", str(other.cert), "--key", str(other.key)) == "403"


def test_probe_command_reports_the_verdict(
    emulator: EmulatorServer, corp: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    from cfmtls_provider.emulator.edge.probe import main

    _protect(emulator, corp)
    edge = emulator.edge
    base = ["--edge", edge.url, "--ca", str(edge.ca_file), "--hostname", HOST]
    assert main([*base, "--cert", str(corp.cert), "--key", str(corp.key)]) == 0
    assert main(base) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "200 allowed (presented=true, verified=true)"
    assert out[1].startswith("403 refused (blocked, Ray ID ")


@dataclass(frozen=True)
class _Zone:
    name: str

    def holds(self, hostname: str) -> bool:
        return hostname == self.name or hostname.endswith("." + self.name)


def test_the_rules_that_run_are_the_zone_s_holding_the_hostname() -> None:
    from cfmtls_provider.emulator.edge.setup import zones_for
    from cfmtls_provider.emulator.models.state import State

    zones = {"a" * 32: _Zone("example.com"), "b" * 32: _Zone("eu.example.com")}
    state = State()
    assert zones_for(state, zones, "api.eu.example.com") == ["b" * 32]  # the longest domain
    assert zones_for(state, zones, "api.example.com") == ["a" * 32]
    state.associations = {"c" * 32: {"some-ca": ["api.example.net"]}}
    assert zones_for(state, zones, "api.example.net") == ["c" * 32]  # undeclared: the associating zone
    assert zones_for(state, {}, "unknown.example.org") == []  # no zone, no rules
