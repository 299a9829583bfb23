"""The provider process: what this package changes in Pulumi's dynamic-provider server, installed by one call.

The engine runs this package's providers in ``python -m pulumi.dynamic`` (``pulumi/dynamic/__main__.py``), a gRPC
server that offers no start-up hook. Its ``get_provider`` unpickles a provider at the first call that needs it and
calls ``provider.configure`` on one of the server's worker threads before any other method; that ``configure``
(``resources/_base.py``, ``CloudflareProvider.configure``) is the one place that calls :func:`install`. Importing
this module, or this package, changes nothing anywhere; outside that server :func:`install` does nothing.

Three patches, each limited to what it needs and each citing what it works around:

1. **Errors for people.** The server wraps Check, Diff, Create, Read, Update and Delete in ``_abort_with_traceback``,
   which reports any exception as ``traceback.format_exc()``, so users would read a Python stack before the sentence
   that matters. Only the server module's own name ``traceback`` is replaced (the ``traceback`` module itself is not
   touched): the errors the caller names (its messages are written for people) are reported as their message alone,
   every other exception keeps its full traceback, which is what a bug report needs. ``_abort_with_traceback`` first
   appears in pulumi 3.260.0 (3.216.0-3.259.0 let the exception reach gRPC, which answers "Exception calling
   application: ..." and logs the stack), hence ``pulumi>=3.260`` in pyproject.toml;
   tests/providers/test_provider_process.py fails if an SDK drops it.
2. **An exit when the engine is gone.** The server serves until it is killed, and the engine starts plugins in their
   own process group (through a ``sh`` wrapper, ``pulumi-resource-pulumi-python``), so when the CLI is killed (Ctrl-C
   twice, ``kill`` of its process group, a CI timeout) the server stays behind with its threads and HTTP connections.
   The engine passes its own gRPC address as the plugin's last argument; a daemon thread checks every few seconds
   that it still accepts connections and ends the process once the engine has refused them twice in a row (or,
   without an address, once the process is re-parented). It starts at the first ``configure``, that is at the
   engine's first call for one of this package's resources (a Check, right after the plugin starts).
3. **More than 4 calls at once.** ``main()`` builds the server on ``futures.ThreadPoolExecutor(max_workers=4)`` (the
   same line in every SDK from 3.216 to 3.274) and offers no option to change it, while the engine runs up to
   ``--parallel`` steps at once (default 4 x CPUs) and Terraform's Cloudflare provider 10, so the 4 workers are the
   limit of every API-bound operation (at 300 ms a call, a refresh of 105 resources spends about 8 s in the queue).
   The only seam is the executor itself: found as the pool whose worker runs the first ``configure``, its
   ``_max_workers`` is raised (``concurrent.futures`` starts threads on demand, up to that number) and no-op tasks
   are submitted so that calls already queued get threads at once. If the executor cannot be found (another server,
   another SDK layout), the server keeps its 4 workers: still correct, only slower. The calls stay within
   Cloudflare's API budget whatever the number of workers: the client's process-wide pacer decides when each is sent.

:func:`uninstall` puts back the server's ``traceback`` and the pool's size and stops the watchdog (tests; the real
process ends with the engine). The pickling of providers happens in the program's process, not here: see
docs/upstream/serialize-provider-recursion.md.
"""

from __future__ import annotations

import gc
import os
import re
import socket
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.thread import _worker as _pool_worker
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHECK_INTERVAL_SECONDS",
    "engine_address",
    "engine_alive_check",
    "install",
    "server_module",
    "start_engine_watchdog",
    "uninstall",
    "widen_server_pool",
]

#: Seconds between two checks of the engine; the process ends about two intervals after the engine is gone.
CHECK_INTERVAL_SECONDS = 2.0
#: What marks ``sys.modules["__main__"]`` as ``python -m pulumi.dynamic``.
_SERVER_CLASS = "DynamicResourceProviderServicer"
_ADDRESS = re.compile(r"^(?P<host>[\w.\-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")


def server_module() -> types.ModuleType | None:
    """``python -m pulumi.dynamic``'s module when this process is that server, else None."""
    main = sys.modules.get("__main__")
    return main if main is not None and hasattr(main, _SERVER_CLASS) else None


# -- 1. errors for people ------------------------------------------------------------------------------------------


class _UserFacingTracebacks:
    """Stands in for the ``traceback`` module inside the server module only (see the module's docstring, 1)."""

    def __init__(self, original: types.ModuleType, user_errors: tuple[type[BaseException], ...]) -> None:
        self._original = original
        self._user_errors = user_errors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, self._user_errors):
            return str(error)
        text: str = self._original.format_exc(*args, **kwargs)
        return text


# -- 2. an exit when the engine is gone ----------------------------------------------------------------------------


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


def _watch(
    alive: Callable[[], bool], interval: float, exit_process: Callable[[int], None], stop: threading.Event
) -> None:
    misses = 0
    while not stop.wait(interval):
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
    argv: Sequence[str],
    *,
    interval: float = CHECK_INTERVAL_SECONDS,
    exit_process: Callable[[int], None] = os._exit,
) -> threading.Event:
    """Start a watchdog thread for the engine named in ``argv``; setting the returned event stops it."""
    stop = threading.Event()
    alive = engine_alive_check(argv, os.getppid())
    threading.Thread(
        target=_watch, args=(alive, interval, exit_process, stop), name="cfmtls-engine-watchdog", daemon=True
    ).start()
    return stop


# -- 3. more than 4 calls at once ----------------------------------------------------------------------------------


def _executor_of_this_thread() -> ThreadPoolExecutor | None:
    """The pool whose worker this thread is. A pool starts a worker thread, then adds it to its ``_threads``: a task
    the new thread runs at once can look before it is added, so a worker (its target is the pool's ``_worker``)
    looks again for a moment."""
    me = threading.current_thread()
    if getattr(me, "_target", None) is not _pool_worker:
        return None
    deadline = time.monotonic() + 1.0
    while True:
        for candidate in gc.get_objects():
            if isinstance(candidate, ThreadPoolExecutor) and me in getattr(candidate, "_threads", ()):
                return candidate
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def widen_server_pool(workers: int) -> tuple[ThreadPoolExecutor, int] | None:
    """On a worker thread of a ``ThreadPoolExecutor``: let its pool grow to ``workers`` (never shrinks it).

    Returns the pool and its size before, or None where there is nothing to widen (not on a pool's worker, or the
    pool's layout is not the one described in the module's docstring, 3)."""
    executor = _executor_of_this_thread()
    before = getattr(executor, "_max_workers", None)
    if executor is None or not isinstance(before, int):
        return None
    if before < workers:
        executor._max_workers = workers  # private: see the module's docstring, 3
        for _ in range(workers - before):
            executor.submit(_nothing)  # each submit starts a thread while none is idle, up to _max_workers
    return executor, before


def _nothing() -> None:
    """The task that makes the pool start a thread; the thread then takes the calls already waiting."""


# -- install, once per process -------------------------------------------------------------------------------------


@dataclass
class _Installed:
    """What :func:`install` changed, so that :func:`uninstall` can put it back."""

    server: types.ModuleType
    traceback: types.ModuleType | None
    watchdog: threading.Event
    pool: tuple[ThreadPoolExecutor, int] | None


_lock = threading.Lock()
#: What is installed in this process (empty: nothing); per process by nature, as the server is the process.
_installed: list[_Installed] = []


def install(
    *,
    server_workers: int,
    user_errors: tuple[type[BaseException], ...],
    argv: Sequence[str] | None = None,
    exit_process: Callable[[int], None] = os._exit,
) -> bool:
    """Inside ``python -m pulumi.dynamic``, the first time: report ``user_errors`` as their message alone, start the
    engine watchdog (on ``argv``, by default the plugin's arguments) and let the server's pool (the calling worker's)
    serve ``server_workers`` calls at once. True when it installed them now; False outside the server, or when they
    are installed already."""
    server = server_module()
    if server is None:
        return False
    with _lock:
        if _installed:
            return False
        original = getattr(server, "traceback", None)
        replaced = original if isinstance(original, types.ModuleType) else None
        if replaced is not None:
            server.traceback = _UserFacingTracebacks(replaced, user_errors)  # type: ignore[attr-defined]
        watchdog = start_engine_watchdog(sys.argv[1:] if argv is None else argv, exit_process=exit_process)
        _installed.append(_Installed(server, replaced, watchdog, widen_server_pool(server_workers)))
    return True


def uninstall() -> None:
    """Put back what :func:`install` changed: the server's ``traceback``, the pool's size (its extra threads end as
    they fall idle only when the pool shuts down; no new ones start), and stop the watchdog."""
    with _lock:
        while _installed:
            done = _installed.pop()
            if done.traceback is not None:
                done.server.traceback = done.traceback  # type: ignore[attr-defined]
            done.watchdog.set()
            if done.pool is not None:
                executor, before = done.pool
                executor._max_workers = before
