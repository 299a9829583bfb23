"""The edge's TLS listener: HTTPS for any hostname, a client certificate requested where the state says so.

Python's ``ssl`` cannot accept an invalid client certificate and report it (CERT_OPTIONAL still fails the
handshake), so the TLS part uses pyOpenSSL with a verify callback that accepts every certificate; the chain is
then verified by :mod:`cfmtls_provider.client_auth`. HTTP/1.1 is parsed by h11; each connection answers one
request and closes (``Connection: close``), and no TLS session is resumed, so every connection sees the
associations of its moment.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import struct
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h11
from cryptography import x509
from OpenSSL import SSL

from ...client_auth import MultipleCAPolicy
from ...hostnames import canonical
from ..background import BackgroundServer
from ..store import Store
from .decide import EdgeRequest, answer
from .identity import EdgeCA
from .log import EdgeLog
from .setup import HostnameSetup, ZoneLike, hostname_setup

__all__ = ["EdgeServer"]

logger = logging.getLogger("cfmtls.emulator.edge")

#: A connection that sends nothing for this long is closed (seconds).
IDLE_TIMEOUT_SECONDS = 30
_MAX_REQUEST_BYTES = 1 << 20


def _accept_any(_conn: SSL.Connection, _cert: Any, _errno: int, _depth: int, _ok: int) -> bool:
    """Accept every client certificate at the TLS layer; client_auth decides whether it verifies."""
    return True


class _Contexts:
    """One pyOpenSSL context per hostname (its server certificate), made on first use."""

    def __init__(self, ca: EdgeCA, store: Store) -> None:
        self._ca = ca
        self._store = store
        self._contexts: dict[str, SSL.Context] = {}
        self._lock = threading.Lock()
        self.default = self.context("localhost")
        self.default.set_tlsext_servername_callback(self._on_server_name)

    def context(self, hostname: str) -> SSL.Context:
        with self._lock:
            found = self._contexts.get(hostname)
            if found is None:
                cert, key = self._ca.server_identity(hostname)
                found = SSL.Context(SSL.TLS_SERVER_METHOD)
                found.set_min_proto_version(SSL.TLS1_2_VERSION)
                found.set_options(SSL.OP_NO_TICKET)
                found.set_session_cache_mode(SSL.SESS_CACHE_OFF)
                found.use_certificate(cert)
                found.use_privatekey(key)
                found.add_extra_chain_cert(self._ca.certificate)
                self._contexts[hostname] = found
            return found

    def _on_server_name(self, conn: SSL.Connection) -> None:
        """SNI: present that hostname's certificate; request a client certificate if it is associated."""
        raw = conn.get_servername()
        hostname = canonical(raw.decode("ascii", "replace")) if raw else ""
        with self._store.read() as state:
            setup = hostname_setup(state, hostname) if hostname else HostnameSetup("", False, (), ())
        if hostname:
            conn.set_context(self.context(hostname))
        mode = SSL.VERIFY_PEER if setup.requests_certificate else SSL.VERIFY_NONE
        conn.set_verify(mode, _accept_any)
        conn.set_app_data(setup)


def _peer_chain(conn: SSL.Connection) -> tuple[x509.Certificate, ...]:
    leaf = conn.get_peer_certificate(as_cryptography=True)
    if leaf is None:
        return ()
    rest = conn.get_peer_cert_chain(as_cryptography=True) or []
    return (leaf, *(cert for cert in rest if cert != leaf))


class _Handler(socketserver.BaseRequestHandler):
    server: _TLSServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", IDLE_TIMEOUT_SECONDS, 0))
        conn = SSL.Connection(self.server.contexts.default, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
            self._serve(conn)
        except (SSL.Error, OSError, h11.ProtocolError) as exc:
            logger.debug("edge connection ended: %r", exc)
        finally:
            with contextlib.suppress(SSL.Error, OSError):
                conn.shutdown()
            conn.close()

    def _serve(self, conn: SSL.Connection) -> None:
        http = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_REQUEST_BYTES)
        request: h11.Request | None = None
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = conn.recv(65536)
                except SSL.ZeroReturnError:
                    data = b""
                http.receive_data(data)
                if not data and request is None:
                    return
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                break
            elif isinstance(event, h11.ConnectionClosed):
                return
        setup = conn.get_app_data()
        if not isinstance(setup, HostnameSetup):
            setup = HostnameSetup("", False, (), ())
        host = _host(request, setup.hostname)
        target = request.target.decode("ascii", "replace")
        edge_request = EdgeRequest(
            setup=setup,
            client_chain=_peer_chain(conn),
            host=host,
            path=target.split("?", 1)[0] or "/",
            method=request.method.decode("ascii", "replace"),
        )
        result = answer(edge_request, self.server.store, self.server.zones, self.server.log, self.server.policy)
        headers = [
            ("content-type", result.content_type),
            ("content-length", str(len(result.body))),
            ("server", "cloudflare"),
            ("connection", "close"),
            *result.headers,
        ]
        out = http.send(h11.Response(status_code=result.status, headers=headers)) or b""
        out += http.send(h11.Data(data=result.body)) or b""
        out += http.send(h11.EndOfMessage()) or b""
        conn.sendall(out)


def _host(request: h11.Request, fallback: str) -> str:
    """``http.host``: the Host header as sent, without its port (case and a trailing dot kept, as
    ``EDGE_HTTP_HOST`` in the assumptions says), else the SNI name."""
    for name, value in request.headers:
        if name == b"host":
            text = value.decode("ascii", "replace").strip()
            if text.startswith("["):
                return text.split("]", 1)[0] + "]"
            return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return fallback


class _TLSServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        contexts: _Contexts,
        store: Store,
        zones: Mapping[str, ZoneLike],
        log: EdgeLog,
        policy: MultipleCAPolicy,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.contexts, self.store, self.zones, self.log, self.policy = contexts, store, zones, log, policy


class EdgeServer(BackgroundServer):
    """The mTLS edge on ``host:port`` (0: a free port), enforcing what ``store`` holds, until :meth:`stop`.

    ``ca_file``: where the edge CA certificate is written (default: a file in the temporary directory).
    """

    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        zones: Mapping[str, ZoneLike] | None = None,
        ca_file: Path | None = None,
        policy: MultipleCAPolicy = "newest",
        log: EdgeLog | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.ca = EdgeCA()
        self.log = log or EdgeLog()
        self.policy: MultipleCAPolicy = policy
        self._zones: Mapping[str, ZoneLike] = zones or {}
        self._requested_port = port
        self._ca_file = ca_file
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.ca_file: Path | None = None

    def start(self) -> EdgeServer:
        if self._server is not None:
            return self
        if self._ca_file is None:
            self._ca_file = Path(tempfile.mkdtemp(prefix="cfmtls-edge-")) / "edge-ca.pem"
        self.ca_file = self.ca.write(self._ca_file)
        contexts = _Contexts(self.ca, self.store)
        self._server = _TLSServer(
            (self.host, self._requested_port), contexts, self.store, self._zones, self.log, self.policy
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cfmtls-edge-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        return self._url("https")
