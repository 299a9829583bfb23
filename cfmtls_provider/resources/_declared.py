"""Program side: what the associations of one Pulumi program declare, checked across resources as the program
registers them (the program runs in its own process; one object, :data:`declared`, with a :meth:`reset`).

- One owner per (zone, CA) hostname list: Cloudflare keeps one list per pair and every PUT replaces it whole, so
  two resources declaring the same pair would overwrite each other; the second one is refused.
- Two CAs on one hostname: each association's rule admits only clients of its own CA, and Cloudflare verifies a
  client against one of the hostname's CAs, so a hostname two associations of a zone cover under two CAs admits
  almost nobody: a warning at preview, naming both.

Indexed by zone, and inside a zone by hostname and by the parent domain of wildcards, so each declaration costs
the size of its own hostname list whatever the size of the program.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pulumi

__all__ = ["DeclaredAssociations", "declared"]


def _parent(hostname: str) -> str:
    return hostname.partition(".")[2]


@dataclass
class _Zone:
    exact: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # name -> CA -> resource
    wildcards: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # parent -> CA -> res.
    exact_by_parent: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))


@dataclass
class DeclaredAssociations:
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    zones: dict[str, _Zone] = field(default_factory=lambda: defaultdict(_Zone))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def reset(self) -> None:
        with self._lock:
            self.owners.clear()
            self.zones.clear()

    def claim(self, resource_name: str, zone_id: str, ca_key: str, ca_label: str = "") -> None:
        """Record that ``resource_name`` declares the (zone, CA) list (the CA by its ``ca_key``: the MTLSCertificate's
        URN, or its id); a second declaration is refused."""
        with self._lock:
            owner = self.owners.setdefault((zone_id, ca_key), resource_name)
        if owner != resource_name:
            raise pulumi.RunError(
                f"HostnameAssociation {resource_name!r} and {owner!r} both declare the hostnames of zone {zone_id} "
                f"for {ca_label or 'CA ' + ca_key}. Cloudflare keeps one hostname list per (zone, CA) pair and each update "
                f"replaces it whole, so one resource must own it: put every hostname in {owner!r} and remove "
                f"{resource_name!r}."
            )

    def shared_with_other_cas(
        self, resource_name: str, zone_id: str, certificate_id: str, hostnames: Iterable[str]
    ) -> dict[tuple[str, str], list[str]]:
        """Record the hostnames; return, per (other resource, its CA), the hostnames of ours it covers too."""
        shared: dict[tuple[str, str], set[str]] = defaultdict(set)
        with self._lock:
            zone = self.zones[zone_id]
            for name in hostnames:
                if name.startswith("*."):
                    parent = name[2:]
                    others = [(other, ca, name) for ca, other in zone.wildcards[parent].items()]
                    for ca, names in zone.exact_by_parent[parent].items():
                        others += [(zone.exact[exact][ca], ca, exact) for exact in names]
                    zone.wildcards[parent].setdefault(certificate_id, resource_name)
                else:
                    others = [(other, ca, name) for ca, other in zone.exact[name].items()]
                    others += [(other, ca, name) for ca, other in zone.wildcards[_parent(name)].items()]
                    zone.exact[name].setdefault(certificate_id, resource_name)
                    zone.exact_by_parent[_parent(name)].setdefault(certificate_id, set()).add(name)
                for other, ca, covered in others:
                    if ca != certificate_id and other != resource_name:
                        shared[(other, ca)].add(covered)
        return {key: sorted(names) for key, names in shared.items()}


#: The one instance of the program process.
declared = DeclaredAssociations()
