"""``HostnameAssociation``: the hostnames of one zone associated with one uploaded CA.

Cloudflare keeps one hostname list per (zone, CA) pair and replaces it whole on every PUT. This resource
owns that list: its id is ``<zone_id>/<mtls_certificate_id>``, so two CAs in one zone never collide.
Every PUT names the certificate: a PUT without it would rewrite the Cloudflare Managed CA's list.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..cloudflare.errors import NotFoundError
from ..hostnames import hostname_problems
from ._base import (
    ADOPT_INSTEAD,
    ID_PATTERN,
    CloudflareProvider,
    differs,
    has_unknown,
    refuse_import,
    require_id,
    same_items,
)
from ._errors import ProviderError, api_call
from ._state import read_result, split_zone_scoped_id, unset_outputs, zone_scoped_id
from ._this_run import uploaded_this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["HostnameAssociation", "HostnameAssociationArgs", "HostnameAssociationProvider", "HostnameAssociationState"]


class HostnameAssociationState(TypedDict):
    """What the stack records of a :class:`HostnameAssociation` (its declared outputs)."""

    zone_id: str
    mtls_certificate_id: str
    hostnames: list[str]
    adopt_existing: bool
    declared_by: str


#: The inputs a refresh records from Cloudflare's list (see :func:`._state.read_result`).
_LIVE_INPUTS = ("zone_id", "mtls_certificate_id", "hostnames", "declared_by", "adopt_existing")


def association_id(zone_id: str, mtls_certificate_id: str) -> str:
    """The resource's id: ``<zone_id>/<mtls_certificate_id>`` (one list per (zone, CA) pair)."""
    return zone_scoped_id(zone_id, mtls_certificate_id)


def parse_association_id(id_: str) -> tuple[str, str]:
    """The ``(zone_id, mtls_certificate_id)`` of an :func:`association_id`."""
    return split_zone_scoped_id(id_)


def _outputs(props: Mapping[str, Any], live: list[str]) -> HostnameAssociationState:
    return {
        "zone_id": props["zone_id"],
        "mtls_certificate_id": props["mtls_certificate_id"],
        "hostnames": live,
        "adopt_existing": bool(props.get("adopt_existing")),
        "declared_by": props.get("declared_by") or "",
    }


#: Lists written in this run (one provider process serves one `pulumi up`), and by which resource: a list
#: another resource of the stack has just taken (a renamed resource) is not emptied when the engine then
#: deletes the old one.
_WRITTEN_THIS_RUN: dict[str, str] = {}
_WRITTEN_LOCK = threading.Lock()


def _written(props: Mapping[str, Any]) -> None:
    with _WRITTEN_LOCK:
        _WRITTEN_THIS_RUN[association_id(props["zone_id"], props["mtls_certificate_id"])] = (
            props.get("declared_by") or ""
        )


def _written_this_run(props: Mapping[str, Any]) -> bool:
    with _WRITTEN_LOCK:
        return association_id(props["zone_id"], props["mtls_certificate_id"]) in _WRITTEN_THIS_RUN


def _taken_over_this_run(props: Mapping[str, Any]) -> bool:
    with _WRITTEN_LOCK:
        writer = _WRITTEN_THIS_RUN.get(association_id(props["zone_id"], props["mtls_certificate_id"]))
    return writer is not None and writer != (props.get("declared_by") or "")


#: Program side: the (zone, CA) lists declared by this program, and by which resource.
_DECLARED: dict[tuple[str, str], str] = {}
_DECLARED_LOCK = threading.Lock()


def claim(resource_name: str, zone_id: str, mtls_certificate_id: str) -> str:
    """Record that ``resource_name`` declares the (zone, CA) list; refuse a second declaration.

    Cloudflare keeps one list per (zone, CA) pair and every PUT replaces it whole: two resources declaring
    the same pair would overwrite each other, and deleting either would empty the other's list.
    Returns ``mtls_certificate_id`` (the claim sits in that input's chain, so it runs before registration).
    """
    with _DECLARED_LOCK:
        owner = _DECLARED.setdefault((zone_id, mtls_certificate_id), resource_name)
    if owner != resource_name:
        raise pulumi.RunError(
            f"HostnameAssociation {resource_name!r} and {owner!r} both declare the hostnames of zone {zone_id} "
            f"for CA {mtls_certificate_id}. Cloudflare keeps one hostname list per (zone, CA) pair and each "
            f"update replaces it whole, so one resource must own it: put every hostname in {owner!r} and remove "
            f"{resource_name!r}."
        )
    return mtls_certificate_id


class HostnameAssociationProvider(CloudflareProvider):
    """Create (PUT after a read), update (PUT), delete (PUT []), read (GET) one (zone, CA) list."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the ids and the hostnames. No API call: safe to run any number of times."""
        inputs = dict(news)
        failures: list[CheckFailure] = []
        require_id(inputs, "zone_id", "Cloudflare zone id", failures, pattern=ID_PATTERN)
        require_id(inputs, "mtls_certificate_id", "id of the uploaded CA (MTLSCertificate.id)", failures, pattern=None)
        hostnames = inputs.get("hostnames")
        if not has_unknown(hostnames):
            problems = hostname_problems(hostnames)
            if problems:
                failures.append(CheckFailure("hostnames", "hostnames: " + "; ".join(problems)))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new zone or CA; update when the hostnames differ (in any order). No API call."""
        replaces = [key for key in ("zone_id", "mtls_certificate_id") if differs(olds.get(key), news.get(key))]
        hostnames = news.get("hostnames")
        changed = bool(replaces) or has_unknown(hostnames) or not same_items(olds.get("hostnames"), hostnames)
        changed = changed or differs(bool(olds.get("adopt_existing")), news.get("adopt_existing") or False)
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    # -- lifecycle --------------------------------------------------------------------------------

    def _put(
        self, client: CloudflareClient, props: Mapping[str, Any], hostnames: Sequence[str], doing: str
    ) -> list[str]:
        zone_id, certificate_id = props["zone_id"], props["mtls_certificate_id"]
        missing = f"Check that zone {zone_id} exists and that CA certificate {certificate_id} is uploaded to the zone's account."
        with api_call(doing, if_not_found=missing):
            live = client.replace_hostname_associations(zone_id, certificate_id, hostnames)
        if sorted(live) != sorted(hostnames):
            # The PUT answer is the new list; confirm once with a read before calling it a failure.
            live = self._get(client, props, doing)
            if sorted(live) != sorted(hostnames):
                raise ProviderError(
                    f"{doing}: Cloudflare answered with hostnames {live}, not the {list(hostnames)} sent. "
                    "Run 'pulumi refresh' and then 'pulumi up' again."
                )
        return live

    @staticmethod
    def _get(client: CloudflareClient, props: Mapping[str, Any], doing: str) -> list[str]:
        with api_call(doing):
            return client.get_hostname_associations(props["zone_id"], props["mtls_certificate_id"])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Read the (zone, CA) list (not for a CA this process uploaded in this run: nobody else knows its id
        yet), then PUT the declared hostnames unless it already holds exactly them. A list holding other
        hostnames is refused, unchanged, unless ``adopt_existing``.

        If this call fails after the PUT was applied, Cloudflare holds the declared list but the stack does not
        record it; a re-run of the same program finds exactly that list and records it without writing. (If
        the hostnames were changed in the program in between, the re-run sees another list and refuses it as
        above: set ``adopt_existing=True`` for that run.)"""
        client = self.client()
        zone_id, certificate_id = props["zone_id"], props["mtls_certificate_id"]
        doing = f"Associating hostnames of zone {zone_id} with CA {certificate_id}"
        wanted = list(props["hostnames"])
        # The read guards a list made outside the stack; a CA uploaded by this run has none but ours.
        fresh = uploaded_this_run(certificate_id) and not _written_this_run(props)
        existing = [] if fresh else self._get(client, props, doing)
        if existing and sorted(existing) != sorted(wanted) and not props.get("adopt_existing"):
            raise ProviderError(
                f"Zone {zone_id} already associates {existing} with CA {certificate_id}, and this "
                "HostnameAssociation would replace that whole list (Cloudflare keeps one list per (zone, CA) "
                "pair). If another stack or a person made it, set adopt_existing=True to take it over (it becomes "
                "exactly the hostnames you declare), or remove it first. If it belongs to a HostnameAssociation "
                "of this stack that you renamed, keep the old name or add "
                "opts=ResourceOptions(aliases=[pulumi.Alias(name='<old name>')]) instead."
            )
        live = existing if sorted(existing) == sorted(wanted) else self._put(client, props, wanted, doing)
        _written(props)
        return CreateResult(association_id(zone_id, certificate_id), dict(_outputs(props, live)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PUT the declared list (it replaces the whole list; nothing when only the order changed). If this call
        fails the list may hold the old or the new hostnames; a re-run PUTs the same list again (idempotent)."""
        wanted = list(news["hostnames"])
        if same_items(olds.get("hostnames"), wanted):
            return UpdateResult(dict(_outputs(news, list(olds["hostnames"]))))
        doing = f"Updating the hostnames of zone {news['zone_id']} for CA {news['mtls_certificate_id']}"
        live = self._put(self.client(), news, wanted, doing)
        _written(news)
        return UpdateResult(dict(_outputs(news, live)))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Empty the list (PUT []), unless another resource of this stack took this (zone, CA) list over in
        this run (a renamed HostnameAssociation): then the list is its, and stays. Lists of other CAs are never
        touched (every PUT names its CA).

        If this call fails, the list may still hold hostnames (Pulumi keeps the resource); re-running is safe:
        PUT [] is idempotent, and a CA or zone already gone counts as emptied."""
        if _taken_over_this_run(props):
            return
        zone_id, certificate_id = props["zone_id"], props["mtls_certificate_id"]
        doing = f"Removing the hostnames of zone {zone_id} from CA {certificate_id}"
        with api_call(doing):
            try:
                live = self.client().replace_hostname_associations(zone_id, certificate_id, [])
            except NotFoundError:
                return  # the CA (or zone) is already gone: nothing is associated any more
        if live:
            raise ProviderError(f"{doing}: Cloudflare still lists {live} after the removal; run the command again.")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """One GET of the live list, recorded as the inputs too (see :func:`._state.read_result`); a CA or zone
        gone leaves the stack. Writes nothing: safe to interrupt and run again."""
        zone_id, certificate_id = props.get("zone_id"), props.get("mtls_certificate_id")
        if not zone_id or not certificate_id:
            zone_id, certificate_id = parse_association_id(id_)
            props = {**props, "zone_id": zone_id, "mtls_certificate_id": certificate_id}
        with api_call(f"Reading the hostnames of zone {zone_id}"):
            try:
                live = self.client().get_hostname_associations(zone_id, certificate_id)
            except NotFoundError:
                return read_result(None, {})
        return read_result(id_, _outputs(props, live), _LIVE_INPUTS)


@dataclass
class HostnameAssociationArgs:
    """Inputs of :class:`HostnameAssociation`."""

    #: The zone (32 hex characters) of the hostnames.
    zone_id: pulumi.Input[str]
    #: The uploaded CA: pass ``MTLSCertificate.id`` (so the list is emptied before the CA is deleted).
    mtls_certificate_id: pulumi.Input[str]
    #: The whole list for this (zone, CA) pair, in any order; replaces what Cloudflare holds.
    hostnames: pulumi.Input[Sequence[pulumi.Input[str]]]
    #: Take over a list that already has hostnames (made outside this stack) instead of refusing.
    adopt_existing: pulumi.Input[bool] | None = None


class HostnameAssociation(pulumi.dynamic.Resource, module="cfmtls", name="HostnameAssociation"):
    """The hostnames of one zone validated against one uploaded CA.

    Changing ``hostnames`` (order does not matter) updates in place; changing ``zone_id`` or
    ``mtls_certificate_id`` replaces it. On delete the list is emptied before its CA can be deleted.

    Arguments: as keywords, or ``args=HostnameAssociationArgs(...)``; each is documented on :class:`HostnameAssociationArgs`.
    """

    zone_id: pulumi.Output[str]
    mtls_certificate_id: pulumi.Output[str]
    hostnames: pulumi.Output[list[str]]
    adopt_existing: pulumi.Output[bool]
    #: The resource name that declared this (zone, CA) list (its owner in this stack).
    declared_by: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: HostnameAssociationArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        zone_id: pulumi.Input[str] | None = None,
        mtls_certificate_id: pulumi.Input[str] | None = None,
        hostnames: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        adopt_existing: pulumi.Input[bool] | None = None,
    ) -> None:
        refuse_import("HostnameAssociation", resource_name, opts, ADOPT_INSTEAD)
        if args is None:
            if zone_id is None or mtls_certificate_id is None or hostnames is None:
                raise TypeError("HostnameAssociation needs zone_id=, mtls_certificate_id= and hostnames=")
            args = HostnameAssociationArgs(zone_id, mtls_certificate_id, hostnames, adopt_existing)
        claimed_certificate_id = pulumi.Output.all(args.zone_id, args.mtls_certificate_id).apply(
            lambda ids: claim(resource_name, str(ids[0]), str(ids[1]))
        )
        props: dict[str, Any] = {
            **unset_outputs(HostnameAssociationState),
            "zone_id": args.zone_id,
            "mtls_certificate_id": claimed_certificate_id,
            "hostnames": args.hostnames,
            "adopt_existing": args.adopt_existing,
            "declared_by": resource_name,
        }
        super().__init__(HostnameAssociationProvider(), resource_name, props, opts)
