"""What the benchmark runs: the stack sizes, the operations in order, and the minimum calls of each."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def resources(self) -> int:
        """Resources the program declares (CAs, one association per zone, which owns the zone's rule)."""
        return self.cas + self.zones

    def zones_of_ca(self, ca: int) -> int:
        """Zones whose association uses CA ``ca`` (zone z uses CA z % cas)."""
        return len(range(ca, self.zones, self.cas))

    def describe(self) -> str:
        return f"{self.cas} CA x {self.zones} zones x {self.hosts} hostnames ({self.resources} resources)"


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
    "hostname-change",
    "rotation",
    "destroy",
)

#: The per-resource report (``--scaling``): 105, 305, 605 and 1005 resources, the operations whose cost can grow
#: with the stack (the previews and the rotation are left out to keep the run under an hour or so).
SCALING_SIZES = ("large", "large-305", "large-605", "xlarge")
SCALING_OPERATIONS = ("up", "up-noop", "refresh", "hostname-change", "destroy")

OPERATION_TITLES: dict[str, str] = {
    "preview": "preview (new stack)",
    "up": "up (create all)",
    "preview-noop": "preview (no change)",
    "up-noop": "up (no change)",
    "refresh": "refresh",
    "hostname-change": "up: +1 hostname per zone",
    "rotation": "up: rotate ca-0",
    "destroy": "destroy",
}


def minimum_calls(size: Size, operation: str) -> tuple[int, int]:
    """(reads, writes) the operation cannot do without; the reasoning is in docs/benchmarks.md."""
    cas, zones = size.cas, size.zones
    rotated_zones = size.zones_of_ca(0)
    minimums: dict[str, tuple[int, int]] = {
        # Check and Diff run locally: nothing to ask Cloudflare.
        "preview": (0, 0),
        "preview-noop": (0, 0),
        "up-noop": (0, 0),
        # One upload per CA, one association PUT per zone, one POST per zone for the rule (the entrypoint
        # ruleset created with the rule in it, or the rule added to an existing entrypoint).
        "up": (0, cas + zones + zones),
        # One read per resource: the CA, the (zone, CA) list, the zone's entrypoint holding the rule.
        "refresh": (cas + zones + zones, 0),
        # The new list (PUT) and the rule's expression (PATCH), per zone.
        "hostname-change": (0, zones + zones),
        # New CA (POST); per zone of ca-0: new list (PUT), rule pinned to the new SKI (PATCH), old list
        # emptied (PUT []); old CA (DELETE).
        "rotation": (0, 1 + 3 * rotated_zones + 1),
        # Rule DELETE and list PUT [] per zone; CA DELETE per CA.
        "destroy": (0, zones + zones + cas),
    }
    return minimums[operation]
