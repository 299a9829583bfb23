"""The gRPC tests' emulator accepts only the test's own token."""

from __future__ import annotations

import pytest

from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from tests.support.zones import TEST_ZONES

from .test_provider_server import TOKEN, serialized, server  # noqa: F401 (fixtures shared by the gRPC tests)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={TOKEN: ALL_SCOPES}, zones=TEST_ZONES)
