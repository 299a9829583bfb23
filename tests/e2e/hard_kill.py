"""A Pulumi run killed with SIGKILL, as a crash, an OOM kill or a CI runner's timeout kills it.

``run_killed_after_writes`` starts ``pulumi up`` (or ``destroy``) in its own process group, watches the emulator's
request log and, once the run's Nth API write has been answered, sends SIGKILL to the whole process tree: the CLI,
the language host, the program and the provider process die at once, nothing is flushed. (The CLI starts each
plugin in a process group of its own, ``cmdutil.RegisterProcessGroup`` in ``pkg/resource/plugin/plugin.go``:
killing the CLI's group alone would leave the provider process running, and its retries could still write after the
"kill".) So that the kill lands at exactly that write whatever the engine runs in parallel, the emulator refuses
every later write (503, not applied) until the kill: they are the calls the dead run never sent. A write Cloudflare
refuses counts too (a CA delete retried while the CA is still in use is several writes). The killed CLI leaves its
lock on the file backend; it is removed as the next command's error tells a user to.

With ``PULUMI_SKIP_CHECKPOINTS=true`` the engine writes the state only when a run ends, so a killed run leaves the
state of the run before it: every object the killed run made is unknown to the stack and must be found again by the
next run (docs/benchmarks.md, "What PULUMI_SKIP_CHECKPOINTS=true does").
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from tests.support.pulumi_stack import PulumiStack

__all__ = ["SKIP_CHECKPOINTS", "KilledRun", "descendants", "kill_tree", "run_killed_after_writes"]

SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}
_POLL_SECONDS = 0.02
_SETTLED_SECONDS = 1.0


@dataclass
class KilledRun:
    """The killed command and the writes it made before the kill (with the emulator's answers)."""

    command: str
    writes: list[dict[str, Any]]

    def describe(self) -> str:
        shown = ", ".join(f"{w['method']} {w['path']} ({w['status']})" for w in self.writes)
        return f"{self.command} killed after write {len(self.writes)}: {shown}"


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...); None once it is gone."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    """The process ids below ``pid`` (read from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` (started in a session of its own) and every process below it, each in its own group
    too, then wait until none is alive."""
    below = descendants(process.pid)
    for group in dict.fromkeys([process.pid, *(int(fields[2]) for pid in below if (fields := _stat(pid)))]):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)
    deadline = time.monotonic() + 10
    while (left := [pid for pid in below if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes of the killed run still alive: {left}"


def _settle(emulator: EmulatorAdmin) -> None:
    """Wait until the emulator's log stops growing: the calls in flight at the kill have been applied."""
    seen, quiet_since = len(emulator.requests()), time.monotonic()
    while time.monotonic() - quiet_since < _SETTLED_SECONDS:
        time.sleep(0.1)
        now = len(emulator.requests())
        if now != seen:
            seen, quiet_since = now, time.monotonic()


def _remove_stale_lock(stack: PulumiStack) -> None:
    """The killed CLI's lock on the file backend (the next command refuses to run while it is there)."""
    backend = Path(stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for lock in (backend / ".pulumi" / "locks").rglob("*.json"):
        lock.unlink()


def run_killed_after_writes(
    stack: PulumiStack, emulator: EmulatorAdmin, command: str, writes: int, *, timeout: float = 120.0
) -> KilledRun:
    """Run ``pulumi COMMAND --yes --skip-preview`` (preview makes no write) and SIGKILL its whole process group
    once the emulator has answered ``writes`` writes of this run. Fails if the run ends before that."""
    before = len(emulator.writes())
    emulator.add_faults({"method": "WRITE", "path": "*", "action": "status", "status": 503, "skip": writes, "count": 0})
    process = subprocess.Popen(
        ["pulumi", command, "--yes", "--skip-preview", "--non-interactive"],
        cwd=stack.workdir,
        env=stack.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the CLI and everything it starts
    )
    deadline = time.monotonic() + timeout
    try:
        while (done := len(emulator.writes()) - before) < writes:
            if process.poll() is not None:
                raise AssertionError(
                    f"pulumi {command} ended (rc {process.returncode}) after {done} of {writes} writes"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"pulumi {command} made {done} of {writes} writes in {timeout:.0f}s")
            time.sleep(_POLL_SECONDS)
    finally:
        kill_tree(process)
    _settle(emulator)
    emulator.clear_faults()
    _remove_stale_lock(stack)
    return KilledRun(command, emulator.writes()[before : before + writes])
