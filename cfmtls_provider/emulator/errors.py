"""The exception an operation raises to refuse a request; the app turns it into a v4 error envelope."""

from __future__ import annotations

from .assumptions import ErrorSpec

__all__ = ["APIError"]


class APIError(Exception):
    """A refusal: HTTP status, Cloudflare code and message, from an :class:`ErrorSpec` of the assumptions."""

    def __init__(self, spec: ErrorSpec, **values: object) -> None:
        self.status = spec.status
        self.code = spec.code
        self.message = spec.format(**values)
        super().__init__(f"{self.status} {self.code} {self.message}")
