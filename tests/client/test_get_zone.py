"""CloudflareClient.get_zone (``GET /zones/{zone_id}``): the zone's id, domain and account, None for a zone
Cloudflare does not know, and an error that says so when the token may not read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cfmtls_provider.cloudflare import APIResponseValidationError, ApiToken, PermissionDeniedError
from cfmtls_provider.cloudflare.client import CloudflareClient, RetryPolicy
from cfmtls_provider.cloudflare.models import Zone
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.zones import ACCOUNT, ZONE, ZONE_OF_OTHER_ACCOUNT

ZONE_ANSWER = {"id": ZONE, "name": "example.com", "status": "active", "account": {"id": ACCOUNT, "name": "acme"}}


def answering(status: int, body: dict[str, Any]) -> CloudflareClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    return CloudflareClient(ApiToken("t" * 40), transport=transport, retry=RetryPolicy(max_retries=0))


def failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}


@pytest.fixture
def emulated(emulator: EmulatorServer) -> Iterator[CloudflareClient]:
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        yield client


def test_the_emulator_answers_a_declared_zone_and_none_for_others(emulated: CloudflareClient) -> None:
    assert emulated.get_zone(ZONE) == Zone(id=ZONE, name="example.com", account_id=ACCOUNT, status="active")
    assert emulated.get_zone(ZONE_OF_OTHER_ACCOUNT) is not None  # the account is the zone's to say
    assert emulated.get_zone("9" * 32) is None
    assert emulated.get_zone("not-an-id") is None  # 400 / 7003


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, failure(7003, "Could not route to /zones/x, perhaps your object identifier is invalid?")),
        (400, failure(7003, "Could not route to /zones/x, perhaps your object identifier is invalid?")),
    ],
)
def test_an_unknown_zone_is_none(status: int, body: dict[str, Any]) -> None:
    assert answering(status, body).get_zone(ZONE) is None


def test_a_token_that_may_not_read_the_zone_is_an_error_not_an_unknown_zone() -> None:
    with pytest.raises(PermissionDeniedError):
        answering(403, failure(9109, "Unauthorized to access requested resource")).get_zone(ZONE)


def test_an_answer_about_another_zone_is_refused() -> None:
    body = {"success": True, "errors": [], "messages": [], "result": {**ZONE_ANSWER, "id": "9" * 32}}
    with pytest.raises(APIResponseValidationError, match="an answer about another zone"):
        answering(200, body).get_zone(ZONE)
