"""The gRPC tests' fixtures: an emulator that accepts only the test's own token, the real provider server
configured for it (as the engine configures it, from stack config), and the providers serialized as the SDK
serializes them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.provider_server import TOKEN, start_provider_server, struct
from tests.support.zones import ACCOUNT, TEST_ZONES


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={TOKEN: ALL_SCOPES}, zones=TEST_ZONES)


@pytest.fixture
def server(emulator: EmulatorServer) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    started = start_provider_server()
    try:
        with started.channel() as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            config = {
                "cfmtls:apiToken": TOKEN,
                "cfmtls:baseUrl": emulator.base_url,
                "cfmtls:accountId": ACCOUNT,
                "cfmtls:deleteWaitSeconds": "10",  # above the emulator's default association lag
            }
            stub.Configure(provider_pb2.ConfigureRequest(args=struct(config), acceptSecrets=False))
            yield stub
    finally:
        started.process.kill()
        _, stderr = started.process.communicate(timeout=10)
        assert TOKEN not in stderr


@pytest.fixture
def serialized() -> dict[str, str]:
    return {
        "certificate": serialize_provider(MTLSCertificateProvider()),
        "association": serialize_provider(HostnameAssociationProvider()),
        "rule of 0.1": serialize_provider(ClientCertificateRuleProvider()),
    }
