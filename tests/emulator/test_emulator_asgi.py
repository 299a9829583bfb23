"""The emulator without a socket: its ASGI application behind httpx's ASGITransport, sharing the server's state."""

from __future__ import annotations

import asyncio

import httpx

from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca

ACCOUNT = "0123456789abcdef0123456789abcdef"


def test_the_asgi_app_enforces_the_same_rules_and_shares_state_and_log() -> None:
    emulator = EmulatorServer()  # never started: no port, no thread
    transport = httpx.ASGITransport(app=emulator.asgi_app())
    pem = make_ca("asgi CA").pem

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://emulator/client/v4", headers=emulator.auth_headers
        ) as api:
            path = f"/accounts/{ACCOUNT}/mtls_certificates"
            first = await api.post(path, json={"ca": True, "certificates": pem, "name": "asgi"})
            duplicate = await api.post(path, json={"ca": True, "certificates": pem})
            anonymous = await api.get(path, headers={"Authorization": "Bearer wrong"})
            listing = await api.get(path)
            return [first, duplicate, anonymous, listing]

    first, duplicate, anonymous, listing = asyncio.run(scenario())
    assert first.status_code == 200 and first.json()["success"] is True
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == 1471
    assert anonymous.status_code == 401 and anonymous.json()["success"] is False
    assert [c["name"] for c in listing.json()["result"]] == ["asgi"]
    assert [c["name"] for c in emulator.state()["certificates"]] == ["asgi"]
    assert [(e["method"], e["status"]) for e in emulator.requests()] == [
        ("POST", 200),
        ("POST", 400),
        ("GET", 401),
        ("GET", 200),
    ]
