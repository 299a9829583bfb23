"""The cfmtls command after the example stack's `pulumi up`, run as an operator runs it (the console script,
settings from the environment), against the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig

from .harness import ACCOUNT_ID, TOKEN, ZONE_ID, Stack, api_client, cfmtls

pytestmark = pytest.mark.e2e


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """The demo's account: one zone, example.com (as scripts/demo declares it)."""
    return EmulatorConfig(
        tokens={TOKEN: ALL_SCOPES}, zones=EmulatorConfig.zone_map(f"{ZONE_ID}=example.com@{ACCOUNT_ID}")
    )


HOSTS = ["api.example.com", "admin.example.com"]


def throwaway(tmp: Path, name: str) -> tuple[Path, Path]:
    ca, client = tmp / f"{name}-ca.pem", tmp / f"{name}-client.pem"
    subprocess.run(
        [sys.executable, "-m", "cfmtls_provider.throwaway_ca", "--out", str(ca), "--client-out", str(client)],
        check=True,
        capture_output=True,
    )
    return ca, client


def test_inventory_and_check_client_after_the_example_stack(
    tmp_path: Path, stack: Stack, emulator: EmulatorAdmin
) -> None:
    ca, client = throwaway(tmp_path, "demo")
    _, intruder = throwaway(tmp_path, "other")
    stack.configure_example(ca, HOSTS)
    stack.run("preview")
    stack.run("up", "--yes")

    # The CA, its hostnames and the association's rule (named after it); no finding: exit 0.
    inventory = cfmtls(stack, "inventory")  # the zones are listed from the account
    assert inventory.returncode == 0, inventory.stdout + inventory.stderr
    for expected in ("corp-ca", *HOSTS, "(corp-hosts)", "0 error(s), 0 warning(s)"):
        assert expected in inventory.stdout
    data = json.loads(cfmtls(stack, "inventory", "--json").stdout)
    assert [(zone["id"], zone["name"]) for zone in data["zones"]] == [(ZONE_ID, "example.com")]
    assert data["zones"][0]["client_certificate_rules"][0]["enforces"] == sorted(HOSTS)
    assert [finding["code"] for finding in data["findings"]] == ["quota"]

    # check-client: the demo's client passes; another CA's client and no certificate are refused, naming the rule.
    base = ["check-client", "--hostname", "api.example.com"]  # the zone is found by the hostname
    allowed = cfmtls(stack, *base, "--cert", str(client))
    assert (allowed.returncode, "ALLOWED" in allowed.stdout) == (0, True), allowed.stdout + allowed.stderr
    for refused in (cfmtls(stack, *base, "--cert", str(intruder)), cfmtls(stack, *base, "--no-cert")):
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "REFUSED" in refused.stdout and "(corp-hosts)" in refused.stdout

    # A hostname associated by hand, outside the rule: reported, and the gate fails.
    certificate_id = stack.outputs()["certificateId"]
    with api_client(emulator) as api:
        api.put(
            f"/zones/{ZONE_ID}/certificate_authorities/hostname_associations",
            json={"mtls_certificate_id": certificate_id, "hostnames": [*HOSTS, "extra.example.com"]},
        ).raise_for_status()
    after = cfmtls(stack, "inventory")
    assert after.returncode == 1, after.stdout + after.stderr
    assert "associated-not-enforced" in after.stdout and "extra.example.com" in after.stdout
    # What to do, in terms of the resources there are.
    assert "Manage it with a HostnameAssociation" in " ".join(after.stdout.split())
