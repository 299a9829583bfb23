"""check and diff of the providers: what `pulumi preview` shows, before any API call."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from cfmtls_provider.rules_language.enforcement import build_expression
from tests.support.certs import make_ca
from tests.support.providers import (
    api_calls,
    association_inputs,
    create_association,
    create_ca,
    next_run,
)
from tests.support.zones import ZONE_ORG

ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONE = "fedcba9876543210fedcba9876543210"
PEM = make_ca("plans CA").pem


pytestmark = pytest.mark.usefixtures("no_ambient_settings")


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
    olds = {"certificates": PEM, "name": "ca", "account_id": ACCOUNT, "private_key_sha256": "", "revision": "r1"}

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


def association(hostnames: Any = ("a.example.com", "b.example.com"), **extra: Any) -> dict[str, Any]:
    """An association's inputs as its constructor registers them."""
    ca = {"certificate_id": "c" * 32, "subject_key_identifier": "ab:cd:ef", "revision": "r1"}
    return association_inputs(ca, list(hostnames), **extra)


def recorded(assocs: HostnameAssociationProvider, **extra: Any) -> dict[str, Any]:
    """What the stack records after the association's last successful run."""
    inputs = assocs.check({}, association()).inputs
    return {**inputs, "adopt_existing": False, "ruleset_id": "s" * 32, "rule_id": "u" * 32, **extra}


class TestAssociationCheck:
    def test_defaults_ski_normalisation_and_the_planned_expression(self, assocs: HostnameAssociationProvider) -> None:
        result = assocs.check({}, association())
        assert failures(result) == {}
        inputs = result.inputs
        assert (inputs["issuer_ski"], inputs["action"], inputs["pin_issuer"]) == ("ABCDEF", "block", True)
        assert inputs["expression"] == build_expression(["a.example.com", "b.example.com"], "ABCDEF")

    def test_hostname_problems_fail_check_on_hostnames(self, assocs: HostnameAssociationProvider) -> None:
        news = association(hostnames=["a.example.com", "a.example.com", "x"])
        reason = failures(assocs.check({}, news))["hostnames"]
        assert "more than once" in reason and "'x'" in reason

    def test_missing_zone_and_certificate_ids_are_named(self, assocs: HostnameAssociationProvider) -> None:
        result = failures(assocs.check({}, {"hostnames": ["a.example.com"], "rule_ref": "r"}))
        assert set(result) == {"zone_id", "mtls_certificate_id", "issuer_ski"}
        assert "pass certificate=<the MTLSCertificate>" in result["issuer_ski"]
        assert "or pin_issuer=False to admit any certificate Cloudflare verifies." in result["issuer_ski"]

    def test_no_issuer_is_needed_when_not_pinned(self, assocs: HostnameAssociationProvider) -> None:
        result = assocs.check({}, association(issuer_ski=None, pin_issuer=False))
        assert failures(result) == {} and result.inputs["pin_issuer"] is False

    def test_bad_action_and_ski_fail_check(self, assocs: HostnameAssociationProvider) -> None:
        result = failures(assocs.check({}, association(action="allow", issuer_ski="zz")))
        assert set(result) == {"action", "issuer_ski"}

    def test_unknown_hostnames_and_ids_pass_check_with_the_expression_unknown(
        self, assocs: HostnameAssociationProvider
    ) -> None:
        news = association(mtls_certificate_id=UNKNOWN, issuer_ski=UNKNOWN, hostnames=[UNKNOWN])
        result = assocs.check({}, news)
        assert failures(result) == {} and result.inputs["expression"] is UNKNOWN

    def test_a_zone_cloudflare_does_not_know_and_a_hostname_outside_the_zone_are_named(
        self, assocs: HostnameAssociationProvider
    ) -> None:
        unknown_zone = failures(assocs.check({}, association(zone_id="9" * 32)))
        assert unknown_zone["zone_id"].startswith(f"zone_id {'9' * 32} is not a zone Cloudflare knows")
        outside = failures(assocs.check({}, association(hostnames=["a.example.com", "a.example.org"])))
        assert outside["hostnames"].startswith("hostnames: a.example.org is not in zone example.com")


class TestAssociationDiff:
    def test_the_same_declaration_is_no_change_whatever_the_hostnames_order(
        self, assocs: HostnameAssociationProvider
    ) -> None:
        olds = recorded(assocs)
        news = assocs.check(olds, association(hostnames=["b.example.com", "a.example.com"]))
        assert assocs.diff("id", olds, news.inputs).changes is False

    @pytest.mark.parametrize(
        "change",
        [
            {"hostnames": ["a.example.com"]},
            {"mtls_certificate_id": "d" * 32, "issuer_ski": "ABCD01", "certificate_revision": "r2"},  # a rotation
            {"certificate_revision": "r2"},  # the same upload taken back (a rollback): plan again
            {"action": "log"},
            {"pin_issuer": False},
            {"adopt_existing": True},
        ],
        ids=["hostnames", "new CA", "new revision", "action", "pin_issuer", "adopt_existing"],
    )
    def test_every_change_but_the_zone_is_made_in_place(
        self, assocs: HostnameAssociationProvider, change: dict[str, Any]
    ) -> None:
        olds = recorded(assocs)
        news = assocs.check(olds, association(**change)).inputs
        result = assocs.diff("id", olds, news)
        assert result.changes and result.replaces == [] and not result.delete_before_replace

    def test_a_new_zone_replaces_the_association(self, assocs: HostnameAssociationProvider) -> None:
        olds = recorded(assocs)
        news = assocs.check(olds, association(zone_id="1" * 32)).inputs
        assert assocs.diff("id", olds, news).replaces == ["zone_id"]

    def test_a_rule_edited_or_deleted_outside_the_stack_is_a_change(self, assocs: HostnameAssociationProvider) -> None:
        news = assocs.check(recorded(assocs), association()).inputs
        for drifted in (recorded(assocs, expression="true"), recorded(assocs, rule_id="")):
            result = assocs.diff("id", drifted, news)
            assert result.changes and result.replaces == []


def test_a_preview_writes_nothing_and_reads_each_zone_once(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    """What `pulumi preview` runs. The associations' check reads each zone once per run (a second zone of the
    account: the first page of its zones too), to refuse a wrong zone or a hostname outside it before anything is
    written; nothing else reaches Cloudflare, diff never
    does, and a check of a zone and hostnames already checked when they were declared reads nothing."""
    cert_olds = {**certs.check({}, {"certificates": PEM, "name": "ca"}).inputs, "revision": "r1"}
    for news in ({"certificates": PEM, "name": "ca"}, {"certificates": make_ca("next").pem, "name": "ca"}):
        certs.diff("c" * 32, cert_olds, certs.check(cert_olds, news).inputs)
    olds = recorded(assocs)
    changes: tuple[dict[str, Any], ...] = (
        {},
        {"hostnames": ["z.example.com"]},
        {"mtls_certificate_id": UNKNOWN},
        {"zone_id": ZONE_ORG},
    )
    planned = [assocs.check(olds, association(**change)).inputs for change in changes]
    assert api_calls(emulator) == ["GET zone", "GET zone", "GET zones"]
    emulator.clear_requests()
    for news in planned:
        assocs.diff("id", olds, news)
    assert api_calls(emulator) == []
    next_run()
    assocs.check(olds, association(hostnames=["b.example.com", "a.example.com"]))
    assert api_calls(emulator) == []


@pytest.mark.parametrize("order", [["b.example.com", "a.example.com"], ["a.example.com", "b.example.com"]])
def test_after_a_real_create_the_same_hostnames_in_any_order_plan_no_change(
    order: list[str], certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider
) -> None:
    _, ca = create_ca(certs)
    _, outs = create_association(assocs, ca, ["b.example.com", "a.example.com"])
    news = assocs.check(outs, association_inputs(ca, order)).inputs
    assert assocs.diff("id", outs, news).changes is False
