"""The three providers configured against an in-process emulator, as the provider tests drive them."""

from __future__ import annotations

from typing import Any, TypeVar

from pulumi.dynamic import Config, ConfigureRequest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._base import CloudflareProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.zones import ACCOUNT, ZONE

__all__ = ["ACCOUNT", "ZONE", "configured", "create_ca"]

Provider = TypeVar("Provider", bound=CloudflareProvider)


def configured(provider: Provider, emulator: EmulatorServer, **extra: str) -> Provider:
    """``provider`` configured as the engine does, for ``emulator``'s account; ``extra`` adds or overrides config."""
    config = {
        "cfmtls:apiToken": emulator.token,
        "cfmtls:baseUrl": emulator.base_url,
        "cfmtls:accountId": ACCOUNT,
        "cfmtls:deleteWaitSeconds": "3",  # more than the association lag the lifecycle tests give the emulator
        "cfmtls:maxRetries": "1",
        **extra,
    }
    provider.configure(ConfigureRequest(Config(config, "proj")))
    return provider


def create_ca(provider: MTLSCertificateProvider, name: str = "corp-ca", **extra: Any) -> tuple[str, dict[str, Any]]:
    """Upload a fresh CA named ``name`` through ``provider`` (check, then create); its id and outputs."""
    inputs = provider.check({}, {"certificates": make_ca(name).pem, "name": name, **extra}).inputs
    result = provider.create(inputs)
    assert result.outs is not None
    return result.id, result.outs
