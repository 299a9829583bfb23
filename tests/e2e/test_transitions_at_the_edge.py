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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.edge.probe import fetch
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.throwaway_ca import main as throwaway_ca
from cfmtls_provider.transitions import Observation, invariant_violations
from tests.support.zones import ZONE, ZONE_ORG

from .harness import REPO, WRITE_METHODS, Stack, custom_rules

pytestmark = pytest.mark.e2e

PROGRAM = REPO / "tests" / "e2e" / "programs" / "transitions"


@dataclass(frozen=True)
class Identity:
    """A throwaway CA (its PEM file) and a client certificate it issued, with the key."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Probe:
    """A request: the SNI name the client connects with, and its Host header."""

    sni: str
    host: str


API = Probe("api.example.com", "api.example.com")
API_ABSOLUTE = Probe("api.example.com", "API.Example.COM.")
ADMIN = Probe("admin.example.com", "admin.example.com")
WILD = Probe("a.wild.example.com", "a.wild.example.com")
WILD_DEEP = Probe("a.b.wild.example.com", "a.b.wild.example.com")
ORG = Probe("api.example.org", "api.example.org")
PROBES = (API, API_ABSOLUTE, ADMIN, WILD, WILD_DEEP, ORG)


def _identity(directory: Path, name: str) -> Identity:
    directory.mkdir(parents=True, exist_ok=True)
    ca, cert = directory / f"{name}-ca.pem", directory / f"{name}.pem"
    throwaway_ca(["--out", str(ca), "--cn", f"{name} CA", "--client-out", str(cert)])
    return Identity(ca, cert, cert.with_suffix(".key"))


class EdgeWatch:
    """Asks every client on every probe, now or after each API write the emulator answers (its request log is
    appended as the answer starts: the state has changed, the provider has not seen the answer yet)."""

    def __init__(self, server: EmulatorServer, clients: Mapping[str, Identity]) -> None:
        self.server, self.clients = server, clients
        self.rows: list[tuple[str, dict[tuple[str, str | None], int]]] = []

    def statuses(self) -> dict[tuple[str, str | None], int]:
        edge = self.server.edge
        assert edge.ca_file is not None
        seen: dict[tuple[str, str | None], int] = {}
        for probe in PROBES:
            for label in (None, *self.clients):
                who = self.clients[label] if label else None
                answer = fetch(
                    edge.url,
                    edge.ca_file,
                    probe.sni,
                    host=probe.host,
                    cert=who.cert if who else None,
                    key=who.key if who else None,
                )
                seen[(probe.host, label)] = answer.status_code
        return seen

    def observe(self, what: str) -> Observation:
        statuses = self.statuses()
        self.rows.append((what, statuses))
        return Observation({key: status == 200 for key, status in statuses.items()})

    @contextmanager
    def every_write(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Observation]]:
        moments: list[Observation] = []
        log = self.server.emulator.log
        append = log.append

        def probing(method: str, path: str, query: str, status: int) -> None:
            append(method, path, query, status)
            if method in WRITE_METHODS and 200 <= status < 300:
                moments.append(self.observe(f"{method} {path}"))

        with monkeypatch.context() as patch:
            patch.setattr(log, "append", probing)
            yield moments

    def table(self, hosts: Sequence[str] = (API.host, ADMIN.host, WILD.host)) -> str:
        labels = [None, *self.clients]
        heading = " ".join(f"{host.split('.')[0]}:{label or '-'}" for host in hosts for label in labels)
        lines = [f"{'':<90} {heading}"]
        for what, statuses in self.rows:
            cells = (
                " ".join(
                    f"{statuses[(host, label)]:>{len(host.split('.')[0]) + 2}}" for host in hosts for label in labels
                )
                if statuses
                else ""
            )
            lines.append(f"{what[:90]:<90} {cells}")
        return "\n".join(lines)


@dataclass
class Transitions:
    stack: Stack
    emulator: EmulatorAdmin
    watch: EdgeWatch
    monkeypatch: pytest.MonkeyPatch
    zones: dict[str, list[str]]

    def set_zones(self, zones: Mapping[str, list[str]]) -> None:
        self.zones = {zone: list(names) for zone, names in zones.items()}
        self.stack.config("zones", json.dumps(self.zones))

    def step(
        self,
        title: str,
        change: Callable[[], None],
        *,
        rotation: tuple[str, str] | None = None,
        command: str = "up",
        writes: bool = True,
    ) -> list[Observation]:
        """Make ``change`` to the program's config, run plain `pulumi <command>`, and check the invariants over the
        timeline: before, after each API write, after."""
        change()
        self.watch.rows.append((f"== {title}", {}))
        start = self.watch.observe("before")
        with self.watch.every_write(self.monkeypatch) as moments:
            getattr(self.stack, command)()
        timeline = [start, *moments, self.watch.observe("after")]
        problems = invariant_violations(timeline, rotation=rotation, hosts=[probe.host for probe in PROBES])
        assert not problems, f"{title}:\n" + "\n".join(problems) + "\n" + self.watch.table()
        assert bool(moments) == writes, f"{title}: {len(moments)} API write(s) seen"
        return timeline


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config, edge_port=0) as server:
        yield server


@pytest.fixture
def clients(tmp_path: Path) -> dict[str, Identity]:
    return {name: _identity(tmp_path / "certs", name) for name in ("A", "B", "C", "D")}


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


def _admitted(statuses: Mapping[tuple[str, str | None], int], host: str) -> set[str | None]:
    return {label for (probed, label), status in statuses.items() if probed == host and status == 200}


def test_first_up_hostnames_added_and_removed_zones_added_and_removed_and_destroy(
    transitions: Transitions, clients: dict[str, Identity], emulator_server: EmulatorServer
) -> None:
    t = transitions
    t.step("first up", lambda: t.set_zones({ZONE: ["api.example.com", "*.wild.example.com"]}))
    after = t.watch.rows[-1][1]
    assert _admitted(after, API.host) == {"A"}
    assert _admitted(after, API_ABSOLUTE.host) == {"A"}, "the Host header's case or trailing dot must not bypass it"
    assert _admitted(after, WILD.host) == {"A"}
    assert _admitted(after, WILD_DEEP.host) == {None, "A", "B", "C", "D"}, "the wildcard covers one label only"
    assert _admitted(after, ADMIN.host) == {None, "A", "B", "C", "D"}  # not protected: untouched

    t.step(
        "add a hostname", lambda: t.set_zones({ZONE: ["api.example.com", "admin.example.com", "*.wild.example.com"]})
    )
    assert _admitted(t.watch.rows[-1][1], ADMIN.host) == {"A"}
    t.step("remove a hostname", lambda: t.set_zones({ZONE: ["admin.example.com", "*.wild.example.com"]}))
    assert _admitted(t.watch.rows[-1][1], API.host) == {None, "A", "B", "C", "D"}
    t.step("add a zone", lambda: t.set_zones({**t.zones, ZONE_ORG: ["api.example.org"]}))
    assert _admitted(t.watch.rows[-1][1], ORG.host) == {"A"}
    t.step("remove a zone", lambda: t.set_zones({ZONE: t.zones[ZONE]}))
    assert _admitted(t.watch.rows[-1][1], ORG.host) == {None, "A", "B", "C", "D"}
    t.step("destroy", lambda: None, command="destroy")
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
    assert _admitted(t.watch.rows[-1][1], API.host) == {"B"}

    def rename() -> None:
        t.stack.config("associationName", "edge-hosts")
        t.stack.config("alias", "corp-hosts")

    t.step("rename the association (aliases): nothing to write", rename, writes=False)
    t.step(
        "rotate B to C after the rename", lambda: t.stack.config("caPemPath", str(clients["C"].ca)), rotation=("B", "C")
    )
    assert _admitted(t.watch.rows[-1][1], API.host) == {"C"}

    t.stack.run("stack", "rename", "e2e-renamed")
    t.stack.name = "e2e-renamed"
    t.step(
        "rotate C to D after pulumi stack rename",
        lambda: t.stack.config("caPemPath", str(clients["D"].ca)),
        rotation=("C", "D"),
    )
    assert _admitted(t.watch.rows[-1][1], API.host) == {"D"}
    assert len(custom_rules(t.emulator)) == 1, "one rule, renamed and rotated in place"
    assert [cert["name"] for cert in t.emulator.state()["certificates"]] == [f"corp-ca [{_tag(t)}]"]
    print(t.watch.table())


def _tag(t: Transitions) -> str:
    [cert] = t.emulator.state()["certificates"]
    return str(cert["name"]).split("[", 1)[1].rstrip("]")
