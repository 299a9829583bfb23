"""Cloudflare's rules for mTLS certificates (account level); their hostname associations: :mod:`.associations`.

Pure operations on a :class:`~.state.State` draft: they validate first and mutate last, and refuse with
:class:`~.errors.APIError`. The CA rules are the shared ones the provider uses.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ...certificates import ALLOWED_SIGNATURE_ALGORITHMS, CertificateError, parse_ca_bundle
from .. import assumptions as cf
from ..errors import APIError
from .clock import timestamp
from .state import Certificate, State

__all__ = [
    "certificate_result",
    "delete_certificate",
    "find_certificate",
    "list_certificates",
    "parse_type_filter",
    "seed_managed_certificate",
    "upload_certificate",
    "usages",
    "zones_using",
]


def certificate_result(cert: Certificate, *, with_updated_at: bool = False) -> dict[str, Any]:
    """The wire form of a certificate: never a private key."""
    result: dict[str, Any] = {
        "id": cert.id,
        "ca": cert.ca,
        "certificates": cert.certificates,
        "expires_on": cert.expires_on,
        "issuer": cert.issuer,
        "name": cert.name,
        "serial_number": cert.serial_number,
        "signature": cert.signature,
        "type": cert.type,
        "uploaded_on": cert.uploaded_on,
    }
    if with_updated_at:
        result["updated_at"] = cert.updated_at
    return result


def _upload_fields(body: dict[str, Any]) -> tuple[bool, str, str, str | None]:
    ca, pem, name, key = body.get("ca"), body.get("certificates"), body.get("name"), body.get("private_key")
    if not isinstance(ca, bool):
        raise APIError(cf.UPLOAD_BODY_INVALID, detail="'ca' is required and must be a boolean")
    if not isinstance(pem, str) or not pem.strip():
        raise APIError(cf.UPLOAD_BODY_INVALID, detail="'certificates' is required and must be a PEM string")
    if name is not None and not isinstance(name, str):
        raise APIError(cf.UPLOAD_BODY_INVALID, detail="'name' must be a string")
    if key is not None and not isinstance(key, str):
        raise APIError(cf.UPLOAD_BODY_INVALID, detail="'private_key' must be a PEM string")
    return ca, pem, name or "", key or None


def _check_private_key(key: str) -> None:
    try:
        serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        raise APIError(cf.PRIVATE_KEY_INVALID) from None


def _ca_fields(pem: str) -> dict[str, str]:
    try:
        bundle = parse_ca_bundle(pem)
    except CertificateError as exc:
        raise APIError(cf.CERTIFICATE_INVALID, detail=str(exc)) from None
    return {
        "certificates": bundle.pem,
        "issuer": bundle.ca.issuer,
        "serial_number": bundle.ca.serial_number,
        "signature": bundle.ca.signature_algorithm,
        "expires_on": bundle.ca.not_after.strftime(cf.EXPIRES_ON_FORMAT),
        "content_fingerprint": bundle.content_fingerprint,
    }


def _leaf_fields(pem: str) -> dict[str, str]:
    """A ca: false upload: only parsed, not held to the CA rules."""
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise APIError(cf.CERTIFICATE_INVALID, detail="no valid PEM certificate found") from None
    digest = hashlib.sha256()
    for cert in certs:
        digest.update(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest())
    first = certs[0]
    return {
        "certificates": "".join(cert.public_bytes(serialization.Encoding.PEM).decode() for cert in certs),
        "issuer": first.issuer.rfc4514_string(),
        "serial_number": str(first.serial_number),
        "signature": ALLOWED_SIGNATURE_ALGORITHMS.get(
            first.signature_algorithm_oid, first.signature_algorithm_oid.dotted_string
        ),
        "expires_on": first.not_valid_after_utc.strftime(cf.EXPIRES_ON_FORMAT),
        "content_fingerprint": digest.hexdigest(),
    }


def upload_certificate(state: State, account_id: str, body: dict[str, Any], *, entitled: bool = True) -> Certificate:
    """A ``custom`` upload: a CA (held to the CA rules, counted in the quota) or, with ``ca: false``, a leaf."""
    if not entitled:
        raise APIError(cf.NOT_ENTITLED)
    ca, pem, name, key = _upload_fields(body)
    if not ca and not cf.LEAF_UPLOADS_ACCEPTED:
        raise APIError(cf.UPLOAD_BODY_INVALID, detail="only CA certificates (ca: true) are accepted")
    if key is not None:
        _check_private_key(key)
    fields = _ca_fields(pem) if ca else _leaf_fields(pem)
    mine = list_certificates(state, account_id, frozenset({cf.CERTIFICATE_TYPE}))
    if any(cert.content_fingerprint == fields["content_fingerprint"] for cert in mine):
        raise APIError(cf.CERTIFICATE_ALREADY_EXISTS)
    if ca and sum(cert.ca for cert in mine) >= cf.MAX_CA_CERTIFICATES_PER_ACCOUNT:
        raise APIError(cf.CA_QUOTA_EXCEEDED)
    return _store(state, account_id, fields, ca=ca, name=name, has_private_key=key is not None)


def _store(
    state: State, account_id: str, fields: dict[str, str], *, ca: bool, name: str, has_private_key: bool, kind: str = ""
) -> Certificate:
    now = timestamp()
    cert = Certificate(
        id=str(uuid.uuid4()),
        account_id=account_id,
        ca=ca,
        name=name,
        uploaded_on=now,
        updated_at=now,
        has_private_key=has_private_key,
        type=kind or cf.CERTIFICATE_TYPE,
        **fields,
    )
    state.certificates[cert.id] = cert
    return cert


def seed_managed_certificate(state: State, account_id: str, kind: str) -> None:
    """Give ``account_id`` a Cloudflare-managed CA of type ``kind`` (Access, Gateway) unless it holds one."""
    if any(cert.type == kind for cert in list_certificates(state, account_id)):
        return
    from ...throwaway_ca import make_ca  # only when seeding: it generates a key

    pem, _key = make_ca(f"Cloudflare {kind.replace('_', ' ')} CA (emulated)")
    _store(state, account_id, _ca_fields(pem), ca=True, name="", has_private_key=False, kind=kind)


def list_certificates(state: State, account_id: str, types: frozenset[str] | None = None) -> list[Certificate]:
    """The account's certificates, of the given ``types`` only (None: every type)."""
    return [
        cert
        for cert in state.certificates.values()
        if cert.account_id == account_id and (types is None or cert.type in types)
    ]


def parse_type_filter(raw: str | None) -> frozenset[str] | None:
    """The list operation's ``type`` filter: comma-separated certificate types (absent: every type)."""
    if raw is None:
        return None
    types = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not types or not types <= set(cf.CERTIFICATE_TYPES):
        raise APIError(cf.TYPE_FILTER_INVALID, types=", ".join(cf.CERTIFICATE_TYPES))
    return types


def find_certificate(state: State, account_id: str | None, cert_id: str) -> Certificate:
    """The certificate ``cert_id`` (of ``account_id``, unless None), else 404 code 1472."""
    cert = state.certificates.get(cert_id)
    if cert is None or (account_id is not None and cert.account_id != account_id):
        raise APIError(cf.CERTIFICATE_NOT_FOUND)
    return cert


def zones_using(state: State, cert_id: str, now: float, lag_seconds: float) -> dict[str, str]:
    """zone id -> usage status, for every zone that associates hostnames with the CA (or did, within the lag)."""
    zones: dict[str, str] = {}
    for zone_id, lists in state.associations.items():
        if lists.get(cert_id):
            zones[zone_id] = cf.USAGE_STATUS_ACTIVE
    for zone_id, emptied in state.emptied_at.items():
        when = emptied.get(cert_id)
        if when is not None and now < when + lag_seconds and zone_id not in zones:
            zones[zone_id] = cf.USAGE_STATUS_PENDING_REMOVAL
    return dict(sorted(zones.items()))


def usages(state: State, cert: Certificate, now: float, lag_seconds: float) -> list[dict[str, str]]:
    """The documented shape only, ``{service, status}``: one entry per distinct status, no zone named."""
    statuses = sorted(set(zones_using(state, cert.id, now, lag_seconds).values()))
    return [{"service": cf.USAGE_SERVICE, "status": status} for status in statuses]


def delete_certificate(state: State, account_id: str, cert_id: str, now: float, lag_seconds: float) -> Certificate:
    cert = find_certificate(state, account_id, cert_id)
    if zones_using(state, cert_id, now, lag_seconds):
        raise APIError(cf.CERTIFICATE_IN_USE)
    del state.certificates[cert_id]
    _forget(state.emptied_at, cert_id)
    _forget(state.associations, cert_id)
    return cert


def _forget(by_zone: dict[str, dict[str, Any]], cert_id: str) -> None:
    """Drop a deleted CA's entry of every zone, and a zone's map once empty: a deleted CA leaves no trace."""
    for zone_id, by_ca in list(by_zone.items()):
        by_ca.pop(cert_id, None)
        if not by_ca:
            del by_zone[zone_id]
