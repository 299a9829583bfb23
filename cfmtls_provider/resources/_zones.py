"""What an association's zone is, read once per provider process: whether Cloudflare knows the zone, and its
domain (to refuse hostnames outside it). Read at ``check``, so that ``pulumi preview`` refuses a wrong zone id, a
hostname outside its zone or a refused token before anything is written (a plain ``pulumi up`` previews first).

Reading a zone (``GET /zones/{zone_id}``) needs a token that may read it; a token with only the permissions the
resources write with (SSL and Certificates, Zone WAF) may not. Then the zone's Managed-CA hostname list is read
instead (the associations permission): it tells whether the zone exists, not its domain, so hostnames outside the
zone are left to Cloudflare to refuse at ``pulumi up``.

Each account the run meets is listed once (``GET /zones?account.id=``, paged), instead of one read per zone: the
account of the settings before the first zone read, and the account of a zone read one by one (a stack whose CAs
live in several accounts) as soon as that read names it. The workers checking in parallel wait for the one
listing an account rather than list it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cloudflare.errors import NotFoundError, PermissionDeniedError
from ._errors import api_call
from ._this_run import ZoneFacts, this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["ZoneFacts", "zone_facts"]


def _list_account(client: CloudflareClient, account_id: str) -> None:
    """Record every zone of the account, once per run (a token that may not list them: none recorded)."""
    with this_run.listing(account_id):
        if this_run.zones_listed(account_id):
            return
        try:
            listed = client.list_zones(account_id)
        except PermissionDeniedError:
            listed = []
        this_run.record_zones(account_id, {zone.id: ZoneFacts(True, zone.name) for zone in listed})


def _read(client: CloudflareClient, zone_id: str, account_id: str) -> ZoneFacts:
    doing = f"Checking zone {zone_id} before anything is written"
    with api_call(doing):
        if account_id:
            _list_account(client, account_id)
            known = this_run.zone(zone_id)
            if known is not None:
                return known
        try:
            zone = client.get_zone(zone_id)
        except PermissionDeniedError:
            pass
        else:
            if zone is None:
                return ZoneFacts(False)
            if zone.account_id and zone.account_id != account_id:
                _list_account(client, zone.account_id)  # the next zones of that account are answered from memory
            return ZoneFacts(True, zone.name)
        try:
            client.get_managed_ca_hostnames(zone_id)
        except NotFoundError:
            return ZoneFacts(False)
        return ZoneFacts(True)


def zone_facts(client: CloudflareClient, zone_id: str, account_id: str) -> ZoneFacts:
    """The zone's facts, from this run's memory or read now (see the module). Raises ProviderError with the
    user's sentence when the reads fail (a refused token, nothing listening, ...)."""
    known = this_run.zone(zone_id)
    if known is None:
        known = _read(client, zone_id, account_id)
        this_run.record_zones("", {zone_id: known})
    return known
