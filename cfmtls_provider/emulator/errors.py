"""The exception an operation raises to refuse a request; the app turns it into a v4 error envelope."""

from __future__ import annotations

from typing import Any

from .assumptions import ErrorSpec

__all__ = ["APIError"]


class APIError(Exception):
    """A refusal: HTTP status, Cloudflare code and message, from an :class:`ErrorSpec` of the assumptions.

    ``chain`` lists the errors Cloudflare nests under this one as ``error_chain`` (e.g. 6003 over 6111)."""

    def __init__(self, spec: ErrorSpec, *, chain: tuple[ErrorSpec, ...] = (), **values: object) -> None:
        self.status = spec.status
        self.code = spec.code
        self.message = spec.format(**values)
        self.chain = chain
        super().__init__(f"{self.status} {self.code} {self.message}")

    def detail(self) -> dict[str, Any]:
        """The entry of the envelope's ``errors`` list."""
        entry: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.chain:
            entry["error_chain"] = [{"code": spec.code, "message": spec.message} for spec in self.chain]
        return entry
