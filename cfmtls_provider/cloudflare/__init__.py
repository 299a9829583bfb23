"""The wire: a typed httpx client for Cloudflare's v4 API and its exception tree (no Pulumi here)."""

from .auth import ApiToken, Credentials, GlobalApiKey
from .client import DEFAULT_BASE_URL, CloudflareClient, RetryPolicy, RuleSpec
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
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from .models import CertificateUsage, MTLSCertificateRecord, Rule, Ruleset

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
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "Rule",
    "RuleSpec",
    "Ruleset",
    "UnprocessableEntityError",
]
