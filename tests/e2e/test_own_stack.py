"""A user's own stack, run as a user runs it: the README's "Use it in your own stack" program, as pasted, in its own
folder, the package pip-installed into its own virtualenv, and plain `pulumi preview` / `pulumi up` / `pulumi destroy`.

Issue 13: rotating the CA of a stack whose rule is pinned to it (issuer_ski) crashed `pulumi preview`, and so a
plain `pulumi up`, with a traceback from the rule's diff: the new CA's SKI was unknown at preview.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.certificates import parse_ca_bundle
from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.readme import file_block

from .harness import ZONE_ID, Stack, associated, certificates, custom_rules, write_ca, write_kinds

pytestmark = pytest.mark.e2e

PROJECT_FILE = Path(__file__).parent / "programs" / "own_stack" / "Pulumi.yaml"


def readme_program(where: Path) -> Path:
    """The README's `__main__.py` for "Use it in your own stack", as a user pastes it, beside a Pulumi.yaml."""
    where.mkdir()
    (where / "__main__.py").write_text(file_block("Use it in your own stack", "__main__.py"))
    shutil.copy(PROJECT_FILE, where / "Pulumi.yaml")
    return where


HOSTS = ["api.example.com", "admin.example.com"]


@pytest.fixture
def own_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str, user_venv: Path) -> Iterator[Stack]:
    program = readme_program(tmp_path / "pasted")
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=program, venv=user_venv)
    yield stack
    print("\n".join(stack.log[-6:]))


def ski_of(pem_path: Path) -> str:
    return parse_ca_bundle(pem_path.read_text()).ca.subject_key_identifier


def test_rotation_with_a_pinned_rule_previews_a_replacement_then_up_rotates_in_order(
    tmp_path: Path, emulator: EmulatorAdmin, own_stack: Stack
) -> None:
    stack = own_stack
    first_ca = write_ca(tmp_path, "first-ca")
    stack.config("zoneId", ZONE_ID)
    stack.set_hostnames(HOSTS)
    stack.config("caPemPath", str(first_ca))

    # A new stack: the plan shows what the PEM alone tells (the SKI, in the CA and in the association's expression).
    plan = stack.run("preview", "--diff")
    assert "+ 3 to create" in plan.stdout
    assert plan.stdout.count(ski_of(first_ca)) >= 2, plan.stdout
    assert emulator.writes() == []
    stack.up()
    [old] = certificates(emulator)

    # Rotation: the plan replaces the CA and updates its association in place (to the new SKI), writes nothing.
    second_ca = write_ca(tmp_path, "second-ca")
    stack.config("caPemPath", str(second_ca))
    emulator.clear_requests()
    plan = stack.preview()
    shown = plan.stdout + plan.stderr
    assert "Traceback" not in shown and "error" not in shown.lower(), shown
    assert "+-1 to replace" in plan.stdout and "~ 1 to update" in plan.stdout, plan.stdout
    assert f'cert_issuer_ski eq \\"{ski_of(second_ca)}\\"' in plan.stdout, plan.stdout
    assert emulator.writes() == []

    # A plain `pulumi up` (it previews first): the new CA uploaded, the rule accepting both issuers, the new CA's
    # list, the old list emptied, the rule pinned to the new issuer, then the old CA deleted: no hostname is ever
    # without a CA, and the old or the new CA's clients get in at every moment.
    stack.up()
    kinds = write_kinds(emulator)  # the old CA's DELETE is retried while the emulator's association lag runs
    assert kinds[:5] == ["POST certificate", "PATCH rule", "PUT associations", "PUT associations", "PATCH rule"], kinds
    assert set(kinds[5:]) == {"DELETE certificate"}, kinds
    [new] = certificates(emulator)
    assert new["id"] != old["id"] and emulator.writes()[-1]["path"].endswith(str(old["id"]))
    assert sorted(associated(emulator, str(new["id"]))) == sorted(HOSTS)
    [rule] = custom_rules(emulator)
    assert ski_of(second_ca) in str(rule["expression"]) and ski_of(first_ca) not in str(rule["expression"])

    # Nothing left to do, then a plain destroy removes everything.
    emulator.clear_requests()
    assert "3 unchanged" in stack.up().stdout
    assert emulator.writes() == []
    stack.destroy()
    assert certificates(emulator) == [] and custom_rules(emulator) == []


def test_the_readme_program_type_checks_with_mypy_strict_against_the_installed_package(
    tmp_path: Path, user_venv: Path
) -> None:
    program = readme_program(tmp_path / "pasted") / "__main__.py"
    misuse = tmp_path / "misuse.py"
    misuse.write_text(
        program.read_text() + "\nwrong: int = ca.subject_key_identifier\nMTLSCertificate('x', certificates=1)\n"
    )

    def mypy(path: Path) -> subprocess.CompletedProcess[str]:
        # The installed package, as the user's type checker sees it (PEP 561: py.typed in the wheel).
        command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable"]
        return subprocess.run(
            [*command, str(user_venv / "bin" / "python"), str(path)], capture_output=True, text=True, cwd=tmp_path
        )

    clean = mypy(program)
    assert clean.returncode == 0, clean.stdout
    caught = mypy(misuse)
    assert '(expression has type "Output[str]", variable has type "int")' in caught.stdout, caught.stdout
    assert 'Argument "certificates" to "MTLSCertificate" has incompatible type "int"' in caught.stdout, caught.stdout
