"""What the package installs in Pulumi's dynamic-provider server (``cfmtls_provider/provider_process.py``): errors for
people, the engine watchdog and a wider pool, by one call from ``configure``, only inside that server, once.

The server module runs ``main()`` when imported, so its source is read, not imported: if an SDK upgrade renames or
drops what a patch relies on, these tests fail before users see Python stacks again. tests/grpc/ proves each patch
on the running server (test_provider_server.py, test_engine_watchdog.py, test_provider_server_workers.py).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cfmtls_provider import provider_process
from cfmtls_provider.provider_process import engine_address, engine_alive_check, start_engine_watchdog
from cfmtls_provider.resources._errors import ProviderError
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider

PROVIDER_METHODS = {"Check", "Diff", "Create", "Read", "Update", "Delete"}


def server_source() -> ast.Module:
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def never_exit(code: int) -> None:
    raise AssertionError(f"the watchdog ended the test process ({code})")


def install(workers: int = 16) -> bool:
    return provider_process.install(
        server_workers=workers, user_errors=(ProviderError,), argv=[], exit_process=never_exit
    )


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """A ``__main__`` that looks like pulumi.dynamic's server; whatever is installed in it is uninstalled after."""
    server = types.ModuleType("__main__")
    monkeypatch.setattr(server, "DynamicResourceProviderServicer", object, raising=False)
    monkeypatch.setattr(server, "traceback", traceback, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", server)
    yield server
    provider_process.uninstall()


#: A process that looks like the provider server imports the whole package, and says what changed.
IMPORT_ONLY = """
import json, pickle, sys, threading, traceback, types
server = types.ModuleType("__main__")
server.DynamicResourceProviderServicer, server.traceback = object, traceback
sys.modules["__main__"] = server
pickler = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict
import cfmtls_provider, cfmtls_provider.cli, cfmtls_provider.provider_process
from cfmtls_provider.resources import hostname_association, mtls_certificate, client_certificate_rule, issuer_handover
print(json.dumps({
    "traceback": server.traceback is traceback,
    "pickler": (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict) == pickler,
    "threads": sorted(thread.name for thread in threading.enumerate()),
}))
"""


def test_importing_the_package_changes_nothing_even_inside_the_server() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {"traceback": True, "pickler": True, "threads": ["MainThread"]}


# -- errors for people ---------------------------------------------------------------------------------------------


def test_the_installed_sdk_reports_provider_errors_through_traceback_format_exc() -> None:
    tree = server_source()
    imports = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    assert "traceback" in imports, "pulumi.dynamic's server no longer imports traceback: revisit _UserFacingTracebacks"
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "_abort_with_traceback" in functions, "pulumi.dynamic's server has no _abort_with_traceback any more"
    calls = [
        ast.unparse(node.func) for node in ast.walk(functions["_abort_with_traceback"]) if isinstance(node, ast.Call)
    ]
    assert "traceback.format_exc" in calls
    servicer = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "DynamicResourceProviderServicer"
    )
    wrapped = {
        method.name
        for method in servicer.body
        if isinstance(method, ast.FunctionDef)
        and any(ast.unparse(decorator) == "_abort_with_traceback" for decorator in method.decorator_list)
    }
    assert wrapped >= PROVIDER_METHODS


def test_the_installed_sdk_serves_on_a_pool_of_4_and_configures_providers_before_use() -> None:
    """What the pool's widening and the one call from ``configure`` rely on."""
    tree = server_source()
    main = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main")
    assert "futures.ThreadPoolExecutor(max_workers=4)" in ast.unparse(main)
    get_provider = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "get_provider")
    assert "provider.configure(req)" in ast.unparse(get_provider)


def abort_with_traceback(fn: Callable[[], None], server: types.ModuleType) -> str:
    """What the SDK's ``_abort_with_traceback`` does with an exception, with the server's ``traceback``."""

    class Aborted(Exception):
        pass

    class Context:
        details = ""

        def abort(self, code: grpc.StatusCode, details: str) -> None:
            self.details = details
            raise Aborted

    context = Context()
    with pytest.raises(Aborted):
        try:
            fn()
        except Exception:
            context.abort(grpc.StatusCode.UNKNOWN, server.traceback.format_exc())
    return context.details


def test_inside_the_server_a_provider_error_is_reported_as_its_message_alone(fake_server: types.ModuleType) -> None:
    assert install()
    assert fake_server.traceback is not traceback

    def refuse() -> None:
        raise ProviderError("Uploading the CA certificate failed: it expired. Renew it.")

    assert abort_with_traceback(refuse, fake_server) == "Uploading the CA certificate failed: it expired. Renew it."
    assert traceback.format_exc is not None and sys.modules["traceback"] is traceback  # the module is not touched


def test_any_other_exception_keeps_its_traceback_for_the_bug_report(fake_server: types.ModuleType) -> None:
    install()

    def bug() -> None:
        raise KeyError("id")

    details = abort_with_traceback(bug, fake_server)
    assert details.startswith("Traceback (most recent call last):")
    assert "KeyError: 'id'" in details


def test_a_refused_setting_at_configure_is_reported_as_its_sentence_too(
    fake_server: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CFMTLS_SERVER_WORKERS", "many")

    def configure() -> None:
        MTLSCertificateProvider().configure(ConfigureRequest(Config({}, "proj")))

    details = abort_with_traceback(configure, fake_server)
    assert details.startswith("cfmtls:serverWorkers / CFMTLS_SERVER_WORKERS must be a whole number")


def test_outside_the_server_nothing_is_replaced_nor_started(monkeypatch: pytest.MonkeyPatch) -> None:
    program = types.ModuleType("__main__")
    monkeypatch.setattr(program, "traceback", traceback, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", program)
    watchdogs = {thread for thread in threading.enumerate() if thread.name == "cfmtls-engine-watchdog"}
    assert not install()
    MTLSCertificateProvider().configure(ConfigureRequest(Config({}, "proj")))
    assert program.traceback is traceback
    assert {thread for thread in threading.enumerate() if thread.name == "cfmtls-engine-watchdog"} == watchdogs


def test_uninstall_puts_back_the_servers_traceback_and_stops_the_watchdog(fake_server: types.ModuleType) -> None:
    assert install()
    provider_process.uninstall()
    assert fake_server.traceback is traceback
    deadline = time.monotonic() + 3 * provider_process.CHECK_INTERVAL_SECONDS
    while any(t.name == "cfmtls-engine-watchdog" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "cfmtls-engine-watchdog" for t in threading.enumerate())
    assert install(), "installed again after an uninstall"


# -- more than 4 calls at once -------------------------------------------------------------------------------------


def test_the_pool_of_the_calling_worker_grows_once_and_serves_waiting_calls_at_once(
    fake_server: types.ModuleType,
) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert pool.submit(install, 8).result(timeout=10)
        assert not pool.submit(install, 32).result(timeout=10)  # once
        everyone = threading.Barrier(8, timeout=10)
        waits = [pool.submit(everyone.wait) for _ in range(8)]  # would deadlock with 4 threads
        assert sorted(w.result(timeout=10) for w in waits) == list(range(8))
        provider_process.uninstall()
        assert pool._max_workers == 4


def test_nothing_widens_outside_a_worker_or_outside_the_server(
    fake_server: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert provider_process.widen_server_pool(8) is None  # the main thread is no pool's worker
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert not pool.submit(install, 8).result(timeout=10)
        assert pool._max_workers == 4


@pytest.mark.parametrize(("config", "workers"), [({}, 16), ({"cfmtls:serverWorkers": "4"}, 4)])
def test_configure_widens_the_server_to_the_configured_number(
    fake_server: types.ModuleType, config: dict[str, str], workers: int
) -> None:
    """``cfmtls:serverWorkers`` / ``CFMTLS_SERVER_WORKERS``: 4 keeps the SDK's own server (the benchmark's A/B)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        pool.submit(MTLSCertificateProvider().configure, ConfigureRequest(Config(config, "proj"))).result(timeout=10)
        assert pool._max_workers == workers
        provider_process.uninstall()


# -- an exit when the engine is gone (the whole, as a user kills the CLI: tests/e2e/test_hardening.py) -------------


def test_the_engine_address_is_the_last_host_port_argument() -> None:
    assert engine_address(["--logtostderr", "-v=9", "127.0.0.1:41234"]) == ("127.0.0.1", 41234)
    assert engine_address(["localhost:5", "--tracing", "x"]) == ("localhost", 5)
    assert engine_address(["[::1]:8080"]) == ("::1", 8080)
    assert engine_address(["--logtostderr", "-v=9"]) is None
    assert engine_address([]) is None


def test_a_listening_engine_is_alive_and_a_closed_one_is_not() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    alive = engine_alive_check([f"127.0.0.1:{port}"], parent_pid=0)
    assert alive()
    listener.close()
    assert not alive()


def test_without_an_address_the_parent_process_is_watched() -> None:
    assert engine_alive_check([], os.getppid())()
    assert not engine_alive_check([], os.getppid() + 100_000)()


def test_the_watchdog_exits_after_two_missed_checks() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    exited = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    stop = start_engine_watchdog([f"127.0.0.1:{port}"], interval=0.05, exit_process=fake_exit)
    try:
        time.sleep(0.3)
        assert not exited.is_set()
        listener.close()
        assert exited.wait(5) and codes == [0]
    finally:
        stop.set()
