"""Two CAs in one zone, each with its association, both covering a hostname: each association's rule admits only
its own CA's clients there, and Cloudflare verifies a client against one CA of a hostname, so one of the two
populations is refused. `pulumi preview` warns on the association, naming the hostnames and both associations, and
writes nothing (issue 13, defect 3). A CA expiring soon is warned about on that MTLSCertificate (not on the stack)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import ZONE_ID, Stack, certificates

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "two_pinned_cas"


@pytest.fixture
def two_cas_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Stack:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    stack.config("zoneId", ZONE_ID)
    for label in ("partners", "staff"):
        pem = tmp_path / f"{label}.pem"
        pem.write_text(
            make_ca(label, not_after=datetime.now(UTC) + timedelta(days=10 if label == "staff" else 365)).pem
        )  # staff's CA expires soon
        stack.config(f"{label}Pem", str(pem))
    return stack


def assert_warns_about_the_shared_hostnames(shown: str) -> None:
    """The warning is attached to the association that found the conflict (the engine lists it under that
    resource, not under the stack), and names the hostnames, the zone and both associations."""
    found = re.search(r"cfmtls:HostnameAssociation \((?:staff|partners)-hosts\):\n\s+warning: (.*)", shown)
    assert found, shown
    warning = found.group(1)
    assert f"both cover api.example.com, shop.example.com in zone {ZONE_ID}" in warning
    assert "the clients of one of them will be refused" in warning
    assert "'staff-hosts'" in warning and "'partners-hosts'" in warning


def test_the_first_preview_warns_that_a_hostname_under_two_cas_refuses_one_of_them(
    emulator: EmulatorAdmin, two_cas_stack: Stack
) -> None:
    preview = two_cas_stack.run("preview")
    shown = preview.stdout + preview.stderr
    # The expiry warning is listed under the CA it is about.
    assert re.search(r"cfmtls:MTLSCertificate \(staff-ca\):\n\s+warning: MTLSCertificate 'staff-ca': .*expires", shown)
    assert emulator.writes() == []
    assert_warns_about_the_shared_hostnames(shown)


def test_up_and_every_later_preview_warn_that_a_hostname_under_two_cas_refuses_one_of_them(
    emulator: EmulatorAdmin, two_cas_stack: Stack
) -> None:
    up = two_cas_stack.up()
    assert_warns_about_the_shared_hostnames(up.stdout + up.stderr)
    assert len(certificates(emulator)) == 2
    emulator.clear_requests()
    preview = two_cas_stack.run("preview")
    assert_warns_about_the_shared_hostnames(preview.stdout + preview.stderr)
    assert emulator.writes() == []
