"""What an ``MTLSCertificate``'s inputs mean, without asking Cloudflare: the facts its PEM tells at preview,
its private key's digest, the ownership tag in the uploaded name, and which changes only a delete-first
re-upload could make (``on_rename``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from ..certificates import CABundle, CertificateError, parse_ca_bundle, same_certificates
from ._base import is_unknown

__all__ = [
    "LOCAL_FACTS",
    "ON_RENAME",
    "carries_ownership_tag",
    "input_key_digest",
    "issuing_ski",
    "key_digest",
    "local_facts",
    "ownership_tag",
    "read_key_file",
    "rename_refusal",
    "same_upload_changes",
    "uploaded_name",
]

#: What a change of ``name`` or ``private_key`` alone does (same certificates, same account). Cloudflare can
#: neither rename an upload nor take the same certificate twice (1471), so a real re-upload must delete first.
ON_RENAME = ("refuse", "record_only", "delete_first")


def same_upload_changes(olds: Mapping[str, Any], news: Mapping[str, Any], old_key_digest: str) -> list[str]:
    """The inputs among name and private_key that changed while the certificates and account did not:
    a change only a delete-first re-upload could make at Cloudflare."""
    old_certs, new_certs = olds.get("certificates"), news.get("certificates")
    if not (isinstance(old_certs, str) and isinstance(new_certs, str) and same_certificates(old_certs, new_certs)):
        return []
    if is_unknown(news.get("account_id")) or (olds.get("account_id") or "") != (news.get("account_id") or ""):
        return []
    changed = []
    if not is_unknown(news.get("name")) and (olds.get("name") or "") != (news.get("name") or ""):
        changed.append("name")
    key_known = not is_unknown(news.get("private_key")) and not is_unknown(news.get("private_key_file"))
    if key_known and old_key_digest != input_key_digest(news):
        changed.append("private_key")
    return changed


def rename_refusal(changed: list[str], olds: Mapping[str, Any], news: Mapping[str, Any]) -> str:
    what = " and ".join(changed)
    renamed = f" from {olds.get('name') or ''!r} to {news.get('name') or ''!r}" if "name" in changed else ""
    return (
        f"{what} changed{renamed} while the certificates stay the same. Cloudflare cannot rename an uploaded CA "
        "or change its key, and refuses a second upload of the same certificate (1471): a re-upload would have "
        "to delete the CA first, leaving its hostnames without a CA (and their rules blocking every client) until the "
        "new upload is done. Nothing is done without your choice: keep the old value; or set "
        "on_rename='record_only' to record the new value in the stack only (Cloudflare keeps the upload as it "
        "is: no outage); or set on_rename='delete_first' to delete and re-upload, accepting that outage."
    )


_TAG_PREFIX, _TAG_HEX_DIGITS = "cfmtls-", 12


def ownership_tag(resource_name: str) -> str:
    """A tag only this resource of this stack makes: ``cfmtls-`` and 12 hex characters of a hash of the
    organization, project, stack and resource name. It goes into the uploaded ``name`` (the upload's only
    free-text field), so that an upload left by an interrupted run can be told from anyone else's."""
    owner = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
    return _TAG_PREFIX + hashlib.sha256(owner.encode()).hexdigest()[:_TAG_HEX_DIGITS]


#: The ownership tag as it ends an uploaded name (see :func:`uploaded_name`).
_TAG_IN_NAME = re.compile(rf"\[{_TAG_PREFIX}[0-9a-f]{{{_TAG_HEX_DIGITS}}}\]$")


def carries_ownership_tag(name: str) -> bool:
    """Whether an upload's name ends with the ownership tag of some stack's MTLSCertificate."""
    return _TAG_IN_NAME.search(name) is not None


def uploaded_name(props: Mapping[str, Any]) -> str:
    """The ``name`` sent to Cloudflare: the user's name followed by the ownership tag, e.g.
    ``corp-ca [cfmtls-3f9a1c2b7d4e]`` (the tag alone when no name is given)."""
    name, tag = props.get("name") or "", props.get("ownership_tag") or ""
    if not tag:
        return str(name)
    return f"{name} [{tag}]" if name else f"[{tag}]"


def input_key_digest(inputs: Mapping[str, Any]) -> str:
    """The SHA-256 of the private key an input set names: ``private_key`` itself, or the digest the check took
    of ``private_key_file`` (whose content never leaves the provider process)."""
    return key_digest(inputs.get("private_key")) or str(inputs.get("private_key_file_sha256") or "")


def read_key_file(path: object) -> str:
    """The PEM private key in ``path`` (read in the provider process, next to the program); raises ValueError."""
    if not isinstance(path, str) or not path.strip():
        return ""
    try:
        text = Path(path).expanduser().read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"private_key_file {path!r} cannot be read ({type(error).__name__}: {error.args[-1]})"
        ) from None
    try:
        serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(
            f"private_key_file {path!r} does not hold an unencrypted PEM private key ('-----BEGIN PRIVATE KEY-----')."
        ) from None
    return text


def issuing_ski(certificates: object) -> str:
    """The SKI of the bundle's issuing CA, or "" when the text is unknown or not a bundle accepted today."""
    if not isinstance(certificates, str):
        return ""
    try:
        return parse_ca_bundle(certificates).issuing_ca.subject_key_identifier
    except CertificateError:
        return ""


def key_digest(private_key: object) -> str:
    if not isinstance(private_key, str) or not private_key:
        return ""
    return hashlib.sha256(private_key.strip().encode()).hexdigest()


#: Outputs computed from the PEM alone, known at `pulumi preview` (Cloudflare's own values win after upload).
LOCAL_FACTS = ("issuer", "serial_number", "signature", "expires_on", "fingerprint_sha256", "subject_key_identifier")


def local_facts(bundle: CABundle) -> dict[str, str]:
    ca = bundle.ca
    return {
        "issuer": ca.issuer,
        "serial_number": ca.serial_number,
        "signature": ca.signature_algorithm,
        "expires_on": ca.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fingerprint_sha256": ca.fingerprint_sha256,
        # The CA that issues client certificates (the end of the chain), not necessarily the first one.
        "subject_key_identifier": bundle.issuing_ca.subject_key_identifier,
    }
