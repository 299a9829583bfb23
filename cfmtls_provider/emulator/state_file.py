"""The emulator's state on disk (``--state-file``): a snapshot, and a journal of the writes since, beside it.

Writing the whole state after every change cost O(state) per write: a 1000-zone stack's create spent 24 s of the
emulator's time in it where the same writes take 1.4 s in memory (docs/benchmarks.md). So a write to one zone
appends that zone's new lists and rulesets (and the certificates, when they changed) as one line to
``<state file>.journal``, flushed to disk before the write is answered, as the snapshot was: an answered write
survives a crash. Once the journal outgrows the snapshot, the snapshot is written anew and the journal started
over, so each write costs O(its zone) on average. A clean stop folds the journal into the snapshot.

The journal's first line names the snapshot it follows (a generation number, in both files): a crash between
writing a new snapshot and starting the journal over leaves a journal of an older generation, which is ignored
(the snapshot already holds it). A last line cut short by a crash was never answered: it is ignored too.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .models.state import FORMAT_VERSION, Ruleset, State, StateFileError

__all__ = ["StateFile"]

_GENERATION = "journal_generation"
#: The journal is folded into the snapshot once it is this much bigger than the snapshot (and past the minimum).
_MIN_JOURNAL_BYTES = 64 * 1024


class StateFile:
    """The snapshot at ``path`` and its journal at ``path.journal``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal_path = path.with_name(f"{path.name}.journal")
        self._generation = 0
        self._snapshot_bytes = 0
        self._journal: IO[str] | None = None
        self._journal_bytes = 0
        #: An append failed (a full disk): its line may be cut short, so the next write is a whole snapshot.
        self._snapshot_due = False

    # -- reading ------------------------------------------------------------------------------------------

    def load(self) -> State:
        """The state the files hold (empty when there is no snapshot yet)."""
        if not self.path.exists():
            return State()
        try:
            text = self.path.read_text(encoding="utf-8")
            data = json.loads(text)
            self._generation = int(data.get(_GENERATION, 0))
            state = State.from_json(data)
            self._snapshot_bytes = len(text)
            self._replay(state)
        except (ValueError, TypeError, KeyError, AttributeError, OSError, RecursionError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise StateFileError(
                f"cannot read the emulator state file {self.path}: {reason}; move it away (with "
                f"{self.journal_path.name} beside it) or pass another --state-file"
            ) from exc
        return state

    def _replay(self, state: State) -> None:
        if not self.journal_path.exists():
            return
        lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        if not lines or json.loads(lines[0]).get(_GENERATION) != self._generation:
            return  # a journal the snapshot already holds (a crash before it was started over)
        for number, line in enumerate(lines[1:], start=2):
            try:
                entry = json.loads(line)
            except ValueError:
                if number == len(lines):
                    break  # cut short by a crash before it was flushed: that write was never answered
                raise
            _apply(state, entry)

    # -- writing -------------------------------------------------------------------------------------------

    def record(self, before: State, after: State, zone_id: str | None) -> None:
        """Make ``after`` durable. ``zone_id``: the write changed only that zone (and maybe the certificates)."""
        if zone_id is None or self._snapshot_due or self._journal_bytes > max(_MIN_JOURNAL_BYTES, self._snapshot_bytes):
            self.write_snapshot(after)
            return
        entry: dict[str, Any] = {
            "zone": zone_id,
            "associations": after.associations.get(zone_id),
            "emptied_at": after.emptied_at.get(zone_id),
            "rulesets": [asdict(ruleset) for ruleset in _zone_rulesets(after, zone_id)],
        }
        if after.certificates != before.certificates:
            entry["certificates"] = [asdict(cert) for cert in after.certificates.values()]
        self._append(json.dumps(entry, separators=(",", ":")))

    def write_snapshot(self, state: State) -> None:
        """The whole state, atomically (a temporary file in the same directory, fsync, rename); the journal
        starts over."""
        self._close_journal()
        self._generation += 1
        text = json.dumps({**state.to_json(), _GENERATION: self._generation}, indent=2, sort_keys=True)
        _write_atomically(self.path, text)
        self._snapshot_bytes = len(text)
        self.journal_path.unlink(missing_ok=True)
        self._snapshot_due = False

    def close(self, state: State) -> None:
        """A clean stop: the journal folded into the snapshot, so that the state file alone holds everything."""
        if self._journal is not None:
            self.write_snapshot(state)

    def _append(self, line: str) -> None:
        try:
            if self._journal is None:
                descriptor = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # as the snapshot
                self._journal = os.fdopen(descriptor, "w", encoding="utf-8")
                header = json.dumps({_GENERATION: self._generation}) + "\n"
                self._journal.write(header)
                self._journal_bytes = len(header)
            self._journal.write(line + "\n")
            self._journal.flush()
            os.fsync(self._journal.fileno())
        except BaseException:
            self._snapshot_due = True
            raise
        self._journal_bytes += len(line) + 1

    def _close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self._journal_bytes = 0


def _zone_rulesets(state: State, zone_id: str) -> list[Ruleset]:
    return [ruleset for ruleset in state.rulesets.values() if ruleset.zone_id == zone_id]


def _apply(state: State, entry: dict[str, Any]) -> None:
    """One journal line onto the state: the zone's parts replaced, and the certificates when it holds them."""
    zone_id = entry["zone"]
    replayed = State.from_json(
        {
            "format_version": FORMAT_VERSION,
            "certificates": entry.get("certificates", []),
            "associations": {zone_id: entry["associations"]} if entry["associations"] is not None else {},
            "emptied_at": {zone_id: entry["emptied_at"]} if entry["emptied_at"] is not None else {},
            "rulesets": entry["rulesets"],
        }
    )
    state.associations.pop(zone_id, None)
    state.associations.update(replayed.associations)
    state.emptied_at.pop(zone_id, None)
    state.emptied_at.update(replayed.emptied_at)
    for ruleset in _zone_rulesets(state, zone_id):
        del state.rulesets[ruleset.id]
    state.rulesets.update(replayed.rulesets)
    if "certificates" in entry:
        state.certificates = replayed.certificates


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
