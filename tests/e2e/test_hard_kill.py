"""Checkpoints skipped, then a hard kill mid-run: the next plain run converges.

With ``PULUMI_SKIP_CHECKPOINTS=true`` (linear create and update at any size: docs/benchmarks.md) a run killed with
SIGKILL leaves the state of the run before it, so whatever it wrote is unknown to the stack. The next `pulumi up` (or
`pulumi destroy`), run as a user runs it, must still end with the emulator holding exactly what the program
declares: no CA uploaded twice, no hostname list or rule left behind, and no refusal asking for adopt_existing for
the stack's own objects. The reliability program (3 CAs, 3 zones, one association per zone, each with its rule) is
killed after the Nth API write of a create, of a CA rotation and of a destroy (tests/e2e/hard_kill.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin

from .hard_kill import SKIP_CHECKPOINTS, run_killed_after_writes
from .harness import Stack
from .reliability_stack import assert_converged, assert_destroyed, new_reliability_stack, rotate

pytestmark = pytest.mark.e2e


@pytest.fixture
def kstack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Iterator[Stack]:
    stack = new_reliability_stack(tmp_path, emulator, pulumi_bin, **SKIP_CHECKPOINTS)
    yield stack
    print("\n".join(stack.log[-4:]))


def converge(stack: Stack, command: str) -> None:
    """The user's next run, preview first, checkpoints still skipped; it must succeed without a traceback."""
    result = stack.run(command, "--yes", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output


# The create makes 9 writes (3 uploads; per association its list PUT, then its rule's POST); the rotation of ca-1
# makes 6 (upload; the rule accepts both issuers, the new list, the old list emptied, the rule pins the new issuer;
# the old CA deleted); the destroy 12 or more (per association its rule DELETE, its emptied entrypoint DELETE, its
# list emptied; 3 CA DELETEs, retried while the association lag runs). Every kill point of the three converged when
# measured with this harness (27 of 27, 0.2); before 0.2 a create killed once an uploaded CA had hostnames (4, 6, 8)
# and a rotation killed once the new CA had hostnames (2, 3, 4) did not: the next up refused the stack's own upload
# as in use and asked for adopt_existing. The points below are those, and the first and last of each command.


@pytest.mark.parametrize("writes", [1, 3, 4, 6, 8])
def test_create_killed_after_n_writes_then_up_converges(writes: int, emulator: EmulatorAdmin, kstack: Stack) -> None:
    killed = run_killed_after_writes(kstack, emulator, "up", writes)
    print(killed.describe())
    assert kstack.resources() == []  # nothing recorded: the state is the one before the killed run
    converge(kstack, "up")
    assert_converged(kstack, emulator)


@pytest.mark.parametrize("writes", [1, 2, 3, 4, 5])
def test_rotation_killed_after_n_writes_then_up_converges(
    writes: int, emulator: EmulatorAdmin, kstack: Stack, tmp_path: Path
) -> None:
    converge(kstack, "up")
    rotate(kstack, tmp_path)
    killed = run_killed_after_writes(kstack, emulator, "up", writes)
    print(killed.describe())
    converge(kstack, "up")
    assert_converged(kstack, emulator)


@pytest.mark.parametrize("writes", [1, 2, 4, 8, 11])
def test_destroy_killed_after_n_writes_then_destroy_converges(
    writes: int, emulator: EmulatorAdmin, kstack: Stack
) -> None:
    converge(kstack, "up")
    killed = run_killed_after_writes(kstack, emulator, "destroy", writes)
    print(killed.describe())
    converge(kstack, "destroy")
    assert_destroyed(emulator)


@pytest.mark.parametrize("writes", [2, 4])
def test_destroy_killed_after_n_writes_then_up_refresh_puts_the_stack_back(
    writes: int, emulator: EmulatorAdmin, kstack: Stack
) -> None:
    """A destroy killed part-way, and the user wants the stack after all: the state still holds every resource, so
    a plain `pulumi up` would see no change and leave the zones the killed run stripped unprotected. `pulumi up
    --refresh` (README "Large stacks") reads what is gone and makes it again."""
    converge(kstack, "up")
    killed = run_killed_after_writes(kstack, emulator, "destroy", writes)
    print(killed.describe())
    result = kstack.run("up", "--yes", "--refresh", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in output, output[-3000:]
    assert_converged(kstack, emulator)
