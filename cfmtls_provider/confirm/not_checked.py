"""Why the assumptions no probe can check are not checked: each would need what the command must not do or does
not have (another account, another token, Cloudflare's edge, a lock-out of the user), or is the emulator's own
choice rather than a claim about Cloudflare."""

from __future__ import annotations

__all__ = ["REASONS", "why_not_checked"]

_EMULATOR_OWN = "the emulator's own choice (its names, bounds or stand-ins), not a claim about what Cloudflare answers"
_EDGE = (
    "needs TLS clients through Cloudflare's edge on a proxied hostname: check it with curl and a client certificate "
    "against a hostname of the scratch zone, and compare with 'cfmtls check-client'"
)
_LOCK_OUT = "would spend this user's API rate limit and lock every tool of theirs out for five minutes"

REASONS: dict[str, str] = {
    **dict.fromkeys(
        ("SCOPE_ACCOUNT_SSL_READ", "SCOPE_ACCOUNT_SSL_WRITE", "SCOPE_ZONE_SSL_WRITE", "SCOPE_ZONE_WAF_WRITE", "SCOPES"),
        _EMULATOR_OWN + "; which permission each call needs would take one token per permission",
    ),
    "MAX_BODY_BYTES": _EMULATOR_OWN,
    "BODY_TOO_LARGE": _EMULATOR_OWN,
    "ZONE_STATUS": _EMULATOR_OWN,
    "ZONE_FILLER": _EMULATOR_OWN,
    "CUSTOM_RULES_PHASE": _EMULATOR_OWN + " (it serves the custom-rules phase only)",
    "PERMISSION_ERROR": "needs a second token that lacks a permission",
    "CERTIFICATE_OF_ANOTHER_ACCOUNT": "needs a CA uploaded to another account",
    "NOT_ENTITLED": "needs an account without Enterprise",
    "MAX_CA_CERTIFICATES_PER_ACCOUNT": "needs the account's five CA slots full and a managed certificate beside them",
    "RATE_LIMITED": _LOCK_OUT,
    "RATE_LIMIT_WINDOW_MODEL": _LOCK_OUT,
    "SERVER_ERROR": "a 5xx cannot be provoked",
}


def why_not_checked(name: str) -> str | None:
    """Why the assumption ``name`` is not checked, or None when it has no reason (so it should have a probe): the
    mTLS edge's choices (``EDGE_*``) are all out of reach of the API."""
    return REASONS.get(name) or (_EDGE if name.startswith("EDGE_") else None)
