"""The inventory's findings, computed from a survey of an account (no I/O): what an operator is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.cli.findings import Finding, find
from cfmtls_provider.cli.survey import MANAGED_CA_ID, Survey, ZoneSurvey, ca_info
from cfmtls_provider.cloudflare.models import MTLSCertificateRecord, Rule, Zone
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca

NOW = datetime.now(UTC)
ZONE = Zone(id="f" * 32, name="example.com", account_id="a" * 32, status="active")


def record(name: str, *, days: int = 365, ca_id: str | None = None) -> MTLSCertificateRecord:
    made = make_ca(name, not_after=NOW + timedelta(days=days), not_before=NOW - timedelta(days=400))
    return MTLSCertificateRecord(
        id=ca_id or f"{name}-id",
        name=name,
        ca=True,
        certificates=made.pem,
        issuer=f"CN={name}",
        serial_number="1",
        signature="ECDSAWithSHA256",
        expires_on=made.cert.not_valid_after_utc.isoformat(),
        uploaded_on=(NOW - timedelta(days=1)).isoformat(),
        type="custom",
    )


def rule(expression: str, *, action: str = "block", enabled: bool = True, rule_id: str = "r1") -> Rule:
    return Rule(
        id=rule_id,
        ref="cfmtls:p:s:r",
        action=action,
        expression=expression,
        description="require a client certificate",
        enabled=enabled,
        version="1",
    )


def survey(records: list[MTLSCertificateRecord], associations: dict[str, list[str]], rules: list[Rule]) -> Survey:
    zone = ZoneSurvey(zone=ZONE, associations=associations, rules=tuple(rules), ruleset_id="rs")
    return Survey(account_id="a" * 32, cas=tuple(ca_info(r) for r in records), zones=(zone,), all_zones=True)


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in findings if f.code != "quota"]


def ski_of(made: MTLSCertificateRecord) -> str:
    return parse_ca_bundle(made.certificates).issuing_ca.subject_key_identifier


def test_a_healthy_account_has_no_finding_but_the_quota_line() -> None:
    ca = record("demo")
    hosts = ["api.example.com", "admin.example.com"]
    findings = find(survey([ca], {ca.id: hosts}, [rule(build_expression(hosts, ski_of(ca)))]), NOW)
    assert codes(findings) == []
    assert [f.message for f in findings] == ["1 of 5 CA slots used."]


def test_a_hostname_associated_outside_the_rule_is_associated_but_not_enforced() -> None:
    ca = record("demo")
    findings = find(
        survey([ca], {ca.id: ["api.example.com", "extra.example.com"]}, [rule(build_expression(["api.example.com"]))]),
        NOW,
    )
    assert codes(findings) == [("error", "associated-not-enforced")]
    assert findings[0].hostname == "extra.example.com"
    assert "clients without one get through" in findings[0].message


def test_a_disabled_or_logging_rule_does_not_enforce() -> None:
    ca = record("demo")
    expression = build_expression(["api.example.com"])
    for quiet in (rule(expression, enabled=False), rule(expression, action="log")):
        findings = find(survey([ca], {ca.id: ["api.example.com"]}, [quiet]), NOW)
        assert codes(findings) == [("error", "associated-not-enforced")]
    assert (
        "is disabled"
        in find(survey([ca], {ca.id: ["api.example.com"]}, [rule(expression, enabled=False)]), NOW)[0].message
    )


def test_a_wildcard_rule_enforces_a_wildcard_association() -> None:
    ca = record("demo")
    findings = find(survey([ca], {ca.id: ["*.example.com"]}, [rule(build_expression(["*.example.com"]))]), NOW)
    assert codes(findings) == []


def test_a_rule_on_a_hostname_with_no_ca_blocks_every_client() -> None:
    ca = record("demo")
    findings = find(
        survey([ca], {ca.id: ["api.example.com"]}, [rule(build_expression(["api.example.com", "new.example.com"]))]),
        NOW,
    )
    assert codes(findings) == [("error", "enforced-without-ca")]
    assert findings[0].hostname == "new.example.com"
    assert "every client is blocked" in findings[0].message


#: Rules of the previous version's shape, still live in stacks until their next `pulumi up`.
PREVIOUS_EXACT = '(http.host in {"api.example.com"} and not cf.tls_client_auth.cert_verified)'
PREVIOUS_WILDCARD = '(ends_with(http.host, ".example.com") and not cf.tls_client_auth.cert_verified)'


def test_a_rule_that_compares_the_host_exactly_is_enforced_only_partly() -> None:
    ca = record("demo")
    findings = find(survey([ca], {ca.id: ["api.example.com"]}, [rule(PREVIOUS_EXACT)]), NOW)
    assert codes(findings) == [("warning", "associated-partly-enforced")]
    assert findings[0].hostname == "api.example.com"
    assert "as 'API.EXAMPLE.COM' or 'api.example.com.'" in findings[0].message
    assert "lower(http.host)" in findings[0].message
    current = find(survey([ca], {ca.id: ["api.example.com"]}, [rule(build_expression(["api.example.com"]))]), NOW)
    assert codes(current) == []


def test_a_suffix_rule_on_a_wildcard_blocks_deeper_names_the_association_does_not_cover() -> None:
    ca = record("demo")
    findings = find(survey([ca], {ca.id: ["*.example.com"]}, [rule(PREVIOUS_WILDCARD)]), NOW)
    assert codes(findings) == [("error", "enforced-without-ca"), ("warning", "associated-partly-enforced")]
    deeper = findings[0]
    assert deeper.hostname == "cfmtls-sample.cfmtls-sample.example.com"
    assert "more than one label below *.example.com" in deeper.message and "every client is blocked" in deeper.message
    current = find(survey([ca], {ca.id: ["*.example.com"]}, [rule(build_expression(["*.example.com"]))]), NOW)
    assert codes(current) == []


def test_the_rule_s_hostnames_are_read_from_its_regex_and_each_is_evaluated() -> None:
    ca = record("demo")
    expression = build_expression(["api.example.com", "*.dev.example.com", "new.example.com"])
    findings = find(survey([ca], {ca.id: ["api.example.com", "*.dev.example.com"]}, [rule(expression)]), NOW)
    assert [(f.code, f.hostname) for f in findings if f.code != "quota"] == [("enforced-without-ca", "new.example.com")]


def test_a_rule_pinned_to_a_ski_no_associated_ca_has() -> None:
    old, new = record("old"), record("new")
    findings = find(
        survey([old, new], {new.id: ["api.example.com"]}, [rule(build_expression(["api.example.com"], ski_of(old)))]),
        NOW,
    )
    assert ("error", "pinned-ski-not-associated") in codes(findings)
    pinned = next(f for f in findings if f.code == "pinned-ski-not-associated")
    assert "CA 'old' (old-id) has it but is not associated" in pinned.message
    assert ("warning", "ca-unused") in codes(findings)


def test_the_managed_ca_counts_as_an_association() -> None:
    findings = find(survey([], {MANAGED_CA_ID: ["api.example.com"]}, []), NOW)
    assert codes(findings) == [("error", "associated-not-enforced")]
    assert "the Cloudflare Managed CA" in findings[0].message


def test_a_rule_outside_the_subset_makes_enforcement_unknown_not_an_error() -> None:
    ca = record("demo")
    other = rule("ip.src in {192.0.2.0/24} and not cf.tls_client_auth.cert_verified", rule_id="r2")
    findings = find(survey([ca], {ca.id: ["api.example.com"]}, [other]), NOW)
    assert codes(findings) == [("warning", "rule-not-evaluated"), ("warning", "enforcement-unknown")]


def test_expiry_unused_cas_and_a_full_quota() -> None:
    soon, gone = record("soon", days=10), record("gone", days=-1)
    fillers = [record(f"ca{index}") for index in range(3)]
    everything = [soon, gone, *fillers]
    hosts = {ca.id: [f"{ca.name}.example.com"] for ca in everything}
    rules = [rule(build_expression([host for names in hosts.values() for host in names]))]
    findings = find(survey(everything, hosts, rules), NOW)
    assert codes(findings) == [("error", "ca-expired"), ("warning", "ca-expiring")]
    quota = next(f for f in findings if f.code == "quota")
    assert (quota.severity, quota.extra) == ("warning", {"used": 5, "limit": 5})
    assert "no free slot" in quota.message
    assert next(c for c in survey(everything, hosts, rules).cas if c.id == gone.id).ski  # read although expired


def test_several_uploaded_cas_on_one_hostname_is_worth_knowing() -> None:
    old, new = record("old"), record("new")
    findings = find(
        survey(
            [old, new],
            {old.id: ["api.example.com"], new.id: ["api.example.com"]},
            [rule(build_expression(["api.example.com"]))],
        ),
        NOW,
    )
    assert codes(findings) == [("info", "several-cas")]


def test_an_unused_upload_with_a_stacks_ownership_tag_is_named_as_a_killed_runs_leftover() -> None:
    """README "Large stacks": a killed rotation rolled back with `pulumi up --refresh` leaves the new CA's upload,
    tagged and unused; inventory says what it likely is. An untagged unused CA gets the plain warning."""
    tagged, plain = record("corp-ca [cfmtls-0123456789ab]"), record("someone else's CA")
    findings = [f for f in find(survey([tagged, plain], {}, []), NOW) if f.code == "ca-unused"]
    messages = {f.ca_id: f.message for f in findings}
    assert "a run killed with checkpoints skipped left behind" in messages[tagged.id]
    assert "ownership tag" not in messages[plain.id]
