"""The CA rules: what Cloudflare accepts as a "bring your own CA" certificate bundle.

Pure functions (no I/O, no Pulumi). The provider's ``check`` and the emulator's upload endpoint both call
:func:`parse_ca_bundle`, so the two can never disagree about what is accepted.

Certificates are compared by their DER content, never by PEM text: Cloudflare normalises the PEM it stores
(line endings, trailing newlines, how a chain is joined), and comparing text gives perpetual diffs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_private_key
from cryptography.x509.oid import ObjectIdentifier, SignatureAlgorithmOID

from .go_x509 import key_refusal, load_quietly, parse_refusal, suspicious

__all__ = [
    "ALLOWED_SIGNATURE_ALGORITHMS",
    "EXPIRY_WARNING_WINDOW",
    "CABundle",
    "CACertificate",
    "CertificateError",
    "authority_key_identifier",
    "key_material",
    "parse_ca_bundle",
    "same_certificates",
    "subject_key_identifier",
]

#: The eight signature algorithms Cloudflare accepts, by OID, with the name Cloudflare reports in ``signature``.
#: Decided by the signature algorithm OID, not by the hash: RSASSA-PSS with SHA-256 is refused.
ALLOWED_SIGNATURE_ALGORITHMS: Mapping[ObjectIdentifier, str] = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384WithRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512WithRSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSAWithSHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSAWithSHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSAWithSHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSAWithSHA512",
}

#: A CA that expires within this window is accepted with a warning.
EXPIRY_WARNING_WINDOW = timedelta(days=30)

_OID_NAMES: Mapping[ObjectIdentifier, str] = {
    value: name for name, value in vars(SignatureAlgorithmOID).items() if isinstance(value, ObjectIdentifier)
}

_PEM_BLOCK = re.compile(r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----", re.DOTALL)

_BEGIN_LINE = re.compile(r"-----BEGIN [A-Z0-9 ]+-----")

_WRONG_BLOCK_ADVICE: Mapping[str, str] = {
    "PRIVATE KEY": "a private key",
    "RSA PRIVATE KEY": "an RSA private key",
    "EC PRIVATE KEY": "an EC private key",
    "ENCRYPTED PRIVATE KEY": "an encrypted private key",
    "PUBLIC KEY": "a public key",
    "RSA PUBLIC KEY": "an RSA public key",
    "CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    "NEW CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    "X509 CRL": "a certificate revocation list",
    "TRUSTED CERTIFICATE": "an OpenSSL 'TRUSTED CERTIFICATE' (with trust settings)",
}


#: A line of base64 text (a PEM body's line, or a key pasted without its BEGIN/END lines).
_BASE64_LINE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")

#: The members of a JSON Web Key that only a private key has (RFC 7518 section 6: "d", RSA's primes and CRT
#: values; "k", a symmetric key).
_JWK_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})

#: The binary start of an OpenSSH private key (PROTOCOL.key of OpenSSH: the "openssh-key-v1" magic).
_OPENSSH_KEY_MAGIC = b"openssh-key-v1\0"


class CertificateError(ValueError):
    """A certificate bundle Cloudflare would refuse. The message says what was found and what to do."""


@dataclass(frozen=True)
class CACertificate:
    """One parsed CA certificate, with the facts the resources export."""

    der: bytes
    subject: str
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    signature_algorithm: str
    fingerprint_sha256: str
    subject_key_identifier: str
    #: The raw DER of the subject and issuer names, and the AuthorityKeyIdentifier's key id (hex, or ""):
    #: how the certificates of a bundle are linked to the one that issued them.
    subject_der: bytes = b""
    issuer_der: bytes = b""
    authority_key_identifier: str = ""

    def issued(self, other: CACertificate) -> bool:
        """True when this certificate issued ``other`` (a different certificate): ``other``'s issuer is this
        subject and, when both key identifiers are known, ``other``'s AKI is this SKI."""
        if other.der == self.der or other.issuer_der != self.subject_der:
            return False
        return not other.authority_key_identifier or other.authority_key_identifier == self.subject_key_identifier

    @property
    def pem(self) -> str:
        body = base64.b64encode(self.der).decode("ascii")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class CABundle:
    """A validated bundle: one CA, or one chain of CAs in any order."""

    certificates: tuple[CACertificate, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def ca(self) -> CACertificate:
        """The first certificate of the bundle (what Cloudflare describes in its answer)."""
        return self.certificates[0]

    @property
    def issuing_ca(self) -> CACertificate:
        """The CA that issues client certificates: the one certificate of the bundle that issued no other
        certificate of it (the end of the chain, whatever the order). :func:`parse_ca_bundle` refuses a
        bundle where this is not exactly one certificate."""
        candidates = _chain_ends(self.certificates)
        return candidates[0] if len(candidates) == 1 else self.certificates[0]

    @property
    def pem(self) -> str:
        """The canonical PEM text: each certificate re-encoded from DER, 64-column lines, one newline after each."""
        return "".join(cert.pem for cert in self.certificates)

    @property
    def der_blocks(self) -> tuple[bytes, ...]:
        return tuple(cert.der for cert in self.certificates)

    @property
    def content_fingerprint(self) -> str:
        """SHA-256 over every certificate's DER, in order: equal exactly when the bundles are the same."""
        digest = hashlib.sha256()
        for der in self.der_blocks:
            digest.update(hashlib.sha256(der).digest())
        return digest.hexdigest()


def _base64_runs(text: str) -> list[str]:
    """Each run of consecutive base64 lines in ``text``, joined (a PEM body with or without its BEGIN/END lines)."""
    runs: list[str] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped and _BASE64_LINE.match(stripped):
            current.append(stripped)
        elif current:
            runs.append("".join(current))
            current = []
    return runs


def _is_private_key_der(der: bytes) -> bool:
    if der.startswith(_OPENSSH_KEY_MAGIC):
        return True
    try:
        load_der_private_key(der, password=None)
    except TypeError:
        return True  # an encrypted private key: the password is missing, the key is still one
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _is_jwk(text: str) -> bool:
    """A JSON Web Key (RFC 7517), or a set of them, with private members."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return False
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    keys = data["keys"] if isinstance(data, dict) and isinstance(data.get("keys"), list) else [data]
    return any(isinstance(key, dict) and "kty" in key and _JWK_PRIVATE_MEMBERS & key.keys() for key in keys)


def _unlabelled_key_material(text: str) -> str:
    """What private key material ``text`` holds outside any PEM label that says so, or ""."""
    if _is_jwk(text):
        return "a JSON Web Key (JWK) with its private members"
    for run in _base64_runs(text):
        if len(run) < 64:
            continue
        try:
            der = base64.b64decode(run, validate=True)
        except (binascii.Error, ValueError):
            continue
        if _is_private_key_der(der):
            return "the base64 body of a private key (without its '-----BEGIN ... PRIVATE KEY-----' lines)"
    return ""


def key_material(text: object) -> str:
    """What private key material ``text`` holds, recognised by content, or "" when it holds none: a PEM block
    labelled as a private key, a private key's base64 body without its BEGIN/END lines (wherever it sits, even
    inside a block labelled otherwise), or a JWK with private members. Nothing of the text is ever quoted."""
    if not isinstance(text, str):
        return ""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if any("PRIVATE KEY" in label for label, _ in _split_pem_blocks(normalised)):
        return "a PEM private key"
    return _unlabelled_key_material(normalised)


def _key_material_error(what: str) -> CertificateError:
    return CertificateError(
        f"certificates: the value holds {what}, not a certificate (none of it is shown here). Pass the CA "
        "certificate itself ('-----BEGIN CERTIFICATE-----'); a private key never belongs in 'certificates', and "
        "one pasted into a program or a stack's config should be treated as exposed."
    )


def _describe_block(index: int, total: int) -> str:
    return "the PEM block" if total == 1 else f"PEM block {index} of {total}"


def _split_pem_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group("label"), m.group("body")) for m in _PEM_BLOCK.finditer(text)]


def _decode_block(body: str, where: str) -> bytes:
    compact = "".join(body.split())
    if ":" in body:
        raise CertificateError(
            f"certificates: {where} has PEM headers (an encrypted or legacy block); "
            "pass a plain '-----BEGIN CERTIFICATE-----' block."
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError(
            f"certificates: {where} is not valid base64; the PEM text is damaged "
            "(copy it again from the CA's .pem/.crt file)."
        ) from None


def _signature_algorithm(cert: x509.Certificate, where: str) -> str:
    oid = cert.signature_algorithm_oid
    name = ALLOWED_SIGNATURE_ALGORITHMS.get(oid)
    if name is None:
        found = _OID_NAMES.get(oid, "an unknown algorithm")
        allowed = ", ".join(ALLOWED_SIGNATURE_ALGORITHMS.values())
        raise CertificateError(
            f"certificates: {where} is signed with {found} (OID {oid.dotted_string}), which Cloudflare "
            f"refuses. Allowed signature algorithms: {allowed} (PKCS#1 v1.5 RSA or ECDSA; RSASSA-PSS, "
            "DSA, Ed25519, Ed448 and SHA-224 are refused even where the hash is allowed). Re-issue the CA "
            "with an allowed algorithm, e.g. 'openssl req -x509 -sha256' with an RSA or EC key."
        )
    return name


def _require_ca(cert: x509.Certificate, where: str) -> None:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        raise CertificateError(
            f"certificates: {where} has no BasicConstraints extension; Cloudflare requires CA:TRUE. "
            "This looks like a leaf (client or server) certificate: upload the CA certificate that "
            "issues your client certificates instead."
        ) from None
    if not constraints.ca:
        raise CertificateError(
            f"certificates: {where} has BasicConstraints CA:FALSE; Cloudflare requires CA:TRUE. "
            "This is a leaf (client or server) certificate: upload the CA certificate that issues "
            "your client certificates instead."
        )


def subject_key_identifier(cert: x509.Certificate, *, derive: bool = False) -> str:
    """The SubjectKeyIdentifier as upper-case hex; without the extension, "" or, with ``derive``, the one RFC 5280
    method 1 derives from the public key."""
    try:
        digest = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        if not derive:
            return ""
        digest = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    return digest.hex().upper()


def authority_key_identifier(cert: x509.Certificate) -> str:
    """The AuthorityKeyIdentifier's key id as upper-case hex; "" without one."""
    try:
        key_id = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return ""
    return key_id.hex().upper() if key_id else ""


def _unparseable(where: str, detail: str) -> CertificateError:
    return CertificateError(
        f"certificates: {where} {detail}. Re-issue the CA certificate with a standard tool "
        "(e.g. 'openssl req -x509' or your PKI) and upload that."
    )


def _parse_certificate(der: bytes, where: str, now: datetime) -> tuple[CACertificate, list[str]]:
    try:
        cert = load_quietly(lambda: x509.load_der_x509_certificate(der))
    except (ValueError, x509.InvalidVersion):
        raise CertificateError(
            f"certificates: {where} is labelled CERTIFICATE but is not a valid X.509 certificate "
            "(its DER content could not be parsed); the PEM text is damaged or not a certificate."
        ) from None
    try:
        return _check_certificate(cert, der, where, now)
    except CertificateError:
        raise
    except Exception as error:  # any other parse failure is a refusal too, never a traceback
        raise _unparseable(
            where, f"could not be parsed ({type(error).__name__}: {error}), so Cloudflare would refuse it too"
        ) from None


def _check_certificate(
    cert: x509.Certificate, der: bytes, where: str, now: datetime
) -> tuple[CACertificate, list[str]]:
    refusal = parse_refusal(cert)
    if refusal:
        raise _unparseable(where, refusal)
    _require_ca(cert, where)
    signature = _signature_algorithm(cert, where)
    refusal = key_refusal(cert)
    if refusal:
        raise _unparseable(where, refusal)
    not_after = cert.not_valid_after_utc
    if not_after <= now:
        raise CertificateError(
            f"certificates: {where} ({cert.subject.rfc4514_string()}) expired on "
            f"{not_after.isoformat()}; Cloudflare refuses an expired CA. Issue a new CA certificate "
            "(and new client certificates) and upload that."
        )
    subject = cert.subject.rfc4514_string()
    warnings = [f"{where} ({subject}) {phrase}." for phrase in suspicious(cert, now)]
    if not_after - now <= EXPIRY_WARNING_WINDOW:
        days = (not_after - now).days
        warnings.append(
            f"{where} ({subject}) expires on {not_after.isoformat()}, in {days} day(s): plan its rotation now."
        )
    parsed = CACertificate(
        der=der,
        subject=subject,
        issuer=cert.issuer.rfc4514_string(),
        serial_number=str(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=not_after,
        signature_algorithm=signature,
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        subject_key_identifier=subject_key_identifier(cert, derive=True),
        subject_der=cert.subject.public_bytes(),
        issuer_der=cert.issuer.public_bytes(),
        authority_key_identifier=authority_key_identifier(cert),
    )
    return parsed, warnings


def _chain_ends(certificates: tuple[CACertificate, ...]) -> list[CACertificate]:
    """The certificates of a bundle that issued no other certificate of it."""
    return [cert for cert in certificates if not any(cert.issued(other) for other in certificates)]


def _require_one_chain(certificates: tuple[CACertificate, ...]) -> None:
    ends = _chain_ends(certificates)
    if len(ends) == 1:
        return
    names = "; ".join(cert.subject or "(empty subject)" for cert in ends)
    raise CertificateError(
        f"certificates: the bundle holds {len(certificates)} certificates that are not one chain: {len(ends)} "
        f"of them issued no other certificate of the bundle ({names}), so no single CA can be named as the "
        "issuer of your client certificates (subject_key_identifier, which rules pin with issuer_ski). Upload "
        "one CA, or one chain (the CA that issues client certificates and the CAs above it), per MTLSCertificate."
    )


def parse_ca_bundle(text: str, *, now: datetime | None = None) -> CABundle:
    """Parse and validate a PEM bundle of one or more CA certificates, as Cloudflare would.

    Raises :class:`CertificateError` with a message that names what was found and what is needed.
    """
    if not isinstance(text, str) or not text.strip():
        raise CertificateError(
            "certificates: the value is empty; pass the PEM text of your CA certificate "
            "('-----BEGIN CERTIFICATE-----' ...), e.g. open('ca.pem').read()."
        )
    moment = now if now is not None else datetime.now(UTC)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _split_pem_blocks(normalised)
    outside_blocks = _PEM_BLOCK.sub("\n", normalised)
    what = _unlabelled_key_material(outside_blocks)
    if what:
        raise _key_material_error(what)
    if not blocks:
        raise CertificateError(
            "certificates: no PEM block found (expected '-----BEGIN CERTIFICATE-----'). "
            "If you have a DER (.der/.cer) file, convert it: 'openssl x509 -inform der -in ca.der -out ca.pem'."
        )
    total = len(blocks)
    begins = len(_BEGIN_LINE.findall(normalised))
    if begins > total:
        raise CertificateError(
            f"certificates: found {begins} '-----BEGIN' lines but only {total} complete PEM block(s): a block "
            "lost its '-----END ...-----' line (a truncated copy?). Copy the whole PEM file again."
        )
    parsed: list[CACertificate] = []
    warnings: list[str] = []
    seen: set[bytes] = set()
    for index, (label, body) in enumerate(blocks, start=1):
        where = _describe_block(index, total)
        if label != "CERTIFICATE":
            kind = _WRONG_BLOCK_ADVICE.get(label, f"a '{label}' block")
            advice = (
                " A private key must never be passed as 'certificates' (use 'private_key' only if "
                "Cloudflare needs it, and keep it secret)."
                if "PRIVATE" in label
                else ""
            )
            raise CertificateError(
                f"certificates: {where} is {kind}, not a certificate. Pass the CA certificate itself "
                f"('-----BEGIN CERTIFICATE-----').{advice}"
            )
        der = _decode_block(body, where)
        if der in seen:
            raise CertificateError(f"certificates: {where} repeats an earlier certificate; list each certificate once.")
        seen.add(der)
        cert, found = _parse_certificate(der, where, moment)
        parsed.append(cert)
        warnings.extend(found)
    _require_one_chain(tuple(parsed))
    return CABundle(certificates=tuple(parsed), warnings=tuple(warnings))


def der_blocks(text: str) -> tuple[bytes, ...] | None:
    """The DER content of each CERTIFICATE block, or None if the text does not decode."""
    blocks = _split_pem_blocks(text.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        ders = tuple(
            base64.b64decode("".join(body.split()), validate=True) for label, body in blocks if label == "CERTIFICATE"
        )
    except (binascii.Error, ValueError):
        return None
    return ders or None


def same_certificates(a: str, b: str) -> bool:
    """True when two PEM texts hold the same certificates in the same order, whatever their whitespace."""
    left, right = der_blocks(a), der_blocks(b)
    if left is None or right is None:
        return a.strip() == b.strip()
    return left == right
