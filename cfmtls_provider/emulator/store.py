"""The live state behind one lock: copy-on-write mutation and JSON persistence.

A mutation works on a copy of the state and only replaces the live state when it succeeds, so an operation
that refuses half-way leaves nothing behind. With a state file, every successful mutation is written
atomically (temporary file in the same directory, fsync, rename): a restart loses nothing.
The state itself (what it holds, its JSON form) is :mod:`.models.state`.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .models.state import State, StateFileError

__all__ = ["StateFileError", "Store"]


class Store:
    """The live state behind one lock, persisted to ``path`` (if given) after every mutation."""

    def __init__(self, path: Path | None = None, *, seed: Callable[[State], None] | None = None) -> None:
        """``seed`` adds what the state always holds (Cloudflare-managed certificates), at start and on reset."""
        self.path = path
        self._seed = seed
        self._lock = threading.RLock()
        self._state = self._load() if path is not None else State()
        try:
            with self.mutate() as state:  # also proves at start that the state file can be written
                if seed is not None:
                    seed(state)
        except OSError as exc:
            raise StateFileError(
                f"cannot write the emulator state file {self.path}: {exc.strerror or exc}; pass a writable --state-file"
            ) from exc

    def _load(self) -> State:
        assert self.path is not None
        if not self.path.exists():
            return State()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return State.from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError, OSError, RecursionError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise StateFileError(
                f"cannot read the emulator state file {self.path}: {reason}; move it away or pass another --state-file"
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
    def mutate(self, zone_id: str | None = None) -> Iterator[State]:
        """A copy of the state to change; it replaces the live state (and is saved) only if the block succeeds.
        ``zone_id``: the block changes only that zone's lists and rulesets (:meth:`State.draft`)."""
        with self._lock:
            draft = self._state.draft(zone_id)
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
            if self._seed is not None:
                self._seed(state)
