"""The emulator's HTTP application, assembled: API routes, admin routes, and the layer around API calls.

The parts, the way moto splits an emulated service: :mod:`.routes` (method, path, scope -> handler),
:mod:`.handlers` (parse, call the model, wrap the envelope), :mod:`.models` (Cloudflare's rules on the
state), :mod:`.admin` (``/__emulator__``), :mod:`.middleware` (latency, faults, request log), :mod:`.budget`
(the API rate limit). The facts they
assume live in :mod:`.assumptions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import assumptions as cf
from .admin import ADMIN_PREFIX, admin_routes
from .budget import Budget, RateLimitLayer
from .config import EmulatorConfig
from .edge.admin import edge_admin_routes
from .envelope import spec_response
from .faults import FaultSet
from .handlers import Handlers
from .middleware import APILayer, ASGIApp, RequestLog
from .models.zones import ZoneDirectory
from .routes import api_routes
from .store import Store

if TYPE_CHECKING:
    from .edge import EdgeServer

__all__ = ["Emulator", "create_app"]


@dataclass
class Emulator:
    """One emulator: its configuration, state, fault rules, request log, rate-limit budget (and its mTLS edge,
    if started)."""

    config: EmulatorConfig
    store: Store
    faults: FaultSet
    log: RequestLog
    edge: EdgeServer | None = None
    zones: ZoneDirectory = field(default_factory=ZoneDirectory)
    budget: Budget | None = field(default=None)

    def __post_init__(self) -> None:
        if self.budget is None and self.config.rate_limit is not None:
            self.budget = Budget(self.config.rate_limit)

    def reset(self) -> None:
        """Back to the state at start (as moto's ``BaseBackend.reset()``): the seeded store, no request logged, no
        fault rule, a full rate-limit budget. The declared zones and the edge stay."""
        self.store.reset()
        self.log.clear()
        self.faults.clear()
        if self.budget is not None:
            self.budget.reset()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer a v4 envelope, like Cloudflare."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    spec = cf.METHOD_NOT_ALLOWED if status == 405 else cf.NO_ROUTE if status == 404 else cf.SERVER_ERROR
    return spec_response(spec, status)


def create_app(emulator: Emulator) -> APILayer:
    """The ASGI application: the routes, wrapped by the rate limit, then latency, faults and the request log."""
    handlers = Handlers(emulator.config, emulator.store, emulator.zones)
    routes = [
        *api_routes(handlers),
        *admin_routes(emulator.store, emulator.faults, emulator.log, emulator.zones, reset=emulator.reset),
        *edge_admin_routes(ADMIN_PREFIX, lambda: emulator.edge),
    ]
    app: ASGIApp = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    if emulator.budget is not None:
        app = RateLimitLayer(app, emulator.budget)
    return APILayer(app, faults=emulator.faults, log=emulator.log, latency_ms=emulator.config.latency_ms)
