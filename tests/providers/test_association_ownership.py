"""One (zone, CA) hostname list has one owner (issue 13, defect 2).

Cloudflare keeps one list per (zone, CA) pair and every PUT replaces it whole: two HostnameAssociations of one
stack declaring the same pair overwrote each other, and deleting one emptied the other's list (an mTLS outage).
"""

from __future__ import annotations

import pulumi
import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources import hostname_association
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider, claim
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import ZONE, create_ca

HOSTS = ["api.example.com", "admin.example.com"]


@pytest.fixture(autouse=True)
def _fresh_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostname_association, "_DECLARED", {})
    monkeypatch.setattr(hostname_association, "_WRITTEN_THIS_RUN", {})


def test_a_second_declaration_of_the_same_list_is_refused_naming_both() -> None:
    assert claim("hosts", ZONE, "c" * 32) == "c" * 32
    assert claim("hosts", ZONE, "c" * 32) == "c" * 32  # the same resource resolving again
    assert claim("other-zone", "1" * 32, "c" * 32) == "c" * 32
    with pytest.raises(pulumi.RunError) as refused:
        claim("hosts-again", ZONE, "c" * 32)
    message = str(refused.value)
    assert "'hosts-again' and 'hosts' both declare the hostnames of zone" in message
    assert "put every hostname in 'hosts' and remove 'hosts-again'" in message


def test_a_renamed_association_keeps_its_list_when_the_old_one_is_deleted(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
    emulator: EmulatorServer,
) -> None:
    certificate_id, _ = create_ca(certs)
    old = {"zone_id": ZONE, "mtls_certificate_id": certificate_id, "hostnames": HOSTS, "declared_by": "hosts"}
    old_outs = assocs.create(assocs.check({}, old).inputs).outs
    hostname_association._WRITTEN_THIS_RUN.clear()  # the next run: the resource renamed in the program
    new = {**old, "declared_by": "corp-hosts"}
    assocs.create(assocs.check({}, new).inputs)  # the same list, already there: taken as is
    assert old_outs is not None
    assocs.delete(f"{ZONE}/{certificate_id}", old_outs)  # the engine deletes the old name last
    with emulator.client() as api:
        answer = api.get(
            f"/zones/{ZONE}/certificate_authorities/hostname_associations",
            params={"mtls_certificate_id": certificate_id},
        )
    assert sorted(answer.json()["result"]["hostnames"]) == sorted(HOSTS)


def test_the_create_refusal_names_both_ways_it_can_happen(
    certs: MTLSCertificateProvider,
    assocs: HostnameAssociationProvider,
) -> None:
    certificate_id, _ = create_ca(certs)
    first = {"zone_id": ZONE, "mtls_certificate_id": certificate_id, "hostnames": HOSTS, "declared_by": "a"}
    assocs.create(assocs.check({}, first).inputs)
    with pytest.raises(ProviderError) as refused:
        assocs.create(assocs.check({}, {**first, "hostnames": ["other.example.com"], "declared_by": "b"}).inputs)
    message = str(refused.value)
    assert "outside this stack" not in message
    assert "adopt_existing=True" in message and "aliases=[pulumi.Alias(name='<old name>')]" in message
