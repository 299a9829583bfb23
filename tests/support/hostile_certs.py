"""CA certificates that pyca/cryptography's builder will not make but an attacker (or an odd PKI) can:
a negative serial number, a duplicated or malformed extension, an unknown key type, a curve Go does not
know, an unknown critical extension. Each is a real CA:TRUE certificate, re-signed after a small DER edit of
its TBSCertificate, so it is as close to a valid one as possible except for the one defect.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID, NameOID

__all__ = [
    "chain",
    "critical_ski_ca",
    "duplicate_extension_ca",
    "long_serial_ca",
    "malformed_basic_constraints_ca",
    "negative_serial_ca",
    "secp256k1_ca",
    "unknown_critical_extension_ca",
    "unknown_key_type_ca",
]

Fields = list[bytes]


def _tlv(data: bytes, offset: int) -> tuple[int, int]:
    """(start of the content, end of the element) of the DER element at ``offset``."""
    length, start = data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    return start, start + length


def _children(data: bytes) -> Fields:
    start, end = _tlv(data, 0)
    out = []
    while start < end:
        _, after = _tlv(data, start)
        out.append(data[start:after])
        start = after
    return out


def _encode(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def _pem(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    return (
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n-----END CERTIFICATE-----\n"
    )


def _builder(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.CertificateBuilder:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
    )


def _ca(
    common_name: str,
    *,
    extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
    edit: Callable[[Fields], Fields] | None = None,
    curve: ec.EllipticCurve | None = None,
) -> str:
    """A self-signed EC CA (CA:TRUE, SKI) with ``extensions`` added and its TBS fields passed through ``edit``."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    builder = _builder(key, common_name).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    for extension, critical in extensions or [(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)]:
        builder = builder.add_extension(extension, critical=critical)
    der = builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)
    if edit is None:
        return _pem(der)
    tbs, algorithm, _ = _children(der)
    new_tbs = _encode(0x30, b"".join(edit(_children(tbs))))
    signature = key.sign(new_tbs, ec.ECDSA(hashes.SHA256()))
    return _pem(_encode(0x30, new_tbs + algorithm + _encode(0x03, b"\x00" + signature)))


# TBSCertificate fields: [0] version, serialNumber, signature, issuer, validity, subject, spki, [3] extensions.
_SERIAL, _SPKI, _EXTENSIONS = 1, 6, 7


def negative_serial_ca() -> str:
    def edit(fields: Fields) -> Fields:
        fields[_SERIAL] = _encode(0x02, b"\xfe\x01")  # -511
        return fields

    return _ca("cfmtls negative serial CA", edit=edit)


def long_serial_ca() -> str:
    """A serial number of 21 octets: RFC 5280 allows 20, Go parses it anyway."""

    def edit(fields: Fields) -> Fields:
        fields[_SERIAL] = _encode(0x02, b"\x01" + b"\x23" * 20)
        return fields

    return _ca("cfmtls long serial CA", edit=edit)


def duplicate_extension_ca() -> str:
    """BasicConstraints twice."""

    def edit(fields: Fields) -> Fields:
        extensions = _children(_children(fields[_EXTENSIONS])[0])
        return [*fields[:_EXTENSIONS], _encode(0xA3, _encode(0x30, b"".join([*extensions, extensions[0]])))]

    return _ca("cfmtls duplicate extension CA", edit=edit)


def malformed_basic_constraints_ca() -> str:
    """A KeyUsage extension whose BIT STRING is cut short (Go: "x509: invalid key usage")."""
    return _ca(
        "cfmtls malformed extension CA",
        extensions=[(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x03\x02"), True)],
    )


def critical_ski_ca() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return _ca(
        "cfmtls critical SKI CA", extensions=[(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), True)]
    )


def unknown_critical_extension_ca() -> str:
    return _ca(
        "cfmtls unknown critical extension CA",
        extensions=[(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"), True)],
    )


def unknown_key_type_ca() -> str:
    """The SubjectPublicKeyInfo's algorithm OID replaced by one nobody knows."""

    def edit(fields: Fields) -> Fields:
        algorithm, key_bits = _children(fields[_SPKI])
        unknown = _encode(0x30, _encode(0x06, bytes.fromhex("2b0601040183b2430102")))  # 1.3.6.1.4.1.55619.1.2
        fields[_SPKI] = _encode(0x30, unknown + key_bits)
        assert algorithm != unknown
        return fields

    return _ca("cfmtls unknown key type CA", edit=edit)


def secp256k1_ca() -> str:
    return _ca("cfmtls secp256k1 CA", curve=ec.SECP256K1())


def chain(*, root_first: bool) -> tuple[str, x509.Certificate, x509.Certificate]:
    """A root and the intermediate it issued, as one PEM bundle in either order, with both certificates."""
    from tests.support.certs import make_ca

    root = make_ca("cfmtls chain root")
    intermediate = make_ca("cfmtls chain intermediate", issuer=root)
    pems = [root.pem, intermediate.pem] if root_first else [intermediate.pem, root.pem]
    return "".join(pems), root.cert, intermediate.cert
