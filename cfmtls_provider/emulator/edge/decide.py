"""One edge request: the client-certificate fields, the zone's custom rules in order, and the answer."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from cryptography import x509

from ...client_auth import MultipleCAPolicy, client_auth, trust_anchors, trusted_for_hostname
from ...custom_rules import CHALLENGE_ACTIONS, request_fields, run_custom_rules
from ...rules_language import CLIENT_AUTH_PREFIX
from ..store import Store
from .log import EdgeLog, EdgeLogEntry
from .pages import EdgeAnswer, block_page, challenge_page, error_page, origin_echo
from .setup import HostnameSetup, ZoneLike, custom_rules, zones_for

__all__ = ["EdgeRequest", "answer"]

logger = logging.getLogger("cfmtls.emulator.edge")


@dataclass(frozen=True)
class EdgeRequest:
    """What the TLS listener knows about one request."""

    setup: HostnameSetup
    client_chain: Sequence[x509.Certificate]
    host: str
    path: str
    method: str


def _ray_id() -> str:
    return secrets.token_hex(8) + "-EMU"


def answer(
    request: EdgeRequest,
    store: Store,
    zones: Mapping[str, ZoneLike],
    log: EdgeLog,
    policy: MultipleCAPolicy = "newest",
) -> EdgeAnswer:
    """Run the request through the edge and log it. The TLS facts (the CAs) are those of the connection's
    handshake; the rules are read now."""
    ray_id = _ray_id()
    counted = trusted_for_hostname(request.setup.cas, policy)
    chain = request.client_chain if request.setup.requests_certificate else ()
    auth = client_auth(chain, trust_anchors(counted))
    with store.read() as state:
        zone_ids = zones_for(state, zones, request.host)
        rules = custom_rules(state, zone_ids)
    zone_of = {id(rule): zone_id for zone_id, rule in rules}  # the rules of several zones run as one list
    decision = run_custom_rules([rule for _, rule in rules], request_fields(request.host, auth, request.path))
    # The rule the log names: the first that cannot be evaluated, else the last that matched (the deciding one).
    shown = decision.not_evaluated[0] if decision.not_evaluated else decision.last_match
    error: str | None = None
    if shown is not None and shown.matched is None:  # never a guessed verdict
        error = f"rule {shown.rule.id} (ref {shown.rule.ref}) of zone {zone_of[id(shown.rule)]}: {shown.error}"
        logger.warning("edge: cannot evaluate %s; answering %s", error, 500)
        result = error_page(request.host, ray_id, error)
    elif shown is not None and shown.effect == "stops":
        stop_page = challenge_page if shown.rule.action in CHALLENGE_ACTIONS else block_page
        result = stop_page(request.host, ray_id)
    else:  # no rule stopped it: one skipped the rest, or matched with log, skip or execute, or none matched
        echoed = {name.removeprefix(CLIENT_AUTH_PREFIX): value for name, value in auth.fields().items()}
        result = origin_echo(request.host, request.path, request.method, echoed, ray_id)
    result = replace(result, headers=(*result.headers, ("cf-ray", ray_id)))
    log.add(
        EdgeLogEntry(
            time=time.time(),
            ray_id=ray_id,
            hostname=request.host,
            path=request.path,
            method=request.method,
            presented=auth.cert_presented,
            verified=auth.cert_verified,
            issuer_ski=auth.cert_issuer_ski,
            failure=auth.failure if auth.cert_presented else "",
            rule_id=shown.rule.id if shown else None,
            rule_ref=shown.rule.ref if shown else None,
            zone_id=zone_of[id(shown.rule)] if shown else None,
            action=shown.rule.action if shown else None,
            status=result.status,
            error=error,
        )
    )
    return result
