"""The emulator's store: a write to one zone copies that zone only, changes nothing of another zone's, and a refused
write changes nothing at all (the copy-on-write that once deep-copied the whole state per write: O(zones^2) a run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cfmtls_provider.emulator.models.state import Ruleset, State
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.certs import make_ca
from tests.support.zones import ACCOUNT, ZONE, ZONE_ORG

PHASE = "http_request_firewall_custom"
RULE = {"action": "block", "expression": '(http.host eq "api.example.com")', "description": "d", "enabled": True}


def rulesets_path(zone: str) -> str:
    return f"/zones/{zone}/rulesets"


def hosts_path(zone: str) -> str:
    return f"/zones/{zone}/certificate_authorities/hostname_associations"


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def live(emulator: EmulatorServer) -> State:
    with emulator.emulator.store.read() as state:
        return state


def zone_objects(state: State, zone: str) -> list[Any]:
    """The live objects that hold a zone's lists and rulesets."""
    rulesets: list[Any] = [ruleset for ruleset in state.rulesets.values() if ruleset.zone_id == zone]
    return [state.associations.get(zone), state.emptied_at.get(zone), *rulesets]


def set_up(api: httpx.Client, zone: str, hostname: str, ca: str) -> dict[str, Any]:
    """A zone with a list of CA ``ca`` and an entrypoint holding one rule; returns the entrypoint."""
    assert api.put(hosts_path(zone), json={"hostnames": [hostname], "mtls_certificate_id": ca}).status_code == 200
    created = api.post(rulesets_path(zone), json={"name": "e", "kind": "zone", "phase": PHASE, "rules": [RULE]})
    assert created.status_code == 200, created.text
    result: dict[str, Any] = created.json()["result"]
    return result


def test_a_zone_draft_copies_that_zone_and_shares_the_others() -> None:
    state = State()
    state.associations = {"a": {"ca": ["x.example.com"]}, "b": {"ca": ["y.example.org"]}}
    state.rulesets = {
        "ra": Ruleset("ra", "a", "n", "d", "zone", PHASE, 1, "t"),
        "rb": Ruleset("rb", "b", "n", "d", "zone", PHASE, 1, "t"),
    }
    draft = state.draft("a")
    assert draft.associations["b"] is state.associations["b"] and draft.rulesets["rb"] is state.rulesets["rb"]
    assert draft.associations["a"] is not state.associations["a"] and draft.rulesets["ra"] is not state.rulesets["ra"]
    draft.associations["a"]["ca"].append("z.example.com")
    draft.rulesets["ra"].version = 2
    assert state.associations["a"] == {"ca": ["x.example.com"]} and state.rulesets["ra"].version == 1
    whole = state.draft()
    assert whole.associations["b"] is not state.associations["b"] and whole == state


def test_every_write_to_one_zone_leaves_the_other_zone_untouched(emulator: EmulatorServer, api: httpx.Client) -> None:
    ca = api.post(f"/accounts/{ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": make_ca().pem})
    ca_id = ca.json()["result"]["id"]
    entry = set_up(api, ZONE, "api.example.com", ca_id)
    set_up(api, ZONE_ORG, "api.example.org", ca_id)
    rules = f"{rulesets_path(ZONE)}/{entry['id']}/rules"
    rule_id = entry["rules"][0]["id"]
    writes: list[Callable[[], httpx.Response]] = [
        lambda: api.put(hosts_path(ZONE), json={"hostnames": ["www.example.com"], "mtls_certificate_id": ca_id}),
        lambda: api.post(rules, json={**RULE, "ref": "second"}),
        lambda: api.patch(f"{rules}/{rule_id}", json={**RULE, "description": "patched"}),
        lambda: api.delete(f"{rules}/{rule_id}"),
        lambda: api.put(f"{rulesets_path(ZONE)}/{entry['id']}", json={"rules": [RULE]}),
        lambda: api.put(hosts_path(ZONE), json={"hostnames": [], "mtls_certificate_id": ca_id}),
        lambda: api.delete(f"{rulesets_path(ZONE)}/{entry['id']}"),
        lambda: api.post(rulesets_path(ZONE), json={"name": "e", "kind": "zone", "phase": PHASE}),
    ]
    for number, write in enumerate(writes, 1):
        other_before, other_json = zone_objects(live(emulator), ZONE_ORG), emulator.state()
        answer = write()
        assert answer.status_code in (200, 204), (number, answer.text)
        after = zone_objects(live(emulator), ZONE_ORG)
        assert all(a is b for a, b in zip(after, other_before, strict=True)), f"write {number} copied the other zone"
        assert _zone_json(emulator.state(), ZONE_ORG) == _zone_json(other_json, ZONE_ORG), number


def test_a_refused_write_to_a_zone_changes_nothing(emulator: EmulatorServer, api: httpx.Client) -> None:
    ca = api.post(f"/accounts/{ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": make_ca().pem})
    entry = set_up(api, ZONE, "api.example.com", ca.json()["result"]["id"])
    before = emulator.state()
    rules = f"{rulesets_path(ZONE)}/{entry['id']}/rules"
    refused = api.post(rules, json={**RULE, "ref": "x", "position": {"index": 9}})  # out of range: 400
    assert refused.status_code == 400
    duplicate_refs = api.put(f"{rulesets_path(ZONE)}/{entry['id']}", json={"rules": [{**RULE, "ref": "r"}] * 2})
    assert duplicate_refs.status_code == 400
    assert emulator.state() == before


def _zone_json(state: dict[str, Any], zone: str) -> Any:
    rulesets = [ruleset for ruleset in state["rulesets"] if ruleset["zone_id"] == zone]
    return state["associations"].get(zone), state["emptied_at"].get(zone), rulesets
