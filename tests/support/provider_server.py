"""The real provider server (`python -m pulumi.dynamic`) started as the engine starts it, and its wire format."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

TOKEN = "grpc-token-4c2e8a6f0b1d3e5f7a9c8b6d4e2f0a1b"
"""The only token the gRPC tests' emulator accepts; it must never show in an answer or the server's output."""
CERT_URN = "urn:pulumi:test::proj::pulumi-python:dynamic/cfmtls:MTLSCertificate::ca"
ASSOC_URN = "urn:pulumi:test::proj::pulumi-python:dynamic/cfmtls:HostnameAssociation::hosts"


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """``props`` serialized as the SDK sends them to a provider."""
    result: struct_pb2.Struct = asyncio.run(rpc.serialize_properties(props, {}))
    return result


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    result: dict[str, Any] = rpc.deserialize_properties(message)
    return result


@dataclass(frozen=True)
class ProviderServer:
    """A running ``python -m pulumi.dynamic``; the caller stops it (``process.kill()``) or waits for it."""

    process: subprocess.Popen[str]
    port: int

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(f"127.0.0.1:{self.port}")


def start_provider_server(*engine_address: str) -> ProviderServer:
    """Start the server as the engine does (given the engine's address, it watches it), with no Cloudflare or
    cfmtls variable in its environment: credentials reach it only through Configure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFMTLS_"))}
    env["PULUMI_PROJECT"] = "proj"
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic", *engine_address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        return ProviderServer(process, int(process.stdout.readline().strip()))
    except BaseException:
        process.kill()
        process.communicate(timeout=10)
        raise
