"""The emulator's state file: every answered write survives a kill -9 of the emulator, a write costs its zone, not
the whole state (a journal beside the snapshot, folded in once it outgrows it), and a clean stop leaves the state
file alone holding everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cfmtls_provider.emulator import assumptions
from cfmtls_provider.emulator.models.state import Rule, Ruleset, State
from cfmtls_provider.emulator.store import Store
from tests.support.certs import make_ca
from tests.support.zones import ACCOUNT

ZONES = [f"{index:032x}" for index in range(0xF000, 0xF00C)]
PHASE = "http_request_firewall_custom"
HOSTS = "/certificate_authorities/hostname_associations"


def _ruleset(zone: str, rules: int) -> Ruleset:
    return Ruleset(
        id=f"rs{zone}",
        zone_id=zone,
        name="e",
        description="",
        kind="zone",
        phase=PHASE,
        version=rules,
        last_updated="2026-12-07T00:00:00Z",
        rules=[
            Rule(f"r{index}", f"ref{index}", "block", "true", "d", True, 1, "2026-12-07T00:00:00Z")
            for index in range(rules)
        ],
    )


def _write_zone(store: Store, zone: str, hostnames: list[str], rules: int) -> None:
    with store.mutate(zone) as state:
        state.associations.setdefault(zone, {})["ca"] = hostnames
        state.rulesets = {key: value for key, value in state.rulesets.items() if value.zone_id != zone}
        if rules:
            state.rulesets[f"rs{zone}"] = _ruleset(zone, rules)


def _as_json(store: Store) -> dict[str, Any]:
    return store.snapshot()


def test_writes_not_folded_in_yet_are_read_back_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = Store(path)
    for number, zone in enumerate(ZONES):
        _write_zone(store, zone, [f"h{number}.example.com"], rules=1 + number % 3)
    _write_zone(store, ZONES[0], [], rules=0)  # a list emptied and an entrypoint deleted
    with store.mutate() as state:  # a write of no one zone (an upload): the whole state, the journal started over
        state.associations["x" * 32] = {"ca": ["x.example.com"]}
    _write_zone(store, ZONES[1], ["again.example.com"], rules=2)
    assert store._file is not None and store._file.journal_path.stat().st_mode & 0o777 == 0o600  # as the snapshot

    # No close: as after a kill -9. What was written is what a new emulator reads.
    assert _as_json(Store(path)) == _as_json(store)


def test_a_journal_line_cut_short_and_a_journal_of_an_older_snapshot_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = Store(path)
    _write_zone(store, ZONES[0], ["a.example.com"], rules=1)
    assert store._file is not None
    journal = store._file.journal_path
    with journal.open("a", encoding="utf-8") as handle:
        handle.write('{"zone": "' + ZONES[1])  # a crash in the middle of a line: that write was never answered
    stale = journal.read_text(encoding="utf-8")
    reopened = Store(path)
    assert _as_json(reopened) == _as_json(store)

    # A crash after the snapshot was written anew but before the journal was started over: its lines are in the
    # snapshot already, and replaying them would undo later writes of no one zone.
    with reopened.mutate() as state:
        state.associations.clear()
    journal.write_text(stale, encoding="utf-8")
    assert _as_json(Store(path))["associations"] == {}


def test_a_write_costs_its_zone_and_the_journal_is_folded_in_as_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = Store(path)
    zones = [f"{index:032x}" for index in range(1, 401)]
    for zone in zones:
        _write_zone(store, zone, ["api.example.com", "www.example.com"], rules=3)
    assert store._file is not None
    snapshot_bytes = path.stat().st_size
    journal_bytes = store._file.journal_path.stat().st_size

    # Folded in along the way (400 zones' worth is more than the first snapshot), and never twice the snapshot.
    assert json.loads(path.read_text(encoding="utf-8"))["associations"]
    assert journal_bytes <= max(64 * 1024, snapshot_bytes) + 4096
    # A write to one zone appends to the journal; the snapshot is not written again (the same file, as long as the
    # journal has room).
    _write_zone(store, zones[0], ["api.example.com"], rules=2)
    snapshot = path.stat().st_ino
    for zone in zones[1:4]:
        _write_zone(store, zone, ["api.example.com"], rules=2)
    assert path.stat().st_ino == snapshot and store._file.journal_path.stat().st_size > journal_bytes
    assert _as_json(Store(path)) == _as_json(store)


def test_a_clean_stop_leaves_the_state_file_alone_holding_everything(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = Store(path)
    _write_zone(store, ZONES[0], ["a.example.com"], rules=1)
    store.close()
    assert [each.name for each in tmp_path.iterdir()] == ["state.json"]
    assert State.from_json(json.loads(path.read_text(encoding="utf-8"))).associations == {
        ZONES[0]: {"ca": ["a.example.com"]}
    }


def _start(state_file: Path) -> tuple[subprocess.Popen[str], str]:
    zones = [arg for zone in ZONES for arg in ("--zone", f"{zone}=example.com@{ACCOUNT}")]
    command = [sys.executable, "-m", "cfmtls_provider.emulator", "--port", "0", "--state-file", str(state_file), *zones]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip().removeprefix("cfmtls emulator listening on ")


def test_every_answered_write_survives_a_kill_9_of_the_emulator(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator.json"
    headers = {"Authorization": f"Bearer {assumptions.DEFAULT_TOKEN}"}
    process, base_url = _start(state_file)
    try:
        with httpx.Client(base_url=base_url, headers=headers) as api:
            ca = api.post(f"/accounts/{ACCOUNT}/mtls_certificates", json={"ca": True, "certificates": make_ca().pem})
            ca_id = ca.json()["result"]["id"]
            for number, zone in enumerate(ZONES):
                body = {"hostnames": [f"h{number}.example.com"], "mtls_certificate_id": ca_id}
                assert api.put(f"/zones/{zone}{HOSTS}", json=body).status_code == 200
                rule = {"action": "block", "expression": "true", "ref": f"r{number}"}
                made = api.post(
                    f"/zones/{zone}/rulesets", json={"name": "e", "kind": "zone", "phase": PHASE, "rules": [rule]}
                )
                assert made.status_code == 200
            before = {
                zone: api.get(f"/zones/{zone}/rulesets/phases/{PHASE}/entrypoint").json()["result"] for zone in ZONES
            }
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    process, base_url = _start(state_file)
    try:
        with httpx.Client(base_url=base_url, headers=headers) as api:
            for number, zone in enumerate(ZONES):
                listed = api.get(f"/zones/{zone}{HOSTS}", params={"mtls_certificate_id": ca_id}).json()["result"]
                assert listed["hostnames"] == [f"h{number}.example.com"]
                assert api.get(f"/zones/{zone}/rulesets/phases/{PHASE}/entrypoint").json()["result"] == before[zone]
    finally:
        process.terminate()
        process.wait(10)
    assert [each.name for each in tmp_path.iterdir()] == ["emulator.json"]  # a clean stop folds the journal in


def test_after_a_failed_append_the_next_write_is_a_whole_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk can cut a journal line short in the middle of the journal: the write failed (not answered as
    done, nothing changed), and the next one writes the whole state, so the journal never holds a broken line."""
    path = tmp_path / "state.json"
    store = Store(path)
    _write_zone(store, ZONES[0], ["a.example.com"], rules=1)
    assert store._file is not None
    journal = store._file.journal_path

    def disk_full(*_: object) -> None:
        with journal.open("a", encoding="utf-8") as handle:
            handle.write('{"zone": "cut')
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched, pytest.raises(OSError):
        patched.setattr(os, "fsync", disk_full)
        _write_zone(store, ZONES[1], ["b.example.com"], rules=1)
    assert ZONES[1] not in _as_json(store)["associations"]
    _write_zone(store, ZONES[2], ["c.example.com"], rules=1)

    assert not journal.exists()
    assert _as_json(Store(path)) == _as_json(store)
