"""A token rotated with `pulumi config set --secret cfmtls:apiToken` (issue 13, defect 4).

What Pulumi does: `pulumi preview` and `pulumi up` run the program and hand the provider the current stack
configuration; `pulumi refresh` and `pulumi destroy` do not run the program by default and hand it the
configuration the engine recorded at the last `up`, unless run with `--run-program` (or PULUMI_RUN_PROGRAM=true).
A provider cannot reach the current configuration on its own (secrets are decrypted by the engine), so the 401
says exactly that and what to run; this test proves the advice works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from tests.support.zones import TEST_ZONES

from .harness import ZONE_ID, Stack, write_ca

pytestmark = pytest.mark.e2e

OLD, NEW, NEWER = ("rotated-token-old-0001", "rotated-token-new-0002", "rotated-token-newer-0003")
ACCEPTED = {OLD: ALL_SCOPES, NEW: ALL_SCOPES, NEWER: ALL_SCOPES}


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    ACCEPTED.update({OLD: ALL_SCOPES, NEW: ALL_SCOPES, NEWER: ALL_SCOPES})
    return EmulatorConfig(tokens=ACCEPTED, zones=TEST_ZONES)  # the same dict: a token is revoked by deleting it


def rotate(stack: Stack, revoked: str, new: str) -> None:
    del ACCEPTED[revoked]
    stack.config("cfmtls:apiToken", new, secret=True)


def test_refresh_and_destroy_after_a_token_rotation_say_what_to_run_and_it_works(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, CLOUDFLARE_API_TOKEN="")
    stack.configure_example(write_ca(tmp_path, "ca"), ["api.example.com"], ZONE_ID)
    stack.config("cfmtls:apiToken", OLD, secret=True)
    stack.up()

    rotate(stack, OLD, NEW)
    refused = stack.refresh(check=False)
    shown = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "HTTP 401" in shown and "Traceback" not in shown
    assert "run them with --run-program (e.g. 'pulumi refresh --run-program'), or run 'pulumi up' first" in shown
    stack.run("refresh", "--yes", "--run-program")
    stack.refresh()  # plain, and it passes: the new token is now the recorded one

    rotate(stack, NEW, NEWER)
    refused = stack.destroy(check=False)
    assert refused.returncode != 0 and "--run-program" in refused.stdout + refused.stderr
    assert len(emulator.state()["certificates"]) == 1  # nothing half-deleted
    stack.run("destroy", "--yes", "--run-program")
    assert emulator.state()["certificates"] == []
