"""End-to-end fixtures: the Pulumi CLI, a fresh emulator and a fresh file-backend stack per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cfmtls_provider.emulator.admin_client import EmulatorAdmin
from cfmtls_provider.emulator.config import ALL_SCOPES, EmulatorConfig
from cfmtls_provider.emulator.server import EmulatorServer
from tests.support.pulumi_stack import pulumi_bin_dir
from tests.support.zones import TEST_ZONES

from .harness import TOKEN, Stack, install_as_a_user


@pytest.fixture(scope="session")
def pulumi_bin() -> str:
    return pulumi_bin_dir()


@pytest.fixture(scope="session")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv holding the package as a user installs it: `pip install <path>`, not editable, no extras."""
    return install_as_a_user(tmp_path_factory.mktemp("user"))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(tokens={TOKEN: ALL_SCOPES}, zones=TEST_ZONES)


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorAdmin]:
    with EmulatorAdmin(emulator_server.root_url) as admin:
        yield admin


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorAdmin, pulumi_bin: str) -> Iterator[Stack]:
    stack = Stack.create(tmp_path, emulator, pulumi_bin)
    yield stack
    # Nothing to clean up: every test has its own emulator and its own stack (project, state, PULUMI_HOME under
    # tmp_path). The last lines of the stack's command log are printed; pytest shows them when the test fails.
    print("\n".join(stack.log[-6:]))
