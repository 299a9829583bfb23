"""Two CAs in one zone, each with a pinned rule, sharing a hostname: every request to it would be blocked.
`pulumi preview` warns on the rule, naming the hostnames and both CAs, and writes nothing (issue 13, defect 3).
A CA expiring soon is warned about on that MTLSCertificate (not on the stack)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import ZONE_ID, Stack

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "two_pinned_cas"


def test_preview_warns_that_a_hostname_pinned_to_two_cas_is_blocked(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    stack.config("zoneId", ZONE_ID)
    skis = {}
    for label in ("partners", "staff"):
        pem = tmp_path / f"{label}.pem"
        pem.write_text(
            make_ca(label, not_after=datetime.now(UTC) + timedelta(days=10 if label == "staff" else 365)).pem
        )  # staff's CA expires soon
        stack.config(f"{label}Pem", str(pem))
        skis[label] = parse_ca_bundle(pem.read_text()).ca.subject_key_identifier
    preview = stack.run("preview")
    shown = preview.stdout + preview.stderr
    # Attached to the rule that found the conflict (the engine lists it under that resource), not the stack.
    found = re.search(r"cfmtls:ClientCertificateRule \((?:staff|partners)-rule\):\n\s+warning: (.*)", shown)
    assert found, shown
    warning = found.group(1)
    assert "pins *.example.com, api.example.com, shop.example.com (zone" in warning
    assert "every request to those hostnames will be blocked" in warning
    assert f"SKI {skis['staff']}" in warning and f"SKI {skis['partners']}" in warning
    assert "'staff-rule'" in warning and "'partners-rule'" in warning
    # The expiry warning is listed under the CA it is about.
    assert re.search(r"cfmtls:MTLSCertificate \(staff-ca\):\n\s+warning: MTLSCertificate 'staff-ca': .*expires", shown)
    assert emulator.writes() == []
