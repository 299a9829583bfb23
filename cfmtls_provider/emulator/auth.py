"""Who is calling: Cloudflare's credentials (API token or legacy global key) and the scopes they grant."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from . import assumptions as cf
from .config import EmulatorConfig, effective_scopes
from .errors import APIError

__all__ = ["authenticate"]


def _granted(config: EmulatorConfig, headers: Headers) -> frozenset[str] | None:
    """The scopes the request's credentials hold, or None when they are missing or unknown."""
    authorization = headers.get("authorization")
    if authorization is not None:
        kind, _, token = authorization.partition(" ")
        if kind.lower() != "bearer":
            return None
        return next(
            (s for t, s in config.tokens.items() if hmac.compare_digest(t.encode(), token.encode())),
            None,
        )
    email, key = headers.get("x-auth-email"), headers.get("x-auth-key")
    expected = config.global_keys.get(email or "")
    if key is not None and expected is not None and hmac.compare_digest(expected.encode(), key.encode()):
        return frozenset(cf.SCOPES)
    return None


def authenticate(config: EmulatorConfig, headers: Headers, scope: str) -> None:
    """Refuse (401 or 403) unless the request's credentials hold ``scope``."""
    granted = _granted(config, headers)
    if granted is None:
        raise APIError(cf.AUTHENTICATION_ERROR)
    if scope not in effective_scopes(granted):
        raise APIError(cf.PERMISSION_ERROR)
