"""The fields and functions of the client-certificate subset of Cloudflare's Rules language.

Sources: https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/ (field names and
types, e.g. ``cf.tls_client_auth.cert_verified`` Boolean, ``cf.tls_client_auth.cert_issuer_ski`` String) and
https://developers.cloudflare.com/ruleset-engine/rules-language/functions/ (``lower``, ``starts_with``,
``ends_with``). The unit tests check every name and type against Cloudflare's engine (wirefilter's HTTP scheme).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["CLIENT_AUTH_PREFIX", "FIELDS", "FUNCTIONS", "FieldType", "Signature"]


class FieldType(Enum):
    """Types as Cloudflare documents them (String is a byte string; Boolean fields are used bare)."""

    STRING = "String"
    BOOLEAN = "Boolean"
    INTEGER = "Integer"


CLIENT_AUTH_PREFIX = "cf.tls_client_auth."

_CLIENT_AUTH_STRINGS = (
    "cert_chain_rfc9440",
    "cert_fingerprint_sha1",
    "cert_fingerprint_sha256",
    "cert_issuer_dn",
    "cert_issuer_dn_legacy",
    "cert_issuer_dn_rfc2253",
    "cert_issuer_serial",
    "cert_issuer_ski",
    "cert_not_after",
    "cert_not_before",
    "cert_rfc9440",
    "cert_serial",
    "cert_ski",
    "cert_subject_dn",
    "cert_subject_dn_legacy",
    "cert_subject_dn_rfc2253",
)
_CLIENT_AUTH_BOOLEANS = (
    "cert_chain_rfc9440_too_large",
    "cert_presented",
    "cert_revoked",
    "cert_rfc9440_too_large",
    "cert_verified",
)

#: Every field the subset knows, with its type.
FIELDS: dict[str, FieldType] = {
    "http.host": FieldType.STRING,
    "http.request.uri.path": FieldType.STRING,
    **{CLIENT_AUTH_PREFIX + name: FieldType.STRING for name in _CLIENT_AUTH_STRINGS},
    **{CLIENT_AUTH_PREFIX + name: FieldType.BOOLEAN for name in _CLIENT_AUTH_BOOLEANS},
}


@dataclass(frozen=True)
class Signature:
    """A function's argument types and result. The first argument must be a field or a function call
    (wirefilter: "expected argument of kind Field"); later ones may be literals too."""

    arguments: tuple[FieldType, ...]
    result: FieldType


FUNCTIONS: dict[str, Signature] = {
    "lower": Signature((FieldType.STRING,), FieldType.STRING),
    "starts_with": Signature((FieldType.STRING, FieldType.STRING), FieldType.BOOLEAN),
    "ends_with": Signature((FieldType.STRING, FieldType.STRING), FieldType.BOOLEAN),
}
