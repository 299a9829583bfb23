"""Credentials for the Cloudflare API, kept out of reprs, logs and error messages.

Plain objects (no httpx): the settings build them in every provider process, also for a ``pulumi preview``
that sends no request. The client turns their headers into an ``httpx.Auth``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiToken", "Credentials", "GlobalApiKey"]


class ApiToken:
    """An API token, sent as ``Authorization: Bearer``. Recommended: scope it to the permissions needed."""

    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise ValueError("the Cloudflare API token is empty")
        self._token = token.strip()

    def headers(self) -> dict[str, str]:
        """The request headers that carry this credential."""
        return {"Authorization": f"Bearer {self._token}"}

    def __repr__(self) -> str:
        return "ApiToken(****)"

    def secret_values(self) -> tuple[str, ...]:
        """What must never be quoted back, e.g. from an error page that echoes request headers."""
        return (self._token,)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("Cloudflare credentials must never be pickled (they would land in state)")


class GlobalApiKey:
    """The legacy email + global API key pair (``X-Auth-Email`` / ``X-Auth-Key``)."""

    def __init__(self, email: str, key: str) -> None:
        if not email or not key:
            raise ValueError("both the account email and the global API key are needed")
        self.email = email
        self._key = key

    def headers(self) -> dict[str, str]:
        """The request headers that carry this credential."""
        return {"X-Auth-Email": self.email, "X-Auth-Key": self._key}

    def __repr__(self) -> str:
        return f"GlobalApiKey(email={self.email!r}, key=****)"

    def secret_values(self) -> tuple[str, ...]:
        """What must never be quoted back, e.g. from an error page that echoes request headers."""
        return (self._key,)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("Cloudflare credentials must never be pickled (they would land in state)")


Credentials = ApiToken | GlobalApiKey
