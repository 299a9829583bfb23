"""A copy of what ``pip install <this repository>`` reads, for tests that install the package as a user does.

A copy, not the checkout: pip builds a local directory in place (``build/``, ``*.egg-info``), which would leave
files in the repository, and a copy holds none of the checkout's ``.venv`` or ``.demo``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from .pulumi_stack import REPO

__all__ = ["PACKAGE_FILES", "copy_package_source", "package_source_at"]

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
