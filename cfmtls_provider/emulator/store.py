"""The live state behind one lock: copy-on-write mutation, persisted by :mod:`.state_file` when given a path.

A mutation works on a copy of the state and only replaces the live state when it succeeds, so an operation
that refuses half-way leaves nothing behind. With a state file, every successful mutation is on disk before it
is answered: a restart loses nothing.
The state itself (what it holds, its JSON form) is :mod:`.models.state`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .models.state import State, StateFileError
from .state_file import StateFile

__all__ = ["StateFileError", "Store"]


class Store:
    """The live state behind one lock, persisted to ``path`` (if given) after every mutation."""

    def __init__(self, path: Path | None = None, *, seed: Callable[[State], None] | None = None) -> None:
        """``seed`` adds what the state always holds (Cloudflare-managed certificates), at start and on reset."""
        self.path = path
        self._seed = seed
        self._lock = threading.RLock()
        self._file = StateFile(path) if path is not None else None
        self._state = self._file.load() if self._file is not None else State()
        try:
            with self.mutate() as state:  # also proves at start that the state file can be written
                if seed is not None:
                    seed(state)
        except OSError as exc:
            raise StateFileError(
                f"cannot write the emulator state file {self.path}: {exc.strerror or exc}; pass a writable --state-file"
            ) from exc

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
            self._save(self._state, draft, zone_id)
            self._state = draft

    def _save(self, before: State, after: State, zone_id: str | None) -> None:
        if self._file is not None:
            self._file.record(before, after, zone_id)

    def close(self) -> None:
        """A clean stop: the state file alone holds everything."""
        with self._lock:
            if self._file is not None:
                self._file.close(self._state)

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
