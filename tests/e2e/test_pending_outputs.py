"""The program's pending outputs, waited for by this package's linear drain (cfmtls_provider/program_process.py)
through the real engine: every output is awaited, those made while the program ends included, and an exception in
an apply still fails `pulumi up` with that exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import ZONE_ID, Stack

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "pending_outputs"
REPLACED = "wait_for_rpcs from cfmtls_provider.program_process"


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal.txt"


@pytest.fixture
def pending_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str, journal: Path) -> Stack:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    pem = tmp_path / "ca.pem"
    pem.write_text(make_ca("pending-outputs").pem)
    stack.config_all({"zoneId": ZONE_ID, "caPem": str(pem), "journal": str(journal)})
    return stack


def test_up_waits_for_every_output_made_while_the_program_ends(pending_stack: Stack, journal: Path) -> None:
    # --skip-preview: the journal records one run of the program; a preview would run it once more and write its own
    # first line (the preview's path through the same wait is covered by every plain `pulumi up` of the e2e suite).
    pending_stack.run("up", "--yes", "--skip-preview")
    lines = journal.read_text().splitlines()
    assert lines[0] == REPLACED
    (hosts,) = [r for r in pending_stack.resources() if r["type"].endswith(":HostnameAssociation")]
    rule_id = hosts["outputs"]["rule_id"]
    assert lines[1:] == [f"step {number} of {rule_id}" for number in range(1, 6)]


def test_an_exception_in_an_apply_made_while_the_program_ends_fails_up_with_that_exception(
    pending_stack: Stack, journal: Path
) -> None:
    pending_stack.config("failAtStep", "3")
    up = pending_stack.run("up", "--yes", "--skip-preview", check=False)  # one run in the journal, as above
    shown = up.stdout + up.stderr
    assert up.returncode != 0
    assert "RuntimeError: step 3 failed on purpose" in shown, shown
    lines = journal.read_text().splitlines()
    assert lines[0] == REPLACED
    assert [line.split(" of ")[0] for line in lines[1:]] == ["step 1", "step 2", "step 3"]
