"""Renaming a CA, or changing only its private key, never deletes first by default (issue 17, point 4):
Cloudflare can neither rename an upload nor take the same certificate twice, so the preview refuses with the
options; on_rename='record_only' records it in the stack only; on_rename='delete_first' is the explicit
opt-in to the outage."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import UNKNOWN

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import ProviderError
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ACCOUNT, configured

PEM = make_ca("rename CA").pem
KEY = make_ca("rename CA key").key_pem
OLDS: dict[str, Any] = {"certificates": PEM, "name": "corp-ca", "account_id": ACCOUNT}
REFUSAL = (
    "name changed from 'corp-ca' to 'corp-ca-2024' while the certificates stay the same. Cloudflare cannot rename "
    "an uploaded CA or change its key, and refuses a second upload of the same certificate (1471): a re-upload "
    "would have to delete the CA first, leaving its hostnames without a CA (and their rules blocking every client) "
    "until the new upload is done. Nothing is done without your choice: keep the old value; or set "
    "on_rename='record_only' to record the new value in the stack only (Cloudflare keeps the upload as it is: no "
    "outage); or set on_rename='delete_first' to delete and re-upload, accepting that outage."
)


def reasons(provider: MTLSCertificateProvider, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, str]:
    return {failure.property: failure.reason for failure in provider.check(olds, news).failures}


def test_a_rename_is_refused_at_preview_with_the_options() -> None:
    assert reasons(MTLSCertificateProvider(), OLDS, {**OLDS, "name": "corp-ca-2024"}) == {"name": REFUSAL}


def test_a_new_private_key_alone_is_refused_too() -> None:
    found = reasons(MTLSCertificateProvider(), OLDS, {**OLDS, "private_key": KEY})
    assert list(found) == [""]  # no property named: the engine would print its value (the key)
    assert found[""].startswith("private_key changed while the certificates stay the same.")


def test_a_rename_with_a_new_certificate_is_an_ordinary_create_before_delete_rotation() -> None:
    news = {**OLDS, "name": "corp-ca-2024", "certificates": make_ca("next CA").pem}
    provider = MTLSCertificateProvider()
    assert reasons(provider, OLDS, news) == {}
    result = provider.diff("id", {**OLDS, "private_key_sha256": ""}, news)
    assert result.replaces is not None and "certificates" in result.replaces and not result.delete_before_replace


def test_the_diff_refuses_it_too_when_the_preview_could_not_compare() -> None:
    provider = MTLSCertificateProvider()
    assert reasons(provider, OLDS, {**OLDS, "certificates": UNKNOWN, "name": "corp-ca-2024"}) == {}
    with pytest.raises(ProviderError, match=r"^name changed from 'corp-ca' to 'corp-ca-2024'"):
        provider.diff("id", {**OLDS, "private_key_sha256": ""}, {**OLDS, "name": "corp-ca-2024"})


def test_record_only_is_an_in_place_update_without_any_api_call(emulator: EmulatorServer) -> None:
    provider: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    created = provider.create(provider.check({}, dict(OLDS)).inputs)
    assert created.outs is not None
    news = provider.check(OLDS, {**OLDS, "name": "corp-ca-2024", "on_rename": "record_only"}).inputs
    assert provider.check(OLDS, news).failures == []
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes and not diff.replaces and not diff.delete_before_replace
    emulator.clear_requests()
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs is not None and updated.outs["name"] == "corp-ca-2024"
    assert emulator.requests() == []
    [held] = emulator.state()["certificates"]
    assert held["id"] == created.id and held["name"] == "corp-ca"
    assert not provider.diff(created.id, updated.outs, news).changes


def test_delete_first_is_the_explicit_opt_in() -> None:
    news = {**OLDS, "name": "corp-ca-2024", "on_rename": "delete_first"}
    provider = MTLSCertificateProvider()
    assert reasons(provider, OLDS, news) == {}
    result = provider.diff("id", {**OLDS, "private_key_sha256": ""}, news)
    assert result.replaces == ["name"] and result.delete_before_replace


def test_an_unknown_on_rename_value_is_named() -> None:
    found = reasons(MTLSCertificateProvider(), OLDS, {**OLDS, "on_rename": "rename"})
    assert found == {"on_rename": "on_rename 'rename' is not one of refuse, record_only, delete_first."}
