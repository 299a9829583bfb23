"""Both commands against the emulator, as an operator runs them (settings from the environment)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.cli import main
from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.cloudflare.models import RuleSpec
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.routes import ACCOUNT_SSL_WRITE, ZONE_SSL_WRITE
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.zones import TEST_ZONES

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
HOSTS = ["api.example.com", "admin.example.com"]
CA_NAME = "demo-ca [cfmtls-0123456789ab]"  # as MTLSCertificate names its uploads: brackets are not markup


SSL_ONLY_TOKEN = "ssl-only-token"
OTHER_ZONE = "abcdefabcdefabcdefabcdefabcdefab"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """The default token, and one without the WAF permission (its zone rules cannot be read)."""
    base = EmulatorConfig(zones=TEST_ZONES)
    ssl_only = frozenset({ACCOUNT_SSL_WRITE, ZONE_SSL_WRITE})
    zones = EmulatorConfig.zone_map(f"{ZONE}=example.com@{ACCOUNT}", f"{OTHER_ZONE}=example.org@{ACCOUNT}")
    return dataclasses.replace(base, tokens={**base.tokens, SSL_ONLY_TOKEN: ssl_only}, zones=zones)


@dataclass
class Demo:
    client: CloudflareClient
    ca_id: str


@pytest.fixture
def stack(emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """What the example stack makes: a CA, its hostnames, a rule pinned to it; and client certificates."""
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", emulator.token)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    ca = make_ca("demo CA")
    (tmp_path / "client.pem").write_text(ca.issue_cert("client").pem)
    (tmp_path / "intruder.pem").write_text(make_ca("other CA").issue_cert("intruder").pem)
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        record = client.upload_certificate(ACCOUNT, ca.pem, name=CA_NAME)
        client.replace_hostname_associations(ZONE, record.id, HOSTS)
        ski = parse_ca_bundle(ca.pem).issuing_ca.subject_key_identifier
        spec = RuleSpec(ref="cfmtls:demo", expression=build_expression(HOSTS, ski), description="require mTLS")
        client.create_custom_rules_entrypoint(ZONE, spec)
        yield Demo(client, record.id)


def test_inventory_shows_the_ca_hostnames_and_rule_and_no_finding(
    stack: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "--zone", ZONE]) == 0
    out = capsys.readouterr().out
    for expected in (CA_NAME, *HOSTS, "require mTLS", "block", "0 error(s), 0 warning(s)"):
        assert expected in out
    assert main(["inventory", "--zone", ZONE, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [ca["name"] for ca in data["cas"]] == [CA_NAME]
    zone = data["zones"][0]
    assert zone["associations"] == [{"ca_id": stack.ca_id, "hostnames": HOSTS}]
    assert zone["client_certificate_rules"][0]["enforces"] == sorted(HOSTS)
    assert [f["code"] for f in data["findings"]] == ["quota"]


def test_a_hostname_associated_by_hand_is_reported_and_fails_the_gate(
    stack: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.client.replace_hostname_associations(ZONE, stack.ca_id, [*HOSTS, "extra.example.com"])
    assert main(["inventory", "--zone", ZONE]) == 1
    out = capsys.readouterr().out
    assert "associated-not-enforced" in out and "extra.example.com" in out


def test_check_client_accepts_the_ca_s_client_and_refuses_others_naming_the_rule(
    stack: Demo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["check-client", "--hostname", "api.example.com"]  # the zone is found from the account's zones
    assert main([*base, "--cert", str(tmp_path / "client.pem")]) == 0
    assert "ALLOWED" in capsys.readouterr().out
    assert main([*base, "--cert", str(tmp_path / "intruder.pem")]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "require mTLS" in out and "unable to get local issuer certificate" in out
    assert main([*base, "--no-cert", "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["rule"]["description"] == "require mTLS"


def test_api_failures_are_one_sentence(
    stack: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong-token")
    monkeypatch.setenv("CFMTLS_MAX_RETRIES", "0")
    assert main(["inventory", "--zone", ZONE]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cfmtls: ") and "Traceback" not in err and "wrong-token" not in err


def test_progress_goes_to_stderr_and_the_tables_to_stdout(stack: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "--json"]) == 0  # every zone of the account, listed from the API
    captured = capsys.readouterr()
    assert "reading zone 1/2: example.com" in captured.err and "reading zone 2/2: example.org" in captured.err
    zones = json.loads(captured.out)["zones"]
    assert [(zone["id"], zone["name"]) for zone in zones] == [(ZONE, "example.com"), (OTHER_ZONE, "example.org")]


def test_a_zone_the_token_cannot_read_is_an_error_finding_not_a_crash(
    stack: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", SSL_ONLY_TOKEN)
    assert main(["inventory", "--zone", ZONE, "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    unreadable = [finding for finding in findings if finding["code"] == "zone-unreadable"]
    assert len(unreadable) == 1 and "the custom rules" in unreadable[0]["message"]
    assert "associated-not-enforced" not in {finding["code"] for finding in findings}  # not known, not claimed


def test_check_client_asks_for_the_zone_when_several_have_the_hostname_s_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = EmulatorConfig.zone_map(f"{ZONE}=example.com@{ACCOUNT}", f"{'1' * 32}=example.com@{ACCOUNT}")
    with EmulatorServer(EmulatorConfig(zones=zones)) as server:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", server.base_url)
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", server.token)
        monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        assert main(["check-client", "--hostname", "api.example.com", "--no-cert"]) == 2
    assert "several zones of account" in capsys.readouterr().err
