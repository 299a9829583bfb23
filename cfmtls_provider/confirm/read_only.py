"""The probes that only read (GET): they change nothing anywhere, and run with ``--read-only`` too."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from ..emulator import assumptions as cf
from .scratch import Scratch
from .verdict import Outcome, confirmed_if, expect_error

__all__ = ["READ_ONLY_PROBES", "certificate_formats"]

#: Phases whose zone entry point a scratch zone is unlikely to have: the first that is missing serves the probe.
_RARE_PHASES = (
    "http_custom_errors",
    "http_log_custom_fields",
    "http_response_compression",
    "http_request_late_transform",
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _unknown_hex(s: Scratch) -> str:
    return "f" * 20 + s.tag.ljust(12, "0")[:12]


def rate_limit_policy(s: Scratch) -> list[Outcome]:
    reply = s.wire.send("GET", s.certificates, params={"type": cf.CERTIFICATE_TYPE})
    header = reply.headers.get("ratelimit", "")
    name = header.split(";", 1)[0].strip().strip('"')
    evidence = (
        f"GET {s.certificates}: Ratelimit: {header!r}" if header else f"GET {s.certificates}: no Ratelimit header"
    )
    return [confirmed_if("RATE_LIMIT_POLICY_NAME", name == cf.RATE_LIMIT_POLICY_NAME, evidence)]


def check_order(s: Scratch) -> list[Outcome]:
    """Ids are checked before credentials, and credentials before the zone (two of CHECK_ORDER's steps)."""
    malformed = s.wire.send(
        "GET", "/zones/not-a-zone-id/certificate_authorities/hostname_associations", authenticated=False
    )
    unknown = s.wire.send(
        "GET", f"/zones/{_unknown_hex(s)}/certificate_authorities/hostname_associations", authenticated=False
    )
    ids_first = (
        malformed.status == cf.INVALID_OBJECT_IDENTIFIER.status and cf.INVALID_OBJECT_IDENTIFIER.code in malformed.codes
    )
    credentials_before_zone = cf.MISSING_CREDENTIALS.code in unknown.codes
    evidence = (
        f"without credentials, a malformed zone id: {malformed.said()} (ids first: "
        f"{cf.INVALID_OBJECT_IDENTIFIER.code}); an unknown zone: {unknown.said()} (credentials before the zone: "
        f"{cf.MISSING_CREDENTIALS.code}); the later steps are not checked"
    )
    return [confirmed_if("CHECK_ORDER", ids_first and credentials_before_zone, evidence)]


def object_identifiers(s: Scratch) -> list[Outcome]:
    malformed = s.wire.send("GET", "/zones/not-a-zone-id/certificate_authorities/hostname_associations")
    unknown = s.wire.send("GET", f"/zones/{_unknown_hex(s)}/certificate_authorities/hostname_associations")
    no_route = s.wire.send("GET", f"/zones/{s.zone_id}/cfmtls_no_such_endpoint")
    return [
        expect_error(
            "INVALID_OBJECT_IDENTIFIER", "GET with a malformed zone id", malformed, cf.INVALID_OBJECT_IDENTIFIER
        ),
        expect_error("UNKNOWN_ZONE", "GET with a well-formed unknown zone id", unknown, cf.UNKNOWN_ZONE),
        expect_error("NO_ROUTE", "GET of a path no endpoint serves", no_route, cf.NO_ROUTE),
    ]


def paging(s: Scratch) -> list[Outcome]:
    default = s.wire.send("GET", s.certificates, params={"page": "1", "per_page": str(cf.DEFAULT_PER_PAGE)})
    largest = s.wire.send("GET", s.certificates, params={"page": "1", "per_page": str(cf.MAX_PER_PAGE)})
    beyond = s.wire.send("GET", s.certificates, params={"page": "1", "per_page": str(cf.MAX_PER_PAGE + 1)})
    bad = s.wire.send("GET", s.certificates, params={"per_page": "many"})
    bad_type = s.wire.send("GET", s.certificates, params={"type": "cfmtls_no_such_type"})
    return [
        confirmed_if(
            "DEFAULT_PER_PAGE",
            default.ok,
            f"the list with page=1&per_page={cf.DEFAULT_PER_PAGE} (as the provider asks): {default.said()}",
        ),
        confirmed_if(
            "MAX_PER_PAGE",
            largest.ok and not beyond.ok,
            f"per_page={cf.MAX_PER_PAGE}: {largest.said()}; per_page={cf.MAX_PER_PAGE + 1}: {beyond.said()}",
        ),
        expect_error("QUERY_INVALID", "the list with per_page=many", bad, cf.QUERY_INVALID),
        expect_error("TYPE_FILTER_INVALID", "the list with type=cfmtls_no_such_type", bad_type, cf.TYPE_FILTER_INVALID),
    ]


def not_found(s: Scratch) -> list[Outcome]:
    unknown_id = str(uuid.UUID(int=int(_unknown_hex(s), 16)))
    certificate = s.wire.send("GET", f"{s.certificates}/{unknown_id}")
    associated = s.wire.send("GET", s.associations, params={"mtls_certificate_id": unknown_id})
    ruleset = s.wire.send("GET", f"{s.rulesets_path}/{_unknown_hex(s)}")
    outcomes = [
        expect_error(
            "CERTIFICATE_NOT_FOUND", "GET of an unknown certificate id", certificate, cf.CERTIFICATE_NOT_FOUND
        ),
        expect_error(
            "CERTIFICATE_NOT_FOUND",
            "the hostname associations of an unknown certificate id",
            associated,
            cf.CERTIFICATE_NOT_FOUND,
        ),
        expect_error("RULESET_NOT_FOUND", "GET of an unknown ruleset id", ruleset, cf.RULESET_NOT_FOUND),
    ]
    for phase in _RARE_PHASES:
        entrypoint = s.wire.send("GET", f"{s.rulesets_path}/phases/{phase}/entrypoint")
        if not entrypoint.ok:
            what = f"GET of the zone's missing {phase} entry point"
            return [*outcomes, expect_error("ENTRYPOINT_NOT_FOUND", what, entrypoint, cf.ENTRYPOINT_NOT_FOUND)]
    return outcomes


def certificate_formats(record: object, where: str) -> list[Outcome]:
    """What a certificate's answer says of the id and timestamp formats (an upload's, or one of the list)."""
    if not isinstance(record, dict):
        return []
    cert_id, expires, uploaded = (str(record.get(key, "")) for key in ("id", "expires_on", "uploaded_on"))
    return [
        confirmed_if("CERTIFICATE_ID_FORMAT", bool(_UUID.match(cert_id)), f"{where}: id {cert_id!r}"),
        confirmed_if("EXPIRES_ON_FORMAT", _parses(expires, cf.EXPIRES_ON_FORMAT), f"{where}: expires_on {expires!r}"),
        confirmed_if("TIMESTAMP_FORMAT", _parses(uploaded, cf.TIMESTAMP_FORMAT), f"{where}: uploaded_on {uploaded!r}"),
    ]


def _parses(value: str, pattern: str) -> bool:
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        return False
    return True


def listed_certificate(s: Scratch) -> list[Outcome]:
    """The formats, from the first of the account's uploads (in a read-only run; a full run uploads its own)."""
    reply = s.wire.send("GET", s.certificates, params={"type": cf.CERTIFICATE_TYPE})
    records = reply.result if isinstance(reply.result, list) else []
    return certificate_formats(records[0], "the account's first upload") if records else []


READ_ONLY_PROBES = (rate_limit_policy, check_order, object_identifiers, paging, not_found)
