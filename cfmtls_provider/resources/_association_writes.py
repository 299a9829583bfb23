"""Carry out a :func:`cfmtls_provider.transitions.plan` for one ``HostnameAssociation``: each write becomes one API
call (two where the zone's custom rules entrypoint must be made or removed), in the plan's order, and nothing else.

A write that fails stops the run of the plan with a sentence saying which write of how many failed; every state
between two writes keeps the plan's guarantees, and the next ``pulumi up`` plans again from what Cloudflare holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..cloudflare.errors import APIStatusError, InternalServerError, NotFoundError
from ..cloudflare.models import Rule, Ruleset, RuleSpec
from ..transitions import DeleteRule, PutList, Write, WriteRule
from ._association_rule import rule_spec
from ._errors import ProviderError, api_call
from ._this_run import this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["LiveRule", "Target", "describe_write", "drop_empty_entrypoint", "execute", "live_rule"]


@dataclass(frozen=True)
class LiveRule:
    """Where the association's rule lives (empty ids: not made yet) and what Cloudflare holds for it."""

    ruleset_id: str = ""
    rule_id: str = ""
    expression: str = ""
    description: str = ""
    #: The rule is the only one of an entrypoint this package made: deleting the rule deletes the entrypoint.
    alone_in_our_entrypoint: bool = False


def live_rule(ruleset: Ruleset | None, rule: Rule | None) -> LiveRule:
    """What Cloudflare holds of the association's ``rule`` in ``ruleset`` (the zone's entrypoint, or None)."""
    if ruleset is None or rule is None:
        return LiveRule(ruleset.id if ruleset else "")
    alone = ruleset.created_by_us and [each.id for each in ruleset.rules] == [rule.id]
    return LiveRule(ruleset.id, rule.id, rule.expression, rule.description, alone)


@dataclass(frozen=True)
class Target:
    """Where the writes go: the zone, the rule's ref, and the resource that owns them."""

    zone_id: str
    ref: str
    declared_by: str


def describe_write(write: Write) -> str:
    if isinstance(write, PutList):
        names = ", ".join(sorted(write.hostnames)) or "no hostname"
        return f"associating {names} with CA {write.ca}"
    if isinstance(write, WriteRule):
        names = ", ".join(sorted(write.rule.hostnames))
        return f"writing the rule to protect {names} ({write.rule.action})"
    return "deleting the rule"


def _put(client: CloudflareClient, target: Target, write: PutList, doing: str) -> None:
    wanted = sorted(write.hostnames)
    missing = (
        f"Check that zone {target.zone_id} exists and that CA certificate {write.ca} is uploaded to the zone's account."
    )
    with api_call(doing, if_not_found=missing if wanted else ""):
        try:
            live = client.replace_hostname_associations(target.zone_id, write.ca, wanted)
        except NotFoundError:
            if wanted:
                raise
            return  # emptying the list of a CA (or zone) already gone: nothing is associated any more
        if sorted(live) != wanted:
            # The PUT answer is the new list; confirm once with a read before calling it a failure.
            live = client.get_hostname_associations(target.zone_id, write.ca)
    if sorted(live) != wanted:
        raise ProviderError(f"{doing}: Cloudflare answered with hostnames {live}, not the {wanted} sent.")
    if wanted:
        this_run.record_list(target.zone_id, write.ca, target.declared_by)


def _add(client: CloudflareClient, zone_id: str, ruleset_id: str, spec: RuleSpec) -> Ruleset:
    if ruleset_id:
        try:
            return client.add_rule(zone_id, ruleset_id, spec)
        except NotFoundError:
            pass  # the entrypoint was deleted since it was read: make it again
    try:
        return client.create_custom_rules_entrypoint(zone_id, spec)
    except APIStatusError as error:
        # Another writer (often another association of this stack, in parallel) made the entrypoint since it was
        # read: add the rule to theirs. Cloudflare does not document how it refuses a second entrypoint.
        if isinstance(error, InternalServerError):
            raise
        existing = client.get_custom_rules_entrypoint(zone_id)
        if existing is None:
            raise
    if existing.rule_by_ref(spec.ref) is not None:
        return existing
    return client.add_rule(zone_id, existing.id, spec)


def _write_rule(client: CloudflareClient, target: Target, write: WriteRule, live: LiveRule, doing: str) -> LiveRule:
    spec = rule_spec(write.rule, target.ref, target.declared_by)
    with api_call(doing):
        ruleset: Ruleset | None = None
        if live.rule_id:
            try:
                ruleset = client.update_rule(target.zone_id, live.ruleset_id, live.rule_id, spec)
            except NotFoundError:
                ruleset = None  # deleted outside the stack: add it again
        if ruleset is None:
            ruleset = _add(client, target.zone_id, live.ruleset_id, spec)
    rule: Rule | None = ruleset.rule_by_ref(spec.ref)
    if rule is None:
        raise ProviderError(f"{doing}: Cloudflare's answer does not hold the rule (ref {spec.ref}).")
    return live_rule(ruleset, rule)


def drop_empty_entrypoint(client: CloudflareClient, zone_id: str, ruleset: Ruleset | None) -> None:
    """Destroy leaves Cloudflare as it found it: the entrypoint this package made, once empty, goes too."""
    if ruleset is not None and not ruleset.rules and ruleset.created_by_us:
        client.delete_ruleset(zone_id, ruleset.id)


def _delete_rule(client: CloudflareClient, target: Target, live: LiveRule, doing: str) -> LiveRule:
    with api_call(doing):
        if live.alone_in_our_entrypoint:
            # Deleting the entrypoint deletes the rule in it (docs/cloudflare-api.md): one call where deleting the
            # rule, then the entrypoint it leaves empty, takes two; either way the zone is left as it was found.
            client.delete_ruleset(target.zone_id, live.ruleset_id)
            return LiveRule()
        remaining = client.delete_rule(target.zone_id, live.ruleset_id, live.rule_id)
        if remaining is None:  # already gone: deleted by hand, or this DELETE was applied and its answer lost
            remaining = client.get_custom_rules_entrypoint(target.zone_id)
        drop_empty_entrypoint(client, target.zone_id, remaining)
    return replace(live, rule_id="", expression="", description="")


def execute(
    client: CloudflareClient,
    target: Target,
    writes: Sequence[Write],
    live: LiveRule,
    doing: str,
    rerun: str = "'pulumi up'",
) -> LiveRule:
    """Make ``writes`` in order; the rule's whereabouts after them. A rule that cannot be written (its expression
    over Cloudflare's limit) is refused before the first write: a refusal leaves nothing behind. ``rerun``: the
    command a failure tells the user to run again."""
    for write in writes:
        if isinstance(write, WriteRule):
            rule_spec(write.rule, target.ref, target.declared_by)
    for number, write in enumerate(writes, start=1):
        step = f"{doing}: write {number} of {len(writes)}, {describe_write(write)}"
        try:
            if isinstance(write, PutList):
                _put(client, target, write, step)
            elif isinstance(write, WriteRule):
                live = _write_rule(client, target, write, live, step)
            elif isinstance(write, DeleteRule):
                live = _delete_rule(client, target, live, step)
        except ProviderError as error:
            raise ProviderError(
                f"{error} The writes before it were made, and each state in between keeps your clients in as planned; "
                f"run {rerun} again: it plans from what Cloudflare holds and finishes the change."
            ) from None
    return live
