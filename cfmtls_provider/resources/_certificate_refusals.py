"""Cloudflare's refusals of a CA upload or delete: how a refusal is recognised, and what the user is told
(what Cloudflare holds, and what to do)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..cloudflare.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CloudflareError,
    ConflictError,
    NotFoundError,
    RateLimitError,
)
from ..cloudflare.models import MTLSCertificateRecord

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["already_uploaded_message", "in_use_message", "quota_message", "refused_as_in_use"]


def already_uploaded_message(account_id: str, existing: MTLSCertificateRecord | None) -> str:
    where = (
        f"as certificate {existing.id} (name {existing.name!r}, uploaded {existing.uploaded_on})"
        if existing
        else "(Cloudflare says it already exists)"
    )
    return (
        f"This CA certificate is already uploaded to account {account_id} {where}. "
        "To manage that upload with this stack, set adopt_existing=True on the MTLSCertificate "
        "(it is matched by certificate content); or delete the existing upload first (after "
        "emptying its hostname associations)."
    )


def quota_message(client: CloudflareClient, account_id: str, error: CloudflareError) -> str:
    try:
        held = client.list_certificates(account_id)
        listing = "; ".join(
            f"{record.name or '(no name)'} (id {record.id}, expires {record.expires_on})"
            for record in held
            if record.ca
        )
    except CloudflareError:
        listing = "(could not list them)"
    return (
        f"Account {account_id} already holds the maximum number of CA certificates (5; Cloudflare "
        f"said: {error.message}). It holds: {listing}. Delete one you no longer use (empty its "
        "hostname associations first) and run again. A rotation needs a free slot too: the new CA is "
        "uploaded before the old one is deleted, so no hostname is ever without a CA. If no slot can be "
        "freed, give that MTLSCertificate opts=ResourceOptions(delete_before_replace=True) for this one "
        "run: the old CA and its associations go first, and its hostnames have no CA until the new one is "
        "uploaded."
    )


def in_use_message(
    client: CloudflareClient, props: Mapping[str, Any], id_: str, said: str, waited_seconds: float
) -> str:
    name = props.get("name") or "(no name)"
    try:
        usages = client.certificate_usages(props["account_id"], id_)
        listed = "; ".join(usage.describe() for usage in usages) or "none listed"
    except CloudflareError:
        listed = "could not be read"
    return (
        f"Cannot delete CA certificate {name!r} ({id_}) from account {props['account_id']}: Cloudflare still "
        f"refuses it as in use after {waited_seconds:g}s (it said: {said}; its usages: "
        f"{listed}). This stack removes its own HostnameAssociation resources before the CA, and Cloudflare "
        "applies such removals with a delay: run the command again, or raise cfmtls:deleteWaitSeconds. If "
        "hostnames were associated with this CA outside the stack, remove them first (PUT "
        "/zones/<zone_id>/certificate_authorities/hostname_associations with "
        f'{{"hostnames": [], "mtls_certificate_id": "{id_}"}}) or take them into the stack with '
        "HostnameAssociation(..., adopt_existing=True). The CA certificate was not deleted."
    )


#: Codes of refusals that are not about the certificate being in use (routing, headers, credentials).
_NOT_IN_USE_CODES = frozenset({6003, 7000, 7003, 9106, 9109, 10000})
_IN_USE_WORDS = ("in use", "in-use", "still attached", "still associated", "associated with")


def refused_as_in_use(error: APIStatusError) -> bool:
    """Whether a refused DELETE says the certificate is still in use. Cloudflare documents that it refuses, not
    how: a conflict (409), a bad request (400, other than a routing or credential error), or any refusal whose
    words say so (a permission refusal, 403, counts only by its words: it is also the answer to a token without
    the permission). The error's class says which (cloudflare/errors.py maps statuses and codes to classes)."""
    if any(word in error.cloudflare_message.lower() for word in _IN_USE_WORDS):
        return not isinstance(error, AuthenticationError | NotFoundError | RateLimitError)
    if isinstance(error, ConflictError):
        return True
    return isinstance(error, BadRequestError) and not (set(error.codes) & _NOT_IN_USE_CODES)
