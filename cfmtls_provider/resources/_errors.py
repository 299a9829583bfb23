"""What users read when something fails: :class:`ProviderError`, and :func:`api_call`, the one place where a
Cloudflare API error becomes a sentence saying what was being done, what Cloudflare said and what to do.

Every provider method wraps its API calls in ``with api_call("Deleting CA certificate ..."):`` (the way httpx
gives its errors their request in one ``request_context()``), so no resource converts errors by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..cloudflare.errors import (
    APIConnectionError,
    APIResponseValidationError,
    AuthenticationError,
    CloudflareError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = ["AUTH_REFUSED_ADVICE", "ProviderError", "api_call", "explain"]


class ProviderError(Exception):
    """An error whose message alone tells the user what happened and what to do."""


def _permission_for(operation: str) -> str:
    """The token permission an API call needs, from its path (``METHOD /path``)."""
    if "/rulesets" in operation:
        return "Zone 'Zone WAF Write'"
    if "/hostname_associations" in operation:
        return "Zone 'SSL and Certificates Write'"
    if operation.startswith("GET "):
        return "Account 'SSL and Certificates Write' (or Read)"
    return "Account 'SSL and Certificates Write'"


def _is_upload(operation: str) -> bool:
    return operation.startswith("POST ") and operation.endswith("/mtls_certificates")


#: What to do about a refused token. The engine gives the provider the stack configuration recorded at the last
#: `pulumi up` when it runs `pulumi refresh` or `pulumi destroy` without the program (Pulumi's default; the
#: `--run-program` flag, or PULUMI_RUN_PROGRAM=true, runs the program and passes the current configuration).
AUTH_REFUSED_ADVICE = (
    "Check the API token: 'pulumi config set --secret cfmtls:apiToken <token>' or CLOUDFLARE_API_TOKEN (and "
    "cfmtls:baseUrl / CLOUDFLARE_BASE_URL when using the emulator); cfmtls:apiToken wins over CLOUDFLARE_API_TOKEN. "
    "If you changed the token since the last 'pulumi up', 'pulumi refresh' and 'pulumi destroy' still use the one "
    "recorded then: run them with --run-program (e.g. 'pulumi refresh --run-program'), or run 'pulumi up' first."
)


def explain(error: CloudflareError, doing: str) -> str:
    """A user-facing sentence for an API failure: what we were doing, what Cloudflare said, what to do."""
    advice = ""
    if isinstance(error, AuthenticationError):
        advice = " " + AUTH_REFUSED_ADVICE
    elif isinstance(error, PermissionDeniedError) and _is_upload(error.operation):
        # Cloudflare gives no documented code for either cause, so both are named (only Enterprise accounts may
        # bring their own CA: https://developers.cloudflare.com/ssl/client-certificates/byo-ca/).
        advice = (
            " Cloudflare refuses an upload like this for one of two reasons: the token lacks Account 'SSL and "
            "Certificates Write' for this account (add it to the token, My Profile > API Tokens, or use another "
            "token); or the account's plan does not include bringing your own CA for mTLS, which Cloudflare offers "
            "on Enterprise accounts only (check that account_id, or cfmtls:accountId, names the Enterprise account, "
            "or ask Cloudflare to enable it)."
        )
    elif isinstance(error, PermissionDeniedError):
        where = "zone" if error.operation.split(" ", 1)[-1].startswith("/zones/") else "account"
        advice = (
            f" The token lacks a permission this call needs: {_permission_for(error.operation)}, or does not cover "
            f"this {where} (its {where.capitalize()} Resources). Add it to the token (My Profile > API Tokens) or "
            "use another token."
        )
    elif isinstance(error, APIResponseValidationError):
        advice = (
            " Check that cfmtls:baseUrl / CLOUDFLARE_BASE_URL is Cloudflare's API (https://api.cloudflare.com/"
            "client/v4) or the emulator, and that no proxy in between rewrites answers; then run the command "
            "again, and report it if it persists."
        )
    elif isinstance(error, RateLimitError):
        advice = (
            " Cloudflare's rate limit is shared by all of this user's API calls (dashboard and other tools "
            "included); when it is exceeded every call is refused for up to five minutes. Wait until then and run "
            "the command again: it resumes where this run stopped, and nothing done so far is lost or done twice. "
            "cfmtls:rateLimitWaitSeconds / CFMTLS_RATE_LIMIT_WAIT_SECONDS sets how long a lock-out is waited out."
        )
    elif isinstance(error, InternalServerError | APIConnectionError):
        advice = (
            " Cloudflare did not complete it within the retries (cfmtls:maxRetries / CFMTLS_MAX_RETRIES). "
            "Run the command again: it resumes where this run stopped, and nothing done so far is lost or "
            "done twice."
        )
    return f"{doing} failed: {error.message}.{advice}"


@contextmanager
def api_call(doing: str, *, if_not_found: str = "") -> Iterator[None]:
    """Turn a :class:`CloudflareError` raised inside the block into a :class:`ProviderError` that says what was
    being ``doing`` (see :func:`explain`), chained to the original (``raise ... from``). ``if_not_found`` is
    advice added when Cloudflare answered 404. Errors that are not Cloudflare's (a :class:`ProviderError`
    raised inside, a bug) pass unchanged."""
    try:
        yield
    except NotFoundError as error:
        raise ProviderError(explain(error, doing) + (f" {if_not_found}" if if_not_found else "")) from error
    except CloudflareError as error:
        raise ProviderError(explain(error, doing)) from error
