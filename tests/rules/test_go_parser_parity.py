"""The CA rules refuse what Go's crypto/x509 parser (Cloudflare's) refuses, with a sentence, never a traceback;
and warn about what Go parses but cannot use. Sources: cfmtls_provider/go_x509.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cfmtls_provider.certificates import CertificateError, parse_ca_bundle
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support import certs as hostile
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"
REISSUE = "Re-issue the CA certificate with a standard tool (e.g. 'openssl req -x509' or your PKI) and upload that."

REFUSED: dict[str, tuple[Callable[[], str], str]] = {
    "negative serial": (
        hostile.negative_serial_ca,
        "certificates: the PEM block has a negative serial number (-511), which Go's crypto/x509 parser (and so "
        "Cloudflare) refuses since Go 1.23. " + REISSUE,
    ),
    "two BasicConstraints": (
        hostile.duplicate_extension_ca,
        "certificates: the PEM block holds the 2.5.29.19 extension twice (BASIC_CONSTRAINTS); Go's crypto/x509 "
        "parser (and so Cloudflare) refuses duplicate extensions. " + REISSUE,
    ),
    "malformed extension": (
        hostile.malformed_key_usage_ca,
        "certificates: the PEM block has a malformed extension (",
    ),
    "critical SubjectKeyIdentifier": (
        hostile.critical_ski_ca,
        "certificates: the PEM block marks its SubjectKeyIdentifier extension critical, which Go's crypto/x509 "
        "parser (and so Cloudflare) refuses. " + REISSUE,
    ),
    "unknown key type": (
        hostile.unknown_key_type_ca,
        "certificates: the PEM block has a public key that cannot be used (",
    ),
    "EC curve Go does not know": (
        hostile.secp256k1_ca,
        "certificates: the PEM block has an EC key on curve secp256k1, which Go's crypto/x509 parser (and so "
        "Cloudflare) refuses; use P-256, P-384 or P-521. " + REISSUE,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_go_refuses_is_a_named_refusal(case: str) -> None:
    make, message = REFUSED[case]
    with pytest.raises(CertificateError) as raised:
        parse_ca_bundle(make())
    assert str(raised.value).startswith(message)
    assert str(raised.value).endswith(REISSUE)


def test_the_defect_is_placed_in_its_block_of_a_bundle() -> None:
    with pytest.raises(CertificateError, match="PEM block 2 of 2 has a negative serial number"):
        parse_ca_bundle(make_ca().pem + hostile.negative_serial_ca())


def test_unknown_critical_extension_is_accepted_with_a_warning() -> None:
    bundle = parse_ca_bundle(hostile.unknown_critical_extension_ca())
    assert bundle.warnings == (
        "the PEM block (CN=cfmtls unknown critical extension CA) has critical extension(s) 1.3.6.1.4.1.55555.1 "
        "that Go's crypto/x509 does not handle: Go parses the certificate but its Verify refuses chains through "
        "it ('unhandled critical extension'), so client certificates issued by it may never verify.",
    )


def test_serial_over_20_octets_is_accepted_with_a_warning() -> None:
    (warning,) = parse_ca_bundle(hostile.long_serial_ca()).warnings
    assert "has a serial number of 21 octets; RFC 5280 allows at most 20" in warning


def test_not_yet_valid_ca_is_accepted_with_a_warning() -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    (warning,) = parse_ca_bundle(make_ca(not_before=start, not_after=start + timedelta(days=90)).pem).warnings
    assert "is not valid yet (from " in warning
    assert "client certificates issued by it fail verification until then" in warning


def test_an_ordinary_ca_has_no_warning() -> None:
    assert parse_ca_bundle(make_ca().pem).warnings == ()


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_emulator_refuses_them_with_a_cloudflare_envelope_not_a_500(case: str, emulator: EmulatorServer) -> None:
    make, message = REFUSED[case]
    with emulator.client() as api:
        answer = api.post(f"/accounts/{ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": make()})
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False
    (error,) = body["errors"]
    assert error["code"] == 1400
    assert error["message"].startswith("Unable to parse certificate: " + message)


def test_the_provider_check_gives_the_refusal_naming_certificates_in_its_message() -> None:
    result = MTLSCertificateProvider().check(
        {}, {"certificates": hostile.duplicate_extension_ca(), "account_id": ACCOUNT, "name": "ca"}
    )
    assert [(failure.property, failure.reason) for failure in result.failures] == [
        ("", REFUSED["two BasicConstraints"][1])
    ]
    assert REFUSED["two BasicConstraints"][1].startswith("certificates: ")
