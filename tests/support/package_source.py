"""A copy of what ``pip install <this repository>`` reads, for tests that install the package as a user does.

A copy, not the checkout: pip builds a local directory in place (``build/``, ``*.egg-info``), which would leave
files in the repository, and a copy holds none of the checkout's ``.venv`` or ``.demo``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .pulumi_stack import REPO

__all__ = ["PACKAGE_FILES", "copy_package_source"]

#: The files the build reads: the project table, the readme and license it names, and the package.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE")


def copy_package_source(where: Path) -> Path:
    """Copy the package's source into the new directory ``where`` and return it."""
    where.mkdir(parents=True)
    for name in PACKAGE_FILES:
        shutil.copy(REPO / name, where / name)
    shutil.copytree(REPO / "cfmtls_provider", where / "cfmtls_provider", ignore=shutil.ignore_patterns("__pycache__"))
    return where
