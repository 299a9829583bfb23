"""The admin routes under ``/__emulator__``: request log, state, faults, reset. No credentials, not logged."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import FaultRule, FaultSet, FaultSpecError
from .middleware import RequestLog
from .store import Store

__all__ = ["ADMIN_PREFIX", "admin_routes"]

ADMIN_PREFIX = "/__emulator__"


def admin_routes(store: Store, faults: FaultSet, log: RequestLog) -> list[Route]:
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(log.entries())

    async def state(request: Request) -> Response:
        return JSONResponse(store.snapshot())

    async def reset(request: Request) -> Response:
        store.reset()
        log.clear()
        faults.clear()
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

    return [
        Route(f"{ADMIN_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/state", state, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", fault_rules, methods=["GET", "POST", "DELETE"]),
    ]
