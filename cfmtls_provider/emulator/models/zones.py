"""The zones the emulated API serves: declared at start (``--zone``, ``EmulatorConfig.zones``) or later through
the admin API (``POST /__emulator__/zones``). Each has an id, a name (its domain) and an account."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict

from ..config import Zone

__all__ = ["ZoneDirectory"]


class ZoneDirectory:
    """Zones by id, thread-safe; declaring a zone again replaces it."""

    def __init__(self, zones: Mapping[str, Zone] | None = None) -> None:
        self._lock = threading.Lock()
        self._zones: dict[str, Zone] = dict(zones or {})

    def get(self, zone_id: str) -> Zone | None:
        with self._lock:
            return self._zones.get(zone_id)

    def declare(self, zones: Iterable[Zone]) -> None:
        with self._lock:
            self._zones.update({zone.id: zone for zone in zones})

    def to_json(self) -> list[dict[str, str]]:
        with self._lock:
            return [asdict(zone) for zone in sorted(self._zones.values(), key=lambda zone: zone.id)]
