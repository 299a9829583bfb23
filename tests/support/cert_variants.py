"""Certificate variants that tests/support/certs.py cannot make.

* SHA-1 signed CAs: cryptography (>= 45) refuses ``CertificateBuilder.sign`` with SHA-1, but the raw
  ``private_key.sign(data, ..., SHA1())`` is still allowed. So a certificate is built with SHA-256, its
  TBSCertificate's signature AlgorithmIdentifier is swapped for the SHA-1 one (a small DER rewrite), and the
  new TBS is signed with SHA-1 by hand.
* A CA without a SubjectKeyIdentifier extension.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["ca_without_ski", "sha1_ca"]

# AlgorithmIdentifier DER: sha1WithRSAEncryption (1.2.840.113549.1.1.5) with NULL parameters,
# ecdsa-with-SHA1 (1.2.840.10045.4.1) with parameters absent.
_SHA1_WITH_RSA = bytes.fromhex("300d06092a864886f70d0101050500")
_ECDSA_WITH_SHA1 = bytes.fromhex("300906072a8648ce3d0401")


def _read_tlv(data: bytes, offset: int) -> tuple[int, int]:
    """(offset of the content, offset after the element) of the DER element starting at ``offset``."""
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return start, start + length


def _encode(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        header = bytes([tag, n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(raw)]) + raw
    return header + content


def _children(data: bytes, start: int, end: int) -> list[bytes]:
    out = []
    while start < end:
        _, after = _read_tlv(data, start)
        out.append(data[start:after])
        start = after
    return out


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(common_name: str, public_key: object, *, ski: bool) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
    return builder


def sha1_ca(key_type: str = "rsa", common_name: str = "cfmtls SHA-1 CA") -> str:
    """A self-signed CA:TRUE certificate signed with SHA1WithRSA or ECDSAWithSHA1, as PEM."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        algorithm_id = _SHA1_WITH_RSA
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        algorithm_id = _ECDSA_WITH_SHA1
    template = _builder(common_name, key.public_key(), ski=True).sign(key, hashes.SHA256())
    der = template.public_bytes(serialization.Encoding.DER)
    cert_start, cert_end = _read_tlv(der, 0)
    tbs = _children(der, cert_start, cert_end)[0]
    tbs_start, tbs_end = _read_tlv(tbs, 0)
    fields = _children(tbs, tbs_start, tbs_end)
    fields[2] = algorithm_id  # [0] version, serialNumber, signature, issuer, ...
    new_tbs = _encode(0x30, b"".join(fields))
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    else:
        signature = key.sign(new_tbs, ec.ECDSA(hashes.SHA1()))  # noqa: S303
    new_der = _encode(0x30, new_tbs + algorithm_id + _encode(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(new_der).public_bytes(serialization.Encoding.PEM).decode()


def ca_without_ski(common_name: str = "cfmtls CA without SKI") -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A CA:TRUE certificate with no SubjectKeyIdentifier extension (PEM), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _builder(common_name, key.public_key(), ski=False).sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key
