"""The real Pulumi engine runs the example project against the emulator: what users see and what reaches the API."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin

from .harness import (
    ACCOUNT_ID,
    REPO,
    TOKEN,
    ZONE_ID,
    Stack,
    add_rule_by_hand,
    api_client,
    associated,
    certificates,
    custom_rules,
    rule_stops,
    write_ca,
    write_kinds,
)

pytestmark = pytest.mark.e2e

HOSTS = ["api.example.com", "admin.example.com"]


def assert_destroy_order(emulator: EmulatorAdmin, *, entrypoint_made_by_the_stack: bool = True) -> None:
    """The rule (with the entrypoint the stack made, when it is the only rule in it: one DELETE), then the
    association, then the CA: its DELETE refused (400) while the association lag runs, retried until it succeeds."""
    kinds = write_kinds(emulator)
    first = ["DELETE ruleset"] if entrypoint_made_by_the_stack else ["DELETE rule"]
    first.append("PUT associations")
    assert kinds[: len(first)] == first and set(kinds[len(first) :]) == {"DELETE certificate"}, kinds
    statuses = [entry["status"] for entry in emulator.writes()][len(first) :]
    assert statuses[-1] == 200 and all(status == 400 for status in statuses[:-1]), statuses


def delete_once_the_lag_is_over(api: httpx.Client, path: str, wait: float = 10.0) -> None:
    """What a user's script does: Cloudflare applies an association removal with a delay."""
    deadline = time.monotonic() + wait
    while (answer := api.delete(path)).status_code == 400 and time.monotonic() < deadline:
        time.sleep(0.5)
    answer.raise_for_status()


def assert_declared_at_the_programs_line(stack: Stack) -> None:
    """Each resource is recorded where the program declares it (``sourcePosition``, what Pulumi shows as where a
    resource comes from), with the program's frames only: not this package's constructor, not the runtime's."""
    program = (REPO / "__main__.py").read_text().splitlines()
    ours = [r for r in stack.resources() if r["type"].startswith("pulumi-python:dynamic/cfmtls:")]
    assert len(ours) == 2
    for resource in ours:
        uri, _, line = resource["sourcePosition"].partition("#")
        assert uri == "project:///__main__.py", resource["sourcePosition"]
        assert resource["type"].rpartition(":")[2] + "(" in program[int(line) - 1]
        assert [frame["sourcePosition"] for frame in resource["stackTrace"]] == [resource["sourcePosition"]]


def test_lifecycle_preview_up_noop_update_rotate_destroy(tmp_path: Path, emulator: EmulatorAdmin, stack: Stack) -> None:
    first_ca = write_ca(tmp_path, "first-ca")
    stack.configure_example(first_ca, HOSTS)

    # 1. preview of a new stack: plans the creates, writes nothing.
    preview = stack.preview()
    assert "+ 3 to create" in preview.stdout  # the stack, the CA, the association (which owns its rule)
    assert emulator.writes() == []

    # 2. up: the CA, the association and its rule exist, as the stack outputs say.
    emulator.clear_requests()
    stack.up()
    outputs = stack.outputs()
    [cert] = certificates(emulator)
    assert cert["id"] == outputs["certificateId"]
    assert sorted(associated(emulator, cert["id"])) == sorted(HOSTS) == sorted(outputs["hostnames"])
    [rule] = custom_rules(emulator)
    assert rule["id"] == outputs["ruleId"]
    first_ski = outputs["subjectKeyIdentifier"]
    assert all(rule_stops(rule, host, None) and not rule_stops(rule, host, first_ski) for host in HOSTS)
    assert write_kinds(emulator) == ["POST certificate", "PUT associations", "POST ruleset"]
    assert_declared_at_the_programs_line(stack)

    # 3. a second up changes nothing and writes nothing. With --debug, the SDK's own debug lines are shown for the
    # stack resource but not sent for this package's (cfmtls_provider/program_process.py); its warnings would be.
    emulator.clear_requests()
    again = stack.run("up", "--yes", "--debug")
    assert "3 unchanged" in again.stdout
    assert emulator.writes() == []
    assert "registering resource: ty=pulumi:pulumi:Stack" in again.stdout
    assert "registering resource: ty=pulumi-python:dynamic" not in again.stdout

    # 4. a hostname added is an in-place update: associated first, then required by the rule; no replacement.
    emulator.clear_requests()
    stack.set_hostnames([*HOSTS, "extra.example.com"])
    update = stack.up()
    assert "replaced" not in update.stdout
    assert write_kinds(emulator) == ["PUT associations", "PATCH rule"]
    assert sorted(associated(emulator, cert["id"])) == sorted([*HOSTS, "extra.example.com"])
    [rule] = custom_rules(emulator)
    assert rule_stops(rule, "extra.example.com", None) and not rule_stops(rule, "extra.example.com", first_ski)

    # 5. rotation, an in-place update of the association: new CA uploaded, the rule accepts both issuers, the
    #    hostnames move to the new CA, the old list is emptied, the rule pins the new issuer, the old CA is deleted,
    #    in that order.
    emulator.clear_requests()
    stack.config("caPemPath", str(write_ca(tmp_path, "second-ca")))
    rotation = stack.up()
    assert "replaced" in rotation.stdout and "1 updated" in rotation.stdout  # the CA replaced, the association not
    [new_cert] = certificates(emulator)
    assert new_cert["id"] != cert["id"]
    order = [(w["method"], w["path"], w.get("query", "")) for w in emulator.writes()]
    upload = next(i for i, (m, p, _) in enumerate(order) if m == "POST" and p.endswith("/mtls_certificates"))
    delete_old = next(i for i, (m, p, _) in enumerate(order) if m == "DELETE" and p.endswith(str(cert["id"])))
    puts = [i for i, (m, p, _) in enumerate(order) if m == "PUT"]
    patches = [i for i, (m, _, _) in enumerate(order) if m == "PATCH"]
    assert len(puts) == 2 and len(patches) == 2, order  # the new list, then the old one emptied; relax, then pin
    assert upload < patches[0] < puts[0] < puts[1] < patches[1] < delete_old, order
    assert sorted(associated(emulator, new_cert["id"])) == sorted([*HOSTS, "extra.example.com"])
    [rule] = custom_rules(emulator)
    second_ski = stack.outputs()["subjectKeyIdentifier"]
    assert second_ski != first_ski
    assert all(not rule_stops(rule, host, second_ski) and rule_stops(rule, host, first_ski) for host in HOSTS)

    # 7. destroy: the rule and the entrypoint the stack made, then the association, then the CA (retried while the
    # emulator's default association lag still counts it in use, as Cloudflare's delayed removal does); the
    # emulator ends empty, as the stack found it.
    emulator.clear_requests()
    stack.destroy()
    assert_destroy_order(emulator)
    assert certificates(emulator) == []
    assert emulator.state()["rulesets"] == []

    # 10. the token appears nowhere: state (secrets shown), CLI output, emulator log.
    stack.up()
    exported = stack.export(show_secrets=True) + stack.export()
    assert TOKEN not in exported
    assert TOKEN not in "\n".join(stack.log)
    assert TOKEN not in str(emulator.requests())
    stack.destroy()


def test_refresh_reports_drift_and_next_up_restores(tmp_path: Path, emulator: EmulatorAdmin, stack: Stack) -> None:
    stack.configure_example(write_ca(tmp_path, "ca"), HOSTS)
    stack.up()
    certificate_id = stack.outputs()["certificateId"]
    [rule] = custom_rules(emulator)
    with api_client(emulator) as api:  # out of band: a hostname removed, the rule switched to log only
        api.put(
            f"/zones/{ZONE_ID}/certificate_authorities/hostname_associations",
            json={"hostnames": ["api.example.com"], "mtls_certificate_id": certificate_id},
        ).raise_for_status()
        ruleset = api.get(f"/zones/{ZONE_ID}/rulesets/phases/http_request_firewall_custom/entrypoint").json()
        api.patch(
            f"/zones/{ZONE_ID}/rulesets/{ruleset['result']['id']}/rules/{rule['id']}",
            json={"action": "log", "expression": rule["expression"], "description": rule.get("description", "")},
        ).raise_for_status()
    refresh = stack.refresh()
    assert "HostnameAssociation corp-hosts updated" in refresh.stdout
    [changed] = re.findall(r"HostnameAssociation corp-hosts updated .*\[diff: [^\]]*~([\w,]+)\]", refresh.stdout)
    assert {"hostnames", "action"} <= set(changed.split(",")), refresh.stdout  # the list and the rule drifted
    plan = stack.preview()
    assert "~ 1 to update" in plan.stdout and '+ [1]: "admin.example.com"' in plan.stdout
    # The drifted rule's plan names what changed (the live value, then the one to restore).
    assert re.search(r'~ action\s*: "log" => "block"', plan.stdout), plan.stdout
    emulator.clear_requests()
    stack.up()
    assert sorted(associated(emulator, certificate_id)) == sorted(HOSTS)
    assert write_kinds(emulator) == ["PUT associations", "PATCH rule"]  # associated before required again
    [restored] = custom_rules(emulator)
    assert restored["action"] == "block" and all(rule_stops(restored, host, None) for host in HOSTS)


def test_refresh_of_a_stack_nothing_changed_leaves_every_recorded_input_as_it_was(
    tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    """A refresh that finds Cloudflare as the stack left it keeps each resource's inputs as the last ``pulumi up``
    recorded them (hostnames in the program's order, the planned rule, adopt_existing off). Had it recorded others,
    every resource of the next ``pulumi up`` (or of ``pulumi up --refresh``) would differ from its record, and the
    engine writes its whole state after each such resource: quadratic in the stack's size (docs/benchmarks.md)."""
    stack.configure_example(write_ca(tmp_path, "ca"), HOSTS)  # not in sorted order, as a program may list them
    stack.up()

    def recorded() -> dict[str, tuple[Any, Any]]:
        return {r["urn"]: (r.get("inputs"), r.get("outputs")) for r in stack.resources() if "cfmtls" in r["type"]}

    before = recorded()
    refresh = stack.refresh()
    assert "updated" not in refresh.stdout and recorded() == before, refresh.stdout
    again = stack.run("up", "--refresh", "--yes")
    assert "3 unchanged" in again.stdout and recorded() == before, again.stdout


def test_refresh_after_ca_deleted_out_of_band_forgets_it(tmp_path: Path, emulator: EmulatorAdmin, stack: Stack) -> None:
    stack.configure_example(write_ca(tmp_path, "ca"), HOSTS)
    stack.up()
    certificate_id = stack.outputs()["certificateId"]
    with api_client(emulator) as api:  # out of band: associations emptied, then the CA deleted
        api.put(
            f"/zones/{ZONE_ID}/certificate_authorities/hostname_associations",
            json={"hostnames": [], "mtls_certificate_id": certificate_id},
        ).raise_for_status()
        delete_once_the_lag_is_over(api, f"/accounts/{ACCOUNT_ID}/mtls_certificates/{certificate_id}")
    refresh = stack.refresh()
    assert "deleted" in refresh.stdout
    stack.up()
    [cert] = certificates(emulator)
    assert sorted(associated(emulator, str(cert["id"]))) == sorted(HOSTS)


def test_destroy_stops_on_association_made_outside_the_stack(
    tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    stack.configure_example(write_ca(tmp_path, "ca"), HOSTS)
    stack.up()
    certificate_id = stack.outputs()["certificateId"]
    other_zone = "1" * 32
    with api_client(emulator) as api:
        api.put(
            f"/zones/{other_zone}/certificate_authorities/hostname_associations",
            json={"hostnames": ["outside.example.com"], "mtls_certificate_id": certificate_id},
        ).raise_for_status()
    failed = stack.destroy(check=False)
    assert failed.returncode != 0
    message = failed.stdout + failed.stderr
    assert "Cannot delete CA certificate" in message and certificate_id in message
    assert "Traceback" not in message
    assert [c["id"] for c in certificates(emulator)] == [certificate_id]  # nothing half-deleted
    with api_client(emulator) as api:
        api.put(
            f"/zones/{other_zone}/certificate_authorities/hostname_associations",
            json={"hostnames": [], "mtls_certificate_id": certificate_id},
        ).raise_for_status()
    stack.destroy()
    assert certificates(emulator) == []


def test_a_foreign_execute_rule_survives_up_and_destroy(tmp_path: Path, emulator: EmulatorAdmin, stack: Stack) -> None:
    """A custom ruleset deployed by hand lives in the same entrypoint as an `execute` rule: never touched."""
    foreign = add_rule_by_hand(
        emulator,
        ZONE_ID,
        {
            "action": "execute",
            "expression": "true",
            "action_parameters": {"id": "4814384a9e5d4991b9815dcfc25d2f1f"},
            "description": "deploys a custom ruleset",
        },
    )
    stack.configure_example(write_ca(tmp_path, "ca"), HOSTS)
    stack.up()
    rules = custom_rules(emulator)
    assert rules[0]["id"] == foreign["id"] and len(rules) == 2
    stack.set_hostnames(["api.example.com"])
    stack.up()
    rules = custom_rules(emulator)
    assert rules[0] == foreign  # not one field changed, not even its version
    emulator.clear_requests()
    stack.destroy()
    assert_destroy_order(emulator, entrypoint_made_by_the_stack=False)  # it holds a rule of someone else's: kept
    assert custom_rules(emulator) == [foreign]


def test_a_hostname_outside_its_zone_fails_up_with_a_clear_message_and_nothing_half_done(
    tmp_path: Path, emulator: EmulatorAdmin, stack: Stack
) -> None:
    """A plain `pulumi up` refuses it at its preview (tests/e2e/test_preview_checks_the_zone.py); an `up` that skips
    the preview refuses it when the association is checked, after the CA it depends on is uploaded."""
    stack.configure_example(write_ca(tmp_path, "ca"), ["api.example.com", "api.example.org"])
    failed = stack.run("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0
    message = failed.stdout + failed.stderr
    assert "api.example.org is not in zone example.com" in message and "Traceback" not in message
    # Nothing half-done: no hostname associated, no rule; the CA uploaded first is in the stack's state.
    assert emulator.state()["associations"] == {}
    assert custom_rules(emulator) == []
    [cert] = certificates(emulator)
    assert [r["id"] for r in stack.resources() if r["type"].endswith("MTLSCertificate")] == [cert["id"]]
    stack.set_hostnames(["api.example.com"])
    stack.run("up", "--yes")
    assert sorted(associated(emulator, str(cert["id"]))) == ["api.example.com"]
