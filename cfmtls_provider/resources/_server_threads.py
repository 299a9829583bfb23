"""Let the dynamic-provider server run more than 4 provider calls at once.

Pulumi runs dynamic providers in ``python -m pulumi.dynamic`` (``pulumi/dynamic/__main__.py``), whose
``main()`` builds its gRPC server on ``futures.ThreadPoolExecutor(max_workers=4)`` (the same line in every SDK
from 3.216 to the newest tested, 3.272; this package needs 3.260 for ``_base._UserFacingTracebacks``) and
offers no option to change it. The engine itself runs up to ``--parallel`` steps at once (default 4 x CPUs),
and Terraform's Cloudflare provider 10, so the 4 workers are the limit of every API-bound operation: at 300 ms
per call a refresh of 105 resources spends about 8 s waiting in the server's queue.

The server is built before this package is imported (the engine's first call unpickles a provider, which
imports it), so the only seam is the executor itself: when this module finds that it runs on one of that
executor's worker threads, it raises the executor's ``_max_workers`` (``concurrent.futures`` starts threads on
demand, up to that number) and submits no-op tasks so that calls already queued get threads at once. Nothing
else in the server changes. If the executor cannot be found (another server, another SDK layout), the server
keeps its 4 workers, which is still correct, only slower. The calls stay within Cloudflare's API budget
whatever the number of workers: the client's process-wide pacer decides when each call is sent.
"""

from __future__ import annotations

import gc
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from ..settings import NUMBERS

__all__ = ["PROVIDER_SERVER_WORKERS", "widen_provider_server"]

#: Provider calls the server runs at once by default (``cfmtls:serverWorkers``): above the engine's default
#: parallelism on a 2-4 core machine (8-16) and Terraform's 10. The pacer, not this number, keeps the calls
#: inside the API budget.
PROVIDER_SERVER_WORKERS = int(NUMBERS["server_workers"].default)

_done = threading.Event()
_lock = threading.Lock()


def _in_dynamic_provider_server() -> bool:
    server = sys.modules.get("__main__")
    return server is not None and hasattr(server, "DynamicResourceProviderServicer")


def _executor_of_this_thread() -> ThreadPoolExecutor | None:
    me = threading.current_thread()
    for candidate in gc.get_objects():
        if isinstance(candidate, ThreadPoolExecutor) and me in getattr(candidate, "_threads", ()):
            return candidate
    return None


def widen_provider_server(workers: int = PROVIDER_SERVER_WORKERS) -> int | None:
    """Inside ``python -m pulumi.dynamic``, on a server worker thread: let its pool grow to ``workers``.

    Returns the pool's new size, or None where there is nothing to widen (not in the server, not on one of
    its workers, or the pool's layout is not the one described above). Runs once per process."""
    if _done.is_set() or not _in_dynamic_provider_server():
        return None
    with _lock:
        if _done.is_set():
            return None
        executor = _executor_of_this_thread()
        current = getattr(executor, "_max_workers", None)
        if executor is None or not isinstance(current, int):
            return None
        _done.set()
        if current >= workers:
            return current
        executor._max_workers = workers  # private, see the module's docstring
    for _ in range(workers - current):
        executor.submit(_nothing)  # each submit starts a thread while none is idle, up to _max_workers
    return workers


def _nothing() -> None:
    """The task that makes the pool start a thread; the thread then takes the calls already waiting."""
