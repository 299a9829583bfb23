"""One (zone, CA) hostname list has one owner (issue 13, defect 2).

Cloudflare keeps one list per (zone, CA) pair and every PUT replaces it whole: two HostnameAssociations of one
program declaring the same pair would overwrite each other, and deleting one would empty the other's list. The
program refuses the second declaration (``resources/_declared.py``); the provider refuses a list it did not write.
"""

from __future__ import annotations

import pulumi
import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._declared import declared
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ZONE, create_association, hostname_list, next_run, upload

HOSTS = ["api.example.com", "admin.example.com"]
CA = "c" * 32


def test_a_second_declaration_of_the_same_list_is_refused_naming_both() -> None:
    declared.claim("hosts", ZONE, CA)
    declared.claim("hosts", ZONE, CA)  # the same resource resolving again
    declared.claim("other-zone", "1" * 32, CA)
    declared.claim("other-ca", ZONE, "d" * 32)
    with pytest.raises(pulumi.RunError) as refused:
        declared.claim("hosts-again", ZONE, CA)
    message = str(refused.value)
    assert f"'hosts-again' and 'hosts' both declare the hostnames of zone {ZONE} for CA {CA}" in message
    assert "put every hostname in 'hosts' and remove 'hosts-again'" in message


def test_a_new_program_run_starts_with_no_owner() -> None:
    declared.claim("hosts", ZONE, CA)
    declared.reset()
    declared.claim("hosts-again", ZONE, CA)


def test_the_create_refusal_of_a_list_of_this_stack_says_how_to_rename_without_losing_it(
    certs: MTLSCertificateProvider, assocs: HostnameAssociationProvider, emulator: EmulatorServer
) -> None:
    ca = upload(certs, make_ca("corp"))
    create_association(assocs, ca, HOSTS, name="a")
    next_run()
    with pytest.raises(ProviderError) as refused:
        create_association(assocs, ca, ["other.example.com"], name="b")
    message = str(refused.value)
    assert "outside this stack" not in message
    assert "adopt_existing=True" in message and "aliases=[pulumi.Alias(name='<old name>')]" in message
    assert hostname_list(emulator, ca["certificate_id"]) == sorted(HOSTS)
