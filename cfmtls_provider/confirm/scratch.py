"""The scratch the probes work in: the user's scratch zone and account, and everything a run makes there, so that
all of it is removed at the end, whatever failed (:meth:`Scratch.clean_up`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .wire import Reply, Wire

__all__ = ["Scratch"]

#: How often a CA delete refused as in use is sent again.
DELETE_POLL_SECONDS = 2.0


@dataclass
class Scratch:
    """One run: where it works, and what it made (CA uploads, rules, rulesets), by id."""

    wire: Wire
    account_id: str
    zone_id: str
    domain: str
    #: Random hex in every name and hostname this run makes.
    tag: str
    #: How long a CA delete may wait for the association lag.
    lag_limit: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    cas: dict[str, str] = field(default_factory=dict)
    rules: list[tuple[str, str]] = field(default_factory=list)
    rulesets: list[str] = field(default_factory=list)

    # -- paths and names ------------------------------------------------------------------------------------

    @property
    def certificates(self) -> str:
        return f"/accounts/{self.account_id}/mtls_certificates"

    @property
    def associations(self) -> str:
        return f"/zones/{self.zone_id}/certificate_authorities/hostname_associations"

    @property
    def rulesets_path(self) -> str:
        return f"/zones/{self.zone_id}/rulesets"

    def hostname(self, label: str) -> str:
        """A hostname of the scratch zone that only this run uses."""
        return f"{label}-cfmtls-confirm-{self.tag}.{self.domain}"

    # -- making things (each recorded before anything else can fail) ---------------------------------------

    def upload(self, body: Any = None, *, raw_body: str | None = None) -> Reply:
        reply = self.wire.send("POST", self.certificates, body=body, raw_body=raw_body)
        made = reply.result.get("id") if reply.ok and isinstance(reply.result, dict) else None
        if isinstance(made, str):
            self.cas[made] = "an upload"
        return reply

    def associate(self, ca_id: str, body: dict[str, Any]) -> Reply:
        return self.wire.send("PUT", self.associations, body={**body, "mtls_certificate_id": ca_id})

    def hostnames_of(self, ca_id: str) -> Reply:
        return self.wire.send("GET", self.associations, params={"mtls_certificate_id": ca_id})

    def delete_when_free(self, ca_id: str) -> tuple[Reply, Reply, float]:
        """Delete an upload, sent again while refused as in use (the association lag) up to ``lag_limit``:
        the first answer, the last one and the seconds between them."""
        started = self.clock()
        first = last = self.wire.send("DELETE", f"{self.certificates}/{ca_id}")
        while not last.ok and last.status != 404 and self.clock() - started < self.lag_limit:
            self.sleep(DELETE_POLL_SECONDS)
            last = self.wire.send("DELETE", f"{self.certificates}/{ca_id}")
        if last.ok or last.status == 404:
            self.cas.pop(ca_id, None)
        return first, last, self.clock() - started

    # -- removing all of it ---------------------------------------------------------------------------------

    def clean_up(self) -> list[str]:
        """Remove what this run made (rules, rulesets, the uploads' hostnames, the uploads); what could not be
        removed, each a sentence with its id."""
        left: list[str] = []
        for ruleset_id, rule_id in reversed(self.rules):
            reply = self.wire.send("DELETE", f"{self.rulesets_path}/{ruleset_id}/rules/{rule_id}")
            if not reply.ok and reply.status != 404:
                left.append(f"rule {rule_id} of ruleset {ruleset_id} in zone {self.zone_id} ({reply.said()})")
        for ruleset_id in reversed(self.rulesets):
            reply = self.wire.send("DELETE", f"{self.rulesets_path}/{ruleset_id}")
            if not reply.ok and reply.status != 404:
                left.append(f"ruleset {ruleset_id} in zone {self.zone_id} ({reply.said()})")
        self.rules.clear()
        self.rulesets.clear()
        for ca_id in list(self.cas):
            self.associate(ca_id, {"hostnames": []})
            _, last, _ = self.delete_when_free(ca_id)
            if ca_id in self.cas:
                left.append(f"CA {ca_id} in account {self.account_id} ({last.said()})")
        return left
