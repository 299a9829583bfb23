"""A small typed client for the Cloudflare v4 endpoints of "bring your own CA for mTLS".

Knows nothing of Pulumi. Every call has explicit timeouts and one bounded retry loop (at most
``max_retries + 1`` sends, as cloudflare-python's ``for retries_taken in range(max_retries + 1)``) with backoff
and jitter on 408/409/429/5xx, connection errors and timeouts. Every request is paced by the process's
:mod:`.pacer` from Cloudflare's rate-limit headers; a 429's ``retry-after`` holds every call until it ends.
Calls that create something (certificate upload, ruleset and rule creation) are not idempotent: after an
ambiguous failure (the request may have been applied) they look the object up before sending again, so a
retry never creates a duplicate.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from ..certificates import der_blocks
from .auth import Credentials
from .errors import (
    UNROUTABLE_OBJECT_ID,
    APIConnectionError,
    APIErrorDetail,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    CertificateAlreadyExistsError,
    CloudflareError,
    InternalServerError,
    NotFoundError,
    NothingListeningError,
    RateLimitError,
    error_for_status,
)
from .models import (
    BASE_URL_SETTINGS,
    CUSTOM_CERTIFICATE_TYPE,
    CUSTOM_RULES_ENTRYPOINT_DESCRIPTION,
    DEFAULT_BASE_URL,
    AnswerShapeError,
    CertificateUsage,
    MTLSCertificateRecord,
    Ruleset,
    RuleSpec,
    Zone,
    expect_object,
    hostname_list,
    kind_of,
    object_list,
)
from .pacer import DOCUMENTED_LIMIT, LockedOut, Pacer, retry_after_seconds, shared_pacer

__all__ = ["DEFAULT_BASE_URL", "CloudflareClient", "RetryPolicy", "RuleSpec"]

CUSTOM_RULES_PHASE = "http_request_firewall_custom"
#: The status of a successful delete of a ruleset: no body, so no envelope.
NO_CONTENT = 204
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
MAX_ERRORS = 20
MAX_ERROR_CHAIN_DEPTH = 4
"""Bounds on what is quoted from an error answer (a hostile or broken answer can nest without end)."""
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
    #: The longest rate-limit lock-out (a 429's ``retry-after``) a call waits out; longer ones fail at once.
    #: Cloudflare locks a user out for the rest of its five-minute window, so the default covers one window.
    max_retry_after: float = 360.0

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.initial_backoff * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)


def _details(raw: object, depth: int = 0) -> list[APIErrorDetail]:
    """The envelope's ``errors`` (each with its ``error_chain``, a few levels deep); anything malformed is skipped."""
    details: list[APIErrorDetail] = []
    if isinstance(raw, list) and depth <= MAX_ERROR_CHAIN_DEPTH:
        for item in raw[:MAX_ERRORS]:
            if isinstance(item, Mapping):
                code = item.get("code", 0)
                details.append(
                    APIErrorDetail(
                        code=int(code) if isinstance(code, int | str) and str(code).isdigit() else 0,
                        message=str(item.get("message", ""))[:500],
                        chain=tuple(_details(item.get("error_chain"), depth + 1)),
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
    """Thread-safe (httpx's connection pool is); create one per process and reuse it.

    Every request goes through a :class:`~.pacer.Pacer`: by default the process's one for this API and
    credential, so that every client of a process keeps to the user's one rate-limit budget."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
        user_agent: str = "cfmtls-provider",
        base_url_setting: str = BASE_URL_SETTINGS,
    ) -> None:
        """``base_url_setting`` names where ``base_url`` was set, for the error when nothing listens there."""
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=_CredentialsAuth(credentials),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self.base_url = base_url.rstrip("/")
        self._base_url_setting = base_url_setting
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._secret_values = tuple(value for value in credentials.secret_values() if value)
        self._pacer = pacer or shared_pacer(self.base_url, self._secret_values)

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
        """One request, paced; the envelope of a successful answer, else the error that describes the answer."""
        operation = f"{method} {path}"
        try:
            with self._pacer.slot(max_lockout_wait=self.retry.max_retry_after) as slot:
                response = self._http.request(method, path, json=json, params=params)
                slot.answered(response.status_code, response.headers)
        except LockedOut as lockout:
            limit = self._pacer.policy or DOCUMENTED_LIMIT
            why = (
                f"Cloudflare's API rate-limit budget ({limit}) has no calls left until its window resets in "
                if lockout.spent
                else f"Cloudflare's API rate limit ({limit}) is spent and an earlier call was told to wait "
            )
            raise RateLimitError(
                f"{operation} was not sent: {why}{lockout.seconds:.0f}s, longer than this client waits "
                f"({self.retry.max_retry_after:.0f}s)",
                operation=operation,
                status_code=429,
                retry_after=lockout.seconds,
            ) from None
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"{operation} failed: no answer within the timeout ({type(exc).__name__})",
                operation=operation,
                request_sent=not isinstance(exc, httpx.ConnectTimeout),
            ) from None
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.ConnectError) and _refused(exc) and _is_loopback(self.base_url):
                raise NothingListeningError(self._nothing_listening(operation), operation=operation) from None
            raise APIConnectionError(
                self._redact(f"{operation} failed: connection error ({type(exc).__name__}: {exc})"),
                operation=operation,
                request_sent=not isinstance(exc, httpx.ConnectError),
            ) from None
        log.debug("%s -> %s", operation, response.status_code)
        return self._envelope(operation, response)

    def _nothing_listening(self, operation: str) -> str:
        port = urlsplit(self.base_url).port or ""
        start = f"python -m cfmtls_provider.emulator{f' --port {port}' if port else ''}"
        return (
            f"{operation} was not sent: nothing is listening at {self.base_url} (connection refused). That is the "
            f"API base URL set by {self._base_url_setting}: start the emulator there ('{start}') or set the right "
            "URL; running the command again as it is will not help"
        )

    def _envelope(self, operation: str, response: httpx.Response) -> Mapping[str, Any]:
        """A successful answer's v4 envelope; for any other answer, the one error that describes it."""
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        except RecursionError:
            raise APIResponseValidationError(
                f"{operation} failed: the answer (HTTP {response.status_code}) is JSON nested too deeply to read",
                operation=operation,
            ) from None
        status = response.status_code
        if status == NO_CONTENT and not response.content:  # a delete that answers nothing: success
            return {"success": True, "errors": [], "messages": [], "result": None}
        if isinstance(envelope, Mapping) and "success" in envelope:
            success = envelope["success"]
            if success is True and status < 400:
                return envelope
            if not isinstance(success, bool) and status < 400:
                raise APIResponseValidationError(
                    f'{operation} failed: the answer\'s "success" is {kind_of(success)}, not true or false',
                    operation=operation,
                )
            errors = [
                APIErrorDetail(detail.code, self._redact(detail.message), detail.chain)
                for detail in _details(envelope.get("errors"))
            ]
        elif status < 400:
            raise APIResponseValidationError(
                f"{operation} failed: the answer is not a Cloudflare v4 envelope "
                f"(HTTP {status}); is the base URL right ({self.base_url})?",
                operation=operation,
            )
        else:
            errors = [APIErrorDetail(0, f"non-JSON answer: {self._redact(response.text)[:200]!r}")]
        raise error_for_status(
            operation=operation,
            status_code=status,
            errors=errors,
            retry_after=retry_after_seconds(response.headers),
        )

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

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        find_existing: Callable[[], T | None] | None = None,
    ) -> T:
        """One logical call in one bounded loop: at most ``max_retries + 1`` sends, whatever the failures.

        ``parse`` turns the answer's envelope into the result. A create passes ``find_existing``: after a
        failure that may have been applied, it looks the object up before anything is sent again, and
        adopts what an earlier attempt made, so a retry never creates a duplicate."""
        ambiguous: CloudflareError | None = None
        for retries_taken in range(self.retry.max_retries + 1):
            try:
                return self._parse(method, path, parse, self._send_once(method, path, json=json, params=params))
            except CertificateAlreadyExistsError:
                if ambiguous is None or find_existing is None:
                    raise
                # An earlier attempt may have been applied after all: ours is taken back; anyone else's
                # upload of the same certificate leaves Cloudflare's refusal standing.
                earlier = self._look_up(find_existing, ambiguous)
                if earlier is not None:
                    return earlier
                raise
            except CloudflareError as failure:
                error = failure
            if find_existing is not None and (error is ambiguous or self._may_have_been_applied(error)):
                ambiguous = error
                existing = self._look_up(find_existing, error)
                if existing is not None:
                    return existing
            if not self._retryable(error) or retries_taken == self.retry.max_retries:
                raise self._final(error)
            self._wait_before_retry(error, retries_taken)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _parse(method: str, path: str, parse: Callable[[Mapping[str, Any]], T], envelope: Mapping[str, Any]) -> T:
        try:
            return parse(envelope)
        except AnswerShapeError as error:
            operation = f"{method} {path}"
            raise APIResponseValidationError(
                f"{operation} failed: Cloudflare's answer is not shaped as its API documents: {error}",
                operation=operation,
            ) from None

    @staticmethod
    def _look_up(find_existing: Callable[[], T | None], error: CloudflareError) -> T | None:
        try:
            existing = find_existing()
        except CloudflareError as lookup_error:
            # Neither sent again (it may have been applied) nor blamed on the lookup alone: say both.
            raise error.with_context(
                f"it may have been applied, and looking for it failed too ({lookup_error.message})"
            ) from lookup_error
        if existing is not None:
            log.info("an earlier attempt was applied; using the object it created")
        return existing

    def _wait_before_retry(self, error: CloudflareError, retries_taken: int) -> None:
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.retry.max_retry_after:
                raise self._final(error)
            # The pacer holds this call, and every other one of the process, until the lock-out ends.
            log.info("%s; waiting out the rate-limit lock-out (%.0fs)", error.message, error.retry_after)
            return
        delay = self.retry.backoff(retries_taken)
        log.info("%s; retrying in %.1fs (attempt %d)", error.message, delay, retries_taken + 2)
        self._sleep(delay)

    def _final(self, error: CloudflareError) -> CloudflareError:
        """The error to raise when giving up; a lock-out too long to wait out says which limit, and for how long."""
        if not isinstance(error, RateLimitError) or (error.retry_after or 0) <= self.retry.max_retry_after:
            return error
        if not error.errors:
            return error  # the pacer's own refusal to send: its message already says all
        return error.with_context(
            f"Cloudflare's API rate limit ({self._pacer.policy or DOCUMENTED_LIMIT}) is spent and it refuses "
            f"this user's calls for {error.retry_after:.0f}s more, longer than this client waits "
            f"({self.retry.max_retry_after:.0f}s)"
        )

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
        return self._call(
            "POST",
            f"/accounts/{account_id}/mtls_certificates",
            _certificate,
            json=body,
            find_existing=lambda: self._own_upload(account_id, certificates, name),
        )

    def _own_upload(self, account_id: str, certificates: str, name: str | None) -> MTLSCertificateRecord | None:
        """After an answer was lost: the upload of this content under this name (the name carries the stack's
        ownership tag), never someone else's concurrent upload of the same certificate, which must end in
        Cloudflare's 1471 refusal instead of being shared unknowingly."""
        record = self.find_certificate_by_content(account_id, certificates)
        return record if record is not None and (not name or record.name == name) else None

    def list_certificates(self, account_id: str) -> list[MTLSCertificateRecord]:
        """The account's own uploads (type ``custom``, not the certificates Cloudflare manages for Access or
        Gateway): asked with the documented ``type`` filter and checked on each answer (an answer without the
        field counts as an upload), following ``result_info`` pages when present."""
        records = self._all_pages(
            f"/accounts/{account_id}/mtls_certificates",
            MTLSCertificateRecord.from_api,
            {"type": CUSTOM_CERTIFICATE_TYPE},
        )
        return [record for record in records if record.type in ("", CUSTOM_CERTIFICATE_TYPE)]

    def _all_pages(
        self, path: str, parse_item: Callable[[object, str], T], params: Mapping[str, str] | None = None
    ) -> list[T]:
        """Every item of a list, following ``result_info`` pages when there are any."""
        everything: list[T] = []
        for page in range(1, MAX_PAGES + 1):
            items, total_pages = self._page(path, parse_item, params, page)
            everything.extend(items)
            if not items or total_pages is None or page >= total_pages:
                break
        return everything

    def _page(
        self, path: str, parse_item: Callable[[object, str], T], params: Mapping[str, str] | None, page: int
    ) -> tuple[list[T], int | None]:
        """One page of a list (``PER_PAGE`` items), and how many pages ``result_info`` says there are (None: unsaid)."""

        def parse(envelope: Mapping[str, Any]) -> tuple[list[T], int | None]:
            items = object_list(_result(envelope), "result")
            info = envelope.get("result_info")
            total_pages = info.get("total_pages") if isinstance(info, Mapping) else None
            parsed = [parse_item(item, f"result[{index}]") for index, item in enumerate(items)]
            return parsed, total_pages if isinstance(total_pages, int) and not isinstance(total_pages, bool) else None

        paging = {**(params or {}), "page": str(page), "per_page": str(PER_PAGE)}
        return self._call("GET", path, parse, params=paging)

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
            return self._call(
                "GET",
                f"/accounts/{account_id}/mtls_certificates/{certificate_id}",
                lambda envelope: _same_id(_certificate(envelope), certificate_id, "certificate"),
            )
        except NotFoundError:
            return None

    def delete_certificate(self, account_id: str, certificate_id: str) -> bool:
        """Delete; returns False when it was already gone."""
        try:
            self._call("DELETE", f"/accounts/{account_id}/mtls_certificates/{certificate_id}", _result)
        except NotFoundError:
            return False
        return True

    def certificate_usages(self, account_id: str, certificate_id: str) -> list[CertificateUsage]:
        return self._call(
            "GET",
            f"/accounts/{account_id}/mtls_certificates/{certificate_id}/associations",
            lambda envelope: [
                CertificateUsage.from_api(item, f"result[{index}]")
                for index, item in enumerate(object_list(_result(envelope), "result"))
            ],
        )

    # -- zones ------------------------------------------------------------------------------------

    def list_zones(self, account_id: str | None = None) -> list[Zone]:
        """Every zone the credentials reach (of ``account_id`` when given), following ``result_info`` pages.
        ``GET /zones?account.id=...``: https://developers.cloudflare.com/api/resources/zones/methods/list/"""
        params = {"account.id": account_id} if account_id else None
        return self._all_pages("/zones", Zone.from_api, params)

    def zones_page(self, account_id: str, page: int) -> tuple[list[Zone], int]:
        """One page of the account's zones (``PER_PAGE`` asked) and how many pages there are: 1 when the answer's
        ``result_info`` does not say (the SDK's page model does not require it; docs/cloudflare-api.md), so that a
        caller reads no further page. ``GET /zones?account.id=...&page=...``, as :meth:`list_zones`."""
        zones, total_pages = self._page("/zones", Zone.from_api, {"account.id": account_id}, page)
        return zones, total_pages or 1

    def get_zone(self, zone_id: str) -> Zone | None:
        """The zone (its id, its name, which is its domain, and its account), or None when Cloudflare knows no such
        zone: 404, or 7003 "Could not route to ..., perhaps your object identifier is invalid?" (docs/cloudflare-api.md).
        ``GET /zones/{zone_id}``: https://developers.cloudflare.com/api/resources/zones/methods/get/ (the SDK's
        ``zones.get``). A token that may not read it raises PermissionDeniedError, an unknown token
        AuthenticationError: neither says the zone does not exist."""
        try:
            return self._call("GET", f"/zones/{zone_id}", lambda envelope: _same_id(_zone(envelope), zone_id, "zone"))
        except NotFoundError:
            return None
        except BadRequestError as error:
            if UNROUTABLE_OBJECT_ID in error.codes:
                return None
            raise

    # -- zone: hostname associations --------------------------------------------------------------

    @staticmethod
    def _associations_path(zone_id: str) -> str:
        return f"/zones/{zone_id}/certificate_authorities/hostname_associations"

    def get_hostname_associations(self, zone_id: str, mtls_certificate_id: str) -> list[str]:
        """The hostnames of one (zone, CA) pair. The id is required: without it Cloudflare answers
        for the Managed CA, a different list."""
        if not mtls_certificate_id:
            raise ValueError("mtls_certificate_id is required (an empty one means the Managed CA)")
        return self._call(
            "GET",
            self._associations_path(zone_id),
            _hostnames,
            params={"mtls_certificate_id": mtls_certificate_id},
        )

    def get_managed_ca_hostnames(self, zone_id: str) -> list[str]:
        """The hostnames of the zone associated with Cloudflare's Managed CA (the list read without a
        certificate id). Read only: no method here writes that list."""
        return self._call("GET", self._associations_path(zone_id), _hostnames)

    def replace_hostname_associations(
        self, zone_id: str, mtls_certificate_id: str, hostnames: Sequence[str]
    ) -> list[str]:
        """Replace the whole hostname list of one (zone, CA) pair; ``[]`` removes them all.

        Never sent without the certificate id, which would rewrite the Managed CA's list instead.
        """
        if not mtls_certificate_id:
            raise ValueError("mtls_certificate_id is required (an empty one means the Managed CA)")
        return self._call(
            "PUT",
            self._associations_path(zone_id),
            _hostnames,
            json={"hostnames": list(hostnames), "mtls_certificate_id": mtls_certificate_id},
        )

    # -- zone: the custom rules entrypoint --------------------------------------------------------

    def get_custom_rules_entrypoint(self, zone_id: str) -> Ruleset | None:
        """The zone's ``http_request_firewall_custom`` entrypoint ruleset, or None if it has none yet."""
        try:
            return self._call("GET", f"/zones/{zone_id}/rulesets/phases/{CUSTOM_RULES_PHASE}/entrypoint", _entrypoint)
        except NotFoundError:
            return None

    def create_custom_rules_entrypoint(self, zone_id: str, rule: RuleSpec) -> Ruleset:
        """Create the entrypoint holding just ``rule`` (only when the zone has none)."""
        body = {
            "name": "default",
            "description": CUSTOM_RULES_ENTRYPOINT_DESCRIPTION,
            "kind": "zone",
            "phase": CUSTOM_RULES_PHASE,
            "rules": [rule.body()],
        }
        return self._call(
            "POST",
            f"/zones/{zone_id}/rulesets",
            _entrypoint,
            json=body,
            find_existing=lambda: self.get_custom_rules_entrypoint(zone_id),
        )

    def add_rule(self, zone_id: str, ruleset_id: str, rule: RuleSpec) -> Ruleset:
        """Append one rule; found again by its ``ref`` after an ambiguous failure."""

        def find() -> Ruleset | None:
            ruleset = self.get_custom_rules_entrypoint(zone_id)
            if ruleset is not None and ruleset.rule_by_ref(rule.ref) is not None:
                return ruleset
            return None

        def parse(envelope: Mapping[str, Any]) -> Ruleset:
            ruleset = _same_id(_ruleset(envelope), ruleset_id, "ruleset")
            if ruleset.rule_by_ref(rule.ref) is None:
                raise AnswerShapeError(f"result.rules has no rule with ref {rule.ref!r}, the one just added")
            return ruleset

        return self._call(
            "POST", f"/zones/{zone_id}/rulesets/{ruleset_id}/rules", parse, json=rule.body(), find_existing=find
        )

    def update_rule(self, zone_id: str, ruleset_id: str, rule_id: str, rule: RuleSpec) -> Ruleset:
        """PATCH every field of one rule (idempotent)."""

        def parse(envelope: Mapping[str, Any]) -> Ruleset:
            ruleset = _same_id(_ruleset(envelope), ruleset_id, "ruleset")
            if ruleset.rule_by_id(rule_id) is None:
                raise AnswerShapeError(f"result.rules has no rule {rule_id!r}, the one just updated")
            return ruleset

        return self._call("PATCH", f"/zones/{zone_id}/rulesets/{ruleset_id}/rules/{rule_id}", parse, json=rule.body())

    def delete_rule(self, zone_id: str, ruleset_id: str, rule_id: str) -> Ruleset | None:
        """Delete one rule; the ruleset as it is after it (Cloudflare answers with it), None when the rule (or its
        ruleset) was already gone."""
        try:
            return self._call("DELETE", f"/zones/{zone_id}/rulesets/{ruleset_id}/rules/{rule_id}", _ruleset)
        except NotFoundError:
            return None

    def delete_ruleset(self, zone_id: str, ruleset_id: str) -> bool:
        """Delete a zone ruleset, all its versions (an entrypoint too); returns False when it was already gone.

        ``DELETE /zones/{zone_id}/rulesets/{ruleset_id}`` answers 204 No Content (API reference "Delete a zone
        ruleset": https://developers.cloudflare.com/ruleset-engine/rulesets-api/delete/), its rules with it. Callers
        delete only an entrypoint the package created (:attr:`Ruleset.created_by_us`) that is empty, or holds only
        the rule being deleted."""
        try:
            self._call("DELETE", f"/zones/{zone_id}/rulesets/{ruleset_id}", _result)
        except NotFoundError:
            return False
        return True


def _refused(error: BaseException) -> bool:
    """Whether a connect error's cause is a refused connection (nothing accepts connections at that port)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _is_loopback(base_url: str) -> bool:
    """This machine: a refused connection there is not a network's hiccup that a retry could outlast."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _result(envelope: Mapping[str, Any]) -> Any:
    return envelope.get("result")


def _certificate(envelope: Mapping[str, Any]) -> MTLSCertificateRecord:
    return MTLSCertificateRecord.from_api(_result(envelope))


def _zone(envelope: Mapping[str, Any]) -> Zone:
    return Zone.from_api(_result(envelope), "result")


def _hostnames(envelope: Mapping[str, Any]) -> list[str]:
    return hostname_list(expect_object(_result(envelope), "result").get("hostnames"), "result.hostnames")


def _ruleset(envelope: Mapping[str, Any]) -> Ruleset:
    return Ruleset.from_api(_result(envelope))


def _entrypoint(envelope: Mapping[str, Any]) -> Ruleset:
    ruleset = _ruleset(envelope)
    if ruleset.phase != CUSTOM_RULES_PHASE:
        raise AnswerShapeError(f"result.phase is {ruleset.phase!r}, expected {CUSTOM_RULES_PHASE!r}")
    return ruleset


_Identified = TypeVar("_Identified", MTLSCertificateRecord, Ruleset, Zone)


def _same_id(answer: _Identified, wanted: str, what: str) -> _Identified:
    """An answer about another object than the one asked for is refused, not taken for it."""
    if answer.id != wanted:
        raise AnswerShapeError(f"result.id is {answer.id!r}: an answer about another {what} than {wanted!r}")
    return answer
