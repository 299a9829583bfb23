"""``EmulatorAdmin``: the admin side of a running emulator, over HTTP, for tests, the bench and scripts.

    with EmulatorAdmin.from_base_url("http://127.0.0.1:8787/client/v4") as admin:
        admin.clear_requests()
        ...  # drive Pulumi or any Cloudflare client against admin.base_url
        writes = admin.writes()

Admin endpoints (under ``/__emulator__``) need no credentials, and are never delayed, faulted, logged nor
counted against the rate-limit budget. The one place that turns an API base URL into the emulator's root.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from . import assumptions as cf

__all__ = ["ADMIN_PREFIX", "WRITE_METHODS", "EmulatorAdmin"]

#: Methods that change Cloudflare's state; every other logged call is a read.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Where the admin endpoints live (``admin.py`` serves them).
ADMIN_PREFIX = "/__emulator__"


class EmulatorAdmin:
    """Request log, state, faults, zones and reset of the emulator served at ``root_url`` (``http://HOST:PORT``)."""

    def __init__(self, root_url: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.root_url = root_url.rstrip("/")
        self._http = httpx.Client(base_url=self.root_url + ADMIN_PREFIX, timeout=timeout, transport=transport)

    @classmethod
    def from_base_url(cls, base_url: str, **kwargs: Any) -> EmulatorAdmin:
        """From the API base URL that clients are given (``http://HOST:PORT/client/v4``)."""
        root, sep, _ = base_url.rstrip("/").rpartition(cf.API_PREFIX)
        if not sep:
            raise ValueError(f"{base_url!r} is not an emulator API base URL (it should end in {cf.API_PREFIX})")
        return cls(root, **kwargs)

    @property
    def base_url(self) -> str:
        """The Cloudflare API base URL, ``http://HOST:PORT/client/v4``."""
        return self.root_url + cf.API_PREFIX

    # --- request log ---------------------------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """API calls served, in order: method, path (without ``/client/v4``), query, status, time."""
        entries: list[dict[str, Any]] = self._get("/requests")
        return entries

    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.requests() if entry["method"] in WRITE_METHODS]

    def clear_requests(self) -> None:
        self._http.delete("/requests").raise_for_status()

    # --- state, faults, reset ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Certificates, hostname associations and rulesets, as ``GET /__emulator__/state`` dumps them."""
        state: dict[str, Any] = self._get("/state")
        return state

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules in force, with how often each has fired."""
        faults: list[dict[str, Any]] = self._get("/faults")
        return faults

    def add_faults(self, *specs: str | dict[str, Any]) -> None:
        """Add fault rules (compact strings or JSON objects, see docs/emulator.md)."""
        self._http.post("/faults", json=list(specs)).raise_for_status()

    def clear_faults(self) -> None:
        self._http.delete("/faults").raise_for_status()

    def zones(self) -> list[dict[str, Any]]:
        """The zones the emulator knows (id, domain, account)."""
        zones: list[dict[str, Any]] = self._get("/zones")
        return zones

    def declare_zones(self, *specs: str | dict[str, Any]) -> None:
        """Declare zones: ``"ZONE_ID=example.com@ACCOUNT_ID"`` strings or JSON objects (see docs/emulator.md)."""
        self._http.post("/zones", json=list(specs)).raise_for_status()

    def reset(self) -> None:
        """Empty the state, the request log and the fault rules, and give every credential a full budget."""
        self._http.post("/reset").raise_for_status()

    # --- plumbing ------------------------------------------------------------------------------------------

    def _get(self, path: str) -> Any:
        response = self._http.get(path)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorAdmin:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
