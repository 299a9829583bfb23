"""Who is calling: Cloudflare's credentials (API token or legacy global key) and the scopes they grant.

Refusals as Cloudflare answers them (see :mod:`.assumptions`): no credentials 400/9106; an Authorization
header that is not ``Bearer <token68>`` 400/6003 with error_chain 6111; an unknown token or key 401/10000;
credentials without the operation's scope 403/9109.
"""

from __future__ import annotations

import hmac
import re

from starlette.datastructures import Headers

from . import assumptions as cf
from .config import EmulatorConfig, effective_scopes
from .errors import APIError

__all__ = ["authenticate"]

#: RFC 7235 token68, the syntax of a bearer credential.
_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


def _granted(config: EmulatorConfig, headers: Headers) -> frozenset[str] | None:
    """The scopes the request's credentials hold, or None when they are unknown."""
    authorization = headers.get("authorization")
    if authorization is not None:
        kind, _, token = authorization.partition(" ")
        if kind.lower() != "bearer" or not _TOKEN68.match(token):
            raise APIError(cf.INVALID_HEADERS, chain=(cf.INVALID_AUTHORIZATION_FORMAT,))
        return next(
            (s for t, s in config.tokens.items() if hmac.compare_digest(t.encode(), token.encode())),
            None,
        )
    email, key = headers.get("x-auth-email"), headers.get("x-auth-key")
    if email is None and key is None:
        raise APIError(cf.MISSING_CREDENTIALS)
    expected = config.global_keys.get(email or "")
    if key is not None and expected is not None and hmac.compare_digest(expected.encode(), key.encode()):
        return frozenset(cf.SCOPES)
    return None


def authenticate(config: EmulatorConfig, headers: Headers, scope: str) -> None:
    """Refuse (400, 401 or 403) unless the request's credentials hold ``scope``."""
    granted = _granted(config, headers)
    if granted is None:
        raise APIError(cf.AUTHENTICATION_ERROR)
    if scope not in effective_scopes(granted):
        raise APIError(cf.PERMISSION_ERROR)
