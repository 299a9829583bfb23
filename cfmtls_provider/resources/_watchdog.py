"""Make the provider process exit when the Pulumi engine that started it is gone.

``python -m pulumi.dynamic`` serves gRPC until it is killed, and the engine starts plugins in their own process
group (through a ``sh`` wrapper, ``pulumi-resource-pulumi-python``), so when the CLI is killed (Ctrl-C twice,
``kill`` of its process group, a CI timeout) the provider server stays behind, holding its threads and HTTP
connections. The engine passes its own gRPC address as the plugin's last argument; while the engine lives,
that address accepts connections. A daemon thread checks it every few seconds and ends the process once the
engine has refused connections twice in a row (or, without an address, once the process is re-parented).

The SDK gives no start-up hook: the thread starts when this package is first imported in the provider process,
that is at the engine's first call for one of its resources (a Check, made right after the plugin starts).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence

__all__ = ["engine_address", "start_engine_watchdog"]

_ADDRESS = re.compile(r"^(?P<host>[\w.\-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
#: Seconds between two checks; the process ends about two intervals after the engine is gone.
CHECK_INTERVAL_SECONDS = 2.0
_STARTED = threading.Event()


def engine_address(argv: Sequence[str]) -> tuple[str, int] | None:
    """The engine's ``host:port`` among the plugin's arguments (the last one that looks like it), or None."""
    for argument in reversed(argv):
        match = _ADDRESS.match(argument)
        if match:
            return match["host"].strip("[]"), int(match["port"])
    return None


def _reachable(address: tuple[str, int]) -> bool:
    """False only when nothing listens there any more (a slow or busy engine still counts as alive)."""
    try:
        with socket.create_connection(address, timeout=5.0):
            return True
    except ConnectionRefusedError:
        return False
    except OSError:
        return True


def engine_alive_check(argv: Sequence[str], parent_pid: int) -> Callable[[], bool]:
    """A function telling whether the engine still runs: its address accepts connections, or (without an
    address) this process still has the parent it started with."""
    address = engine_address(argv)
    if address is not None:
        return lambda: _reachable(address)
    return lambda: os.getppid() == parent_pid


def _watch(alive: Callable[[], bool], interval: float, exit_process: Callable[[int], None]) -> None:
    misses = 0
    while True:
        time.sleep(interval)
        misses = 0 if alive() else misses + 1
        if misses >= 2:
            try:  # stderr is a pipe to the engine, which may be gone with it
                sys.stderr.write("cfmtls: the Pulumi engine is gone; the provider process exits.\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            exit_process(0)
            return  # only reached when exit_process is a test's stand-in


def start_engine_watchdog(
    argv: Sequence[str] | None = None,
    *,
    interval: float = CHECK_INTERVAL_SECONDS,
    exit_process: Callable[[int], None] = os._exit,
) -> bool:
    """Start the watchdog thread once per process; False if it was already running."""
    if _STARTED.is_set():
        return False
    _STARTED.set()
    alive = engine_alive_check(sys.argv[1:] if argv is None else argv, os.getppid())
    threading.Thread(
        target=_watch, args=(alive, interval, exit_process), name="cfmtls-engine-watchdog", daemon=True
    ).start()
    return True
