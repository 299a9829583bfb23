"""check-client: the verdict for a client certificate on a hostname, from the CAs and the rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.cli import main
from cfmtls_provider.cli.check import check_client
from cfmtls_provider.client_auth import AssociatedCA, load_certificates
from cfmtls_provider.cloudflare.models import Rule
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import Cert, make_ca

HOST = "api.example.com"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki() -> dict[str, Cert]:
    root = make_ca("root CA")
    intermediate = root.issue_ca("issuing CA")
    other = make_ca("other CA")
    return {
        "root": root,
        "intermediate": intermediate,
        "other": other,
        "client": root.issue_cert("client"),
        "via_intermediate": intermediate.issue_cert("client 2"),
        "intruder": other.issue_cert("intruder"),
        "expired": root.issue_cert("old client", not_after=NOW - timedelta(days=1)),
    }


def associated(*made: Cert) -> list[AssociatedCA]:
    return [
        AssociatedCA(id=f"ca{index}", uploaded_on=f"2026-01-0{index + 1}", certificates=(m.cert,))
        for index, m in enumerate(made)
    ]


def rules(ski: str | None = None) -> list[Rule]:
    expression = build_expression([HOST], ski)
    return [
        Rule(
            id="r1",
            ref="cfmtls:x",
            action="block",
            expression=expression,
            description="mTLS",
            enabled=True,
            version="1",
        )
    ]


def test_a_certificate_of_the_associated_ca_is_allowed(pki: dict[str, Cert]) -> None:
    result = check_client(HOST, [pki["client"].cert], associated(pki["root"]), rules())
    assert (result.decision, result.auth.cert_verified) == ("allowed", True)


def test_a_chain_through_an_intermediate_is_allowed_when_the_client_sends_it(pki: dict[str, Cert]) -> None:
    with_chain = check_client(
        HOST, [pki["via_intermediate"].cert, pki["intermediate"].cert], associated(pki["root"]), rules()
    )
    assert with_chain.decision == "allowed"
    alone = check_client(HOST, [pki["via_intermediate"].cert], associated(pki["root"]), rules())
    assert alone.decision == "refused"
    assert "unable to get local issuer certificate" in alone.reason


def test_refusals_name_the_rule_and_the_reason(pki: dict[str, Cert]) -> None:
    cases = {
        "intruder": check_client(HOST, [pki["intruder"].cert], associated(pki["root"]), rules()),
        "expired": check_client(HOST, [pki["expired"].cert], associated(pki["root"]), rules()),
        "none": check_client(HOST, None, associated(pki["root"]), rules()),
    }
    for result in cases.values():
        assert result.decision == "refused"
        assert result.deciding_rule is not None and result.deciding_rule.id == "r1"
        assert "'mTLS' (r1) (block)" in result.reason
    assert "expired" in cases["expired"].reason
    assert "no certificate presented" in cases["none"].reason


def test_a_rule_pinned_to_another_ca_refuses_a_verified_certificate(pki: dict[str, Cert]) -> None:
    other_ski = parse_ca_bundle(pki["other"].pem).issuing_ca.subject_key_identifier
    result = check_client(HOST, [pki["client"].cert], associated(pki["root"]), rules(other_ski))
    assert (result.decision, result.auth.cert_verified) == ("refused", True)


def test_only_the_newest_uploaded_ca_verifies(pki: dict[str, Cert]) -> None:
    # Cloudflare: "the most recently deployed certificate will be prioritized".
    result = check_client(HOST, [pki["client"].cert], associated(pki["root"], pki["other"]), rules())
    assert result.decision == "refused"
    assert [ca.id for ca in result.request.counted] == ["ca1"]


def test_without_an_associated_ca_no_certificate_is_asked_for(pki: dict[str, Cert]) -> None:
    result = check_client(HOST, [pki["client"].cert], [], rules())
    assert result.decision == "refused"
    assert result.auth.cert_presented is False
    assert "does not ask for a certificate" in result.reason


def test_a_rule_that_cannot_be_evaluated_gives_no_verdict(pki: dict[str, Cert]) -> None:
    unknown = Rule(
        id="r0", ref="", action="skip", expression="ip.src in {192.0.2.0/24}", description="", enabled=True, version=""
    )
    result = check_client(HOST, [pki["client"].cert], associated(pki["root"]), [unknown, *rules()])
    assert result.decision == "unknown"


# -- the command, offline (--ca and --rules) ---------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.usefixtures("no_ambient_settings")
def test_the_command_works_offline_with_exit_statuses(
    pki: dict[str, Cert], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = write(tmp_path, "ca.pem", pki["root"].pem)
    ruleset = {
        "result": {
            "id": "rs",
            "rules": [
                {
                    "id": "r1",
                    "action": "block",
                    "expression": build_expression([HOST]),
                    "enabled": True,
                    "description": "mTLS",
                }
            ],
        }
    }
    rules_file = write(tmp_path, "rules.json", json.dumps(ruleset))
    offline = ["--hostname", HOST, "--ca", str(ca), "--rules", str(rules_file)]
    assert main(["check-client", *offline, "--cert", str(write(tmp_path, "c.pem", pki["client"].pem))]) == 0
    assert "ALLOWED" in capsys.readouterr().out
    assert main(["check-client", *offline, "--cert", str(write(tmp_path, "i.pem", pki["intruder"].pem)), "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert (answer["decision"], answer["rule"]["id"]) == ("refused", "r1")
    assert answer["fields"]["cf.tls_client_auth.cert_verified"] is False
    assert main(["check-client", *offline, "--no-cert"]) == 1
    text_rules = write(tmp_path, "rule.txt", build_expression([HOST]) + "\n")
    assert main(["check-client", "--hostname", HOST, "--ca", str(ca), "--rules", str(text_rules), "--no-cert"]) == 1


def test_bad_input_gets_one_sentence_and_status_2(
    pki: dict[str, Cert], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    ca = write(tmp_path, "ca.pem", pki["root"].pem)
    key = write(tmp_path, "key.pem", pki["client"].key_pem)
    assert main(["check-client", "--hostname", HOST, "--ca", str(ca), "--rules", str(ca), "--cert", str(key)]) == 2
    assert "is a private key, not a certificate" in capsys.readouterr().err
    assert main(["check-client", "--hostname", HOST, "--ca", str(tmp_path / "missing.pem"), "--no-cert"]) == 2
    assert "cannot read the CA" in capsys.readouterr().err
    assert main(["check-client", "--hostname", HOST, "--no-cert"]) == 2
    assert "no Cloudflare credentials" in capsys.readouterr().err
    assert load_certificates(pki["client"].pem)


def test_a_skip_of_the_current_ruleset_lets_the_request_through(pki: dict[str, Cert]) -> None:
    skip = Rule.from_api(
        {
            "id": "r0",
            "action": "skip",
            "expression": 'http.host eq "api.example.com"',
            "action_parameters": {"ruleset": "current"},
        }
    )
    other_phases = Rule.from_api(
        {
            "id": "r0",
            "action": "skip",
            "expression": 'http.host eq "api.example.com"',
            "action_parameters": {"phases": ["x"]},
        }
    )
    assert check_client(HOST, None, associated(pki["root"]), [skip, *rules()]).decision == "allowed"
    assert check_client(HOST, None, associated(pki["root"]), [other_phases, *rules()]).decision == "refused"


def test_the_hostname_is_the_host_a_client_sends(
    pki: dict[str, Cert], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upper case and one trailing dot are what a client may send: the rules see them as sent (the previous exact
    rule lets them through, the rule blocks them), anything else is one sentence and status 2."""
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    ca = write(tmp_path, "ca.pem", pki["root"].pem)
    previous = write(
        tmp_path, "previous.txt", '(http.host in {"api.example.com"} and not cf.tls_client_auth.cert_verified)'
    )
    current = write(tmp_path, "rule.txt", build_expression([HOST]))

    def verdict(host: str, rules_file: Path) -> int:
        return main(["check-client", "--hostname", host, "--ca", str(ca), "--rules", str(rules_file), "--no-cert"])

    for host in ("api.example.com.", "API.example.com", "Api.Example.Com."):
        assert (verdict(host, previous), verdict(host, current)) == (0, 1), host
    assert verdict(HOST, previous) == 1
    capsys.readouterr()
    for bad, sentence in [
        ("api.example.com..", "'api.example.com..' ends with more than one dot; a client sends at most one."),
        ("*.example.com", "'*.example.com' is a wildcard; give a hostname a client sends, e.g. 'api.example.com'."),
        ("api.example.com:443", "'api.example.com:443' is a URL or has a port or path; give the bare hostname"),
        ("a..example.com", "'a..example.com' has an empty label ('..')."),
    ]:
        assert verdict(bad, current) == 2, bad
        err = capsys.readouterr().err
        assert err.startswith(f"cfmtls: --hostname: {sentence}") and err.count("\n") == 1, err
