"""The enforcement, proven with real TLS clients against the emulator's mTLS edge after plain `pulumi up`.

After `up`: the CA's client gets 200, no certificate 403, another CA's client 403 (httpx; curl and openssl
s_client where installed). After `destroy`: no hostname requests a certificate. During a CA rotation with a
pinned rule, an old-CA client and a new-CA client probe the edge after every API write: at no moment is neither
accepted.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.edge.probe import fetch
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.throwaway_ca import main as throwaway_ca

from .harness import WRITE_METHODS, Stack

pytestmark = pytest.mark.e2e

HOSTNAMES = ["api.example.com", "admin.example.com"]


@dataclass(frozen=True)
class Identity:
    """A throwaway CA (its PEM file) and a client certificate it issued, with the key."""

    ca: Path
    cert: Path
    key: Path


def _identity(directory: Path, name: str) -> Identity:
    directory.mkdir(parents=True, exist_ok=True)
    ca, cert = directory / f"{name}-ca.pem", directory / f"{name}.pem"
    throwaway_ca(["--out", str(ca), "--cn", f"{name} CA", "--client-out", str(cert)])
    return Identity(ca, cert, cert.with_suffix(".key"))


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config, edge_port=0) as server:
        yield server


def _status(server: EmulatorServer, hostname: str, who: Identity | None) -> int:
    edge = server.edge
    assert edge.ca_file is not None
    if who is None:
        return fetch(edge.url, edge.ca_file, hostname).status_code
    return fetch(edge.url, edge.ca_file, hostname, cert=who.cert, key=who.key).status_code


def _curl(server: EmulatorServer, hostname: str, who: Identity | None) -> str:
    edge = server.edge
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(edge.ca_file)]
    command += ["--resolve", f"{hostname}:{edge.port}:127.0.0.1"]
    if who is not None:
        command += ["--cert", str(who.cert), "--key", str(who.key)]
    command.append(f"https://{hostname}:{edge.port}/")
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False).stdout


def _requests_certificate(server: EmulatorServer, hostname: str) -> bool:
    """openssl s_client: does the handshake for ``hostname`` carry a CertificateRequest?"""
    edge = server.edge
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{edge.port}", "-servername", hostname]
    command += ["-CAfile", str(edge.ca_file)]
    done = subprocess.run(command, input="", capture_output=True, text=True, timeout=30, check=False)
    assert "Verify return code: 0 (ok)" in done.stdout, done.stdout + done.stderr  # the edge CA is trusted
    return "Requested Signature Algorithms" in done.stdout


def test_up_enforces_client_certificates_and_destroy_releases_them(
    tmp_path: Path, stack: Stack, emulator_server: EmulatorServer
) -> None:
    corp, other = _identity(tmp_path / "certs", "corp"), _identity(tmp_path / "certs", "other")
    stack.configure_example(corp.ca, HOSTNAMES)
    stack.run("preview")
    stack.run("up", "--yes")
    for hostname in HOSTNAMES:
        assert _status(emulator_server, hostname, corp) == 200, hostname
        assert _status(emulator_server, hostname, None) == 403, hostname
        assert _status(emulator_server, hostname, other) == 403, hostname
    if shutil.which("curl"):
        assert [_curl(emulator_server, HOSTNAMES[0], who) for who in (corp, None, other)] == ["200", "403", "403"]
    assert _status(emulator_server, "www.example.com", None) == 200  # not protected: untouched
    openssl = shutil.which("openssl") is not None
    if openssl:
        assert _requests_certificate(emulator_server, HOSTNAMES[0])
        assert not _requests_certificate(emulator_server, "www.example.com")

    stack.run("destroy", "--yes")
    emulator_server.edge.log.clear()
    for hostname in HOSTNAMES:
        assert _status(emulator_server, hostname, corp) == 200
        assert _status(emulator_server, hostname, None) == 200
    assert not any(entry["presented"] for entry in emulator_server.edge.log.entries())  # none was requested
    if openssl:
        assert not any(_requests_certificate(emulator_server, hostname) for hostname in HOSTNAMES)


class _Prober:
    """Wraps the emulator's request log: after every API write (logged as its answer starts, after the state
    changed, before the provider sees the answer), probe the edge with the old-CA and the new-CA client."""

    def __init__(self, server: EmulatorServer, old: Identity, new: Identity) -> None:
        self.server, self.old, self.new = server, old, new
        self.append = server.emulator.log.append
        self.rows: list[dict[str, Any]] = []

    def __call__(self, method: str, path: str, query: str, status: int) -> None:
        self.append(method, path, query, status)
        if method in WRITE_METHODS and 200 <= status < 300:
            hostname = HOSTNAMES[0]
            self.rows.append(
                {
                    "write": f"{method} {path}",
                    "old_ca_client": _status(self.server, hostname, self.old),
                    "new_ca_client": _status(self.server, hostname, self.new),
                }
            )


def test_rotation_never_leaves_a_moment_where_neither_client_is_accepted(
    tmp_path: Path, stack: Stack, emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = _identity(tmp_path / "certs", "old"), _identity(tmp_path / "certs", "new")
    stack.configure_example(old.ca, HOSTNAMES)
    stack.run("up", "--yes")
    assert (_status(emulator_server, HOSTNAMES[0], old), _status(emulator_server, HOSTNAMES[0], new)) == (200, 403)

    probing = _Prober(emulator_server, old, new)
    monkeypatch.setattr(emulator_server.emulator.log, "append", probing)
    stack.config("caPemPath", str(new.ca))
    stack.run("up", "--yes")
    table = "\n".join(
        f"{row['write']:<90} old={row['old_ca_client']} new={row['new_ca_client']}" for row in probing.rows
    )
    print("rotation as clients see it:\n" + table)
    assert probing.rows, "no API write was seen"
    gaps = [row for row in probing.rows if row["old_ca_client"] != 200 and row["new_ca_client"] != 200]
    assert not gaps, "a moment where neither client is accepted:\n" + table
    assert (probing.rows[-1]["old_ca_client"], probing.rows[-1]["new_ca_client"]) == (403, 200)
