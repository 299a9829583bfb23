"""CloudflareClient against a small dict-backed fake of the v4 API (httpx.MockTransport), with scripted faults.

No real sleeping: the client and its pacer get a fake clock whose ``sleep`` records every wait in ``waits``.
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from cfmtls_provider.certificates import der_blocks
from cfmtls_provider.cloudflare import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ApiToken,
    AuthenticationError,
    BadRequestError,
    CertificateAlreadyExistsError,
    CertificateQuotaExceededError,
    CloudflareClient,
    CloudflareError,
    ConflictError,
    GlobalApiKey,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    RuleSpec,
    UnprocessableEntityError,
)
from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION, Ruleset
from cfmtls_provider.cloudflare.pacer import Pacer
from tests.support.certs import make_ca
from tests.support.clock import FakeClock

BASE = "https://api.cloudflare.test/client/v4"
TOKEN = "cf-secret-token-3f9a7c1e5b2d"
ACCOUNT = "acc1"
ZONE = "zone1"
PHASE = "http_request_firewall_custom"

Serve = Callable[[httpx.Request], httpx.Response]
Step = Callable[[httpx.Request, Serve], httpx.Response]


# -- the fake API -------------------------------------------------------------------------------------


def envelope(result: Any = None, *, status: int = 200, errors: list[dict[str, Any]] | None = None) -> httpx.Response:
    body = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
    return httpx.Response(status, json=body)


def failure(status: int, code: int = 1000, message: str = "it failed", headers: dict[str, str] | None = None) -> Step:
    def step(request: httpx.Request, serve: Serve) -> httpx.Response:
        response = envelope(status=status, errors=[{"code": code, "message": message}])
        response.headers.update(headers or {})
        return response

    return step


def raw(status: int, text: str, content_type: str = "text/html") -> Step:
    return lambda request, serve: httpx.Response(status, text=text, headers={"content-type": content_type})


def raise_before(exc_type: type[httpx.TransportError]) -> Step:
    """The request never reaches the fake (but may have, as far as the client knows)."""

    def step(request: httpx.Request, serve: Serve) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return step


def commit_then(after: Step | type[httpx.TransportError]) -> Step:
    """The fake applies the request, then the answer is lost (a transport error) or replaced (a 5xx)."""

    def step(request: httpx.Request, serve: Serve) -> httpx.Response:
        serve(request)
        if isinstance(after, type):
            raise after("connection dropped after the write", request=request)
        return after(request, serve)

    return step


def server_normalised(pem: str) -> str:
    """How the fake stores a PEM: same DER, other wrapping (76 columns), CRLF, no trailing newline."""
    parts = []
    for der in der_blocks(pem) or ():
        body = base64.b64encode(der).decode()
        lines = [body[i : i + 76] for i in range(0, len(body), 76)]
        parts.append("\r\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"]))
    return "\r\n".join(parts)


class FakeCloudflare:
    def __init__(self) -> None:
        self.certs: dict[str, dict[str, Any]] = {}
        self.associations: dict[tuple[str, str], list[str]] = {}
        self.rulesets: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.script: list[Step] = []
        self.list_lag = 0  # answer this many certificate listings as if empty (eventual consistency)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)(request, self.serve)
        return self.serve(request)

    def calls(self, method: str | None = None) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests if method in (None, r.method)]

    def serve(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/client/v4/").split("/")
        body: Any = json.loads(request.content) if request.content else {}
        method = request.method
        if parts[:2] == ["accounts", ACCOUNT] and parts[2] == "mtls_certificates":
            return self._certificates(method, parts[3:], body)
        if parts[:3] == ["zones", ZONE, "certificate_authorities"]:
            key = (ZONE, request.url.params.get("mtls_certificate_id") or body.get("mtls_certificate_id", ""))
            if method == "PUT":
                self.associations[key] = list(body["hostnames"])
            return envelope({"hostnames": self.associations.get(key, [])})
        if parts[:2] == ["zones", ZONE] and parts[2] == "rulesets":
            return self._rulesets(method, parts[3:], body)
        return envelope(status=404, errors=[{"code": 7003, "message": "No route for that URI"}])

    def _certificates(self, method: str, rest: list[str], body: Any) -> httpx.Response:
        if not rest and method == "POST":
            if any(der_blocks(c["certificates"]) == der_blocks(body["certificates"]) for c in self.certs.values()):
                return envelope(status=400, errors=[{"code": 1471, "message": "This certificate already exists"}])
            record = {"id": str(uuid.uuid4()), "ca": body["ca"], "name": body.get("name", "")}
            record["certificates"] = server_normalised(body["certificates"])
            self.certs[record["id"]] = record
            return envelope(record)
        if not rest:
            if self.list_lag:
                self.list_lag -= 1
                return envelope([])
            return envelope(list(self.certs.values()))
        if rest[0] not in self.certs:
            return envelope(status=404, errors=[{"code": 1472, "message": "Certificate not found"}])
        if method == "DELETE":
            del self.certs[rest[0]]
            return envelope({"id": rest[0]})
        if rest[1:] == ["associations"]:
            return envelope([{"service": "gateway", "status": "pending_deployment", "zone": "z"}])
        return envelope(self.certs[rest[0]])

    def _rulesets(self, method: str, rest: list[str], body: Any) -> httpx.Response:
        missing = envelope(status=404, errors=[{"code": 10000, "message": "ruleset not found"}])
        if rest == ["phases", PHASE, "entrypoint"]:
            return envelope(self.rulesets[ZONE]) if ZONE in self.rulesets else missing
        if not rest and method == "POST":
            self.rulesets[ZONE] = {
                "id": "rs1",
                "phase": body["phase"],
                "version": "1",
                "description": body.get("description", ""),
                "rules": [],
            }
            for rule in body["rules"]:
                self.rulesets[ZONE]["rules"].append({**rule, "id": uuid.uuid4().hex})
            return envelope(self.rulesets[ZONE])
        ruleset = self.rulesets.get(ZONE)
        if ruleset is None or rest[0] != ruleset["id"]:
            return missing
        if rest[1:] == [] and method == "DELETE":
            del self.rulesets[ZONE]
            return httpx.Response(204)
        if rest[1:] == ["rules"] and method == "POST":
            ruleset["rules"].append({**body, "id": uuid.uuid4().hex})
            return envelope(ruleset)
        rule = next((r for r in ruleset["rules"] if r["id"] == rest[2]), None)
        if rule is None:
            return missing
        if method == "PATCH":
            rule.update(body)
        elif method == "DELETE":
            ruleset["rules"].remove(rule)
        return envelope(ruleset)


@pytest.fixture
def fake() -> FakeCloudflare:
    return FakeCloudflare()


@pytest.fixture
def waits() -> list[float]:
    return []


def make_client(fake: FakeCloudflare, waits: list[float], *, credentials: Any = None, **retry: Any) -> CloudflareClient:
    """Every wait, the client's backoff and its pacer's (lock-outs), is appended to ``waits``."""
    policy = RetryPolicy(**{"max_retries": 3, "initial_backoff": 0.5, "max_backoff": 16.0, **retry})
    clock = FakeClock()
    clock.waits = waits
    return CloudflareClient(
        credentials or ApiToken(TOKEN),
        base_url=BASE,
        retry=policy,
        transport=httpx.MockTransport(fake.handle),
        sleep=clock.sleep,
        pacer=Pacer(clock=clock, sleep=clock.sleep),
    )


@pytest.fixture
def client(fake: FakeCloudflare, waits: list[float]) -> CloudflareClient:
    return make_client(fake, waits)


@pytest.fixture(scope="module")
def ca_pem() -> str:
    return make_ca("client test CA").pem


# -- the envelope -------------------------------------------------------------------------------------


def test_result_is_read_from_the_envelope(fake: FakeCloudflare, client: CloudflareClient, ca_pem: str) -> None:
    fake.certs["c1"] = {"id": "c1", "ca": True, "certificates": ca_pem, "name": "n", "issuer": "CN=x", "signature": "S"}
    record = client.get_certificate(ACCOUNT, "c1")
    assert record is not None
    assert (record.id, record.ca, record.name, record.issuer, record.signature) == ("c1", True, "n", "CN=x", "S")


def _page(items: list[dict[str, Any]], page: int, total_pages: int | None) -> httpx.Response:
    info: dict[str, int] = {"page": page, "per_page": 50, "count": len(items), "total_count": 50 * page}
    if total_pages is not None:
        info["total_pages"] = total_pages
    body = {"success": True, "errors": [], "messages": [], "result": items, "result_info": info}
    return httpx.Response(200, json=body)


def test_list_asks_for_a_page_of_50_and_stops_when_result_info_says_it_was_the_last(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.script = [lambda request, serve: _page([{"id": "c1", "certificates": ca_pem}], 1, None)]
    assert [r.id for r in client.list_certificates(ACCOUNT)] == ["c1"]
    assert len(fake.requests) == 1
    assert fake.requests[0].url.params["per_page"] == "50"


def test_list_asks_for_custom_certificates_and_ignores_managed_ones_even_if_sent(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    items = [
        {"id": "c1", "certificates": ca_pem, "type": "custom"},
        {"id": "m1", "certificates": ca_pem, "type": "gateway_managed"},
        {"id": "m2", "certificates": ca_pem, "type": "access_managed"},
        {"id": "c2", "certificates": ca_pem},  # an answer without the field: an upload
    ]
    fake.script = [lambda request, serve: _page(items, 1, None)]
    assert [r.id for r in client.list_certificates(ACCOUNT)] == ["c1", "c2"]
    assert fake.requests[0].url.params["type"] == "custom"


def test_list_follows_every_page_result_info_announces(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.script = [
        lambda request, serve: _page([{"id": "c1", "certificates": ca_pem}], 1, 3),
        lambda request, serve: _page([{"id": "c2", "certificates": ca_pem}], 2, 3),
        lambda request, serve: _page([{"id": "c3", "certificates": ca_pem}], 3, 3),
    ]
    assert [r.id for r in client.list_certificates(ACCOUNT)] == ["c1", "c2", "c3"]
    assert [r.url.params["page"] for r in fake.requests] == ["1", "2", "3"]


def test_find_by_content_finds_a_certificate_on_a_later_page(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    other = make_ca("another CA").pem
    fake.script = [
        lambda request, serve: _page([{"id": "c1", "certificates": other}], 1, 2),
        lambda request, serve: _page([{"id": "c2", "certificates": server_normalised(ca_pem)}], 2, 2),
    ]
    found = client.find_certificate_by_content(ACCOUNT, ca_pem)
    assert found is not None and found.id == "c2"


def test_list_stops_at_an_empty_page_whatever_total_pages_says(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.script = [
        lambda request, serve: _page([{"id": "c1", "certificates": ca_pem}], 1, 9),
        lambda request, serve: _page([], 2, 9),
    ]
    assert [r.id for r in client.list_certificates(ACCOUNT)] == ["c1"]
    assert len(fake.requests) == 2


def test_success_false_with_http_200_raises_a_status_error(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.script = [lambda request, serve: envelope(status=200, errors=[{"code": 9999, "message": "odd"}])]
    with pytest.raises(APIStatusError) as info:
        client.certificate_usages(ACCOUNT, "c1")
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 200
    assert info.value.codes == (9999,)


def test_error_codes_sent_as_strings_are_understood(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.script = [lambda request, serve: envelope(status=400, errors=[{"code": "1489", "message": "quota"}])]
    with pytest.raises(CertificateQuotaExceededError):
        client.upload_certificate(ACCOUNT, "x")


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
    ],
)
def test_http_status_maps_to_its_exception_class(
    fake: FakeCloudflare, waits: list[float], status: int, error_class: type[APIStatusError]
) -> None:
    client = make_client(fake, waits, max_retries=0)
    fake.script = [failure(status, 1234, "Cloudflare says no")]
    with pytest.raises(error_class) as info:
        client.certificate_usages(ACCOUNT, "c1")
    error = info.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.codes == (1234,)
    assert error.operation == f"GET /accounts/{ACCOUNT}/mtls_certificates/c1/associations"
    assert str(error) == f"{error.operation} failed: HTTP {status}: Cloudflare says no (code 1234)"
    assert error.cloudflare_message == "Cloudflare says no (code 1234)"


def test_code_1471_is_certificate_already_exists(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.script = [failure(400, 1471, "This certificate already exists")]
    with pytest.raises(CertificateAlreadyExistsError) as info:
        client.upload_certificate(ACCOUNT, "x")
    assert isinstance(info.value, BadRequestError)


@pytest.mark.parametrize("status", [400, 403])
def test_code_1489_is_quota_exceeded_whatever_the_status(
    fake: FakeCloudflare, client: CloudflareClient, status: int
) -> None:
    fake.script = [failure(status, 1489, "Hit maximum CA cert allocation.")]
    with pytest.raises(CertificateQuotaExceededError) as info:
        client.upload_certificate(ACCOUNT, "x")
    assert info.value.status_code == status
    assert "Hit maximum CA cert allocation. (code 1489)" in str(info.value)


def test_an_html_502_page_is_a_status_error_quoting_the_page(fake: FakeCloudflare, waits: list[float]) -> None:
    client = make_client(fake, waits, max_retries=0)
    fake.script = [raw(502, "<html><body>502 Bad Gateway</body></html>")]
    with pytest.raises(InternalServerError) as info:
        client.list_certificates(ACCOUNT)
    assert info.value.status_code == 502
    assert "non-JSON answer" in str(info.value)
    assert "502 Bad Gateway" in str(info.value)


@pytest.mark.parametrize(
    "credentials",
    [ApiToken(TOKEN), GlobalApiKey("ops@example.com", TOKEN)],
    ids=["token", "global-key"],
)
def test_an_error_page_echoing_the_request_headers_is_quoted_without_the_credential(
    fake: FakeCloudflare, waits: list[float], credentials: Any
) -> None:
    """Some proxies answer with a debug page that repeats the request, Authorization header included."""
    client = make_client(fake, waits, credentials=credentials, max_retries=0)
    fake.script = [raw(502, f"<pre>Authorization: Bearer {TOKEN}\nX-Auth-Key: {TOKEN}</pre>")]
    with pytest.raises(InternalServerError) as info:
        client.list_certificates(ACCOUNT)
    assert TOKEN not in str(info.value)
    assert "Bearer ****" in str(info.value)


def test_an_error_envelope_echoing_the_token_is_quoted_without_it(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    fake.script = [failure(400, 6003, f"Invalid request headers: bad token {TOKEN}")]
    with pytest.raises(BadRequestError) as info:
        client.list_certificates(ACCOUNT)
    assert TOKEN not in str(info.value)
    assert all(TOKEN not in detail.message for detail in info.value.errors)
    assert "bad token ****" in str(info.value)


@pytest.mark.parametrize(
    "step",
    [raw(200, '{"hello": "world"}', "application/json"), raw(200, "<html>portal</html>"), raw(200, "[1, 2]")],
    ids=["json-object", "html", "json-list"],
)
def test_a_200_that_is_not_an_envelope_is_a_validation_error(
    fake: FakeCloudflare, client: CloudflareClient, step: Step
) -> None:
    fake.script = [step]
    with pytest.raises(APIResponseValidationError) as info:
        client.list_certificates(ACCOUNT)
    assert "not a Cloudflare v4 envelope" in str(info.value)
    assert BASE in str(info.value)
    assert len(fake.requests) == 1


# -- retries ------------------------------------------------------------------------------------------


def test_429_waits_at_least_retry_after_then_succeeds(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float]
) -> None:
    fake.script = [failure(429, 10000, "rate limited", {"retry-after": "7"})]
    assert client.list_certificates(ACCOUNT) == []
    assert len(fake.requests) == 2
    assert len(waits) == 1
    assert waits[0] >= 7


def test_429_stops_after_max_retries(fake: FakeCloudflare, client: CloudflareClient, waits: list[float]) -> None:
    fake.script = [failure(429, 10000, "rate limited", {"retry-after": "2"}) for _ in range(10)]
    with pytest.raises(RateLimitError) as info:
        client.list_certificates(ACCOUNT)
    assert info.value.retry_after == 2
    assert len(fake.requests) == 4  # max_retries=3: four attempts
    assert len(waits) == 3
    assert all(wait >= 2 for wait in waits)


def test_retry_after_as_an_http_date_is_honoured(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float]
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.script = [failure(429, 10000, "rate limited", {"retry-after": when})]
    client.list_certificates(ACCOUNT)
    assert len(waits) == 1
    assert 25 <= waits[0] <= 31


@pytest.mark.parametrize("status", [408, 409])
def test_408_and_409_are_retried(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], status: int
) -> None:
    fake.script = [failure(status)]
    assert client.list_certificates(ACCOUNT) == []
    assert len(fake.requests) == 2
    assert len(waits) == 1


def test_retry_after_above_max_retry_after_raises_at_once(fake: FakeCloudflare, waits: list[float]) -> None:
    client = make_client(fake, waits, max_retry_after=60)
    fake.script = [failure(429, 10000, "rate limited", {"retry-after": "300"})]
    with pytest.raises(RateLimitError) as info:
        client.list_certificates(ACCOUNT)
    assert info.value.retry_after == 300
    assert len(fake.requests) == 1
    assert waits == []


def test_5xx_is_retried_with_growing_backoff(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float]
) -> None:
    fake.script = [failure(500), failure(502), failure(503)]
    assert client.list_certificates(ACCOUNT) == []
    assert len(fake.requests) == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        ceiling = 0.5 * 2**attempt
        assert ceiling / 2 <= wait <= ceiling
    assert waits == sorted(waits)


def test_5xx_stops_after_max_retries(fake: FakeCloudflare, client: CloudflareClient, waits: list[float]) -> None:
    fake.script = [failure(503) for _ in range(10)]
    with pytest.raises(InternalServerError):
        client.list_certificates(ACCOUNT)
    assert len(fake.requests) == 4
    assert len(waits) == 3


def test_connect_error_is_retried(fake: FakeCloudflare, client: CloudflareClient, waits: list[float]) -> None:
    fake.script = [raise_before(httpx.ConnectError)]
    assert client.list_certificates(ACCOUNT) == []
    assert len(fake.requests) == 2
    assert len(waits) == 1


def test_connect_errors_end_as_api_connection_error(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.script = [raise_before(httpx.ConnectError) for _ in range(10)]
    with pytest.raises(APIConnectionError) as info:
        client.list_certificates(ACCOUNT)
    assert info.value.request_sent is False
    assert "connection error (ConnectError" in str(info.value)


def test_get_is_retried_after_a_read_timeout(fake: FakeCloudflare, client: CloudflareClient, ca_pem: str) -> None:
    fake.certs["c1"] = {"id": "c1", "certificates": ca_pem}
    fake.script = [raise_before(httpx.ReadTimeout), raise_before(httpx.ReadTimeout)]
    record = client.get_certificate(ACCOUNT, "c1")
    assert record is not None
    assert len(fake.requests) == 3


def test_read_timeouts_end_as_api_timeout_error(fake: FakeCloudflare, waits: list[float]) -> None:
    client = make_client(fake, waits, max_retries=1)
    fake.script = [raise_before(httpx.ReadTimeout), raise_before(httpx.ReadTimeout)]
    with pytest.raises(APITimeoutError) as info:
        client.list_certificates(ACCOUNT)
    assert info.value.request_sent is True
    assert "no answer within the timeout" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], status: int
) -> None:
    fake.script = [failure(status) for _ in range(5)]
    with pytest.raises(APIStatusError):
        client.certificate_usages(ACCOUNT, "c1")
    assert len(fake.requests) == 1
    assert waits == []


# -- credentials never leak ---------------------------------------------------------------------------


def test_token_is_sent_as_a_bearer_header(fake: FakeCloudflare, client: CloudflareClient) -> None:
    client.list_certificates(ACCOUNT)
    assert fake.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_is_not_in_the_reprs(client: CloudflareClient) -> None:
    credentials = ApiToken(TOKEN)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(credentials)
    assert TOKEN not in str(credentials)
    assert repr(credentials) == "ApiToken(****)"


@pytest.mark.parametrize(
    "steps",
    [
        [failure(401, 10000, "Authentication error")],
        [failure(403, 9109, "Unauthorized to access requested resource")],
        [raw(502, "<html>bad gateway</html>")] * 5,
        [raw(200, "not json")],
        [raise_before(httpx.ConnectError)] * 5,
        [raise_before(httpx.ReadTimeout)] * 5,
        [failure(429, 10000, "slow down", {"retry-after": "999"})],
    ],
    ids=["401", "403", "html-502", "non-envelope", "connect-error", "timeout", "429-too-long"],
)
def test_token_is_never_in_an_error_or_a_log_record(
    fake: FakeCloudflare, client: CloudflareClient, caplog: pytest.LogCaptureFixture, steps: list[Step]
) -> None:
    fake.script = list(steps)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CloudflareError) as info:
        client.list_certificates(ACCOUNT)
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)
    assert all(TOKEN not in str(arg) for arg in info.value.args)
    assert caplog.records, "expected the client to log at DEBUG"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


def test_token_is_not_logged_on_a_successful_upload_with_retries(
    fake: FakeCloudflare, client: CloudflareClient, caplog: pytest.LogCaptureFixture, ca_pem: str
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script = [commit_then(httpx.RemoteProtocolError)]
    client.upload_certificate(ACCOUNT, ca_pem)
    assert any("earlier attempt was applied" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("credentials", [ApiToken(TOKEN), GlobalApiKey("ops@example.com", TOKEN)], ids=repr)
def test_credentials_refuse_to_be_pickled(credentials: object) -> None:
    with pytest.raises(TypeError, match="never be pickled"):
        pickle.dumps(credentials)


def test_an_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="token is empty"):
        ApiToken("  ")


def test_global_api_key_sends_email_and_key_headers(fake: FakeCloudflare, waits: list[float]) -> None:
    credentials = GlobalApiKey("ops@example.com", TOKEN)
    client = make_client(fake, waits, credentials=credentials)
    client.list_certificates(ACCOUNT)
    headers = fake.requests[0].headers
    assert headers["X-Auth-Email"] == "ops@example.com"
    assert headers["X-Auth-Key"] == TOKEN
    assert "Authorization" not in headers
    assert TOKEN not in repr(credentials)


# -- upload: never a duplicate -----------------------------------------------------------------------


def test_upload_sends_ca_certificates_and_name(fake: FakeCloudflare, client: CloudflareClient, ca_pem: str) -> None:
    record = client.upload_certificate(ACCOUNT, ca_pem, name="my-ca")
    assert json.loads(fake.requests[0].content) == {"ca": True, "certificates": ca_pem, "name": "my-ca"}
    assert record.id in fake.certs
    assert record.name == "my-ca"


@pytest.mark.parametrize(
    "after",
    [httpx.RemoteProtocolError, httpx.ReadTimeout, failure(500), raw(502, "<html>bad gateway</html>")],
    ids=["remote-protocol-error", "read-timeout", "500", "html-502"],
)
def test_upload_whose_answer_was_lost_adopts_the_committed_certificate_without_a_second_post(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], ca_pem: str, after: Any
) -> None:
    fake.script = [commit_then(after)]
    record = client.upload_certificate(ACCOUNT, ca_pem)
    assert len(fake.certs) == 1
    assert record.id in fake.certs
    assert record.certificates != ca_pem  # the server's copy differs in whitespace ...
    assert der_blocks(record.certificates) == der_blocks(ca_pem)  # ... but holds the same DER
    assert fake.calls("POST") == [f"POST /client/v4/accounts/{ACCOUNT}/mtls_certificates"]
    assert fake.calls("GET") == [f"GET /client/v4/accounts/{ACCOUNT}/mtls_certificates"]
    assert waits == []


def test_upload_that_never_arrived_after_an_ambiguous_failure_is_posted_again_once(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], ca_pem: str
) -> None:
    fake.script = [raise_before(httpx.ReadError)]  # ambiguous to the client, but nothing was stored
    record = client.upload_certificate(ACCOUNT, ca_pem)
    assert list(fake.certs) == [record.id]
    assert [c.split()[0] for c in fake.calls()] == ["POST", "GET", "POST"]
    assert len(waits) == 1


def test_upload_after_a_connect_error_is_retried_plainly_without_a_lookup(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], ca_pem: str
) -> None:
    fake.script = [raise_before(httpx.ConnectError)]
    record = client.upload_certificate(ACCOUNT, ca_pem)
    assert list(fake.certs) == [record.id]
    assert [c.split()[0] for c in fake.calls()] == ["POST", "POST"]
    assert len(waits) == 1


def test_upload_getting_1471_after_an_ambiguous_attempt_returns_the_existing_certificate(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.script = [commit_then(failure(500))]
    fake.list_lag = 1  # the first lookup does not see the committed upload yet
    record = client.upload_certificate(ACCOUNT, ca_pem)
    assert list(fake.certs) == [record.id]
    assert [c.split()[0] for c in fake.calls()] == ["POST", "GET", "POST", "GET"]


def test_upload_getting_1471_on_a_clean_first_attempt_raises_already_exists(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.certs["old"] = {"id": "old", "ca": True, "certificates": server_normalised(ca_pem)}
    with pytest.raises(CertificateAlreadyExistsError):
        client.upload_certificate(ACCOUNT, ca_pem)
    assert fake.calls() == [f"POST /client/v4/accounts/{ACCOUNT}/mtls_certificates"]


def test_upload_gives_up_after_max_retries_of_ambiguous_failures(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], ca_pem: str
) -> None:
    fake.script = [raise_before(httpx.ReadError) if i % 2 == 0 else (lambda r, s: s(r)) for i in range(20)]
    with pytest.raises(APIConnectionError):
        client.upload_certificate(ACCOUNT, ca_pem)
    assert fake.certs == {}
    assert len(fake.calls("POST")) == 4
    assert len(waits) == 3


def test_upload_shares_one_retry_budget_between_429s_and_ambiguous_failures(
    fake: FakeCloudflare, client: CloudflareClient, waits: list[float], ca_pem: str
) -> None:
    def passthrough(request: httpx.Request, serve: Serve) -> httpx.Response:
        return serve(request)

    # POST 429, POST lost (ambiguous) + GET lookup finds nothing, and again...
    fake.script = [failure(429, 10000, "rate limited"), raise_before(httpx.ReadError), passthrough] * 10
    with pytest.raises(CloudflareError):
        client.upload_certificate(ACCOUNT, ca_pem)
    assert len(fake.calls("POST")) == 4  # max_retries=3: four attempts in all, not (3 + 1) ** 2
    assert len(waits) == 3
    assert fake.certs == {}


# -- certificates: get / delete / usages ---------------------------------------------------------------


def test_get_certificate_returns_none_on_404(client: CloudflareClient) -> None:
    assert client.get_certificate(ACCOUNT, "missing") is None


def test_delete_certificate_returns_false_on_404_and_true_when_deleted(
    fake: FakeCloudflare, client: CloudflareClient, ca_pem: str
) -> None:
    fake.certs["c1"] = {"id": "c1", "certificates": ca_pem}
    assert client.delete_certificate(ACCOUNT, "c1") is True
    assert client.delete_certificate(ACCOUNT, "c1") is False
    assert fake.calls("DELETE") == [f"DELETE /client/v4/accounts/{ACCOUNT}/mtls_certificates/c1"] * 2


def test_certificate_usages_are_parsed(fake: FakeCloudflare, client: CloudflareClient, ca_pem: str) -> None:
    fake.certs["c1"] = {"id": "c1", "certificates": ca_pem}
    [usage] = client.certificate_usages(ACCOUNT, "c1")
    assert (usage.service, usage.status, dict(usage.details)) == ("gateway", "pending_deployment", {"zone": "z"})


# -- hostname associations ---------------------------------------------------------------------------


def test_replace_hostname_associations_always_sends_the_certificate_id(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    assert client.replace_hostname_associations(ZONE, "ca1", ["a.example.com"]) == ["a.example.com"]
    request = fake.requests[0]
    assert request.method == "PUT"
    assert request.url.path == f"/client/v4/zones/{ZONE}/certificate_authorities/hostname_associations"
    assert json.loads(request.content) == {"hostnames": ["a.example.com"], "mtls_certificate_id": "ca1"}


def test_replace_with_no_hostnames_sends_an_explicit_empty_list(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.associations[(ZONE, "ca1")] = ["a.example.com"]
    assert client.replace_hostname_associations(ZONE, "ca1", []) == []
    assert json.loads(fake.requests[0].content) == {"hostnames": [], "mtls_certificate_id": "ca1"}


@pytest.mark.parametrize("method", ["replace", "get"])
def test_an_empty_certificate_id_is_refused_without_any_request(
    fake: FakeCloudflare, client: CloudflareClient, method: str
) -> None:
    with pytest.raises(ValueError, match="mtls_certificate_id is required"):
        if method == "replace":
            client.replace_hostname_associations(ZONE, "", ["a.example.com"])
        else:
            client.get_hostname_associations(ZONE, "")
    assert fake.requests == []


def test_get_hostname_associations_sends_the_id_as_a_query_parameter(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    fake.associations[(ZONE, "ca1")] = ["a.example.com", "b.example.com"]
    assert client.get_hostname_associations(ZONE, "ca1") == ["a.example.com", "b.example.com"]
    assert fake.requests[0].method == "GET"
    assert fake.requests[0].url.params["mtls_certificate_id"] == "ca1"


# -- the custom rules entrypoint ---------------------------------------------------------------------

RULE = RuleSpec(ref="cfmtls-1", expression="(not cf.tls_client_auth.cert_verified)", description="mTLS")


def test_get_entrypoint_returns_none_on_404(client: CloudflareClient) -> None:
    assert client.get_custom_rules_entrypoint(ZONE) is None


def test_create_entrypoint_sends_the_phase_and_the_rule(fake: FakeCloudflare, client: CloudflareClient) -> None:
    ruleset = client.create_custom_rules_entrypoint(ZONE, RULE)
    body = json.loads(fake.requests[0].content)
    assert (body["kind"], body["phase"], body["rules"]) == ("zone", PHASE, [RULE.body()])
    assert ruleset.rule_by_ref("cfmtls-1") is not None
    assert body["description"] == CUSTOM_RULES_ENTRYPOINT_DESCRIPTION and ruleset.created_by_us


def test_add_rule_after_an_ambiguous_failure_finds_it_by_ref_without_posting_twice(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    fake.rulesets[ZONE] = {"id": "rs1", "phase": PHASE, "version": "1", "rules": []}
    fake.script = [commit_then(failure(502))]
    ruleset = client.add_rule(ZONE, "rs1", RULE)
    rule = ruleset.rule_by_ref("cfmtls-1")
    assert rule is not None
    assert len(fake.rulesets[ZONE]["rules"]) == 1
    assert len(fake.calls("POST")) == 1


def test_add_rule_that_never_arrived_is_posted_again_once(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.rulesets[ZONE] = {"id": "rs1", "phase": PHASE, "version": "1", "rules": []}
    fake.script = [raise_before(httpx.RemoteProtocolError)]
    client.add_rule(ZONE, "rs1", RULE)
    assert [r["ref"] for r in fake.rulesets[ZONE]["rules"]] == ["cfmtls-1"]
    assert len(fake.calls("POST")) == 2


def test_update_rule_sends_every_field(fake: FakeCloudflare, client: CloudflareClient) -> None:
    fake.rulesets[ZONE] = {"id": "rs1", "phase": PHASE, "version": "1", "rules": []}
    rule_id = client.add_rule(ZONE, "rs1", RULE).rules[0].id
    disabled = RuleSpec(ref="cfmtls-1", expression="(true)", action="log", description="", enabled=False)
    ruleset = client.update_rule(ZONE, "rs1", rule_id, disabled)
    request = fake.requests[-1]
    assert request.method == "PATCH"
    assert request.url.path.endswith(f"/zones/{ZONE}/rulesets/rs1/rules/{rule_id}")
    assert json.loads(request.content) == {
        "ref": "cfmtls-1",
        "expression": "(true)",
        "action": "log",
        "description": "",
        "enabled": False,
    }
    updated = ruleset.rule_by_id(rule_id)
    assert updated is not None
    assert (updated.enabled, updated.action) == (False, "log")


def test_delete_rule_answers_the_ruleset_after_it_and_none_when_already_gone(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    fake.rulesets[ZONE] = {"id": "rs1", "phase": PHASE, "version": "1", "rules": []}
    rule_id = client.add_rule(ZONE, "rs1", RULE).rules[0].id
    after = client.delete_rule(ZONE, "rs1", rule_id)
    assert after is not None and after.id == "rs1" and after.rules == ()
    assert client.delete_rule(ZONE, "rs1", rule_id) is None


def test_delete_ruleset_answers_no_content_and_a_ruleset_already_gone_counts_as_deleted(
    fake: FakeCloudflare, client: CloudflareClient
) -> None:
    client.create_custom_rules_entrypoint(ZONE, RULE)
    assert client.delete_ruleset(ZONE, "rs1") is True
    assert fake.calls("DELETE") == [f"DELETE /client/v4/zones/{ZONE}/rulesets/rs1"]
    assert client.get_custom_rules_entrypoint(ZONE) is None
    assert client.delete_ruleset(ZONE, "rs1") is False


def test_delete_ruleset_whose_answer_was_lost_is_deleted_once(fake: FakeCloudflare, client: CloudflareClient) -> None:
    client.create_custom_rules_entrypoint(ZONE, RULE)
    fake.script = [commit_then(failure(502))]
    assert client.delete_ruleset(ZONE, "rs1") is False  # the retry finds it gone: deleted either way
    assert ZONE not in fake.rulesets and len(fake.calls("DELETE")) == 2


def test_only_an_entrypoint_with_the_package_s_description_is_created_by_it() -> None:
    ours = {
        "id": "rs1",
        "phase": PHASE,
        "version": "3",
        "rules": [],
        "description": CUSTOM_RULES_ENTRYPOINT_DESCRIPTION,
    }
    assert Ruleset.from_api(ours).created_by_us
    assert not Ruleset.from_api({**ours, "description": "made in the dashboard"}).created_by_us
    assert not Ruleset.from_api({key: value for key, value in ours.items() if key != "description"}).created_by_us
