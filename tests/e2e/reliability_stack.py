"""The reliability program (tests/e2e/programs/reliability): its folder, its project, the zones and hostnames
the fault and hard-kill suites declare in it (zones of tests/support/zones.py: alpha, beta and gamma.example), a
fresh stack of it, and what the emulator must hold after a run."""

from __future__ import annotations

import json
from pathlib import Path

from cfmtls_provider.cloudflare.models import CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.hostnames import sample_hostname
from tests.support.convergence import mismatches

from .harness import ACCOUNT_ID, Stack, rule_stops, write_ca

PROGRAM = Path(__file__).parent / "programs" / "reliability"
PROJECT = "cfmtls-reliability"
ZONES = ["a1" * 16, "b2" * 16, "c3" * 16]
HOSTNAMES = [
    ["api.alpha.example", "admin.alpha.example", "*.svc.alpha.example", "login.alpha.example"],
    ["api.beta.example", "admin.beta.example", "pay.beta.example", "status.beta.example"],
    ["api.gamma.example", "admin.gamma.example", "*.edge.gamma.example", "vpn.gamma.example"],
]


def new_reliability_stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str, **env: str) -> Stack:
    """A stack of the program with three fresh CAs, zone i using CA i, ``env`` added to its environment."""
    stack = Stack.create(tmp_path, emulator, pulumi_bin, program=PROGRAM)
    stack.env.update(env)
    paths = [write_ca(tmp_path, f"ca-{index}") for index in range(3)]
    config = {
        f"{PROJECT}:caPemPaths": [str(path) for path in paths],
        f"{PROJECT}:zones": [
            {"id": zone, "ca": index, "hostnames": HOSTNAMES[index]} for index, zone in enumerate(ZONES)
        ],
    }
    (stack.workdir / f"Pulumi.{stack.name}.yaml").write_text(json.dumps({"config": config}))
    return stack


def rotate(stack: Stack, tmp_path: Path, index: int = 1) -> None:
    """Give CA ``index`` a new PEM: the next up rotates it."""
    stack.config(f"caPemPaths[{index}]", str(write_ca(tmp_path, f"ca-{index}-next")), path=True)


# -- what the emulator holds against what the stack says ------------------------------------------------------


def assert_emulator_matches_state(
    stack: Stack, emulator: EmulatorAdmin, foreign_rules: frozenset[str] = frozenset()
) -> None:
    """No duplicate or orphan CA, every hostname list equal to the stack's, no stray rule."""
    problems = mismatches(
        stack.resources(), emulator.state(), accounts=frozenset({ACCOUNT_ID}), foreign_rules=foreign_rules
    )
    assert not problems, "; ".join(problems)


def assert_converged(stack: Stack, emulator: EmulatorAdmin, foreign_rules: frozenset[str] = frozenset()) -> None:
    """The emulator matches the stack, and the stack is what the program declares (nothing pending)."""
    assert_emulator_matches_state(stack, emulator, foreign_rules)
    resources = stack.resources()
    assert not [r["urn"] for r in resources if r.get("delete")], "a replaced resource is still pending deletion"
    cas = {r["urn"].rpartition("::")[2]: r for r in resources if r["type"].endswith(":MTLSCertificate")}
    assert sorted(cas) == ["ca-0", "ca-1", "ca-2"]
    entry = json.loads(stack.run("config", "--json").stdout)[f"{PROJECT}:caPemPaths"]
    paths = entry.get("objectValue") or json.loads(entry["value"])
    for index, path in enumerate(paths):
        assert cas[f"ca-{index}"]["outputs"]["certificates"] == Path(path).read_text()
    state = emulator.state()
    skis = {ca["outputs"]["subject_key_identifier"] for ca in cas.values()}
    for index, zone in enumerate(ZONES):
        ca = cas[f"ca-{index}"]
        assert sorted(state["associations"][zone][ca["id"]]) == sorted(HOSTNAMES[index])
        [ruleset] = [rs for rs in state["rulesets"] if rs["zone_id"] == zone]
        [rule] = [r for r in ruleset["rules"] if r["id"] not in foreign_rules]
        # The zone's rule refuses a request without a certificate, or with another CA's, to every hostname of the
        # zone, and lets this CA's clients through: it pins this CA, not a rotated-away one.
        ski = ca["outputs"]["subject_key_identifier"]
        for host in map(sample_hostname, HOSTNAMES[index]):
            stopped = {issuer: rule_stops(rule, host, issuer) for issuer in (None, *skis)}
            assert stopped == {issuer: issuer != ski for issuer in stopped}, (zone, host, stopped)


def assert_destroyed(emulator: EmulatorAdmin, foreign_rules: frozenset[str] = frozenset()) -> None:
    """Nothing of the stack is left: no CA, no list, no rule, and no entrypoint the stack made (an entrypoint
    holding a rule made outside the stack is kept)."""
    state = emulator.state()
    assert state["certificates"] == []
    assert not [names for lists in state["associations"].values() for names in lists.values() if names]
    assert {r["id"] for rs in state["rulesets"] for r in rs["rules"]} == set(foreign_rules)
    made_by_the_stack = [
        rs["zone_id"] for rs in state["rulesets"] if rs["description"] == CUSTOM_RULES_ENTRYPOINT_DESCRIPTION
    ]
    assert made_by_the_stack == [], f"entrypoints the stack made are left in zones {made_by_the_stack}"
