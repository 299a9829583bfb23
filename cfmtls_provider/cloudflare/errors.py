"""The exception tree of the Cloudflare client.

::

    CloudflareError                      anything this client raises
    +-- APIConnectionError               no (complete) answer: connect/read error, dropped connection
    |   +-- APITimeoutError              no answer within the timeout
    +-- NothingListeningError            a loopback base URL refuses connections: not sent, and never retried
    +-- APIResponseValidationError       an answer that is not a v4 envelope
    +-- APIStatusError                   an envelope with success=false; .status_code, .errors, .codes
        +-- BadRequestError              400
        |   +-- CertificateAlreadyExistsError   code 1471
        |   +-- CertificateQuotaExceededError   code 1489
        +-- AuthenticationError          401; or 400 with 9106 (no credentials) or 6003 + 6111/6102/6103 (malformed)
        +-- PermissionDeniedError        403; or code 9109 (no access to this account or zone)
        +-- NotFoundError                404
        +-- ConflictError                409
        +-- UnprocessableEntityError     422
        +-- RateLimitError               429; .retry_after in seconds when Cloudflare said
        +-- InternalServerError          5xx

Code-specific classes win over the status class (1471 is a BadRequestError whatever the status; a 400 that says
the credentials are missing or malformed is an AuthenticationError).
Messages name the operation and Cloudflare's own errors; they never include credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

__all__ = [
    "CERTIFICATE_ALREADY_EXISTS",
    "CERTIFICATE_NOT_FOUND",
    "CERTIFICATE_QUOTA_EXCEEDED",
    "UNROUTABLE_OBJECT_ID",
    "APIConnectionError",
    "APIErrorDetail",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CertificateAlreadyExistsError",
    "CertificateQuotaExceededError",
    "CloudflareError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "NothingListeningError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "error_for_status",
]

CERTIFICATE_ALREADY_EXISTS = 1471
CERTIFICATE_NOT_FOUND = 1472
CERTIFICATE_QUOTA_EXCEEDED = 1489


@dataclass(frozen=True)
class APIErrorDetail:
    """One entry of the envelope's ``errors`` list, with its ``error_chain`` (the causes Cloudflare gives)."""

    code: int
    message: str
    chain: tuple[APIErrorDetail, ...] = ()

    def __str__(self) -> str:
        text = f"{self.message} (code {self.code})" if self.code else self.message
        if self.chain:
            text += ": " + "; ".join(str(cause) for cause in self.chain)
        return text

    def all_codes(self) -> tuple[int, ...]:
        """This code and those of its chain."""
        return (self.code, *(code for cause in self.chain for code in cause.all_codes()))


class CloudflareError(Exception):
    """Base class of every error raised by :mod:`cfmtls_provider.cloudflare`."""

    def __init__(self, message: str, *, operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def with_context(self, context: str) -> Self:
        """A copy of this error whose message ends with ``context`` (the original is left as it was)."""
        extended = type(self).__new__(type(self))
        extended.__dict__.update(self.__dict__)
        extended.message = f"{self.message}; {context}"
        extended.args = (extended.message,)
        return extended


class APIConnectionError(CloudflareError):
    """No complete answer arrived. Unless ``request_sent`` is False, Cloudflare may have applied it."""

    def __init__(self, message: str, *, operation: str = "", request_sent: bool = True) -> None:
        super().__init__(message, operation=operation)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """No answer arrived within the client's timeout. The request may have been applied."""


class NothingListeningError(CloudflareError):
    """The API base URL is a loopback address that refuses connections (the emulator is not started, or the URL
    names the wrong port): nothing was sent, and sending it again cannot help, so it is not retried. Not an
    :class:`APIConnectionError`, whose advice is to run the command again."""


class APIResponseValidationError(CloudflareError):
    """The answer was not a Cloudflare v4 envelope (a proxy error page, for example)."""


class APIStatusError(CloudflareError):
    """Cloudflare answered ``success: false``."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int,
        errors: Sequence[APIErrorDetail] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code
        self.errors = tuple(errors)
        self.retry_after = retry_after

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(error.code for error in self.errors)

    @property
    def cloudflare_message(self) -> str:
        """Cloudflare's own words, joined: for quoting in a user-facing message."""
        return "; ".join(str(error) for error in self.errors) or f"HTTP {self.status_code}"


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the token (or email + key) is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the token is valid but lacks a permission, or the account lacks the entitlement."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429: over Cloudflare's rate limit; ``retry_after`` says when to try again."""


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


class CertificateAlreadyExistsError(BadRequestError):
    """Code 1471: this certificate is already uploaded to the account."""


class CertificateQuotaExceededError(BadRequestError):
    """Code 1489: the account holds its maximum number of CA certificates."""


UNROUTABLE_OBJECT_ID = 7003
"""400 or 404 "Could not route to /zones/..., perhaps your object identifier is invalid?": an object id Cloudflare
does not know, as users report it (docs/cloudflare-api.md, "Zones and hostname associations")."""
MISSING_CREDENTIALS = 9106
"""400 "Missing X-Auth-Key, X-Auth-Email or Authorization headers" (cloudflare/cloudflare-python#2678)."""
MALFORMED_CREDENTIALS = frozenset({6111, 6102, 6103})
"""The ``error_chain`` of a 400 / 6003 "Invalid request headers": 6111 "Invalid format for Authorization header"
(jeessy2/ddns-go#916), 6103 "... X-Auth-Key header" (cloudflare/cloudflare-typescript#161), 6102 "... X-Auth-Email
header" (rmbolger/Posh-ACME#126)."""
NO_ACCESS = 9109
"""403 "Unauthorized to access requested resource" (cloudflare/terraform-provider-cloudflare#3227): a valid token
that may not reach this account or zone. 401/10000 (unknown token) and 403/10000 go by their status."""

_BY_CODE: dict[int, type[APIStatusError]] = {
    CERTIFICATE_ALREADY_EXISTS: CertificateAlreadyExistsError,
    CERTIFICATE_QUOTA_EXCEEDED: CertificateQuotaExceededError,
    MISSING_CREDENTIALS: AuthenticationError,
    **dict.fromkeys(MALFORMED_CREDENTIALS, AuthenticationError),
    NO_ACCESS: PermissionDeniedError,
}

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for_status(
    *,
    operation: str,
    status_code: int,
    errors: Sequence[APIErrorDetail],
    retry_after: float | None = None,
) -> APIStatusError:
    """Build the most specific :class:`APIStatusError` for an answer: the one place where statuses and codes
    (including those of an ``error_chain``) become exception classes."""
    codes = [code for error in errors for code in error.all_codes()]
    cls: type[APIStatusError] | None = next((_BY_CODE[code] for code in codes if code in _BY_CODE), None)
    if cls is None:
        cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    said = "; ".join(str(error) for error in errors) or "no error details"
    message = f"{operation} failed: HTTP {status_code}: {said}"
    return cls(
        message,
        operation=operation,
        status_code=status_code,
        errors=errors,
        retry_after=retry_after,
    )
