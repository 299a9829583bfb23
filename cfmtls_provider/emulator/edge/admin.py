"""The edge's admin routes: its CA certificate and its request log (no credentials, not logged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .server import EdgeServer

__all__ = ["edge_admin_routes"]

_NOT_RUNNING = "the mTLS edge is not running: start the emulator with --edge-port PORT"


def edge_admin_routes(prefix: str, edge: Callable[[], EdgeServer | None]) -> list[Route]:
    async def edge_ca(request: Request) -> Response:
        running = edge()
        if running is None:
            return JSONResponse({"error": _NOT_RUNNING}, 404)
        return PlainTextResponse(running.ca.pem, media_type="application/x-pem-file")

    async def edge_requests(request: Request) -> Response:
        running = edge()
        if running is None:
            return JSONResponse({"error": _NOT_RUNNING}, 404)
        if request.method == "DELETE":
            running.log.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(running.log.entries())

    return [
        Route(f"{prefix}/edge-ca", edge_ca, methods=["GET"]),
        Route(f"{prefix}/edge-requests", edge_requests, methods=["GET", "DELETE"]),
    ]
