"""The probes of the zone's custom rules: only a rule of this run's (disabled, matching a hostname of this run)
is added, patched and deleted; an entry point is created only when the zone has none, and then deleted; the
rest of an existing entry point is never written (no whole-ruleset PUT of it)."""

from __future__ import annotations

from typing import Any

from ..emulator import assumptions as cf
from .scratch import Scratch
from .verdict import Outcome, confirmed_if, expect_error, not_checked
from .wire import Reply

__all__ = ["ruleset_probes"]

_PHASE = cf.CUSTOM_RULES_PHASE


def _rules(reply: Reply) -> list[dict[str, Any]]:
    rules = reply.result.get("rules") if isinstance(reply.result, dict) else None
    return [rule for rule in rules if isinstance(rule, dict)] if isinstance(rules, list) else []


def _by(reply: Reply, key: str, value: str) -> dict[str, Any] | None:
    return next((rule for rule in _rules(reply) if rule.get(key) == value), None)


def ruleset_probes(s: Scratch) -> list[Outcome]:
    name = f"cfmtls confirm-assumptions {s.tag}"
    root = s.wire.send("POST", s.rulesets_path, body={"name": name, "kind": "root", "phase": _PHASE, "rules": []})
    if root.ok and isinstance(root.result, dict):
        s.rulesets.append(str(root.result["id"]))
    gone = s.wire.send("DELETE", f"{s.rulesets_path}/{'d' * 20}{s.tag.ljust(12, '0')[:12]}")
    outcomes = [
        expect_error("ROOT_KIND_IN_ZONE", "a ruleset of kind 'root' created in the zone", root, cf.ROOT_KIND_IN_ZONE),
        expect_error("DELETE_RULESET_STATUS", "DELETE of an unknown ruleset id", gone, cf.RULESET_NOT_FOUND),
    ]
    ref = f"cfmtls_confirm_{s.tag}"
    rule = {
        "action": "block",
        "expression": f'(http.host eq "{s.hostname("rule")}")',
        "description": f"{name} (disabled; removed at the end of the run)",
        "enabled": False,
        "ref": ref,
    }
    entrypoint = s.wire.send("GET", f"{s.rulesets_path}/phases/{_PHASE}/entrypoint")
    created = not entrypoint.ok
    if created:
        answer = s.wire.send(
            "POST", s.rulesets_path, body={"name": name, "kind": "zone", "phase": _PHASE, "rules": [rule]}
        )
        if answer.ok and isinstance(answer.result, dict):
            s.rulesets.append(str(answer.result["id"]))
    else:
        ruleset_id = str(entrypoint.result.get("id")) if isinstance(entrypoint.result, dict) else ""
        answer = s.wire.send("POST", f"{s.rulesets_path}/{ruleset_id}/rules", body=rule)
    ours = _by(answer, "ref", ref)
    if ours is None or not isinstance(answer.result, dict):
        why = f"this run's disabled rule could not be made ({answer.said()})"
        return [*outcomes, *(not_checked(check, why) for check in _WITH_OUR_RULE)]
    ruleset_id, rule_id = str(answer.result["id"]), str(ours["id"])
    if not created:
        s.rules.append((ruleset_id, rule_id))
    return outcomes + _rule_probes(s, answer, ruleset_id, rule_id, rule, created=created)


def _rule_probes(
    s: Scratch, made: Reply, ruleset_id: str, rule_id: str, rule: dict[str, Any], *, created: bool
) -> list[Outcome]:
    rules_path = f"{s.rulesets_path}/{ruleset_id}/rules"
    versions = (
        made.result.get("version") if created and isinstance(made.result, dict) else None,
        (_by(made, "id", rule_id) or {}).get("version"),
    )
    wanted = str(cf.INITIAL_VERSION)
    first = versions[1] == wanted and (not created or versions[0] == wanted)
    where = len(_rules(made)) + 2
    beyond = s.wire.send("POST", rules_path, body={**rule, "ref": f"{rule['ref']}_2", "position": {"index": where}})
    extra = _by(beyond, "ref", f"{rule['ref']}_2")
    if extra is not None:
        s.rules.append((ruleset_id, str(extra["id"])))
    patch = {key: value for key, value in rule.items() if key != "ref"}
    patched = s.wire.send("PATCH", f"{rules_path}/{rule_id}", body=patch)
    unknown = s.wire.send("DELETE", f"{rules_path}/{'e' * 20}{s.tag.ljust(12, '0')[:12]}")
    outcomes = [
        confirmed_if(
            "INITIAL_VERSION",
            first,
            (
                "the entry point this run created, and its rule, are at versions "
                if created
                else "the rule added is at version "
            )
            + f"{[version for version in versions if version is not None]}",
        ),
        expect_error("RULESET_INVALID", f"a rule added at position index {where}", beyond, cf.RULESET_INVALID),
        confirmed_if(
            "POSITION_INDEX_BASE",
            beyond.status == 400,
            f"a rule added at position index {where}, where {where - 1} (just past the last rule) is the largest the "
            f"emulator accepts: {beyond.said()}",
        ),
        confirmed_if(
            "PATCH_KEEPS_REF",
            (_by(patched, "id", rule_id) or {}).get("ref") == rule["ref"],
            f"PATCH of the rule without ref: {patched.said()}, ref now {(_by(patched, 'id', rule_id) or {}).get('ref')!r}",
        ),
        expect_error("RULE_NOT_FOUND", "DELETE of an unknown rule id", unknown, cf.RULE_NOT_FOUND),
    ]
    if not created:
        reason = "the zone's entry point holds rules this run did not make: a whole-ruleset PUT would rewrite them"
        return [*outcomes, not_checked("PUT_KEEPS_RULE_IDS", reason)]
    body = {"name": made.result.get("name") if isinstance(made.result, dict) else "", "kind": "zone", "phase": _PHASE}
    put = s.wire.send("PUT", f"{s.rulesets_path}/{ruleset_id}", body={**body, "rules": [{**rule, "id": rule_id}]})
    return [
        *outcomes,
        confirmed_if(
            "PUT_KEEPS_RULE_IDS",
            _by(put, "ref", rule["ref"]) is not None and (_by(put, "ref", rule["ref"]) or {}).get("id") == rule_id,
            f"PUT of the entry point this run created, its rule sent with its id: {put.said()}, the rule's id now "
            f"{(_by(put, 'ref', rule['ref']) or {}).get('id')!r} (was {rule_id!r})",
        ),
    ]


_WITH_OUR_RULE = (
    "INITIAL_VERSION",
    "RULESET_INVALID",
    "POSITION_INDEX_BASE",
    "PATCH_KEEPS_REF",
    "RULE_NOT_FOUND",
    "PUT_KEEPS_RULE_IDS",
)
