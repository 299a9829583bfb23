"""Cloudflare's rules for zone rulesets, as far as custom (WAF) rules need them.

Pure operations on a :class:`~.state.State` draft, refusing with :class:`~.errors.APIError`. Every answer
of the API is the whole ruleset (:func:`ruleset_result`).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

# Cloudflare's documented limit on an expression, shared with the provider
from ...rules_language.enforcement import MAX_EXPRESSION_LENGTH
from .. import assumptions as cf
from ..errors import APIError
from .clock import timestamp
from .state import Rule, Ruleset, State

__all__ = [
    "add_rule",
    "create_ruleset",
    "delete_rule",
    "delete_ruleset",
    "entrypoint",
    "find_ruleset",
    "patch_rule",
    "ruleset_result",
    "update_ruleset",
]


def _new_id() -> str:
    return uuid.uuid4().hex


def _rule_result(rule: Rule) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": rule.id,
        "version": str(rule.version),
        "action": rule.action,
        "expression": rule.expression,
        "description": rule.description,
        "enabled": rule.enabled,
        "ref": rule.ref,
        "last_updated": rule.last_updated,
    }
    if rule.action_parameters is not None:
        result["action_parameters"] = rule.action_parameters
    if rule.logging is not None:
        result["logging"] = rule.logging
    return result


def ruleset_result(ruleset: Ruleset) -> dict[str, Any]:
    return {
        "id": ruleset.id,
        "name": ruleset.name,
        "description": ruleset.description,
        "kind": ruleset.kind,
        "phase": ruleset.phase,
        "version": str(ruleset.version),
        "last_updated": ruleset.last_updated,
        "rules": [_rule_result(rule) for rule in ruleset.rules],
    }


def _invalid(detail: str) -> APIError:
    return APIError(cf.RULESET_INVALID, detail=detail)


def _optional_object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise _invalid(f"'{key}' must be an object")
    return value


def _build_rule(body: object, *, rule_id: str, version: int, keep_ref: str | None = None) -> Rule:
    """A rule from a request body, checked field by field."""
    if not isinstance(body, dict):
        raise _invalid("a rule must be a JSON object")
    action, expression = body.get("action"), body.get("expression")
    if action not in cf.RULE_ACTIONS:
        raise _invalid(f"'action' must be one of {', '.join(cf.RULE_ACTIONS)} (got {action!r})")
    if not isinstance(expression, str) or not expression.strip():
        raise _invalid("'expression' is required and must be a non-empty string")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise _invalid(
            f"the expression is {len(expression)} characters long; the maximum length of a rule expression is "
            f"{MAX_EXPRESSION_LENGTH:,} characters"
        )
    description, enabled, ref = body.get("description", ""), body.get("enabled", True), body.get("ref")
    if not isinstance(description, str):
        raise _invalid("'description' must be a string")
    if not isinstance(enabled, bool):
        raise _invalid("'enabled' must be a boolean")
    if ref is not None and (not isinstance(ref, str) or not ref):
        raise _invalid("'ref' must be a non-empty string")
    return Rule(
        id=rule_id,
        ref=ref or keep_ref or rule_id,
        action=str(action),
        expression=expression,
        description=description,
        enabled=enabled,
        version=version,
        last_updated=timestamp(),
        action_parameters=_optional_object(body, "action_parameters"),
        logging=_optional_object(body, "logging"),
    )


def _check_refs_unique(rules: list[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.ref in seen:
            raise _invalid(f"'ref' must be unique within the ruleset: {rule.ref!r} is used twice")
        seen.add(rule.ref)


def _position_index(rules: list[Rule], position: object) -> int:
    """Where in ``rules`` (the other rules) a rule goes for a ``position`` object (None: at the end).

    ``index`` is 1-based and must name a position that exists once the rule is in: 1 to len(rules) + 1."""
    if position is None:
        return len(rules)
    if not isinstance(position, dict) or len(position) != 1:
        raise _invalid('\'position\' must be one of {"before": id}, {"after": id}, {"index": n}')
    [(kind, value)] = position.items()
    if kind == "index":
        last = len(rules) + cf.POSITION_INDEX_BASE
        if not isinstance(value, int) or isinstance(value, bool) or not cf.POSITION_INDEX_BASE <= value <= last:
            raise _invalid(f"'position.index' {value!r} is out of range: use {cf.POSITION_INDEX_BASE} to {last}")
        return value - cf.POSITION_INDEX_BASE
    if kind in ("before", "after") and isinstance(value, str):
        if not value:
            return 0 if kind == "before" else len(rules)
        for index, rule in enumerate(rules):
            if rule.id == value:
                return index if kind == "before" else index + 1
        raise _invalid(f"'position.{kind}' names rule {value!r}, which is not in the ruleset")
    raise _invalid('\'position\' must be one of {"before": id}, {"after": id}, {"index": n}')


def _touch(ruleset: Ruleset) -> None:
    ruleset.version += 1
    ruleset.last_updated = timestamp()


def entrypoint(state: State, zone_id: str, phase: str) -> Ruleset:
    for ruleset in state.rulesets.values():
        if ruleset.zone_id == zone_id and ruleset.phase == phase and ruleset.kind == "zone":
            return ruleset
    raise APIError(cf.ENTRYPOINT_NOT_FOUND, phase=phase)


def find_ruleset(state: State, zone_id: str, ruleset_id: str) -> Ruleset:
    ruleset = state.rulesets.get(ruleset_id)
    if ruleset is None or ruleset.zone_id != zone_id:
        raise APIError(cf.RULESET_NOT_FOUND, ruleset_id=ruleset_id)
    return ruleset


def _build_rules(raw: list[Any], existing: list[Rule]) -> list[Rule]:
    """The rules of a whole-ruleset write: a rule sent with the id of an existing rule keeps it (next version)."""
    by_id = {rule.id: rule for rule in existing}
    built = []
    for body in raw:
        old = by_id.get(str(body.get("id"))) if isinstance(body, dict) and cf.PUT_KEEPS_RULE_IDS else None
        if old is not None:
            built.append(_build_rule(body, rule_id=old.id, version=old.version + 1, keep_ref=old.ref))
        elif isinstance(body, dict) and body.get("id") is not None:
            raise _invalid(f"rule id {body.get('id')!r} is not in the ruleset (omit 'id' for a new rule)")
        else:
            built.append(_build_rule(body, rule_id=_new_id(), version=cf.INITIAL_VERSION))
    ids = [rule.id for rule in built]
    if len(set(ids)) != len(ids):
        raise _invalid("a rule id appears twice")
    _check_refs_unique(built)
    return built


def create_ruleset(state: State, zone_id: str, body: dict[str, Any]) -> Ruleset:
    name, kind, phase = body.get("name"), body.get("kind"), body.get("phase")
    description, rules = body.get("description", ""), body.get("rules", [])
    if not isinstance(name, str) or not name:
        raise _invalid("'name' is required and must be a non-empty string")
    if kind == "root":
        raise APIError(cf.ROOT_KIND_IN_ZONE, phase=phase)
    if kind != "zone":
        raise _invalid(f"'kind' must be 'zone' for a zone ruleset (got {kind!r})")
    if phase != cf.CUSTOM_RULES_PHASE:
        raise _invalid(f"'phase' must be '{cf.CUSTOM_RULES_PHASE}' (the only phase this emulator serves)")
    if not isinstance(description, str):
        raise _invalid("'description' must be a string")
    if not isinstance(rules, list):
        raise _invalid("'rules' must be a list")
    try:
        entrypoint(state, zone_id, phase)
    except APIError:
        pass
    else:
        raise APIError(cf.ENTRYPOINT_EXISTS, phase=phase)
    built = _build_rules(rules, [])
    ruleset = Ruleset(
        id=_new_id(),
        zone_id=zone_id,
        name=name,
        description=description,
        kind=kind,
        phase=phase,
        version=cf.INITIAL_VERSION,
        last_updated=timestamp(),
        rules=built,
    )
    state.rulesets[ruleset.id] = ruleset
    return ruleset


def add_rule(state: State, zone_id: str, ruleset_id: str, body: dict[str, Any]) -> Ruleset:
    ruleset = find_ruleset(state, zone_id, ruleset_id)
    rule = _build_rule(body, rule_id=_new_id(), version=cf.INITIAL_VERSION)
    index = _position_index(ruleset.rules, body.get("position"))
    rules = [*ruleset.rules[:index], rule, *ruleset.rules[index:]]
    _check_refs_unique(rules)
    ruleset.rules = rules
    _touch(ruleset)
    return ruleset


def _rule_index(ruleset: Ruleset, rule_id: str) -> int:
    for index, rule in enumerate(ruleset.rules):
        if rule.id == rule_id:
            return index
    raise APIError(cf.RULE_NOT_FOUND, rule_id=rule_id, ruleset_id=ruleset.id)


def patch_rule(state: State, zone_id: str, ruleset_id: str, rule_id: str, body: dict[str, Any]) -> Ruleset:
    """Replace one rule's fields with the body (an omitted ref keeps the current one), or, with only a
    ``position``, move it unchanged; the other rules are untouched."""
    ruleset = find_ruleset(state, zone_id, ruleset_id)
    index = _rule_index(ruleset, rule_id)
    old = ruleset.rules[index]
    if set(body) == {"position"}:
        rule = dataclasses.replace(old, version=old.version + 1, last_updated=timestamp())
    else:
        keep_ref = old.ref if cf.PATCH_KEEPS_REF else None
        rule = _build_rule(body, rule_id=old.id, version=old.version + 1, keep_ref=keep_ref)
    others = [r for r in ruleset.rules if r.id != rule_id]
    position = body.get("position")
    at = index if position is None else _position_index(others, position)
    rules = [*others[:at], rule, *others[at:]]
    _check_refs_unique(rules)
    ruleset.rules = rules
    _touch(ruleset)
    return ruleset


def update_ruleset(state: State, zone_id: str, ruleset_id: str, body: dict[str, Any]) -> Ruleset:
    """``PUT .../rulesets/{id}``: replace the description and the whole rule list (kind and phase cannot change)."""
    ruleset = find_ruleset(state, zone_id, ruleset_id)
    for key in ("kind", "phase"):
        if key in body and body[key] != getattr(ruleset, key):
            raise _invalid(f"'{key}' of a ruleset cannot change ({getattr(ruleset, key)!r})")
    name, description, rules = body.get("name", ruleset.name), body.get("description"), body.get("rules")
    if not isinstance(name, str) or not name:
        raise _invalid("'name' must be a non-empty string")
    if description is not None and not isinstance(description, str):
        raise _invalid("'description' must be a string")
    if rules is not None and not isinstance(rules, list):
        raise _invalid("'rules' must be a list")
    if rules is not None:
        ruleset.rules = _build_rules(rules, ruleset.rules)
    ruleset.name = name
    if description is not None:
        ruleset.description = description
    _touch(ruleset)
    return ruleset


def delete_ruleset(state: State, zone_id: str, ruleset_id: str) -> None:
    """``DELETE .../rulesets/{id}``: the ruleset and all its versions."""
    find_ruleset(state, zone_id, ruleset_id)
    del state.rulesets[ruleset_id]


def delete_rule(state: State, zone_id: str, ruleset_id: str, rule_id: str) -> Ruleset:
    ruleset = find_ruleset(state, zone_id, ruleset_id)
    del ruleset.rules[_rule_index(ruleset, rule_id)]
    _touch(ruleset)
    return ruleset
