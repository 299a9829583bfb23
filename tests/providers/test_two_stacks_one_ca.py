"""Two stacks declaring the same CA at the same time (issue 17, point 9): exactly one upload, exactly one owner;
the other stack gets Cloudflare's 1471 refusal with what to do, never a silent share of the upload."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cfmtls_provider.cloudflare.errors import CertificateAlreadyExistsError
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ACCOUNT, configured


def inputs(provider: MTLSCertificateProvider, pem: str, tag: str) -> dict[str, Any]:
    return provider.check({}, {"certificates": pem, "name": "corp-ca", "ownership_tag": tag}).inputs


def test_concurrent_creates_of_one_ca_by_two_stacks_give_one_owner_and_one_refusal(emulator: EmulatorServer) -> None:
    pem = make_ca("shared CA").pem
    stacks = {
        tag: configured(MTLSCertificateProvider(), emulator) for tag in ("cfmtls-aaaaaaaaaaaa", "cfmtls-bbbbbbbbbbbb")
    }
    outcomes: dict[str, Any] = {}
    start = threading.Barrier(2)

    def run(tag: str) -> None:
        provider = stacks[tag]
        props = inputs(provider, pem, tag)
        start.wait()
        try:
            outcomes[tag] = provider.create(props).id
        except ProviderError as error:
            outcomes[tag] = error

    threads = [threading.Thread(target=run, args=(tag,)) for tag in stacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = [value for value in outcomes.values() if isinstance(value, str)]
    refused = [value for value in outcomes.values() if isinstance(value, ProviderError)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert str(refused[0]).startswith(f"This CA certificate is already uploaded to account {ACCOUNT} as certificate ")
    assert "set adopt_existing=True" in str(refused[0])
    assert [cert["id"] for cert in emulator.state()["certificates"]] == created


def test_a_lost_answer_never_takes_another_stacks_upload(emulator: EmulatorServer) -> None:
    pem = make_ca("shared CA").pem
    other = configured(MTLSCertificateProvider(), emulator)
    other.create(inputs(other, pem, "cfmtls-aaaaaaaaaaaa"))
    mine = configured(MTLSCertificateProvider(), emulator)
    emulator.add_fault("POST:*/mtls_certificates:status=503:count=1")  # our POST's answer: ambiguous
    with pytest.raises(CertificateAlreadyExistsError):
        mine.client().upload_certificate(ACCOUNT, pem, name="corp-ca [cfmtls-bbbbbbbbbbbb]")
