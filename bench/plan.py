"""What the benchmark runs: the stack sizes, the operations in order, and the minimum calls of each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from cfmtls_provider.transitions import Enforcement, Intent, apply, plan

__all__ = [
    "DEFAULT_SIZES",
    "OPERATIONS",
    "OPERATION_TITLES",
    "SCALING_OPERATIONS",
    "SCALING_SIZES",
    "SIZES",
    "Size",
    "minimum_calls",
]


@dataclass(frozen=True)
class Size:
    name: str
    cas: int
    zones: int
    hosts: int
    #: 1: one association per zone, which owns the zone's rule; 2: an association and a rule resource (0.1's bench
    #: stack, measured as the "before" of ``--scaling --before``: bench/baseline.py).
    resources_per_zone: int = 1

    @property
    def resources(self) -> int:
        """Resources the program declares (CAs, and per zone its association, and in 0.1 its rule)."""
        return self.cas + self.resources_per_zone * self.zones

    def zones_of_ca(self, ca: int) -> int:
        """Zones whose association uses CA ``ca`` (zone z uses CA z % cas)."""
        return len(range(ca, self.zones, self.cas))

    def describe(self) -> str:
        return f"{self.cas} CA x {self.zones} zones x {self.hosts} hostnames ({self.resources} resources)"


#: From this many resources on, the README recommends ``PULUMI_SKIP_CHECKPOINTS=true`` ("Large stacks"), and the
#: bench's default (``--checkpoints auto``) runs a size so.
LARGE_STACK_RESOURCES = 300

#: Named by their resources (3, 25, 105, 305, 605, 1005), kept when the rule moved into the association: a size has
#: twice the zones it had when each zone held an association and a separate rule resource.
SIZES: dict[str, Size] = {
    "small": Size("small", 1, 2, 2),
    "medium": Size("medium", 5, 20, 10),
    "large": Size("large", 5, 100, 20),
    # The large shape (5 CAs, 20 hostnames per zone) with more zones: the steps between large and xlarge.
    "large-305": Size("large-305", 5, 300, 20),
    "large-605": Size("large-605", 5, 600, 20),
    # About 1000 resources: more calls than one window of Cloudflare's budget allows (1200 per 5 minutes).
    "xlarge": Size("xlarge", 5, 1000, 20),
}

#: What `python -m bench.run` runs without --sizes (xlarge is run on its own: it takes minutes per operation).
DEFAULT_SIZES = ("small", "medium", "large")

#: The operations, in the order each repeat runs them on one fresh stack.
OPERATIONS: tuple[str, ...] = (
    "preview",
    "up",
    "preview-noop",
    "up-noop",
    "refresh",
    "up-refresh",
    "hostname-change",
    "rotation",
    "destroy",
)

#: The per-resource report (``--scaling``): 105, 305, 605 and 1005 resources, the operations whose cost can grow
#: with the stack (the previews and the rotation are left out to keep the run under an hour or so).
SCALING_SIZES = ("large", "large-305", "large-605", "xlarge")
SCALING_OPERATIONS = ("up", "up-noop", "refresh", "up-refresh", "hostname-change", "destroy")

OPERATION_TITLES: dict[str, str] = {
    "preview": "preview (new stack)",
    "up": "up (create all)",
    "preview-noop": "preview (no change)",
    "up-noop": "up (no change)",
    "refresh": "refresh",
    "up-refresh": "up --refresh (no change)",
    "hostname-change": "up: +1 hostname per zone",
    "rotation": "up: rotate ca-0",
    "destroy": "destroy",
}


@cache
def _writes_per_association() -> dict[str, int]:
    """The writes of one association in each operation, counted from the plan the provider carries out
    (:func:`cfmtls_provider.transitions.plan`) for one association of the bench: its zone, its CA, its hostnames.

    Each write of the plan is one the ordering guarantees need (checked over every prefix by
    tests/rules/test_transitions.py): a hostname is associated before the rule requires it, the rule accepts a new
    issuer before the list moves verification to the new CA and pins it only once the old list is emptied, and it
    stops requiring before a list is emptied; so the plan's length is the minimum. In the bench every rule is the
    only one of an entrypoint this package made: the delete's first write deletes that entrypoint with the rule in
    it (``DELETE /zones/{z}/rulesets/{id}``), which leaves the zone as it found it in the same one call."""
    hosts = frozenset({"h0.z0.example.com"})
    deployed = Intent("ca", hosts, "SKI")
    start = Enforcement({}, None)
    for write in plan(start, deployed):
        start = apply(start, write)
    return {
        "create": len(plan(Enforcement({}, None), deployed)),
        "hostname-change": len(plan(start, Intent("ca", hosts | {"x.z0.example.com"}, "SKI"))),
        "rotation": len(plan(start, Intent("new-ca", hosts, "NEW-SKI"))),
        "delete": len(plan(start, None)),
    }


def minimum_calls(size: Size, operation: str) -> tuple[int, int]:
    """(reads, writes) the operation cannot do without; the reasoning is in docs/benchmarks.md."""
    cas, zones = size.cas, size.zones
    rotated_zones = size.zones_of_ca(0)
    per_association = _writes_per_association()
    minimums: dict[str, tuple[int, int]] = {
        # Check and Diff run locally: nothing to ask Cloudflare.
        "preview": (0, 0),
        "preview-noop": (0, 0),
        "up-noop": (0, 0),
        # One upload per CA; per association (2): its list (PUT), then its rule (one POST: the entrypoint ruleset
        # created with the rule in it, or the rule added to an existing entrypoint).
        "up": (0, cas + per_association["create"] * zones),
        # One read per CA (GET the certificate); per association its (zone, CA) list and the zone's entrypoint
        # holding its rule (the only way to read one rule's ref and expression).
        "refresh": (cas + 2 * zones, 0),
        # The refresh's reads; then the program's check and diff, which ask Cloudflare nothing.
        "up-refresh": (cas + 2 * zones, 0),
        # Per association (2): the new list (PUT), then the rule requiring the new hostname (PATCH).
        "hostname-change": (0, per_association["hostname-change"] * zones),
        # New CA (POST); per association of ca-0 (4): the rule accepts both issuers (PATCH), the new CA's list (PUT),
        # the old list emptied (PUT []), the rule pins the new issuer (PATCH); old CA (DELETE).
        "rotation": (0, 1 + per_association["rotation"] * rotated_zones + 1),
        # Per association (2): the entrypoint DELETE with the rule in it, then the list PUT []; CA DELETE per CA.
        "destroy": (0, per_association["delete"] * zones + cas),
    }
    return minimums[operation]
