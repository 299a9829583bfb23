"""A ``HostnameAssociation``'s check, one named step per question: ids, hostnames, action, issuer, the room the rule
has under Cloudflare's expression limit, and (reading only) the zone. Each step returns the failures it finds in the
order a user reads them and records in ``inputs`` the normalised value the preview shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure

from ..hostnames import hostname_problems, hostnames_outside_zone
from ..rules_language.enforcement import ALLOWED_ACTIONS, expression_length_problem, normalise_ski
from ..settings import CLOUDFLARE_ID
from ._base import has_unknown, is_unknown, require_id, same_items
from ._errors import ProviderError
from ._zones import ZoneFacts

__all__ = ["action_problems", "id_problems", "issuer_problems", "length_problems", "list_problems", "zone_problems"]

#: Two different SKIs: the room a rotation needs (the builder writes a SKI given twice once).
_TWO_ISSUERS = ["00" * 20, "01" * 20]


def id_problems(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    require_id(inputs, "zone_id", "Cloudflare zone id", failures, pattern=CLOUDFLARE_ID)
    require_id(inputs, "mtls_certificate_id", "id of the uploaded CA (MTLSCertificate.id)", failures, pattern=None)
    return failures


def list_problems(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """Each hostname is one Cloudflare accepts in an association (once known)."""
    hostnames = inputs.get("hostnames")
    problems = [] if has_unknown(hostnames) else hostname_problems(hostnames)
    return [CheckFailure("hostnames", "hostnames: " + "; ".join(problems))] if problems else []


def action_problems(inputs: dict[str, Any]) -> list[CheckFailure]:
    action = inputs["action"] = inputs.get("action") or "block"
    if not is_unknown(action) and action not in ALLOWED_ACTIONS:
        return [CheckFailure("action", f"action {action!r} is not one of {', '.join(ALLOWED_ACTIONS)}.")]
    return []


def issuer_problems(inputs: dict[str, Any]) -> list[CheckFailure]:
    """``pin_issuer`` (default True) needs an issuer SKI, recorded normalised."""
    pinned = inputs.get("pin_issuer")
    pinned = inputs["pin_issuer"] = pinned if is_unknown(pinned) else pinned is not False
    ski = inputs.get("issuer_ski")
    if is_unknown(ski) or is_unknown(pinned):
        return []
    if not ski:
        return [_ISSUER_REQUIRED] if pinned else []
    try:
        inputs["issuer_ski"] = normalise_ski(str(ski))
    except ValueError as error:
        return [CheckFailure("issuer_ski", str(error))]
    return []


_ISSUER_REQUIRED = CheckFailure(
    "issuer_ski",
    "issuer_ski is required to admit only this CA's clients: pass certificate=<the MTLSCertificate> (its "
    "subject_key_identifier is used), or issuer_ski=<the SKI of the CA that issues your client certificates>, or "
    "pin_issuer=False to admit any certificate Cloudflare verifies.",
)


def length_problems(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """The rule fits Cloudflare's expression limit, with room for a second issuer when pinned: a change of CA accepts
    both for a moment."""
    hostnames = inputs.get("hostnames")
    if not isinstance(hostnames, list) or has_unknown(hostnames):
        return []
    issuers = _TWO_ISSUERS if inputs["pin_issuer"] is not False else None
    problem = expression_length_problem(hostnames, issuers)
    if not problem:
        return []
    room = " That counts room for a second issuer: a rotation accepts both CAs for a moment." if issuers else ""
    return [CheckFailure("hostnames", f"hostnames: {problem}.{room}")]


def zone_problems(
    olds: Mapping[str, Any], inputs: dict[str, Any], read_zone: Callable[[str, str], ZoneFacts]
) -> list[CheckFailure]:
    """A zone Cloudflare does not know, a hostname outside its zone, credentials it refuses: found when the zone or
    the hostnames are new, with ``read_zone(zone_id, recorded_name)`` (reads only, see :mod:`._zones`), before
    anything is written. Records the zone's name as ``zone_name`` once known (kept from ``olds`` for the same
    zone), so that a later hostname change needs no read."""
    zone_id, hostnames = inputs.get("zone_id"), inputs.get("hostnames")
    recorded = olds.get("zone_name") if olds.get("zone_id") == zone_id else None
    recorded = recorded if isinstance(recorded, str) else ""
    if recorded:
        inputs["zone_name"] = recorded
    if not _new_and_known(olds, zone_id, hostnames):
        return []
    assert isinstance(zone_id, str) and isinstance(hostnames, list)
    try:
        zone = read_zone(zone_id, recorded)
    except ProviderError as error:
        return [CheckFailure("zone_id", str(error))]
    if zone.domain:
        inputs["zone_name"] = zone.domain
    if not zone.exists:
        return [
            CheckFailure(
                "zone_id",
                f"zone_id {zone_id} is not a zone Cloudflare knows for these credentials: copy the zone's id from its "
                "Overview page in the dashboard (and check that the token covers that zone). Nothing was written.",
            )
        ]
    outside = hostnames_outside_zone(hostnames, zone.domain) if zone.domain else []
    if outside:
        return [
            CheckFailure(
                "hostnames",
                f"hostnames: {', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in zone {zone.domain} "
                f"({zone_id}): Cloudflare associates a zone's own hostnames only. Give them to an association of "
                "their own zone. Nothing was written.",
            )
        ]
    return []


def _new_and_known(olds: Mapping[str, Any], zone_id: object, hostnames: object) -> bool:
    """The zone and hostnames are known, and one of them is new (the others were checked when declared)."""
    if not isinstance(zone_id, str) or not isinstance(hostnames, list) or has_unknown(hostnames):
        return False
    return olds.get("zone_id") != zone_id or not same_items(olds.get("hostnames"), hostnames)
