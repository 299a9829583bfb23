"""One retry budget per call: a create that meets both 429s and ambiguous 5xx still stops at max_retries + 1 tries."""

from __future__ import annotations

import httpx
import pytest

from cfmtls_provider.cloudflare import CloudflareClient, RetryPolicy
from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.errors import InternalServerError
from cfmtls_provider.cloudflare.pacer import Pacer
from tests.support.certs import make_ca
from tests.support.clock import FakeClock

ACCOUNT = "0123456789abcdef0123456789abcdef"


def test_upload_alternating_429_and_500_stops_after_max_retries_plus_one_posts() -> None:
    posts: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the lookup after an ambiguous failure: nothing there
            return httpx.Response(200, json={"success": True, "errors": [], "messages": [], "result": []})
        posts.append(1)
        if len(posts) % 2:
            return httpx.Response(
                429,
                headers={"retry-after": "0"},
                json={"success": False, "errors": [{"code": 971, "message": "slow down"}], "result": None},
            )
        return httpx.Response(
            500, json={"success": False, "errors": [{"code": 10002, "message": "oops"}], "result": None}
        )

    client = CloudflareClient(
        ApiToken("t"),
        base_url="https://cf.test/client/v4",
        retry=RetryPolicy(max_retries=3, initial_backoff=0.0),
        transport=httpx.MockTransport(answer),
        sleep=lambda _seconds: None,
        pacer=Pacer(clock=FakeClock(), sleep=lambda _seconds: None),
    )
    with pytest.raises(InternalServerError):
        client.upload_certificate(ACCOUNT, make_ca("budget").pem)
    assert len(posts) == 4  # before the fix: 429, 500 | 429, 500 | ... up to (3 + 1) ** 2 tries
