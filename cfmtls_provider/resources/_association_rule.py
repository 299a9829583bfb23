"""A ``HostnameAssociation``'s own WAF custom rule: its default ref, what it says as a :class:`RuleState`, the
:class:`RuleSpec` written for a state, and what a live rule found at Cloudflare says.

The rule's description is the association's journal: it names every CA whose hostname list the association may
have written and not yet emptied (``cfmtls: clients of CA <old> or <new> only (corp-hosts)`` while moving between
CAs). It is written in the first write of a change of CA, before any list of the new CA, so a later run that finds
the rule knows which lists to look at: an interrupted or failed run is resumed from what Cloudflare holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi

from ..cloudflare.models import Rule, RuleSpec
from ..custom_rules import parsed_expression, request_fields
from ..hostnames import sample_hostname
from ..rules_language import RulesLanguageError, evaluate
from ..rules_language.enforcement import ExpressionTooLong, build_expression, pinned_issuers
from ..transitions import RuleState
from ._errors import ProviderError

__all__ = [
    "default_rule_ref",
    "describe",
    "expression_for",
    "journal_of",
    "live_rule_state",
    "recorded_rule_state",
    "rule_spec",
]

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_READABLE_PART = 24
_JOURNAL = re.compile(r"^cfmtls: clients of CA (?P<cas>\S+(?: or \S+)*) only \((?P<owner>.*)\)$")


def default_rule_ref(resource_name: str, project: str | None = None, stack: str | None = None) -> str:
    """``cfmtls_<readable name>_<hash>``: the hash (96 bits of SHA-256) is over the exact (kind, project, stack,
    resource name), so two resources never share a rule whatever their names ("edge hosts", "edge/hosts"). Used at
    the association's first create only: its state keeps the ref after that, through renames (aliases) and
    ``pulumi stack rename``."""
    project = pulumi.get_project() if project is None else project
    stack = pulumi.get_stack() if stack is None else stack
    owner = "\0".join(("cfmtls", "HostnameAssociation", project, stack, resource_name))
    digest = hashlib.sha256(owner.encode()).hexdigest()[:24]
    readable = _REF_UNSAFE.sub("_", resource_name).strip("_")[:_READABLE_PART] or "hosts"
    return f"cfmtls_{readable}_{digest}"


def describe(journal: Iterable[str], declared_by: str) -> str:
    """The rule's description: what it admits, in words, and the journal (see the module)."""
    return f"cfmtls: clients of CA {' or '.join(journal)} only ({declared_by})"


def journal_of(rule: Rule) -> tuple[str, ...] | None:
    """The CAs a rule of ours names; None when the description is not one this package writes."""
    found = _JOURNAL.match(rule.description)
    return tuple(found.group("cas").split(" or ")) if found else None


def expression_for(hostnames: Iterable[str], issuers: Iterable[str] | None) -> str:
    """The rule's expression for these hostnames and issuers, whatever order they are listed in (so that the
    preview's expression and the one written are the same text). Raises ExpressionTooLong, HostnameError."""
    return build_expression(sorted(set(hostnames)), sorted(set(issuers)) if issuers is not None else None)


def rule_spec(state: RuleState, ref: str, declared_by: str) -> RuleSpec:
    """The rule as Cloudflare is asked to hold it."""
    try:
        expression = expression_for(state.hostnames, state.issuers)
    except ExpressionTooLong as error:
        raise ProviderError(str(error)) from None
    return RuleSpec(ref, expression, state.action, describe(state.journal, declared_by), True)


def recorded_rule_state(olds: Mapping[str, Any]) -> RuleState | None:
    """What the rule said at the end of the last successful run, from the state (None: no rule recorded, as for a
    stack deployed by a version of this package whose associations had no rule of their own, or when a refresh found
    no hostname left in the list: the plan then starts from the live rule)."""
    if not olds.get("rule_id") or not olds.get("hostnames"):
        return None
    ski = olds.get("issuer_ski") or ""
    return RuleState(
        hostnames=frozenset(olds.get("hostnames") or ()),
        issuers=frozenset({ski}) if olds.get("pin_issuer", True) and ski else None,
        action=olds.get("action") or "block",
        journal=(olds["mtls_certificate_id"],),
    )


def _requires(rule: Rule, pattern: str) -> bool:
    """Whether the live rule stops a request without a certificate to a hostname ``pattern`` covers; a rule that
    cannot be evaluated is taken to (the safe assumption when planning what to relax)."""
    expression = parsed_expression(rule.expression)
    if isinstance(expression, RulesLanguageError):
        return True
    try:
        return evaluate(expression, request_fields(sample_hostname(pattern)))
    except RulesLanguageError:
        return True


def live_rule_state(rule: Rule, candidates: Iterable[str], journal: tuple[str, ...]) -> RuleState:
    """What a live rule of ours says, as far as the plan needs: which of the ``candidates`` hostnames it protects
    (evaluated, never read from the expression's text), which issuers it accepts, its action and journal."""
    issuers = pinned_issuers(rule.expression)
    return RuleState(
        hostnames=frozenset(pattern for pattern in candidates if _requires(rule, pattern)),
        issuers=frozenset(issuers) if issuers else None,
        action=rule.action if rule.enabled else "disabled",
        journal=journal,
    )
