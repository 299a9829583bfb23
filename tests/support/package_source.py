"""A copy of what ``pip install <this repository>`` reads, for tests that install the package as a user does.

A copy, not the checkout: pip builds a local directory in place (``build/``, ``*.egg-info``), which would leave
files in the repository, and a copy holds none of the checkout's ``.venv`` or ``.demo``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from .pulumi_stack import REPO

__all__ = ["PACKAGE_FILES", "RELEASE_0_1", "copy_package_source", "install_in_new_venv", "package_source_at"]

#: The last commit of cfmtls-provider 0.1 (the e2e upgrade test installs it; the bench measures it as "before").
RELEASE_0_1 = "eae2dca61bf152e987ab7c6d0f541889427da9bf"

#: The files the build reads: the project table, the readme and license it names, and the package.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE")


def copy_package_source(where: Path) -> Path:
    """Copy the package's source into the new directory ``where`` and return it."""
    where.mkdir(parents=True)
    for name in PACKAGE_FILES:
        shutil.copy(REPO / name, where / name)
    shutil.copytree(REPO / "cfmtls_provider", where / "cfmtls_provider", ignore=shutil.ignore_patterns("__pycache__"))
    return where


def package_source_at(commit: str, where: Path) -> Path:
    """The package's source as it was at ``commit`` of this repository (an earlier release), in ``where``."""
    where.mkdir(parents=True)
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "--name-only", commit], capture_output=True, text=True, check=True
    ).stdout.split()
    wanted = [name for name in (*PACKAGE_FILES, "cfmtls_provider") if name in listed]
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, *wanted], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(where, filter="data")
    return where


def install_in_new_venv(source: Path, venv: Path, constraints: Path | None = None) -> Path:
    """A new virtualenv ``venv`` with the package pip-installed from ``source`` (not editable, no extra), each
    dependency at the version ``constraints`` pins if given (a ``pip freeze``), else the newest allowed."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pinned = ["-c", str(constraints)] if constraints else []
    subprocess.run(
        [*pip, *pinned, str(source)],
        check=True,
        timeout=900,
    )
    return venv
