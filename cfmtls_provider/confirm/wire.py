"""Raw requests for the probes: what a probe sends must reach the API as it is (a malformed body, no credentials,
an unknown route), and every answer is kept whole (status, codes, messages, result, headers) as evidence.

:class:`~cfmtls_provider.cloudflare.client.CloudflareClient` validates and retries for the provider; this does
neither, except that a rate-limited or failed answer (429, 5xx) is waited for and sent again twice, so that a
passing hiccup is not taken for Cloudflare's answer to the probe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..cloudflare.auth import Credentials

__all__ = ["ConfirmError", "Reply", "Wire"]

#: Sends of one request when the answer is a 429 or a 5xx.
ATTEMPTS = 3


class ConfirmError(Exception):
    """The command cannot go on (no answer, the rate limit, a refusal to run); one sentence for the user."""


@dataclass(frozen=True)
class Reply:
    """One answer, as evidence."""

    method: str
    path: str
    status: int
    codes: tuple[int, ...] = ()
    messages: tuple[str, ...] = ()
    result: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def said(self) -> str:
        """``HTTP 400, 1471 'This certificate already exists'``: what came back, for the evidence column."""
        errors = ", ".join(f"{code} {message!r}" for code, message in zip(self.codes, self.messages, strict=False))
        return f"HTTP {self.status}" + (f", {errors}" if errors else "")


class Wire:
    """Requests to the API at ``base_url`` with ``credentials`` (or none, when a probe asks)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self._credentials = credentials
        self._sleep = sleep
        self.sent = 0

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw_body: str | None = None,
        params: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Reply:
        headers = {"Accept": "application/json", "User-Agent": "cfmtls-provider confirm-assumptions"}
        if authenticated:
            headers.update(self._credentials.headers())
        content = raw_body if raw_body is not None else None if body is None else json.dumps(body)
        if content is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, content=content, params=params, headers=headers)
            except httpx.TransportError as error:
                raise ConfirmError(f"{method} {path} got no answer ({type(error).__name__}: {error}).") from None
            self.sent += 1
            if (response.status_code != 429 and response.status_code < 500) or attempt == ATTEMPTS:
                return _reply(method, path, response)
            self._sleep(_wait(response))
        raise AssertionError("unreachable: the last attempt returns")


def _wait(response: httpx.Response) -> float:
    try:
        return min(60.0, max(1.0, float(response.headers.get("retry-after", "2"))))
    except ValueError:
        return 2.0


def _reply(method: str, path: str, response: httpx.Response) -> Reply:
    try:
        data = response.json()
    except ValueError:
        data = None
    errors = data.get("errors") if isinstance(data, dict) else None
    details = [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []
    return Reply(
        method=method,
        path=path,
        status=response.status_code,
        codes=tuple(int(e["code"]) if isinstance(e.get("code"), int) else 0 for e in details),
        messages=tuple(str(e.get("message", ""))[:300] for e in details),
        result=data.get("result") if isinstance(data, dict) else None,
        headers=dict(response.headers),
    )
