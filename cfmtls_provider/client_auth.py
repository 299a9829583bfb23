"""What Cloudflare's edge computes for a client certificate: the ``cf.tls_client_auth.*`` fields.

Pure functions (no I/O). The emulator's mTLS edge and ``cfmtls check-client`` both call :func:`client_auth`, so
the two can never disagree about whether a certificate verifies or what the rules see.

- The fields, their types and their formats follow Cloudflare's field reference (examples quoted there):
  https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/?field-category=mTLS and
  https://developers.cloudflare.com/ssl/client-certificates/client-certificate-variables/ . A request without
  mTLS has every string field ``""`` and every boolean ``false``.
- The chain is verified with cryptography's X.509 verification API (``ClientVerifier``) against the trust
  anchors given: validity at ``now``, signatures, issuer chaining, and the checks OpenSSL makes for a TLS client
  (Cloudflare's failure texts, e.g. ``FAILED:unable to get local issuer certificate``, are OpenSSL's): a key
  usage, where present, must allow digitalSignature or keyAgreement; an extended key usage, where present (on
  the leaf or a CA), must include clientAuth; every issuer must be a CA (BasicConstraints CA:TRUE) whose key
  usage, where present, allows keyCertSign. Unlike the web PKI profile, no Authority or Subject Key Identifier
  is required (OpenSSL does not require them). cryptography's own limits stay: SHA-1 signatures and RSA keys
  below 2048 bits never verify.
- Revocation is not modelled: ``cert_revoked`` is always false (Cloudflare checks it for its Managed CA only).
- Which CAs count for a hostname with several associated is :func:`trusted_for_hostname`'s choice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .certificates import authority_key_identifier, subject_key_identifier
from .rules_language.schema import CLIENT_AUTH_PREFIX

__all__ = [
    "NOT_PRESENTED",
    "AssociatedCA",
    "ClientAuth",
    "ClientCertificateError",
    "MultipleCAPolicy",
    "Verification",
    "client_auth",
    "load_certificates",
    "trust_anchors",
    "trusted_for_hostname",
    "verify_client_chain",
]

#: How many certificates a client may send between its leaf and a trusted CA (OpenSSL's default depth is 100;
#: cryptography's default 8 is kept: a longer client chain is not a realistic case).
MAX_CHAIN_DEPTH = 8

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ClientCertificateError(ValueError):
    """A client certificate file that cannot be read. The message says what was found and what to do."""


@dataclass(frozen=True)
class ClientAuth:
    """The ``cf.tls_client_auth.*`` values of one request, plus why it did not verify (``failure``, not a
    Cloudflare field: Workers show it as ``FAILED:<reason>`` in ``certVerified``)."""

    cert_presented: bool = False
    cert_verified: bool = False
    cert_revoked: bool = False
    cert_issuer_ski: str = ""
    cert_ski: str = ""
    cert_fingerprint_sha256: str = ""
    cert_fingerprint_sha1: str = ""
    cert_subject_dn: str = ""
    cert_issuer_dn: str = ""
    cert_subject_dn_rfc2253: str = ""
    cert_issuer_dn_rfc2253: str = ""
    cert_subject_dn_legacy: str = ""
    cert_issuer_dn_legacy: str = ""
    cert_not_before: str = ""
    cert_not_after: str = ""
    cert_serial: str = ""
    cert_issuer_serial: str = ""
    failure: str = ""

    def fields(self) -> dict[str, str | bool]:
        """The Rules-language fields by full name (``cf.tls_client_auth.cert_verified`` ...), without ``failure``."""
        return {CLIENT_AUTH_PREFIX + f.name: getattr(self, f.name) for f in fields(self) if f.name != "failure"}


#: What a request without a client certificate (or to a hostname that does not request one) carries.
NOT_PRESENTED = ClientAuth(failure="no client certificate presented")


@dataclass(frozen=True)
class Verification:
    """The verdict on one chain: ``chain`` runs from the leaf to the trust anchor when ``verified``."""

    verified: bool
    reason: str = ""
    chain: tuple[x509.Certificate, ...] = ()


# --- reading ---------------------------------------------------------------------------------------------


def load_certificates(data: bytes | str, *, what: str = "the client certificate") -> tuple[x509.Certificate, ...]:
    """The certificates of a PEM text (one or more blocks, leaf first) or of one DER certificate."""
    raw = data.encode() if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        if b"PRIVATE KEY-----" in raw and b"CERTIFICATE-----" not in raw:
            raise ClientCertificateError(f"{what} is a private key, not a certificate: pass the certificate (PEM).")
        try:
            return tuple(x509.load_pem_x509_certificates(raw))
        except ValueError:
            raise ClientCertificateError(
                f"{what} has no readable '-----BEGIN CERTIFICATE-----' block; pass a PEM (or DER) certificate."
            ) from None
    try:
        return (x509.load_der_x509_certificate(raw),)
    except ValueError:
        raise ClientCertificateError(
            f"{what} is neither PEM nor DER; pass the certificate file (e.g. client.pem)."
        ) from None


# --- which CAs count for a hostname ----------------------------------------------------------------------

#: ``newest``: of the uploaded CAs associated with a hostname only the most recently deployed one verifies
#: (Cloudflare: "For BYOCA certificates, the most recently deployed certificate will be prioritized",
#: https://developers.cloudflare.com/ssl/client-certificates/byo-ca/#multiple-cas-for-one-hostname). ``any``:
#: every associated CA verifies (the lenient reading, for measuring what a rotation looks like under each).
MultipleCAPolicy = Literal["newest", "any"]


@dataclass(frozen=True)
class AssociatedCA:
    """A CA associated with a hostname: its id, when it was deployed (``uploaded_on``) and its certificates.
    The Cloudflare Managed CA has ``managed=True`` and no certificates anyone outside Cloudflare holds."""

    id: str
    uploaded_on: str
    certificates: tuple[x509.Certificate, ...]
    managed: bool = False


def trusted_for_hostname(cas: Sequence[AssociatedCA], policy: MultipleCAPolicy = "newest") -> list[AssociatedCA]:
    """The associated CAs a client certificate is verified against. The Managed CA always counts (the docs
    say to remove its association to "only use your BYOCA certificate(s)"); of the uploaded CAs, the most
    recently deployed one, or all of them under the ``any`` policy."""
    managed = [ca for ca in cas if ca.managed]
    uploaded = sorted((ca for ca in cas if not ca.managed), key=lambda ca: (ca.uploaded_on, ca.id))
    if policy == "newest":
        uploaded = uploaded[-1:]
    return managed + uploaded


def trust_anchors(cas: Sequence[AssociatedCA]) -> list[x509.Certificate]:
    """Every certificate of the given CAs' bundles (a bundle's chain certificates are anchors too)."""
    return [cert for ca in cas for cert in ca.certificates]


# --- verification ----------------------------------------------------------------------------------------


def _client_eku(_policy: Policy, _cert: x509.Certificate, value: x509.ExtendedKeyUsage | None) -> None:
    if value is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in value:
        raise ValueError("unsupported certificate purpose: the extended key usage does not include clientAuth")


def _client_key_usage(_policy: Policy, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not (value.digital_signature or value.key_agreement):
        raise ValueError(
            "unsupported certificate purpose: the key usage allows neither digitalSignature nor keyAgreement"
        )


def _issuer_is_ca(_policy: Policy, _cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("invalid CA certificate: BasicConstraints says CA:FALSE")


def _issuer_key_usage(_policy: Policy, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not value.key_cert_sign:
        raise ValueError("invalid CA certificate: its key usage does not allow keyCertSign")


def _extension_policies() -> tuple[ExtensionPolicy, ExtensionPolicy]:
    """(CA policy, leaf policy): what OpenSSL checks for a TLS client, nothing of the web PKI profile more."""
    agnostic = Criticality.AGNOSTIC
    ca_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, agnostic, _issuer_is_ca)
        .may_be_present(x509.KeyUsage, agnostic, _issuer_key_usage)
        .may_be_present(x509.ExtendedKeyUsage, agnostic, _client_eku)
    )
    ee_policy = (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.KeyUsage, agnostic, _client_key_usage)
        .may_be_present(x509.ExtendedKeyUsage, agnostic, _client_eku)
    )
    return ca_policy, ee_policy


def _precheck(leaf: x509.Certificate, issuers: Sequence[x509.Certificate], now: datetime) -> str:
    """OpenSSL's wording for the common failures, before the full verification."""
    if now < leaf.not_valid_before_utc:
        return f"certificate is not yet valid (not before {leaf.not_valid_before_utc.isoformat()})"
    if now > leaf.not_valid_after_utc:
        return f"certificate has expired (not after {leaf.not_valid_after_utc.isoformat()})"
    if not any(_directly_issued(leaf, candidate) for candidate in issuers):
        return f"unable to get local issuer certificate (issuer {leaf.issuer.rfc4514_string()!r} is not a trusted CA)"
    return ""


def _directly_issued(leaf: x509.Certificate, candidate: x509.Certificate) -> bool:
    """Named as the leaf's issuer and holding the key that signed it (a same-named other CA does not count)."""
    try:
        leaf.verify_directly_issued_by(candidate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def verify_client_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust_anchors: Sequence[x509.Certificate],
    *,
    now: datetime | None = None,
) -> Verification:
    """Does ``leaf`` (with the ``intermediates`` the client sent) chain to one of ``trust_anchors`` at ``now``?"""
    if not trust_anchors:
        return Verification(False, "no CA to verify against (no CA is associated with this hostname)")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    reason = _precheck(leaf, [*intermediates, *trust_anchors], moment)
    if reason:
        return Verification(False, reason)
    ca_policy, ee_policy = _extension_policies()
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust_anchors)))
        .time(moment)
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, list(intermediates))
    except VerificationError as error:
        return Verification(False, f"certificate verify failed: {error}")
    return Verification(True, "", tuple(verified.chain))


# --- the fields ------------------------------------------------------------------------------------------


def _serial(number: int) -> str:
    """Upper-case hex, an even number of digits (as in the docs' example ``527E0F20A2...``)."""
    digits = format(number, "X")
    return digits.zfill(len(digits) + len(digits) % 2)


def _legacy_dn(name: x509.Name) -> str:
    """OpenSSL's one-line form, in certificate order: ``/C=US/ST=Texas/O=Access/CN=James Royal``."""
    return "".join(f"/{attribute.rfc4514_attribute_name}={attribute.value!s}" for attribute in name)


def _openssl_time(moment: datetime) -> str:
    """OpenSSL's ASN1_TIME_print form, as in the docs' example ``Mar 21 13:35:00 2022 GMT``."""
    utc = moment.astimezone(UTC)
    return f"{_MONTHS[utc.month - 1]} {utc.day:2d} {utc:%H:%M:%S} {utc.year} GMT"


def client_auth(
    chain: Sequence[x509.Certificate] | None,
    trust_anchors: Sequence[x509.Certificate],
    *,
    now: datetime | None = None,
) -> ClientAuth:
    """The fields for a client that sent ``chain`` (leaf first; None or empty: no certificate), verified
    against ``trust_anchors`` (the certificates of the CAs that count for the hostname)."""
    if not chain:
        return NOT_PRESENTED
    leaf, intermediates = chain[0], chain[1:]
    verification = verify_client_chain(leaf, intermediates, trust_anchors, now=now)
    issuer = verification.chain[1] if len(verification.chain) > 1 else None
    der = leaf.public_bytes(serialization.Encoding.DER)
    return ClientAuth(
        cert_presented=True,
        cert_verified=verification.verified,
        cert_revoked=False,
        cert_issuer_ski=(subject_key_identifier(issuer) if issuer is not None else "")
        or authority_key_identifier(leaf),
        cert_ski=subject_key_identifier(leaf),
        cert_fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        cert_fingerprint_sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest(),
        cert_subject_dn=leaf.subject.rfc4514_string(),
        cert_issuer_dn=leaf.issuer.rfc4514_string(),
        cert_subject_dn_rfc2253=leaf.subject.rfc4514_string(),
        cert_issuer_dn_rfc2253=leaf.issuer.rfc4514_string(),
        cert_subject_dn_legacy=_legacy_dn(leaf.subject),
        cert_issuer_dn_legacy=_legacy_dn(leaf.issuer),
        cert_not_before=_openssl_time(leaf.not_valid_before_utc),
        cert_not_after=_openssl_time(leaf.not_valid_after_utc),
        cert_serial=_serial(leaf.serial_number),
        cert_issuer_serial=_serial(issuer.serial_number) if issuer is not None else "",
        failure=verification.reason,
    )
