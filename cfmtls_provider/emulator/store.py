"""The emulator's state, its thread-safe mutation and its JSON persistence.

A mutation works on a copy of the state and only replaces the live state when it succeeds, so an operation
that refuses half-way leaves nothing behind. With a state file, every successful mutation is written
atomically (temporary file in the same directory, fsync, rename): a restart loses nothing.
Private keys are never part of the state; only a flag says one was given.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MANAGED_CA", "Certificate", "Rule", "Ruleset", "State", "StateFileError", "Store"]

#: The association-list key used for the Cloudflare Managed CA (a PUT/GET without mtls_certificate_id).
MANAGED_CA = ""

_FORMAT_VERSION = 1


class StateFileError(RuntimeError):
    """The state file exists but cannot be read as an emulator state."""


@dataclass
class Certificate:
    id: str
    account_id: str
    ca: bool
    certificates: str
    name: str
    issuer: str
    serial_number: str
    signature: str
    expires_on: str
    uploaded_on: str
    updated_at: str
    content_fingerprint: str
    has_private_key: bool = False


@dataclass
class Rule:
    id: str
    ref: str
    action: str
    expression: str
    description: str
    enabled: bool
    version: int
    last_updated: str
    action_parameters: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None


@dataclass
class Ruleset:
    id: str
    zone_id: str
    name: str
    description: str
    kind: str
    phase: str
    version: int
    last_updated: str
    rules: list[Rule] = field(default_factory=list)


@dataclass
class State:
    """Everything the emulator holds. ``associations`` maps zone id -> CA id (MANAGED_CA for the managed
    CA) -> hostnames in the order sent; ``emptied_at`` maps zone id -> CA id -> epoch seconds when that list
    was last emptied (for the association lag)."""

    certificates: dict[str, Certificate] = field(default_factory=dict)
    associations: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    emptied_at: dict[str, dict[str, float]] = field(default_factory=dict)
    rulesets: dict[str, Ruleset] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": _FORMAT_VERSION,
            "certificates": [asdict(cert) for cert in self.certificates.values()],
            "associations": copy.deepcopy(self.associations),
            "emptied_at": copy.deepcopy(self.emptied_at),
            "rulesets": [asdict(ruleset) for ruleset in self.rulesets.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        if data.get("format_version") != _FORMAT_VERSION:
            raise StateFileError(f"unsupported state format_version {data.get('format_version')!r}")
        state = cls()
        for raw in data.get("certificates", []):
            cert = Certificate(**raw)
            state.certificates[cert.id] = cert
        state.associations = {z: {ca: list(h) for ca, h in cas.items()} for z, cas in data["associations"].items()}
        state.emptied_at = {z: {ca: float(t) for ca, t in cas.items()} for z, cas in data["emptied_at"].items()}
        for raw in data.get("rulesets", []):
            rules = [Rule(**rule) for rule in raw.pop("rules", [])]
            ruleset = Ruleset(**raw, rules=rules)
            state.rulesets[ruleset.id] = ruleset
        return state


class Store:
    """The live state behind one lock, persisted to ``path`` (if given) after every mutation."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._state = self._load() if path is not None else State()

    def _load(self) -> State:
        assert self.path is not None
        if not self.path.exists():
            return State()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return State.from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StateFileError(
                f"cannot read the emulator state file {self.path}: {exc}; move it away or pass another --state-file"
            ) from exc

    def _save(self, state: State) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state.to_json(), handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def read(self) -> Iterator[State]:
        """The live state, under the lock; do not mutate it here."""
        with self._lock:
            yield self._state

    @contextmanager
    def mutate(self) -> Iterator[State]:
        """A copy of the state to change; it replaces the live state (and is saved) only if the block succeeds."""
        with self._lock:
            draft = copy.deepcopy(self._state)
            yield draft
            self._save(draft)
            self._state = draft

    def snapshot(self) -> dict[str, Any]:
        """The state as JSON-ready data (never holds private keys: they are not stored)."""
        with self._lock:
            return self._state.to_json()

    def reset(self) -> None:
        with self.mutate() as state:
            state.certificates.clear()
            state.associations.clear()
            state.emptied_at.clear()
            state.rulesets.clear()
