"""MTLSCertificate's create/read/update/delete against an in-process emulator: every lifecycle rule.

A delete runs in a later run than the create (``next_run``): in the run that uploads a CA, the stack holds it.
"""

from __future__ import annotations

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig, ManagedCertificateSeed
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import (
    ACCOUNT,
    configured,
    create_association,
    create_ca,
    next_run,
)
from tests.support.zones import TEST_ZONES

OTHER_ZONE = "11111111111111111111111111111111"


def fault_status(spec: str) -> int:
    return int(spec.split("status=")[1].split(":")[0])


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
        next_run()
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
        next_run()
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
        next_run()
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
        association_id, association = create_association(assocs, outs, ["a.example.com"])
        next_run()  # the destroy
        assocs.delete(association_id, association)
        emulator.clear_requests()
        configured(certs, emulator, **{"cfmtls:deleteWaitSeconds": "10"})
        certs.delete(certificate_id, outs)  # the emulator's lag (0.3 s here) refuses the first attempt
        statuses = [entry["status"] for entry in emulator.requests() if entry["method"] == "DELETE"]
        assert statuses[0] == 400 and statuses[-1] == 200
        assert emulator.state()["certificates"] == []

    def test_delete_of_a_certificate_already_gone_succeeds(
        self, certs: MTLSCertificateProvider, emulator: EmulatorServer
    ) -> None:
        certificate_id, outs = create_ca(certs)
        next_run()
        certs.delete(certificate_id, outs)
        certs.delete(certificate_id, outs)
        assert [entry["status"] for entry in emulator.requests() if entry["method"] == "DELETE"] == [200, 404]

    def test_read_of_a_deleted_certificate_drops_it_from_state(self, certs: MTLSCertificateProvider) -> None:
        certificate_id, outs = create_ca(certs)
        next_run()
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
