"""The wire: a typed httpx client for Cloudflare's v4 API and its exception tree (no Pulumi here).

The client (which needs httpx) is imported on first use: a Pulumi program and a
``pulumi preview`` never send a request, and should not pay for importing an HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .auth import ApiToken, Credentials, GlobalApiKey
from .errors import (
    APIConnectionError,
    APIErrorDetail,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CertificateAlreadyExistsError,
    CertificateQuotaExceededError,
    CloudflareError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    NothingListeningError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from .models import DEFAULT_BASE_URL, CertificateUsage, MTLSCertificateRecord, Rule, Ruleset, RuleSpec

if TYPE_CHECKING:
    from .client import CloudflareClient, RetryPolicy


def __getattr__(name: str) -> Any:
    if name not in ("CloudflareClient", "RetryPolicy"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".client", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIErrorDetail",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ApiToken",
    "AuthenticationError",
    "BadRequestError",
    "CertificateAlreadyExistsError",
    "CertificateQuotaExceededError",
    "CertificateUsage",
    "CloudflareClient",
    "CloudflareError",
    "ConflictError",
    "Credentials",
    "GlobalApiKey",
    "InternalServerError",
    "MTLSCertificateRecord",
    "NotFoundError",
    "NothingListeningError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "Rule",
    "RuleSpec",
    "Ruleset",
    "UnprocessableEntityError",
]
