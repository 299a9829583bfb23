"""Run the emulator with uvicorn in a background thread, on a given or free port.

    with EmulatorServer() as emulator:
        httpx.get(f"{emulator.base_url}/accounts/.../mtls_certificates", headers=emulator.auth_headers)

The socket is bound before the server starts, so ``.base_url`` is known (and connectable) right away.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from ..client_auth import MultipleCAPolicy
from . import assumptions as cf
from .admin_client import ADMIN_PREFIX
from .app import Emulator, create_app
from .background import BackgroundServer
from .config import EmulatorConfig, Zone, parse_zone
from .faults import FaultRule, FaultSet
from .middleware import DroppedConnection, RequestLog
from .models.certificates import seed_managed_certificate
from .models.state import State
from .models.zones import ZoneDirectory
from .store import Store

if TYPE_CHECKING:
    from .edge import EdgeServer

__all__ = ["EmulatorServer"]


class _HideDrops(logging.Filter):
    """uvicorn logs the exception that aborts a dropped answer; that drop is deliberate, so hide it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, DroppedConnection):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


_drop_filter = _HideDrops()
logging.getLogger("uvicorn.error").addFilter(_drop_filter)


class _QuickServer(uvicorn.Server):
    """uvicorn checks for shutdown every 100 ms; tests start and stop many servers, so check every 10 ms."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


class EmulatorServer(BackgroundServer):
    """An emulator serving HTTP on ``host:port`` (port 0: a free one) until :meth:`stop`."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Path | str | None = None,
        faults: list[FaultRule] | None = None,
        log_level: str = "warning",
        edge_port: int | None = None,
        edge_ca_file: Path | str | None = None,
        edge_multiple_cas: MultipleCAPolicy = "newest",
    ) -> None:
        """``edge_port`` (0: a free one) also serves the mTLS edge (:mod:`.edge`) on ``host``."""
        self.config = config or EmulatorConfig()
        self.host = host
        self.emulator = Emulator(
            config=self.config,
            store=Store(Path(state_file) if state_file is not None else None, seed=self._seed),
            faults=FaultSet(faults),
            log=RequestLog(),
            zones=ZoneDirectory(self.config.zones),
        )
        if edge_port is not None:
            from .edge import EdgeServer

            self.emulator.edge = EdgeServer(
                self.emulator.store,
                host=host,
                port=edge_port,
                zones=getattr(self.config, "zones", None),
                ca_file=Path(edge_ca_file) if edge_ca_file is not None else None,
                policy=edge_multiple_cas,
            )
        self._requested_port = port
        self._log_level = log_level
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def _seed(self, state: State) -> None:
        for seed in self.config.managed_certificates:
            seed_managed_certificate(state, seed.account_id, seed.type)

    # --- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP: asyncio then sets TCP_NODELAY
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            create_app(self.emulator),
            lifespan="off",
            log_level=self._log_level,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = _QuickServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"cfmtls-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server failed to start (see the log above)")
            self._thread.join(0.01)
        if self.emulator.edge is not None:
            self.emulator.edge.start()
        return self

    def stop(self) -> None:
        if self.emulator.edge is not None:
            self.emulator.edge.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.emulator.store.close()

    # --- addresses and helpers -----------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return self._url("http")

    @property
    def base_url(self) -> str:
        """The Cloudflare API base URL, ``http://HOST:PORT/client/v4``."""
        return self.root_url + cf.API_PREFIX

    @property
    def admin_url(self) -> str:
        """The admin endpoints' base, ``http://HOST:PORT/__emulator__``."""
        return self.root_url + ADMIN_PREFIX

    @property
    def edge(self) -> EdgeServer:
        """The mTLS edge (``edge_port`` given): ``.url``, ``.ca_file``, ``.ca.pem``, ``.log``."""
        if self.emulator.edge is None:
            raise RuntimeError("this emulator has no edge: pass edge_port= (0 for a free port)")
        return self.emulator.edge

    @property
    def token(self) -> str:
        """The first accepted token (:data:`~.assumptions.DEFAULT_TOKEN` unless configured otherwise)."""
        return next(iter(self.config.tokens), cf.DEFAULT_TOKEN)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def asgi_app(self) -> ASGIApp:
        """The same emulator as an ASGI application, for use without a socket (``httpx.ASGITransport``).

        It shares this object's state, request log and faults, whether or not the server is started."""
        return create_app(self.emulator)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on the API base URL with a bearer token (the default one unless given)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, **kwargs)

    def requests(self) -> list[dict[str, Any]]:
        return self.emulator.log.entries()

    def clear_requests(self) -> None:
        self.emulator.log.clear()

    def state(self) -> dict[str, Any]:
        return self.emulator.store.snapshot()

    def add_zone(self, spec: str | Zone) -> None:
        """Declare a zone (``"ID=DOMAIN@ACCOUNT"``), as ``--zone`` does."""
        self.emulator.zones.declare([parse_zone(spec) if isinstance(spec, str) else spec])

    def add_fault(self, spec: str | dict[str, Any]) -> None:
        self.emulator.faults.add([FaultRule.from_json(spec)])

    def reset(self) -> None:
        self.emulator.reset()
