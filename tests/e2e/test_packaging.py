"""Building the package as a user's pip does (`pip wheel .`, `pip install .`, with pip's build isolation, so the
build backend is the one pyproject.toml asks for) prints no warning of ours, and the wheel says its license."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.package_source import copy_package_source

pytestmark = pytest.mark.e2e

#: What setuptools prints about a project's own configuration (e.g. "`project.license` as a TOML table is
#: deprecated"); pip's notices about itself are not ours.
OUR_WARNINGS = ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "SetuptoolsWarning", "is deprecated")


def pip(python: Path | str, *args: str) -> str:
    done = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def assert_quiet(output: str) -> None:
    noisy = [line for line in output.splitlines() if any(word in line for word in OUR_WARNINGS)]
    assert noisy == [], output


def test_pip_wheel_prints_no_warning_and_the_wheel_carries_the_spdx_license(tmp_path: Path) -> None:
    source = copy_package_source(tmp_path / "cfmtls-provider")
    assert_quiet(pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source)))
    [wheel] = (tmp_path / "dist").glob("cfmtls_provider-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
        assert "License-Expression: Apache-2.0" in archive.read(metadata).decode().splitlines()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names


def test_pip_install_into_a_fresh_virtualenv_prints_no_warning(tmp_path: Path) -> None:
    source = copy_package_source(tmp_path / "cfmtls-provider")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    assert_quiet(pip(venv / "bin" / "python", "install", "--no-deps", str(source)))
