"""client_auth: the cf.tls_client_auth.* values Cloudflare computes, and the chain verification behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from cfmtls_provider import throwaway_ca
from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.client_auth import (
    NOT_PRESENTED,
    AssociatedCA,
    ClientCertificateError,
    client_auth,
    load_certificates,
    trust_anchors,
    trusted_for_hostname,
    verify_client_chain,
)
from cfmtls_provider.rules_language import CLIENT_AUTH_PREFIX
from tests.support.certs import CA, make_ca


def _throwaway() -> tuple[x509.Certificate, x509.Certificate, str]:
    """The demo's CA and client certificate (``throwaway_ca``, what the README has users make)."""
    ca_pem, ca_key = throwaway_ca.make_ca("Demo CA")
    client_pem, _key = throwaway_ca.make_client_certificate(ca_pem, ca_key, "demo client")
    return x509.load_pem_x509_certificate(ca_pem.encode()), x509.load_pem_x509_certificate(client_pem.encode()), ca_pem


def _leaf(issuer: CA, **extensions: x509.ExtensionType) -> x509.Certificate:
    """A client leaf signed by ``issuer`` with exactly the given extensions (none critical)."""
    return issuer.issue_cert("leaf", extensions=[(extension, False) for extension in extensions.values()]).cert


def test_the_demo_client_verifies_against_its_ca_and_every_field_is_filled() -> None:
    ca, client, ca_pem = _throwaway()
    auth = client_auth([client], [ca])
    assert auth.cert_presented and auth.cert_verified and not auth.cert_revoked
    assert auth.failure == ""
    # The pinned rule compares cert_issuer_ski with MTLSCertificate.subject_key_identifier: they must agree.
    assert auth.cert_issuer_ski == parse_ca_bundle(ca_pem).ca.subject_key_identifier
    assert auth.cert_subject_dn == "CN=demo client" and auth.cert_issuer_dn == "CN=Demo CA"
    assert auth.cert_subject_dn_legacy == "/CN=demo client"
    assert (
        len(auth.cert_fingerprint_sha256) == 64 and auth.cert_fingerprint_sha256 == auth.cert_fingerprint_sha256.lower()
    )
    assert auth.cert_serial == format(client.serial_number, "X").zfill(len(auth.cert_serial))
    assert len(auth.cert_serial) % 2 == 0
    assert auth.cert_issuer_serial == format(ca.serial_number, "X").zfill(len(auth.cert_issuer_serial))
    assert auth.cert_ski and auth.cert_ski == auth.cert_ski.upper()


def test_field_names_are_cloudflares() -> None:
    names = set(NOT_PRESENTED.fields())
    for field in (
        "cert_presented",
        "cert_verified",
        "cert_revoked",
        "cert_issuer_ski",
        "cert_ski",
        "cert_fingerprint_sha256",
        "cert_subject_dn",
        "cert_issuer_dn",
        "cert_not_before",
        "cert_not_after",
        "cert_serial",
    ):
        assert CLIENT_AUTH_PREFIX + field in names
    assert CLIENT_AUTH_PREFIX + "failure" not in names


def test_no_certificate_gives_empty_strings_and_false() -> None:
    auth = client_auth(None, [])
    assert auth == NOT_PRESENTED
    values = auth.fields()
    assert (
        values[CLIENT_AUTH_PREFIX + "cert_presented"] is False and values[CLIENT_AUTH_PREFIX + "cert_verified"] is False
    )
    assert values[CLIENT_AUTH_PREFIX + "cert_issuer_ski"] == ""


def test_dates_use_openssl_format() -> None:
    ca = make_ca("CA", not_before=datetime(2021, 1, 1, tzinfo=UTC))
    cert = ca.issue_cert(
        "dated",
        serial=0x0A,
        not_before=datetime(2022, 3, 1, 13, 35, tzinfo=UTC),
        not_after=datetime(2023, 3, 21, 13, 35, tzinfo=UTC),
        extensions=[],
    ).cert
    auth = client_auth([cert], [ca.cert], now=datetime(2022, 6, 1, tzinfo=UTC))
    assert auth.cert_not_before == "Mar  1 13:35:00 2022 GMT"
    assert auth.cert_not_after == "Mar 21 13:35:00 2023 GMT"
    assert auth.cert_serial == "0A"
    assert auth.cert_verified


def test_a_certificate_from_another_ca_is_presented_but_not_verified() -> None:
    ca, _client, _ = _throwaway()
    _other_ca, other_client, _ = _throwaway()
    auth = client_auth([other_client], [ca])
    assert auth.cert_presented and not auth.cert_verified
    assert "unable to get local issuer certificate" in auth.failure
    # Still filled from the certificate itself (the issuer SKI from its Authority Key Identifier).
    assert auth.cert_subject_dn == "CN=demo client" and auth.cert_issuer_ski


def test_a_forged_issuer_name_does_not_verify() -> None:
    """Same issuer name, different key: the signature decides."""
    real = make_ca("Corp CA")
    forger = make_ca("Corp CA")
    auth = client_auth([_leaf(forger)], [real.cert])
    assert not auth.cert_verified and "unable to get local issuer certificate" in auth.failure


def test_validity_is_checked_at_the_given_moment() -> None:
    ca, client, _ = _throwaway()
    assert "expired" in verify_client_chain(client, [], [ca], now=datetime.now(UTC) + timedelta(days=400)).reason
    assert "not yet valid" in verify_client_chain(client, [], [ca], now=datetime.now(UTC) - timedelta(days=1)).reason
    assert verify_client_chain(client, [], [ca]).verified


def test_extended_key_usage_must_allow_client_auth() -> None:
    ca = make_ca("CA")
    server_only = _leaf(ca, eku=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]))
    result = verify_client_chain(server_only, [], [ca.cert])
    assert not result.verified and "clientAuth" in result.reason
    client = _leaf(ca, eku=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]))
    assert verify_client_chain(client, [], [ca.cert]).verified


def test_key_usage_must_allow_signing() -> None:
    ca = make_ca("CA")
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    encipher_only = _leaf(ca, ku=x509.KeyUsage(**{**usage, "key_encipherment": True}))
    assert "digitalSignature" in verify_client_chain(encipher_only, [], [ca.cert]).reason
    signing = _leaf(ca, ku=x509.KeyUsage(**{**usage, "digital_signature": True}))
    assert verify_client_chain(signing, [], [ca.cert]).verified


def test_no_key_identifiers_needed() -> None:
    """Unlike the web PKI profile, OpenSSL (so Cloudflare) verifies a leaf without AKI/SKI."""
    ca = make_ca("CA")
    assert verify_client_chain(_leaf(ca), [], [ca.cert]).verified


def test_a_leaf_cannot_act_as_a_ca() -> None:
    ca = make_ca("CA")
    not_a_ca = ca.issue_ca("Leaf acting as CA", ca=False)
    result = verify_client_chain(_leaf(not_a_ca), [not_a_ca.cert], [ca.cert])
    assert not result.verified and "CA" in result.reason


def test_a_chain_through_an_intermediate_the_client_sends() -> None:
    root = trustme.CA()
    intermediate = root.create_child_ca()
    issued = intermediate.issue_cert("client@example.com")
    chain = load_certificates(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    root_cert = load_certificates(root.cert_pem.bytes())[0]
    auth = client_auth(chain, [root_cert])
    assert auth.cert_verified, auth.failure
    # The direct issuer is the intermediate, not the root.
    assert auth.cert_issuer_dn == chain[1].subject.rfc4514_string()
    without_intermediate = client_auth(chain[:1], [root_cert])
    assert not without_intermediate.cert_verified


def test_no_trust_anchor_means_not_verified() -> None:
    _ca, client, _ = _throwaway()
    auth = client_auth([client], [])
    assert auth.cert_presented and not auth.cert_verified and "no CA" in auth.failure


def test_load_certificates_reads_pem_and_der_and_explains_the_rest() -> None:
    ca, client, ca_pem = _throwaway()
    assert load_certificates(ca_pem) == (ca,)
    from cryptography.hazmat.primitives import serialization

    assert load_certificates(client.public_bytes(serialization.Encoding.DER)) == (client,)
    with pytest.raises(ClientCertificateError, match="private key"):
        load_certificates(make_ca("k").key_pem)
    with pytest.raises(ClientCertificateError, match="neither PEM nor DER"):
        load_certificates(b"hello")


def _associated(ca_id: str, uploaded_on: str, managed: bool = False) -> AssociatedCA:
    return AssociatedCA(id=ca_id, uploaded_on=uploaded_on, certificates=(make_ca(ca_id).cert,), managed=managed)


def test_several_uploaded_cas_the_most_recently_deployed_one_counts() -> None:
    old, new = _associated("old", "2026-01-01T00:00:00Z"), _associated("new", "2026-06-01T00:00:00Z")
    assert trusted_for_hostname([new, old]) == [new]
    assert trusted_for_hostname([new, old], "any") == [old, new]
    managed = _associated("managed", "2020-01-01T00:00:00Z", managed=True)
    assert trusted_for_hostname([old, managed, new]) == [managed, new]
    assert trust_anchors([old, new]) == [*old.certificates, *new.certificates]
    assert trusted_for_hostname([]) == []


def test_throwaway_client_certificate_comes_with_its_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from cfmtls_provider.throwaway_ca import main

    out = tmp_path
    main(["--out", str(out / "ca.pem"), "--client-out", str(out / "client.pem")])
    key = serialization.load_pem_private_key((out / "client.key").read_bytes(), password=None)
    (client,) = load_certificates((out / "client.pem").read_text())
    assert client.public_key() == key.public_key()
    assert (out / "client.key").stat().st_mode & 0o077 == 0
    assert client_auth([client], list(load_certificates((out / "ca.pem").read_text()))).cert_verified
    assert sorted(path.name for path in out.iterdir()) == ["ca.pem", "client.key", "client.pem"]  # no CA key
    assert "PRIVATE KEY" not in (out / "ca.pem").read_text() + (out / "client.pem").read_text()


def test_throwaway_ca_refuses_a_client_key_path_without_a_client_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cfmtls_provider.throwaway_ca import main

    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "ca.pem"), "--client-key-out", str(tmp_path / "client.key")])
    assert "--client-key-out needs --client-out" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
