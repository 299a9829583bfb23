"""Does the emulator hold exactly what a stack's state says? One checker for the e2e tests and the benchmark."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION

__all__ = ["mismatches"]

#: The resources that hold a rule: a HostnameAssociation owns its own; a ClientCertificateRule is a record a stack
#: deployed with 0.1 may still hold until its next `pulumi up`.
_RULE_HOLDERS = ("HostnameAssociation", "ClientCertificateRule")


def _by_type(resources: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["type"].rpartition(":")[2], []).append(resource)
    return by_type


def _rule_problems(
    by_type: dict[str, list[dict[str, Any]]], state: dict[str, Any], foreign_rules: frozenset[str]
) -> list[str]:
    """Each rule of the stack once, in its zone, under its ref; none stray or missing; foreign rules kept; no empty
    entrypoint this package made left behind (destroy deletes it)."""
    problems: list[str] = []
    holders = [r["outputs"] for kind in _RULE_HOLDERS for r in by_type.get(kind, []) if r["outputs"].get("rule_id")]
    live = {rule["id"]: (ruleset["zone_id"], rule) for ruleset in state["rulesets"] for rule in ruleset["rules"]}
    refs = [(zone, rule["ref"]) for zone, rule in live.values()]
    if len(set(refs)) != len(refs):
        problems.append("a rule is created twice")
    if sorted(rule_id for rule_id in live if rule_id not in foreign_rules) != sorted(o["rule_id"] for o in holders):
        problems.append("stray or missing rule")
    misplaced = [
        o["rule_id"]
        for o in holders
        if o["rule_id"] in live
        and (live[o["rule_id"]][0] != o["zone_id"] or live[o["rule_id"]][1]["ref"] != o.get("rule_ref", o.get("ref")))
    ]
    if misplaced:
        problems.append(f"{len(misplaced)} rule(s) not in their zone under their ref")
    if not foreign_rules <= set(live):
        problems.append("a rule made outside the stack was touched")
    left = sorted(
        rs["zone_id"]
        for rs in state["rulesets"]
        if not rs["rules"] and rs["description"] == CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
    )
    if left:
        problems.append(f"an empty entrypoint this package made is left in zone(s) {', '.join(left)}")
    return problems


def mismatches(
    resources: list[dict[str, Any]],
    state: dict[str, Any],
    *,
    accounts: frozenset[str] | None = None,
    foreign_rules: frozenset[str] = frozenset(),
) -> list[str]:
    """What differs between the stack's resources (``pulumi stack export``) and the emulator's ``state``.

    No duplicate or orphan CA (in ``accounts``, default every account), every non-empty hostname list equal
    to the stack's, each association's rule once, in its zone under its ref, none stray or missing; rules in
    ``foreign_rules`` (made outside the stack) must still be there, untouched by the stack; no empty entrypoint
    made by this package. An empty list means they match."""
    by_type = _by_type(resources)
    problems: list[str] = []

    stack_cas = sorted(r["id"] for r in by_type.get("MTLSCertificate", []))
    live_cas = [c for c in state["certificates"] if accounts is None or c["account_id"] in accounts]
    if sorted(c["id"] for c in live_cas) != stack_cas:
        problems.append(f"CAs in the emulator ({len(live_cas)}) differ from the stack's ({len(stack_cas)})")
    fingerprints = [c["content_fingerprint"] for c in live_cas]
    if len(set(fingerprints)) != len(fingerprints):
        problems.append("a CA is uploaded twice")

    stack_lists = {
        (r["outputs"]["zone_id"], r["outputs"]["mtls_certificate_id"]): sorted(r["outputs"]["hostnames"])
        for r in by_type.get("HostnameAssociation", [])
    }
    live_lists = {
        (zone, ca): sorted(names)
        for zone, lists in state["associations"].items()
        for ca, names in lists.items()
        if names
    }
    if live_lists != stack_lists:
        differing = [key for key in set(live_lists) | set(stack_lists) if live_lists.get(key) != stack_lists.get(key)]
        problems.append(f"hostname lists in the emulator differ from the stack's ({len(differing)} differ)")

    return problems + _rule_problems(by_type, state, foreign_rules)
