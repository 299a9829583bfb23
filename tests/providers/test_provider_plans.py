"""check and diff of the three providers: what `pulumi preview` shows, before any API call."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
PEM = make_ca("plans CA").pem


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def failures(result: Any) -> dict[str, str]:
    return {failure.property: failure.reason for failure in result.failures}


class TestCertificateCheck:
    def test_valid_ca_passes_with_account_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        result = MTLSCertificateProvider().check({}, {"certificates": PEM})
        assert failures(result) == {}
        assert result.inputs["account_id"] == ACCOUNT

    def test_missing_account_names_the_three_ways_to_set_it(self) -> None:
        reason = failures(MTLSCertificateProvider().check({}, {"certificates": PEM}))["account_id"]
        assert "cfmtls:accountId" in reason and "CLOUDFLARE_ACCOUNT_ID" in reason

    def test_malformed_account_id_is_refused(self) -> None:
        reason = failures(MTLSCertificateProvider().check({}, {"certificates": PEM, "account_id": "acme"}))
        assert "32 lower-case hex" in reason["account_id"]

    def test_bad_certificate_fails_naming_certificates_in_its_message_not_as_the_property(self) -> None:
        result = MTLSCertificateProvider().check({}, {"certificates": "hello", "account_id": ACCOUNT})
        assert failures(result)[""].startswith("certificates: no PEM block")

    def test_unknown_certificates_pass(self) -> None:
        result = MTLSCertificateProvider().check({}, {"certificates": UNKNOWN, "account_id": ACCOUNT})
        assert failures(result) == {}

    def test_private_key_must_be_a_private_key_pem(self) -> None:
        result = MTLSCertificateProvider().check(
            {}, {"certificates": PEM, "account_id": ACCOUNT, "private_key": "not a key"}
        )
        assert failures(result)[""].startswith("private_key must be a PEM private key")


class TestCertificateDiff:
    olds = {"certificates": PEM, "name": "ca", "account_id": ACCOUNT, "private_key_sha256": ""}

    def test_whitespace_and_line_endings_are_no_change(self) -> None:
        news = {**self.olds, "certificates": "\n" + PEM.replace("\n", "\r\n") + "\n\n"}
        result = MTLSCertificateProvider().diff("id", self.olds, news)
        assert result.changes is False and result.replaces == []

    def test_new_certificate_is_a_create_before_delete_replacement(self) -> None:
        news = {**self.olds, "certificates": make_ca("other").pem}
        result = MTLSCertificateProvider().diff("id", self.olds, news)
        assert result.changes and result.replaces == ["certificates"]
        assert not result.delete_before_replace

    def test_rename_of_the_same_certificate_deletes_first_only_when_asked(self) -> None:
        news = {**self.olds, "name": "renamed", "on_rename": "delete_first"}
        result = MTLSCertificateProvider().diff("id", self.olds, news)
        assert result.replaces == ["name"] and result.delete_before_replace

    def test_unknown_certificate_is_a_replacement(self) -> None:
        result = MTLSCertificateProvider().diff("id", self.olds, {**self.olds, "certificates": UNKNOWN})
        assert "certificates" in (result.replaces or [])


class TestAssociationPlans:
    def test_hostname_problems_fail_check_on_hostnames(self) -> None:
        news = {"zone_id": ZONE, "mtls_certificate_id": "c", "hostnames": ["a.example.com", "a.example.com", "x"]}
        reason = failures(HostnameAssociationProvider().check({}, news))["hostnames"]
        assert "more than once" in reason and "'x'" in reason

    def test_missing_zone_and_certificate_ids_are_named(self) -> None:
        result = failures(HostnameAssociationProvider().check({}, {"hostnames": ["a.example.com"]}))
        assert set(result) == {"zone_id", "mtls_certificate_id"}

    def test_unknown_hostnames_and_ids_pass_check(self) -> None:
        news = {"zone_id": ZONE, "mtls_certificate_id": UNKNOWN, "hostnames": [UNKNOWN]}
        assert failures(HostnameAssociationProvider().check({}, news)) == {}

    def test_reordered_hostnames_are_no_change(self) -> None:
        olds = {"zone_id": ZONE, "mtls_certificate_id": "c", "hostnames": ["a.example.com", "b.example.com"]}
        news = {**olds, "hostnames": ["b.example.com", "a.example.com"]}
        assert HostnameAssociationProvider().diff("id", olds, news).changes is False

    def test_hostname_change_updates_in_place_and_zone_change_replaces(self) -> None:
        olds = {"zone_id": ZONE, "mtls_certificate_id": "c", "hostnames": ["a.example.com"]}
        update = HostnameAssociationProvider().diff("id", olds, {**olds, "hostnames": ["b.example.com"]})
        assert update.changes and update.replaces == []
        replace = HostnameAssociationProvider().diff("id", olds, {**olds, "zone_id": "1" * 32})
        assert replace.replaces == ["zone_id"]


class TestRulePlans:
    base = {"zone_id": ZONE, "hostnames": ["a.example.com"], "ref": "cfmtls:p:s:r"}

    def test_defaults_and_ski_normalisation(self) -> None:
        result = ClientCertificateRuleProvider().check({}, {**self.base, "issuer_ski": "ab:cd:ef"})
        assert failures(result) == {}
        assert result.inputs["issuer_ski"] == "ABCDEF" and result.inputs["action"] == "block"

    def test_bad_action_and_ski_fail_check(self) -> None:
        result = failures(
            ClientCertificateRuleProvider().check({}, {**self.base, "action": "allow", "issuer_ski": "zz"})
        )
        assert set(result) == {"action", "issuer_ski"}

    def test_no_change_when_the_live_rule_matches(self) -> None:
        news = {**self.base, "action": "block", "description": "d", "enabled": True}
        olds = {**news, "expression": build_expression(["a.example.com"])}
        assert ClientCertificateRuleProvider().diff("id", olds, news).changes is False

    def test_rule_edited_outside_the_stack_is_a_change(self) -> None:
        news = {**self.base, "action": "block", "description": "d", "enabled": True}
        olds = {**news, "expression": "true"}
        result = ClientCertificateRuleProvider().diff("id", olds, news)
        assert result.changes and result.replaces == []
