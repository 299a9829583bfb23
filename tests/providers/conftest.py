"""The provider tests' fixtures: each provider configured against the test's emulator, and each test a run of its
own (the provider process's memory of the run and the program's declarations start empty)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._declared import declared
from cfmtls_provider.resources._this_run import this_run
from cfmtls_provider.resources.client_certificate_rule import ClientCertificateRuleProvider
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.issuer_handover import IssuerHandoverProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.providers import configured
from tests.support.zones import TEST_ZONES


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Association removals applied after 0.3 s (Cloudflare lags; the emulator's default is 2 s): a CA delete
    after its list is emptied is refused as in use once or twice, then goes, without slowing the tests down."""
    return EmulatorConfig(zones=TEST_ZONES, association_lag_seconds=0.3)


@pytest.fixture(autouse=True)
def _a_run_of_its_own() -> Iterator[None]:
    this_run.reset()
    declared.reset()
    yield
    this_run.reset()
    declared.reset()


@pytest.fixture
def certs(emulator: EmulatorServer) -> MTLSCertificateProvider:
    return configured(MTLSCertificateProvider(), emulator)


@pytest.fixture
def assocs(emulator: EmulatorServer) -> HostnameAssociationProvider:
    return configured(HostnameAssociationProvider(), emulator)


@pytest.fixture
def legacy_rules(emulator: EmulatorServer) -> ClientCertificateRuleProvider:
    """The provider of a ``ClientCertificateRule`` record of 0.1, as the engine unpickles it from such a stack."""
    return configured(ClientCertificateRuleProvider(), emulator)


@pytest.fixture
def legacy_handovers(emulator: EmulatorServer) -> IssuerHandoverProvider:
    """The provider of an ``IssuerHandover`` record of 0.1."""
    return configured(IssuerHandoverProvider(), emulator)
