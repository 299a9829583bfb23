"""``ClientCertificateRule``: one WAF custom rule that blocks requests without a valid client certificate.

It manages exactly one rule in the zone's ``http_request_firewall_custom`` entrypoint, through the
single-rule endpoints, found again by a stable ``ref``. Other rules, and their order, are never touched:
the entrypoint is never PUT whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..cloudflare.errors import APIStatusError, CloudflareError, NotFoundError
from ..cloudflare.models import Rule, Ruleset, RuleSpec
from ..hostnames import hostname_problems
from ..rule_expression import ALLOWED_ACTIONS, build_expression, normalise_ski
from ..rules_language import ExpressionSyntaxError, parse
from ._base import ID_PATTERN, CloudflareProvider, ProviderError, explain, is_unknown, require_id

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["ClientCertificateRule", "ClientCertificateRuleArgs", "ClientCertificateRuleProvider"]

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")
#: Inputs compared against the live rule (the expression stands for hostnames and issuer_ski).
_RULE_FIELDS = ("expression", "action", "description", "enabled")


def default_ref(resource_name: str) -> str:
    """A ref unique to this project, stack and resource, so two stacks never share a rule."""
    raw = f"cfmtls:{pulumi.get_project()}:{pulumi.get_stack()}:{resource_name}"
    return _REF_UNSAFE.sub("_", raw)[:100]


def _spec(props: Mapping[str, Any]) -> RuleSpec:
    return RuleSpec(
        ref=props["ref"],
        expression=build_expression(props["hostnames"], props.get("issuer_ski") or None),
        action=props.get("action") or "block",
        description=props.get("description") or "",
        enabled=props.get("enabled", True) is not False,
    )


def _outputs(props: Mapping[str, Any], ruleset: Ruleset, rule: Rule) -> dict[str, Any]:
    return {
        "zone_id": props["zone_id"],
        "hostnames": list(props["hostnames"]),
        "mtls_certificate_id": props.get("mtls_certificate_id") or "",
        "issuer_ski": props.get("issuer_ski") or "",
        "ref": rule.ref,
        "ruleset_id": ruleset.id,
        "rule_id": rule.id,
        "expression": rule.expression,
        "action": rule.action,
        "description": rule.description,
        "enabled": rule.enabled,
    }


def _expression_problems(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """Refuse, at preview, an expression Cloudflare's engine would reject (checked with our parser, which
    accepts exactly what wirefilter accepts within the client-certificate subset)."""
    hostnames, ski = inputs.get("hostnames"), inputs.get("issuer_ski")
    if is_unknown(hostnames) or is_unknown(ski) or any(map(is_unknown, hostnames or [])):
        return []
    expression = build_expression(list(hostnames or []), str(ski) if ski else None)
    try:
        parse(expression)
    except ExpressionSyntaxError as error:
        return [CheckFailure("hostnames", f"Cloudflare would reject the rule expression {expression!r}: {error}")]
    return []


class ClientCertificateRuleProvider(CloudflareProvider):
    """Create (entrypoint if absent, then one rule), PATCH, DELETE and read one rule by id and ref."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures: list[CheckFailure] = []
        require_id(inputs, "zone_id", "Cloudflare zone id", failures, pattern=ID_PATTERN)
        hostnames = inputs.get("hostnames")
        if not is_unknown(hostnames) and not (isinstance(hostnames, list) and any(map(is_unknown, hostnames))):
            problems = hostname_problems(hostnames)
            if problems:
                failures.append(CheckFailure("hostnames", "hostnames: " + "; ".join(problems)))
        ski = inputs.get("issuer_ski")
        if ski and not is_unknown(ski):
            try:
                inputs["issuer_ski"] = normalise_ski(str(ski))
            except ValueError as error:
                failures.append(CheckFailure("issuer_ski", str(error)))
        action = inputs.get("action") or "block"
        if not is_unknown(action) and action not in ALLOWED_ACTIONS:
            failures.append(CheckFailure("action", f"action {action!r} is not one of {', '.join(ALLOWED_ACTIONS)}."))
        inputs["action"] = action
        if inputs.get("enabled") is None:
            inputs["enabled"] = True
        if not inputs.get("ref"):
            failures.append(CheckFailure("ref", "ref is required (ClientCertificateRule sets one by default)."))
        if not failures:
            failures.extend(_expression_problems(inputs))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in ("zone_id", "ref") if is_unknown(news.get(key)) or olds.get(key) != news.get(key)]
        try:
            wanted = _spec(news).body()
        except (TypeError, ValueError, KeyError):
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        changed = any(olds.get(key) != wanted[key] for key in _RULE_FIELDS)
        changed = changed or (olds.get("mtls_certificate_id") or "") != (news.get("mtls_certificate_id") or "")
        changed = changed or sorted(olds.get("hostnames") or []) != sorted(news.get("hostnames") or [])
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    # -- lifecycle --------------------------------------------------------------------------------

    def _entrypoint(self, client: CloudflareClient, zone_id: str, doing: str) -> Ruleset | None:
        try:
            return client.get_custom_rules_entrypoint(zone_id)
        except CloudflareError as error:
            raise ProviderError(explain(error, doing)) from None

    def _write(
        self, client: CloudflareClient, props: Mapping[str, Any], doing: str, rule_id: str = ""
    ) -> dict[str, Any]:
        """Make the live rule match ``props``: PATCH it if it exists (by id, then ref), else add it."""
        zone_id, spec = props["zone_id"], _spec(props)
        ruleset = self._entrypoint(client, zone_id, doing)
        try:
            if ruleset is None:
                ruleset = self._create_entrypoint(client, zone_id, spec)
            else:
                existing = (ruleset.rule_by_id(rule_id) if rule_id else None) or ruleset.rule_by_ref(spec.ref)
                if existing is None:
                    ruleset = client.add_rule(zone_id, ruleset.id, spec)
                elif (existing.expression, existing.action, existing.description, existing.enabled) != (
                    spec.expression,
                    spec.action,
                    spec.description,
                    spec.enabled,
                ):
                    ruleset = client.update_rule(zone_id, ruleset.id, existing.id, spec)
        except CloudflareError as error:
            raise ProviderError(explain(error, doing)) from None
        rule = ruleset.rule_by_ref(spec.ref)
        if rule is None:
            raise ProviderError(f"{doing}: Cloudflare's answer does not hold the rule (ref {spec.ref}).")
        return _outputs(props, ruleset, rule)

    @staticmethod
    def _create_entrypoint(client: CloudflareClient, zone_id: str, spec: RuleSpec) -> Ruleset:
        """Create the zone's entrypoint holding our rule. If another writer (often a second rule of this
        stack, created in parallel) made the entrypoint since we looked, add our rule to theirs."""
        try:
            return client.create_custom_rules_entrypoint(zone_id, spec)
        except APIStatusError as error:
            if not 400 <= error.status_code < 500:
                raise
            ruleset = client.get_custom_rules_entrypoint(zone_id)
            if ruleset is None:
                raise
        if ruleset.rule_by_ref(spec.ref) is not None:
            return ruleset
        return client.add_rule(zone_id, ruleset.id, spec)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._write(self.client(), props, f"Creating the client-certificate rule in zone {props['zone_id']}")
        return CreateResult(f"{outs['zone_id']}/{outs['rule_id']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PATCH the rule where the state says it is (one call); if it is gone from there, fall back on
        finding it by ref or adding it again."""
        doing = f"Updating the client-certificate rule in zone {news['zone_id']}"
        client, spec = self.client(), _spec(news)
        ruleset_id, rule_id = olds.get("ruleset_id") or "", olds.get("rule_id") or ""
        if ruleset_id and rule_id and olds.get("zone_id") == news["zone_id"]:
            try:
                ruleset = client.update_rule(news["zone_id"], ruleset_id, rule_id, spec)
            except NotFoundError:
                ruleset = None
            except CloudflareError as error:
                raise ProviderError(explain(error, doing)) from None
            rule = ruleset.rule_by_id(rule_id) if ruleset is not None else None
            if ruleset is not None and rule is not None and rule.ref == spec.ref:
                return UpdateResult(_outputs(news, ruleset, rule))
        return UpdateResult(self._write(client, news, doing, rule_id=rule_id))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        doing = f"Deleting the client-certificate rule {props.get('rule_id')} in zone {props['zone_id']}"
        try:
            self.client().delete_rule(props["zone_id"], props["ruleset_id"], props["rule_id"])
        except CloudflareError as error:
            raise ProviderError(explain(error, doing)) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        zone_id = props.get("zone_id") or id_.partition("/")[0]
        ruleset = self._entrypoint(self.client(), zone_id, f"Reading the custom rules of zone {zone_id}")
        rule = None
        if ruleset is not None:
            rule = ruleset.rule_by_id(props.get("rule_id") or id_.partition("/")[2]) or ruleset.rule_by_ref(
                props.get("ref") or ""
            )
        if ruleset is None or rule is None:
            return ReadResult(None, {})
        outs = dict(props)
        outs.update(
            ruleset_id=ruleset.id,
            rule_id=rule.id,
            ref=rule.ref,
            expression=rule.expression,
            action=rule.action,
            description=rule.description,
            enabled=rule.enabled,
        )
        return ReadResult(id_, outs)


@dataclass
class ClientCertificateRuleArgs:
    """Inputs of :class:`ClientCertificateRule`."""

    zone_id: pulumi.Input[str]
    hostnames: pulumi.Input[Sequence[pulumi.Input[str]]]
    mtls_certificate_id: pulumi.Input[str] | None = None
    issuer_ski: pulumi.Input[str] | None = None
    action: pulumi.Input[str] | None = None
    description: pulumi.Input[str] | None = None
    enabled: pulumi.Input[bool] | None = None
    ref: pulumi.Input[str] | None = None


class ClientCertificateRule(pulumi.dynamic.Resource, module="cfmtls", name="ClientCertificateRule"):
    """Blocks (by default) requests to ``hostnames`` without a verified client certificate.

    With ``issuer_ski`` (pass ``MTLSCertificate.subject_key_identifier``) only certificates issued by
    that CA pass. Pass ``HostnameAssociation.hostnames`` as ``hostnames`` so the rule is created after,
    and deleted before, the associations it relies on.
    """

    zone_id: pulumi.Output[str]
    hostnames: pulumi.Output[list[str]]
    ruleset_id: pulumi.Output[str]
    rule_id: pulumi.Output[str]
    ref: pulumi.Output[str]
    expression: pulumi.Output[str]
    action: pulumi.Output[str]
    enabled: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        args: ClientCertificateRuleArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        zone_id: pulumi.Input[str] | None = None,
        hostnames: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        mtls_certificate_id: pulumi.Input[str] | None = None,
        issuer_ski: pulumi.Input[str] | None = None,
        action: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        enabled: pulumi.Input[bool] | None = None,
        ref: pulumi.Input[str] | None = None,
    ) -> None:
        if args is None:
            if zone_id is None or hostnames is None:
                raise TypeError("ClientCertificateRule needs zone_id= and hostnames=")
            args = ClientCertificateRuleArgs(
                zone_id, hostnames, mtls_certificate_id, issuer_ski, action, description, enabled, ref
            )
        props: dict[str, Any] = {
            "zone_id": args.zone_id,
            "hostnames": args.hostnames,
            "mtls_certificate_id": args.mtls_certificate_id,
            "issuer_ski": args.issuer_ski,
            "action": args.action,
            "description": args.description
            if args.description is not None
            else f"cfmtls: require a client certificate ({resource_name})",
            "enabled": args.enabled,
            "ref": args.ref or default_ref(resource_name),
            "ruleset_id": None,
            "rule_id": None,
            "expression": None,
        }
        super().__init__(ClientCertificateRuleProvider(), resource_name, props, opts)
