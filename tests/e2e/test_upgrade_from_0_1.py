"""A stack deployed with cfmtls-provider 0.1 (CA, IssuerHandover, HostnameAssociation, ClientCertificateRule, as its
README showed) upgrades to 0.2 with the new program and one plain `pulumi up`: no client refused that both versions
admit, no request without a certificate admitted, nothing orphaned, and a program still written for 0.1 is told how
to upgrade in one sentence at preview.

0.1 is the package as it was at commit :data:`RELEASE_0_1` of this repository (the last commit before 0.2), installed
into its own virtualenv from ``git archive``, as a user's requirement line would install it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.transitions import invariant_violations
from tests.support.package_source import RELEASE_0_1
from tests.support.pulumi_stack import VENV, use_venv
from tests.support.zones import ZONE

from .edge_watch import API, WILD_DEEP, EdgeWatch, Identity, admitted, identity
from .harness import REPO, Stack, custom_rules, install_as_a_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config, edge_port=0) as server:
        yield server


def _program_of_0_1(where: Path) -> Path:
    """The example stack as 0.1 shipped it (its __main__.py and Pulumi.yaml)."""
    where.mkdir()
    for name in ("__main__.py", "Pulumi.yaml"):
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{RELEASE_0_1}:{name}"], capture_output=True, text=True, check=True
        )
        (where / name).write_text(shown.stdout)
    return where


def test_a_stack_of_0_1_upgrades_with_one_plain_up_and_no_outage(
    tmp_path: Path,
    emulator: EmulatorAdmin,
    emulator_server: EmulatorServer,
    pulumi_bin: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corp = identity(tmp_path / "certs", "A")
    clients: dict[str, Identity] = {"A": corp, "B": identity(tmp_path / "certs", "B")}
    old_venv = install_as_a_user(tmp_path / "old", commit=RELEASE_0_1)
    stack = Stack.create(
        tmp_path / "stack", emulator, pulumi_bin, program=_program_of_0_1(tmp_path / "v01"), venv=old_venv
    )
    stack.configure_example(corp.ca, ["api.example.com"], ZONE)
    stack.up()
    assert {resource["type"].rsplit(":", 1)[-1] for resource in stack.resources()} >= {
        "ClientCertificateRule",
        "IssuerHandover",
    }

    # A program still written for 0.1, run with 0.2: one sentence at preview, nothing written.
    (stack.workdir / "Pulumi.yaml").write_text(use_venv((stack.workdir / "Pulumi.yaml").read_text(), VENV))
    stack.env["PATH"] = stack.env["PATH"].replace(str(old_venv / "bin"), str(VENV / "bin"))
    emulator.clear_requests()
    refused = stack.preview(check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Upgrading from 0.1" in output and "Traceback" not in output, output
    assert emulator.writes() == []

    # The 0.2 program (the README's example), one plain `pulumi up`, watched after every API write.
    shutil.copy(REPO / "__main__.py", stack.workdir / "__main__.py")
    watch = EdgeWatch(emulator_server, clients)
    t_start = watch.observe("before")
    with watch.every_write(monkeypatch) as moments:
        stack.up()
    timeline = [t_start, *moments, watch.observe("after")]
    assert not invariant_violations(timeline), watch.table()
    assert admitted(watch.rows[-1][1], API.host) == {"A"}
    assert admitted(watch.rows[-1][1], WILD_DEEP.host) == {None, "A", "B"}
    types = sorted(r["type"].rsplit(":", 1)[-1] for r in stack.resources() if r["type"].startswith("pulumi-python:"))
    assert types == ["HostnameAssociation", "MTLSCertificate"], types
    [rule] = custom_rules(emulator)
    assert rule["ref"].startswith("cfmtls_corp_hosts_"), "the 0.1 rule is gone, the association's own is there"
    settled = stack.run("preview", "--diff", "--expect-no-changes", check=False)
    assert settled.returncode == 0, settled.stdout

    stack.destroy()
    state = emulator.state()
    assert state["certificates"] == [] and state["rulesets"] == [], state
    print(watch.table())
