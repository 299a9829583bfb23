"""Shared fixtures: a local Cloudflare API emulator on a free port (certificates: tests.support.certs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.zones import TEST_ZONES


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """The configuration of the ``emulator`` fixture; override it in a test module to change tokens etc."""
    return EmulatorConfig(zones=TEST_ZONES)


@pytest.fixture
def emulator(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """A fresh emulator for one test (default token :data:`~cfmtls_provider.emulator.assumptions.DEFAULT_TOKEN`), on a free port."""
    with EmulatorServer(emulator_config) as server:
        yield server


@pytest.fixture(scope="module")
def emulator_module() -> Iterator[EmulatorServer]:
    """One emulator shared by a module's tests (reset it yourself if a test needs it empty)."""
    with EmulatorServer(EmulatorConfig(zones=TEST_ZONES)) as server:
        yield server
