"""Every change a user makes, watched by real TLS clients at the emulator's edge after EVERY API write of plain
`pulumi up` runs, checked against the ordering guarantees stated once in :func:`invariant_violations`: what both the
start and the end admit is admitted at every moment, what both refuse is refused at every moment (above all a request
without a certificate to a hostname protected before and after), and in a rotation the old or the new CA's clients
get in at every moment.

The program (tests/e2e/programs/transitions) is what a user writes: one MTLSCertificate, one HostnameAssociation per
zone, nothing wired between them. The probes include a name two labels under a wildcard, and the Host header in
upper case with a trailing dot (SNI cannot carry either), which the rule must treat as the hostname itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.transitions import Observation, invariant_violations
from tests.support.zones import ZONE, ZONE_ORG

from .edge_watch import (
    ADMIN,
    API,
    API_ABSOLUTE,
    ORG,
    PROBES,
    WILD,
    WILD_DEEP,
    EdgeWatch,
    Identity,
    Transitions,
    admitted,
    identity,
)
from .hard_kill import SKIP_CHECKPOINTS, run_killed_after_writes
from .harness import REPO, Stack, cfmtls, custom_rules

pytestmark = pytest.mark.e2e

PROGRAM = REPO / "tests" / "e2e" / "programs" / "transitions"


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config, edge_port=0) as server:
        yield server


@pytest.fixture
def clients(tmp_path: Path) -> dict[str, Identity]:
    return {name: identity(tmp_path / "certs", name) for name in ("A", "B", "C", "D")}


@pytest.fixture
def transitions(
    tmp_path: Path,
    emulator: EmulatorAdmin,
    emulator_server: EmulatorServer,
    pulumi_bin: str,
    monkeypatch: pytest.MonkeyPatch,
    clients: dict[str, Identity],
) -> Transitions:
    stack = Stack.create(tmp_path / "stack", emulator, pulumi_bin, program=PROGRAM)
    stack.config("caPemPath", str(clients["A"].ca))
    return Transitions(stack, emulator, EdgeWatch(emulator_server, clients), monkeypatch, {})


def test_first_up_hostnames_added_and_removed_zones_added_and_removed_and_destroy(
    transitions: Transitions, clients: dict[str, Identity], emulator_server: EmulatorServer
) -> None:
    t = transitions
    t.step("first up", lambda: t.set_zones({ZONE: ["api.example.com", "*.wild.example.com"]}))
    after = t.watch.rows[-1][1]
    assert admitted(after, API.host) == {"A"}
    assert admitted(after, API_ABSOLUTE.host) == {"A"}, "the Host header's case or trailing dot must not bypass it"
    assert admitted(after, WILD.host) == {"A"}
    assert admitted(after, WILD_DEEP.host) == {None, "A", "B", "C", "D"}, "the wildcard covers one label only"
    assert admitted(after, ADMIN.host) == {None, "A", "B", "C", "D"}  # not protected: untouched

    both = ["api.example.com", "admin.example.com", "*.wild.example.com"]
    t.step("add a hostname", lambda: t.set_zones({ZONE: both}), focus=ADMIN.host)
    assert admitted(t.watch.rows[-1][1], ADMIN.host) == {"A"}
    t.step("remove a hostname", lambda: t.set_zones({ZONE: ["admin.example.com", "*.wild.example.com"]}))
    assert admitted(t.watch.rows[-1][1], API.host) == {None, "A", "B", "C", "D"}
    t.step("add a zone", lambda: t.set_zones({**t.zones, ZONE_ORG: ["api.example.org"]}), focus=ORG.host)
    assert admitted(t.watch.rows[-1][1], ORG.host) == {"A"}
    t.step("remove a zone", lambda: t.set_zones({ZONE: t.zones[ZONE]}), focus=ORG.host)
    assert admitted(t.watch.rows[-1][1], ORG.host) == {None, "A", "B", "C", "D"}
    t.step("destroy", lambda: None, command="destroy", focus=ADMIN.host)
    state = t.emulator.state()
    assert state["rulesets"] == [], "destroy leaves Cloudflare as it found it: the entrypoints it made go too"
    assert state["certificates"] == []
    print(t.watch.table())


def test_rotations_plain_after_a_rename_with_aliases_and_after_a_stack_rename(
    transitions: Transitions, clients: dict[str, Identity]
) -> None:
    t = transitions
    t.step("first up", lambda: t.set_zones({ZONE: ["api.example.com", "*.wild.example.com"]}))
    t.step("rotate A to B", lambda: t.stack.config("caPemPath", str(clients["B"].ca)), rotation=("A", "B"))
    assert admitted(t.watch.rows[-1][1], API.host) == {"B"}

    def rename() -> None:
        t.stack.config("associationName", "edge-hosts")
        t.stack.config("alias", "corp-hosts")

    t.step("rename the association (aliases): nothing to write", rename, writes=False)
    t.step(
        "rotate B to C after the rename", lambda: t.stack.config("caPemPath", str(clients["C"].ca)), rotation=("B", "C")
    )
    assert admitted(t.watch.rows[-1][1], API.host) == {"C"}

    t.stack.run("stack", "rename", "e2e-renamed")
    t.stack.name = "e2e-renamed"
    t.step(
        "rotate C to D after pulumi stack rename",
        lambda: t.stack.config("caPemPath", str(clients["D"].ca)),
        rotation=("C", "D"),
    )
    assert admitted(t.watch.rows[-1][1], API.host) == {"D"}
    assert len(custom_rules(t.emulator)) == 1, "one rule, renamed and rotated in place"
    assert [cert["name"] for cert in t.emulator.state()["certificates"]] == [f"corp-ca [{_tag(t)}]"]
    print(t.watch.table())


def _tag(t: Transitions) -> str:
    [cert] = t.emulator.state()["certificates"]
    return str(cert["name"]).split("[", 1)[1].rstrip("]")


def _a_or_b_in_at_every_moment(t: Transitions, timeline: list[Observation]) -> None:
    """A rotation between A and B that ends back on A (which :func:`invariant_violations` does not cover: its start
    and end both admit A only): at every moment A's or B's clients get in, a request without a certificate never."""
    for moment in timeline:
        assert not moment.admitted[(API.host, None)], "a request without a certificate got in\n" + t.watch.table()
        assert moment.admitted[(API.host, "A")] or moment.admitted[(API.host, "B")], t.watch.table()


@pytest.mark.parametrize("fault", ["status=502", "commit_then_status=502"], ids=["refused", "applied-then-502"])
def test_a_rotation_that_fails_midway_is_rolled_back_by_a_plain_up_without_losing_the_live_ca(
    transitions: Transitions, clients: dict[str, Identity], fault: str
) -> None:
    """The new CA's association PUT fails (Cloudflare refused it, or applied it and answered 502); the user sets the
    old PEM back and runs `pulumi up`: one run converges, with the same upload of the old CA, no adopt_existing."""
    t = transitions
    t.step("first up", lambda: t.set_zones({ZONE: ["api.example.com"]}))
    [original] = t.emulator.state()["certificates"]

    t.emulator.add_faults(f"PUT:*/hostname_associations:{fault}:count=50")
    t.stack.config("caPemPath", str(clients["B"].ca))
    t.watch.rows.append(("== a rotation to B whose association PUT fails", {}))
    start = t.watch.observe("before")
    with t.watch.every_write(t.monkeypatch) as moments:
        failed = t.stack.up(check=False)
    after = t.watch.observe("after the failure")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "run 'pulumi up' again" in output and "Traceback" not in output, output
    _a_or_b_in_at_every_moment(t, [start, *moments, after])
    t.emulator.clear_faults()

    t.step("roll back to A", lambda: t.stack.config("caPemPath", str(clients["A"].ca)), rotation=("B", "A"))
    assert admitted(t.watch.rows[-1][1], API.host) == {"A"}
    assert t.stack.run("preview", "--expect-no-changes", check=False).returncode == 0
    [kept] = t.emulator.state()["certificates"]
    assert kept["id"] == original["id"], "the rollback keeps the live upload of A (taken back, never deleted)"
    assert len(custom_rules(t.emulator)) == 1
    print(t.watch.table())


def _first_up_with_checkpoints_skipped(t: Transitions) -> None:
    t.stack.env.update(SKIP_CHECKPOINTS)  # as README "Large stacks" recommends: a kill loses the run's records
    t.step("first up", lambda: t.set_zones({ZONE: ["api.example.com", "*.wild.example.com"]}))


def _rotation_killed_then_up(
    t: Transitions, writes: int, then: str, change: Callable[[], None], command: tuple[str, ...] = ("up", "--yes")
) -> list[Observation]:
    """A rotation to B SIGKILLed once its ``writes``-th API write is answered, then ``change`` to the program and
    ``command`` (a plain `pulumi up`); what the edge showed before, after every write of both runs, and after."""
    t.stack.config("caPemPath", str(t.watch.clients["B"].ca))
    t.watch.rows.append((f"== a rotation to B killed after write {writes}, then {then}", {}))
    start = t.watch.observe("before")
    with t.watch.every_write(t.monkeypatch) as moments:
        print(run_killed_after_writes(t.stack, t.emulator, "up", writes).describe())
        t.watch.rows.append((f"-- killed; {then}", {}))
        change()
        result = t.stack.run(*command)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "adopt_existing=True" not in output, output
    return [start, *moments, t.watch.observe("after")]


# The rotation's writes: B uploaded; the rule accepts A's or B's clients; B's list; A's list emptied; the rule pins B;
# A deleted. Killed after 2, 3 or 4, the zone is left mid-rotation and the stack's state at A (nothing recorded).
@pytest.mark.parametrize("writes", [2, 3, 4])
def test_a_rotation_killed_mid_run_is_finished_by_a_plain_up_then_rolled_back_like_any_rotation(
    transitions: Transitions, writes: int
) -> None:
    """README "Large stacks": after a hard kill, run the same program again before changing it. The plain up
    finishes the rotation the kill cut short, then the old PEM set back is a rotation like any other: the old or the
    new CA's clients in at every write of the three runs, one upload and one rule at the end, nothing left over."""
    t = transitions
    _first_up_with_checkpoints_skipped(t)
    timeline = _rotation_killed_then_up(t, writes, "a plain pulumi up", lambda: None)
    problems = invariant_violations(timeline, rotation=("A", "B"), hosts=[probe.host for probe in PROBES])
    assert not problems, "\n".join(problems) + "\n" + t.watch.table()
    assert admitted(t.watch.rows[-1][1], API.host) == {"B"}
    assert t.stack.run("preview", "--expect-no-changes", check=False).returncode == 0
    t.step("roll back to A", lambda: t.stack.config("caPemPath", str(t.watch.clients["A"].ca)), rotation=("B", "A"))
    assert admitted(t.watch.rows[-1][1], API.host) == {"A"}
    assert len(t.emulator.state()["certificates"]) == 1 and len(custom_rules(t.emulator)) == 1
    assert t.stack.run("preview", "--expect-no-changes", check=False).returncode == 0
    print(t.watch.table())


def test_a_rotation_killed_after_moving_the_list_then_rolled_back_with_up_refresh_keeps_a_or_b_in(
    transitions: Transitions,
) -> None:
    """The user answers a killed rotation by setting the old PEM back. The stack's state is still the one before the
    killed run, so the engine sees no change: README "Large stacks" says to run `pulumi up --refresh` then, which
    reads what the killed run wrote and moves the zone back to A from there, one of the two CAs' clients in at
    every moment, A's upload kept. B's upload, never recorded, stays in the account with no hostname (what
    `cfmtls inventory` reports as ca-unused)."""
    t = transitions
    _first_up_with_checkpoints_skipped(t)
    [original] = t.emulator.state()["certificates"]
    back_to_a = lambda: t.stack.config("caPemPath", str(t.watch.clients["A"].ca))  # noqa: E731
    then = "the old PEM set back and pulumi up --refresh"
    timeline = _rotation_killed_then_up(t, 3, then, back_to_a, ("up", "--yes", "--refresh"))
    _a_or_b_in_at_every_moment(t, timeline)
    assert admitted(t.watch.rows[-1][1], API.host) == {"A"}
    assert len(custom_rules(t.emulator)) == 1
    state = t.emulator.state()
    assert original["id"] in [c["id"] for c in state["certificates"]], "A's live upload is kept"
    [left] = [c["id"] for c in state["certificates"] if c["id"] != original["id"]]
    assert not [
        names for lists in state["associations"].values() for ca, names in lists.items() if ca == left and names
    ]
    inventory = cfmtls(t.stack, "inventory", "--json")
    [unused] = [f for f in json.loads(inventory.stdout)["findings"] if f["code"] == "ca-unused"]
    assert unused["ca_id"] == left and "a run killed with checkpoints skipped left behind" in unused["message"]
    assert t.stack.run("preview", "--expect-no-changes", check=False).returncode == 0
    print(t.watch.table())
