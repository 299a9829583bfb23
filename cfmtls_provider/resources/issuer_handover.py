"""``IssuerHandover``: before hostnames move to a new CA, the pinned rule accepts that CA's clients too.

Cloudflare verifies a client certificate against the most recently deployed CA associated with the hostname
(https://developers.cloudflare.com/ssl/client-certificates/byo-ca/#multiple-cas-for-one-hostname). In a
rotation the new CA's association therefore switches verification to it at once, while a rule pinned to the
old issuer still blocks the new CA's clients until it is updated: for that moment no client is accepted
(measured with real clients through the emulator's edge: tests/e2e/test_edge_enforcement.py).

This resource runs before the association (``HostnameAssociation(..., opts=ResourceOptions(depends_on=
[handover]))``) and widens the pinned rule to accept the new issuer as well; the rule's own update, after the
association, pins only the new issuer again. So the old CA's clients are accepted until the hostnames move,
and the new CA's from that moment on. It only ever adds an issuer to a rule this stack pins (found by ref);
with no such rule yet (the first ``up``) or an unpinned rule it does nothing, and its delete does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..cloudflare.models import RuleSpec
from ..rules_language.enforcement import ExpressionTooLong, accept_issuer, normalise_ski
from ._base import ID_PATTERN, CloudflareProvider, is_unknown, require_id
from ._errors import ProviderError, api_call
from ._state import read_result, unset_outputs, zone_scoped_id
from .client_certificate_rule import default_ref

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["IssuerHandover", "IssuerHandoverProvider", "IssuerHandoverState"]


class IssuerHandoverState(TypedDict):
    """What the stack records of an :class:`IssuerHandover` (its declared outputs)."""

    zone_id: str
    rule_ref: str
    issuer_ski: str
    #: Whether the last create or update widened the rule (False: no rule with that ref, or it pins no issuer).
    widened: bool


def handover_id(zone_id: str, rule_ref: str) -> str:
    """The resource's id: ``<zone_id>/<rule_ref>`` (never parsed: every method gets the state)."""
    return zone_scoped_id(zone_id, rule_ref)


def _outputs(props: Mapping[str, Any], widened: bool) -> IssuerHandoverState:
    return {
        "zone_id": props["zone_id"],
        "rule_ref": props["rule_ref"],
        "issuer_ski": props["issuer_ski"],
        "widened": widened,
    }


class IssuerHandoverProvider(CloudflareProvider):
    """Create and update: widen the rule (found by ref) to accept ``issuer_ski``; delete: nothing."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the zone, ref and SKI. No API call: safe to run any number of times."""
        inputs = dict(news)
        failures: list[CheckFailure] = []
        require_id(inputs, "zone_id", "Cloudflare zone id", failures, pattern=ID_PATTERN)
        if not inputs.get("rule_ref"):
            failures.append(CheckFailure("rule_ref", "rule_ref is required (IssuerHandover sets it from rule_name)."))
        ski = inputs.get("issuer_ski")
        if not is_unknown(ski):
            try:
                inputs["issuer_ski"] = normalise_ski(str(ski or ""))
            except ValueError as error:
                failures.append(CheckFailure("issuer_ski", str(error)))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new zone or ref; update on a new issuer. No API call."""
        replaces = [
            key for key in ("zone_id", "rule_ref") if is_unknown(news.get(key)) or olds.get(key) != news.get(key)
        ]
        changed = is_unknown(news.get("issuer_ski")) or olds.get("issuer_ski") != news.get("issuer_ski")
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    def _hand_over(self, client: CloudflareClient, props: Mapping[str, Any]) -> IssuerHandoverState:
        zone_id, ref, ski = props["zone_id"], props["rule_ref"], props["issuer_ski"]
        doing = f"Letting the client-certificate rule {ref} of zone {zone_id} accept issuer {ski} too"
        with api_call(doing):
            ruleset = client.get_custom_rules_entrypoint(zone_id)
            rule = ruleset.rule_by_ref(ref) if ruleset is not None else None
            try:
                widened = accept_issuer(rule.expression, ski) if rule is not None else None
            except ExpressionTooLong as error:
                raise ProviderError(f"{doing}: {error}") from None
            if ruleset is not None and rule is not None and widened is not None:
                spec = RuleSpec(ref, widened, rule.action, rule.description, rule.enabled)
                client.update_rule(zone_id, ruleset.id, rule.id, spec)
        return _outputs(props, widened is not None)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Widen the pinned rule found by ref to accept ``issuer_ski`` too (one GET, at most one PATCH; nothing
        when there is no such rule, it pins no issuer, or it accepts this one already). Idempotent: if this call
        fails the rule is either unchanged or widened, and a re-run finds it widened and writes nothing."""
        outs = self._hand_over(self.client(), props)
        return CreateResult(handover_id(outs["zone_id"], outs["rule_ref"]), dict(outs))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """As :meth:`create`, for the new issuer."""
        return UpdateResult(dict(self._hand_over(self.client(), news)))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the rule belongs to its ClientCertificateRule, which pins the current issuer."""

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The recorded state, without an API call: nothing at Cloudflare is this resource's own (the rule
        belongs to its ClientCertificateRule, whose read shows its drift)."""
        return read_result(id_, _outputs(props, bool(props.get("widened"))))


@dataclass
class _Args:
    zone_id: pulumi.Input[str]
    rule_ref: pulumi.Input[str]
    issuer_ski: pulumi.Input[str]


class IssuerHandover(pulumi.dynamic.Resource, module="cfmtls", name="IssuerHandover"):
    """Before the hostnames move to the CA whose SKI is ``issuer_ski``, let the pinned rule accept it too.

    ``rule_name`` is the ClientCertificateRule's resource name (its default ref is derived from it); pass
    ``rule_ref`` instead if you set the rule's ``ref``. Make the HostnameAssociation depend on this resource.
    """

    zone_id: pulumi.Output[str]
    rule_ref: pulumi.Output[str]
    issuer_ski: pulumi.Output[str]
    widened: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        zone_id: pulumi.Input[str],
        issuer_ski: pulumi.Input[str],
        rule_name: str | None = None,
        rule_ref: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if rule_ref is None:
            if rule_name is None:
                raise TypeError("IssuerHandover needs rule_name= (the ClientCertificateRule's name) or rule_ref=")
            rule_ref = default_ref(rule_name)
        props: dict[str, Any] = {
            **unset_outputs(IssuerHandoverState),
            "zone_id": zone_id,
            "rule_ref": rule_ref,
            "issuer_ski": issuer_ski,
        }
        super().__init__(IssuerHandoverProvider(), resource_name, props, opts)
