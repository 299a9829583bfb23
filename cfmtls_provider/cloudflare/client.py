"""A small typed client for the Cloudflare v4 endpoints of "bring your own CA for mTLS".

Knows nothing of Pulumi. Every call has explicit timeouts and bounded retries with backoff and jitter
on 408/409/429/5xx, connection errors and timeouts, honouring ``retry-after``. Calls that create
something (certificate upload, ruleset and rule creation) are not idempotent: after an ambiguous
failure (the request may have been applied) they look the object up before trying again, so a retry
never creates a duplicate.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from ..certificates import der_blocks
from .auth import Credentials
from .errors import (
    APIConnectionError,
    APIErrorDetail,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    CertificateAlreadyExistsError,
    CloudflareError,
    InternalServerError,
    NotFoundError,
    error_for_status,
)
from .models import DEFAULT_BASE_URL, CertificateUsage, MTLSCertificateRecord, Ruleset, RuleSpec

__all__ = ["DEFAULT_BASE_URL", "CloudflareClient", "RetryPolicy", "RuleSpec"]

CUSTOM_RULES_PHASE = "http_request_firewall_custom"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
PER_PAGE = 50
"""Page size for list calls; the account limit is five CAs, so one page is the normal case."""
MAX_PAGES = 100
"""A bound in case a server keeps announcing more pages."""

log = logging.getLogger("cfmtls_provider.cloudflare")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Total attempts = ``max_retries + 1``; waits grow exponentially with full jitter."""

    max_retries: int = 4
    initial_backoff: float = 0.5
    max_backoff: float = 16.0
    #: A ``retry-after`` longer than this is not waited for: the error is raised at once.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.initial_backoff * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)


class _Attempts:
    """Internal: the retries one logical call has used. A create shares it between its retries after a 429
    and its retries after an ambiguous failure, so ``max_retries`` bounds every call, whatever the mix."""

    def __init__(self) -> None:
        self.retries = 0


class _Ambiguous(Exception):
    """Internal: a write failed in a way that may have been applied; carries the error to raise."""

    def __init__(self, error: CloudflareError) -> None:
        super().__init__(str(error))
        self.error = error


def _retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _details(raw: object) -> list[APIErrorDetail]:
    details: list[APIErrorDetail] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                code = item.get("code", 0)
                details.append(
                    APIErrorDetail(
                        code=int(code) if isinstance(code, int | float | str) and str(code).isdigit() else 0,
                        message=str(item.get("message", "")),
                    )
                )
    return details


class _CredentialsAuth(httpx.Auth):
    """Adds the credential's headers to each request (kept out of the client's default headers, which
    httpx would show in a repr of the request)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._credentials.headers())
        yield request

    def __repr__(self) -> str:
        return f"_CredentialsAuth({self._credentials!r})"


class CloudflareClient:
    """Thread-safe (httpx's connection pool is); create one per process and reuse it."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "cfmtls-provider",
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=_CredentialsAuth(credentials),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._secret_values = tuple(value for value in credentials.secret_values() if value)

    def __repr__(self) -> str:
        return f"CloudflareClient(base_url={self.base_url!r})"

    def _redact(self, text: str) -> str:
        """Mask the credentials in text quoted from an answer (some proxies echo request headers)."""
        for value in self._secret_values:
            text = text.replace(value, "****")
        return text

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the wire ---------------------------------------------------------------------------------

    def _send_once(self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None) -> Any:
        operation = f"{method} {path}"
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"{operation} failed: no answer within the timeout ({type(exc).__name__})",
                operation=operation,
                request_sent=not isinstance(exc, httpx.ConnectTimeout),
            ) from None
        except httpx.TransportError as exc:
            raise APIConnectionError(
                self._redact(f"{operation} failed: connection error ({type(exc).__name__}: {exc})"),
                operation=operation,
                request_sent=not isinstance(exc, httpx.ConnectError),
            ) from None
        log.debug("%s -> %s", operation, response.status_code)
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, Mapping) or "success" not in envelope:
            if response.status_code >= 400:
                raise error_for_status(
                    operation=operation,
                    status_code=response.status_code,
                    errors=[APIErrorDetail(0, f"non-JSON answer: {self._redact(response.text)[:200]!r}")],
                    retry_after=_retry_after_seconds(response),
                )
            raise APIResponseValidationError(
                f"{operation} failed: the answer is not a Cloudflare v4 envelope "
                f"(HTTP {response.status_code}); is the base URL right ({self.base_url})?",
                operation=operation,
            )
        if not envelope.get("success") or response.status_code >= 400:
            raise error_for_status(
                operation=operation,
                status_code=response.status_code,
                errors=[
                    APIErrorDetail(detail.code, self._redact(detail.message))
                    for detail in _details(envelope.get("errors"))
                ],
                retry_after=_retry_after_seconds(response),
            )
        return envelope

    def _wait_before_retry(self, error: CloudflareError, attempt: int) -> None:
        delay = self.retry.backoff(attempt)
        if isinstance(error, APIStatusError) and error.retry_after is not None:
            if error.retry_after > self.retry.max_retry_after:
                raise error
            delay = max(delay, error.retry_after)
        log.info("%s; retrying in %.1fs (attempt %d)", error.message, delay, attempt + 2)
        self._sleep(delay)

    @staticmethod
    def _retryable(error: CloudflareError) -> bool:
        if isinstance(error, APIConnectionError):
            return True
        return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS

    @staticmethod
    def _may_have_been_applied(error: CloudflareError) -> bool:
        """A write that failed like this may still have been applied by Cloudflare."""
        if isinstance(error, APIConnectionError):
            return error.request_sent
        return isinstance(error, InternalServerError)

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
        attempts: _Attempts | None = None,
        whole_envelope: bool = False,
    ) -> Any:
        """Send with bounded retries. A non-idempotent call raises :class:`_Ambiguous` instead of retrying
        a failure that may have been applied; the caller looks the object up before trying again."""
        used = attempts or _Attempts()
        while True:
            try:
                envelope = self._send_once(method, path, json=json, params=params)
                return envelope if whole_envelope else envelope.get("result")
            except CloudflareError as error:
                if not idempotent and self._may_have_been_applied(error):
                    raise _Ambiguous(error) from None
                if not self._retryable(error) or used.retries >= self.retry.max_retries:
                    raise
                self._wait_before_retry(error, used.retries)
                used.retries += 1

    def _create_safely(
        self,
        send: Callable[[_Attempts], T],
        find_existing: Callable[[], T | None],
    ) -> T:
        """Run a non-idempotent create; after an ambiguous failure, adopt what it made or retry.

        One retry budget covers the whole create (429 retries inside ``send`` and retries after an
        ambiguous failure alike): at most ``max_retries + 1`` attempts, never ``(max_retries + 1) ** 2``."""
        ambiguous: CloudflareError | None = None
        used = _Attempts()
        while True:
            try:
                return send(used)
            except _Ambiguous as failure:
                ambiguous = failure.error
            except CertificateAlreadyExistsError:
                if ambiguous is None:
                    raise
                # An earlier attempt was applied after all; fall through to the lookup.
            assert ambiguous is not None
            try:
                existing = find_existing()
            except CloudflareError as lookup_error:
                # Neither sent again (it may have been applied) nor blamed on the lookup alone: say both.
                ambiguous.message = (
                    f"{ambiguous.message}; it may have been applied, and looking for it failed too "
                    f"({lookup_error.message})"
                )
                ambiguous.args = (ambiguous.message,)
                raise ambiguous from None
            if existing is not None:
                log.info("an earlier attempt was applied; using the object it created")
                return existing
            if used.retries >= self.retry.max_retries:
                raise ambiguous
            self._wait_before_retry(ambiguous, used.retries)
            used.retries += 1

    # -- account: mTLS certificates ---------------------------------------------------------------

    def upload_certificate(
        self,
        account_id: str,
        certificates: str,
        *,
        name: str | None = None,
        private_key: str | None = None,
        ca: bool = True,
    ) -> MTLSCertificateRecord:
        """Upload a certificate; never creates a duplicate, even when an attempt's answer is lost."""
        body: dict[str, Any] = {"ca": ca, "certificates": certificates}
        if name:
            body["name"] = name
        if private_key:
            body["private_key"] = private_key
        path = f"/accounts/{account_id}/mtls_certificates"
        return self._create_safely(
            lambda used: MTLSCertificateRecord.from_api(
                self._request("POST", path, json=body, idempotent=False, attempts=used)
            ),
            lambda: self.find_certificate_by_content(account_id, certificates),
        )

    def list_certificates(self, account_id: str) -> list[MTLSCertificateRecord]:
        """Every certificate of the account, following ``result_info`` pages."""
        return [
            MTLSCertificateRecord.from_api(item)
            for item in self._all_pages(f"/accounts/{account_id}/mtls_certificates")
        ]

    def _all_pages(self, path: str) -> list[Any]:
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            envelope = self._request(
                "GET", path, params={"page": str(page), "per_page": str(PER_PAGE)}, whole_envelope=True
            )
            result = envelope.get("result") or []
            items.extend(result)
            info = envelope.get("result_info")
            total_pages = info.get("total_pages") if isinstance(info, Mapping) else None
            if not result or not isinstance(total_pages, int) or page >= total_pages:
                return items
        return items

    def find_certificate_by_content(self, account_id: str, certificates: str) -> MTLSCertificateRecord | None:
        """The uploaded certificate whose DER content equals ``certificates``', or None."""
        wanted = der_blocks(certificates)
        if wanted is None:
            return None
        for record in self.list_certificates(account_id):
            if der_blocks(record.certificates) == wanted:
                return record
        return None

    def get_certificate(self, account_id: str, certificate_id: str) -> MTLSCertificateRecord | None:
        """The certificate, or None when it does not exist (any more)."""
        try:
            result = self._request("GET", f"/accounts/{account_id}/mtls_certificates/{certificate_id}")
        except NotFoundError:
            return None
        return MTLSCertificateRecord.from_api(result)

    def delete_certificate(self, account_id: str, certificate_id: str) -> bool:
        """Delete; returns False when it was already gone."""
        try:
            self._request("DELETE", f"/accounts/{account_id}/mtls_certificates/{certificate_id}")
        except NotFoundError:
            return False
        return True

    def certificate_usages(self, account_id: str, certificate_id: str) -> list[CertificateUsage]:
        result = self._request("GET", f"/accounts/{account_id}/mtls_certificates/{certificate_id}/associations")
        return [CertificateUsage.from_api(item) for item in result or []]

    # -- zone: hostname associations --------------------------------------------------------------

    @staticmethod
    def _associations_path(zone_id: str) -> str:
        return f"/zones/{zone_id}/certificate_authorities/hostname_associations"

    def get_hostname_associations(self, zone_id: str, mtls_certificate_id: str) -> list[str]:
        """The hostnames of one (zone, CA) pair. The id is required: without it Cloudflare answers
        for the Managed CA, a different list."""
        if not mtls_certificate_id:
            raise ValueError("mtls_certificate_id is required (an empty one means the Managed CA)")
        result = self._request(
            "GET",
            self._associations_path(zone_id),
            params={"mtls_certificate_id": mtls_certificate_id},
        )
        return list((result or {}).get("hostnames") or [])

    def replace_hostname_associations(
        self, zone_id: str, mtls_certificate_id: str, hostnames: Sequence[str]
    ) -> list[str]:
        """Replace the whole hostname list of one (zone, CA) pair; ``[]`` removes them all.

        Never sent without the certificate id, which would rewrite the Managed CA's list instead.
        """
        if not mtls_certificate_id:
            raise ValueError("mtls_certificate_id is required (an empty one means the Managed CA)")
        result = self._request(
            "PUT",
            self._associations_path(zone_id),
            json={"hostnames": list(hostnames), "mtls_certificate_id": mtls_certificate_id},
        )
        return list((result or {}).get("hostnames") or [])

    # -- zone: the custom rules entrypoint --------------------------------------------------------

    def get_custom_rules_entrypoint(self, zone_id: str) -> Ruleset | None:
        """The zone's ``http_request_firewall_custom`` entrypoint ruleset, or None if it has none yet."""
        try:
            result = self._request("GET", f"/zones/{zone_id}/rulesets/phases/{CUSTOM_RULES_PHASE}/entrypoint")
        except NotFoundError:
            return None
        return Ruleset.from_api(result)

    def create_custom_rules_entrypoint(self, zone_id: str, rule: RuleSpec) -> Ruleset:
        """Create the entrypoint holding just ``rule`` (only when the zone has none)."""
        body = {
            "name": "default",
            "description": "Zone custom rules (created by cfmtls-provider)",
            "kind": "zone",
            "phase": CUSTOM_RULES_PHASE,
            "rules": [rule.body()],
        }
        return self._create_safely(
            lambda used: Ruleset.from_api(
                self._request("POST", f"/zones/{zone_id}/rulesets", json=body, idempotent=False, attempts=used)
            ),
            lambda: self.get_custom_rules_entrypoint(zone_id),
        )

    def add_rule(self, zone_id: str, ruleset_id: str, rule: RuleSpec) -> Ruleset:
        """Append one rule; found again by its ``ref`` after an ambiguous failure."""

        def find() -> Ruleset | None:
            ruleset = self.get_custom_rules_entrypoint(zone_id)
            if ruleset is not None and ruleset.rule_by_ref(rule.ref) is not None:
                return ruleset
            return None

        return self._create_safely(
            lambda used: Ruleset.from_api(
                self._request(
                    "POST",
                    f"/zones/{zone_id}/rulesets/{ruleset_id}/rules",
                    json=rule.body(),
                    idempotent=False,
                    attempts=used,
                )
            ),
            find,
        )

    def update_rule(self, zone_id: str, ruleset_id: str, rule_id: str, rule: RuleSpec) -> Ruleset:
        """PATCH every field of one rule (idempotent)."""
        result = self._request("PATCH", f"/zones/{zone_id}/rulesets/{ruleset_id}/rules/{rule_id}", json=rule.body())
        return Ruleset.from_api(result)

    def delete_rule(self, zone_id: str, ruleset_id: str, rule_id: str) -> bool:
        """Delete one rule; returns False when it (or its ruleset) was already gone."""
        try:
            self._request("DELETE", f"/zones/{zone_id}/rulesets/{ruleset_id}/rules/{rule_id}")
        except NotFoundError:
            return False
        return True
