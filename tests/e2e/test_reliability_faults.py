"""Reliability under faults, with the real engine: nothing lost, nothing duplicated, nothing half-done.

A bigger stack than the example (tests/e2e/programs/reliability: 3 CAs, 3 zones, 12 hostnames, one association per
zone, each with its own rule) goes through `up`, a CA rotation and `destroy` while the emulator injects faults: 429
with retry-after, 500/502/503, dropped connections, answers slower than the client timeout, and commit-then-fail on
uploads, association PUTs, rule and entrypoint writes. After every run (and after the plain re-run of a command that failed) the emulator must hold exactly
what the stack says, the request log must show bounded retries that honoured retry-after, and a failed run must
end with one clear sentence naming the operation and Cloudflare's error, never a Python traceback.

Runs use `--parallel 1` where retries are counted call by call (one call in flight at a time, so every attempt in
the request log belongs to one call); the mixed scenario and the kill test keep the engine's default parallelism.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin

from .hard_kill import descendants
from .harness import ACCOUNT_ID, Stack, add_rule_by_hand, rule_stops
from .reliability_report import ROW
from .reliability_stack import (
    HOSTNAMES,
    ZONES,
    assert_converged,
    assert_destroyed,
    assert_emulator_matches_state,
    new_reliability_stack,
    rotate,
)

pytestmark = pytest.mark.e2e

MAX_RETRIES = 2
TIMEOUT_SECONDS = 2
SLOW_SECONDS = 3
RETRYABLE = {0, 408, 409, 429, 500, 502, 503, 504}
#: The current test's ``user_properties``: each measured run adds its row of docs/reliability.md's table there
#: (``python -m tests.e2e.reliability_report`` collects and prints them).
_report_rows: list[tuple[str, object]] = []


@pytest.fixture(autouse=True)
def _rows_of_this_test(request: pytest.FixtureRequest) -> None:
    global _report_rows
    _report_rows = request.node.user_properties


# -- the stack ------------------------------------------------------------------------------------------------


@pytest.fixture
def rstack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Iterator[Stack]:
    stack = new_reliability_stack(
        tmp_path,
        emulator,
        pulumi_bin,
        CFMTLS_MAX_RETRIES=str(MAX_RETRIES),
        CFMTLS_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
    )
    yield stack
    print("\n".join(stack.log[-4:]))


def run(stack: Stack, command: str, *, serial: bool = True, check: bool = True) -> subprocess.CompletedProcess[str]:
    # --skip-preview: these tests measure how a run survives faults injected into its API calls; a preview
    # makes no writes, and its reads would spend the injected faults before the run they are meant for.
    # Plain preview-then-up is covered by test_engine_lifecycle and test_own_stack.
    args = [command, "--yes", "--skip-preview"] + (["--parallel", "1"] if serial else [])
    return stack.run(*args, check=check)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *sentences: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for sentence in sentences:
        assert sentence in output, f"{sentence!r} not in:\n{output}"
    assert "Traceback" not in output


# -- retries, from the request log -----------------------------------------------------------------------------


@dataclass
class Calls:
    """The request log cut into calls: an attempt that failed retryably and the next attempt with the same method,
    path and query are one call (valid when one call is in flight at a time: `--parallel 1`)."""

    calls: list[list[dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def of(cls, entries: list[dict[str, Any]]) -> Calls:
        open_calls: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        done: list[list[dict[str, Any]]] = []
        for entry in entries:
            key = (entry["method"], entry["path"], entry.get("query", ""))
            attempts = open_calls.setdefault(key, [])
            attempts.append(entry)
            if entry["status"] not in RETRYABLE:
                done.append(open_calls.pop(key))
        done.extend(open_calls.values())
        return cls(sorted(done, key=lambda attempts: attempts[0]["time"]))

    @property
    def retries(self) -> int:
        return sum(len(attempts) - 1 for attempts in self.calls)

    @property
    def max_attempts(self) -> int:
        return max((len(attempts) for attempts in self.calls), default=0)

    def retry_after_gaps(self, retry_after: float) -> list[float]:
        """For every 429, the time until its call's next attempt."""
        return [
            later["time"] - first["time"]
            for attempts in self.calls
            for first, later in itertools.pairwise(attempts)
            if first["status"] == 429
        ]


def check_retries(emulator: EmulatorAdmin, label: str, started: float, retry_after: float = 1.0) -> Calls:
    calls = Calls.of(emulator.requests())
    assert calls.max_attempts <= MAX_RETRIES + 1, [c for c in calls.calls if len(c) > MAX_RETRIES + 1]
    gaps = calls.retry_after_gaps(retry_after)
    assert all(gap >= retry_after - 0.01 for gap in gaps), gaps
    record(label, emulator, calls, time.monotonic() - started)
    return calls


def record(label: str, emulator: EmulatorAdmin, calls: Calls, seconds: float) -> None:
    fired = sum(rule["fired"] for rule in emulator.faults())
    row = {
        "scenario": label,
        "requests": len(emulator.requests()),
        "faults_fired": fired,
        "retries": calls.retries,
        "max_attempts": calls.max_attempts,
        "seconds": round(seconds, 1),
    }
    _report_rows.append((ROW, row))


def phase(emulator: EmulatorAdmin, *faults: str | dict[str, Any]) -> float:
    emulator.clear_faults()
    emulator.clear_requests()
    if faults:
        emulator.add_faults(*faults)
    return time.monotonic()


# -- transient faults: every run succeeds, nothing lost or doubled ---------------------------------------------

CERTS = "*/mtls_certificates"
CERT = "*/mtls_certificates/*"
ASSOC = "*/hostname_associations"
RULESETS = "*/rulesets"
RULES = "*/rulesets/*/rules"
RULE = "*/rulesets/*/rules/*"
#: One ruleset (its id: 32 hex characters), not its rules: the entrypoint destroy deletes once it is empty.
RULESET = "*/rulesets/" + "[0-9a-f]" * 32

TRANSIENT: dict[str, dict[str, list[str]]] = {
    "rate_limited_429": {
        "up": [f"POST:{CERTS}:status=429:retry_after=1", f"PUT:{ASSOC}:status=429:retry_after=1:skip=1"],
        "rotate": [f"POST:{CERTS}:status=429:retry_after=1", f"PATCH:{RULE}:status=429:retry_after=1"],
        "destroy": [
            f"DELETE:{RULE}:status=429:retry_after=1",
            f"DELETE:{RULESET}:status=429:retry_after=1",
            f"DELETE:{CERT}:status=429:retry_after=1:skip=1",
        ],
    },
    "server_errors_500_502_503": {
        "up": [f"POST:{CERTS}:status=500", f"PUT:{ASSOC}:status=502:skip=1", f"POST:{RULESETS}:status=503"],
        "rotate": [f"POST:{CERTS}:status=503", f"PUT:{ASSOC}:status=500", f"DELETE:{CERT}:status=502"],
        "destroy": [
            f"DELETE:{RULE}:status=503",
            f"DELETE:{RULESET}:status=502",
            f"PUT:{ASSOC}:status=500",
            f"DELETE:{CERT}:status=502:skip=2",
        ],
    },
    "dropped_connections": {
        "up": [f"POST:{CERTS}:drop:skip=1", f"PUT:{ASSOC}:drop", f"POST:{RULES}:drop"],
        "rotate": [f"POST:{CERTS}:drop", f"PUT:{ASSOC}:drop:skip=1", f"PATCH:{RULE}:drop"],
        "destroy": [f"DELETE:{RULE}:drop", f"DELETE:{RULESET}:drop", f"PUT:{ASSOC}:drop:skip=1", f"DELETE:{CERT}:drop"],
    },
    "slower_than_the_client_timeout": {
        "up": [f"POST:{CERTS}:delay={SLOW_SECONDS}", f"PUT:{ASSOC}:delay={SLOW_SECONDS}:skip=2"],
        "rotate": [f"PUT:{ASSOC}:delay={SLOW_SECONDS}"],
        "destroy": [f"DELETE:{CERT}:delay={SLOW_SECONDS}"],
    },
    "commit_then_fail": {
        "up": [
            f"POST:{CERTS}:commit_then_status=502",
            f"POST:{CERTS}:commit_then_drop:skip=1",
            f"PUT:{ASSOC}:commit_then_status=500",
            f"POST:{RULESETS}:commit_then_drop",
            f"POST:{RULES}:commit_then_status=502",
        ],
        "rotate": [
            f"POST:{CERTS}:commit_then_drop",
            f"PUT:{ASSOC}:commit_then_status=503",
            f"PATCH:{RULE}:commit_then_drop",
        ],
        "destroy": [
            f"DELETE:{RULE}:commit_then_status=502",
            f"DELETE:{RULESET}:commit_then_drop",
            f"PUT:{ASSOC}:commit_then_drop",
            f"DELETE:{CERT}:commit_then_status=500",
        ],
    },
}


def hand_made_rule(emulator: EmulatorAdmin, zone: str) -> str:
    """A rule made outside the stack in one zone: its entrypoint exists, so the stack's rule there is a rules POST."""
    rule = add_rule_by_hand(emulator, zone, {"action": "block", "expression": "ip.src eq 192.0.2.1", "ref": "by-hand"})
    rule_id: str = rule["id"]
    return rule_id


@pytest.mark.parametrize("scenario", list(TRANSIENT))
def test_up_rotate_destroy_under_transient_faults_converge_without_duplicates(
    scenario: str, tmp_path: Path, emulator: EmulatorAdmin, rstack: Stack
) -> None:
    foreign = frozenset({hand_made_rule(emulator, ZONES[1])})
    faults = TRANSIENT[scenario]

    started = phase(emulator, *faults["up"])
    run(rstack, "up")
    check_retries(emulator, f"{scenario}: up", started)
    assert_converged(rstack, emulator, foreign)

    rotate(rstack, tmp_path)
    started = phase(emulator, *faults["rotate"])
    run(rstack, "up")
    check_retries(emulator, f"{scenario}: rotate", started)
    assert_converged(rstack, emulator, foreign)

    started = phase(emulator, *faults["destroy"])
    run(rstack, "destroy")
    calls = check_retries(emulator, f"{scenario}: destroy", started)
    assert_destroyed(emulator, foreign)
    assert calls.retries >= 1 or scenario == "slower_than_the_client_timeout"  # the faults did fire


# -- persistent faults: the run fails cleanly, a plain re-run converges -----------------------------------------


def test_failures_outlasting_the_retries_stop_cleanly_and_a_plain_rerun_converges(
    tmp_path: Path, emulator: EmulatorAdmin, rstack: Stack
) -> None:
    # 1. up: the second CA's upload answers 503 every time.
    started = phase(emulator, f"POST:{CERTS}:status=503:count=0:skip=1")
    failed = run(rstack, "up", check=False)
    assert_clean_failure(
        failed,
        f"Uploading the CA certificate to account {ACCOUNT_ID} failed: POST /accounts/{ACCOUNT_ID}/mtls_certificates "
        "failed: HTTP 503: An unknown error has occurred (code 10002).",
    )
    calls = check_retries(emulator, "persistent 503 on upload: up fails", started)
    upload_calls = [c for c in calls.calls if c[0]["method"] == "POST" and c[-1]["status"] == 503]
    assert [len(c) for c in upload_calls] == [MAX_RETRIES + 1]  # bounded, then given up
    assert_emulator_matches_state(rstack, emulator)
    started = phase(emulator)
    run(rstack, "up")
    check_retries(emulator, "persistent 503 on upload: re-run", started)
    assert_converged(rstack, emulator)

    # 2. rotation: the new CA is uploaded, but moving zone 1's hostnames to it fails every time.
    rotate(rstack, tmp_path)
    started = phase(emulator, f"PUT:/zones/{ZONES[1]}/certificate_authorities/hostname_associations:status=502:count=0")
    failed = run(rstack, "up", check=False)
    cas = {r["urn"].rpartition("::")[2] + ("-old" if r.get("delete") else ""): r for r in rstack.resources()}
    new_ca, old_ca = cas["ca-1"], cas["ca-1-old"]
    assert_clean_failure(
        failed,
        f"Updating the hostnames of zone {ZONES[1]} for CA {new_ca['id']}: write 2 of 4, associating "
        f"{', '.join(sorted(HOSTNAMES[1]))} with CA {new_ca['id']} failed: PUT /zones/{ZONES[1]}/"
        "certificate_authorities/hostname_associations failed: HTTP 502: An unknown error has occurred (code 10002).",
        "The writes before it were made, and each state in between keeps your clients in as planned; run 'pulumi up' "
        "again",
    )
    check_retries(emulator, "persistent 502 on association PUT: rotate fails", started)
    assert_emulator_matches_state(rstack, emulator)  # old CA kept (still serving zone 1), new CA recorded
    assert len(emulator.state()["certificates"]) == 4
    # Where the plan stopped (the rule relaxed, the list not moved) the old CA's clients still get in, the new CA's
    # are accepted by the rule already, and a request without a certificate is still refused.
    [ruleset] = [rs for rs in emulator.state()["rulesets"] if rs["zone_id"] == ZONES[1]]
    [rule] = ruleset["rules"]
    old_ski, new_ski = (ca["outputs"]["subject_key_identifier"] for ca in (old_ca, new_ca))
    for host in HOSTNAMES[1]:
        assert [rule_stops(rule, host, issuer) for issuer in (None, old_ski, new_ski)] == [True, False, False]
    assert sorted(emulator.state()["associations"][ZONES[1]][old_ca["id"]]) == sorted(HOSTNAMES[1])
    started = phase(emulator)
    run(rstack, "up")
    check_retries(emulator, "persistent 502 on association PUT: re-run", started)
    assert_converged(rstack, emulator)

    # 3. destroy: deleting the entrypoints (each holds one association's rule only: the rule goes with it, in one
    #    DELETE) answers 503 every time; the run stops naming it.
    started = phase(emulator, f"DELETE:{RULESET}:status=503:count=0")
    failed = run(rstack, "destroy", check=False)
    assert_clean_failure(
        failed,
        "deleting the rule failed: DELETE /zones/",
        "failed: HTTP 503: An unknown error has occurred (code 10002).",
    )
    check_retries(emulator, "persistent 503 on entrypoint DELETE: destroy fails", started)
    # The engine stops at the first failed delete, its first write: every rule still requires its clients, every
    # list and CA is kept, as the state says.
    assert [len(rs["rules"]) for rs in emulator.state()["rulesets"]] == [1, 1, 1]
    assert len(emulator.state()["certificates"]) == 3
    assert_emulator_matches_state(rstack, emulator)

    # 4. destroy again: the CA deletes answer 503 every time; the entrypoints with their rules, the lists and the
    #    associations are gone, the CAs are kept.
    started = phase(emulator, f"DELETE:{CERT}:status=503:count=0")
    failed = run(rstack, "destroy", check=False)
    assert_clean_failure(
        failed, "failed: HTTP 503: An unknown error has occurred (code 10002).", "Deleting CA certificate"
    )
    check_retries(emulator, "persistent 503 on CA delete: destroy fails", started)
    assert_emulator_matches_state(rstack, emulator)
    assert {r["type"].rpartition(":")[2] for r in rstack.resources() if "dynamic/cfmtls:" in r["type"]} == {
        "MTLSCertificate"
    }
    started = phase(emulator)
    run(rstack, "destroy")
    check_retries(emulator, "persistent 503 on CA delete: re-run", started)
    assert_destroyed(emulator)


def test_upload_whose_answer_and_lookups_are_all_lost_is_recovered_by_the_next_up(
    emulator: EmulatorAdmin, rstack: Stack
) -> None:
    """The limit of what a client can do: every upload is applied but its answer lost, and every lookup fails.
    The run fails and leaves an upload the stack does not know; the next `up` takes it over (same content,
    same name, unused), so no CA is ever uploaded twice."""
    started = phase(
        emulator,
        f"POST:{CERTS}:commit_then_status=502:count=0",
        f"GET:{CERTS}:status=503:count=0",
    )
    failed = run(rstack, "up", check=False)
    assert_clean_failure(failed, f"Uploading the CA certificate to account {ACCOUNT_ID} failed")
    check_retries(emulator, "upload answer and lookups lost: up fails", started)
    [orphan] = emulator.state()["certificates"]
    assert [r for r in rstack.resources() if r["type"].endswith(":MTLSCertificate")] == []
    started = phase(emulator)
    run(rstack, "up")
    check_retries(emulator, "upload answer and lookups lost: re-run", started)
    assert_converged(rstack, emulator)
    assert orphan["id"] in [c["id"] for c in emulator.state()["certificates"]]  # taken over, not uploaded again


# -- everything at once, with the engine's default parallelism --------------------------------------------------


def test_mixed_faults_with_parallel_steps_converge_and_stay_bounded(
    tmp_path: Path, emulator: EmulatorAdmin, rstack: Stack
) -> None:
    foreign = frozenset({hand_made_rule(emulator, ZONES[2])})
    mixed = [
        f"POST:{CERTS}:status=429:retry_after=1",
        f"POST:{CERTS}:commit_then_drop:skip=1",
        f"GET:{CERTS}:status=500",
        # One fault per zone's list: never more faults on one call than it has retries (MAX_RETRIES).
        f"PUT:/zones/{ZONES[0]}/*/hostname_associations:drop",
        f"PUT:/zones/{ZONES[1]}/*/hostname_associations:delay={SLOW_SECONDS}",
        f"PUT:/zones/{ZONES[2]}/*/hostname_associations:commit_then_status=502",
        f"POST:{RULESETS}:commit_then_status=503",
        f"POST:{RULES}:status=429:retry_after=1",
        f"PATCH:{RULE}:status=502",
        f"DELETE:{RULE}:drop",
        f"DELETE:{CERT}:commit_then_status=500",
        "GET:*/associations:status=503",
    ]
    for label, command in (("up", "up"), ("rotate", "up"), ("destroy", "destroy")):
        if label == "rotate":
            rotate(rstack, tmp_path, 0)
            rotate(rstack, tmp_path, 2)
        started = phase(emulator, *mixed)
        run(rstack, command, serial=False)
        entries = emulator.requests()
        failures = [e for e in entries if e["status"] in RETRYABLE]
        fired = sum(rule["fired"] for rule in emulator.faults())
        assert len(failures) <= fired  # every failed attempt is a fault: nothing failed on its own
        record(f"mixed (parallel): {label}", emulator, Calls.of(entries), time.monotonic() - started)
        if command == "up":
            assert_converged(rstack, emulator, foreign)
    assert_destroyed(emulator, foreign)


# -- the CLI killed mid-run ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("interrupted", ["ca_upload", "association_put"])
def test_up_killed_mid_run_then_refresh_and_up_converge_without_duplicate_ca(
    interrupted: str, emulator: EmulatorAdmin, rstack: Stack
) -> None:
    # The delayed call is applied by the emulator after the kill, as Cloudflare would: its answer is lost.
    delayed = f"POST:{CERTS}:delay=4:skip=2" if interrupted == "ca_upload" else f"PUT:{ASSOC}:delay=4"
    phase(emulator, delayed)
    process = subprocess.Popen(  # --skip-preview: the kill is timed by counting this run's API calls
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
        cwd=rstack.workdir,
        env=rstack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        uploaded = 2 if interrupted == "ca_upload" else 3
        while sum(e["method"] == "POST" and e["path"].endswith(CERTS[1:]) for e in emulator.requests()) < uploaded:
            assert time.monotonic() < deadline and process.poll() is None, "the run ended before the kill"
            time.sleep(0.05)
        time.sleep(1.0)  # the delayed call is in flight
        below = descendants(process.pid)
        process.send_signal(signal.SIGKILL)  # the CLI dies first, then everything it started, as in a crash
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    finally:
        process.wait(10)
    time.sleep(4.0)  # the delayed call has been applied (its answer went nowhere)

    # The killed CLI left its lock: on a file backend the lock file is removed by hand, as the CLI's error says.
    # --skip-preview with --clear-pending-creates: the pending operations are cleared by the run itself.
    locked = rstack.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates", check=False)
    assert "the stack is currently locked" in locked.stderr
    for lock in (Path(rstack.env["PULUMI_BACKEND_URL"].removeprefix("file://")) / ".pulumi" / "locks").rglob("*.json"):
        lock.unlink()
    refresh = rstack.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    assert "Traceback" not in refresh.stdout + refresh.stderr
    uploaded_before = {c["id"] for c in emulator.state()["certificates"]}
    assert len(uploaded_before) == 3  # the interrupted call was applied; the stack does not know its answer
    recorded = [r for r in rstack.resources() if r["type"].endswith(":MTLSCertificate")]
    assert len(recorded) == (2 if interrupted == "ca_upload" else 3)
    phase(emulator)
    run(rstack, "up", serial=False)
    assert_converged(rstack, emulator)
    # The interrupted upload was taken over (same content, same name, unused), not uploaded a second time.
    assert {c["id"] for c in emulator.state()["certificates"]} == uploaded_before
    run(rstack, "destroy", serial=False)
    assert_destroyed(emulator)
