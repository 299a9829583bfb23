"""One edge request: the client-certificate fields, the zone's custom rules in order, and the answer."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from cryptography import x509

from ...client_auth import MultipleCAPolicy, client_auth, trust_anchors, trusted_for_hostname
from ...rules_language import Expression, RulesLanguageError, evaluate, parse
from ..store import Store
from .log import EdgeLog, EdgeLogEntry
from .pages import EdgeAnswer, block_page, challenge_page, error_page, origin_echo
from .setup import HostnameSetup, ZoneLike, custom_rules, zones_for

__all__ = ["EdgeRequest", "answer"]

logger = logging.getLogger("cfmtls.emulator.edge")

_CHALLENGES = frozenset({"challenge", "js_challenge", "managed_challenge"})


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> Expression:
    """Each rule's expression is parsed once (a RulesLanguageError is not cached: it is raised again)."""
    return parse(expression)


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
    fields: dict[str, str | bool] = {"http.host": request.host, "http.request.uri.path": request.path, **auth.fields()}
    with store.read() as state:
        zone_ids = zones_for(state, zones, request.host)
        rules = custom_rules(state, zone_ids)
    matched: tuple[str, str, str, str] | None = None  # zone id, rule id, ref, action of the last match
    result: EdgeAnswer | None = None
    error: str | None = None
    for zone_id, rule in rules:
        try:
            hit = evaluate(_parsed(rule.expression), fields)
        except RulesLanguageError as exc:
            error = f"rule {rule.id} (ref {rule.ref}) of zone {zone_id}: {exc}"
            logger.warning("edge: cannot evaluate %s; answering %s", error, 500)
            matched = (zone_id, rule.id, rule.ref, rule.action)
            result = error_page(request.host, ray_id, error)
            break
        if not hit:
            continue
        matched = (zone_id, rule.id, rule.ref, rule.action)
        if rule.action == "block":
            result = block_page(request.host, ray_id)
            break
        if rule.action in _CHALLENGES:
            result = challenge_page(request.host, ray_id)
            break
        if rule.action == "skip" and (rule.action_parameters or {}).get("ruleset") == "current":
            break
        # log, and skip of other phases or products: the next rule runs.
    if result is None:
        echoed = {name.removeprefix("cf.tls_client_auth."): value for name, value in auth.fields().items()}
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
            rule_id=matched[1] if matched else None,
            rule_ref=matched[2] if matched else None,
            zone_id=matched[0] if matched else None,
            action=matched[3] if matched else None,
            status=result.status,
            error=error,
        )
    )
    return result
