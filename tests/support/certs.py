"""Certificate factories for tests: real CAs (trustme) and every odd variant Cloudflare refuses (cryptography).

ca = make_ca()                                   # EC P-256 / SHA-256, CA:TRUE, valid a year
make_ca(key_type="rsa", rsa_pss=True)            # RSASSA-PSS: refused
make_ca(ca=False) / make_ca(ca=None)             # CA:FALSE / no BasicConstraints: a leaf
make_ca(key_type="ed25519"), make_ca(hash_name="sha224"), make_ca(not_after=...)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["KeyType", "MadeCert", "make_ca", "public_key_pem", "trustme_ca", "trustme_leaf"]

KeyType = Literal["rsa", "ec", "ed25519", "dsa"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | dsa.DSAPrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class MadeCert:
    """A generated certificate, its PEM, and its private key (PEM too, for private_key uploads)."""

    cert: x509.Certificate
    key: PrivateKey
    pem: str
    key_pem: str

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return dsa.generate_private_key(key_size=2048)


def make_ca(
    common_name: str = "cfmtls test CA",
    *,
    key_type: KeyType = "ec",
    hash_name: str = "sha256",
    rsa_pss: bool = False,
    ca: bool | None = True,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    issuer: MadeCert | None = None,
) -> MadeCert:
    """A certificate (self-signed unless ``issuer``). ``ca=None`` leaves BasicConstraints out entirely."""
    key = _new_key(key_type)
    now = datetime.now(UTC)
    not_after = not_after or now + timedelta(days=365)
    not_before = not_before or min(now - timedelta(minutes=5), not_after - timedelta(days=30))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    signer = issuer.key if issuer else key
    algorithm: Any = None if isinstance(signer, ed25519.Ed25519PrivateKey) else _HASHES[hash_name]()
    if rsa_pss:
        assert isinstance(signer, rsa.RSAPrivateKey), "RSA-PSS needs an RSA key"
        pss = padding.PSS(mgf=padding.MGF1(_HASHES[hash_name]()), salt_length=padding.PSS.DIGEST_LENGTH)
        cert = builder.sign(signer, algorithm, rsa_padding=pss)
    else:
        cert = builder.sign(signer, algorithm)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return MadeCert(cert=cert, key=key, pem=cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem=key_pem)


def public_key_pem(made: MadeCert) -> str:
    """The certificate's public key as a '-----BEGIN PUBLIC KEY-----' block (a classic wrong upload)."""
    return (
        made.key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def trustme_ca() -> tuple[trustme.CA, str]:
    """A real CA made by trustme, and its certificate PEM."""
    authority = trustme.CA()
    return authority, authority.cert_pem.bytes().decode()


def trustme_leaf(authority: trustme.CA, hostname: str = "client.example.com") -> str:
    """A leaf certificate issued by ``authority`` (PEM), which Cloudflare refuses as a CA."""
    return authority.issue_cert(hostname).cert_chain_pems[0].bytes().decode()
