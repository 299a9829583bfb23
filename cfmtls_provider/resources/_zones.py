"""What an association's zone is, read once per provider process: whether Cloudflare knows the zone, and its
domain (to refuse hostnames outside it). Read at ``check``, so that ``pulumi preview`` refuses a wrong zone id, a
hostname outside its zone or a refused token before anything is written (a plain ``pulumi up`` previews first).

Reading a zone (``GET /zones/{zone_id}``) needs a token that may read it; a token with only the permissions the
resources write with (SSL and Certificates, Zone WAF) may not. Then the zone's Managed-CA hostname list is read
instead (the associations permission): it tells whether the zone exists, not its domain, so hostnames outside the
zone are left to Cloudflare to refuse at ``pulumi up``. When the account is known, its zones are listed in one paged
read for the whole run, instead of one read per zone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cloudflare.errors import NotFoundError, PermissionDeniedError
from ._errors import api_call
from ._this_run import ZoneFacts, this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["ZoneFacts", "zone_facts"]


def _read(client: CloudflareClient, zone_id: str, account_id: str) -> ZoneFacts:
    doing = f"Checking zone {zone_id} before anything is written"
    with api_call(doing):
        if account_id and not this_run.zones_listed(account_id):
            try:
                listed = client.list_zones(account_id)
            except PermissionDeniedError:
                listed = []
            this_run.record_zones(account_id, {zone.id: ZoneFacts(True, zone.name) for zone in listed})
            known = this_run.zone(zone_id)
            if known is not None:
                return known
        try:
            zone = client.get_zone(zone_id)
            return ZoneFacts(zone is not None, zone.name if zone is not None else "")
        except PermissionDeniedError:
            pass
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
