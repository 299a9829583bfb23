"""The providers' create/read/update/delete against an in-process emulator: every lifecycle rule."""

from __future__ import annotations

from typing import Any

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig, ManagedCertificateSeed
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources import _this_run
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ACCOUNT, ZONE, configured, create_ca
from tests.support.zones import TEST_ZONES

OTHER_ZONE = "11111111111111111111111111111111"


def fault_status(spec: str) -> int:
    return int(spec.split("status=")[1].split(":")[0])


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(zones=TEST_ZONES, association_lag_seconds=0.3)


def add_foreign_entrypoint(emulator: EmulatorServer, *, ref: str) -> None:
    """The zone's custom rules entrypoint, made outside the stack with one rule of its own."""
    with emulator.client() as api:
        api.post(
            f"/zones/{ZONE}/rulesets",
            json={
                "name": "default",
                "kind": "zone",
                "phase": "http_request_firewall_custom",
                "rules": [{"action": "log", "expression": "true", "ref": ref}],
            },
        ).raise_for_status()


def writes(emulator: EmulatorServer) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in emulator.requests() if e["method"] != "GET"]


class TestMTLSCertificate:
    def test_create_uploads_a_ca_and_exports_its_facts(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        [stored] = emulator.state()["certificates"]
        assert stored["id"] == certificate_id and stored["ca"] is True and stored["name"] == "corp-ca"
        assert outs["expires_on"] == stored["expires_on"] and outs["signature"] == "ECDSAWithSHA256"
        assert len(outs["subject_key_identifier"]) == 40 and len(outs["fingerprint_sha256"]) == 64

    def test_duplicate_upload_names_the_existing_certificate_and_how_to_adopt(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        pem = make_ca("dup").pem
        first = certs.create(certs.check({}, {"certificates": pem, "name": "by-hand"}).inputs)
        with pytest.raises(ProviderError) as refused:
            certs.create(certs.check({}, {"certificates": pem, "name": "mine"}).inputs)
        message = str(refused.value)
        assert first.id in message and "'by-hand'" in message and "adopt_existing=True" in message

    def test_adopt_existing_takes_over_the_upload_matched_by_content(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        pem = make_ca("adopt").pem
        first = certs.create(certs.check({}, {"certificates": pem, "name": "by-hand"}).inputs)
        emulator.clear_requests()
        crlf = pem.replace("\n", "\r\n")
        adopted = certs.create(certs.check({}, {"certificates": crlf, "name": "x", "adopt_existing": True}).inputs)
        assert adopted.id == first.id
        assert writes(emulator) == []

    def test_an_upload_left_by_an_interrupted_run_is_recovered(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        props = {"certificates": make_ca("interrupted").pem, "name": "corp-ca", "ownership_tag": "cfmtls-0123456789ab"}
        inputs = certs.check({}, props).inputs
        first = certs.create(inputs)
        assert [c["name"] for c in emulator.state()["certificates"]] == ["corp-ca [cfmtls-0123456789ab]"]
        again = certs.create(inputs)  # the state never recorded the first: our content, our tagged name, unused
        assert again.id == first.id
        assert len(emulator.state()["certificates"]) == 1

    def test_a_users_own_upload_with_the_same_content_and_name_is_never_taken_over(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        pem = make_ca("theirs").pem
        theirs = certs.create(certs.check({}, {"certificates": pem, "name": "corp-ca"}).inputs)  # made by hand
        another_stack = {"certificates": pem, "name": "corp-ca", "ownership_tag": "cfmtls-ffffffffffff"}
        ours = {"certificates": pem, "name": "corp-ca", "ownership_tag": "cfmtls-0123456789ab"}
        for props in (ours, another_stack):
            with pytest.raises(ProviderError) as refused:
                certs.create(certs.check({}, props).inputs)
            assert theirs.id in str(refused.value) and "adopt_existing=True" in str(refused.value)
        assert len(emulator.state()["certificates"]) == 1

    def test_quota_error_says_the_limit_and_lists_the_accounts_cas(self, certs: MTLSCertificateProvider) -> None:
        for index in range(5):
            create_ca(certs, f"ca-{index}")
        with pytest.raises(ProviderError) as refused:
            create_ca(certs, "sixth")
        message = str(refused.value)
        assert "maximum number of CA certificates (5" in message
        assert all(f"ca-{index}" in message for index in range(5))

    def test_delete_refuses_while_a_foreign_association_remains_and_deletes_nothing(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        with emulator.client() as api:
            api.put(
                f"/zones/{OTHER_ZONE}/certificate_authorities/hostname_associations",
                json={"hostnames": ["x.example.com"], "mtls_certificate_id": certificate_id},
            ).raise_for_status()
        configured(certs, emulator, **{"cfmtls:deleteWaitSeconds": "0.2"})
        with pytest.raises(ProviderError) as refused:
            certs.delete(certificate_id, outs)
        message = str(refused.value)
        assert "Cannot delete CA certificate 'corp-ca'" in message and "still refuses it as in use" in message
        assert "hostnames are still attached" in message and "mtls_hostname_association (active)" in message
        assert "The CA certificate was not deleted" in message
        assert len(emulator.state()["certificates"]) == 1

    @pytest.mark.parametrize(
        "fault",
        [
            "DELETE:*/mtls_certificates/*:status=409:count=2",
            "DELETE:*/mtls_certificates/*:status=403:code=1000:message=certificate is in use by gateway:count=2",
            "DELETE:*/mtls_certificates/*:status=400:code=1234:message=Bad request:count=2",
        ],
        ids=["409", "403 saying in use", "400"],
    )
    def test_delete_retries_any_in_use_refusal_until_it_succeeds(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer, fault: str
    ) -> None:
        certificate_id, outs = create_ca(certs)
        emulator.add_fault(fault)
        emulator.clear_requests()
        configured(certs, emulator, **{"cfmtls:deleteWaitSeconds": "10"})
        certs.delete(certificate_id, outs)
        deletes = [entry for entry in emulator.requests() if entry["method"] == "DELETE"]
        assert [entry["status"] for entry in deletes] == [fault_status(fault), fault_status(fault), 200]
        assert emulator.state()["certificates"] == []

    def test_delete_does_not_retry_a_permission_refusal(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        emulator.add_fault(
            "DELETE:*/mtls_certificates/*:status=403:code=9109:message=Unauthorized to access requested resource"
        )
        with pytest.raises(ProviderError) as refused:
            certs.delete(certificate_id, outs)
        assert "The token lacks a permission" in str(refused.value)
        assert len([entry for entry in emulator.requests() if entry["method"] == "DELETE"]) == 1

    def test_delete_waits_out_the_association_lag(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        created = assocs.create(
            assocs.check(
                {}, {"zone_id": ZONE, "mtls_certificate_id": certificate_id, "hostnames": ["a.example.com"]}
            ).inputs
        )
        assert created.outs is not None
        assocs.delete(created.id, created.outs)
        emulator.clear_requests()
        configured(certs, emulator, **{"cfmtls:deleteWaitSeconds": "10"})
        certs.delete(certificate_id, outs)  # the emulator's lag (0.3 s here) refuses the first attempt
        statuses = [entry["status"] for entry in emulator.requests() if entry["method"] == "DELETE"]
        assert statuses[0] == 400 and statuses[-1] == 200

    def test_delete_of_a_certificate_already_gone_succeeds(self, certs: MTLSCertificateProvider) -> None:
        certificate_id, outs = create_ca(certs)
        certs.delete(certificate_id, outs)
        certs.delete(certificate_id, outs)

    def test_read_of_a_deleted_certificate_drops_it_from_state(self, certs: MTLSCertificateProvider) -> None:
        certificate_id, outs = create_ca(certs)
        certs.delete(certificate_id, outs)
        result = certs.read(certificate_id, outs)
        assert result.id is None and result.outs == {}

    def test_update_changes_only_the_adopt_flag_without_api_calls(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        emulator.clear_requests()
        updated = certs.update(certificate_id, outs, {**outs, "adopt_existing": True})
        assert updated.outs == {**outs, "adopt_existing": True}
        assert emulator.requests() == []


@pytest.fixture
def ca_from_an_earlier_run(certs: MTLSCertificateProvider, monkeypatch: pytest.MonkeyPatch) -> str:
    """A CA this provider process did not upload (an earlier run did): its hostname lists are read first."""
    certificate_id, _ = create_ca(certs)
    monkeypatch.setattr(_this_run, "_UPLOADED", set())
    return certificate_id


class TestHostnameAssociation:
    def inputs(self, certificate_id: str, hostnames: list[str], **extra: Any) -> dict[str, Any]:
        return {"zone_id": ZONE, "mtls_certificate_id": certificate_id, "hostnames": hostnames, **extra}

    def test_create_for_a_ca_uploaded_earlier_reads_then_puts_with_the_certificate_id(
        self, ca_from_an_earlier_run: str, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id = ca_from_an_earlier_run
        emulator.clear_requests()
        created = assocs.create(self.inputs(certificate_id, ["a.example.com", "b.example.com"]))
        assert created.id == f"{ZONE}/{certificate_id}"
        assert [(e["method"], e["query"]) for e in emulator.requests()] == [
            ("GET", f"mtls_certificate_id={certificate_id}"),
            ("PUT", ""),
        ]
        assert emulator.state()["associations"][ZONE][certificate_id] == ["a.example.com", "b.example.com"]

    def test_create_for_a_ca_uploaded_by_this_run_puts_without_a_read(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        """Nobody else knows the new CA's id yet: no list can exist that the read would protect."""
        certificate_id, _ = create_ca(certs)
        emulator.clear_requests()
        assocs.create(self.inputs(certificate_id, ["a.example.com", "b.example.com"]))
        assert [(e["method"], e["path"]) for e in emulator.requests()] == [
            ("PUT", f"/zones/{ZONE}/certificate_authorities/hostname_associations")
        ]
        assert emulator.state()["associations"][ZONE][certificate_id] == ["a.example.com", "b.example.com"]

    def test_create_for_a_ca_uploaded_earlier_refuses_a_list_made_outside_the_stack(
        self, ca_from_an_earlier_run: str, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id = ca_from_an_earlier_run
        with emulator.client() as api:
            api.put(
                f"/zones/{ZONE}/certificate_authorities/hostname_associations",
                json={"hostnames": ["by-hand.example.com"], "mtls_certificate_id": certificate_id},
            ).raise_for_status()
        with pytest.raises(ProviderError, match=r"already associates .* set adopt_existing=True"):
            assocs.create(self.inputs(certificate_id, ["mine.example.com"]))
        assert emulator.state()["associations"][ZONE][certificate_id] == ["by-hand.example.com"]

    def test_create_refuses_to_clobber_a_list_made_outside_the_stack(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, _ = create_ca(certs)
        assocs.create(self.inputs(certificate_id, ["by-hand.example.com"]))
        with pytest.raises(ProviderError, match=r"already associates .* set adopt_existing=True"):
            assocs.create(self.inputs(certificate_id, ["mine.example.com"]))
        assert emulator.state()["associations"][ZONE][certificate_id] == ["by-hand.example.com"]
        assocs.create(self.inputs(certificate_id, ["mine.example.com"], adopt_existing=True))
        assert emulator.state()["associations"][ZONE][certificate_id] == ["mine.example.com"]

    def test_update_puts_the_new_list_and_keeps_outputs_complete(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider
    ) -> None:
        certificate_id, _ = create_ca(certs)
        created = assocs.create(self.inputs(certificate_id, ["a.example.com"]))
        assert created.outs is not None
        updated = assocs.update(
            created.id, created.outs, self.inputs(certificate_id, ["a.example.com", "c.example.com"])
        )
        assert updated.outs == {**created.outs, "hostnames": ["a.example.com", "c.example.com"]}

    def test_delete_empties_only_its_own_list_never_the_managed_ca(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, _ = create_ca(certs)
        with emulator.client() as api:  # the zone's Managed CA list, which a PUT without the id would rewrite
            api.put(
                f"/zones/{ZONE}/certificate_authorities/hostname_associations",
                json={"hostnames": ["managed.example.com"]},
            )
        created = assocs.create(self.inputs(certificate_id, ["a.example.com"]))
        assert created.outs is not None
        assocs.delete(created.id, created.outs)
        with emulator.client() as api:
            managed = api.get(f"/zones/{ZONE}/certificate_authorities/hostname_associations").json()["result"]
        assert managed["hostnames"] == ["managed.example.com"]
        assert certificate_id not in emulator.state()["associations"].get(ZONE, {})

    def test_delete_after_the_ca_is_gone_counts_as_deleted(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider
    ) -> None:
        certificate_id, outs = create_ca(certs)
        created = assocs.create(self.inputs(certificate_id, ["a.example.com"]))
        assert created.outs is not None
        assocs.delete(created.id, created.outs)
        certs.delete(certificate_id, outs)
        assocs.delete(created.id, created.outs)

    def test_read_reports_drift_as_new_inputs(
        self, certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, _ = create_ca(certs)
        created = assocs.create(self.inputs(certificate_id, ["a.example.com", "b.example.com"]))
        assert created.outs is not None
        with emulator.client() as api:
            api.put(
                f"/zones/{ZONE}/certificate_authorities/hostname_associations",
                json={"hostnames": ["a.example.com"], "mtls_certificate_id": certificate_id},
            )
        read = assocs.read(created.id, created.outs)
        assert read.outs is not None and read.inputs is not None
        assert read.outs["hostnames"] == ["a.example.com"] and read.inputs["hostnames"] == ["a.example.com"]

    def test_unknown_certificate_fails_with_a_clear_message(self, assocs: HostnameAssociationProvider) -> None:
        with pytest.raises(ProviderError, match=r"is uploaded to the zone's account|Certificate not found"):
            assocs.create(self.inputs("00000000-0000-4000-8000-000000000000", ["a.example.com"]))


class TestClientCertificateRule:
    def inputs(self, hostnames: list[str], **extra: Any) -> dict[str, Any]:
        return {"zone_id": ZONE, "hostnames": hostnames, "ref": "cfmtls:p:s:rule", "description": "mtls", **extra}

    def create_rule(self, rules: ClientCertificateRuleProvider) -> tuple[Any, str, str]:
        created = rules.create(rules.check({}, self.inputs(["a.example.com"])).inputs)
        assert created.outs is not None
        return created, created.outs["ruleset_id"], created.outs["rule_id"]

    def test_create_makes_the_entrypoint_when_absent_and_appends_beside_foreign_rules(
        self, rules: ClientCertificateRuleProvider, emulator: EmulatorServer
    ) -> None:
        created = rules.create(rules.check({}, self.inputs(["a.example.com"])).inputs)
        assert created.outs is not None and created.outs["action"] == "block"
        other = ClientCertificateRuleProvider()
        configured(other, emulator)
        second = other.create(other.check({}, {**self.inputs(["b.example.com"]), "ref": "other"}).inputs)
        assert second.outs is not None
        [ruleset] = emulator.state()["rulesets"]
        assert [rule["ref"] for rule in ruleset["rules"]] == ["cfmtls:p:s:rule", "other"]

    def test_update_patches_only_its_rule_and_delete_removes_only_it(
        self, rules: ClientCertificateRuleProvider, emulator: EmulatorServer
    ) -> None:
        add_foreign_entrypoint(emulator, ref="foreign")
        created = rules.create(rules.check({}, self.inputs(["a.example.com"])).inputs)
        assert created.outs is not None
        emulator.clear_requests()
        updated = rules.update(
            created.id, created.outs, rules.check({}, self.inputs(["a.example.com", "b.example.com"])).inputs
        )
        assert updated.outs is not None and r"b\.example\.com" in updated.outs["expression"]
        assert [f"{e['method']} {e['path']}" for e in emulator.requests()] == [
            f"PATCH /zones/{ZONE}/rulesets/{created.outs['ruleset_id']}/rules/{created.outs['rule_id']}"
        ], "an update is one PATCH where the state says the rule is, with no read first"
        rules.delete(created.id, updated.outs)
        [ruleset] = emulator.state()["rulesets"]
        assert [(rule["ref"], rule["expression"]) for rule in ruleset["rules"]] == [("foreign", "true")]

    def test_update_of_a_rule_deleted_outside_the_stack_adds_it_again(
        self, rules: ClientCertificateRuleProvider, emulator: EmulatorServer
    ) -> None:
        created, ruleset_id, rule_id = self.create_rule(rules)
        with emulator.client() as api:
            api.delete(f"/zones/{ZONE}/rulesets/{ruleset_id}/rules/{rule_id}").raise_for_status()
        emulator.clear_requests()
        updated = rules.update(created.id, created.outs, rules.check({}, self.inputs(["b.example.com"])).inputs)
        assert updated.outs is not None and updated.outs["rule_id"] != rule_id
        assert [f"{e['method']} {e['path']}" for e in emulator.requests()] == [
            f"PATCH /zones/{ZONE}/rulesets/{ruleset_id}/rules/{rule_id}",
            f"GET /zones/{ZONE}/rulesets/phases/http_request_firewall_custom/entrypoint",
            f"POST /zones/{ZONE}/rulesets/{ruleset_id}/rules",
        ]
        [ruleset] = emulator.state()["rulesets"]
        assert [rule["ref"] for rule in ruleset["rules"]] == ["cfmtls:p:s:rule"]
        assert r"b\.example\.com" in ruleset["rules"][0]["expression"]

    def test_create_joins_an_entrypoint_made_by_another_writer_since_it_looked(
        self, rules: ClientCertificateRuleProvider, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two rules of one zone created in parallel both see no entrypoint; the second POST is refused."""
        client = rules.client()
        real_get = client.get_custom_rules_entrypoint
        looks: list[str] = []

        def first_look_sees_none(zone_id: str) -> Any:
            looks.append(zone_id)
            return None if len(looks) == 1 else real_get(zone_id)

        monkeypatch.setattr(client, "get_custom_rules_entrypoint", first_look_sees_none)
        add_foreign_entrypoint(emulator, ref="parallel")
        created = rules.create(rules.check({}, self.inputs(["a.example.com"])).inputs)
        assert created.outs is not None
        [ruleset] = emulator.state()["rulesets"]
        assert [rule["ref"] for rule in ruleset["rules"]] == ["parallel", "cfmtls:p:s:rule"]
        assert created.outs["ruleset_id"] == ruleset["id"]

    def test_read_detects_a_rule_deleted_or_edited_outside_the_stack(
        self, rules: ClientCertificateRuleProvider, emulator: EmulatorServer
    ) -> None:
        created, ruleset_id, rule_id = self.create_rule(rules)
        with emulator.client() as api:
            api.patch(
                f"/zones/{ZONE}/rulesets/{ruleset_id}/rules/{rule_id}", json={"action": "log", "expression": "true"}
            )
        edited = rules.read(created.id, created.outs)
        assert edited.outs is not None and edited.outs["expression"] == "true"
        news = rules.check({}, self.inputs(["a.example.com"])).inputs
        assert rules.diff(created.id, edited.outs, news).changes
        with emulator.client() as api:
            api.delete(f"/zones/{ZONE}/rulesets/{ruleset_id}/rules/{rule_id}")
        gone = rules.read(created.id, created.outs)
        assert gone.id is None


class TestAccountWithManagedCertificates:
    """Cloudflare lists its own Access and Gateway certificates too: the provider considers only uploads."""

    @pytest.fixture
    def emulator_config(self) -> EmulatorConfig:
        managed = (
            ManagedCertificateSeed(ACCOUNT, "gateway_managed"),
            ManagedCertificateSeed(ACCOUNT, "access_managed"),
        )
        return EmulatorConfig(zones=TEST_ZONES, managed_certificates=managed)

    def test_the_quota_counts_and_lists_only_uploads(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        assert {cert["type"] for cert in emulator.state()["certificates"]} == {"gateway_managed", "access_managed"}
        for index in range(5):
            create_ca(certs, f"ca-{index}")
        with pytest.raises(ProviderError) as refused:
            create_ca(certs, "sixth")
        message = str(refused.value)
        assert all(f"ca-{index}" in message for index in range(5)) and "(no name)" not in message

    def test_adopt_and_crash_recovery_never_take_a_managed_certificate(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        managed = next(cert for cert in emulator.state()["certificates"] if cert["type"] == "gateway_managed")
        with emulator.client() as api:
            listed = api.get(f"/accounts/{ACCOUNT}/mtls_certificates", params={"type": "custom"}).json()["result"]
        assert listed == []
        pem = managed["certificates"]
        created = certs.create(certs.check({}, {"certificates": pem, "name": "", "adopt_existing": True}).inputs)
        assert created.id != managed["id"]
