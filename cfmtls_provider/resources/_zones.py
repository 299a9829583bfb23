"""What an association's zone is, read once per provider process: whether Cloudflare knows the zone, and its
domain (to refuse hostnames outside it). Read at ``check``, so that ``pulumi preview`` refuses a wrong zone id, a
hostname outside its zone or a refused token before anything is written (a plain ``pulumi up`` previews first).

Reading a zone (``GET /zones/{zone_id}``) needs a token that may read it; a token with only the permissions the
resources write with (SSL and Certificates, Zone WAF) may not. Then the zone's Managed-CA hostname list is read
instead (the associations permission): it tells whether the zone exists, not its domain, so hostnames outside the
zone are left to Cloudflare to refuse at ``pulumi up``.

A zone is read one by one, which names its account. Listing the account (``GET /zones?account.id=``, 50 zones asked
a page) answers for all its zones at once, but costs as many calls as the account has pages, whatever the stack's
size: a stack with one zone in an account of 5000 would pay 100 calls for one. So an account is listed only as
reading its zones one by one has cost as much: its first page at its second zone read (the answer says how many
pages there are), the other pages once the zones read one by one outnumber them. A stack never pays much more than
twice the cheaper of the two ways. The workers checking in parallel wait for the one listing an account rather than
list it too.

A zone read once is not read again for the same association: the check records the zone's name in the inputs
(``zone_name``), and a zone's name never changes (Cloudflare's "Edit Zone", ``PATCH /zones/{zone_id}``, takes
``paused``, ``type`` and ``vanity_name_servers`` only: <https://developers.cloudflare.com/api/resources/zones/methods/edit/>;
a domain added again is a new zone, with a new id). So a hostname change checks its hostnames against the recorded
name, and a preview of hostname changes across 1000 zones makes one read instead of 1000: one zone is still read per
run, the first, to confirm that the credentials work before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cloudflare.errors import NotFoundError, PermissionDeniedError
from ._errors import ProviderError, api_call
from ._this_run import AccountZones, ZoneFacts, this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["ZoneFacts", "zone_facts"]

#: The account's zones read one by one before its first page is read.
FIRST_PAGE_AFTER = 2


def _pages_due(progress: AccountZones) -> range:
    """The pages of an account's listing to read now, given how far the run has got (see the module)."""
    if progress.listed:
        return range(0)
    if progress.pages is None:
        return range(1, 2) if progress.read_one_by_one >= FIRST_PAGE_AFTER else range(0)
    if progress.read_one_by_one - FIRST_PAGE_AFTER < progress.pages - progress.pages_read:
        return range(0)
    return range(progress.pages_read + 1, progress.pages + 1)


def _list_as_needed(client: CloudflareClient, account_id: str) -> None:
    """A zone of the account was read one by one: read the pages of its listing that are now due (a token that
    may not list them: none, and no more tries)."""
    with this_run.listing(account_id):
        progress = this_run.account_zones(account_id)
        progress.read_one_by_one += 1
        for page in _pages_due(progress):
            try:
                zones, pages = client.zones_page(account_id, page)
            except PermissionDeniedError:
                progress.pages = progress.pages_read
                return
            this_run.record_zones({zone.id: ZoneFacts(True, zone.name) for zone in zones})
            progress.pages_read, progress.pages = page, pages
            if not zones:
                progress.pages = page
                return


def _read(client: CloudflareClient, zone_id: str) -> ZoneFacts:
    doing = f"Checking zone {zone_id} before anything is written"
    with api_call(doing):
        try:
            zone = client.get_zone(zone_id)
        except PermissionDeniedError:
            pass
        else:
            if zone is None:
                return ZoneFacts(False)
            if zone.account_id:
                _list_as_needed(client, zone.account_id)
            return ZoneFacts(True, zone.name)
        try:
            client.get_managed_ca_hostnames(zone_id)
        except NotFoundError:
            return ZoneFacts(False)
        return ZoneFacts(True)


def zone_facts(client: CloudflareClient, zone_id: str, recorded_name: str = "") -> ZoneFacts:
    """The zone's facts, from this run's memory, the name ``recorded_name`` the state holds for it once this run
    has confirmed the credentials, or read now (see the module). Raises ProviderError with the user's sentence when
    the reads fail (a refused token, nothing listening, ...)."""
    known = this_run.zone(zone_id)
    if known is not None:
        return known
    if recorded_name and this_run.credentials_confirmed is not False:
        with this_run.confirming():  # the workers wait for the one confirming read rather than read too
            if this_run.credentials_confirmed:
                known = ZoneFacts(True, recorded_name)
            elif this_run.credentials_confirmed is None:
                known = _confirm(client, zone_id)
    if known is None:
        known = _confirm(client, zone_id)
    this_run.record_zones({zone_id: known})
    return known


def _confirm(client: CloudflareClient, zone_id: str) -> ZoneFacts:
    """Read the zone; once one is found, the credentials are known to work for the rest of the run. A read that
    fails says so too: then each zone is read as its own check, in parallel, each failing with its own sentence."""
    try:
        facts = _read(client, zone_id)
    except ProviderError:
        this_run.credentials_confirmed = this_run.credentials_confirmed or False
        raise
    if facts.exists:
        this_run.credentials_confirmed = True
    return facts
