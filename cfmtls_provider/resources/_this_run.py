"""What one provider process has learnt during the Pulumi command it serves (one ``python -m pulumi.dynamic`` serves
one ``pulumi preview``, ``up``, ``refresh`` or ``destroy``): one object, :data:`this_run`, with a :meth:`ThisRun.reset`.

The engine calls ``diff`` for every resource of the program before it runs the deletions at the end of the run, and
``create`` before the resources that depend on it; so by the time a ``delete`` runs, this object knows which CA
uploads the stack still holds, and a resource knows what the run did before it. Nothing here is ever written to
the state: a process started later learns afresh.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["AccountZones", "ThisRun", "UploadKind", "ZoneFacts", "this_run"]

#: How a CA came into this run: uploaded now (nobody else knows its id yet), or taken back (an upload of this
#: resource made by an earlier run that did not record it, or recorded it under a record being replaced).
UploadKind = Literal["uploaded", "taken_back"]


@dataclass(frozen=True)
class ZoneFacts:
    """What a zone read in this run is (:mod:`._zones` reads it): ``exists``, Cloudflare knows the zone (for these
    credentials); ``domain``, its name, "" when not readable."""

    exists: bool
    domain: str = ""


@dataclass
class AccountZones:
    """How far this run has listed one account's zones (see :mod:`._zones`); changed only by the worker holding
    the account's :meth:`ThisRun.listing` lock."""

    #: Zones of the account read one by one (``GET /zones/{id}``).
    read_one_by_one: int = 0
    #: Pages of the account's listing read, and how many it has (None: no page read yet).
    pages_read: int = 0
    pages: int | None = None

    @property
    def listed(self) -> bool:
        return self.pages is not None and self.pages_read >= self.pages


@dataclass
class ThisRun:
    """Process-wide memory of the current Pulumi command, shared by the provider server's worker threads."""

    #: CA ids a create of this run uploaded or took back.
    uploads: dict[str, UploadKind] = field(default_factory=dict)
    #: CA ids held by a record of the stack that stays (its diff did not replace it, or this run created it).
    live_certificates: set[str] = field(default_factory=set)
    #: CA ids whose record is replaced delete-first in this run (the old upload goes before the new one comes).
    deleted_first: set[str] = field(default_factory=set)
    #: (zone id, CA id) lists written by this run, and by which HostnameAssociation (its resource name).
    lists_written: dict[tuple[str, str], str] = field(default_factory=dict)
    #: What the zones read in this run are (zone id -> facts), and how far each account's zones were listed.
    zones: dict[str, ZoneFacts] = field(default_factory=dict)
    accounts: dict[str, AccountZones] = field(default_factory=dict)
    #: Whether a zone read of this run confirmed the credentials (see :mod:`._zones`): True once a zone was read and
    #: found, False once such a read failed (then every zone is read, as its own check), None before.
    credentials_confirmed: bool | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _listing: dict[str, threading.Lock] = field(default_factory=dict, repr=False, compare=False)
    _confirming: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def reset(self) -> None:
        """Forget everything (tests; a provider process serves one command and never needs it)."""
        with self._lock:
            self.uploads.clear()
            self.live_certificates.clear()
            self.deleted_first.clear()
            self.lists_written.clear()
            self.zones.clear()
            self.accounts.clear()
            self._listing.clear()
            self.credentials_confirmed = None

    # -- MTLSCertificate --------------------------------------------------------------------------------------

    def record_upload(self, certificate_id: str, kind: UploadKind) -> None:
        with self._lock:
            self.uploads[certificate_id] = kind
            self.live_certificates.add(certificate_id)

    def keep_certificate(self, certificate_id: str) -> None:
        """A record of the stack holds this upload after this run (its diff is not a replacement)."""
        with self._lock:
            self.live_certificates.add(certificate_id)

    def delete_first(self, certificate_id: str) -> None:
        with self._lock:
            self.deleted_first.add(certificate_id)

    def certificate_is_live(self, certificate_id: str) -> bool:
        with self._lock:
            return certificate_id in self.live_certificates

    def certificate_deleted_first(self, certificate_id: str) -> bool:
        with self._lock:
            return certificate_id in self.deleted_first

    def upload_kind(self, certificate_id: str) -> UploadKind | None:
        with self._lock:
            return self.uploads.get(certificate_id)

    # -- HostnameAssociation ------------------------------------------------------------------------------

    def record_list(self, zone_id: str, certificate_id: str, declared_by: str) -> None:
        with self._lock:
            self.lists_written[(zone_id, certificate_id)] = declared_by

    def list_writer(self, zone_id: str, certificate_id: str) -> str | None:
        with self._lock:
            return self.lists_written.get((zone_id, certificate_id))

    # -- zones ----------------------------------------------------------------------------------------------------

    def zone(self, zone_id: str) -> ZoneFacts | None:
        with self._lock:
            return self.zones.get(zone_id)

    def account_zones(self, account_id: str) -> AccountZones:
        """The account's listing progress; read and change it holding :meth:`listing`."""
        with self._lock:
            return self.accounts.setdefault(account_id, AccountZones())

    def listing(self, account_id: str) -> threading.Lock:
        """Held while one worker lists the account's zones: the others wait for its answer instead of listing too."""
        with self._lock:
            return self._listing.setdefault(account_id, threading.Lock())

    def record_zones(self, zones: dict[str, ZoneFacts]) -> None:
        with self._lock:
            self.zones.update(zones)

    def confirming(self) -> threading.Lock:
        """Held while one worker reads a zone to confirm the credentials: the others wait for its answer."""
        return self._confirming


#: The one instance of the process.
this_run = ThisRun()
