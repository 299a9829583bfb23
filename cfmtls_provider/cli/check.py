"""``check-client``: would Cloudflare let this client through to this hostname, and why.

Cloudflare asks for a client certificate only on hostnames associated with a CA; it verifies the chain
against the associated CAs (:func:`~cfmtls_provider.client_auth.trusted_for_hostname` says which count), sets
the ``cf.tls_client_auth.*`` fields (:func:`~cfmtls_provider.client_auth.client_auth`, the code the emulator's
edge runs too) and runs the zone's custom rules in order (:func:`~cfmtls_provider.custom_rules.run_custom_rules`,
the edge's runner too): the first matching rule with a terminating action decides. Where the edge answers 500 for
a rule it cannot evaluate, this says "cannot tell". https://developers.cloudflare.com/ssl/client-certificates/enable-mtls/ and
https://developers.cloudflare.com/waf/custom-rules/ (rules are evaluated in order; ``log`` does not stop;
``skip`` with ``ruleset: current`` skips the rules that follow, as the emulator's edge does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography import x509

from ..client_auth import NOT_PRESENTED, AssociatedCA, ClientAuth, client_auth, trust_anchors, trusted_for_hostname
from ..cloudflare.models import Rule
from ..custom_rules import BLOCKING_ACTIONS, RuleOutcome, request_fields, run_custom_rules
from .findings import rule_label

__all__ = ["ClientCheck", "ClientRequest", "Decision", "check_client"]

Decision = Literal["allowed", "refused", "unknown"]


@dataclass(frozen=True)
class ClientRequest:
    """What is known before the rules run: the CAs associated with the hostname, those that count, the fields."""

    hostname: str
    path: str
    associated: tuple[AssociatedCA, ...]
    counted: tuple[AssociatedCA, ...]
    auth: ClientAuth

    def verdict(
        self, outcomes: Sequence[RuleOutcome[Rule]], decision: Decision, rule: Rule | None, reason: str
    ) -> ClientCheck:
        return ClientCheck(self, tuple(outcomes), decision, rule, reason)


@dataclass(frozen=True)
class ClientCheck:
    request: ClientRequest
    outcomes: tuple[RuleOutcome[Rule], ...]
    decision: Decision
    deciding_rule: Rule | None
    reason: str

    @property
    def auth(self) -> ClientAuth:
        return self.request.auth


def check_client(
    hostname: str,
    chain: Sequence[x509.Certificate] | None,
    associated: Sequence[AssociatedCA],
    rules: Sequence[Rule],
    *,
    path: str = "/",
) -> ClientCheck:
    """The verdict for a client presenting ``chain`` (None: no certificate) on ``hostname``: the Host as the client
    sends it, which the rules see as ``http.host`` (``associated``: the CAs found for its canonical name)."""
    counted = trusted_for_hostname(associated)
    auth = client_auth(chain if associated else None, trust_anchors(counted))
    if chain and not associated:
        auth = ClientAuth(failure=f"no CA is associated with {hostname}: Cloudflare does not ask for a certificate")
    request = ClientRequest(hostname, path, tuple(associated), tuple(counted), auth)
    decision = run_custom_rules(rules, request_fields(hostname, auth, path))
    unknown = decision.not_evaluated
    deciding = decision.not_modelled[0] if decision.not_modelled else decision.deciding
    if deciding is not None and deciding.blocks:
        return _refused(request, decision.outcomes, unknown, deciding)
    if deciding is not None and deciding.effect == "skips_rest" and not unknown:
        reason = f"rule {rule_label(deciding.rule)} matches and skips the remaining custom rules"
        return request.verdict(decision.outcomes, "allowed", deciding.rule, reason)
    if deciding is not None:  # an action not modelled here, or a skip after a rule that could not be evaluated
        rule = deciding.rule
        reason = f"rule {rule_label(rule)} matches with action '{rule.action}', whose effect is not evaluated here"
        return request.verdict(decision.up_to(deciding), "unknown", rule, reason)
    if unknown:
        first = unknown[0]
        reason = (
            f"no rule evaluated here blocks the request, but rule {rule_label(first.rule)} could not be "
            f"evaluated ({first.reason})"
        )
        return request.verdict(decision.outcomes, "unknown", first.rule, reason)
    why = "its certificate verifies" if auth.cert_verified else "no rule matches the request"
    return request.verdict(decision.outcomes, "allowed", None, f"no custom rule blocks it ({why})")


def _refused(
    request: ClientRequest,
    outcomes: Sequence[RuleOutcome[Rule]],
    unknown: Sequence[RuleOutcome[Rule]],
    deciding: RuleOutcome[Rule],
) -> ClientCheck:
    rule, auth = deciding.rule, request.auth
    if not auth.cert_presented:
        cause = auth.failure if auth.failure and auth.failure != NOT_PRESENTED.failure else "no certificate presented"
    elif not auth.cert_verified:
        cause = f"the certificate does not verify: {auth.failure}"
    else:
        cause = f"the certificate verifies (issuer SKI {auth.cert_issuer_ski}) but the rule's other conditions hold"
    reason = f"rule {rule_label(rule)} ({rule.action}) matches: {cause}"
    # An earlier rule we could not evaluate could only have changed the outcome if it does not block itself.
    if any(item.rule.action not in BLOCKING_ACTIONS for item in unknown):
        reason += f"; but an earlier rule, {rule_label(unknown[0].rule)}, could not be evaluated"
        return request.verdict(outcomes, "unknown", rule, reason)
    return request.verdict(outcomes, "refused", rule, reason)
