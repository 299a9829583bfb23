"""The tests' one certificate factory, shaped like trustme: a CA object that issues what the tests need.

    ca = make_ca()                               # EC P-256 / SHA-256, CA:TRUE, SKI, valid a year
    intermediate = ca.issue_ca("issuing CA")     # a CA signed by ca
    client = intermediate.issue_cert("client")   # a client leaf (CA:FALSE, clientAuth, SKI and AKI)
    ca.pem, ca.key_pem, ca.public_key_pem, ca.der, ca.cert, ca.key

The options of :func:`make_ca` make the variants Cloudflare refuses: ``key_type="rsa", rsa_pss=True``,
``hash_name="sha1"`` (or ``"sha224"``), ``ca=False`` / ``ca=None`` (CA:FALSE / no BasicConstraints),
``ski=False``, ``curve=ec.SECP256K1()``, ``extensions=[...]``, ``not_after=...``. What pyca/cryptography's
builder will not make at all (a negative serial number, a duplicated or malformed extension, an unknown key
type) is made by editing a real certificate's TBSCertificate and re-signing it (:meth:`Cert.edited`): the thin
functions at the end of this module name each such defect, and return the PEM an attacker (or an odd PKI)
would upload.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from tests.support import der

__all__ = [
    "CA",
    "Cert",
    "HashName",
    "KeyType",
    "critical_ski_ca",
    "duplicate_extension_ca",
    "long_serial_ca",
    "make_ca",
    "malformed_key_usage_ca",
    "negative_serial_ca",
    "secp256k1_ca",
    "unknown_critical_extension_ca",
    "unknown_key_type_ca",
]

KeyType = Literal["rsa", "ec", "ed25519", "dsa"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | dsa.DSAPrivateKey
Made = TypeVar("Made", bound="Cert")
Extensions = Sequence[tuple[x509.ExtensionType, bool]]
"""Extensions with their critical flag."""

HashName = Literal["sha1", "sha224", "sha256", "sha384", "sha512"]
_HASHES: dict[str, type[hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# The AlgorithmIdentifier of a SHA-1 signature (cryptography >= 45 will not sign one with its builder, but still
# signs raw bytes with SHA-1): sha1WithRSAEncryption with NULL parameters, ecdsa-with-SHA1 with none.
_SHA1_SIGNATURE_ALGORITHMS = {
    "rsa": bytes.fromhex("300d06092a864886f70d0101050500"),
    "ec": bytes.fromhex("300906072a8648ce3d0401"),
}


@dataclass(frozen=True)
class Cert:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> str:
        """The private key, PKCS#8 PEM without encryption (what ``private_key`` takes)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def key_body(self, private_format: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
        """The private key's PEM body without its '-----BEGIN/END ... PRIVATE KEY-----' lines (as pasted by
        mistake); ``TraditionalOpenSSL`` gives the PKCS#1 (RSA) or SEC1 (EC) body."""
        pem = self.key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()
        return "".join(line + "\n" for line in pem.splitlines() if not line.startswith("-----"))

    @property
    def private_jwk(self) -> dict[str, str]:
        """The private key as a JSON Web Key (RFC 7518; EC P-256 keys only), private member "d" included."""
        assert isinstance(self.key, ec.EllipticCurvePrivateKey), "a JWK of an EC key only"
        numbers = self.key.private_numbers()
        point = numbers.public_numbers

        def encode(value: int) -> str:
            return base64.urlsafe_b64encode(value.to_bytes(32, "big")).decode().rstrip("=")

        return {
            "kty": "EC",
            "crv": "P-256",
            "x": encode(point.x),
            "y": encode(point.y),
            "d": encode(numbers.private_value),
        }

    @property
    def public_key_pem(self) -> str:
        """The public key as a '-----BEGIN PUBLIC KEY-----' block (a classic wrong upload)."""
        return (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def edited(
        self,
        edit: Callable[[list[bytes]], list[bytes]],
        *,
        signer: PrivateKey | None = None,
        digest: hashes.HashAlgorithm | None = None,
    ) -> str:
        """This certificate (PEM) with its TBSCertificate's fields passed through ``edit`` and signed again.

        ``edit`` gets the DER of each field ([0] version, serialNumber, signature, issuer, validity, subject,
        subjectPublicKeyInfo, [3] extensions) and returns the new list. The signature is made by ``signer`` (the
        issuer's key; this certificate's own key by default, as for a self-signed CA) with ``digest`` (SHA-256 by
        default): ``edit`` must keep the signature algorithm field in agreement with them.
        """
        tbs, _algorithm, _signature = der.children(self.der)
        fields = edit(der.children(tbs))
        new_tbs = der.encode(der.SEQUENCE, b"".join(fields))
        signature = _sign(signer or self.key, new_tbs, digest or hashes.SHA256())
        return der.pem(der.encode(der.SEQUENCE, new_tbs + fields[_ALGORITHM] + der.bit_string(signature)))


@dataclass(frozen=True)
class CA(Cert):
    """A certificate meant as a CA (see :func:`make_ca`), which issues certificates and other CAs."""

    def issue_cert(
        self,
        common_name: str = "client",
        *,
        key_type: KeyType = "ec",
        serial: int | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        extensions: Extensions | None = None,
    ) -> Cert:
        """A leaf signed by this CA: by default CA:FALSE, clientAuth, SKI and AKI; ``extensions`` replaces them."""
        key = _new_key(key_type)
        if extensions is None:
            extensions = [
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
                (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
                (_authority_key_identifier(self), False),
            ]
        return _issue(
            Cert,
            common_name,
            key,
            issuer=self,
            extensions=extensions,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
        )

    def issue_ca(self, common_name: str = "cfmtls intermediate CA", **options: Any) -> CA:
        """A CA signed by this one (an intermediate); ``options`` as for :func:`make_ca`."""
        return make_ca(common_name, issuer=self, **options)


def make_ca(
    common_name: str = "cfmtls test CA",
    *,
    key_type: KeyType = "ec",
    curve: ec.EllipticCurve | None = None,
    hash_name: HashName = "sha256",
    rsa_pss: bool = False,
    ca: bool | None = True,
    ski: bool = True,
    extensions: Extensions = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    issuer: CA | None = None,
) -> CA:
    """A CA certificate, self-signed unless ``issuer``; each option makes one variant.

    ``ca=False`` makes a CA:FALSE certificate and ``ca=None`` leaves BasicConstraints out (both leaves that
    Cloudflare refuses as a CA); ``ski=False`` leaves the SubjectKeyIdentifier out; ``extensions`` are added
    after those; ``curve`` is the EC curve (P-256 by default); ``hash_name="sha1"`` signs with SHA-1.
    """
    key = _new_key(key_type, curve)
    all_extensions: list[tuple[x509.ExtensionType, bool]] = []
    if ski:
        all_extensions.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if ca is not None:
        all_extensions.append((x509.BasicConstraints(ca=ca, path_length=None), True))
    all_extensions.extend(extensions)
    return _issue(
        CA,
        common_name,
        key,
        issuer=issuer,
        extensions=all_extensions,
        not_before=not_before,
        not_after=not_after,
        hash_name=hash_name,
        rsa_pss=rsa_pss,
    )


def _issue(
    made: type[Made],
    common_name: str,
    key: PrivateKey,
    *,
    issuer: CA | None,
    extensions: Extensions,
    serial: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    hash_name: HashName = "sha256",
    rsa_pss: bool = False,
) -> Made:
    """The one certificate builder: ``key``'s certificate named ``common_name``, signed by ``issuer`` (or itself)."""
    now = datetime.now(UTC)
    not_after = not_after or now + timedelta(days=365)
    not_before = not_before or min(now - timedelta(minutes=5), not_after - timedelta(days=30))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    signer = issuer.key if issuer else key
    if isinstance(signer, ed25519.Ed25519PrivateKey):
        return made(builder.sign(signer, None), key)
    if hash_name == "sha1":
        return made(_sha1_signed(made(builder.sign(signer, hashes.SHA256()), key), signer), key)
    digest = _HASHES[hash_name]()
    if rsa_pss:
        assert isinstance(signer, rsa.RSAPrivateKey), "RSA-PSS needs an RSA key"
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.DIGEST_LENGTH)
        return made(builder.sign(signer, digest, rsa_padding=pss), key)
    return made(builder.sign(signer, digest), key)


def _sha1_signed(template: Cert, signer: PrivateKey) -> x509.Certificate:
    """``template`` signed again with SHA-1 (its TBSCertificate names the SHA-1 algorithm)."""
    kind = "rsa" if isinstance(signer, rsa.RSAPrivateKey) else "ec"

    def name_sha1(fields: list[bytes]) -> list[bytes]:
        fields[_ALGORITHM] = _SHA1_SIGNATURE_ALGORITHMS[kind]
        return fields

    sha1 = template.edited(name_sha1, signer=signer, digest=hashes.SHA1())  # noqa: S303 (the variant under test)
    return x509.load_pem_x509_certificate(sha1.encode())


def _sign(signer: PrivateKey, data: bytes, digest: hashes.HashAlgorithm) -> bytes:
    if isinstance(signer, rsa.RSAPrivateKey):
        return signer.sign(data, padding.PKCS1v15(), digest)
    if isinstance(signer, ec.EllipticCurvePrivateKey):
        return signer.sign(data, ec.ECDSA(digest))
    raise ValueError(f"Cert.edited signs with an RSA or EC key, not a {type(signer).__name__}")


def _new_key(key_type: KeyType, curve: ec.EllipticCurve | None = None) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(curve or ec.SECP256R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return dsa.generate_private_key(key_size=2048)


def _authority_key_identifier(issuer: CA) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


# TBSCertificate fields: [0] version, serialNumber, signature, issuer, validity, subject, spki, [3] extensions.
_SERIAL, _ALGORITHM, _SPKI, _EXTENSIONS = 1, 2, 6, 7


def _with_serial(content: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def edit(fields: list[bytes]) -> list[bytes]:
        fields[_SERIAL] = der.encode(der.INTEGER, content)
        return fields

    return edit


def negative_serial_ca() -> str:
    """Serial number -511 (Go >= 1.23 refuses negative serial numbers)."""
    return make_ca("cfmtls negative serial CA").edited(_with_serial(b"\xfe\x01"))


def long_serial_ca() -> str:
    """A serial number of 21 octets: RFC 5280 allows 20, Go parses it anyway."""
    return make_ca("cfmtls long serial CA").edited(_with_serial(b"\x01" + b"\x23" * 20))


def duplicate_extension_ca() -> str:
    """The BasicConstraints extension twice."""
    basic_constraints = der.encode(der.OBJECT_IDENTIFIER, bytes.fromhex("551d13"))  # 2.5.29.19

    def edit(fields: list[bytes]) -> list[bytes]:
        extensions = der.children(der.children(fields[_EXTENSIONS])[0])
        [twice] = [extension for extension in extensions if der.children(extension)[0] == basic_constraints]
        doubled = der.encode(der.SEQUENCE, b"".join([*extensions, twice]))
        return [*fields[:_EXTENSIONS], der.encode(der.EXPLICIT_3, doubled)]

    return make_ca("cfmtls duplicate extension CA").edited(edit)


def malformed_key_usage_ca() -> str:
    """A KeyUsage extension whose BIT STRING is cut short (Go: "x509: invalid key usage")."""
    cut_short = x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x03\x02")
    return make_ca("cfmtls malformed extension CA", ski=False, extensions=[(cut_short, True)]).pem


def critical_ski_ca() -> str:
    """A SubjectKeyIdentifier marked critical (RFC 5280: it must not be)."""
    identifier = x509.SubjectKeyIdentifier(bytes(range(20)))
    return make_ca("cfmtls critical SKI CA", ski=False, extensions=[(identifier, True)]).pem


def unknown_critical_extension_ca() -> str:
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    return make_ca("cfmtls unknown critical extension CA", extensions=[(unknown, True)]).pem


def unknown_key_type_ca() -> str:
    """The SubjectPublicKeyInfo's algorithm OID replaced by one nobody knows (1.3.6.1.4.1.55619.1.2)."""

    def edit(fields: list[bytes]) -> list[bytes]:
        _algorithm, key_bits = der.children(fields[_SPKI])
        unknown = der.encode(der.SEQUENCE, der.encode(der.OBJECT_IDENTIFIER, bytes.fromhex("2b0601040183b2430102")))
        fields[_SPKI] = der.encode(der.SEQUENCE, unknown + key_bits)
        return fields

    return make_ca("cfmtls unknown key type CA").edited(edit)


def secp256k1_ca() -> str:
    """A CA on the secp256k1 curve, which Go's crypto/x509 does not know."""
    return make_ca("cfmtls secp256k1 CA", curve=ec.SECP256K1()).pem
