"""Two HostnameAssociations of one program declaring the same (zone, CA) list (issue 13, defect 2): Cloudflare keeps
one list per pair and each PUT replaces it, so they would overwrite each other and a delete of either would empty
the other's list. The program refuses the second declaration, naming both, before it reaches the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.convergence import mismatches

from .harness import ZONE_ID, Stack, write_ca

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "duplicate_association"


def test_a_second_declaration_of_one_list_is_refused_naming_both(
    tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str
) -> None:
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    stack.config("zoneId", ZONE_ID)
    stack.config("caPemPath", str(write_ca(tmp_path, "ca")))
    failed = stack.up(check=False)
    shown = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "Traceback" not in shown, shown
    assert "both declare the hostnames of zone" in shown and "'web-hosts'" in shown and "'api-hosts'" in shown
    associated = [entry for entry in emulator.writes() if "hostname_associations" in entry["path"]]
    assert len(associated) <= 1  # at most the first declaration's list was written; never two writers
    # Nothing half-done: whatever was written (the CA, at most the first association and its rule) is in the state.
    assert mismatches(stack.resources(), emulator.state()) == []
