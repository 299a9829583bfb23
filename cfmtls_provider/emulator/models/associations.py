"""Cloudflare's rules for hostname associations (zone level): one hostname list per (zone, CA) pair, replaced whole.

Pure operations on a :class:`~.state.State` draft: they validate first and mutate last, and refuse with
:class:`~..errors.APIError`. The hostname rules are the shared ones the provider uses.
"""

from __future__ import annotations

from typing import Any

from ...hostnames import hostname_problems, hostnames_outside_zone
from .. import assumptions as cf
from ..config import Zone
from ..errors import APIError
from .certificates import find_certificate
from .state import MANAGED_CA, State

__all__ = ["get_hostnames", "replace_hostnames"]


def _ca_key(state: State, zone: Zone, mtls_certificate_id: object) -> str:
    """The association-list key: the managed CA, or a certificate of the zone's own account (else 1472)."""
    if mtls_certificate_id is None:
        return MANAGED_CA
    if not isinstance(mtls_certificate_id, str):
        raise APIError(cf.ASSOCIATION_BODY_INVALID, detail="'mtls_certificate_id' must be a string")
    cert = find_certificate(state, None, mtls_certificate_id)
    if cf.ZONES_BOUND_TO_ACCOUNTS and cert.account_id != zone.account_id:
        raise APIError(cf.CERTIFICATE_OF_ANOTHER_ACCOUNT)
    return cert.id


def get_hostnames(state: State, zone: Zone, mtls_certificate_id: str | None) -> list[str]:
    key = _ca_key(state, zone, mtls_certificate_id)
    return list(state.associations.get(zone.id, {}).get(key, []))


def replace_hostnames(state: State, zone: Zone, body: dict[str, Any], now: float) -> list[str]:
    """Replace the whole list of one (zone, CA) pair; ``[]`` removes them all (and starts the lag)."""
    zone_id = zone.id
    hostnames = body.get("hostnames", [] if cf.MISSING_HOSTNAMES_MEANS_EMPTY else None)
    if not isinstance(hostnames, list):
        raise APIError(cf.ASSOCIATION_BODY_INVALID, detail="'hostnames' must be a list of hostnames (use [])")
    key = _ca_key(state, zone, body.get("mtls_certificate_id"))
    problems = hostname_problems(hostnames, allow_empty=True)
    if problems:
        raise APIError(cf.HOSTNAMES_INVALID, detail="; ".join(problems))
    outside = hostnames_outside_zone([str(name) for name in hostnames], zone.name)
    if outside:
        raise APIError(cf.HOSTNAME_OUTSIDE_ZONE, hostname=outside[0], zone=zone.name, zone_id=zone.id)
    lists = state.associations.setdefault(zone_id, {})
    had = bool(lists.get(key))
    if hostnames:
        lists[key] = [str(name) for name in hostnames]
        state.emptied_at.get(zone_id, {}).pop(key, None)
    else:
        lists.pop(key, None)
        if had and key != MANAGED_CA:
            state.emptied_at.setdefault(zone_id, {})[key] = now
    if not lists:
        del state.associations[zone_id]
    if zone_id in state.emptied_at and not state.emptied_at[zone_id]:
        del state.emptied_at[zone_id]
    return list(lists.get(key, []))
