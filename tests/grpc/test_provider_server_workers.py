"""The real provider server runs more than the SDK's 4 calls at once (``cfmtls_provider/provider_process.py``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2

from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.settings import ProviderSettings
from tests.support.certs import make_ca
from tests.support.provider_server import CERT_URN, TOKEN, struct

pytestmark = pytest.mark.grpc

LATENCY_S = 0.5
CALLS = 12


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={TOKEN: ALL_SCOPES}, latency_ms=LATENCY_S * 1000)


def peak_in_flight(entries: list[dict[str, Any]]) -> int:
    """Most calls the emulator was serving at one moment. Each call took at least the latency, so
    [finished - latency, finished] lies within the time it was in flight: the count is a lower bound."""
    finished = sorted(float(entry["time"]) for entry in entries)
    return max(sum(1 for other in finished if t <= other <= t + LATENCY_S) for t in finished)


def test_reads_of_a_refresh_run_more_than_four_at_once(
    server: Any, serialized: dict[str, str], emulator: EmulatorServer
) -> None:
    assert ProviderSettings(credentials=None).server_workers >= CALLS  # the default
    news = {"certificates": make_ca("workers CA").pem, "__provider": serialized["certificate"]}
    checked = server.Check(provider_pb2.CheckRequest(urn=CERT_URN, olds=struct({}), news=struct(news)))
    created = server.Create(provider_pb2.CreateRequest(urn=CERT_URN, properties=checked.inputs))
    emulator.clear_requests()

    def read(_: int) -> str:
        answer = server.Read(provider_pb2.ReadRequest(id=created.id, urn=CERT_URN, properties=created.properties))
        return str(answer.id)

    with ThreadPoolExecutor(CALLS) as pool:
        assert list(pool.map(read, range(CALLS))) == [created.id] * CALLS
    reads = [entry for entry in emulator.requests() if entry["method"] == "GET"]
    assert len(reads) == CALLS
    # The SDK's server alone would serve these 4 at a time (3 rounds); widened, all of them at once.
    assert peak_in_flight(reads) > 4
