"""What Go's ``crypto/x509`` parser refuses, or accepts but cannot use, in a CA certificate.

Cloudflare's API is written in Go and reports signature algorithms with Go's ``crypto/x509`` names, so a
certificate Go cannot parse would be refused there even where pyca/cryptography parses it. Pure functions
over an already loaded :class:`cryptography.x509.Certificate`; :mod:`cfmtls_provider.certificates` turns their
answers into the CA-rule refusals and warnings. Sources (Go's own documentation and release notes):

* negative serial numbers: refused by ``ParseCertificate`` since Go 1.23 unless ``GODEBUG=x509negativeserial=1``
  (https://pkg.go.dev/crypto/x509#ParseCertificate, https://go.dev/doc/go1.23#cryptox509pkgcryptox509,
  https://go.dev/doc/godebug);
* duplicate extensions: refused since Go 1.19 (https://go.dev/doc/go1.19#crypto/x509), message
  "x509: certificate contains duplicate extension with OID ..." (https://github.com/golang/go/issues/66880);
* malformed known extensions (BasicConstraints, KeyUsage, SubjectAltName, ...), SubjectKeyIdentifier,
  AuthorityKeyIdentifier or AuthorityInfoAccess marked critical, an EC key on a curve other than P-224, P-256,
  P-384 or P-521: refused by ``parseCertificate``/``processExtensions`` in ``src/crypto/x509/parser.go``;
* unknown critical extensions: parsed, but recorded in ``Certificate.UnhandledCriticalExtensions``, and
  ``Certificate.Verify`` then fails with "unhandled critical extension"
  (https://pkg.go.dev/crypto/x509#Certificate);
* serial numbers longer than 20 octets: parsed by Go, but RFC 5280 section 4.1.2.2 forbids them
  (https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.2).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

__all__ = ["GO_HANDLED_EXTENSIONS", "key_refusal", "load_quietly", "parse_refusal", "suspicious"]

_T = TypeVar("_T")

#: Extensions Go's ``processExtensions`` understands; any other one marked critical is "unhandled".
GO_HANDLED_EXTENSIONS: frozenset[ObjectIdentifier] = frozenset(
    {
        ExtensionOID.KEY_USAGE,
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    }
)

#: Extensions RFC 5280 says must not be critical, which Go refuses when they are.
_NEVER_CRITICAL: dict[ObjectIdentifier, str] = {
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "SubjectKeyIdentifier",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "AuthorityKeyIdentifier",
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "AuthorityInfoAccess",
}

#: The named curves Go's ``namedCurveFromOID`` knows (any other curve: "x509: unsupported elliptic curve").
_GO_CURVES = (ec.SECP224R1, ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)

#: RFC 5280 section 4.1.2.2: conforming CAs use serial numbers of at most 20 octets.
MAX_SERIAL_OCTETS = 20


def load_quietly(read: Callable[[], _T]) -> _T:
    """Run ``read`` without cryptography's deprecation warning about non-positive serial numbers (reported
    by :func:`parse_refusal` as a refusal instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read()


def _serial_octets(serial: int) -> int:
    """The DER length of a (non-negative) INTEGER's content, as RFC 5280 counts it."""
    return serial.bit_length() // 8 + 1


def parse_refusal(cert: x509.Certificate) -> str | None:
    """Why Go's parser refuses ``cert`` (a phrase), or None. Reads every extension, so a malformed one
    shows here, not later."""
    serial = load_quietly(lambda: cert.serial_number)
    if serial < 0:
        return (
            f"has a negative serial number ({serial}), which Go's crypto/x509 parser (and so Cloudflare) "
            "refuses since Go 1.23"
        )
    try:
        extensions = load_quietly(lambda: cert.extensions)
    except x509.DuplicateExtension as error:
        return (
            f"holds the {error.oid.dotted_string} extension twice ({_extension_name(error.oid)}); Go's "
            "crypto/x509 parser (and so Cloudflare) refuses duplicate extensions"
        )
    except (ValueError, x509.UnsupportedGeneralNameType) as error:
        return f"has a malformed extension ({error}), which Go's crypto/x509 parser (and so Cloudflare) refuses"
    for extension in extensions:
        label = _NEVER_CRITICAL.get(extension.oid)
        if label and extension.critical:
            return f"marks its {label} extension critical, which Go's crypto/x509 parser (and so Cloudflare) refuses"
    return None


def key_refusal(cert: x509.Certificate) -> str | None:
    """Why ``cert``'s public key cannot verify client certificates at Cloudflare (a phrase), or None."""
    try:
        key = cert.public_key()
    except Exception as error:  # UnsupportedAlgorithm, or ValueError for a damaged key
        return (
            f"has a public key that cannot be used ({error}); a CA verifying client certificates needs an RSA "
            "or ECDSA (P-256, P-384, P-521) key"
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, _GO_CURVES):
        return (
            f"has an EC key on curve {key.curve.name}, which Go's crypto/x509 parser (and so Cloudflare) "
            "refuses; use P-256, P-384 or P-521"
        )
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return (
            f"has a {type(key).__name__.removesuffix('PublicKey') or 'non-RSA, non-EC'} key; Cloudflare verifies "
            "client certificates with the RSA and ECDSA signature algorithms only, so use an RSA or ECDSA key"
        )
    return None


def suspicious(cert: x509.Certificate, now: datetime) -> list[str]:
    """What Go accepts at parse time but is likely a mistake (phrases): call only after :func:`parse_refusal`."""
    found: list[str] = []
    unhandled = [
        ext.oid.dotted_string for ext in cert.extensions if ext.critical and ext.oid not in GO_HANDLED_EXTENSIONS
    ]
    if unhandled:
        found.append(
            f"has critical extension(s) {', '.join(unhandled)} that Go's crypto/x509 does not handle: Go parses "
            "the certificate but its Verify refuses chains through it ('unhandled critical extension'), so "
            "client certificates issued by it may never verify"
        )
    serial = cert.serial_number
    if _serial_octets(serial) > MAX_SERIAL_OCTETS:
        found.append(
            f"has a serial number of {_serial_octets(serial)} octets; RFC 5280 allows at most {MAX_SERIAL_OCTETS} "
            "(Go parses it, other TLS stacks may not)"
        )
    not_before = cert.not_valid_before_utc
    if not_before > now:
        found.append(
            f"is not valid yet (from {not_before.isoformat()}): client certificates issued by it fail "
            "verification until then"
        )
    return found


_EXTENSION_NAMES: dict[ObjectIdentifier, str] = {
    value: name for name, value in vars(ExtensionOID).items() if isinstance(value, ObjectIdentifier)
}


def _extension_name(oid: ObjectIdentifier) -> str:
    return _EXTENSION_NAMES.get(oid, "an extension cryptography does not name")
