"""Where credentials, the API base URL and tuning come from: stack config first, then the environment.

Read at run time, in the provider process, on every ``configure``; never stored on a provider object
that is pickled into state. Stack config wins over the environment. Which stack config: ``pulumi preview``
and ``pulumi up`` run the program and pass the current one; ``pulumi refresh`` and ``pulumi destroy`` pass
the one the engine recorded at the last ``up`` (Pulumi's default for a provider's configuration), unless run
with ``--run-program``. So after ``pulumi config set --secret cfmtls:apiToken <new>``, run ``pulumi up`` (or
``refresh``/``destroy`` with ``--run-program``) before a plain refresh or destroy uses the new token. Every value is checked here, with
its allowed range, so that a wrong one fails ``pulumi preview`` with one sentence (``nan``, ``inf``, a
negative or an absurd number, a base URL that is not one, a token with spaces in it).

====================================  ==================================  ==================================
stack config (``pulumi config``)      environment                         meaning (default, allowed)
====================================  ==================================  ==================================
``cfmtls:apiToken`` (secret)          ``CLOUDFLARE_API_TOKEN``            API token (recommended)
``cfmtls:apiEmail``                   ``CLOUDFLARE_EMAIL``                legacy: account email ...
``cfmtls:apiKey`` (secret)            ``CLOUDFLARE_API_KEY``              ... and global API key
``cfmtls:baseUrl``                    ``CLOUDFLARE_BASE_URL``             API base URL (the emulator)
``cfmtls:accountId``                  ``CLOUDFLARE_ACCOUNT_ID``           default account id
``cfmtls:timeoutSeconds``             ``CFMTLS_TIMEOUT_SECONDS``          per-request timeout (30; 1-600)
``cfmtls:maxRetries``                 ``CFMTLS_MAX_RETRIES``              retries per call (4; 0-20)
``cfmtls:deleteWaitSeconds``          ``CFMTLS_DELETE_WAIT_SECONDS``      wait for association lag (60; 0-3600)
``cfmtls:rateLimitWaitSeconds``       ``CFMTLS_RATE_LIMIT_WAIT_SECONDS``  longest lock-out waited out (360; 0-3600)
``cfmtls:serverWorkers``              ``CFMTLS_SERVER_WORKERS``           provider calls served at once (16; 4-64)
====================================  ==================================  ==================================
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .cloudflare.auth import ApiToken, Credentials, GlobalApiKey
from .cloudflare.models import BASE_URL_SETTINGS, DEFAULT_BASE_URL

if TYPE_CHECKING:
    from .cloudflare.client import CloudflareClient

__all__ = ["CLOUDFLARE_ID", "CONFIG_NAMESPACE", "NUMBERS", "NumberSetting", "ProviderSettings", "SettingsError"]

CONFIG_NAMESPACE = "cfmtls"

Lookup = Callable[[str], Any]

#: Cloudflare account and zone ids: 32 lower-case hex characters.
CLOUDFLARE_ID = re.compile(r"^[0-9a-f]{32}$")
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+$")
"""Visible ASCII without spaces: what an HTTP header value can carry as a credential."""


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


def _names(key: str, env: str) -> str:
    return f"{CONFIG_NAMESPACE}:{key} / {env}"


@dataclass(frozen=True)
class NumberSetting:
    """A numeric setting and the range it must lie in."""

    key: str
    env: str
    default: float
    minimum: float
    maximum: float
    integer: bool = False

    def read(self, config: Lookup) -> float:
        raw = _first(config, self.key, self.env)
        if raw is None:
            return self.default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        whole = not self.integer or (math.isfinite(value) and value == int(value))
        if not (self.minimum <= value <= self.maximum) or not whole:
            kind = "a whole number" if self.integer else "a number of seconds"
            raise SettingsError(
                f"{_names(self.key, self.env)} must be {kind} from {self.minimum:g} to {self.maximum:g} "
                f"(default {self.default:g}), got {raw!r}."
            )
        return value


NUMBERS = {
    "timeout_seconds": NumberSetting("timeoutSeconds", "CFMTLS_TIMEOUT_SECONDS", 30.0, 1.0, 600.0),
    "max_retries": NumberSetting("maxRetries", "CFMTLS_MAX_RETRIES", 4, 0, 20, integer=True),
    "delete_wait_seconds": NumberSetting("deleteWaitSeconds", "CFMTLS_DELETE_WAIT_SECONDS", 60.0, 0.0, 3600.0),
    "rate_limit_wait_seconds": NumberSetting(
        "rateLimitWaitSeconds", "CFMTLS_RATE_LIMIT_WAIT_SECONDS", 360.0, 0.0, 3600.0
    ),
    # 4 is what Pulumi's dynamic-provider server serves on its own (cfmtls_provider/provider_process.py).
    "server_workers": NumberSetting("serverWorkers", "CFMTLS_SERVER_WORKERS", 16, 4, 64, integer=True),
}
"""The numeric settings by field name: key, variable, default and allowed range (comparisons with ``nan``
are false, so ``nan`` is out of every range; ``inf`` is above every maximum)."""


def _base_url(config: Lookup) -> str:
    raw = _first(config, "baseUrl", "CLOUDFLARE_BASE_URL")
    if raw is None:
        return DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or " " in raw:
        raise SettingsError(
            f"{_names('baseUrl', 'CLOUDFLARE_BASE_URL')} must be an http(s) URL such as {DEFAULT_BASE_URL} "
            f"(or the emulator's, e.g. http://127.0.0.1:8787/client/v4), got {raw!r}."
        )
    return raw.rstrip("/")


def _account_id(config: Lookup) -> str | None:
    raw = _first(config, "accountId", "CLOUDFLARE_ACCOUNT_ID")
    if raw is not None and not CLOUDFLARE_ID.match(raw):
        raise SettingsError(
            f"{_names('accountId', 'CLOUDFLARE_ACCOUNT_ID')} {raw!r} is not a Cloudflare account id: expected "
            "32 lower-case hex characters (shown in the dashboard's Overview page and in its URL)."
        )
    return raw


def _secret(config: Lookup, key: str, env: str, what: str) -> str | None:
    raw = _first(config, key, env)
    if raw is not None and not _HEADER_SAFE.match(raw):
        # Never quote the value: it is a secret.
        raise SettingsError(
            f"{_names(key, env)} holds characters {what} cannot contain (spaces, line breaks or non-ASCII "
            "letters): copy it again from the dashboard."
        )
    return raw


def _credentials(config: Lookup) -> Credentials | None:
    token = _secret(config, "apiToken", "CLOUDFLARE_API_TOKEN", "an API token")
    email = _first(config, "apiEmail", "CLOUDFLARE_EMAIL")
    key = _secret(config, "apiKey", "CLOUDFLARE_API_KEY", "an API key")
    if token:
        return ApiToken(token)
    if email and key:
        if "@" not in email or not _HEADER_SAFE.match(email):
            raise SettingsError(f"{_names('apiEmail', 'CLOUDFLARE_EMAIL')} must be an email address, got {email!r}.")
        return GlobalApiKey(email, key)
    return None


@dataclass(frozen=True)
class ProviderSettings:
    """Resolved settings. ``credentials`` is None when none are configured (a check can still run)."""

    credentials: Credentials | None = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    account_id: str | None = None
    timeout_seconds: float = NUMBERS["timeout_seconds"].default
    max_retries: int = int(NUMBERS["max_retries"].default)
    delete_wait_seconds: float = NUMBERS["delete_wait_seconds"].default
    rate_limit_wait_seconds: float = NUMBERS["rate_limit_wait_seconds"].default
    server_workers: int = int(NUMBERS["server_workers"].default)

    @classmethod
    def resolve(cls, config: Lookup | Mapping[str, Any] | None = None) -> ProviderSettings:
        """Resolve from a config lookup (``ConfigureRequest.config.get`` or a plain dict) and the environment."""
        if config is None:
            lookup: Lookup = lambda _key: None  # noqa: E731
        elif isinstance(config, Mapping):
            lookup = config.get
        else:
            lookup = config
        return cls(
            credentials=_credentials(lookup),
            base_url=_base_url(lookup),
            account_id=_account_id(lookup),
            timeout_seconds=NUMBERS["timeout_seconds"].read(lookup),
            max_retries=int(NUMBERS["max_retries"].read(lookup)),
            delete_wait_seconds=NUMBERS["delete_wait_seconds"].read(lookup),
            rate_limit_wait_seconds=NUMBERS["rate_limit_wait_seconds"].read(lookup),
            server_workers=int(NUMBERS["server_workers"].read(lookup)),
        )

    def require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SettingsError(
                "No Cloudflare credentials: set an API token with "
                "'pulumi config set --secret cfmtls:apiToken <token>' or the CLOUDFLARE_API_TOKEN "
                "environment variable (the token needs Account 'SSL and Certificates Write', Zone "
                "'SSL and Certificates Write' and, for the HostnameAssociation's rule, Zone 'Zone WAF Write')."
            )
        return self.credentials

    def client(
        self,
        credentials: Credentials,
        *,
        user_agent: str = "cfmtls-provider",
        base_url_setting: str = BASE_URL_SETTINGS,
    ) -> CloudflareClient:
        """The API client these settings describe (base URL, timeout, retries, the longest lock-out waited out), the
        one builder for the providers and the CLI. ``base_url_setting`` names where the base URL comes from in the
        client's messages."""
        from .cloudflare.client import CloudflareClient, RetryPolicy  # httpx: only when a client is built

        return CloudflareClient(
            credentials,
            base_url=self.base_url,
            timeout=self.timeout_seconds,
            retry=RetryPolicy(max_retries=self.max_retries, max_retry_after=self.rate_limit_wait_seconds),
            user_agent=user_agent,
            base_url_setting=base_url_setting,
        )
