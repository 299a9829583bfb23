"""The program process (the Python that runs the user's ``__main__.py`` under ``pulumi preview/up``): what this
package changes in the Pulumi SDK there. :func:`install` is called by the resources' constructors (the first one
installs, the others find it done); nothing changes at import. Five changes:

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

**A deployment the engine stopped ends the program without an error of its own.** When a preview or update fails (a
provider's clear refusal, a failed step, Ctrl-C), the engine cancels its context (pulumi/pulumi#15740) and shuts its
resource monitor down. The program's registrations still waiting then end with gRPC ``CANCELLED`` ("context canceled")
or ``UNAVAILABLE`` ("resource monitor shut down while waiting on step's done channel"), which the SDK turns into a plain
``Exception`` or a ``RunError`` and re-raises from its wait; the language host shows the first as "Program failed with
an unhandled exception" and a traceback, the second as one more error, "Resource monitor has terminated, shutting down",
under the engine's own reason (measured on a refused rename's preview: the second in 10 previews of 10 of the README's
own stack, the first in 1 of 25 of tests/e2e/test_hardening.py's stack, as the log still reaches the engine or not). The
wait above ends such a program with the language host's own exit code for "the error was already shown" (32,
``PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE`` in ``pulumi-language-python-exec``; the Go host
then bails without a message of its own): the engine has said why it stopped. Any other failure is raised as before
(docs/upstream/cancelled-registration-traceback.md).

**This package's resources are recorded at the user's line.** The SDK records, with each resource, the stack of its
constructor's callers (``pulumi.runtime.resource._get_stack_trace``, kept in the state as ``stackTrace``, its top frame
as ``sourcePosition``: where the resource was declared). It finds the caller by counting three ``__init__`` frames up
from ``Resource.__init__``, which for a subclass of ``pulumi.dynamic.Resource`` (four levels) is the subclass's own
constructor: every resource of this package was recorded as declared in ``cfmtls_provider/resources/...``, never in the
program (docs/upstream/stack-trace-source-position.md). Around this package's own registrations (:func:`registering`),
the trace is cut to the program's frames: this package's frames above them and the runtime's below (the language host,
``runpy``, asyncio, ``pulumi.runtime``: the same for every resource of every program) are left out, and the frames are
read without the SDK's ``traceback.extract_stack`` (which reads each frame's source line). ``sourcePosition`` is then
the program's line, each resource's state about 1.2 KB smaller (docs/benchmarks.md, "State per resource"). Other
resources keep the SDK's trace, and an SDK without that function (or with another signature) keeps its own, as for the
wait.

**The output types of this package's resources are read once.** When a resource's outputs come back, the SDK looks up
its class's output types (``pulumi._types.resource_types``, called by ``pulumi.runtime.rpc.resolve_outputs``): it
builds a class from the annotations and runs ``typing.get_type_hints`` on it, for every resource, every time. For this
package's classes (annotations fixed at import) the answer is kept per class: 0.4 s of program CPU per 1005
resources. Other classes go to the SDK's function as before.

**The SDK's own debug lines about this package's registrations are not sent.** The SDK writes four or five debug lines
for every resource it registers ("registering resource: ty=...", "resource registration prepared", ...; ``pulumi
up --debug`` shows them), each one a synchronous ``Log`` call to the engine whether or not anyone shows it (the
engine drops them without ``--debug``). For this package's resources (:func:`registering`: the constructor and the
registration tasks it starts) the lines the SDK's own modules write are left out: 1.3 s of a 1005-resource no-op
``pulumi up``'s 8.7 s (docs/benchmarks.md). Other resources, this package's own debug lines, and every info, warning
and error are sent as before; :data:`SDK_DEBUG_ENV` set to ``true`` keeps them all (to debug the SDK itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import sys
import sysconfig
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import grpc
import pulumi

__all__ = [
    "ALREADY_SHOWN_EXIT_CODE",
    "SDK_DEBUG_ENV",
    "drain_outputs",
    "install",
    "is_program_file",
    "program_frames",
    "registering",
    "stopped_by_engine",
]

#: ``true``: the SDK's own debug lines about this package's registrations are sent, as for any resource.
SDK_DEBUG_ENV = "CFMTLS_SDK_DEBUG_LOGS"

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


#: The answers of an engine that has stopped the deployment: its context cancelled ("context canceled"), its
#: resource monitor shut down ("resource monitor shut down while waiting on step's done channel").
_ENGINE_STOPPED = frozenset({grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE})

#: The language host's exit code for "the error was already shown": the Go host bails without a message of its own.
ALREADY_SHOWN_EXIT_CODE = 32


def stopped_by_engine(error: BaseException) -> bool:
    """``error`` comes from a call the engine answered as stopped (gRPC ``CANCELLED`` or ``UNAVAILABLE``, kept as
    the cause or context of the SDK's ``Exception("context canceled")`` or ``RunError("Resource monitor has
    terminated, shutting down")``): the engine has stopped the deployment and says why itself."""
    # Both links are followed: the SDK's wait re-raises a failed call's exception "from" itself (its own
    # ``rpc_manager.unhandled_exception``), so the gRPC error is only in the context.
    seen: set[int] = set()
    chain: list[BaseException] = [error]
    while chain:
        current = chain.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, grpc.RpcError) and getattr(current, "code", lambda: None)() in _ENGINE_STOPPED:
            return True
        chain.extend(link for link in (current.__cause__, current.__context__) if link is not None)
    return False


def _linear(sdk_wait: WaitForRpcs, stack: ModuleType, tolerated: tuple[type[BaseException], ...]) -> WaitForRpcs:
    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        """``pulumi.runtime.stack.wait_for_rpcs`` with a linear drain of the pending outputs, and a quiet end when
        the engine stopped the deployment (cfmtls_provider/program_process.py)."""
        rpc_manager = stack._get_rpc_manager()
        try:
            while True:
                await sdk_wait(await_all_outstanding_tasks=False)  # the SDK's own wait for the registrations
                if not await_all_outstanding_tasks:
                    return
                await drain_outputs(stack.SETTINGS, tolerated)
                if not rpc_manager.rpcs:  # the outputs scheduled no new registration
                    return
        except Exception as error:
            if not stopped_by_engine(error):
                raise
            raise SystemExit(ALREADY_SHOWN_EXIT_CODE) from error

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


def _inside(directory: Path) -> str:
    """The prefix of the paths of the files under ``directory``."""
    return str(directory).rstrip("/") + "/"


#: Where frames come from that are not the program's: this package, the Pulumi SDK (its runtime, the automation API),
#: the standard library (asyncio, runpy), and the Python language host's script.
_NOT_THE_PROGRAM = (
    _inside(Path(__file__).parent),
    _inside(Path(pulumi.__file__).parent),
    _inside(Path(sysconfig.get_paths()["stdlib"])),
)
_LANGUAGE_HOST = "/pulumi-language-python-exec"


def is_program_file(filename: str) -> bool:
    """A frame of the program: a real file, outside this package, the Pulumi SDK, the standard library and the
    language host."""
    return (
        os.path.isabs(filename) and not filename.startswith(_NOT_THE_PROGRAM) and not filename.endswith(_LANGUAGE_HOST)
    )


def program_frames(frame: FrameType | None) -> list[tuple[str, int]]:
    """The program's frames (file, line) of the stack that ``frame`` is the innermost frame of, innermost first: from
    the first frame of the program, down to the next one that is not (the frames the SDK would record, without
    this package's constructor above them and the runtime's below)."""
    while frame is not None and not is_program_file(frame.f_code.co_filename):
        frame = frame.f_back
    found: list[tuple[str, int]] = []
    while frame is not None and is_program_file(frame.f_code.co_filename):
        found.append((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return found


def _at_the_programs_line(sdk_trace: Callable[[], Any], trace_type: Any, frame_type: Any, position_type: Any) -> Any:
    def _get_stack_trace() -> Any:
        """``pulumi.runtime.resource._get_stack_trace``: for this package's resources, the program's frames only
        (cfmtls_provider/program_process.py; cheaper too: no source line is read, no frame of the runtime made)."""
        frames = program_frames(sys._getframe(1)) if _registering.get() else []
        if not frames:
            return sdk_trace()
        return trace_type(
            frames=[frame_type(pc=position_type(uri=Path(file).as_uri(), line=line)) for file, line in frames]
        )

    _get_stack_trace.__wrapped__ = sdk_trace  # type: ignore[attr-defined]
    return _get_stack_trace


def _wrap_sdk_function(
    module: ModuleType, name: str, parameters: list[str], wrap: Callable[[Any], Any], kept: str
) -> None:
    """Replace ``module.name`` by ``wrap(it)`` if it is a function of exactly these parameters and not already wrapped
    (by another import of this module); else leave it, and say so in one debug line (``pulumi up --debug``)."""
    current = getattr(module, name, None)
    if getattr(current, "cfmtls_provider", False):
        return
    if not callable(current) or list(inspect.signature(current).parameters) != parameters:
        pulumi.log.debug(
            f"cfmtls_provider: {kept} (SDK {_sdk_version()}: {module.__name__}.{name} is not the function of "
            f"parameters ({', '.join(parameters)}) this package wraps)"
        )
        return
    wrapper = wrap(current)
    wrapper.cfmtls_provider = True
    setattr(module, name, wrapper)


def _install_stack_trace() -> None:
    from pulumi.runtime import resource

    source = getattr(resource, "source_pb2", None)
    shapes = ("StackTrace", "StackFrame", "SourcePosition")
    if not all(hasattr(source, shape) for shape in shapes):
        pulumi.log.debug(f"cfmtls_provider: the Pulumi SDK's stack traces are kept as they are (SDK {_sdk_version()})")
        return
    types = [getattr(source, shape) for shape in shapes]
    _wrap_sdk_function(
        resource,
        "_get_stack_trace",
        [],
        lambda sdk_trace: _at_the_programs_line(sdk_trace, *types),
        "the Pulumi SDK's stack traces are kept as they are",
    )


def _types_read_once(sdk_types: Callable[[type], dict[str, type]]) -> Callable[[type], dict[str, type]]:
    read: dict[type, dict[str, type]] = {}

    def resource_types(resource_cls: type) -> dict[str, type]:
        """``pulumi._types.resource_types``, kept per class for this package's resources
        (cfmtls_provider/program_process.py)."""
        if not resource_cls.__module__.startswith(_OWN_MODULES):
            return sdk_types(resource_cls)
        if resource_cls not in read:
            read[resource_cls] = sdk_types(resource_cls)
        return dict(read[resource_cls])

    resource_types.__wrapped__ = sdk_types  # type: ignore[attr-defined]
    return resource_types


_OWN_MODULES = f"{__package__}."


def _quiet_while_registering(sdk_debug: Callable[..., None]) -> Callable[..., None]:
    def debug(msg: str, resource: Any = None, stream_id: int | None = None, ephemeral: bool | None = None) -> None:
        """``pulumi.log.debug``, without the SDK's own lines about this package's registrations
        (cfmtls_provider/program_process.py)."""
        if _registering.get() and sys._getframe(1).f_globals.get("__name__", "").startswith("pulumi."):
            return
        sdk_debug(msg, resource, stream_id, ephemeral)

    debug.__wrapped__ = sdk_debug  # type: ignore[attr-defined]
    return debug


def _install_quiet_sdk_debug() -> None:
    if os.environ.get(SDK_DEBUG_ENV, "").strip().lower() in ("1", "true", "yes"):
        return
    _wrap_sdk_function(
        pulumi.log,
        "debug",
        ["msg", "resource", "stream_id", "ephemeral"],
        _quiet_while_registering,
        "the Pulumi SDK's debug lines are all sent",
    )


def _install_resource_types() -> None:
    from pulumi import _types

    _wrap_sdk_function(
        _types, "resource_types", ["resource_cls"], _types_read_once, "the Pulumi SDK's lookup of output types is kept"
    )


def install() -> None:
    """Install the program-process changes, once per process (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    _install_stack_trace()
    _install_resource_types()
    _install_quiet_sdk_debug()
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
