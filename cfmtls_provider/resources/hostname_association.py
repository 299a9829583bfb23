"""``HostnameAssociation``: these hostnames of this zone accept clients of this CA, and no one else.

It owns the zone's hostname list for its CA (Cloudflare keeps one list per (zone, CA) pair and replaces it whole on
every PUT; every PUT names the certificate: without it the Cloudflare Managed CA's list would be rewritten) and its
own WAF custom rule in the zone's ``http_request_firewall_custom`` entrypoint, which refuses requests to those
hostnames without a verified client certificate of that CA. Every change (first create, hostnames added or removed,
a new CA, a new action, delete) is one plan of writes in the safe order (:mod:`cfmtls_provider.transitions`), made
by this one resource: there is nothing to wire between resources and nothing to order by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import UNKNOWN

from .. import program_process
from ..cloudflare.errors import NotFoundError
from ..cloudflare.models import Rule, Ruleset
from ..hostnames import hostname_problems
from ..transitions import Enforcement, Intent, WriteRule, final_rule, plan
from ._association_checks import (
    action_problems,
    id_problems,
    issuer_problems,
    length_problems,
    list_problems,
    zone_problems,
)
from ._association_rule import (
    default_rule_ref,
    describe,
    expression_for,
    journal_of,
    live_rule_state,
    recorded_rule_state,
    rule_spec,
)
from ._association_writes import LiveRule, Target, drop_empty_entrypoint, execute, live_rule
from ._base import (
    ADOPT_INSTEAD,
    CloudflareProvider,
    differs,
    has_unknown,
    is_unknown,
    refuse_import,
    same_items,
    sdk_pickler_restored,
)
from ._declared import declared
from ._errors import ProviderError, api_call
from ._state import read_result, split_zone_scoped_id, unset_outputs, zone_scoped_id
from ._this_run import this_run
from ._zones import ZoneFacts, zone_facts

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient


class UploadedCA(Protocol):
    """What an association reads of its CA: an ``MTLSCertificate`` (no resource module imports another)."""

    @property
    def id(self) -> pulumi.Output[str]: ...
    @property
    def subject_key_identifier(self) -> pulumi.Output[str]: ...
    @property
    def revision(self) -> pulumi.Output[str]: ...
    @property
    def urn(self) -> pulumi.Output[str]: ...


__all__ = ["HostnameAssociation", "HostnameAssociationArgs", "HostnameAssociationProvider", "HostnameAssociationState"]


class HostnameAssociationState(TypedDict):
    """What the stack records of a :class:`HostnameAssociation` (its declared outputs)."""

    zone_id: str
    mtls_certificate_id: str
    hostnames: list[str]
    #: The issuer SKI the rule pins ("" when ``pin_issuer`` is False).
    issuer_ski: str
    pin_issuer: bool
    action: str
    #: Changes whenever the MTLSCertificate is created again (a rollback takes back the same upload: same id).
    certificate_revision: str
    adopt_existing: bool
    declared_by: str
    rule_ref: str
    ruleset_id: str
    rule_id: str
    expression: str


#: The inputs a refresh records from Cloudflare (see :func:`._state.read_result`).
_LIVE_INPUTS = (
    "zone_id",
    "mtls_certificate_id",
    "hostnames",
    "declared_by",
    "adopt_existing",
    "action",
    # Not Cloudflare's to say, but inputs the next diff and check need: kept as recorded.
    "issuer_ski",
    "pin_issuer",
    "certificate_revision",
    "rule_ref",
    # The live rule's expression, in place of the one the check planned: a rule edited at Cloudflare shows in the
    # next preview as ``~ expression`` (the live one against the planned one).
    "expression",
)
#: Inputs whose change is carried out in place by one plan.
_IN_PLACE = ("mtls_certificate_id", "issuer_ski", "pin_issuer", "action", "certificate_revision", "adopt_existing")


def _outputs(props: Mapping[str, Any], hostnames: Iterable[str], live: LiveRule) -> HostnameAssociationState:
    return {
        "zone_id": props["zone_id"],
        "mtls_certificate_id": props["mtls_certificate_id"],
        "hostnames": sorted(hostnames),
        "issuer_ski": props.get("issuer_ski") or "",
        "pin_issuer": props.get("pin_issuer", True) is not False,
        "action": props.get("action") or "block",
        "certificate_revision": props.get("certificate_revision") or "",
        "adopt_existing": bool(props.get("adopt_existing")),
        "declared_by": props.get("declared_by") or "",
        "rule_ref": props["rule_ref"],
        "ruleset_id": live.ruleset_id,
        "rule_id": live.rule_id,
        "expression": live.expression,
    }


def _in_place_values(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs changed in place, with their defaults (an unknown value stays unknown)."""
    defaults: dict[str, Any] = {"issuer_ski": "", "pin_issuer": True, "action": "block", "adopt_existing": False}
    values = {}
    for key in _IN_PLACE:
        value = props.get(key)
        values[key] = value if is_unknown(value) or value not in (None, "") else defaults.get(key, "")
    return values


def _intent(props: Mapping[str, Any]) -> Intent:
    pinned = props.get("pin_issuer", True) is not False
    return Intent(
        ca=props["mtls_certificate_id"],
        hostnames=frozenset(props["hostnames"]),
        issuer=(props.get("issuer_ski") or None) if pinned else None,
        action=props.get("action") or "block",
    )


def _planned_expression(props: Mapping[str, Any]) -> Any:
    """The rule's final expression as the preview shows it, or UNKNOWN while a part of it is not known."""
    hostnames, ski, pinned = props.get("hostnames"), props.get("issuer_ski"), props.get("pin_issuer", True)
    if not isinstance(hostnames, list) or has_unknown(hostnames) or is_unknown(pinned):
        return UNKNOWN
    if pinned is not False and is_unknown(ski):
        return UNKNOWN
    try:
        return expression_for(hostnames, [ski] if ski and pinned is not False else None)
    except (TypeError, ValueError):
        return UNKNOWN  # the check reports it


def association_id(zone_id: str, rule_ref: str) -> str:
    """The resource's id: ``<zone_id>/<rule_ref>`` (stable when the CA changes: that is an update)."""
    return zone_scoped_id(zone_id, rule_ref)


def _foreign_list_refusal(zone_id: str, certificate_id: str, existing: Sequence[str]) -> ProviderError:
    return ProviderError(
        f"Zone {zone_id} already associates {sorted(existing)} with CA {certificate_id}, and this HostnameAssociation "
        "would replace that whole list (Cloudflare keeps one list per (zone, CA) pair). If another stack or a person "
        "made it, set adopt_existing=True to take it over (it becomes exactly the hostnames you declare), or remove "
        "it first. If it belongs to a HostnameAssociation of this stack that you renamed, keep the old name or add "
        "opts=ResourceOptions(aliases=[pulumi.Alias(name='<old name>')]) instead. Nothing was changed."
    )


def _foreign_rule_refusal(zone_id: str, rule: Rule) -> ProviderError:
    return ProviderError(
        f"Zone {zone_id} already has a rule with ref {rule.ref!r} (rule {rule.id}, {rule.action} "
        f"{rule.expression!r}) that this package did not write. Two resources must never share one rule: rename "
        "this HostnameAssociation (its rule's ref comes from its project, stack and name), or delete that rule. "
        "Nothing was changed."
    )


class HostnameAssociationProvider(CloudflareProvider):
    """Plan and carry out the writes that take the zone from what it holds to what the association declares."""

    # -- preview ----------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs and compute the rule's expression for the preview. When the zone or the hostnames are
        new, check them against the zone (read once per run, or its name as recorded, see :mod:`._zones`) so that a
        zone Cloudflare does not know, a hostname outside its zone or a refused token fail here, at preview, before
        anything is written. Reads only: safe to run any number of times."""
        inputs = dict(news)
        if isinstance(olds.get("rule_ref"), str) and olds["rule_ref"]:
            inputs["rule_ref"] = olds["rule_ref"]  # the rule keeps its ref through renames and stack renames
        if inputs.get("adopt_existing") is None:
            inputs["adopt_existing"] = False  # as recorded: an update's preview shows it unchanged, not removed
        failures = [*id_problems(inputs), *list_problems(inputs), *action_problems(inputs), *issuer_problems(inputs)]
        failures = failures or length_problems(inputs)
        failures = failures or zone_problems(olds, inputs, self._read_zone)
        # With failures nothing is planned; an unknown value here would be an engine error outside a preview ("up
        # --skip-preview": "unexpected unknown value at expression"), shown instead of the failures.
        inputs["expression"] = "" if failures else _planned_expression(inputs)
        return CheckResult(inputs, failures)

    def _read_zone(self, zone_id: str, recorded_name: str) -> ZoneFacts:
        return zone_facts(self.client(), zone_id, recorded_name)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace only on a new zone (or when the CA is deleted before its replacement: then the association goes
        first); everything else, the CA included, changes in place. A value not known yet counts as a change.
        No API call."""
        replaces = ["zone_id"] if differs(olds.get("zone_id"), news.get("zone_id")) else []
        ca_deleted_first = this_run.certificate_deleted_first(olds.get("mtls_certificate_id") or "")
        if ca_deleted_first and is_unknown(news.get("mtls_certificate_id")):
            replaces.append("mtls_certificate_id")
        recorded, planned = _in_place_values(olds), _in_place_values(news)
        changed = any(differs(recorded[key], planned[key]) for key in _IN_PLACE)
        hostnames = news.get("hostnames")
        changed = changed or has_unknown(hostnames) or not same_items(olds.get("hostnames"), hostnames)
        changed = changed or not olds.get("rule_id") or differs(olds.get("expression"), _planned_expression(news))
        return DiffResult(
            changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=bool(ca_deleted_first)
        )

    # -- lifecycle --------------------------------------------------------------------------------

    @staticmethod
    def _entrypoint(client: CloudflareClient, zone_id: str, doing: str) -> Ruleset | None:
        with api_call(doing):
            return client.get_custom_rules_entrypoint(zone_id)

    @staticmethod
    def _lists(client: CloudflareClient, zone_id: str, cas: Iterable[str], doing: str) -> dict[str, frozenset[str]]:
        found = {}
        for ca in dict.fromkeys(cas):
            with api_call(doing):
                try:
                    found[ca] = frozenset(client.get_hostname_associations(zone_id, ca))
                except NotFoundError:
                    found[ca] = frozenset()  # the CA is gone: nothing of it is associated any more
        return found

    @staticmethod
    def _rule(ruleset: Ruleset | None, ref: str, rule_id: str = "") -> Rule | None:
        """The association's rule: by the id recorded, else by its ref."""
        if ruleset is None:
            return None
        return (ruleset.rule_by_id(rule_id) if rule_id else None) or (ruleset.rule_by_ref(ref) if ref else None)

    def _our_rule(
        self, zone_id: str, ruleset: Ruleset | None, props: Mapping[str, Any], *, refuse_foreign: bool = True
    ) -> tuple[Rule | None, tuple[str, ...]]:
        """The association's rule and its journal. A rule found by the id the state records is ours even if its
        description was edited (its journal is then the recorded CA); one found by ref whose description is not
        ours belongs to someone else: refused, unchanged (``refuse_foreign``), else left alone (a delete)."""
        rule_id = props.get("rule_id") or ""
        rule = self._rule(ruleset, props.get("rule_ref") or "", rule_id)
        if rule is None:
            return None, ()
        journal = journal_of(rule)
        if journal is not None:
            return rule, journal
        if rule_id and rule.id == rule_id:
            return rule, (props["mtls_certificate_id"],)
        if refuse_foreign:
            raise _foreign_rule_refusal(zone_id, rule)
        return None, ()

    def _new_ca_list(
        self, client: CloudflareClient, props: Mapping[str, Any], journal: Sequence[str], doing: str
    ) -> frozenset[str]:
        """The declared CA's list before this association writes it. A CA this run uploaded has none (nobody else
        knows its id yet); otherwise it is read, and a list of someone else's is refused unless adopted."""
        zone_id, ca = props["zone_id"], props["mtls_certificate_id"]
        if this_run.upload_kind(ca) == "uploaded" and this_run.list_writer(zone_id, ca) is None:
            return frozenset()
        existing = self._lists(client, zone_id, [ca], doing)[ca]
        ours = ca in journal or this_run.upload_kind(ca) is not None or bool(props.get("adopt_existing"))
        if existing and existing != frozenset(props["hostnames"]) and not ours:
            raise _foreign_list_refusal(zone_id, ca, sorted(existing))
        return existing

    def _carry_out(
        self, client: CloudflareClient, props: Mapping[str, Any], start: Enforcement, live: LiveRule, doing: str
    ) -> HostnameAssociationState:
        target = Target(props["zone_id"], props["rule_ref"], props.get("declared_by") or "")
        intent = _intent(props)
        writes = plan(start, intent)
        renamed = bool(live.description) and live.description != describe((intent.ca,), target.declared_by)
        if renamed and not any(isinstance(write, WriteRule) for write in writes):
            writes.append(WriteRule(final_rule(intent)))  # the description names the owner: the new name
        live = execute(client, target, writes, live, doing)
        # The list is this association's now, written or found as declared: a renamed one's old record, deleted
        # at the end of the run, must leave it.
        this_run.record_list(target.zone_id, intent.ca, target.declared_by)
        return _outputs(props, props["hostnames"], live)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Associate the hostnames with the CA, then add the rule that requires its clients there.

        Reads the zone's custom rules entrypoint (and the CA's list, unless this run uploaded the CA). A rule with
        this association's ref that Cloudflare already holds is this association's own, left by a run interrupted
        after writing it: the plan starts from it and from the lists its description names, so a re-run converges
        without a duplicate. A list of the CA holding other hostnames, not written by this association, is refused
        unchanged unless ``adopt_existing``. If this call fails, what was written stays consistent (see
        :mod:`cfmtls_provider.transitions`); the re-run of the program resumes from it."""
        client = self.client()
        zone_id = props["zone_id"]
        doing = f"Associating hostnames of zone {zone_id} with CA {props['mtls_certificate_id']}"
        ruleset = self._entrypoint(client, zone_id, doing)
        rule, journal = self._our_rule(zone_id, ruleset, {"rule_ref": props["rule_ref"]})
        lists = {props["mtls_certificate_id"]: self._new_ca_list(client, props, journal, doing)}
        lists.update(self._lists(client, zone_id, [ca for ca in journal if ca not in lists], doing))
        start_rule = None if rule is None else live_rule_state(rule, self._candidates(lists, props), journal)
        live = live_rule(ruleset, rule)
        outs = self._carry_out(client, props, Enforcement(lists, start_rule), live, doing)
        return CreateResult(association_id(zone_id, props["rule_ref"]), dict(outs))

    @staticmethod
    def _candidates(lists: Mapping[str, frozenset[str]], *props: Mapping[str, Any]) -> set[str]:
        """Every hostname pattern a plan could be about: every list's, and the declared and recorded ones."""
        names = {name for hostnames in lists.values() for name in hostnames}
        return names.union(*(props_.get("hostnames") or () for props_ in props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Carry out the change as one plan: hostnames added are associated before the rule requires them, hostnames
        removed stop being required before they are dissociated, a new CA is accepted by the rule before its list
        is written and the old CA's list is emptied before the rule admits only the new CA's clients.

        Reads the entrypoint; when the live rule is exactly what the state records, the state is trusted for the
        lists (plus a read of the new CA's list when the CA changes to one this run did not upload). Otherwise an
        earlier run failed or was interrupted part-way: every list the rule's description names is read, and the
        plan starts from what Cloudflare holds. A failure part-way leaves a state the plan allows; re-running
        finishes the change."""
        client = self.client()
        zone_id = news["zone_id"]
        doing = f"Updating the hostnames of zone {zone_id} for CA {news['mtls_certificate_id']}"
        ruleset = self._entrypoint(client, zone_id, doing)
        rule, journal = self._our_rule(zone_id, ruleset, {**olds, "rule_ref": news["rule_ref"]})
        recorded = recorded_rule_state(olds)
        old_ca, new_ca = olds["mtls_certificate_id"], news["mtls_certificate_id"]
        trusted = (rule is None and recorded is None) or (
            rule is not None
            and recorded is not None
            and rule_spec(recorded, news["rule_ref"], olds.get("declared_by") or "").body() == _body(rule)
        )
        if trusted:
            lists = {old_ca: frozenset(olds.get("hostnames") or ())}
            start_rule = recorded
        else:
            lists = self._lists(client, zone_id, [old_ca, *journal], doing)
            start_rule = None if rule is None else live_rule_state(rule, self._candidates(lists, olds, news), journal)
        if new_ca not in lists:
            lists[new_ca] = self._new_ca_list(client, news, journal, doing)
        live = live_rule(ruleset, rule)
        return UpdateResult(dict(self._carry_out(client, news, Enforcement(lists, start_rule), live, doing)))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Stop requiring, then dissociate: delete the rule (with the entrypoint, in one call, when this package
        made it and nothing else is in it), then empty every list this association wrote. A list another association
        of this stack took over in this run (a renamed resource) is left to it. When the CA is replaced delete-first,
        the rule is kept (see below).

        Re-running after a failure is safe: a rule, list, CA or zone already gone counts as removed."""
        client = self.client()
        zone_id, ca = props["zone_id"], props["mtls_certificate_id"]
        doing = f"Removing the hostnames of zone {zone_id} from CA {ca}"
        ruleset = self._entrypoint(client, zone_id, doing)
        ref = props.get("rule_ref") or ""
        rule, journal = self._our_rule(zone_id, ruleset, props, refuse_foreign=False)
        if this_run.certificate_deleted_first(ca):
            # The CA is deleted before it is uploaded again (on_rename="delete_first", delete_before_replace): the
            # rule stays and blocks every client while the hostnames have no CA (the outage the user opted into,
            # closed, not open); the association made again after the upload takes the rule back by its ref.
            rule = None
        declared_by = props.get("declared_by") or ""
        lists = {ca: frozenset(props.get("hostnames") or ())}
        lists.update(self._lists(client, zone_id, [each for each in journal if each != ca], doing))
        lists = {
            each: names for each, names in lists.items() if this_run.list_writer(zone_id, each) in (None, declared_by)
        }
        start = Enforcement(lists, None if rule is None else live_rule_state(rule, (), journal))
        live = live_rule(ruleset, rule)
        rerun = "the command ('pulumi destroy', or the 'pulumi up' that removes the association)"
        execute(client, Target(zone_id, ref, declared_by), plan(start, None), live, doing, rerun)
        if rule is None:  # gone already (an earlier destroy stopped after deleting it): its entrypoint may be left
            with api_call(doing):
                drop_empty_entrypoint(client, zone_id, ruleset)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live list and rule; when they differ from the recorded outputs, recorded as the inputs too (see
        :func:`._state.read_result`): a drift shows in the next preview and ``pulumi up`` puts it back. Gone when
        neither the list nor the rule is left. Writes nothing: safe to interrupt and run again."""
        zone_id = props.get("zone_id") or split_zone_scoped_id(id_)[0]
        ca = props.get("mtls_certificate_id") or ""
        client = self.client()
        doing = f"Reading the hostnames and the rule of zone {zone_id}"
        hostnames = self._lists(client, zone_id, [ca], doing)[ca] if ca else frozenset()
        ruleset = self._entrypoint(client, zone_id, doing)
        ref = props.get("rule_ref") or ""
        rule = self._rule(ruleset, ref, props.get("rule_id") or "")
        if not hostnames and rule is None:
            return read_result(None, {})
        live = live_rule(ruleset if rule else None, rule)
        merged = {
            **props,
            "zone_id": zone_id,
            "rule_ref": ref,
            "action": rule.action if rule else props.get("action"),
        }
        return read_result(id_, _outputs(merged, hostnames, live), _LIVE_INPUTS, recorded=props)


def _body(rule: Rule) -> dict[str, Any]:
    return {
        "ref": rule.ref,
        "expression": rule.expression,
        "action": rule.action,
        "description": rule.description,
        "enabled": rule.enabled,
    }


@dataclass
class HostnameAssociationArgs:
    """Inputs of :class:`HostnameAssociation`."""

    #: The zone (32 hex characters) of the hostnames.
    zone_id: pulumi.Input[str]
    #: The whole list for this (zone, CA) pair, in any order; ``*.example.com`` covers one label under example.com.
    hostnames: pulumi.Input[Sequence[pulumi.Input[str]]]
    #: The CA, as the MTLSCertificate of this program (preferred: its id, SKI and revision are taken from it).
    certificate: UploadedCA | None = None
    #: Or the id of a CA uploaded elsewhere (with ``issuer_ski``, or ``pin_issuer=False``).
    mtls_certificate_id: pulumi.Input[str] | None = None
    #: The SKI (hex) of the CA that issues the client certificates, with ``mtls_certificate_id``.
    issuer_ski: pulumi.Input[str] | None = None
    #: True (default): only certificates issued by this CA pass. False: any certificate Cloudflare verifies.
    pin_issuer: pulumi.Input[bool] | None = None
    #: What happens to a request without a valid certificate: block (default), managed_challenge, challenge,
    #: js_challenge, or log (nothing is stopped: a dry run).
    action: pulumi.Input[str] | None = None
    #: Take over a list that already has hostnames (made outside this stack) instead of refusing.
    adopt_existing: pulumi.Input[bool] | None = None


class HostnameAssociation(pulumi.dynamic.Resource, module="cfmtls", name="HostnameAssociation"):
    """These hostnames of this zone accept clients of this CA, and no one else.

    Associates ``hostnames`` with the CA (Cloudflare then asks clients of those hostnames for a certificate and
    verifies it) and keeps one WAF custom rule that refuses requests to them without a verified certificate of that
    CA. Every change runs in the safe order inside this resource: new hostnames are associated before they are
    required, removed ones stop being required before they are dissociated, and a new CA (a rotation: a new
    ``certificates`` PEM on the MTLSCertificate) is accepted alongside the old one until the hostnames have moved.

    Example Usage::

        ca = MTLSCertificate("corp-ca", certificates=read_pem_file("ca.pem"), name="corp-ca")
        hosts = HostnameAssociation(
            "corp-hosts", zone_id=zone_id, certificate=ca, hostnames=["api.example.com", "*.internal.example.com"]
        )
        pulumi.export("ruleExpression", hosts.expression)

    Arguments: as keywords, or ``args=HostnameAssociationArgs(...)``; each is documented on
    :class:`HostnameAssociationArgs`.
    """

    zone_id: pulumi.Output[str]
    mtls_certificate_id: pulumi.Output[str]
    hostnames: pulumi.Output[list[str]]
    issuer_ski: pulumi.Output[str]
    pin_issuer: pulumi.Output[bool]
    action: pulumi.Output[str]
    certificate_revision: pulumi.Output[str]
    adopt_existing: pulumi.Output[bool]
    #: The resource name that declared this (zone, CA) list (its owner in this stack).
    declared_by: pulumi.Output[str]
    #: The ref of the association's rule in the zone's custom rules (kept through renames).
    rule_ref: pulumi.Output[str]
    ruleset_id: pulumi.Output[str]
    rule_id: pulumi.Output[str]
    #: The rule's expression, as Cloudflare holds it.
    expression: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: HostnameAssociationArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        zone_id: pulumi.Input[str] | None = None,
        hostnames: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        certificate: UploadedCA | None = None,
        mtls_certificate_id: pulumi.Input[str] | None = None,
        issuer_ski: pulumi.Input[str] | None = None,
        pin_issuer: pulumi.Input[bool] | None = None,
        action: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] | None = None,
    ) -> None:
        program_process.install()  # once per process: the linear wait, the stack traces at the program's line
        refuse_import("HostnameAssociation", resource_name, opts, ADOPT_INSTEAD)
        if args is None:
            if zone_id is None or hostnames is None:
                raise TypeError("HostnameAssociation needs zone_id= and hostnames=")
            args = HostnameAssociationArgs(
                zone_id, hostnames, certificate, mtls_certificate_id, issuer_ski, pin_issuer, action, adopt_existing
            )
        certificate_id, ski, revision, ca_key = _the_ca(resource_name, args)
        # Keyed by the MTLSCertificate's URN when given (known at preview, unlike the id of a CA not uploaded yet), so
        # a second owner of the list, or a second CA on a hostname, is found by the first preview.
        claimed = pulumi.Output.all(args.zone_id, ca_key).apply(lambda v: _claim(resource_name, str(v[0]), str(v[1])))
        claimed_certificate_id = pulumi.Output.all(claimed, certificate_id).apply(lambda values: values[1])
        props: dict[str, Any] = {
            **unset_outputs(HostnameAssociationState),
            "zone_id": args.zone_id,
            "mtls_certificate_id": claimed_certificate_id,
            "hostnames": args.hostnames,
            "issuer_ski": ski,
            "pin_issuer": args.pin_issuer,
            "action": args.action,
            "certificate_revision": revision,
            "adopt_existing": args.adopt_existing,
            "declared_by": resource_name,
            "rule_ref": default_rule_ref(resource_name),
        }
        # The SDK pickles the provider here (see _base.py) and records the stack trace (see program_process.py).
        with sdk_pickler_restored(), program_process.registering():
            super().__init__(HostnameAssociationProvider(), resource_name, props, opts)
        pulumi.Output.all(args.zone_id, claimed, args.hostnames).apply(
            lambda values: self._warn_about_shared_hostnames(resource_name, *values)
        )

    def _warn_about_shared_hostnames(self, resource_name: str, zone_id: Any, ca: Any, hostnames: Any) -> None:
        """At preview, once the values are known: another association of this zone covers some of these hostnames
        under another CA."""
        if not isinstance(hostnames, list) or hostname_problems(hostnames):
            return
        shared = declared.shared_with_other_cas(resource_name, str(zone_id), str(ca), map(str, hostnames))
        for (other, other_ca), names in sorted(shared.items()):
            pulumi.log.warn(
                f"HostnameAssociation {resource_name!r} ({_ca_label(ca)}) and {other!r} ({_ca_label(other_ca)}) both cover "
                f"{', '.join(names)} in zone {zone_id}: each admits only its own CA's clients there, and Cloudflare "
                "verifies a client against one CA of a hostname, so the clients of one of them will be refused. Give "
                "those hostnames to one association (issue both client populations from one CA: see 'Two CAs on "
                "the same hostnames' in the README).",
                resource=self,
            )


def _ca_label(key: str) -> str:
    """A CA as a sentence names it: its MTLSCertificate (by the resource's name in its URN), or its id."""
    if key.startswith("urn:pulumi:"):
        return f"MTLSCertificate {key.rsplit('::', 1)[-1]!r}"
    return f"CA {key}"


def _claim(resource_name: str, zone_id: str, ca_key: str) -> str:
    """The (zone, CA) list has one owner; returns the CA's key, so the claim runs before the resource registers."""
    declared.claim(resource_name, zone_id, ca_key, _ca_label(ca_key))
    return ca_key


def _the_ca(resource_name: str, args: HostnameAssociationArgs) -> tuple[Any, Any, Any, Any]:
    """The CA's id, issuer SKI and revision, from ``certificate`` or from ``mtls_certificate_id``/``issuer_ski``, and
    the key its list is claimed by in the program (the MTLSCertificate's URN, or the id)."""
    if (args.certificate is None) == (args.mtls_certificate_id is None):
        raise pulumi.RunError(
            f"HostnameAssociation {resource_name!r}: pass the CA as certificate=<the MTLSCertificate of this program> "
            "(preferred), or as mtls_certificate_id=<the id of a CA uploaded elsewhere>; exactly one of them."
        )
    if args.certificate is not None:
        if args.issuer_ski is not None:
            raise pulumi.RunError(
                f"HostnameAssociation {resource_name!r}: issuer_ski is taken from certificate= (its "
                "subject_key_identifier); remove issuer_ski."
            )
        ca = args.certificate
        return ca.id, ca.subject_key_identifier, ca.revision, ca.urn
    return args.mtls_certificate_id, args.issuer_ski, None, args.mtls_certificate_id
