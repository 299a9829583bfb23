"""A setting out of its range stops `pulumi preview` with one sentence naming it, before any write: from the
environment (the case that once made a destroy poll without end) and from stack config."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import Stack, assert_preview_refuses

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("source", ["environment", "stack config"])
def test_an_out_of_range_setting_fails_preview_in_one_sentence(
    source: str, tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    pem_path = tmp_path / "ca.pem"
    pem_path.write_text(make_ca().pem)
    stack.configure_example(pem_path, ["api.example.com"])
    if source == "environment":
        stack.env["CFMTLS_DELETE_WAIT_SECONDS"] = "nan"
        expected = (
            "cfmtls:deleteWaitSeconds / CFMTLS_DELETE_WAIT_SECONDS must be a number of seconds from 0 to 3600 "
            "(default 60), got 'nan'."
        )
    else:
        stack.config("cfmtls:rateLimitWaitSeconds", "1e9")
        expected = (
            "cfmtls:rateLimitWaitSeconds / CFMTLS_RATE_LIMIT_WAIT_SECONDS must be a number of seconds from 0 to "
            "3600 (default 360), got '1e9'."
        )
    assert_preview_refuses(stack, emulator, expected)
