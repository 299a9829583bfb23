"""`pulumi preview` of the example stack refuses, before anything is written, what 0.1 found only at `pulumi up`
after the CA was uploaded: a zone id Cloudflare does not know, a hostname outside its zone, a refused token. A
hostname change of a stack already up is checked against the zone's name as the state records it: one zone read
per run, not the create's zone check again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.zones import ZONE, ZONE_ORG

from .harness import Stack, assert_preview_refuses, write_ca

pytestmark = pytest.mark.e2e


def test_a_zone_cloudflare_does_not_know_is_refused_at_preview(
    tmp_path: Path, stack: Stack, emulator: EmulatorAdmin
) -> None:
    stack.configure_example(write_ca(tmp_path, "corp"), ["api.example.com"], zone_id="9" * 32)
    assert_preview_refuses(stack, emulator, f"zone_id {'9' * 32} is not a zone Cloudflare knows")


def test_a_hostname_outside_its_zone_is_refused_at_preview(
    tmp_path: Path, stack: Stack, emulator: EmulatorAdmin
) -> None:
    stack.configure_example(write_ca(tmp_path, "corp"), ["api.example.com", "api.example.org"], zone_id=ZONE)
    assert_preview_refuses(stack, emulator, "api.example.org is not in zone example.com")


def test_a_refused_token_is_found_at_preview(tmp_path: Path, stack: Stack, emulator: EmulatorAdmin) -> None:
    stack.configure_example(write_ca(tmp_path, "corp"), ["api.example.com"], zone_id=ZONE)
    stack.env["CLOUDFLARE_API_TOKEN"] = "refused-token-0000000000000000000000000000"
    assert_preview_refuses(stack, emulator, "Check the API token")


#: The zones of the emulator's test set and their domains (tests/support/zones.py).
ZONES = {ZONE: "example.com", "1" * 32: "example.com", ZONE_ORG: "example.org", "d4" * 16: "full.example"}


def _declare(stack: Stack, hostnames: Callable[[str], list[str]]) -> None:
    """One association per zone of ZONES, with ``hostnames(domain)``."""
    associations = [{"zone": zone, "hostnames": hostnames(domain)} for zone, domain in ZONES.items()]
    stack.config("associations", json.dumps(associations))


def test_a_hostname_change_across_zones_is_checked_against_their_recorded_names_with_one_read_per_run(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=Path(__file__).parent / "programs" / "zones")
    stack.config("caPem", str(write_ca(tmp_path, "zones")))
    _declare(stack, lambda domain: [f"api.{domain}"])
    stack.up()

    def zone_calls() -> list[str]:
        """The zone check's calls: a zone read (``/zones/{id}``) or a page of an account's zones (``/zones``)."""
        paths = [call["path"].rstrip("/") for call in emulator.requests()]
        return [path for path in paths if path == "/zones" or (path.startswith("/zones/") and path.count("/") == 2)]

    emulator.clear_requests()
    _declare(
        stack, lambda domain: [f"api.{domain}", "www.example.org" if domain == "full.example" else f"www.{domain}"]
    )
    assert_preview_refuses(stack, emulator, "www.example.org is not in zone full.example")
    assert len(zone_calls()) == 1, zone_calls()  # the run's one read, which confirms the credentials

    emulator.clear_requests()
    _declare(stack, lambda domain: [f"api.{domain}", f"www.{domain}"])
    stack.up()  # a plain `pulumi up`: its preview, then the update, each a run of its own
    assert len(zone_calls()) == 2, zone_calls()
    assert sorted(emulator.state()["associations"][ZONE_ORG].popitem()[1]) == ["api.example.org", "www.example.org"]
    stack.destroy()
