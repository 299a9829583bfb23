"""Rotating a CA in an account that already holds the maximum of five, with the real engine.

A rotation uploads the new CA before deleting the old one, so in a full account it is refused (1489). The
provider's message says what the account holds and offers two ways out; this test follows the second one,
`delete_before_replace=True` on the MTLSCertificate, and checks it really works: the old association and CA go
first, then the new CA and its association, and the stack ends consistent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.certs import make_ca

from .harness import ACCOUNT_ID, Stack, api_client, rule_stops, write_ca
from .reliability_stack import PROGRAM, PROJECT

pytestmark = pytest.mark.e2e

ZONE = "d4" * 16
HOSTS = ["api.full.example", "admin.full.example"]


@pytest.fixture
def full_account_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Iterator[Stack]:
    """One CA of the stack plus four uploaded outside it: the account is full."""
    with api_client(emulator) as api:
        for index in range(4):
            answer = api.post(
                f"/accounts/{ACCOUNT_ID}/mtls_certificates",
                json={"ca": True, "name": f"outside-{index}", "certificates": make_ca(f"outside-{index}").pem},
            )
            answer.raise_for_status()
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    config = {
        f"{PROJECT}:caPemPaths": [str(write_ca(tmp_path, "ca-0"))],
        f"{PROJECT}:zones": [{"id": ZONE, "ca": 0, "hostnames": HOSTS}],
    }
    (stack.workdir / f"Pulumi.{stack.name}.yaml").write_text(json.dumps({"config": config}))
    yield stack
    print("\n".join(stack.log[-3:]))


def live_cas(emulator: EmulatorAdmin) -> list[str]:
    return [c["id"] for c in emulator.state()["certificates"] if c["account_id"] == ACCOUNT_ID]


def live_lists(emulator: EmulatorAdmin) -> dict[str, list[str]]:
    return {ca: sorted(names) for ca, names in emulator.state()["associations"].get(ZONE, {}).items() if names}


def test_rotation_in_a_full_account_is_refused_cleanly_then_works_delete_first(
    tmp_path: Path, emulator: EmulatorAdmin, full_account_stack: Stack
) -> None:
    stack = full_account_stack
    stack.up()
    [old_id] = stack.outputs()["certificateIds"]
    assert len(live_cas(emulator)) == 5

    # The plain rotation is refused before anything is touched, with the way out.
    stack.config("caPemPaths[0]", str(write_ca(tmp_path, "ca-0-next")), path=True)
    emulator.clear_requests()
    refused = stack.up(check=False)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "already holds the maximum number of CA certificates (5" in said
    assert "outside-0 (id " in said
    assert "delete_before_replace=True" in said
    assert "Traceback" not in said
    assert [(w["method"], w["path"]) for w in emulator.writes()] == [
        ("POST", f"/accounts/{ACCOUNT_ID}/mtls_certificates")
    ]
    assert old_id in live_cas(emulator) and len(live_cas(emulator)) == 5
    assert live_lists(emulator) == {old_id: sorted(HOSTS)}, "the refused rotation left the hostnames where they were"

    # Delete-first, as the message offers: the old association and CA go, then the new ones come.
    stack.config("deleteBeforeReplace", "[0]")
    emulator.clear_requests()
    stack.up()
    [new_id] = stack.outputs()["certificateIds"]
    assert new_id != old_id
    assert old_id not in live_cas(emulator) and new_id in live_cas(emulator) and len(live_cas(emulator)) == 5
    assert live_lists(emulator) == {new_id: sorted(HOSTS)}
    order = [(w["method"], w["path"]) for w in emulator.writes()]
    empty_old = order.index(("PUT", f"/zones/{ZONE}/certificate_authorities/hostname_associations"))
    delete_old = order.index(("DELETE", f"/accounts/{ACCOUNT_ID}/mtls_certificates/{old_id}"))
    upload_new = order.index(("POST", f"/accounts/{ACCOUNT_ID}/mtls_certificates"))
    assert empty_old < delete_old < upload_new, order
    # The association came back with the new CA, and its rule with it: pinned to the new CA's issuer.
    [ruleset] = [rs for rs in emulator.state()["rulesets"] if rs["zone_id"] == ZONE]
    [rule] = ruleset["rules"]
    assert rule["id"] == stack.outputs()["ruleId0"]
    [new_ca] = [r for r in stack.resources() if r["type"].endswith(":MTLSCertificate")]
    new_ski = new_ca["outputs"]["subject_key_identifier"]
    assert all(rule_stops(rule, host, None) and not rule_stops(rule, host, new_ski) for host in HOSTS)

    stack.destroy()
    assert len(live_cas(emulator)) == 4, "destroy removed the stack's CA and nothing else"
    assert [rs for rs in emulator.state()["rulesets"] if rs["zone_id"] == ZONE] == []
