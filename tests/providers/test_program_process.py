"""The program process's change to the Pulumi SDK (cfmtls_provider/program_process.py): the wait for pending outputs
keeps the SDK's contract (every output awaited, those made meanwhile too, the first failure re-raised as it happens)
and is installed only over the SDK function it was written against. Through the real engine, installed by the
resources' constructors: tests/e2e/test_pending_outputs.py; its cost: `python -m bench.profile` (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType, SimpleNamespace
from typing import Any

import grpc
import pulumi
import pytest
from pulumi import _types
from pulumi.runtime import resource, stack
from pulumi.runtime.settings import SETTINGS, handle_grpc_error

from cfmtls_provider import HostnameAssociation, MTLSCertificate, program_process
from cfmtls_provider.program_process import drain_outputs


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """As in a new program process: nothing installed yet; the SDK's functions put back afterwards. Yields the
    log lines sent to the engine."""
    monkeypatch.setattr(program_process, "_installed", False)
    # The SDK's own function, even if a resource constructed by an earlier test of this process installed the drain.
    monkeypatch.setattr(stack, "wait_for_rpcs", getattr(stack.wait_for_rpcs, "__wrapped__", stack.wait_for_rpcs))
    sdk_trace = resource._get_stack_trace
    monkeypatch.setattr(_types, "resource_types", getattr(_types.resource_types, "__wrapped__", _types.resource_types))
    monkeypatch.setattr(resource, "_get_stack_trace", getattr(sdk_trace, "__wrapped__", sdk_trace))
    sdk_debug = pulumi.log.debug
    monkeypatch.setattr(pulumi.log, "debug", getattr(sdk_debug, "__wrapped__", sdk_debug))
    monkeypatch.delenv(program_process.SDK_DEBUG_ENV, raising=False)
    logged: list[str] = []  # what reaches the engine
    monkeypatch.setattr(pulumi.log, "get_engine", lambda: SimpleNamespace(Log=lambda req: logged.append(req.message)))
    SETTINGS.outputs.clear()
    yield logged
    SETTINGS.outputs.clear()


def run(program: Callable[[], Any]) -> Any:
    """Run ``program`` (a coroutine function) on a new event loop, as the language host runs the user's program."""
    return asyncio.run(program())


def awaiting(future: asyncio.Future[int]) -> pulumi.Output[int]:
    """An Output whose value is the future's."""
    known: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    known.set_result(True)
    return pulumi.Output(set(), future, known)


def chain(steps: int, ran: list[int], fail_at: int = 0) -> Callable[[int], Any]:
    """An apply that makes the next Output of the chain when it runs: steps 2..n are made while draining."""

    def step(value: int) -> Any:
        ran.append(value)
        if value == fail_at:
            raise RuntimeError(f"step {value} failed")
        return pulumi.Output.from_input(value + 1).apply(step) if value < steps else value

    return step


def test_every_output_is_awaited_those_made_while_draining_included(fresh_process: list[str]) -> None:
    ran: list[int] = []

    async def program() -> None:
        pulumi.Output.from_input(1).apply(chain(50, ran))
        await drain_outputs(SETTINGS)
        assert not SETTINGS.outputs

    run(program)
    assert ran == list(range(1, 51))


def test_the_first_failure_is_raised_while_a_slower_output_made_before_it_still_waits(
    fresh_process: list[str],
) -> None:
    async def program() -> None:
        loop = asyncio.get_running_loop()
        slow: asyncio.Future[int] = loop.create_future()  # never resolved by itself
        awaiting(slow).apply(lambda value: value)
        failing: asyncio.Future[int] = loop.create_future()
        awaiting(failing).apply(lambda value: value)
        loop.call_soon(failing.set_exception, ValueError("the apply's own error"))
        with pytest.raises(ValueError, match="the apply's own error"):
            await asyncio.wait_for(drain_outputs(SETTINGS), timeout=30)
        slow.cancel()

    run(program)


def test_a_failure_in_an_output_made_while_draining_is_raised(fresh_process: list[str]) -> None:
    ran: list[int] = []

    async def program() -> None:
        pulumi.Output.from_input(1).apply(chain(5, ran, fail_at=3))
        with pytest.raises(RuntimeError, match="step 3 failed"):
            await drain_outputs(SETTINGS)

    run(program)
    assert ran == [1, 2, 3]


def test_a_tolerated_failure_lets_the_others_be_awaited(fresh_process: list[str]) -> None:
    class Tolerated(Exception):
        pass

    ran: list[int] = []

    async def program() -> None:
        pulumi.Output.from_input(0).apply(lambda _: (_ for _ in ()).throw(Tolerated()))
        pulumi.Output.from_input(1).apply(chain(3, ran))
        await drain_outputs(SETTINGS, (Tolerated,))

    run(program)
    assert ran == [1, 2, 3]


def test_install_replaces_the_sdks_wait_once_and_the_program_still_ends_as_the_sdk_ends_it(
    fresh_process: list[str],
) -> None:
    sdk_wait = stack.wait_for_rpcs
    program_process.install()
    installed = stack.wait_for_rpcs
    assert installed is not sdk_wait and installed.__wrapped__ is sdk_wait  # type: ignore[attr-defined]
    program_process.install()
    assert stack.wait_for_rpcs is installed, "a second resource does not install again"
    assert fresh_process == []
    ran: list[int] = []

    async def program() -> None:
        pulumi.Output.from_input(1).apply(chain(4, ran))
        await stack.wait_for_rpcs()

    run(program)
    assert ran == [1, 2, 3, 4]


class EngineCall(grpc.RpcError):  # type: ignore[misc]  # grpc has no type stubs here
    """A gRPC call that ended with ``status``, as grpc-python raises it (an ``RpcError`` that is also a call)."""

    def __init__(self, status: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.said = details

    def code(self) -> grpc.StatusCode:
        return self.status

    def details(self) -> str:
        return self.said


def registration_ended_with(status: grpc.StatusCode, details: str) -> Exception:
    """What the SDK raises when the engine answers a registration with ``status`` (``handle_grpc_error``, raised
    while handling the call's error)."""
    try:
        raise EngineCall(status, details)
    except grpc.RpcError as call:
        try:
            handle_grpc_error(call)
        except Exception as raised:  # the SDK's own exception, to be set on an output
            return raised
    raise AssertionError("handle_grpc_error always raises")


def end_with(failure: Exception) -> None:
    """Run a program whose one output holds ``failure``, ended by the installed wait, as the language host runs it."""

    async def program() -> None:
        failed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        failed.set_exception(failure)
        awaiting(failed).apply(lambda value: value)
        await stack.wait_for_rpcs()

    run(program)


@pytest.mark.parametrize(
    ("status", "details", "raised_by_the_sdk"),
    [
        (grpc.StatusCode.CANCELLED, "context canceled", "Exception('context canceled')"),
        (
            grpc.StatusCode.UNAVAILABLE,
            "resource monitor shut down while waiting on step's done channel",
            "RunError('Resource monitor has terminated, shutting down')",
        ),
    ],
)
def test_a_registration_the_engine_stopped_ends_the_program_as_already_shown(
    fresh_process: list[str], status: grpc.StatusCode, details: str, raised_by_the_sdk: str
) -> None:
    """The engine stopped the deployment (a provider's refusal, Ctrl-C) and says why itself: the language host's
    exit code for "already shown", never "Program failed with an unhandled exception" and a traceback, nor one more
    error under the engine's."""
    program_process.install()
    stopped = registration_ended_with(status, details)
    assert repr(stopped) == raised_by_the_sdk  # all the SDK keeps in its words

    with pytest.raises(SystemExit) as ended:
        end_with(stopped)
    assert ended.value.code == program_process.ALREADY_SHOWN_EXIT_CODE == 32
    assert not [line for line in fresh_process if str(stopped) in line or "Traceback" in line]


@pytest.mark.parametrize("status", [grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE])
def test_a_call_the_engine_stopped_while_the_sdk_waits_for_it_ends_the_program_as_already_shown(
    fresh_process: list[str], status: grpc.StatusCode
) -> None:
    """The stack's outputs registered as the engine stops (Ctrl-C after the last resource): the SDK's own wait
    re-raises the call's exception from itself, its gRPC error kept as the context only."""
    program_process.install()
    stopped = registration_ended_with(status, "the engine stopped")

    async def register_outputs() -> None:
        raise stopped

    async def program() -> None:
        rpc_manager = stack._get_rpc_manager()  # type: ignore[attr-defined]  # the SDK's own, not exported
        # The call ends (the failure recorded as the run's first) while still listed among the outstanding ones.
        await rpc_manager.do_rpc("register resource outputs", register_outputs)()
        try:
            await stack.wait_for_rpcs()
        finally:
            rpc_manager.clear()

    with pytest.raises(SystemExit) as ended:
        run(program)
    assert ended.value.code == program_process.ALREADY_SHOWN_EXIT_CODE
    assert stopped.__cause__ is stopped, "the SDK's own chain, which hides the gRPC error from __cause__"


@pytest.mark.parametrize(
    "status", [grpc.StatusCode.UNKNOWN, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL]
)
def test_any_other_failure_of_a_registration_is_raised_as_before(
    fresh_process: list[str], status: grpc.StatusCode
) -> None:
    program_process.install()
    refused = registration_ended_with(status, "the engine's own error")
    assert not program_process.stopped_by_engine(refused)
    assert not program_process.stopped_by_engine(RuntimeError("context canceled"))  # the words alone are not enough

    with pytest.raises(Exception) as raised:
        end_with(refused)
    assert raised.value is refused


def test_another_sdk_function_is_left_alone_with_one_debug_line(
    fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def rewritten_upstream(await_all_outstanding_tasks: bool = True) -> None:
        await asyncio.gather(*SETTINGS.outputs)

    monkeypatch.setattr(stack, "wait_for_rpcs", rewritten_upstream)
    program_process.install()
    program_process.install()
    assert stack.wait_for_rpcs is rewritten_upstream
    [line] = fresh_process
    assert "the Pulumi SDK's wait for pending outputs is kept as it is" in line
    assert "pulumi.runtime.stack.wait_for_rpcs is not the function this package replaces" in line


def test_the_drain_is_never_installed_over_itself(fresh_process: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    program_process.install()
    installed = stack.wait_for_rpcs
    monkeypatch.setattr(program_process, "_installed", False)  # as if the module were imported twice
    program_process.install()
    assert stack.wait_for_rpcs is installed
    [line] = fresh_process
    assert "is not the function this package replaces" in line


# -- the stack trace recorded with each of this package's resources -----------------------------------------------

PACKAGE = Path(program_process.__file__).parent
PROGRAM = "/home/me/infra/__main__.py"


def stack_of(*files: str) -> Any:
    """A chain of frames, innermost first, each at line 7 of its file ("<frozen runpy>" and the like: no file)."""
    frame = None
    for file in reversed(files):
        frame = SimpleNamespace(f_code=SimpleNamespace(co_filename=file), f_lineno=7, f_back=frame)
    return frame


def test_the_trace_keeps_the_programs_frames_only() -> None:
    frames = stack_of(
        str(Path(pulumi.__file__).parent / "runtime" / "resource.py"),  # register_resource
        str(Path(pulumi.__file__).parent / "dynamic" / "dynamic.py"),  # the SDK's constructors
        str(PACKAGE / "resources" / "hostname_association.py"),  # this package's constructor
        PROGRAM,  # the user's line: the resource's sourcePosition
        "/home/me/infra/components.py",  # the user's own helper, also the program
        "<frozen runpy>",
        "/opt/pulumi/bin/pulumi-language-python-exec",
        str(Path(pulumi.__file__).parent / "runtime" / "stack.py"),
        str(Path(asyncio.__file__).parent / "base_events.py"),
    )
    assert program_process.program_frames(frames) == [(PROGRAM, 7), ("/home/me/infra/components.py", 7)]
    assert program_process.program_frames(stack_of(str(PACKAGE / "resources" / "mtls_certificate.py"), "")) == []


def test_only_this_packages_registrations_get_the_programs_trace(fresh_process: list[str]) -> None:
    sdk_trace = resource._get_stack_trace
    program_process.install()
    installed: Any = resource._get_stack_trace
    assert installed.__wrapped__ is sdk_trace
    program_process.install()
    assert resource._get_stack_trace is installed, "a second resource does not install again"
    assert fresh_process == []

    def register() -> Any:  # register_resource, in the SDK: the trace is taken from its caller on
        return installed()

    with program_process.registering():
        frames = register().frames
    # Here this test is "the program" (its frames are none of the package's, the SDK's or the standard library's), and
    # so are pytest's below it, down to the first of the standard library.
    assert frames[0].pc.uri == Path(__file__).as_uri()
    assert frames[0].pc.line == register.__code__.co_firstlineno + 1
    assert all(
        program_process.is_program_file(Path(frame.pc.uri.removeprefix("file://")).as_posix()) for frame in frames
    )
    assert register().frames == [], "another package's resource gets the SDK's trace (none: no three constructors)"


def test_the_output_types_of_this_packages_resources_are_read_once_per_class(
    fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[type] = []
    sdk_types = _types.resource_types

    def counting(resource_cls: type) -> dict[str, type]:
        read.append(resource_cls)
        return sdk_types(resource_cls)

    monkeypatch.setattr(_types, "resource_types", counting)
    program_process.install()
    types: Any = _types.resource_types
    assert types.__wrapped__ is counting and fresh_process == []
    first = types(HostnameAssociation)
    assert first["hostnames"] is not None and "rule_id" in first
    first.clear()  # a caller's change does not reach the next caller
    assert types(HostnameAssociation) == sdk_types(HostnameAssociation) and types(MTLSCertificate)
    types(MTLSCertificate)
    assert read == [HostnameAssociation, MTLSCertificate], "once per class of this package"
    types(pulumi.CustomResource)
    types(pulumi.CustomResource)
    assert read[2:] == [pulumi.CustomResource, pulumi.CustomResource], "another class: the SDK's lookup each time"


# -- the SDK's debug lines about this package's registrations --------------------------------------------------------


def debug_line(text: str) -> None:
    pulumi.log.debug(text)


async def debug_line_later(text: str) -> None:
    pulumi.log.debug(text)


def in_the_sdk(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as if defined in one of the SDK's modules (``pulumi.runtime.resource``), as the SDK's own code is."""
    return FunctionType(function.__code__, {"__name__": "pulumi.runtime.resource", "pulumi": pulumi})


def test_the_sdks_own_debug_lines_about_this_packages_registrations_are_not_sent(fresh_process: list[str]) -> None:
    program_process.install()
    sdk_line, registration = in_the_sdk(debug_line), in_the_sdk(debug_line_later)

    async def program() -> None:
        with program_process.registering():  # this package's constructor
            sdk_line("registering resource: ty=cfmtls:HostnameAssociation")
            pulumi.log.debug("cfmtls_provider: a line of this package's own")
            pulumi.log.warn("a warning")
            task = asyncio.ensure_future(registration("RegisterResource RPC prepared"))  # started by the constructor
        await task
        sdk_line("registering resource: ty=aws:s3:Bucket")  # another package's resource

    run(program)
    assert fresh_process == [
        "cfmtls_provider: a line of this package's own",
        "a warning",
        "registering resource: ty=aws:s3:Bucket",
    ]


def test_the_sdks_debug_lines_are_all_sent_when_asked(
    fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(program_process.SDK_DEBUG_ENV, "true")
    sdk_debug = pulumi.log.debug
    program_process.install()
    assert pulumi.log.debug is sdk_debug
    with program_process.registering():
        in_the_sdk(debug_line)("registering resource")
    assert fresh_process == ["registering resource"]
