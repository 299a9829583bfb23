"""One run of ``cfmtls confirm-assumptions``: the refusal to run outside a scratch zone, the probes, the clean-up,
and a verdict for every assumption of ``cfmtls_provider/emulator/assumptions.py`` that is UNCONFIRMED (wholly or in
part): confirmed, refuted, or not checked and why."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..cloudflare.client import CloudflareClient
from ..cloudflare.models import Zone
from ..emulator import assumptions as cf
from ..emulator.assumptions import assumption_table
from .certificate_probes import certificate_probes
from .not_checked import why_not_checked
from .read_only import READ_ONLY_PROBES, listed_certificate
from .ruleset_probes import ruleset_probes
from .scratch import Scratch
from .verdict import Outcome, not_checked
from .wire import ConfirmError, Wire

__all__ = ["Confirmation", "confirm_assumptions", "unconfirmed_assumptions"]


@dataclass(frozen=True)
class Confirmation:
    account_id: str
    zone_id: str
    domain: str
    read_only: bool
    outcomes: tuple[Outcome, ...]
    #: What could not be removed, each a sentence with its id (empty: everything made was removed).
    left_behind: tuple[str, ...]
    requests: int

    def count(self, verdict: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.verdict == verdict)


def unconfirmed_assumptions() -> list[str]:
    """The assumptions whose comment says UNCONFIRMED, wholly or in part, in the module's order."""
    return [name for name, _, comment in assumption_table() if "UNCONFIRMED" in comment]


def confirm_assumptions(
    client: CloudflareClient,
    wire: Wire,
    zone_id: str,
    *,
    account_id: str | None = None,
    read_only: bool = False,
    lag_limit: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Confirmation:
    """Probe the API behind ``client`` and ``wire`` (the same base URL and credentials) in the scratch zone
    ``zone_id``; raises ConfirmError (nothing written, or what was left said) when it cannot go on."""
    zone = client.get_zone(zone_id)
    if zone is None:
        raise ConfirmError(f"zone {zone_id} is not a zone these credentials can see: pass the scratch zone's id.")
    account = account_id or zone.account_id
    if account_id and zone.account_id and account_id != zone.account_id:
        raise ConfirmError(f"zone {zone.name} ({zone.id}) belongs to account {zone.account_id}, not {account_id}.")
    if not read_only:
        _refuse_unless_scratch(client, zone, account)
    scratch = Scratch(
        wire, account, zone.id, zone.name, secrets.token_hex(6), lag_limit=lag_limit, sleep=sleep, clock=clock
    )
    outcomes: list[Outcome] = []
    try:
        for probe in READ_ONLY_PROBES:
            outcomes += probe(scratch)
        outcomes += listed_certificate(scratch) if read_only else certificate_probes(scratch) + ruleset_probes(scratch)
    except ConfirmError as error:
        left = scratch.clean_up()
        raise ConfirmError(f"{error} {_left_sentence(left)}") from None
    except BaseException:
        scratch.clean_up()
        raise
    left = scratch.clean_up()
    return Confirmation(account, zone.id, zone.name, read_only, _verdicts(outcomes, read_only), tuple(left), wire.sent)


def _left_sentence(left: Sequence[str]) -> str:
    if not left:
        return "Everything this run made was removed."
    return "Left behind, remove by hand: " + "; ".join(left) + "."


def _refuse_unless_scratch(client: CloudflareClient, zone: Zone, account: str) -> None:
    """A zone where anyone associated hostnames is no scratch zone: the command writes associations there."""
    records = client.list_certificates(account)
    lists = [("the Cloudflare Managed CA", client.get_managed_ca_hostnames(zone.id))]
    lists += [
        (f"CA {record.name!r} ({record.id})", client.get_hostname_associations(zone.id, record.id))
        for record in records
    ]
    found = [f"{who}: {', '.join(hostnames)}" for who, hostnames in lists if hostnames]
    if found:
        raise ConfirmError(
            f"zone {zone.name} ({zone.id}) has hostname associations this command did not make ({'; '.join(found)}); "
            "it writes hostname associations and a rule, so it runs only in a scratch zone without any: name one, "
            "or run it with --read-only. Nothing was written."
        )
    if sum(record.ca for record in records) >= cf.MAX_CA_CERTIFICATES_PER_ACCOUNT:
        raise ConfirmError(
            f"account {account} holds {cf.MAX_CA_CERTIFICATES_PER_ACCOUNT} CAs, Cloudflare's limit, and the command "
            "uploads a throwaway CA: free a slot, or run it with --read-only. Nothing was written."
        )


def _verdicts(outcomes: Sequence[Outcome], read_only: bool) -> tuple[Outcome, ...]:
    """One outcome per UNCONFIRMED assumption: its probes' merged (refuted if any probe refutes it), else why it
    was not checked."""
    by_name: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_name.setdefault(outcome.name, []).append(outcome)
    verdicts = []
    for name in unconfirmed_assumptions():
        found = by_name.get(name)
        if found:
            verdict = next((o.verdict for o in found if o.verdict == "refuted"), found[0].verdict)
            verdicts.append(Outcome(name, verdict, "; ".join(o.evidence for o in found)))
        elif why_not_checked(name):
            verdicts.append(not_checked(name, why_not_checked(name) or ""))
        elif read_only:
            verdicts.append(not_checked(name, "its probe writes to the account or the zone: run without --read-only"))
        else:
            verdicts.append(not_checked(name, "no probe checks it"))
    return tuple(verdicts)
