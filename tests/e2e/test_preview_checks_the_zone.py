"""`pulumi preview` of the example stack refuses, before anything is written, what 0.1 found only at `pulumi up`
after the CA was uploaded: a zone id Cloudflare does not know, a hostname outside its zone, a refused token."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.zones import ZONE

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
