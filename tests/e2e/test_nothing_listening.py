"""`pulumi up` against a base URL where nothing listens (the emulator not started, a wrong port): the run stops
at the first call with the URL, the setting and that running it again will not help (issue 22)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin

from .harness import Stack, write_ca

pytestmark = pytest.mark.e2e


def test_up_names_the_url_and_the_setting_and_does_not_ask_for_a_rerun(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    """Found by the preview `pulumi up` runs first (the association checks its zone there), before any write."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/client/v4"
    stack = Stack.create(tmp_path, emulator, pulumi_bin, CLOUDFLARE_BASE_URL=base_url)
    stack.configure_example(write_ca(tmp_path, "corp"), ["api.example.com"])
    up = stack.up(check=False)
    output = " ".join((up.stdout + up.stderr).split())
    assert up.returncode != 0
    assert (
        f"was not sent: nothing is listening at {base_url} (connection refused). That is the API base URL set by "
        f"cfmtls:baseUrl / CLOUDFLARE_BASE_URL: start the emulator there ('python -m cfmtls_provider.emulator --port "
        f"{port}') or set the right URL; running the command again as it is will not help." in output
    ), output
    assert "Checking zone" in output, "the preview's check found it, before anything was written"
    assert "Run the command again" not in output and "Traceback" not in output
