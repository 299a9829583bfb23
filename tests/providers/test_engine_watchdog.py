"""The provider process exits when the engine is gone (issue 17, point 12): the pieces, with a real socket
standing in for the engine's gRPC server. The whole, as a user kills the CLI, is in tests/e2e/test_hardening.py."""

from __future__ import annotations

import socket
import threading
import time

from cfmtls_provider.resources._watchdog import engine_address, engine_alive_check, start_engine_watchdog


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
    import os

    assert engine_alive_check([], os.getppid())()
    assert not engine_alive_check([], os.getppid() + 100_000)()


def test_the_watchdog_exits_after_two_missed_checks_and_starts_once() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    exited = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()

    import cfmtls_provider.resources._watchdog as watchdog

    watchdog._STARTED.clear()
    assert start_engine_watchdog([f"127.0.0.1:{port}"], interval=0.05, exit_process=fake_exit)
    assert not start_engine_watchdog([f"127.0.0.1:{port}"], interval=0.05, exit_process=fake_exit)
    time.sleep(0.3)
    assert not exited.is_set()
    listener.close()
    assert exited.wait(5) and codes == [0]
