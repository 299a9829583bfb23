"""`cfmtls confirm-assumptions` as a subprocess against the emulator: every assumption it checks comes out
confirmed, everything it made is removed, it refuses a zone that is not a scratch zone, and it can refute."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

import pytest

from cfmtls_provider.cloudflare.auth import ApiToken
from cfmtls_provider.cloudflare.client import CloudflareClient
from cfmtls_provider.confirm import unconfirmed_assumptions
from cfmtls_provider.confirm.not_checked import why_not_checked
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.cli_json import assert_follows
from tests.support.zones import ACCOUNT, TEST_ZONES, ZONE

#: What the command checks against an account (the rest are not checked, each with why: not_checked.py).
CHECKED = {
    "CERTIFICATE_ID_FORMAT", "TIMESTAMP_FORMAT", "EXPIRES_ON_FORMAT", "DEFAULT_PER_PAGE", "MAX_PER_PAGE",
    "QUERY_INVALID", "INVALID_OBJECT_IDENTIFIER", "UNKNOWN_ZONE", "NO_ROUTE", "METHOD_NOT_ALLOWED", "MALFORMED_JSON",
    "CHECK_ORDER", "HOSTNAME_OUTSIDE_ZONE", "CERTIFICATE_ALREADY_EXISTS", "CERTIFICATE_NOT_FOUND",
    "CERTIFICATE_INVALID", "PRIVATE_KEY_INVALID", "UPLOAD_BODY_INVALID", "LEAF_UPLOADS_ACCEPTED",
    "CERTIFICATE_IN_USE", "USAGE_SERVICE", "USAGE_STATUS_ACTIVE", "USAGE_STATUS_PENDING_REMOVAL",
    "TYPE_FILTER_INVALID", "HOSTNAMES_INVALID", "ASSOCIATION_BODY_INVALID", "MISSING_HOSTNAMES_MEANS_EMPTY",
    "DEFAULT_ASSOCIATION_LAG_SECONDS", "ENTRYPOINT_NOT_FOUND", "RULESET_NOT_FOUND", "RULE_NOT_FOUND",
    "RULESET_INVALID", "ROOT_KIND_IN_ZONE", "INITIAL_VERSION", "POSITION_INDEX_BASE", "PATCH_KEEPS_REF",
    "PUT_KEEPS_RULE_IDS", "RATE_LIMIT_POLICY_NAME", "DELETE_RULESET_STATUS",
}  # fmt: skip


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(zones=TEST_ZONES)  # the default association lag (2 s), as Cloudflare lags


def confirm(emulator: EmulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_API_TOKEN": emulator.token}
    return subprocess.run(
        [sys.executable, "-m", "cfmtls_provider", "confirm-assumptions", "--zone", ZONE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def verdicts(run: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    data = json.loads(run.stdout)
    assert_follows("confirm-assumptions", data)
    return {item["name"]: item for item in data["assumptions"]}


def test_every_checked_assumption_is_confirmed_and_nothing_is_left(emulator: EmulatorServer) -> None:
    before = emulator.state()
    run = confirm(emulator, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    found = verdicts(run)
    assert list(found) == unconfirmed_assumptions()
    assert {name for name, item in found.items() if item["verdict"] == "confirmed"} == CHECKED
    for name, item in found.items():
        if name not in CHECKED:
            assert (item["verdict"], item["evidence"]) == ("not checked", why_not_checked(name))
    assert json.loads(run.stdout)["left_behind"] == []
    assert emulator.state() == before
    table = confirm(emulator)
    assert table.returncode == 0 and f"{len(CHECKED)} confirmed, 0 refuted" in table.stdout
    assert "Everything this run made was removed." in table.stdout


def test_read_only_sends_nothing_but_gets(emulator: EmulatorServer) -> None:
    run = confirm(emulator, "--read-only", "--json")
    assert run.returncode == 0, run.stderr
    assert {entry["method"] for entry in emulator.requests()} == {"GET"}
    refuted = [item for item in verdicts(run).values() if item["verdict"] == "refuted"]
    assert refuted == []


def test_a_zone_with_associations_it_did_not_make_is_refused_before_any_write(emulator: EmulatorServer) -> None:
    with CloudflareClient(ApiToken(emulator.token), base_url=emulator.base_url) as client:
        record = client.upload_certificate(ACCOUNT, make_ca("someone's CA").pem, name="prod-ca")
        client.replace_hostname_associations(ZONE, record.id, ["api.example.com"])
    emulator.clear_requests()
    run = confirm(emulator)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"cfmtls: zone example.com ({ZONE}) has hostname associations this command did not make (CA 'prod-ca' "
        f"({record.id}): api.example.com); it writes hostname associations and a rule, so it runs only in a "
        "scratch zone without any: name one, or run it with --read-only. Nothing was written.\n"
    )
    assert {entry["method"] for entry in emulator.requests()} == {"GET"}


@pytest.mark.parametrize("lag", [0.0])
def test_an_answer_unlike_the_emulators_assumption_is_refuted(lag: float) -> None:
    """An emulator without the association lag stands for a Cloudflare that deletes at once."""
    config = dataclasses.replace(EmulatorConfig(zones=TEST_ZONES), association_lag_seconds=lag)
    with EmulatorServer(config) as emulator:
        run = confirm(emulator, "--json")
    assert run.returncode == 1, run.stderr
    found = verdicts(run)
    assert [name for name, item in found.items() if item["verdict"] == "refuted"] == [
        "USAGE_STATUS_PENDING_REMOVAL",
        "DEFAULT_ASSOCIATION_LAG_SECONDS",
    ]
    assert found["DEFAULT_ASSOCIATION_LAG_SECONDS"]["evidence"].startswith(
        "DELETE right after the list was emptied: HTTP 200"
    )
