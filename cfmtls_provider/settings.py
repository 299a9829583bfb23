"""Where credentials, the API base URL and tuning come from: stack config first, then the environment.

Read at run time, in the provider process, on every ``configure``; never stored on a provider object
that is pickled into state, so rotating a token never breaks a refresh.

================================  ==============================  ===========================
stack config (``pulumi config``)  environment                     meaning
================================  ==============================  ===========================
``cfmtls:apiToken`` (secret)      ``CLOUDFLARE_API_TOKEN``        API token (recommended)
``cfmtls:apiEmail``               ``CLOUDFLARE_EMAIL``            legacy: account email ...
``cfmtls:apiKey`` (secret)        ``CLOUDFLARE_API_KEY``          ... and global API key
``cfmtls:baseUrl``                ``CLOUDFLARE_BASE_URL``         API base URL (the emulator)
``cfmtls:accountId``              ``CLOUDFLARE_ACCOUNT_ID``       default account id
``cfmtls:timeoutSeconds``         ``CFMTLS_TIMEOUT_SECONDS``      per-request timeout (30)
``cfmtls:maxRetries``             ``CFMTLS_MAX_RETRIES``          retries per call (4)
``cfmtls:deleteWaitSeconds``      ``CFMTLS_DELETE_WAIT_SECONDS``  wait for association lag (60)
================================  ==============================  ===========================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .cloudflare.auth import ApiToken, Credentials, GlobalApiKey
from .cloudflare.models import DEFAULT_BASE_URL

__all__ = ["CONFIG_NAMESPACE", "ProviderSettings", "SettingsError"]

CONFIG_NAMESPACE = "cfmtls"

Lookup = Callable[[str], Any]


class SettingsError(ValueError):
    """Configuration is missing or malformed; the message names the config key and the variable."""


def _first(config: Lookup, key: str, env: str) -> str | None:
    value = config(f"{CONFIG_NAMESPACE}:{key}")
    if value is None or value == "":
        value = os.environ.get(env)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(config: Lookup, key: str, env: str, default: float) -> float:
    raw = _first(config, key, env)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{CONFIG_NAMESPACE}:{key} / {env} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{CONFIG_NAMESPACE}:{key} / {env} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True)
class ProviderSettings:
    """Resolved settings. ``credentials`` is None when none are configured (a check can still run)."""

    credentials: Credentials | None = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    account_id: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 4
    delete_wait_seconds: float = 60.0

    @classmethod
    def resolve(cls, config: Lookup | Mapping[str, Any] | None = None) -> ProviderSettings:
        """Resolve from a config lookup (``ConfigureRequest.config.get`` or a plain dict) and the environment."""
        if config is None:
            lookup: Lookup = lambda _key: None  # noqa: E731
        elif isinstance(config, Mapping):
            lookup = config.get
        else:
            lookup = config
        token = _first(lookup, "apiToken", "CLOUDFLARE_API_TOKEN")
        email = _first(lookup, "apiEmail", "CLOUDFLARE_EMAIL")
        key = _first(lookup, "apiKey", "CLOUDFLARE_API_KEY")
        credentials: Credentials | None
        if token:
            credentials = ApiToken(token)
        elif email and key:
            credentials = GlobalApiKey(email, key)
        else:
            credentials = None
        return cls(
            credentials=credentials,
            base_url=_first(lookup, "baseUrl", "CLOUDFLARE_BASE_URL") or DEFAULT_BASE_URL,
            account_id=_first(lookup, "accountId", "CLOUDFLARE_ACCOUNT_ID"),
            timeout_seconds=_number(lookup, "timeoutSeconds", "CFMTLS_TIMEOUT_SECONDS", 30.0),
            max_retries=int(_number(lookup, "maxRetries", "CFMTLS_MAX_RETRIES", 4)),
            delete_wait_seconds=_number(lookup, "deleteWaitSeconds", "CFMTLS_DELETE_WAIT_SECONDS", 60.0),
        )

    def require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SettingsError(
                "No Cloudflare credentials: set an API token with "
                "'pulumi config set --secret cfmtls:apiToken <token>' or the CLOUDFLARE_API_TOKEN "
                "environment variable (the token needs Account 'SSL and Certificates Write', Zone "
                "'SSL and Certificates Write' and, for ClientCertificateRule, Zone 'Zone WAF Write')."
            )
        return self.credentials
