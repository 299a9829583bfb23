"""Cloudflare's API budget, end to end: the real engine against an emulator enforcing a small, time-scaled budget.

The budget is Cloudflare's shape (a quota per window, then a lock-out of one window; 429 + retry-after + 971)
at a size and speed a test can afford: 8 calls per 30 s at 10x speed, so 8 calls per 3 s real time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.budget import RateLimit
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from tests.support.certs import make_ca
from tests.support.convergence import mismatches
from tests.support.zones import TEST_ZONES

from .harness import ACCOUNT_ID, TOKEN, Stack, api_client
from .reliability_stack import PROGRAM, PROJECT, ZONES

pytestmark = pytest.mark.e2e

BUDGET = RateLimit(quota=8, window_seconds=30, time_scale=10)
DOMAINS = ["alpha.example", "beta.example", "gamma.example"]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={TOKEN: ALL_SCOPES}, zones=TEST_ZONES, rate_limit=BUDGET)


@pytest.fixture
def budget_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Iterator[Stack]:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    paths = []
    for index in range(3):
        path = tmp_path / f"ca-{index}.pem"
        path.write_text(make_ca(f"budget CA {index}").pem)
        paths.append(str(path))
    zones = [{"id": zone, "ca": index, "hostnames": [f"budget.{DOMAINS[index]}"]} for index, zone in enumerate(ZONES)]
    config = {f"{PROJECT}:caPemPaths": paths, f"{PROJECT}:zones": zones}
    (stack.workdir / f"Pulumi.{stack.name}.yaml").write_text(json.dumps({"config": config}))
    yield stack
    print("\n".join(stack.log[-4:]))


def peak_calls_per_window(entries: list[dict[str, object]]) -> int:
    """The most calls in one of the budget's windows. A window is Cloudflare's (``Ratelimit: ...;t=<seconds until
    the window resets>``): it starts at the first call after the previous one ended, as the emulator counts it. A
    sliding window is not what is counted: a burst at the start of a window after calls at the end of the last one
    is within the budget."""
    peak, start, count = 0, float("-inf"), 0
    for moment in sorted(float(str(entry["time"])) for entry in entries):
        if moment >= start + BUDGET.window:
            start, count = moment, 0
        count += 1
        peak = max(peak, count)
    return peak


def test_more_calls_than_one_window_allows_then_a_spent_budget(emulator: EmulatorAdmin, budget_stack: Stack) -> None:
    # 1. `pulumi up` of a stack that needs more calls than one window allows: paced, never refused.
    assert "+ 7 to create" in budget_stack.run("preview").stdout  # the stack, 3 CAs, 3 associations
    budget_stack.run("up", "--yes")
    calls = emulator.requests()
    assert len(calls) > BUDGET.quota, "the stack should need more than one window's budget"
    assert [entry for entry in calls if entry["status"] == 429] == []
    assert peak_calls_per_window(calls) <= BUDGET.quota
    assert mismatches(budget_stack.resources(), emulator.state(), accounts=frozenset({ACCOUNT_ID})) == []

    # 2. Another tool of the same user spends the budget and runs into the lock-out; then a change is applied:
    #    the provider waits the lock-out out (retry-after) and completes.
    emulator.clear_requests()
    statuses: list[int] = []
    with api_client(emulator) as other:
        while 429 not in statuses and len(statuses) < 3 * BUDGET.quota:  # a window may roll over meanwhile
            statuses.append(other.get(f"/accounts/{ACCOUNT_ID}/mtls_certificates").status_code)
    assert statuses[-1] == 429, statuses  # locked out now
    budget_stack.config(f"{PROJECT}:zones[0].hostnames[1]", "more.alpha.example", path=True)
    assert "~ 1 to update" in budget_stack.run("preview").stdout  # the association (its list and its rule)
    budget_stack.run("up", "--yes")
    stack_calls = emulator.requests()[len(statuses) :]
    refused = [entry for entry in stack_calls if entry["status"] == 429]
    assert len(refused) <= 1, refused  # at most the one probe call the pacer sends into a lock-out it cannot see
    assert [entry for entry in stack_calls if entry["status"] == 200], "the change was applied after the lock-out"
    assert mismatches(budget_stack.resources(), emulator.state(), accounts=frozenset({ACCOUNT_ID})) == []
    lists = emulator.state()["associations"][ZONES[0]]
    assert sorted(next(names for names in lists.values() if names)) == ["budget.alpha.example", "more.alpha.example"]
