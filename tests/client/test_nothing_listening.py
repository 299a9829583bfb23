"""A base URL on this machine where nothing listens (the emulator not started, a wrong port): the first refused
connection ends the call, with the URL, the setting and what to do; no retry is spent on it (issue 22)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cfmtls_provider.cloudflare import ApiToken, NothingListeningError
from cfmtls_provider.cloudflare.client import CloudflareClient, RetryPolicy


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port nothing listens on (bound once to pick it, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    yield port


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_refused_loopback_connection_is_not_retried_and_says_what_to_do(closed_port: int, host: str) -> None:
    waits: list[float] = []
    base_url = f"http://{host}:{closed_port}/client/v4"
    client = CloudflareClient(
        ApiToken("t" * 40), base_url=base_url, retry=RetryPolicy(max_retries=4), sleep=waits.append
    )
    with client, pytest.raises(NothingListeningError) as raised:
        client.list_certificates("0" * 32)
    assert waits == []  # no retry was waited for
    assert str(raised.value) == (
        f"GET /accounts/{'0' * 32}/mtls_certificates was not sent: nothing is listening at {base_url} (connection "
        "refused). That is the API base URL set by cfmtls:baseUrl / CLOUDFLARE_BASE_URL: start the emulator there "
        f"('python -m cfmtls_provider.emulator --port {closed_port}') or set the right URL; running the command "
        "again as it is will not help"
    )


def test_cfmtls_names_the_variable_it_reads(closed_port: int) -> None:
    base_url = f"http://127.0.0.1:{closed_port}/client/v4"
    env = {"PATH": "/usr/bin:/bin", "CLOUDFLARE_BASE_URL": base_url, "CLOUDFLARE_API_TOKEN": "t" * 40}
    run = subprocess.run(
        [sys.executable, "-m", "cfmtls_provider", "inventory", "--account", "0" * 32],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"cfmtls: GET /accounts/{'0' * 32}/mtls_certificates was not sent: nothing is listening at {base_url} "
        "(connection refused). That is the API base URL set by CLOUDFLARE_BASE_URL: start the emulator there "
        f"('python -m cfmtls_provider.emulator --port {closed_port}') or set the right URL; running the command "
        "again as it is will not help\n"
    )
