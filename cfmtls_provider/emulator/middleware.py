"""The layer around every Cloudflare API call: latency, fault injection and the request log.

Only calls under ``/client/v4`` pass through it; admin calls (``/__emulator__``) are neither delayed,
faulted nor logged. The log holds method, path (without ``/client/v4``), query string, status sent (0 when the
connection was dropped, 499 when the client closed it before its request arrived whole) and time (epoch seconds, a
float): never headers or bodies.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import assumptions as cf
from .entry_log import EntryLog
from .faults import FaultRule, FaultSet

__all__ = ["APILayer", "DroppedConnection", "RequestLog"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DroppedConnection(Exception):
    """Raised after a partial answer so that the server aborts the connection (a ``drop`` fault)."""


class RequestLog(EntryLog[dict[str, Any]]):
    """The Cloudflare API calls served, in order of completion."""

    def append(self, method: str, path: str, query: str, status: int) -> None:
        self.add({"method": method, "path": path, "query": query, "status": status, "time": time.time()})

    def entries(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self.snapshot()]


async def _discard(message: Message) -> None:
    """The send of a call whose real answer is replaced (commit-then-fail)."""


class APILayer:
    """ASGI middleware applying latency and faults to API calls, and logging them."""

    def __init__(self, app: ASGIApp, *, faults: FaultSet, log: RequestLog, latency_ms: float = 0.0) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.latency_ms = latency_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == cf.API_PREFIX or path.startswith(cf.API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        method, api_path = scope["method"], path[len(cf.API_PREFIX) :] or "/"
        query = scope.get("query_string", b"").decode("latin-1")
        logged = False

        def record(status: int) -> None:
            # Logged before the answer leaves, so a client that reads the log right after sees its call.
            nonlocal logged
            if not logged:
                logged = True
                self.log.append(method, api_path, query, status)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(int(message["status"]))
            await send(message)

        try:
            if self.latency_ms > 0:
                receive = await _buffered(receive)
                await asyncio.sleep(self.latency_ms / 1000)
            rule = self.faults.take(method, api_path)
            if rule is None:
                await self.app(scope, receive, recording_send)
            elif rule.action.endswith("drop"):
                if rule.action.startswith("commit_then_"):
                    await self.app(scope, receive, _discard)
                record(0)
                await _drop(send)
            else:
                await self._fault(rule, scope, receive, recording_send)
        finally:
            record(0)  # no answer started: the server closes the connection or answers a bare 500

    async def _fault(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.action == "delay":
            receive = await _buffered(receive)
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, send)
            return
        if rule.action == "commit_then_status":
            await self.app(scope, receive, _discard)
        await _send_error(rule, send)


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now, so a slow answer still applies the call after the client has gone
    (timed out or killed), as a slow Cloudflare would; without this the app would meet a disconnect instead."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay


async def _send_error(rule: FaultRule, send: Send) -> None:
    body = json.dumps(rule.error_envelope()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if rule.retry_after is not None:
        seconds = rule.retry_after
        shown = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        headers.append((b"retry-after", shown.encode()))
    await send({"type": "http.response.start", "status": rule.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Promise a body, send part of it, then fail: the server closes the connection mid-answer."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"success": tr', "more_body": True})
    raise DroppedConnection("connection dropped by a fault rule")
