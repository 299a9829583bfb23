"""Credentials for the Cloudflare API, kept out of reprs, logs and error messages."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx

__all__ = ["ApiToken", "Credentials", "GlobalApiKey"]


class ApiToken(httpx.Auth):
    """An API token, sent as ``Authorization: Bearer``. Recommended: scope it to the permissions needed."""

    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise ValueError("the Cloudflare API token is empty")
        self._token = token.strip()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "ApiToken(****)"

    def secret_values(self) -> tuple[str, ...]:
        """What must never be quoted back, e.g. from an error page that echoes request headers."""
        return (self._token,)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("Cloudflare credentials must never be pickled (they would land in state)")


class GlobalApiKey(httpx.Auth):
    """The legacy email + global API key pair (``X-Auth-Email`` / ``X-Auth-Key``)."""

    def __init__(self, email: str, key: str) -> None:
        if not email or not key:
            raise ValueError("both the account email and the global API key are needed")
        self.email = email
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Email"] = self.email
        request.headers["X-Auth-Key"] = self._key
        yield request

    def __repr__(self) -> str:
        return f"GlobalApiKey(email={self.email!r}, key=****)"

    def secret_values(self) -> tuple[str, ...]:
        """What must never be quoted back, e.g. from an error page that echoes request headers."""
        return (self._key,)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("Cloudflare credentials must never be pickled (they would land in state)")


Credentials = ApiToken | GlobalApiKey
