"""The real provider server (`python -m pulumi.dynamic <engine address>`, as the engine starts it) exits once
the engine's address stops accepting connections (issue 17, point 12)."""

from __future__ import annotations

import socket
import time

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.provider_server import CERT_URN, start_provider_server, struct

pytestmark = pytest.mark.grpc


def test_the_server_exits_when_the_engine_address_goes_away() -> None:
    engine = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{engine.getsockname()[1]}"
    started = start_provider_server(address)
    process = started.process
    try:
        with started.channel() as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            news = {
                "certificates": make_ca("watchdog CA").pem,
                "__provider": serialize_provider(MTLSCertificateProvider()),
            }
            stub.Check(provider_pb2.CheckRequest(urn=CERT_URN, olds=struct({}), news=struct(news)))
        time.sleep(5)
        assert process.poll() is None, "the server must keep running while the engine is there"
        engine.close()
        process.wait(timeout=20)
        assert process.returncode == 0
        assert process.stderr is not None
        assert "the Pulumi engine is gone; the provider process exits." in process.stderr.read()
    finally:
        engine.close()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
