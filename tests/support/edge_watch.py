"""Who gets in, after every API write: the emulator's edge asked in process (as its TLS listener asks it) for each
client at each hostname, the moment each write is applied, so a provider test sees what users' clients see.

The timeline it records (the start, the moment after each write, the end) is judged by the one statement of the
ordering guarantees, :func:`cfmtls_provider.transitions.invariant_violations`, as the end-to-end suite does with
real TLS clients against an emulator process (``tests/e2e/edge_watch.py``); this one asks the edge's decision
(``emulator/edge/decide.py``) in the test's process, so the provider tests can watch every write cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from cfmtls_provider.client_auth import MultipleCAPolicy
from cfmtls_provider.emulator.edge.decide import EdgeRequest, answer
from cfmtls_provider.emulator.edge.log import EdgeLog
from cfmtls_provider.emulator.edge.setup import hostname_setup
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.transitions import Observation, invariant_violations
from tests.support.certs import CA, Cert

__all__ = ["EdgeWatch", "Moment", "watching"]

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Moment:
    """After one API write: the call (``"PUT /zones/..."``), its status, and who got in."""

    call: str
    status: int
    seen: Observation


@dataclass
class EdgeWatch:
    """Asks the edge about every (hostname, client) pair: a client of each CA in ``clients`` (a label, such as
    ``"old"``, -> the CA that issues its certificate) and a client without a certificate (None)."""

    server: EmulatorServer
    hosts: Sequence[str]
    clients: Mapping[str, CA]
    policy: MultipleCAPolicy = "newest"
    start: Observation = field(default_factory=Observation)
    moments: list[Moment] = field(default_factory=list)
    _leaves: dict[str, Cert] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._leaves = {label: ca.issue_cert(f"client of {label}") for label, ca in self.clients.items()}
        self.start = self.look()

    def admitted(self, host: str, client: str | None) -> bool:
        """Whether the edge lets a request to ``host`` through from the client labelled ``client`` (None: the client
        without a certificate)."""
        emulator = self.server.emulator
        with emulator.store.read() as state:
            setup = hostname_setup(state, host)
        chain = (self._leaves[client].cert,) if client is not None else ()
        request = EdgeRequest(setup=setup, client_chain=chain, host=host, path="/", method="GET")
        return answer(request, emulator.store, self.server.config.zones, EdgeLog(), self.policy).status == 200

    def look(self) -> Observation:
        return Observation(
            {(host, client): self.admitted(host, client) for host in self.hosts for client in (None, *self.clients)}
        )

    def record(self, method: str, path: str, status: int) -> None:
        if method in _WRITES:
            self.moments.append(Moment(f"{method} {path}", status, self.look()))

    def timeline(self) -> list[Observation]:
        """The start, the moment after each write, and now."""
        return [self.start, *(moment.seen for moment in self.moments), self.look()]

    def violations(self, rotation: tuple[str, str] | None = None) -> list[str]:
        """What broke the ordering guarantees since the watch began (empty: nothing)."""
        return invariant_violations(self.timeline(), rotation=rotation, hosts=self.hosts)

    def table(self) -> str:
        """The timeline for a person: one line per moment, ``+`` admitted and ``-`` refused per (host, client)."""
        keys = sorted(self.start.admitted, key=lambda key: (key[0], key[1] or ""))
        header = "  ".join(f"{host}/{client or 'none'}" for host, client in keys)

        def row(label: str, seen: Observation) -> str:
            return "  ".join("+" if seen.admitted.get(key) else "-" for key in keys) + f"  {label}"

        rows = [row("start", self.start)] + [row(f"{m.call} {m.status}", m.seen) for m in self.moments]
        return "\n".join([header, *rows])

    def everywhere(self, *clients: str) -> dict[str, set[str]]:
        """``clients`` admitted at every watched hostname (what :meth:`who_gets_in` answers when so)."""
        return {host: set(clients) for host in self.hosts}

    def who_gets_in(self, seen: Observation | None = None) -> dict[str, set[str]]:
        """Per hostname, the clients admitted (their labels, and ``"none"`` for no certificate): now, or at
        ``seen``."""
        seen = seen or self.look()
        found: dict[str, set[str]] = {host: set() for host in self.hosts}
        for (host, client), admitted in seen.admitted.items():
            if admitted:
                found[host].add(client or "none")
        return found


def watching(
    monkeypatch: pytest.MonkeyPatch,
    server: EmulatorServer,
    hosts: Sequence[str],
    clients: Mapping[str, CA],
    policy: MultipleCAPolicy = "newest",
) -> EdgeWatch:
    """An :class:`EdgeWatch` that records a moment after every API write from now to the end of the test."""
    watch = EdgeWatch(server, hosts, clients, policy)
    log = server.emulator.log
    append = log.append

    def append_and_look(method: str, path: str, query: str, status: int, *rest: Any) -> None:
        append(method, path, query, status, *rest)
        watch.record(method, path, status)

    monkeypatch.setattr(log, "append", append_and_look)
    return watch
