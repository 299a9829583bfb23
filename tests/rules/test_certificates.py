"""parse_ca_bundle: every refusal says what was found and what to do; accepted bundles give the right facts."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from cfmtls_provider.certificates import (
    ALLOWED_SIGNATURE_ALGORITHMS,
    CABundle,
    CertificateError,
    der_blocks,
    key_material,
    parse_ca_bundle,
    same_certificates,
)
from tests.support.certs import CA, HashName, KeyType, make_ca


def _pem_block(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


def _rewrap(pem: str, width: int, newline: str = "\n") -> str:
    """The same certificates with the base64 wrapped at another width and other line endings."""
    out = []
    for der in der_blocks(pem) or ():
        body = base64.b64encode(der).decode()
        lines = [body[i : i + width] for i in range(0, len(body), width)]
        out.append(newline.join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"]))
    return (newline * 2).join(out) + newline


@pytest.fixture(scope="module")
def ec_ca() -> CA:
    return make_ca("cfmtls unit CA")


@pytest.fixture(scope="module")
def rsa_ca() -> CA:
    return make_ca("cfmtls unit RSA CA", key_type="rsa")


# -- refusals: not a certificate at all ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t  \r\n"])
def test_empty_or_whitespace_only_input_is_refused_as_empty(text: str) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(text)
    message = str(info.value)
    assert "empty" in message
    assert "BEGIN CERTIFICATE" in message  # says what to pass instead


def test_garbage_text_is_refused_as_no_pem_block() -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle("this is not a certificate")
    message = str(info.value)
    assert "no PEM block found" in message
    assert "-----BEGIN CERTIFICATE-----" in message


def test_der_bytes_as_text_are_refused_with_the_openssl_conversion_hint(ec_ca: CA) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(ec_ca.der.decode("latin-1"))
    message = str(info.value)
    assert "no PEM block found" in message
    assert "openssl x509 -inform der" in message


def test_private_key_is_refused_naming_it_without_echoing_the_key(ec_ca: CA) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(ec_ca.key_pem)
    message = str(info.value)
    assert "private key" in message
    assert "not a certificate" in message
    assert "never be passed as 'certificates'" in message
    body_lines = [line for line in ec_ca.key_pem.splitlines() if line and not line.startswith("-----")]
    for line in body_lines:
        assert line not in message
    assert "".join(body_lines) not in message


def test_private_key_after_a_valid_certificate_is_refused_without_echoing_the_key(ec_ca: CA) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(ec_ca.pem + ec_ca.key_pem)
    message = str(info.value)
    assert "PEM block 2 of 2 is a private key" in message
    for line in ec_ca.key_pem.splitlines()[1:-1]:
        assert line not in message


def test_rsa_private_key_in_traditional_format_is_refused_as_a_private_key(rsa_ca: CA) -> None:
    traditional = rsa_ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    with pytest.raises(CertificateError, match="an RSA private key, not a certificate") as info:
        parse_ca_bundle(traditional)
    for line in traditional.splitlines()[1:-1]:
        assert line not in str(info.value)


def _encrypted_key_body(ca: CA) -> str:
    encrypted = ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    return "".join(line + "\n" for line in encrypted.splitlines() if not line.startswith("-----"))


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda ca: ca.key_body(), "the base64 body of a private key"),
        (lambda ca: "".join(ca.key_body().split()), "the base64 body of a private key"),  # one line
        (_encrypted_key_body, "the base64 body of a private key"),
        (lambda ca: ca.key_body(serialization.PrivateFormat.OpenSSH), "the base64 body of a private key"),
        (lambda ca: ca.pem + ca.key_body(), "the base64 body of a private key"),  # after a valid CA
        (lambda ca: json.dumps(ca.private_jwk), "a JSON Web Key (JWK) with its private members"),
        (lambda ca: json.dumps({"keys": [ca.private_jwk]}), "a JSON Web Key (JWK) with its private members"),
    ],
    ids=["body", "body on one line", "encrypted body", "OpenSSH body", "body after a CA", "JWK", "JWK set"],
)
def test_key_material_without_a_pem_label_is_recognised_and_never_quoted(
    ec_ca: CA, make: Callable[[CA], str], what: str
) -> None:
    text = make(ec_ca)
    assert key_material(text).startswith(what)
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(text)
    message = str(info.value)
    assert message.startswith(f"certificates: the value holds {what}")
    assert "none of it is shown here" in message
    secret_lines = [line for line in text.splitlines() if len(line) > 8 and line not in ec_ca.pem]
    for fragment in [*secret_lines, *(line[:16] for line in secret_lines)]:
        assert fragment not in message


def test_rsa_key_body_in_the_traditional_format_is_key_material(rsa_ca: CA) -> None:
    traditional = rsa_ca.key_body(serialization.PrivateFormat.TraditionalOpenSSL)
    assert key_material(traditional).startswith("the base64 body of a private key")
    assert key_material(rsa_ca.key_pem) == "a PEM private key"


@pytest.mark.parametrize(
    "text",
    ["", "hello", '{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}'],
    ids=["empty", "words", "public JWK"],
)
def test_text_without_private_key_material_is_not_called_key_material(text: str) -> None:
    assert key_material(text) == ""


def test_certificates_and_their_bodies_are_not_key_material(ec_ca: CA, rsa_ca: CA) -> None:
    for ca in (ec_ca, rsa_ca):
        assert key_material(ca.pem) == ""
        assert key_material(ca.public_key_pem) == ""
        assert key_material("".join(ca.pem.splitlines()[1:-1])) == ""


def test_public_key_is_refused_naming_a_public_key(ec_ca: CA) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(ec_ca.public_key_pem)
    message = str(info.value)
    assert "is a public key, not a certificate" in message
    assert "Pass the CA certificate itself" in message
    assert "private key" not in message


def test_csr_is_refused_naming_a_certificate_signing_request(ec_ca: CA) -> None:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client")]))
        .sign(ec_ca.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    with pytest.raises(CertificateError, match=r"is a certificate signing request \(CSR\), not a certificate"):
        parse_ca_bundle(csr)


def test_crl_block_is_refused_naming_a_revocation_list() -> None:
    with pytest.raises(CertificateError, match="is a certificate revocation list, not a certificate"):
        parse_ca_bundle(_pem_block("X509 CRL", b"\x30\x00"))


def test_unknown_pem_label_is_refused_quoting_the_label() -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(_pem_block("PKCS7", b"\x30\x00"))
    message = str(info.value)
    assert "is a 'PKCS7' block, not a certificate" in message
    assert "-----BEGIN CERTIFICATE-----" in message


def test_damaged_base64_is_refused_as_damaged_pem(ec_ca: CA) -> None:
    lines = ec_ca.pem.splitlines()
    lines[2] = lines[2][:10] + "!@#" + lines[2][13:]
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle("\n".join(lines))
    message = str(info.value)
    assert "is not valid base64" in message
    assert "copy it again" in message


def test_pem_headers_in_a_certificate_block_are_refused(ec_ca: CA) -> None:
    lines = ec_ca.pem.splitlines()
    damaged = "\n".join([lines[0], "Proc-Type: 4,ENCRYPTED", "", *lines[1:]])
    with pytest.raises(CertificateError, match="has PEM headers"):
        parse_ca_bundle(damaged)


def test_certificate_block_whose_der_is_not_a_certificate_is_refused() -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(_pem_block("CERTIFICATE", b"\x30\x03\x02\x01\x05"))
    message = str(info.value)
    assert "labelled CERTIFICATE but is not a valid X.509 certificate" in message


def test_truncated_second_certificate_without_end_line_is_refused_not_dropped(ec_ca: CA) -> None:
    other = make_ca("second")
    truncated = ec_ca.pem + other.pem.split("-----END")[0]
    with pytest.raises(CertificateError, match="lost its '-----END"):
        parse_ca_bundle(truncated)


# -- refusals: a certificate, but not an acceptable CA -------------------------------------------------


def test_certificate_without_basic_constraints_is_refused_as_a_leaf() -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(make_ca(ca=None).pem)
    message = str(info.value)
    assert "has no BasicConstraints extension" in message
    assert "CA:TRUE" in message
    assert "upload the CA certificate that issues your client certificates" in message


def test_ca_false_certificate_is_refused_as_a_leaf() -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(make_ca(ca=False).pem)
    message = str(info.value)
    assert "BasicConstraints CA:FALSE" in message
    assert "requires CA:TRUE" in message
    assert "leaf" in message


def test_leaf_second_in_a_chain_is_refused_naming_its_position(ec_ca: CA) -> None:
    with pytest.raises(CertificateError, match="PEM block 2 of 2 has BasicConstraints CA:FALSE"):
        parse_ca_bundle(ec_ca.pem + make_ca(ca=False).pem)


@pytest.mark.parametrize(
    ("make", "oid", "found"),
    [
        (lambda: make_ca(key_type="rsa", rsa_pss=True), "1.2.840.113549.1.1.10", "RSASSA_PSS"),
        (lambda: make_ca(key_type="dsa"), "2.16.840.1.101.3.4.3.2", "DSA_WITH_SHA256"),
        (lambda: make_ca(key_type="ed25519"), "1.3.101.112", "ED25519"),
        (lambda: make_ca(key_type="rsa", hash_name="sha224"), "1.2.840.113549.1.1.14", "RSA_WITH_SHA224"),
        (lambda: make_ca(key_type="ec", hash_name="sha224"), "1.2.840.10045.4.3.1", "ECDSA_WITH_SHA224"),
    ],
    ids=["rsassa-pss-sha256", "dsa-sha256", "ed25519", "rsa-sha224", "ecdsa-sha224"],
)
def test_refused_signature_algorithm_is_named_by_oid_with_the_allowed_list(
    make: Callable[[], CA], oid: str, found: str
) -> None:
    made = make()
    assert made.cert.signature_algorithm_oid.dotted_string == oid
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(made.pem)
    message = str(info.value)
    assert f"signed with {found} (OID {oid})" in message
    assert "which Cloudflare refuses" in message
    for allowed in ALLOWED_SIGNATURE_ALGORITHMS.values():
        assert allowed in message
    assert "Re-issue the CA" in message


def test_expired_ca_is_refused_with_its_expiry_date() -> None:
    not_after = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    made = make_ca("old CA", not_after=not_after)
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(made.pem)
    message = str(info.value)
    assert "CN=old CA" in message
    assert f"expired on {not_after.isoformat()}" in message
    assert "Issue a new CA certificate" in message


def test_expiry_is_judged_against_the_given_now(ec_ca: CA) -> None:
    later = ec_ca.cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(CertificateError, match="expired on"):
        parse_ca_bundle(ec_ca.pem, now=later)


# -- accepted ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_type", "hash_name", "expected"),
    [
        ("rsa", "sha256", "SHA256WithRSA"),
        ("rsa", "sha384", "SHA384WithRSA"),
        ("rsa", "sha512", "SHA512WithRSA"),
        ("ec", "sha256", "ECDSAWithSHA256"),
        ("ec", "sha384", "ECDSAWithSHA384"),
        ("ec", "sha512", "ECDSAWithSHA512"),
    ],
)
def test_allowed_sha2_signature_algorithm_is_accepted_and_named(
    key_type: KeyType, hash_name: HashName, expected: str
) -> None:
    bundle = parse_ca_bundle(make_ca(key_type=key_type, hash_name=hash_name).pem)
    assert bundle.ca.signature_algorithm == expected
    assert bundle.warnings == ()


@pytest.mark.parametrize(("key_type", "expected"), [("rsa", "SHA1WithRSA"), ("ec", "ECDSAWithSHA1")])
def test_allowed_sha1_signature_algorithm_is_accepted_and_named(key_type: KeyType, expected: str) -> None:
    made = make_ca("cfmtls SHA-1 CA", key_type=key_type, hash_name="sha1")
    assert isinstance(made.cert.signature_hash_algorithm, hashes.SHA1)
    assert parse_ca_bundle(made.pem).ca.signature_algorithm == expected


def test_ca_expiring_within_30_days_is_accepted_with_a_warning() -> None:
    not_after = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10, hours=1)
    bundle = parse_ca_bundle(make_ca("soon CA", not_after=not_after).pem)
    assert len(bundle.warnings) == 1
    warning = bundle.warnings[0]
    assert "CN=soon CA" in warning
    assert f"expires on {not_after.isoformat()}" in warning
    assert "in 10 day(s)" in warning
    assert "plan its rotation" in warning


def test_ca_expiring_after_30_days_gives_no_warning() -> None:
    not_after = datetime.now(UTC) + timedelta(days=31)
    assert parse_ca_bundle(make_ca(not_after=not_after).pem).warnings == ()


def test_crlf_and_surrounding_whitespace_are_tolerated(ec_ca: CA) -> None:
    messy = "\r\n  \n" + ec_ca.pem.replace("\n", "\r\n") + "\r\n\r\n   \t"
    bundle = parse_ca_bundle(messy)
    assert bundle.der_blocks == (ec_ca.der,)


def test_bare_cr_line_endings_are_tolerated(ec_ca: CA) -> None:
    assert parse_ca_bundle(ec_ca.pem.replace("\n", "\r")).der_blocks == (ec_ca.der,)


def test_chain_is_parsed_in_the_given_order() -> None:
    root = make_ca("chain root")
    intermediate = root.issue_ca("chain intermediate")
    bundle = parse_ca_bundle(intermediate.pem + root.pem)
    assert bundle.der_blocks == (intermediate.der, root.der)
    assert bundle.ca.subject == "CN=chain intermediate"
    assert bundle.ca.issuer == "CN=chain root"
    assert bundle.certificates[1].subject == "CN=chain root"


def test_repeated_certificate_is_refused(ec_ca: CA) -> None:
    with pytest.raises(CertificateError) as info:
        parse_ca_bundle(ec_ca.pem + ec_ca.pem)
    message = str(info.value)
    assert "PEM block 2 of 2 repeats an earlier certificate" in message
    assert "list each certificate once" in message


def test_repeated_certificate_is_refused_even_when_wrapped_differently(ec_ca: CA) -> None:
    with pytest.raises(CertificateError, match="repeats an earlier certificate"):
        parse_ca_bundle(ec_ca.pem + _rewrap(ec_ca.pem, 76, "\r\n"))


# -- derived outputs -----------------------------------------------------------------------------------


def test_fingerprint_sha256_is_the_sha256_of_the_der(ec_ca: CA) -> None:
    assert parse_ca_bundle(ec_ca.pem).ca.fingerprint_sha256 == hashlib.sha256(ec_ca.der).hexdigest()


def test_subject_key_identifier_is_the_ski_extension_in_upper_case_hex(ec_ca: CA) -> None:
    ski = ec_ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    got = parse_ca_bundle(ec_ca.pem).ca.subject_key_identifier
    assert got == ski.hex().upper()
    assert got == got.upper()


def test_subject_key_identifier_is_derived_from_the_public_key_without_the_extension() -> None:
    made = make_ca("cfmtls CA without SKI", ski=False)
    with pytest.raises(x509.ExtensionNotFound):
        made.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    expected = x509.SubjectKeyIdentifier.from_public_key(made.key.public_key()).digest.hex().upper()
    assert parse_ca_bundle(made.pem).ca.subject_key_identifier == expected


def test_serial_number_is_decimal(ec_ca: CA) -> None:
    serial = parse_ca_bundle(ec_ca.pem).ca.serial_number
    assert serial == str(ec_ca.cert.serial_number)
    assert serial.isdigit()


def test_subject_and_issuer_are_rfc4514_strings() -> None:
    root = make_ca("Root, with comma")
    child = root.issue_ca("child")
    ca = parse_ca_bundle(child.pem).ca
    assert ca.issuer == root.cert.subject.rfc4514_string() == "CN=Root\\, with comma"
    assert ca.subject == "CN=child"


def test_validity_dates_are_timezone_aware_utc(ec_ca: CA) -> None:
    ca = parse_ca_bundle(ec_ca.pem).ca
    assert ca.not_after == ec_ca.cert.not_valid_after_utc
    assert ca.not_before == ec_ca.cert.not_valid_before_utc
    assert ca.not_after.tzinfo is not None


# -- comparison and the canonical PEM ---------------------------------------------------------------


def test_same_certificates_ignores_crlf_line_wrapping_and_surrounding_whitespace() -> None:
    root = make_ca("cmp root")
    chain = root.issue_ca("cmp intermediate").pem + root.pem
    assert same_certificates(chain, _rewrap(chain, 76, "\r\n"))
    assert same_certificates(chain, "\n\n  " + _rewrap(chain, 10_000) + "\n\n\n")
    assert same_certificates(chain, chain.replace("-----\n-----", "-----\n\n\n-----"))


def test_same_certificates_is_false_for_different_certificates(ec_ca: CA) -> None:
    assert not same_certificates(ec_ca.pem, make_ca("cfmtls unit CA").pem)


def test_same_certificates_is_false_for_a_reordered_or_shortened_chain() -> None:
    root = make_ca("order root")
    intermediate = root.issue_ca("order intermediate")
    assert not same_certificates(intermediate.pem + root.pem, root.pem + intermediate.pem)
    assert not same_certificates(intermediate.pem + root.pem, intermediate.pem)


def test_der_blocks_is_none_for_text_without_certificates() -> None:
    assert der_blocks("no pem here") is None


def test_bundle_pem_is_canonical_and_reparses_to_the_same_der() -> None:
    root = make_ca("canon root", key_type="rsa")
    intermediate = root.issue_ca("canon intermediate")
    messy = "  \r\n" + _rewrap(intermediate.pem + root.pem, 76, "\r\n") + "\r\n\r\n"
    bundle = parse_ca_bundle(messy)
    canonical = bundle.pem
    assert canonical.count("-----BEGIN CERTIFICATE-----") == 2
    assert "\r" not in canonical
    assert canonical.endswith("-----END CERTIFICATE-----\n")
    assert "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----" in canonical
    for line in canonical.splitlines():
        assert len(line) <= 64 or line.startswith("-----")
    assert canonical == intermediate.pem + root.pem  # cryptography's PEM is the same canonical form
    again = parse_ca_bundle(canonical)
    assert again.der_blocks == bundle.der_blocks == (intermediate.der, root.der)
    assert again.pem == canonical


def test_content_fingerprint_is_equal_exactly_for_the_same_bundle() -> None:
    a = make_ca("fp root")
    b = a.issue_ca("fp intermediate")
    first: CABundle = parse_ca_bundle(a.pem + b.pem)
    assert first.content_fingerprint == parse_ca_bundle(_rewrap(a.pem + b.pem, 76, "\r\n")).content_fingerprint
    assert first.content_fingerprint != parse_ca_bundle(b.pem + a.pem).content_fingerprint
