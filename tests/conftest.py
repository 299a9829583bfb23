"""Shared fixtures: a local Cloudflare API emulator on a free port, and a process environment without settings
(certificates: tests.support.certs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cfmtls_provider.emulator.config import EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.settings import NUMBERS
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


#: Every environment variable the settings read (cfmtls_provider/settings.py, its table).
SETTINGS_ENVIRONMENT = (
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_EMAIL",
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_BASE_URL",
    "CLOUDFLARE_ACCOUNT_ID",
    *(setting.env for setting in NUMBERS.values()),
)


@pytest.fixture
def no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the settings' variables is set: a test's settings come from what it configures (``pytestmark =
    pytest.mark.usefixtures("no_ambient_settings")`` for a whole module)."""
    for name in SETTINGS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
