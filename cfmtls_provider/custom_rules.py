"""What a zone's WAF custom rules decide for one request: the one rules runner.

Pure (no I/O). The emulator's mTLS edge (:mod:`cfmtls_provider.emulator.edge.decide`) and ``cfmtls check-client``
(:mod:`cfmtls_provider.cli.check`) both call :func:`run_custom_rules` on the fields
:func:`request_fields` builds, and differ only in how they render a :class:`RulesDecision`: a rule that cannot be
evaluated is an HTTP 500 at the edge and "cannot tell" for check-client.

Cloudflare runs the enabled rules of the ``http_request_firewall_custom`` phase in order; a matching rule with a
terminating action (``block``, a challenge) ends the run; ``log`` does not; ``skip`` with
``{"ruleset": "current"}`` skips the rules that follow, another ``skip`` (phases, products) does not.
https://developers.cloudflare.com/waf/custom-rules/ and
https://developers.cloudflare.com/ruleset-engine/rules-language/actions/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Literal, Protocol, TypeVar

from .client_auth import NOT_PRESENTED, ClientAuth
from .rules_language import Expression, ExpressionSyntaxError, FieldValue, RulesLanguageError, evaluate, parse

__all__ = [
    "BLOCKING_ACTIONS",
    "CHALLENGE_ACTIONS",
    "Effect",
    "RuleLike",
    "RuleOutcome",
    "RulesDecision",
    "action_effect",
    "parsed_expression",
    "request_fields",
    "rule_outcome",
    "run_custom_rules",
]

#: Challenges: a page a client that runs no JavaScript (an API client, curl) cannot pass.
CHALLENGE_ACTIONS = frozenset({"challenge", "js_challenge", "managed_challenge"})
#: Actions that stop the request when their rule matches.
BLOCKING_ACTIONS = frozenset({"block"}) | CHALLENGE_ACTIONS

#: What a matching rule does to the run: ``stops`` it (a blocking action), ``skips_rest`` (``skip`` of the
#: current ruleset: the request goes on to the origin), ``continues`` (``log``, ``skip`` of other phases or
#: products), or has an effect that is ``not_modelled`` here (``execute``: a custom ruleset we do not run).
Effect = Literal["stops", "skips_rest", "continues", "not_modelled"]


class RuleLike(Protocol):
    """What the runner reads of a rule (the API model and the emulator's stored rule both fit)."""

    @property
    def id(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def expression(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def action_parameters(self) -> Mapping[str, object] | None: ...


RuleT = TypeVar("RuleT", bound=RuleLike)


def request_fields(hostname: str, auth: ClientAuth = NOT_PRESENTED, path: str = "/") -> dict[str, FieldValue]:
    """The fields the rules see for a request to ``hostname`` and ``path`` whose client sent what ``auth``
    describes."""
    return {"http.host": hostname, "http.request.uri.path": path, **auth.fields()}


@lru_cache(maxsize=1024)
def parsed_expression(expression: str) -> Expression | RulesLanguageError:
    """The expression parsed once, or the error that says why it is not evaluated."""
    try:
        return parse(expression)
    except RulesLanguageError as error:
        return error


def action_effect(rule: RuleLike) -> Effect:
    """What ``rule`` does to the run when it matches."""
    if rule.action in BLOCKING_ACTIONS:
        return "stops"
    if rule.action == "skip" and (rule.action_parameters or {}).get("ruleset") == "current":
        return "skips_rest"
    if rule.action in ("log", "skip"):
        return "continues"
    return "not_modelled"


@dataclass(frozen=True)
class RuleOutcome(Generic[RuleT]):
    """One rule against one request: ``matched`` is None when the rule cannot be evaluated (``error``)."""

    rule: RuleT
    matched: bool | None
    error: RulesLanguageError | None = None

    @property
    def reason(self) -> str:
        """Why the rule is not evaluated (a phrase for a user), or ""."""
        if self.error is None:
            return ""
        if isinstance(self.error, ExpressionSyntaxError):
            return f"Cloudflare's engine would reject it: {self.error}"
        return f"cannot evaluate: {self.error}"

    @property
    def effect(self) -> Effect | None:
        """What this rule did to the run; None when it did not match or cannot be evaluated."""
        return action_effect(self.rule) if self.matched else None

    @property
    def blocks(self) -> bool:
        return self.effect == "stops" and self.rule.enabled


def rule_outcome(rule: RuleT, fields: Mapping[str, FieldValue]) -> RuleOutcome[RuleT]:
    """``rule``'s expression evaluated on ``fields`` (its action is not looked at)."""
    expression = parsed_expression(rule.expression)
    if isinstance(expression, RulesLanguageError):
        return RuleOutcome(rule, None, expression)
    try:
        return RuleOutcome(rule, evaluate(expression, fields))
    except RulesLanguageError as error:
        return RuleOutcome(rule, None, error)


@dataclass(frozen=True)
class RulesDecision(Generic[RuleT]):
    """The run of a ruleset's enabled rules, in order, up to the one that ended it (``deciding``).

    A rule that cannot be evaluated, or that matches with an effect not modelled here, does not end the run: it
    leaves the verdict open, and what that means is the caller's to say (``not_evaluated``, ``not_modelled``)."""

    outcomes: tuple[RuleOutcome[RuleT], ...]

    @property
    def deciding(self) -> RuleOutcome[RuleT] | None:
        """The matching rule that ended the run (it stops the request or skips the rest), or None: every rule ran
        and the request goes on to the origin."""
        last = self.outcomes[-1] if self.outcomes else None
        return last if last is not None and last.effect in ("stops", "skips_rest") else None

    @property
    def not_evaluated(self) -> tuple[RuleOutcome[RuleT], ...]:
        """The rules run that could not be evaluated, in order."""
        return tuple(item for item in self.outcomes if item.matched is None)

    @property
    def not_modelled(self) -> tuple[RuleOutcome[RuleT], ...]:
        """The matching rules run whose effect is not modelled here (``execute``), in order."""
        return tuple(item for item in self.outcomes if item.effect == "not_modelled")

    @property
    def last_match(self) -> RuleOutcome[RuleT] | None:
        """The last rule run that matched (a ``log`` rule the request went past, or the deciding one)."""
        return next((item for item in reversed(self.outcomes) if item.matched), None)

    def up_to(self, outcome: RuleOutcome[RuleT]) -> tuple[RuleOutcome[RuleT], ...]:
        """The outcomes from the first rule run to ``outcome``."""
        return self.outcomes[: self.outcomes.index(outcome) + 1]


def run_custom_rules(rules: Sequence[RuleT], fields: Mapping[str, FieldValue]) -> RulesDecision[RuleT]:
    """Run the enabled ``rules`` in order on a request's ``fields``, as Cloudflare's custom rules phase does."""
    outcomes: list[RuleOutcome[RuleT]] = []
    for rule in rules:
        if not rule.enabled:
            continue
        outcomes.append(rule_outcome(rule, fields))
        if outcomes[-1].effect in ("stops", "skips_rest"):
            break
    return RulesDecision(tuple(outcomes))
