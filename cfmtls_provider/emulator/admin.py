"""The admin routes under ``/__emulator__``: request log, state, faults, zones, reset. No credentials, not logged,
outside the rate limit. Their client is :class:`.admin_client.EmulatorAdmin`."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .admin_client import ADMIN_PREFIX
from .config import Zone, parse_zone
from .faults import FaultRule, FaultSet, FaultSpecError
from .middleware import RequestLog
from .models.zones import ZoneDirectory
from .store import Store

__all__ = ["ADMIN_PREFIX", "admin_routes"]


def admin_routes(
    store: Store, faults: FaultSet, log: RequestLog, zones: ZoneDirectory, *, reset: Callable[[], None]
) -> list[Route]:
    """The admin routes; ``reset`` puts the whole emulator back to its state at start (``Emulator.reset``)."""

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(log.entries())

    async def state(request: Request) -> Response:
        return JSONResponse(store.snapshot())

    async def reset_all(request: Request) -> Response:
        reset()
        return JSONResponse({"reset": True})

    async def fault_rules(request: Request) -> Response:
        if request.method == "DELETE":
            faults.clear()
        elif request.method == "POST":
            try:
                data = json.loads(await request.body())
                items = data if isinstance(data, list) else [data]
                faults.add([FaultRule.from_json(item) for item in items])
            except (ValueError, FaultSpecError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(faults.list())

    async def zone_list(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json.loads(await request.body())
                items = data if isinstance(data, list) else [data]
                zones.declare([_zone(item) for item in items])
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(zones.to_json())

    return [
        Route(f"{ADMIN_PREFIX}/zones", zone_list, methods=["GET", "POST"]),
        Route(f"{ADMIN_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/state", state, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/reset", reset_all, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", fault_rules, methods=["GET", "POST", "DELETE"]),
    ]


def _zone(item: object) -> Zone:
    """A zone from ``"ID=DOMAIN@ACCOUNT"`` or ``{"id", "name", "account_id"}``."""
    if isinstance(item, str):
        return parse_zone(item)
    if isinstance(item, dict):
        return Zone(str(item.get("id", "")), str(item.get("name", "")).lower(), str(item.get("account_id", "")))
    raise ValueError('a zone is "ID=DOMAIN@ACCOUNT" or {"id", "name", "account_id"}')
