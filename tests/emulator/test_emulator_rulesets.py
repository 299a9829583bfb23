"""The emulator's zone rulesets for WAF custom rules: entrypoint, rules added, patched, deleted, versions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cfmtls_provider.emulator.server import EmulatorServer

ZONE = "fedcba9876543210fedcba9876543210"
PHASE = "http_request_firewall_custom"
RULESETS = f"/zones/{ZONE}/rulesets"
ENTRYPOINT = f"{RULESETS}/phases/{PHASE}/entrypoint"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
RULE = {
    "action": "block",
    "expression": '(http.host in {"a.example.com"} and not cf.tls_client_auth.cert_verified)',
    "description": "mTLS required",
    "enabled": True,
}


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def create_entrypoint(api: httpx.Client, rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "default", "kind": "zone", "phase": PHASE}
    if rules is not None:
        body["rules"] = rules
    response = api.post(RULESETS, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def add(api: httpx.Client, ruleset_id: str, **fields: Any) -> httpx.Response:
    return api.post(f"{RULESETS}/{ruleset_id}/rules", json={**RULE, **fields})


def refs(ruleset: dict[str, Any]) -> list[str]:
    return [rule["ref"] for rule in ruleset["rules"]]


def test_entrypoint_is_404_until_created(api: httpx.Client) -> None:
    missing = api.get(ENTRYPOINT)
    assert missing.status_code == 404
    [error] = missing.json()["errors"]
    assert error["code"] == 10003 and PHASE in error["message"]
    created = create_entrypoint(api)
    assert HEX32.match(created["id"]) and created["version"] == "1" and created["rules"] == []
    assert created["kind"] == "zone" and created["phase"] == PHASE and created["last_updated"].endswith("Z")
    assert api.get(ENTRYPOINT).json()["result"] == created
    assert api.get(f"{RULESETS}/{created['id']}").json()["result"] == created


def test_second_entrypoint_is_refused(api: httpx.Client) -> None:
    create_entrypoint(api)
    again = api.post(RULESETS, json={"name": "again", "kind": "zone", "phase": PHASE})
    assert again.status_code == 400
    [error] = again.json()["errors"]
    assert error["code"] == 20217 and f"exceeded maximum number of zone rulesets for phase {PHASE}" in error["message"]


def test_create_with_rules_gives_ids_and_default_refs(api: httpx.Client) -> None:
    ruleset = create_entrypoint(api, [RULE, {**RULE, "ref": "mine"}])
    first, second = ruleset["rules"]
    assert HEX32.match(first["id"]) and first["ref"] == first["id"] and first["version"] == "1"
    assert second["ref"] == "mine"
    assert {"id", "version", "action", "expression", "description", "enabled", "ref", "last_updated"} <= set(first)


def test_add_patch_delete_keep_other_rules_and_bump_versions(api: httpx.Client) -> None:
    ruleset_id = create_entrypoint(api, [{**RULE, "ref": "dashboard"}])["id"]
    added = add(api, ruleset_id, ref="cfmtls").json()["result"]
    assert added["version"] == "2" and refs(added) == ["dashboard", "cfmtls"]
    mine = added["rules"][1]
    dashboard_rule = added["rules"][0]

    patched = api.patch(
        f"{RULESETS}/{ruleset_id}/rules/{mine['id']}",
        json={"action": "managed_challenge", "expression": "true", "description": "", "enabled": False},
    ).json()["result"]
    assert patched["version"] == "3" and refs(patched) == ["dashboard", "cfmtls"]  # omitted ref is kept
    new_mine = patched["rules"][1]
    assert new_mine["id"] == mine["id"] and new_mine["version"] == "2"
    assert (new_mine["action"], new_mine["expression"], new_mine["enabled"]) == ("managed_challenge", "true", False)
    assert patched["rules"][0] == dashboard_rule

    deleted = api.delete(f"{RULESETS}/{ruleset_id}/rules/{mine['id']}").json()["result"]
    assert deleted["version"] == "4" and deleted["rules"] == [dashboard_rule]


def test_positions(api: httpx.Client) -> None:
    ruleset_id = create_entrypoint(api, [{**RULE, "ref": "a"}, {**RULE, "ref": "b"}])["id"]
    a_id = api.get(ENTRYPOINT).json()["result"]["rules"][0]["id"]
    assert refs(add(api, ruleset_id, ref="first", position={"before": a_id}).json()["result"]) == [
        "first",
        "a",
        "b",
    ]
    assert refs(add(api, ruleset_id, ref="after-a", position={"after": a_id}).json()["result"])[2] == "after-a"
    assert refs(add(api, ruleset_id, ref="second", position={"index": 2}).json()["result"])[1] == "second"
    assert refs(add(api, ruleset_id, ref="last", position={"index": 6}).json()["result"])[-1] == "last"
    for position in ({"after": "0" * 32}, {"index": 8}, {"index": 0}, {"index": 1, "after": ""}):
        bad = add(api, ruleset_id, ref="x", position=position)
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 20100, position
    assert len(api.get(ENTRYPOINT).json()["result"]["rules"]) == 6


def test_patch_with_only_a_position_moves_the_rule_unchanged(api: httpx.Client) -> None:
    ruleset = create_entrypoint(api, [{**RULE, "ref": "a", "description": "keep me"}, {**RULE, "ref": "b"}])
    a = ruleset["rules"][0]
    moved = api.patch(f"{RULESETS}/{ruleset['id']}/rules/{a['id']}", json={"position": {"after": ""}})
    assert moved.status_code == 200, moved.text
    result = moved.json()["result"]
    assert refs(result) == ["b", "a"] and result["version"] == "2"
    after = result["rules"][1]
    assert {k: after[k] for k in ("id", "expression", "action", "description", "enabled")} == {
        k: a[k] for k in ("id", "expression", "action", "description", "enabled")
    }
    out_of_range = api.patch(f"{RULESETS}/{ruleset['id']}/rules/{a['id']}", json={"position": {"index": 3}})
    assert out_of_range.status_code == 400


def test_execute_rules_are_accepted_with_their_parameters(api: httpx.Client) -> None:
    deploy = {
        "action": "execute",
        "expression": "true",
        "action_parameters": {"id": "4814384a9e5d4991b9815dcfc25d2f1f"},
        "ref": "deploy",
    }
    ruleset = create_entrypoint(api, [deploy])
    [rule] = ruleset["rules"]
    assert rule["action"] == "execute" and rule["action_parameters"] == {"id": "4814384a9e5d4991b9815dcfc25d2f1f"}


def test_put_replaces_the_rules_keeping_ids_sent_and_delete_removes_the_ruleset(api: httpx.Client) -> None:
    ruleset = create_entrypoint(api, [{**RULE, "ref": "a"}, {**RULE, "ref": "b"}])
    a, _b = ruleset["rules"]
    body = {
        "name": ruleset["name"],
        "kind": "zone",
        "phase": PHASE,
        "description": "replaced",
        "rules": [{"id": a["id"], **RULE, "ref": "a", "description": "changed"}, {**RULE, "ref": "c"}],
    }
    replaced = api.put(f"{RULESETS}/{ruleset['id']}", json=body)
    assert replaced.status_code == 200, replaced.text
    result = replaced.json()["result"]
    assert result["id"] == ruleset["id"] and result["version"] == "2" and result["description"] == "replaced"
    kept, added = result["rules"]
    assert kept["id"] == a["id"] and kept["version"] == "2" and kept["description"] == "changed"
    assert added["ref"] == "c" and added["id"] not in (rule["id"] for rule in ruleset["rules"])
    assert added["version"] == "1"
    assert (
        api.put(f"{RULESETS}/{ruleset['id']}", json={**body, "phase": "http_request_firewall_managed"}).status_code
        == 400
    )
    unknown_id = api.put(f"{RULESETS}/{ruleset['id']}", json={"rules": [{"id": "0" * 32, **RULE}]})
    assert unknown_id.status_code == 400
    deleted = api.delete(f"{RULESETS}/{ruleset['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(ENTRYPOINT).status_code == 404
    assert api.delete(f"{RULESETS}/{ruleset['id']}").status_code == 404
    assert create_entrypoint(api)["rules"] == []  # the phase is free again


@pytest.mark.parametrize(
    "fields",
    [{"action": "allow"}, {"action": None}, {"expression": ""}, {"expression": None}, {"enabled": "yes"}],
    ids=["bad-action", "no-action", "empty-expression", "no-expression", "bad-enabled"],
)
def test_invalid_rules_are_refused(api: httpx.Client, fields: dict[str, Any]) -> None:
    ruleset_id = create_entrypoint(api)["id"]
    body = {key: value for key, value in {**RULE, **fields}.items() if value is not None}
    response = api.post(f"{RULESETS}/{ruleset_id}/rules", json=body)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 20100
    assert api.get(ENTRYPOINT).json()["result"]["version"] == "1"


def test_duplicate_ref_is_refused(api: httpx.Client) -> None:
    ruleset_id = create_entrypoint(api, [{**RULE, "ref": "cfmtls"}])["id"]
    assert add(api, ruleset_id, ref="cfmtls").status_code == 400
    other = add(api, ruleset_id, ref="other").json()["result"]["rules"][1]
    clash = api.patch(f"{RULESETS}/{ruleset_id}/rules/{other['id']}", json={**RULE, "ref": "cfmtls"})
    assert clash.status_code == 400


def test_unknown_ruleset_or_rule_is_404(api: httpx.Client) -> None:
    ruleset_id = create_entrypoint(api)["id"]
    unknown = "0" * 32
    assert api.get(f"{RULESETS}/{unknown}").status_code == 404
    assert add(api, unknown).status_code == 404
    assert api.patch(f"{RULESETS}/{ruleset_id}/rules/{unknown}", json=RULE).status_code == 404
    missing = api.delete(f"{RULESETS}/{ruleset_id}/rules/{unknown}")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == 10003
    other_zone = f"/zones/{'1' * 32}/rulesets/{ruleset_id}"
    assert api.get(other_zone).status_code == 404


def test_a_root_ruleset_in_a_zone_is_refused_with_the_kind_named(api: httpx.Client) -> None:
    answer = api.post(RULESETS, json={"name": "x", "kind": "root", "phase": PHASE})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    # Cloudflare's words and code, as quoted in cloudflare/terraform-provider-cloudflare#2542
    assert error["code"] == 20004
    assert (
        error["message"]
        == f'\'root\' is not a valid value for kind because kind "root" cannot be used for phase "{PHASE}"'
    )


def test_only_zone_kind_and_custom_phase(api: httpx.Client) -> None:
    for body in (
        {"name": "x", "kind": "custom", "phase": PHASE},
        {"name": "x", "kind": "zone", "phase": "http_request_firewall_managed"},
        {"kind": "zone", "phase": PHASE},
    ):
        assert api.post(RULESETS, json=body).status_code == 400
