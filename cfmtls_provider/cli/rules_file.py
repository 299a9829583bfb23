"""``check-client --rules FILE``: a zone's custom rules read from a file, or one sentence saying what is wrong
with it (never a traceback: a CI gate must not read a bad file as the verdict "refused").

The file is the entrypoint as the API answers it (the envelope, or its ``result``), the ruleset, a list of rules,
or a text file holding one expression (action ``block``). Field names are Cloudflare's: the rule object of the
Rulesets API (https://developers.cloudflare.com/api/resources/rulesets/, the ``cloudflare`` SDK's rule types
``rulesets.BlockRule``, ``SkipRule``, ...; tests/cli check the list against the SDK); a field not among them is
a typo that would otherwise be ignored, so it is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..cloudflare.models import AnswerShapeError, Rule

__all__ = ["RULE_FIELDS", "RulesFileError", "read_rules_file"]

#: The fields of a rule object (every action's rule type has the same ones).
RULE_FIELDS = frozenset(
    {
        "action",
        "action_parameters",
        "categories",
        "description",
        "enabled",
        "exposed_credential_check",
        "expression",
        "id",
        "last_updated",
        "logging",
        "ratelimit",
        "ref",
        "version",
    }
)
#: The fields of a ruleset, and of the API's answer envelope around it.
RULESET_FIELDS = frozenset({"description", "id", "kind", "last_updated", "name", "phase", "rules", "version"})
ENVELOPE_FIELDS = frozenset({"errors", "messages", "result", "result_info", "success"})


class RulesFileError(ValueError):
    """The rules file cannot be used; the message names the file and what is wrong."""


def read_rules_file(path: Path, data: bytes) -> list[Rule]:
    """The rules ``data`` (the content of ``path``) holds, in order."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesFileError(f"the rules file {path} is not UTF-8 text.") from None
    stripped = text.strip()
    if not stripped:
        raise RulesFileError(f"the rules file {path} is empty.")
    if not stripped.startswith(("{", "[")):
        return [
            Rule(
                id="rule-1",
                ref="",
                action="block",
                expression=stripped,
                description=path.name,
                enabled=True,
                version="",
            )
        ]
    try:
        parsed: Any = json.loads(stripped)
    except RecursionError:
        raise RulesFileError(f"the rules file {path} is JSON nested too deeply to read.") from None
    except ValueError as error:
        raise RulesFileError(f"the rules file {path} is not valid JSON ({error}).") from None
    try:
        return [_rule(item, where, f"rule-{number}") for number, (where, item) in enumerate(_rule_items(parsed), 1)]
    except AnswerShapeError as error:
        raise RulesFileError(f"the rules file {path}: {error}.") from None


def _unknown(data: Mapping[str, Any], known: frozenset[str], where: str, what: str) -> None:
    unknown = sorted(key for key in data if key not in known)
    if unknown:
        raise AnswerShapeError(
            f"{where} has {'a field' if len(unknown) == 1 else 'fields'} {', '.join(map(repr, unknown))} that "
            f"{what} does not have (its fields: {', '.join(sorted(known))})"
        )


def _rule_items(parsed: Any) -> list[tuple[str, Any]]:
    """The rule objects, each with where it is in the file: the answer's ``result.rules``, a ruleset's ``rules``,
    or a list."""
    where = ""
    if isinstance(parsed, dict) and "result" in parsed:
        _unknown(parsed, ENVELOPE_FIELDS, "the answer", "Cloudflare's answer envelope")
        parsed, where = parsed["result"], "result."
    if isinstance(parsed, dict):
        _unknown(parsed, RULESET_FIELDS, where.rstrip(".") or "the ruleset", "a ruleset")
        parsed, where = parsed.get("rules"), f"{where}rules"
    else:
        where = where.rstrip(".") or "the list"
    if not isinstance(parsed, list):
        raise AnswerShapeError(
            f"{where or 'the file'} is not a list of rules: expected the entrypoint answer, a ruleset with "
            '"rules", or a list of rules each with "expression" and "action"'
        )
    prefix = "rules" if where == "the list" else where
    return [(f"{prefix}[{index}]", item) for index, item in enumerate(parsed)]


def _rule(item: Any, where: str, default_id: str) -> Rule:
    if not isinstance(item, dict):
        raise AnswerShapeError(f"{where} is not a rule object")
    _unknown(item, RULE_FIELDS, where, "Cloudflare's rule object")
    expression = item.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        raise AnswerShapeError(f"{where}.expression is missing or empty, expected the rule's expression")
    return Rule.from_api({"id": default_id, "action": "block", **item}, where)
