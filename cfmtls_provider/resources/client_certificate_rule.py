"""``ClientCertificateRule``: one WAF custom rule that blocks requests without a valid client certificate.

It manages exactly one rule in the zone's ``http_request_firewall_custom`` entrypoint, through the
single-rule endpoints, found again by a stable ``ref``. Other rules, and their order, are never touched:
the entrypoint is never PUT whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import UNKNOWN

from ..cloudflare.errors import APIStatusError, InternalServerError, NotFoundError
from ..cloudflare.models import Rule, Ruleset, RuleSpec
from ..hostnames import hostname_problems
from ..rules_language import ExpressionSyntaxError, parse
from ..rules_language.enforcement import (
    ALLOWED_ACTIONS,
    ExpressionTooLong,
    build_expression,
    expression_length_problem,
    normalise_ski,
)
from ._base import (
    ID_PATTERN,
    CloudflareProvider,
    differs,
    has_unknown,
    is_unknown,
    refuse_import,
    require_id,
    same_items,
)
from ._errors import ProviderError, api_call
from ._pinning import PinnedRule, conflicting_pins
from ._state import read_result, split_zone_scoped_id, unset_outputs, zone_scoped_id

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = [
    "ClientCertificateRule",
    "ClientCertificateRuleArgs",
    "ClientCertificateRuleProvider",
    "ClientCertificateRuleState",
]

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
#: Inputs compared against the live rule (the expression stands for hostnames and issuer_ski).
_RULE_FIELDS = ("expression", "action", "description", "enabled")
#: The inputs a refresh records from the live rule (see :func:`._state.read_result`; the expression stands for
#: hostnames and issuer_ski).
_LIVE_INPUTS = ("zone_id", "hostnames", "mtls_certificate_id", "issuer_ski", "ref", "adopt_existing", *_RULE_FIELDS)
#: Cloudflare documents no maximum length for a rule's ``ref`` (the Rulesets API schema gives ``minLength: 1``
#: only; https://developers.cloudflare.com/api/resources/rulesets/subresources/rules/methods/create/); default
#: refs stay at most this long, far under any plausible limit.
DEFAULT_REF_MAX = 64
_READABLE_PART = 24


def default_ref(resource_name: str, project: str | None = None, stack: str | None = None) -> str:
    """``cfmtls_<readable name>_<hash>``: the hash (96 bits of SHA-256) is over the exact (project, stack,
    resource name), so two resources never share a rule whatever their names ("edge rule", "edge/rule");
    the readable part only helps a person find the rule in the dashboard."""
    project = pulumi.get_project() if project is None else project
    stack = pulumi.get_stack() if stack is None else stack
    digest = hashlib.sha256("\0".join(("cfmtls", project, stack, resource_name)).encode()).hexdigest()[:24]
    readable = _REF_UNSAFE.sub("_", resource_name).strip("_")[:_READABLE_PART] or "rule"
    return f"cfmtls_{readable}_{digest}"


def _spec(props: Mapping[str, Any]) -> RuleSpec:
    try:
        expression = build_expression(props["hostnames"], props.get("issuer_ski") or None)
    except ExpressionTooLong as error:
        raise ProviderError(str(error)) from None
    return RuleSpec(
        ref=props["ref"],
        expression=expression,
        action=props.get("action") or "block",
        description=props.get("description") or "",
        enabled=props.get("enabled", True) is not False,
    )


def _planned_rule(props: Mapping[str, Any]) -> dict[str, Any]:
    """The rule fields as they will be written, with UNKNOWN for any not known yet."""
    expression = props.get("expression")
    if not isinstance(expression, str) and not has_unknown(props.get("hostnames")):
        try:
            expression = build_expression(props["hostnames"], props.get("issuer_ski") or None)
        except (TypeError, ValueError, KeyError, AttributeError):  # ExpressionTooLong too: check reports it
            expression = UNKNOWN
    action = props.get("action") or "block"
    enabled = props.get("enabled")
    return {
        "expression": expression if expression is not None else UNKNOWN,
        "action": action,
        "description": props.get("description") or "",
        "enabled": enabled if is_unknown(enabled) else enabled is not False,
    }


class ClientCertificateRuleState(TypedDict):
    """What the stack records of a :class:`ClientCertificateRule` (its declared outputs)."""

    zone_id: str
    hostnames: list[str]
    mtls_certificate_id: str
    issuer_ski: str
    ref: str
    ruleset_id: str
    rule_id: str
    expression: str
    action: str
    description: str
    enabled: bool


def rule_resource_id(zone_id: str, rule_id: str) -> str:
    """The resource's id: ``<zone_id>/<rule_id>`` (Cloudflare's rule id; the rule is also found by ref)."""
    return zone_scoped_id(zone_id, rule_id)


def parse_rule_resource_id(id_: str) -> tuple[str, str]:
    """The ``(zone_id, rule_id)`` of a :func:`rule_resource_id`."""
    return split_zone_scoped_id(id_)


def _outputs(props: Mapping[str, Any], ruleset: Ruleset, rule: Rule) -> ClientCertificateRuleState:
    """The state: the inputs (or the recorded state, at read) and the live rule."""
    return {
        "zone_id": props["zone_id"],
        "hostnames": list(props.get("hostnames") or []),
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


def _expression_problems(expression: str) -> list[CheckFailure]:
    """Refuse, at preview, an expression Cloudflare's engine would reject (checked with our parser, which
    accepts exactly what wirefilter accepts within the client-certificate subset)."""
    try:
        parse(expression)
    except ExpressionSyntaxError as error:
        return [CheckFailure("hostnames", f"Cloudflare would reject the rule expression {expression!r}: {error}")]
    return []


def _differences(rule: Rule, spec: RuleSpec) -> list[str]:
    live: dict[str, Any] = {
        "expression": rule.expression,
        "action": rule.action,
        "description": rule.description,
        "enabled": rule.enabled,
    }
    wanted = spec.body()
    return [key for key in _RULE_FIELDS if live[key] != wanted[key]]


def _refuse_a_foreign_rule(zone_id: str, rule: Rule | None, spec: RuleSpec) -> None:
    """A rule with our ref found at create: the same definition is ours (a run interrupted after its POST);
    a different one belongs to someone else, and adopting it silently would leave one of two hostname sets
    unprotected and make every later run flip the rule between two resources."""
    if rule is None:
        return
    differs = _differences(rule, spec)
    if not differs:
        return
    raise ProviderError(
        f"Zone {zone_id} already has a rule with ref {spec.ref!r} (rule {rule.id}, {rule.action} "
        f"{rule.expression!r}) that differs from this one in {', '.join(differs)}. It was not made by this "
        "resource, and two resources must never share one rule. Give this ClientCertificateRule its own "
        "ref= (by default every resource gets a ref unique to its project, stack and name); or, to take that "
        "rule over (it becomes exactly this definition), set adopt_existing=True. Nothing was changed."
    )


class ClientCertificateRuleProvider(CloudflareProvider):
    """Create (entrypoint if absent, then one rule), PATCH, DELETE and read one rule by id and ref."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate what is known; compute the rule's expression when its parts are known, so that
        `pulumi preview` shows the exact expression to be written. Unknown values (at preview) pass.
        No API call: safe to run any number of times."""
        inputs = dict(news)
        failures: list[CheckFailure] = []
        if inputs.get("ref_is_default") and isinstance(olds.get("ref"), str) and olds["ref"]:
            # A rule deployed before (perhaps by an older version with another default ref) keeps its ref:
            # a new default must neither orphan nor duplicate it.
            inputs["ref"] = olds["ref"]
        require_id(inputs, "zone_id", "Cloudflare zone id", failures, pattern=ID_PATTERN)
        hostnames: Any = inputs.get("hostnames")
        expression_known = not has_unknown(hostnames)
        if expression_known:
            problems = hostname_problems(hostnames)
            if problems:
                failures.append(CheckFailure("hostnames", "hostnames: " + "; ".join(problems)))
                expression_known = False
        ski = inputs.get("issuer_ski")
        if has_unknown(ski):
            expression_known = False
        elif ski:
            try:
                inputs["issuer_ski"] = normalise_ski(ski if isinstance(ski, str) else repr(ski))
            except ValueError as error:
                failures.append(CheckFailure("issuer_ski", str(error)))
                expression_known = False
        if not failures and isinstance(hostnames, list) and not has_unknown(hostnames):
            ski = inputs.get("issuer_ski")
            problem = expression_length_problem(hostnames, ski or None, ski_known=not has_unknown(ski))
            if problem:
                failures.append(CheckFailure("hostnames", f"hostnames: {problem}."))
        action = inputs.get("action") or "block"
        if not is_unknown(action) and action not in ALLOWED_ACTIONS:
            failures.append(CheckFailure("action", f"action {action!r} is not one of {', '.join(ALLOWED_ACTIONS)}."))
        inputs["action"] = action
        if inputs.get("enabled") is None:
            inputs["enabled"] = True
        if not inputs.get("ref"):
            failures.append(CheckFailure("ref", "ref is required (ClientCertificateRule sets one by default)."))
        inputs["expression"] = UNKNOWN
        if expression_known and not failures:
            inputs["expression"] = build_expression(hostnames, inputs.get("issuer_ski") or None)
            unchanged = all(olds.get(key) == inputs.get(key) for key in ("hostnames", "issuer_ski"))
            if not unchanged:  # an unchanged expression passed this check when it was made
                failures.extend(_expression_problems(inputs["expression"]))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new zone or ref; update when the rule Cloudflare holds would change. A value not
        known yet (at preview) counts as a change, never as an error. No API call."""
        replaces = [key for key in ("zone_id", "ref") if differs(olds.get(key), news.get(key))]
        wanted = _planned_rule(news)
        changed = any(differs(olds.get(key), wanted[key]) for key in _RULE_FIELDS)
        changed = changed or differs(olds.get("mtls_certificate_id") or "", news.get("mtls_certificate_id") or "")
        hostnames = news.get("hostnames")
        changed = changed or has_unknown(hostnames) or not same_items(olds.get("hostnames"), hostnames)
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    # -- lifecycle --------------------------------------------------------------------------------

    def _entrypoint(self, client: CloudflareClient, zone_id: str, doing: str) -> Ruleset | None:
        with api_call(doing):
            return client.get_custom_rules_entrypoint(zone_id)

    def _write(
        self, client: CloudflareClient, props: Mapping[str, Any], doing: str, rule_id: str = ""
    ) -> ClientCertificateRuleState:
        """Make the live rule match ``props``: PATCH it if it exists (by id, then ref), else add it.
        At create (no ``rule_id``) a rule found by ref that differs is not ours: refused unless adopted."""
        zone_id, spec = props["zone_id"], _spec(props)
        adopt = bool(props.get("adopt_existing"))
        ruleset = self._entrypoint(client, zone_id, doing)
        with api_call(doing):
            if ruleset is None:
                ruleset = self._create_entrypoint(client, zone_id, spec)
                if not rule_id and not adopt:
                    _refuse_a_foreign_rule(zone_id, ruleset.rule_by_ref(spec.ref), spec)
            else:
                existing = (ruleset.rule_by_id(rule_id) if rule_id else None) or ruleset.rule_by_ref(spec.ref)
                if not rule_id and not adopt:
                    _refuse_a_foreign_rule(zone_id, existing, spec)
                if existing is None:
                    ruleset = client.add_rule(zone_id, ruleset.id, spec)
                elif _differences(existing, spec):
                    ruleset = client.update_rule(zone_id, ruleset.id, existing.id, spec)
        rule = ruleset.rule_by_ref(spec.ref)
        if rule is None:
            raise ProviderError(f"{doing}: Cloudflare's answer does not hold the rule (ref {spec.ref}).")
        return _outputs(props, ruleset, rule)

    @staticmethod
    def _create_entrypoint(client: CloudflareClient, zone_id: str, spec: RuleSpec) -> Ruleset:
        """Create the zone's entrypoint holding our rule. If another writer (often a second rule of this
        stack, created in parallel) made the entrypoint since we looked, add our rule to theirs: any refusal
        but a server error is checked that way (Cloudflare does not document how it refuses a second one)."""
        try:
            return client.create_custom_rules_entrypoint(zone_id, spec)
        except APIStatusError as error:
            if isinstance(error, InternalServerError):
                raise
            ruleset = client.get_custom_rules_entrypoint(zone_id)
            if ruleset is None:
                raise
        if ruleset.rule_by_ref(spec.ref) is not None:
            return ruleset
        return client.add_rule(zone_id, ruleset.id, spec)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Add the rule to the zone's custom rules entrypoint (creating the entrypoint if the zone has none).
        Other rules and their order are never touched.

        A rule with this ref that Cloudflare already holds is taken when its definition is exactly this one (a
        run interrupted after its POST, whose answer was lost), and refused, unchanged, when it differs (unless
        ``adopt_existing``). So a re-run after a failure or an interruption never makes a second rule. If this
        call fails, a rule may exist that the stack does not record; the re-run of the same program finds it by
        ref (if the rule's definition was changed in the program in between, that rule differs and is refused as
        above: set ``adopt_existing=True`` for that run)."""
        outs = self._write(self.client(), props, f"Creating the client-certificate rule in zone {props['zone_id']}")
        return CreateResult(rule_resource_id(outs["zone_id"], outs["rule_id"]), dict(outs))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PATCH the rule where the state says it is (one call); if it is gone from there, fall back on
        finding it by ref or adding it again. Every write sets the whole definition (idempotent): if this call
        fails the rule may hold the old or the new definition, and a re-run writes the new one again."""
        doing = f"Updating the client-certificate rule in zone {news['zone_id']}"
        client, spec = self.client(), _spec(news)
        ruleset_id, rule_id = olds.get("ruleset_id") or "", olds.get("rule_id") or ""
        if ruleset_id and rule_id and olds.get("zone_id") == news["zone_id"]:
            with api_call(doing):
                try:
                    ruleset = client.update_rule(news["zone_id"], ruleset_id, rule_id, spec)
                except NotFoundError:
                    ruleset = None
            rule = ruleset.rule_by_id(rule_id) if ruleset is not None else None
            if ruleset is not None and rule is not None and rule.ref == spec.ref:
                return UpdateResult(dict(_outputs(news, ruleset, rule)))
        return UpdateResult(dict(self._write(client, news, doing, rule_id=rule_id)))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """DELETE this one rule (by id); the entrypoint and other rules stay. If this call fails the rule is
        assumed to still exist; re-running is safe: a rule already gone counts as deleted."""
        doing = f"Deleting the client-certificate rule {props.get('rule_id')} in zone {props['zone_id']}"
        with api_call(doing):
            self.client().delete_rule(props["zone_id"], props["ruleset_id"], props["rule_id"])

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """One GET of the entrypoint; the rule found by id, else by ref, recorded as the inputs too (see
        :func:`._state.read_result`); a rule gone leaves the stack. Writes nothing: safe to interrupt and run
        again."""
        id_zone, id_rule = parse_rule_resource_id(id_)
        zone_id = props.get("zone_id") or id_zone
        ruleset = self._entrypoint(self.client(), zone_id, f"Reading the custom rules of zone {zone_id}")
        rule = None
        if ruleset is not None:
            rule = ruleset.rule_by_id(props.get("rule_id") or id_rule) or ruleset.rule_by_ref(props.get("ref") or "")
        if ruleset is None or rule is None:
            return read_result(None, {})
        return read_result(id_, _outputs({**props, "zone_id": zone_id}, ruleset, rule), _LIVE_INPUTS)


@dataclass
class ClientCertificateRuleArgs:
    """Inputs of :class:`ClientCertificateRule`."""

    #: The zone (32 hex characters) whose custom rules hold the rule.
    zone_id: pulumi.Input[str]
    #: The hostnames to protect: pass ``HostnameAssociation.hostnames`` (so the rule comes after, and goes
    #: before, the association); ``*.example.com`` covers every name under example.com.
    hostnames: pulumi.Input[Sequence[pulumi.Input[str]]]
    #: The CA the hostnames are associated with (``MTLSCertificate.id``): recorded, and orders a rotation.
    mtls_certificate_id: pulumi.Input[str] | None = None
    #: Only accept certificates issued by this CA: pass ``MTLSCertificate.subject_key_identifier`` (hex).
    issuer_ski: pulumi.Input[str] | None = None
    #: What happens to a request without a valid certificate: block (default), managed_challenge, challenge,
    #: js_challenge or log.
    action: pulumi.Input[str] | None = None
    #: The rule's description in the dashboard (default: names this resource).
    description: pulumi.Input[str] | None = None
    #: False keeps the rule but disables it (default True).
    enabled: pulumi.Input[bool] | None = None
    #: The rule's stable ref in the entrypoint (default: unique to project, stack and resource name).
    ref: pulumi.Input[str] | None = None
    #: Take over a different rule that already holds ``ref`` instead of refusing.
    adopt_existing: pulumi.Input[bool] | None = None


class ClientCertificateRule(pulumi.dynamic.Resource, module="cfmtls", name="ClientCertificateRule"):
    """Blocks (by default) requests to ``hostnames`` without a verified client certificate.

    With ``issuer_ski`` (pass ``MTLSCertificate.subject_key_identifier``) only certificates issued by
    that CA pass. The rule is found again by ``ref``: by default unique to the project, stack and resource
    name (:func:`default_ref`); a different rule already holding that ref is refused at create unless
    ``adopt_existing=True``. Pass ``HostnameAssociation.hostnames`` as ``hostnames`` so the rule is created after,
    and deleted before, the associations it relies on.

    Arguments: as keywords, or ``args=ClientCertificateRuleArgs(...)``; each is documented on :class:`ClientCertificateRuleArgs`.
    """

    zone_id: pulumi.Output[str]
    hostnames: pulumi.Output[list[str]]
    ruleset_id: pulumi.Output[str]
    rule_id: pulumi.Output[str]
    ref: pulumi.Output[str]
    expression: pulumi.Output[str]
    action: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    mtls_certificate_id: pulumi.Output[str]
    issuer_ski: pulumi.Output[str]
    description: pulumi.Output[str]

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
        adopt_existing: pulumi.Input[bool] | None = None,
    ) -> None:
        refuse_import(
            "ClientCertificateRule",
            resource_name,
            opts,
            "give it ref=<the existing rule's ref> and adopt_existing=True instead: the next 'pulumi up' takes that rule "
            "over (PATCH, no second rule)",
        )
        if args is None:
            if zone_id is None or hostnames is None:
                raise TypeError("ClientCertificateRule needs zone_id= and hostnames=")
            args = ClientCertificateRuleArgs(
                zone_id, hostnames, mtls_certificate_id, issuer_ski, action, description, enabled, ref, adopt_existing
            )
        props: dict[str, Any] = {
            **unset_outputs(ClientCertificateRuleState),
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
            "ref_is_default": not args.ref,
            "adopt_existing": args.adopt_existing,
        }
        super().__init__(ClientCertificateRuleProvider(), resource_name, props, opts)
        pulumi.Output.all(args.zone_id, args.hostnames, args.issuer_ski).apply(
            lambda values: self._warn_about_other_pins(resource_name, *values)
        )

    def _warn_about_other_pins(self, resource_name: str, zone_id: Any, hostnames: Any, issuer_ski: Any) -> None:
        """At preview (once the values are known): warn when another rule pins a shared hostname to another CA."""
        if not issuer_ski or not isinstance(hostnames, list):
            return
        try:
            ski = normalise_ski(str(issuer_ski))
        except ValueError:
            return  # the check refuses it
        rule = PinnedRule(resource_name, str(zone_id), tuple(map(str, hostnames)), ski)
        for warning in conflicting_pins(rule):
            pulumi.log.warn(warning, resource=self)
