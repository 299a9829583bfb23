"""The emulator's API rate limit: Cloudflare's quota per window, the lock-out, the headers (a fake clock)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cfmtls_provider.emulator.budget import Budget, RateLimit, RateLimitLayer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cloudflare_default_is_1200_calls_per_300_seconds() -> None:
    limit = RateLimit()
    assert (limit.quota, limit.window_seconds, limit.window) == (1200, 300.0, 300.0)
    assert limit.policy_header() == '"default";q=1200;w=300'


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("1200/300", RateLimit(1200, 300)), ("5/10", RateLimit(5, 10)), ("off", None), ("OFF", None)],
)
def test_parse(spec: str, expected: RateLimit | None) -> None:
    assert RateLimit.parse(spec) == expected


@pytest.mark.parametrize("spec", ["1200", "x/300", "0/300", "10/0", "10/-1", ""])
def test_parse_refuses_with_the_expected_form(spec: str) -> None:
    with pytest.raises(ValueError, match="QUOTA/WINDOW_SECONDS"):
        RateLimit.parse(spec)


def test_quota_then_lock_out_for_one_window_then_a_fresh_window() -> None:
    clock = Clock()
    budget = Budget(RateLimit(3, 60), clock)
    remaining = [budget.spend("t").remaining for _ in range(3)]
    assert remaining == [2, 1, 0]
    clock.now += 20
    refused = budget.spend("t")  # the 4th call within the window
    assert not refused.allowed and refused.reset_seconds == 60  # locked out for the next window
    clock.now += 59
    assert not budget.spend("t").allowed  # still locked out; refused calls do not extend it
    clock.now += 1
    again = budget.spend("t")
    assert again.allowed and again.remaining == 2 and again.reset_seconds == 60


def test_window_resets_without_a_lock_out_and_credentials_are_separate() -> None:
    clock = Clock()
    budget = Budget(RateLimit(2, 60), clock)
    assert [budget.spend("a").allowed for _ in range(2)] == [True, True]
    assert budget.spend("b").allowed  # another credential, its own budget
    clock.now += 30
    assert budget.spend("b").reset_seconds == 30
    clock.now += 30
    fresh = budget.spend("a")
    assert fresh.allowed and fresh.remaining == 1


def test_time_scale_shortens_every_span_and_headers_give_real_seconds() -> None:
    clock = Clock()
    limit = RateLimit(1200, 300, time_scale=10)
    assert limit.window == 30 and limit.policy_header() == '"default";q=1200;w=30'
    budget = Budget(limit, clock)
    clock.now += 0.5
    decision = budget.spend("t")
    assert dict(decision.headers(limit)) == {
        b"ratelimit": b'"default";r=1199;t=30',
        b"ratelimit-policy": b'"default";q=1200;w=30',
    }


class _App:
    """A stand-in API behind the layer, called without a socket."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        async def ok(request: Request) -> JSONResponse:
            return JSONResponse({"success": True, "errors": [], "messages": [], "result": {}})

        routes = [Route("/client/v4/zones", ok), Route("/__emulator__/state", ok)]
        self.asgi = RateLimitLayer(Starlette(routes=routes), Budget(limit, clock))

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
                return await client.get(path, headers=headers)

        return asyncio.run(call())


def test_every_api_answer_has_the_headers_and_a_lock_out_is_429_with_retry_after_and_971() -> None:
    clock = Clock()
    client = _App(RateLimit(2, 60), clock)
    token = {"Authorization": "Bearer one"}
    first = client.get("/client/v4/zones", headers=token)
    assert first.status_code == 200
    assert first.headers["ratelimit"] == '"default";r=1;t=60'
    assert first.headers["ratelimit-policy"] == '"default";q=2;w=60'
    assert "retry-after" not in first.headers
    clock.now += 10.2
    assert client.get("/client/v4/zones", headers=token).headers["ratelimit"] == '"default";r=0;t=50'
    refused = client.get("/client/v4/zones", headers=token)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60" and refused.headers["ratelimit"] == '"default";r=0;t=60'
    assert refused.json()["errors"] == [
        {"code": 971, "message": "Please wait and consider throttling your request speed"}
    ]
    clock.now += 0.5
    assert client.get("/client/v4/zones", headers=token).headers["retry-after"] == "60"  # 59.5 rounded up
    # Admin calls are outside the budget; another token has its own.
    admin = client.get("/__emulator__/state")
    assert admin.status_code == 200 and "ratelimit" not in admin.headers
    assert client.get("/client/v4/zones", headers={"Authorization": "Bearer two"}).status_code == 200


def test_the_emulator_enforces_it_on_api_calls_and_reset_restores_the_budget() -> None:
    from cfmtls_provider.emulator.admin_client import EmulatorAdmin
    from cfmtls_provider.emulator.config import EmulatorConfig
    from cfmtls_provider.emulator.server import EmulatorServer

    with EmulatorServer(EmulatorConfig(rate_limit=RateLimit(2, 600))) as server, server.client() as api:
        admin = EmulatorAdmin(server.root_url)
        path = f"/accounts/{'a' * 32}/mtls_certificates"
        answers = [api.get(path) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[0].headers["ratelimit-policy"] == '"default";q=2;w=600'
        assert answers[2].json()["errors"][0]["code"] == 971 and int(answers[2].headers["retry-after"]) == 600
        assert [e["status"] for e in admin.requests()] == [200, 200, 429]  # 429s are in the request log
        admin.state()  # admin calls never count
        admin.reset()
        assert api.get(path).status_code == 200


def test_cli_options() -> None:
    from cfmtls_provider.emulator.__main__ import _config, _parser

    parser = _parser()
    assert _config(parser.parse_args([]), parser).rate_limit == RateLimit(1200, 300)
    scaled = _config(parser.parse_args(["--rate-limit", "600/60", "--time-scale", "10"]), parser).rate_limit
    assert scaled == RateLimit(600, 60, time_scale=10) and scaled.window == 6
    assert _config(parser.parse_args(["--rate-limit", "off"]), parser).rate_limit is None
    for bad in (["--rate-limit", "1200"], ["--time-scale", "0"]):
        with pytest.raises(SystemExit):
            _config(parser.parse_args(bad), parser)
