"""The program process (the Python that runs the user's ``__main__.py`` under ``pulumi preview/up``): what this
package changes in the Pulumi SDK there. :func:`install` is called by the resources' constructors (the first one
installs, the others find it done); nothing changes at import. Two changes:

**A linear wait for the program's pending outputs.** When the program body has run, the SDK's
``run_pulumi_func`` awaits ``pulumi.runtime.stack.wait_for_rpcs()``. Its loop over the registrations finds none
started yet (each appends itself to ``rpc_manager.rpcs`` only once it runs), so every ``Output`` of the program is
still pending (``SETTINGS.outputs``: each property of each resource is one, ``pulumi/runtime/rpc.py:
transfer_properties``, plus each ``apply``), and they are drained with ``asyncio.wait(pending,
return_when=FIRST_COMPLETED)`` in a loop: each round adds a done-callback to every pending output and removes them
again, and a round ends at each completion, so as the resources complete one at a time the program spends
O(resources x outputs) CPU (the cost python/cpython#74741 describes for ``asyncio.wait``). That loop came with
pulumi/pulumi#22411 (SDK 3.229.0, replacing a busy wait) and is in every SDK this package accepts
(``pulumi>=3.260,<4``: 3.272.0 installed here, the source tagged v3.274.1, the pulumi/pulumi master of 2026-08-21).
At 1005 resources (5 CAs, 1000 associations, checkpoints skipped) it was 41 s of a create's 48 s of program CPU and
70 s of an update's 78 s; with this drain 0.6 and 1.0 s (bench/results/profile-1005-program-process-2026-12-07.md).
Reported upstream-ready, with standalone reproductions: docs/upstream/wait-for-rpcs-quadratic.md.

The replacement keeps the SDK's contract: the registrations are still waited for by the SDK's own function (called
with ``await_all_outstanding_tasks=False``); then every pending output is awaited once, in the order they complete
(one done-callback each, into a queue), so the first failure is re-raised as soon as it happens (not after a slower
output listed before it), outputs created while waiting (by ``apply`` callbacks) are picked up, and the cycle
repeats while new registrations appear. Newer SDKs let ``ResourceRegistrationFailed`` pass (continue-on-error); the
replacement does the same when the function it replaces does.

It is installed only over the function it was written against: ``wait_for_rpcs`` with that signature and exactly
the names of the loop above (:data:`_SDK_SHAPES`). Any other SDK keeps its own, and one debug line says so
(``pulumi up --debug``).

**This package's resources are recorded at the user's line.** The SDK records, with each resource, the stack of its
constructor's callers (``pulumi.runtime.resource._get_stack_trace``, kept in the state as ``stackTrace``, its top frame
as ``sourcePosition``: where the resource was declared). It finds the caller by counting three ``__init__`` frames up
from ``Resource.__init__``, which for a subclass of ``pulumi.dynamic.Resource`` (four levels) is the subclass's own
constructor: every resource of this package was recorded as declared in ``cfmtls_provider/resources/...``, never in the
program. Around this package's own registrations (:func:`registering`), the trace is cut to the program's frames: this
package's frames above them and the runtime's below (the language host, ``runpy``, asyncio, ``pulumi.runtime``: the
same for every resource of every program) are dropped. ``sourcePosition`` is then the program's line, and each
resource's state 1.1 KB smaller (docs/benchmarks.md, "State per resource"). Other resources keep the SDK's trace, and an
SDK without that function (or with another signature) keeps its own, as for the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sysconfig
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi

__all__ = ["drain_outputs", "install", "program_frames", "registering"]

#: The names (``co_names``) that ``pulumi.runtime.stack.wait_for_rpcs`` uses in the SDKs whose drain is replaced: the
#: loop of pulumi/pulumi#22411 with ``SETTINGS.outputs`` a set (pulumi/pulumi#22946, SDK 3.238.0), as read in 3.272.0
#: (installed here) and in the source tagged v3.274.1; and pulumi/pulumi's master of 2026-08-21, which also lets
#: ``ResourceRegistrationFailed`` pass.
_LOOP_NAMES = frozenset(
    {
        "Exception",
        "FIRST_COMPLETED",
        "SETTINGS",
        "_get_rpc_manager",
        "add",
        "asyncio",
        "clear",
        "debug",
        "exception_traceback",
        "excessive_debug_output",
        "len",
        "list",
        "lock",
        "log",
        "outputs",
        "pop",
        "rpcs",
        "settings",
        "sleep",
        "unhandled_exception",
        "wait",
        "with_traceback",
    }
)
_TOLERATED = "ResourceRegistrationFailed"
_SDK_SHAPES = (_LOOP_NAMES, _LOOP_NAMES | {_TOLERATED})

_lock = threading.Lock()
_installed = False

WaitForRpcs = Callable[..., Awaitable[None]]


async def drain_outputs(settings: Any, tolerated: tuple[type[BaseException], ...] = ()) -> None:
    """Await every output in ``settings.outputs`` (the SDK's ``SETTINGS``) and every one added meanwhile, each once,
    in the order they complete; re-raise the first failure (except ``tolerated`` ones). One done-callback per
    output: linear in the outputs, where the SDK's ``asyncio.wait(FIRST_COMPLETED)`` loop is quadratic."""
    completed: asyncio.Queue[asyncio.Future[Any]] = asyncio.Queue()
    watched = 0
    while True:
        # An output that succeeds removes itself from the set (pulumi/output.py: Output._track); one that fails or
        # is cancelled stays in it for this wait to find, as does each new one.
        with settings.lock:
            new = list(settings.outputs)
            settings.outputs.clear()
        for output in new:
            output.add_done_callback(completed.put_nowait)
        watched += len(new)
        if not watched:
            return
        done = await completed.get()
        watched -= 1
        with contextlib.suppress(*tolerated):
            await done


def _linear(sdk_wait: WaitForRpcs, stack: ModuleType, tolerated: tuple[type[BaseException], ...]) -> WaitForRpcs:
    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        """``pulumi.runtime.stack.wait_for_rpcs`` with a linear drain of the pending outputs
        (cfmtls_provider/program_process.py)."""
        rpc_manager = stack._get_rpc_manager()
        while True:
            await sdk_wait(await_all_outstanding_tasks=False)  # the SDK's own wait for the registrations
            if not await_all_outstanding_tasks:
                return
            await drain_outputs(stack.SETTINGS, tolerated)
            if not rpc_manager.rpcs:  # the outputs scheduled no new registration
                return

    wait_for_rpcs.__wrapped__ = sdk_wait  # type: ignore[attr-defined]
    return wait_for_rpcs


def _sdk_shape_problem(stack: ModuleType) -> str:
    """Why the SDK's ``wait_for_rpcs`` is not the function the replacement was written against ("" if it is)."""
    current = getattr(stack, "wait_for_rpcs", None)
    code = getattr(current, "__code__", None)
    if not inspect.iscoroutinefunction(current) or code is None:
        return "it is not the SDK's coroutine function"
    if list(inspect.signature(current).parameters) != ["await_all_outstanding_tasks"]:
        return f"its signature is {inspect.signature(current)}"
    names = frozenset(code.co_names)
    if names not in _SDK_SHAPES:
        return f"its code differs (names {', '.join(sorted(names.symmetric_difference(_LOOP_NAMES)))})"
    needed = ("SETTINGS", "_get_rpc_manager", *([_TOLERATED] if _TOLERATED in names else []))
    if missing := [name for name in needed if not hasattr(stack, name)]:
        return f"pulumi.runtime.stack has no {', '.join(missing)}"
    return ""


_registering = ContextVar("cfmtls_provider_registering", default=False)


@contextlib.contextmanager
def registering() -> Iterator[None]:
    """Around this package's call of the SDK's resource constructor: the stack trace recorded is the program's."""
    token = _registering.set(True)
    try:
        yield
    finally:
        _registering.reset(token)


def _uri_prefix(directory: Path) -> str:
    return directory.as_uri().rstrip("/") + "/"


#: Where frames come from that are not the program's (as the file URIs the SDK writes): this package, the Pulumi SDK
#: (its runtime, the automation API), the standard library (asyncio, runpy), and the Python language host's script.
_PACKAGE = _uri_prefix(Path(__file__).parent)
_NOT_THE_PROGRAM = (
    _PACKAGE,
    _uri_prefix(Path(pulumi.__file__).parent),
    _uri_prefix(Path(sysconfig.get_paths()["stdlib"])),
)
_LANGUAGE_HOST = "/pulumi-language-python-exec"


def _is_program(uri: str) -> bool:
    return bool(uri) and not uri.startswith(_NOT_THE_PROGRAM) and not uri.endswith(_LANGUAGE_HOST)


def program_frames(trace: Any) -> Any:
    """The program's frames of an SDK stack trace (a ``source_pb2.StackTrace``, the innermost frame first): those
    below this package's own, down to the first that is not the program's. The trace itself if it has none."""
    frames = list(trace.frames)
    start = 0
    while start < len(frames) and frames[start].pc.uri.startswith(_PACKAGE):
        start += 1
    end = start
    while end < len(frames) and _is_program(frames[end].pc.uri):
        end += 1
    if end == start:
        return trace
    return type(trace)(frames=frames[start:end])


def _at_the_programs_line(sdk_trace: Callable[[], Any]) -> Callable[[], Any]:
    def _get_stack_trace() -> Any:
        """``pulumi.runtime.resource._get_stack_trace``, cut to the program's frames for this package's resources
        (cfmtls_provider/program_process.py)."""
        trace = sdk_trace()
        return program_frames(trace) if _registering.get() else trace

    _get_stack_trace.__wrapped__ = sdk_trace  # type: ignore[attr-defined]
    _get_stack_trace.cfmtls_provider = True  # type: ignore[attr-defined]
    return _get_stack_trace


def _install_stack_trace() -> None:
    from pulumi.runtime import resource

    current = getattr(resource, "_get_stack_trace", None)
    if getattr(current, "cfmtls_provider", False):  # installed by another import of this module
        return
    if not callable(current) or inspect.signature(current).parameters:
        pulumi.log.debug(
            f"cfmtls_provider: the Pulumi SDK's stack traces are kept as they are (SDK {_sdk_version()}: "
            "pulumi.runtime.resource._get_stack_trace is not the function without parameters this package wraps)"
        )
        return
    resource._get_stack_trace = _at_the_programs_line(current)


def install() -> None:
    """Install the program-process changes, once per process (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    _install_stack_trace()
    from pulumi.runtime import stack

    problem = _sdk_shape_problem(stack)
    if problem:
        pulumi.log.debug(
            f"cfmtls_provider: the Pulumi SDK's wait for pending outputs is kept as it is (SDK {_sdk_version()}: "
            f"pulumi.runtime.stack.wait_for_rpcs is not the function this package replaces: {problem})"
        )
        return
    tolerated: tuple[type[BaseException], ...] = ()
    if _TOLERATED in stack.wait_for_rpcs.__code__.co_names:
        tolerated = (getattr(stack, _TOLERATED),)
    stack.wait_for_rpcs = _linear(stack.wait_for_rpcs, stack, tolerated)  # type: ignore[assignment]


def _sdk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pulumi")
    except PackageNotFoundError:
        return "unknown"
