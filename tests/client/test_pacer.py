"""The pacer against a model of Cloudflare's budget (fixed windows, lock-out once exceeded), on a fake clock."""

from __future__ import annotations

import math
import threading
from collections import Counter

import httpx
import pytest

from cfmtls_provider.cloudflare import ApiToken, CloudflareClient, RateLimitError, RetryPolicy
from cfmtls_provider.cloudflare.pacer import (
    LockedOut,
    Pacer,
    parse_ratelimit,
    parse_ratelimit_policy,
    retry_after_seconds,
    shared_pacer,
)
from tests.support.clock import FakeClock


class BudgetServer:
    """Cloudflare's documented semantics: ``quota`` calls per ``window``; the call past it, and every call until
    the window ends, gets a 429 with ``retry-after``. Every answer carries both headers. ``others_rate``: another
    tool of the same user spends that many calls per second all along (refused the same way)."""

    def __init__(
        self, clock: FakeClock, quota: int = 100, window: float = 60.0, used: int = 0, others_rate: float = 0.0
    ) -> None:
        self.clock, self.quota, self.window = clock, quota, window
        self.window_start = clock()
        self.used = used
        self.locked_until = -math.inf
        self.per_window: Counter[int] = Counter()
        self.rejected = 0
        self.others_rate, self.others_at, self.others_owed = others_rate, clock(), 0.0
        self.others_rejected = 0
        self.lock = threading.Lock()

    def _roll(self, now: float) -> None:
        """The other tool's calls up to ``now``, window by window; then the window ``now`` lies in."""
        while True:
            upto = min(now, self.window_start + self.window)
            self.others_owed += self.others_rate * max(0.0, upto - self.others_at)
            self.others_at = max(self.others_at, upto)
            while self.others_owed >= 1:
                self.others_owed -= 1
                if self.others_at < self.locked_until or self.used >= self.quota:
                    self.locked_until = max(self.locked_until, self.window_start + self.window)
                    self.others_rejected += 1
                else:
                    self.used += 1
                    self.per_window[int((self.window_start - 1000.0) // self.window)] += 1
            if now < self.window_start + self.window:
                return
            self.window_start += self.window
            self.used = 0

    def answer(self) -> tuple[int, dict[str, str]]:
        with self.lock:
            now = self.clock()
            self._roll(now)
            reset = math.ceil(self.window_start + self.window - now)
            headers = {"ratelimit-policy": f'"default";q={self.quota};w={self.window:.0f}'}
            if now < self.locked_until or self.used >= self.quota:
                self.locked_until = max(self.locked_until, self.window_start + self.window)
                self.rejected += 1
                headers["ratelimit"] = f'"default";r=0;t={reset}'
                headers["retry-after"] = str(math.ceil(self.locked_until - now))
                return 429, headers
            self.used += 1
            self.per_window[int((self.window_start - 1000.0) // self.window)] += 1
            headers["ratelimit"] = f'"default";r={self.quota - self.used};t={reset}'
            return 200, headers


def run_calls(pacer: Pacer, server: BudgetServer, count: int) -> None:
    for _ in range(count):
        with pacer.slot() as slot:
            slot.answered(*server.answer())


# -- the headers ------------------------------------------------------------------------------------


def test_headers_are_read_as_cloudflare_documents_them() -> None:
    assert parse_ratelimit('"default";r=50;t=30') == {"default": (50.0, 30.0)}
    assert parse_ratelimit_policy('"burst";q=100;w=60') == {"burst": (100.0, 60.0)}
    assert parse_ratelimit('"default";r=5;t=3, "burst";r=1;t=1') == {"default": (5.0, 3.0), "burst": (1.0, 1.0)}


@pytest.mark.parametrize("header", [None, "", "garbage", '"default";r=x;t=3', '"default";r=nan;t=3', '"a";r=-1;t=2'])
def test_malformed_ratelimit_headers_are_ignored(header: str | None) -> None:
    assert parse_ratelimit(header) == {}


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 1970 00:05:00 GMT"}, now=lambda: 0.0) == 300.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after": "inf"}) is None
    assert retry_after_seconds({}) is None


# -- pacing -----------------------------------------------------------------------------------------


def test_full_speed_while_more_than_half_the_quota_is_left() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=1200, window=300)
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, 500)
    assert clock.waits == []


def test_answers_without_the_headers_are_not_paced() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    for _ in range(3000):
        with pacer.slot() as slot:
            slot.answered(200, {})
    assert clock.waits == []


@pytest.mark.parametrize("count", [250, 1000])
def test_calls_over_the_quota_are_spread_at_the_budget_rate_with_no_429(count: int) -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=60)
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, count)
    rate = 100 / 60
    elapsed = clock() - 1000.0
    assert server.rejected == 0
    assert max(server.per_window.values()) <= 100
    # No faster than the budget allows (the first window's quota is free), no slower than 10 % over the floor.
    assert (count - 100) / rate <= elapsed <= 1.1 * count / rate, (elapsed, count / rate)


def test_another_tool_spending_part_of_the_budget_all_along_is_left_its_share() -> None:
    """A burst (a refresh) while another tool of the user spends 30 % of the budget steadily: neither is refused
    (the other tool was locked out when the pacer spent everything it saw left before the reset)."""
    clock = FakeClock()
    rate = 100 / 60
    server = BudgetServer(clock, quota=100, window=60, others_rate=0.3 * rate)
    clock.advance(20)  # the other tool has been spending for a third of the window
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, 300)
    assert server.rejected == 0 and server.others_rejected == 0
    assert max(server.per_window.values()) <= 100
    assert clock() - 1020.0 <= 1.2 * 300 / (0.7 * rate)  # close to the share left to us


def test_a_burst_of_another_tool_early_in_a_window_slows_the_pacer_down_but_never_stops_it() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=60, used=30)  # 30 calls in the window's first second
    clock.advance(1)
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, 200)
    assert server.rejected == 0
    assert max(server.per_window.values()) <= 100
    assert clock() - 1001.0 <= 1.2 * 230 / (100 / 60)


def test_calls_spent_before_the_process_looked_are_not_taken_for_a_steady_rate() -> None:
    """``pulumi up`` then ``pulumi refresh`` in one window: the refresh's process sees the up's calls spent, not
    another tool spending, and goes at full speed while more than half the quota is left."""
    clock = FakeClock()
    server = BudgetServer(clock, quota=1200, window=300, used=155)
    clock.advance(30)
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, 105)
    assert clock.waits == [] and server.rejected == 0


def test_a_budget_spent_by_another_tool_costs_one_probe_then_a_wait_for_the_reset() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=60, used=99)
    run_calls(Pacer(clock=clock, sleep=clock.sleep), server, 5)
    assert server.rejected == 0
    assert clock() - 1000.0 >= 60  # the four calls after the probe went in the next window


def test_a_lock_out_holds_every_call_until_retry_after_then_one_probe_goes_first() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=300)
    server.locked_until = 1000.0 + 300
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    with pacer.slot() as slot:
        slot.answered(*server.answer())
    assert slot.answer is not None and slot.answer[0] == 429
    with pacer.slot() as slot:
        slot.answered(*server.answer())
    assert slot.lockout_waited == 300 and slot.probe
    assert slot.answer is not None and slot.answer[0] == 200
    assert clock.waits == [300]


def test_every_call_waits_out_a_lock_out_even_when_another_is_already_waiting() -> None:
    clock = FakeClock()
    frozen: list[float] = []
    pacer = Pacer(clock=clock, sleep=frozen.append)  # sleeps end at once: as if the other call were still asleep
    with pacer.slot() as slot:
        slot.answered(429, {"retry-after": "300"})
    for _ in range(2):
        with pacer.slot() as slot:
            assert slot.lockout_waited == 300
    assert frozen == [300, 300]


def test_a_budget_whose_window_resets_later_than_the_caller_waits_raises_instead_of_hanging() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    with pacer.slot() as slot:
        slot.answered(200, {"ratelimit": '"daily";r=0;t=86400', "ratelimit-policy": '"daily";q=10000;w=86400'})
    with pytest.raises(LockedOut) as info, pacer.slot(max_lockout_wait=360):
        pass
    assert info.value.spent and info.value.seconds == 86401
    assert clock.waits == []


def test_a_client_refused_by_its_own_pacer_says_which_budget_and_sends_nothing() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=3600, used=99)
    client = client_for(server, clock, RetryPolicy(max_retry_after=60))
    client.list_certificates("acc")  # the probe spends the last call but one
    with pytest.raises(RateLimitError) as info:
        client.list_certificates("acc")
    assert str(info.value) == (
        "GET /accounts/acc/mtls_certificates was not sent: Cloudflare's API rate-limit budget (100 requests per "
        "3600 s) has no calls left until its window resets in 3601s, longer than this client waits (60s)"
    )
    assert sum(server.per_window.values()) == 1 and server.rejected == 0


def test_several_resource_providers_of_one_process_share_one_pacer() -> None:
    from pulumi.dynamic import Config, ConfigureRequest

    from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
    from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
    from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider

    config = {"cfmtls:apiToken": "shared-pacer-token", "cfmtls:baseUrl": "http://127.0.0.1:9/client/v4"}
    pacers = []
    for provider_class in (MTLSCertificateProvider, HostnameAssociationProvider, ClientCertificateRuleProvider):
        provider = provider_class()
        provider.configure(ConfigureRequest(Config(config, "proj")))
        pacers.append(provider.client()._pacer)
    assert pacers[0] is pacers[1] is pacers[2]


def test_a_lock_out_longer_than_the_caller_waits_raises_at_once() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    with pacer.slot() as slot:
        slot.answered(429, {"retry-after": "300"})
    with pytest.raises(LockedOut) as info, pacer.slot(max_lockout_wait=120):
        pass
    assert info.value.seconds == 300
    assert clock.waits == []


def test_threads_share_one_budget_and_never_exceed_it() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=60)
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    threads = [threading.Thread(target=run_calls, args=(pacer, server, 40)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert sum(server.per_window.values()) == 320
    assert server.rejected == 0
    assert max(server.per_window.values()) <= 100


def test_the_shared_pacer_is_one_per_api_and_credential() -> None:
    one = shared_pacer("https://api.example.test/client/v4", ("token-a",))
    assert shared_pacer("https://api.example.test/client/v4/", ("token-a",)) is one
    assert shared_pacer("https://api.example.test/client/v4", ("token-b",)) is not one
    assert shared_pacer("http://127.0.0.1:9/client/v4", ("token-a",)) is not one


# -- through the client -----------------------------------------------------------------------------


def client_for(server: BudgetServer, clock: FakeClock, retry: RetryPolicy | None = None) -> CloudflareClient:
    def handle(request: httpx.Request) -> httpx.Response:
        status, headers = server.answer()
        errors = [] if status == 200 else [{"code": 971, "message": "Please wait and consider throttling"}]
        body = {"success": status == 200, "errors": errors, "messages": [], "result": []}
        return httpx.Response(status, headers=headers, json=body)

    return CloudflareClient(
        ApiToken("t"),
        base_url="https://cf.test/client/v4",
        retry=retry or RetryPolicy(),
        transport=httpx.MockTransport(handle),
        sleep=clock.sleep,
        pacer=Pacer(clock=clock, sleep=clock.sleep),
    )


def test_a_client_making_three_windows_of_calls_meets_no_429() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=60)
    client = client_for(server, clock)
    for _ in range(300):
        client.list_certificates("acc")
    assert server.rejected == 0
    assert max(server.per_window.values()) <= 100


def test_a_client_locked_out_by_another_tool_waits_it_out_and_completes() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=100, window=300)
    server.locked_until = 1000.0 + 290
    client = client_for(server, clock)
    assert client.list_certificates("acc") == []
    assert server.rejected == 1
    assert clock() - 1000.0 >= 290


def test_a_client_locked_out_past_its_ceiling_fails_naming_the_limit_and_the_wait() -> None:
    clock = FakeClock()
    server = BudgetServer(clock, quota=1200, window=300)
    server.locked_until = 1000.0 + 300
    client = client_for(server, clock, RetryPolicy(max_retry_after=60))
    with pytest.raises(RateLimitError) as info:
        client.list_certificates("acc")
    message = str(info.value)
    assert "rate limit (1200 requests per 300 s)" in message
    assert "for 300s more, longer than this client waits (60s)" in message
    assert server.rejected == 1
    assert clock.waits == []
