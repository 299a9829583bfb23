"""Does the emulator hold exactly what a stack's state says? One checker for the e2e tests and the benchmark."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["mismatches"]


def _by_type(resources: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["type"].rpartition(":")[2], []).append(resource)
    return by_type


def mismatches(
    resources: list[dict[str, Any]],
    state: dict[str, Any],
    *,
    accounts: frozenset[str] | None = None,
    foreign_rules: frozenset[str] = frozenset(),
) -> list[str]:
    """What differs between the stack's resources (``pulumi stack export``) and the emulator's ``state``.

    No duplicate or orphan CA (in ``accounts``, default every account), every non-empty hostname list equal
    to the stack's, each rule once, none stray or missing; rules in ``foreign_rules`` (made outside the
    stack) must still be there, untouched by the stack. An empty list means they match."""
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

    stack_rules = sorted(r["outputs"]["rule_id"] for r in by_type.get("ClientCertificateRule", []))
    live_rules = [rule for ruleset in state["rulesets"] for rule in ruleset["rules"]]
    refs = [rule["ref"] for rule in live_rules]
    if len(set(refs)) != len(refs):
        problems.append("a rule is created twice")
    if sorted(r["id"] for r in live_rules if r["id"] not in foreign_rules) != stack_rules:
        problems.append("stray or missing rule")
    if not foreign_rules <= {rule["id"] for rule in live_rules}:
        problems.append("a rule made outside the stack was touched")
    return problems
