"""The provider tests' fixtures: each provider configured against the test's emulator."""

from __future__ import annotations

import pytest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import configured


@pytest.fixture
def certs(emulator: EmulatorServer) -> MTLSCertificateProvider:
    return configured(MTLSCertificateProvider(), emulator)


@pytest.fixture
def assocs(emulator: EmulatorServer) -> HostnameAssociationProvider:
    return configured(HostnameAssociationProvider(), emulator)


@pytest.fixture
def rules(emulator: EmulatorServer) -> ClientCertificateRuleProvider:
    return configured(ClientCertificateRuleProvider(), emulator)
