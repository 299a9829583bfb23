"""Watching the emulator's edge with real TLS clients after every API write of a `pulumi` run, and checking the
ordering guarantees (:func:`cfmtls_provider.transitions.invariant_violations`) over what they saw."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.edge.probe import fetch
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.throwaway_ca import main as throwaway_ca
from cfmtls_provider.transitions import Observation, invariant_violations

from .harness import WRITE_METHODS, Stack

__all__ = [
    "ADMIN",
    "API",
    "API_ABSOLUTE",
    "ORG",
    "PROBES",
    "WILD",
    "WILD_DEEP",
    "EdgeWatch",
    "Identity",
    "Probe",
    "Transitions",
    "admitted",
    "identity",
    "request_kind",
]


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


def identity(directory: Path, name: str) -> Identity:
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
            if method in WRITE_METHODS:  # refused ones too: a write applied then answered 5xx changed the state
                moments.append(self.observe(f"{method} {path}" + ("" if 200 <= status < 300 else f" -> {status}")))

        with monkeypatch.context() as patch:
            patch.setattr(log, "append", probing)
            yield moments

    def markdown(self, host: str, since: int = 0) -> str:
        """The rows from ``since`` on, for one host, as the README shows them."""
        labels = [None, *self.clients]
        lines = [
            "| API write | "
            + " | ".join(f"{label}'s client" if label else "no certificate" for label in labels)
            + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        for what, statuses in self.rows[since:]:
            if statuses:
                cells = " | ".join(str(statuses[(host, label)]) for label in labels)
                lines.append(f"| {request_kind(what)} | {cells} |")
        return "\n".join(lines)

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
        focus: str = API.host,
    ) -> list[Observation]:
        """Make ``change`` to the program's config, run plain `pulumi <command>`, and check the invariants over the
        timeline: before, after each API write, after."""
        change()
        self.watch.rows.append((f"== {title}", {}))
        since = len(self.watch.rows)
        start = self.watch.observe("before")
        with self.watch.every_write(self.monkeypatch) as moments:
            getattr(self.stack, command)()
        timeline = [start, *moments, self.watch.observe("after")]
        problems = invariant_violations(timeline, rotation=rotation, hosts=[probe.host for probe in PROBES])
        assert not problems, f"{title}:\n" + "\n".join(problems) + "\n" + self.watch.table()
        assert bool(moments) == writes, f"{title}: {len(moments)} API write(s) seen"
        print(f"\n{title} ({focus}):\n{self.watch.markdown(focus, since)}")
        return timeline


def request_kind(what: str) -> str:
    """A logged write as the README names it (``PATCH rule``), or the moment's name (``before``)."""
    method, _, rest = what.partition(" ")
    if not rest:
        return what
    path, _, failure = rest.partition(" -> ")
    if path.endswith("/mtls_certificates"):
        kind = "mtls_certificates (upload)"
    elif "/mtls_certificates/" in path:
        kind = "mtls_certificates/{id} (the old CA)"
    elif path.endswith("/hostname_associations"):
        kind = "hostname_associations (one CA's list)"
    elif path.endswith("/rulesets"):
        kind = "rulesets (the entrypoint, with the rule)"
    elif "/rules/" in path:
        kind = "rule"
    elif path.endswith("/rules"):
        kind = "rules (add the rule)"
    else:
        kind = "rulesets/{id} (the entrypoint)"
    return f"`{method} {kind}`" + (f" answered {failure}" if failure else "")


def admitted(statuses: Mapping[tuple[str, str | None], int], host: str) -> set[str | None]:
    return {label for (probed, label), status in statuses.items() if probed == host and status == 200}
