"""``widen_provider_server``: only inside the dynamic-provider server, only on its workers, once."""

from __future__ import annotations

import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from cfmtls_provider.resources import _base, _server_threads
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider


@pytest.fixture
def in_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process looks like ``python -m pulumi.dynamic``, and has not widened anything yet."""
    main = types.ModuleType("__main__")
    monkeypatch.setattr(main, "DynamicResourceProviderServicer", object, raising=False)
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(_server_threads, "_done", threading.Event())


def test_the_pool_of_the_calling_worker_grows_and_serves_waiting_calls_at_once(in_server: None) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert pool.submit(_server_threads.widen_provider_server, 8).result(timeout=10) == 8
        assert pool.submit(_server_threads.widen_provider_server, 32).result(timeout=10) is None  # once
        everyone = threading.Barrier(8, timeout=10)
        waits = [pool.submit(everyone.wait) for _ in range(8)]  # would deadlock with 4 threads
        assert sorted(w.result(timeout=10) for w in waits) == list(range(8))


def test_nothing_changes_outside_a_worker_or_outside_the_server(
    in_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _server_threads.widen_provider_server(8) is None  # the main thread is no pool's worker
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert pool.submit(_server_threads.widen_provider_server, 8).result(timeout=10) is None


@pytest.mark.parametrize(("config", "workers"), [({}, 16), ({"cfmtls:serverWorkers": "4"}, 4)])
def test_configure_widens_the_server_to_the_configured_number(
    monkeypatch: pytest.MonkeyPatch, config: dict[str, str], workers: int
) -> None:
    """``cfmtls:serverWorkers`` / ``CFMTLS_SERVER_WORKERS``: 4 keeps the SDK's own server (the benchmark's A/B)."""
    asked: list[int] = []
    monkeypatch.setattr(_base, "widen_provider_server", asked.append)
    MTLSCertificateProvider().configure(ConfigureRequest(Config(config, "proj")))
    assert asked == [workers]
